"""What a bank reports (shfeedXzcxInfo, shfeedXzkzInfo), as standard receipts: one per BDHM, by the bank's
front-end system (Handler "银行前置系统": the feedback names no person), handled at FKSJ, else when the hub
received it.

adapters/ckw/bank.py reads the wire and gives the records here with their values decoded:
    zhxx          a QUERY: FOUND with one DEPOSIT asset per account (AssetId KHZH, Value YE in CNY, Status
                  FROZEN when it has djxx or its state says 冻结; Description: branch, kind, state,
                  available balance, currency, dates, financial assets, sub-accounts); the subject as its
                  owner; each prior freeze (djxx) and right (qlxx) as an Encumbrance. KHZH 查无开户信息
                  alone: NOT_FOUND. KHZH 业务审核未通过 (CITIC's rollback, why in BEIZ): OBJECTED, since
                  a query cannot be UNABLE; reason DOCUMENTS_INCOMPLETE when it names 文书 or 证件.
    kzxx          a control: every item answered once by CCXH (the spec: a request is complete when each
                  kzzh has its kzxx; a feedback missing one is refused, and the bank sends it whole again).
                  KZZT 1 done: a Control (the item's class and AssetId, period CSKSRQ-CSJSRQ, amount SKJE,
                  RegistrationNo BDHM-CCXH: a bank gives no number of its own; RENEW and RELEASE name the
                  original's); done for less than asked (SKJE below the item's amount, or CESKJE, the
                  difference, above 0) is done in part. KZZT 2: not done, WNKZYY why. The outcome by the
                  rule of adapters/ckw/common.py (PARTIAL for an item not done or done in part, as the hub's
                  simulated bank says it); the reason OTHER with the banks' words and the amounts.
    hzxx          the bank's signed receipt (a PDF): not taken, as a receipt lists attachments only when the
                  files come with it.
Amounts are read strictly (adapters/ckw/common.py: digits, two decimals at most); YE, DJJE, QLJE, SKJE or
CESKJE that is not one fails that BDHM's feedback, naming it. A negative YE (an overdraft) is shown, not
taken as the Value.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from adapters.ckw.common import (
    MAX_REASON,
    clip,
    control_outcome,
    labelled,
    money,
    reasons,
    shown,
    unique,
)
from adapters.ckw.profile import FormatError
from hub.clock import SHANGHAI
from hub.standard.codes import Action, AssetClass, AssetStatus, EncumbranceKind, ReasonCode
from hub.standard.codes import Outcome as Result
from hub.standard.documents import AssistanceRequest, RequestItem
from hub.standard.write_receipt import (
    AssetResult,
    ControlEntry,
    EncumbranceEntry,
    OwnerShare,
    ReceiptDraft,
)

HANDLER = "银行前置系统"
NOT_FOUND = "查无"  # KHZH 查无开户信息: the bank holds no account of the subject
ROLLBACK = "业务审核未通过"  # KHZH of CITIC's rollback of a request it will not process
CNY = frozenset({"", "CNY", "156", "RMB", "人民币"})
MEASURES = {Action.FREEZE: "冻结", Action.RENEW: "继续冻结", Action.DEDUCT: "扣划"}
# the child lists of a zhxx or kzxx the receipts take
CHILDREN = ("djxxList/djxx", "qlxxList/qlxx", "jrxxList/jrxx", "glxxList/glxx")

_DATE_NOISE = re.compile(r"[-/:. 年月日时分秒]")
_NUMBER = re.compile(r"[0-9]{1,6}")


@dataclass(frozen=True)
class Record:
    """One zhxx, kzxx or hzxx of a BDHM's feedback, its values decoded (a hzxx's are not read), and its
    child records by path (djxxList/djxx...)."""

    kind: str
    values: dict[str, str]
    where: str
    children: dict[str, list["Record"]] = field(default_factory=dict)


def draft(
    records: list[Record], request: AssistanceRequest, *, unit_code: str, receipt_no: str, received: datetime
) -> ReceiptDraft:
    """The receipt of one BDHM's records: query results (zhxx) or control results (kzxx, hzxx)."""
    head = {
        "request_no": request.request_no,
        "unit_code": unit_code,
        "receipt_no": receipt_no,
        "handled_at": received,
        "handler_name": HANDLER,
    }
    if records[0].kind == "zhxx":
        return _query_draft(records, request, head)
    return _control_draft(records, request, head)


# --- query results


