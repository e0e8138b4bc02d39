"""The hub's refusals of a request, said in Chinese for the officer's form where a wording is known.

hub.standard.rules and hub.requests.service word their problems in English for the API; the form shows
the commonest ones in Chinese and any other as the hub wrote it. Only the wording changes, never the rule.
"""

import re
from collections.abc import Callable

from hub.controls.states import LABELS as CONTROL_STATES
from hub.standard.labels import label_of
from hub.standard.notice import chinese_date


def _action(code: str) -> str:
    return label_of("Action", code)


def _asset(code: str) -> str:
    return label_of("AssetClass", code)


def _codes(listing: str) -> list[str]:
    """The codes of "A, B and C" or "A or B", as hub.standard.rules lists them."""
    return re.split(r", | and | or ", listing)


_WORDINGS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(
            r"a control on (\w+) lasts at most (\d+) year\(s\): from (\S+) it must end by (\S+), not (\S+)"
        ),
        lambda m: (
            f"{_asset(m[1])}的控制期限最长 {m[2]} 年：自{chinese_date(m[3])}起，"
            f"届满日最晚为{chinese_date(m[4])}，不能是{chinese_date(m[5])}。"
        ),
    ),
    (re.compile(r"the period ends \((\S+)\) before it starts \((\S+)\)"), lambda m: "期限届满日早于起始日。"),
    (
        re.compile(r"(\w+) needs a <Period start=\.\. end=\.\.> on every item"),
        lambda m: f"{_action(m[1])}须写明每项财产的期限（起始日和届满日）。",
    ),
    (re.compile(r"(\w+) of (\w+) needs an <Amount>"), lambda m: f"{_action(m[1])}{_asset(m[2])}须写明金额。"),
    (
        re.compile(r"(\w+) does not apply to (\w+): \w+ is for ([\w, ]+); use ([\w ]+) for \w+"),
        lambda m: (
            f"{_asset(m[2])}不能{_action(m[1])}：{_action(m[1])}适用于{'、'.join(map(_asset, _codes(m[3])))}；"
            f"{_asset(m[2])}应当{'或'.join(map(_action, _codes(m[4])))}。"
        ),
    ),
    (
        re.compile(r"(\w+) needs <Original requestNo=\.\. registrationNo=\.\.> naming the control"),
        lambda m: f"{_action(m[1])}须写明原请求编号（及原登记编号）。",
    ),
    (
        re.compile(r"unit ([\w-]+) \((.+)\) does not perform (\w+); it performs .*"),
        lambda m: f"{m[2]}不办理{_action(m[3])}，请取消勾选。",
    ),
    (re.compile(r"unit ([\w-]+) \((.+)\) is no longer active"), lambda m: f"{m[2]}已不在联动单位名录中。"),
    (
        re.compile(r"IdNumber \S+: wrong check (?:digit|character): (\w), expected (\w) \((ISO|GB).*\)"),
        lambda m: (
            f"{'身份证号码校验位' if m[3] == 'ISO' else '统一社会信用代码校验码'}不正确：末位是 {m[1]}，"
            f"按前 17 位应为 {m[2]}，请核对。"
        ),
    ),
    (
        re.compile(r"IdNumber \S+: the birth date (\S+) in the resident ID (?:does not exist|is impossible)"),
        lambda m: f"身份证号码中的出生日期 {m[1].replace('-', '')} 不存在，请核对。",
    ),
    (
        re.compile(r"IdNumber \S+: the number holds '(.)' \(U\+\w+\), not an ASCII character.*"),
        lambda m: (
            f"证件号码中的“{m[1]}”不是半角字符：请用半角数字 0-9 和大写字母 A-Z 填写（可关闭输入法的全角模式）。"
        ),
    ),
    (
        re.compile(r"IdNumber \S+: a resident ID has 17 digits and a check digit \(0-9 or X\)"),
        lambda m: "居民身份证号码应为 18 位：17 位数字加 1 位校验码（0-9 或 X）。",
    ),
    (
        re.compile(r"IdNumber \S+: a unified social credit code has 18 characters .*"),
        lambda m: "统一社会信用代码应为 18 位，由数字和大写字母组成（不含 I、O、Z、S、V）。",
    ),
    (
        re.compile(r"a (subject|transferee) of kind (\w+) cannot have IdType (\w+)"),
        lambda m: (
            f"受让人为{label_of('SubjectKind', m[2])}，不能使用{label_of('IdType', m[3])}。"
            if m[1] == "transferee"
            else f"{label_of('SubjectKind', m[2])}不能使用{label_of('IdType', m[3])}。"
        ),
    ),
    (
        re.compile(
            r"a (renewal of a )?pre-seal \(PRE_SEAL\) of (\w+) lasts at most (\d+) year\(s\): "
            r"from (\S+) it must end by (\S+), not (\S+)"
        ),
        lambda m: (
            f"{_asset(m[2])}的{'预查封续封' if m[1] else '预查封'}期限最长 {m[3]} 年：自{chinese_date(m[4])}起，"
            f"届满日最晚为{chinese_date(m[5])}，不能是{chinese_date(m[6])}。"
        ),
    ),
    (
        re.compile(r"(\w+) needs a <Transferee> on every item: .*"),
        lambda m: f"{_action(m[1])}须写明每项财产的受让人（买受人或承受抵债财产的债权人）。",
    ),
    (
        re.compile(r"the transferee (.+) is the debtor \(\w+ \S+\): .*"),
        lambda m: f"受让人{m[1]}是被执行人本人：过户应登记至买受人或承受抵债财产的债权人名下。",
    ),
    (
        re.compile(r"the transferees' shares add up to (\S+), more than the whole \(1/1\)"),
        lambda m: f"受让份额合计 {m[1]}，超过了全部（1/1）。",
    ),
    (
        re.compile(r'share="(\S+)" is not a part of the whole: .*'),
        lambda m: f"受让份额 {m[1]} 不是有效的份额，请写成 1/2、1/3、1/1 这样的分数。",
    ),
    (
        re.compile(
            r"the control (.+) is (\w+): a TRANSFER names the court's control in force on the property .*"
        ),
        lambda m: (
            f"原措施（{m[1]}）{CONTROL_STATES.get(m[2], m[2])}：过户只能写明本院仍在控制中的措施，"
            "也可以不填原请求编号。"
        ),
    ),
    (
        re.compile(r"no control on (.+) from request (\S+?)(?:, registration (\S+))? is known to the hub"),
        lambda m: (
            f"平台中没有请求 {m[2]}{'（登记编号 ' + m[3] + '）' if m[3] else ''}对 {m[1]} 的控制措施，请核对原请求编号。"
        ),
    ),
    (
        re.compile(r"the control (.+) is (\w+): only an ACTIVE control can be renewed"),
        lambda m: f"原措施（{m[1]}）状态为 {m[2]}，只有生效中的措施才能续行。",
    ),
    (
        re.compile(r"the renewed period starts the day after the old end \((\S+)\): start must be (\S+)"),
        lambda m: f"续行期限应自原期限届满次日起算：起始日应为{chinese_date(m[2])}。",
    ),
]


def in_chinese(message: str) -> str:
    """`message` in Chinese when its wording is known; otherwise as the hub wrote it."""
    for pattern, say in _WORDINGS:
        if match := pattern.fullmatch(message):
            return say(match)
    return message