def _query_draft(records: list[Record], request: AssistanceRequest, head: dict) -> ReceiptDraft:
    if request.action is not Action.QUERY:
        raise FormatError(
            "zhxxList", f"{request.request_no} is a {request.action} request: its results go in a kzxxList"
        )
    times = (_instant(record.values.get("FKSJ", "")) for record in records)
    head["handled_at"] = next((t for t in times if t is not None), head["handled_at"])
    rollback = [record.values for record in records if ROLLBACK in record.values.get("KHZH", "")]
    if rollback:
        why = "；".join(unique(values.get("BEIZ") or values["KHZH"] for values in rollback))
        return ReceiptDraft(
            **head,
            outcome=Result.OBJECTED,
            reason_code=_reason_code(f"{ROLLBACK}：{why}"),
            reason_text=clip(f"银行业务审核未通过：{why}", MAX_REASON),
        )
    assets = []
    for record in records:
        if not record.values.get("KHZH"):
            raise FormatError("KHZH", "required: the account no., or 查无开户信息", where=record.where)
        if NOT_FOUND not in record.values["KHZH"]:
            assets.append(_account(record, request))
    if not assets:
        return ReceiptDraft(**head, outcome=Result.NOT_FOUND)
    return ReceiptDraft(**head, outcome=Result.FOUND, assets=tuple(assets))


def _account(record: Record, request: AssistanceRequest) -> AssetResult:
    values, where = record.values, record.where
    currency, balance_text = values.get("BZ", ""), values.get("YE", "")
    balance = None
    if currency.upper() in CNY and not balance_text.startswith("-"):
        balance = money(balance_text, field="YE", where=where)
    children = record.children
    freezes, rights = children.get("djxxList/djxx", []), children.get("qlxxList/qlxx", [])
    products = [_product(child.values) for child in children.get("jrxxList/jrxx", [])]
    linked = [
        v.get("ZKHZH") or v.get("GLZHHM", "") for v in (c.values for c in children.get("glxxList/glxx", []))
    ]
    state = values.get("ZHZT", "")
    if freezes or "冻结" in state:
        status = AssetStatus.FROZEN
    elif not state or "正常" in state:
        status = AssetStatus.NORMAL
    else:
        status = AssetStatus.OTHER
    branch = values.get("KHWD", "") + (f"（{values['KHWDDM']}）" if values.get("KHWDDM") else "")
    parts = [
        labelled("开户网点", branch),
        labelled("账户类别", values.get("CCLB")),
        labelled("账户状态", state),
        None if balance is not None else labelled("余额", balance_text),
        labelled("可用余额", values.get("KYYE")),
        labelled("币种", currency),
        labelled("开户日期", _iso_day(values.get("KHRQ"))),
        labelled("销户日期", _iso_day(values.get("XHRQ"))),
        labelled("关联资金账户", values.get("GLZJZH")),
        labelled("金融资产", "、".join(filter(None, products))),
        labelled("关联子账户", "、".join(filter(None, linked))),
        labelled("备注", values.get("BEIZ")),
    ]
    return AssetResult(
        asset_class=AssetClass.DEPOSIT,
        asset_id=clip(values["KHZH"], 100),
        description=clip("，".join(filter(None, parts))) or None,
        value=balance,
        status=status,
        owners=(OwnerShare(request.subject.name),),
        encumbrances=tuple([*map(_freeze, freezes), *map(_right, rights)]),
    )


def _freeze(record: Record) -> EncumbranceEntry:
    values = record.values
    until = _iso_day(values.get("DJJZRQ"))
    details = [f"截止日期 {until}" if until else "", values.get("BEIZ", "")]
    return EncumbranceEntry(
        kind=EncumbranceKind.FREEZE,
        holder=clip(values.get("DJJG", ""), 200) or None,
        reference=clip(values.get("DJWH", ""), 100) or None,
        amount=money(values.get("DJJE"), field="DJJE", where=record.where),
        description=clip("，".join(["冻结", *filter(None, details)])),
    )


def _right(record: Record) -> EncumbranceEntry:
    values = record.values
    details = [values.get("QLLX") or "共有权/优先权", values.get("BEIZ", "")]
    return EncumbranceEntry(
        kind=EncumbranceKind.OTHER,
        holder=clip(values.get("QLR", ""), 200) or None,
        amount=money(values.get("QLJE"), field="QLJE", where=record.where),
        description=clip("，".join(filter(None, details))),
    )


def _product(values: dict[str, str]) -> str:
    name = values.get("ZCMC") or values.get("JRCPBH") or values.get("LCZH", "")
    amount = values.get("ZCZJE") or values.get("SE", "")
    return f"{name}（{amount}）" if name and amount else name


def _reason_code(text: str) -> ReasonCode:
    """A bank refusing a request it will not process names the documents or credentials missing."""
    if ROLLBACK in text and ("文书" in text or "证件" in text):
        return ReasonCode.DOCUMENTS_INCOMPLETE
    return ReasonCode.OTHER


# --- control results


def _control_draft(records: list[Record], request: AssistanceRequest, head: dict) -> ReceiptDraft:
    action, items = request.action, request.items
    if action not in MEASURES and action is not Action.RELEASE:
        raise FormatError(
            "kzxxList", f"{request.request_no} is a {action} request: its results go in a zhxxList"
        )
    answered: dict[int, Record] = {}
    for record in records:
        if record.kind != "kzxx":
            continue  # a receipt file (hzxx): not taken
        number = record.values.get("CCXH", "")
        if not _NUMBER.fullmatch(number) or not 1 <= int(number) <= len(items):
            raise FormatError(
                "CCXH",
                f"expected an item's number from 1 to {len(items)}, got {shown(number)!r}",
                where=record.where,
            )
        if int(number) in answered:
            raise FormatError("CCXH", f"item {number} is answered twice", where=record.where)
        answered[int(number)] = record
    if not answered:
        raise FormatError("kzxx", f"the feedback for {request.request_no} holds receipt files but no result")
    if missing := [str(n) for n in range(1, len(items) + 1) if n not in answered]:
        raise FormatError("CCXH", f"no kzxx answers item(s) {', '.join(missing)} of {request.request_no}")
    done, said = [], []
    for number, record in sorted(answered.items()):
        item, values, state = items[number - 1], record.values, record.values.get("KZZT", "")
        named = "" if len(items) == 1 else f"第{number}项（{item.asset_id}）："
        if state == "1":
            control = _control(record, item, action, own=f"{request.request_no}-{number}")
            done.append(control)
            if short := _shortfall(record, item, control, action):
                said.append(named + short)
        elif state == "2":
            said.append(named + (values.get("WNKZYY") or values.get("BEIZ") or "银行未说明原因"))
        else:
            raise FormatError(
                "KZZT",
                f"expected 1 (controlled) or 2 (not controlled), got {shown(state)!r}",
                where=record.where,
            )
    reason = reasons(said)
    return ReceiptDraft(
        **head,
        outcome=control_outcome(action, done=len(done), whole=not said),
        reason_code=_reason_code(reason) if reason else None,
        reason_text=reason,
        controls=tuple(done),
    )


def _control(record: Record, item: RequestItem, action: Action, *, own: str) -> ControlEntry:
    """One done item: the request's item, with what the bank did to it. A renewal and a release keep the
    original's registration no.; a freeze and a deduction are numbered `own` (the bank gives none)."""
    values, where = record.values, record.where
    registration = own
    if action in (Action.RENEW, Action.RELEASE) and item.original is not None:
        registration = item.original.registration_no or item.original.request_no
    start = end = None
    if action in (Action.FREEZE, Action.RENEW) and values.get("CSKSRQ") and values.get("CSJSRQ"):
        start, end = _date(values["CSKSRQ"], "CSKSRQ", where), _date(values["CSJSRQ"], "CSJSRQ", where)
        if end < start:
            raise FormatError("CSJSRQ", f"the period ends ({end}) before it starts ({start})", where=where)
    amount = None
    if action is not Action.RELEASE:
        amount = money(values.get("SKJE"), field="SKJE", where=where)
    return ControlEntry(
        asset_class=item.asset_class,
        asset_id=item.asset_id,
        registration_no=registration,
        start=start,
        end=end,
        amount=amount,
    )


def _shortfall(record: Record, item: RequestItem, control: ControlEntry, action: Action) -> str | None:
    """What a done item lacks of the amount asked: SKJE below the item's amount, or CESKJE (the difference
    the bank could not control) above 0; None when it is done in full, or asked no amount."""
    if action not in MEASURES:
        return None
    measure = MEASURES[action]
    rest = money(record.values.get("CESKJE"), field="CESKJE", where=record.where)
    asked = item.amount.amount if item.amount else None
    if asked is not None and control.amount is not None and control.amount < asked:
        return f"余额不足，已按实际余额{measure}（申请{measure}{asked:.2f}元，实际{measure}{control.amount:.2f}元）"
    if rest:
        return f"未能全额{measure}（差额{rest:.2f}元）"
    return None


# --- dates


def _digits(text: str) -> str:
    return _DATE_NOISE.sub("", text.strip())


def _date(text: str, name: str, where: str) -> date:
    digits = _digits(text)
    try:
        if len(digits) in (8, 12, 14) and digits.isdigit():
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        pass
    raise FormatError(
        name, f"expected a date such as 2026/11/27 or 20261127, got {shown(text)!r}", where=where
    )


def _instant(text: str) -> datetime | None:
    digits = _digits(text).ljust(14, "0")
    if len(digits) != 14 or not digits.isdigit():
        return None
    try:
        parts = [int(digits[i:j]) for i, j in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14))]
        return datetime(*parts, tzinfo=SHANGHAI)
    except ValueError:
        return None


def _iso_day(text: str | None) -> str:
    """A day as the bank wrote it, in ISO form when it reads as one (a Description shows it)."""
    if not text:
        return ""
    try:
        return _date(text, "", "").isoformat()
    except FormatError:
        return text
