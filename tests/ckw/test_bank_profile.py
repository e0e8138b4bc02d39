"""The banks' 查控 profile, without a server: what their clients read from the hub's lists and answers, and
the receipts their feedback becomes. The client side is read as the clients read it (CITIC's Axis2 stub and
JiBX bindings: strip what is not base64, decode, GBK), on the verbatim and constructed samples of the spec."""

import base64
import hashlib
import re
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import zeep
from lxml import etree

from adapters.ckw.bank import BankProfile
from adapters.ckw.profile import Cards, File, FormatError, Original, Outcome, Pending, Role
from hub.standard.codes import Action, AssetClass, AssetStatus, EncumbranceKind, ReasonCode
from hub.standard.codes import Outcome as Result
from hub.standard.documents import AssistanceReceipt, AssistanceRequest
from hub.standard.rules import inspect, receipt_problems
from hub.standard.write_receipt import ReceiptDraft, write_receipt
from schemas import EXAMPLES_DIR, SCHEMA_DIR

NS = "http://syyh.service.webService.ckw.tdh/"
AT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
PROFILE = BankProfile()
# The suds script's usermarker, verbatim (spec §3): username YH000001, password 123
USERMARKER = (
    "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz4NCjx1c2VybWFya2VyPjxjb25kaXRpb24gdXNlcm5hbWU9IldV"
    "Z3dNREF3TURFPSIgcGFzc3dvcmQ9Ik1USXoiPjwvY29uZGl0aW9uPjwvdXNlcm1hcmtlcj4="
)
# The Yitong client's quote of a real court's getXzcxList answer, verbatim with its line breaks (spec §3)
COURT_ANSWER = """PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz4KPGN4cXFMaXN0PjxjeHFxIEJE
SE09Ik1qQXhOVEEwTVRaRE1EQXhNREF3TURBd01ERT0iIExCPSJXVWc9IiBYWj0iTVE9PSIgWE09
IjFjWEkvUT09IiBHSj0iIiBaSkxYPSJNREU9IiBEU1JaSkhNPSJNelF3TVRFd01UazRNREE0TVRB
d056ZzUiIEZaSkc9IiIgRllNQz0ic0xLNzFjcWh1Tis4dHNqTHcvRzNxTlM2IiBDQlI9InphaTA3
N3FqIiBBSD0iS0RJd01UVXB6ZTdXdExMaTE5YTEyakF3TURBeHVzVT0iIENLS1NTSj0iIiBDS0pT
U0o9IiIgR1daQk09InplNjNxREF3TURBd01ERT0iLz48L2N4cXFMaXN0Pg=="""
FREEZE_NO, QUERY_NO = "20170601110101200001", "20170601110101100001"
ACCOUNT, SECOND_ACCOUNT = "6222000000000000001", "6222000000000000002"


# --- the clients' side


def citic_text(value: str) -> str:
    """Utility.decodeGBKMIMEBase64: every byte outside the base64 alphabet skipped, then GBK."""
    return base64.b64decode(re.sub(r"[^A-Za-z0-9+/=]", "", value)).decode("gbk")


def citic_read(answer: str) -> etree._Element:
    """An answer as CITIC unmarshals it: the text parsed from a string, the declared encoding ignored."""
    return etree.fromstring(citic_text(answer).split("?>", 1)[1].strip())


def citic_values(element: etree._Element) -> dict[str, str]:
    return {name: citic_text(value) for name, value in element.attrib.items()}


def citic_date10(value: str) -> str:
    """Utility.base64ToDate10: '-/: ' stripped, yyyyMMdd read (anything else fails the whole list)."""
    digits = re.sub(r"[-/: ]", "", citic_text(value))
    if not digits:
        return ""
    assert re.fullmatch(r"\d{8}(\d{6})?", digits), digits
    return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])).isoformat()


def sent(document: str, *, mime: bool = False) -> str:
    """A document as a client sends it: each attribute value base64(GBK), then the whole, CITIC's way."""

    def encoded(match: re.Match) -> str:
        value = match.group(2)
        return f'{match.group(1)}="{base64.b64encode(value.encode("gbk")).decode() if value else ""}"'

    head, _, body = document.partition("?>") if document.startswith("<?xml") else ("", "", document)
    text = head + ("?>" if head else "") + re.sub(r'(\w+)="([^"]*)"', encoded, body)
    whole = base64.b64encode(text.encode("gbk")).decode()
    return "\r\n".join(whole[i : i + 76] for i in range(0, len(whole), 76)) if mime else whole


def transported(document: bytes) -> str:
    return base64.b64encode(document).decode()


# --- the hub's side


def request(example: str, *changes: tuple[str, str]) -> AssistanceRequest:
    text = (EXAMPLES_DIR / f"request-{example}.xml").read_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    return inspect(text.encode(), expect="request").request


DEPOSIT = ("FUND_ACCOUNT", "DEPOSIT")
SECOND_ITEM = f"""    <Item>
      <AssetClass>DEPOSIT</AssetClass>
      <AssetId>{SECOND_ACCOUNT}</AssetId>
      <Amount currency="CNY">20000.00</Amount>
      <Period start="2026-11-27" end="2027-11-26"/>
    </Item>
  </Items>"""


def freeze(request_no: str = FREEZE_NO) -> AssistanceRequest:
    """Two deposits of the subject to freeze."""
    return request(
        "freeze",
        ("AT-2026-000123", request_no),
        DEPOSIT,
        ("220100123456789", ACCOUNT),
        ("住房公积金账户", "活期存款"),
        ("  </Items>", SECOND_ITEM),
    )


def query(request_no: str = QUERY_NO) -> AssistanceRequest:
    return request(
        "query", ("AT-2026-000101", request_no), ('<Unit code="vehicles"/>', '<Unit code="bank-x"/>')
    )


def receipt(draft: ReceiptDraft, action: Action) -> AssistanceReceipt:
    """The receipt as the hub reads it, after the checks receipts/service.py applies."""
    checked = inspect(write_receipt(draft), expect="receipt").receipt
    assert receipt_problems(checked, action=action) == []
    return checked


def fed(argument: str, target: AssistanceRequest, *, role: Role = Role.QUERY_FEEDBACK) -> AssistanceReceipt:
    [one] = PROFILE.feedback(role, argument, at=AT)
    assert one.request_no == target.request_no
    return receipt(one.draft(target, "bank-x", "BANK-0001"), target.action)


CARDS = Cards(
    officer_name="张三",
    work_card_no="GZ0001",
    credential_no="GW0001",
    work_card=(b"\xff\xd8\xff\xe0work", "jpg"),
    credential_card=(b"\x89PNG\r\n\x1a\ncredential", "png"),
)
NUMBERS = Cards(officer_name="张三", work_card_no="GZ0001", credential_no="GW0001")  # as lists get them


# --- the usermarker and the request no. asked for


def test_the_verbatim_usermarker_is_yh000001_with_password_123():
    assert PROFILE.credentials(USERMARKER)[0] == ("YH000001", "123")
    # CITIC's MIME lines, and a client writing plain values: both readings offered, the likeliest first
    mime = "\r\n".join(USERMARKER[i : i + 76] for i in range(0, len(USERMARKER), 76))
    assert PROFILE.credentials(mime)[0] == ("YH000001", "123")
    plain = transported(
        b'<usermarker> <condition username="YH000001" password="123"></condition></usermarker>'
    )
    assert ("YH000001", "123") in PROFILE.credentials(plain)
    assert BankProfile(encode_values=False).credentials(plain)[0] == ("YH000001", "123")


def test_documents_and_credentials_are_asked_for_by_wsbh_or_bdhm():
    by_wsbh = sent(
        '<?xml version="1.0" encoding="UTF-8" ?><wsbhinfo><condition WSBH="AT-2026-000101"></condition></wsbhinfo>'
    )
    by_bdhm = sent(
        f'<?xml version="1.0" encoding="UTF-8" ?><bdhminfo><condition BDHM="{FREEZE_NO}"></condition></bdhminfo>'
    )
    assert PROFILE.request_nos(by_wsbh) == ["AT-2026-000101"]
    assert PROFILE.request_nos(by_bdhm)[0] == FREEZE_NO
    twice = base64.b64encode(FREEZE_NO.encode()).decode()
    assert FREEZE_NO in PROFILE.request_nos(sent(f'<bdhminfo><condition BDHM="{twice}"/></bdhminfo>'))
    with pytest.raises(FormatError, match="BDHM"):
        PROFILE.request_nos(sent('<bdhminfo><condition BDHM="../../etc/passwd"/></bdhminfo>'))


# --- the lists, as CITIC reads them


def test_the_test_decoder_reads_the_real_courts_answer():
    [cxqq] = citic_read(COURT_ANSWER)
    values = citic_values(cxqq)
    assert (values["BDHM"], values["XM"], values["FYMC"]) == (
        "20150416C00100000001",
        "张三",
        "安徽省高级人民法院",
    )


def test_a_listed_freeze_reads_as_the_citic_client_reads_it():
    pending = Pending(task_id=7, request=freeze(), cards=NUMBERS)  # no card image: lists need none
    answer = PROFILE.list_answer(Role.CONTROL_LIST, [pending], at=AT)
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", answer), "one line of base64"
    assert citic_text(answer).isascii(), "every value encoded: the document is ASCII"
    root = citic_read(answer)
    assert root.tag == "kzqqList" and root.get("errorMsg") is None
    [kzqq] = root.iterchildren("kzqq")
    head = citic_values(kzqq)
    assert head["BDHM"] == FREEZE_NO
    assert (head["LB"], head["XZ"], head["XM"], head["ZJLX"], head["DSRZJHM"]) == (
        "YH", "2", "李四", "01", "222426198503120413",
    )  # fmt: skip
    assert (head["FYMC"], head["FYDM"], head["CBR"], head["YHDH"]) == (
        "安图县人民法院",
        "J2426",
        "张三",
        "0433-5551234",
    )
    assert (head["AH"], head["GZZBH"], head["GWZBH"]) == ("（2026）吉2426执123号", "GZ0001", "GW0001")
    assert head["CKH"] == "协助冻结存款通知书"
    first, second = kzqq.find("kzzhlist").iterchildren("kzzh")
    item = citic_values(first)
    assert (item["CCXH"], item["KZLX"], item["KZCS"], item["KZNR"]) == ("1", "1", "01", "1")
    assert (item["KHZH"], item["BZ"], item["JE"], item["CKWH"]) == (
        ACCOUNT,
        "CNY",
        "50000.00",
        "（2026）吉2426执123号",
    )
    assert (citic_date10(first.get("KSRQ")), citic_date10(first.get("JSRQ"))) == ("2026-11-27", "2027-11-26")
    assert (item["YDJDH"], item["YDJAH"]) == ("", "")
    assert citic_values(second)["CCXH"] == "2" and citic_values(second)["KHZH"] == SECOND_ACCOUNT


def test_a_listed_deduction_and_renewal_read_as_the_citic_client_reads_them():
    deduct = request(
        "deduct",
        ("AT-2026-000104", "DEDUCT-0001"),
        ("<AssetClass>FUND_ACCOUNT</AssetClass>", "<AssetClass>DEPOSIT</AssetClass>"),
    )
    renew = request("renew", DEPOSIT)
    original = Original(
        request_no="AT-2026-000123", case_no="（2026）吉2426执100号", registration_no="GJJ-DJ-2026-0042"
    )
    pending = [Pending(1, deduct), Pending(2, renew, originals={"AT-2026-000123": original})]
    first, second = citic_read(PROFILE.list_answer(Role.CONTROL_LIST, pending, at=AT))
    deducted = [citic_values(kzzh) for kzzh in first.find("kzzhlist")]
    assert [(d["KZCS"], d["KZLX"], d["JE"]) for d in deducted] == [
        ("06", "1", "50000.00"),
        ("06", "2", "18600.00"),
    ]
    assert [citic_date10(kzzh.get("KSRQ")) for kzzh in first.find("kzzhlist")] == ["", ""]
    assert citic_values(first)["CKH"] == "协助扣划存款通知书"
    [renewal] = second.find("kzzhlist")
    values = citic_values(renewal)
    assert (values["KZCS"], values["YDJDH"], values["YDJAH"]) == (
        "02",
        "AT-2026-000123",
        "（2026）吉2426执100号",
    )
    assert (citic_date10(renewal.get("KSRQ")), citic_date10(renewal.get("JSRQ"))) == (
        "2027-11-28",
        "2028-11-27",
    )
    assert values["JE"] == ""


def test_a_listed_query_carries_its_wsbh_and_both_credential_attributes():
    root = citic_read(PROFILE.list_answer(Role.QUERY_LIST, [Pending(3, query(), cards=NUMBERS)], at=AT))
    [cxqq] = root
    values = citic_values(cxqq)
    assert values["BDHM"] == values["WSBH"] == QUERY_NO
    assert (values["XZ"], values["XM"], values["DSRZJHM"]) == ("1", "赵六", "22242619790605003X")
    assert (values["GWZBH"], values["GWZBM"], values["CKH"]) == ("GW0001", "GW0001", "协助查询存款通知书")
    assert citic_read(PROFILE.list_answer(Role.QUERY_LIST, [], at=AT)).tag == "cxqqList"


def test_plain_values_for_the_clients_that_send_and_read_them():
    answer = BankProfile(encode_values=False).list_answer(Role.QUERY_LIST, [Pending(3, query())], at=AT)
    [cxqq] = etree.fromstring(base64.b64decode(answer).decode("gbk").split("?>", 1)[1].strip())
    assert cxqq.get("XM") == "赵六" and cxqq.get("BDHM") == QUERY_NO
    # the bytes are GBK, as the clients decode them, and say so to a client that parses the bytes
    assert base64.b64decode(answer).startswith(b'<?xml version="1.0" encoding="GBK"?>')
    [cxqq] = etree.fromstring(base64.b64decode(answer))
    assert cxqq.get("XM") == "赵六"
    encoded = base64.b64decode(PROFILE.list_answer(Role.QUERY_LIST, [Pending(3, query())], at=AT))
    assert encoded.isascii() and encoded.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_documents_and_cards_are_double_encoded_files():
    pdf = b"%PDF-1.4 ruling"
    root = citic_read(PROFILE.documents_answer(FREEZE_NO, [File("RULING", "裁定书.pdf", pdf)], at=AT))
    [wsinfo] = root
    values = citic_values(wsinfo)
    assert (values["BDHM"], values["XH"], values["WJMC"], values["WJLX"], values["WSLB"]) == (
        FREEZE_NO, "1", "裁定书", "pdf", "裁定书",
    )  # fmt: skip
    assert base64.b64decode(values["WSNR"]) == pdf and values["MD5"] == hashlib.md5(pdf).hexdigest()
    [zjinfo] = citic_read(PROFILE.credentials_answer(FREEZE_NO, CARDS, at=AT))
    values = citic_values(zjinfo)
    assert base64.b64decode(values["GZZ"]) == CARDS.work_card[0] and values["GZZWJGS"] == "jpg"
    assert base64.b64decode(values["GWZ"]) == CARDS.credential_card[0] and values["GWZBM"] == "GW0001"
    missing = citic_read(PROFILE.credentials_answer(FREEZE_NO, None, at=AT))
    assert missing.tag == "zjinfoList" and "尚未登记" in citic_text(missing.get("errorMsg"))
    assert missing.get("ErrorMSG") == missing.get("errorMsg") and len(missing) == 0


# --- query feedback


ZHXX = f"""<?xml version="1.0" encoding="UTF-8"?>
<zhxxList>
  <zhxx BDHM="{QUERY_NO}" CCXH="1" KHZH="{ACCOUNT}" CCLB="借记卡" ZHZT="正常" KHWD="延吉支行" KHWDDM="102100000099"
        KHRQ="2010/01/01 00:00:00" XHRQ="" BZ="CNY" YE="12345.67" KYYE="2345.67" FKSJ="2026/11/28 10:00:00" BEIZ="">
    <djxxList>
      <djxx CSXH="1" DJJZRQ="2027/01/01 00:00:00" DJJG="延吉市人民法院" DJWH="（2026）吉2401执1号" DJJE="10000.00" BEIZ=""/>
    </djxxList>
  </zhxx>
  <zhxx BDHM="{QUERY_NO}" CCXH="2" KHZH="{SECOND_ACCOUNT}" CCLB="定期存款" ZHZT="正常" KHWD="安图支行" BZ="156"
        YE="800.00" KYYE="800.00" FKSJ="2026/11/28 10:00:00"/>
</zhxxList>"""


def test_two_accounts_one_frozen_make_a_found_receipt():
    result = fed(sent(ZHXX, mime=True), query())
    assert result.outcome is Result.FOUND and result.handler_name == "银行前置系统"
    assert result.handled_at == datetime.fromisoformat("2026-11-28T10:00:00+08:00")
    first, second = result.assets
    assert (first.asset_class, first.asset_id, first.value.amount) == (
        AssetClass.DEPOSIT,
        ACCOUNT,
        Decimal("12345.67"),
    )
    assert first.status is AssetStatus.FROZEN and [o.name for o in first.owners] == ["赵六"]
    for words in (
        "开户网点：延吉支行",
        "账户类别：借记卡",
        "账户状态：正常",
        "可用余额：2345.67",
        "币种：CNY",
    ):
        assert words in first.description
    [prior] = first.encumbrances
    assert (prior.kind, prior.holder, prior.reference) == (
        EncumbranceKind.FREEZE,
        "延吉市人民法院",
        "（2026）吉2401执1号",
    )
    assert prior.amount.amount == Decimal("10000.00") and "冻结" in prior.description
    assert "2027-01-01" in prior.description
    assert (second.asset_id, second.value.amount, second.status) == (
        SECOND_ACCOUNT,
        Decimal("800.00"),
        AssetStatus.NORMAL,
    )


def test_a_foreign_currency_account_its_products_and_rights_are_described():
    usd = f"""<zhxxList><zhxx BDHM="{QUERY_NO}" CCXH="1" KHZH="{ACCOUNT}" BZ="USD" YE="1,000.50" ZHZT="不动户">
      <jrxxList><jrxx ZCXH="1" ZCMC="稳健理财1号" SE="1000" ZCZJE="1000.00"/></jrxxList>
      <qlxxList><qlxx XH="1" QLLX="质押" QLR="某某担保公司" QLJE="500.00"/></qlxxList>
      <glxxList><glxx GLXH="1" ZKHZH="{ACCOUNT}-01"/></glxxList>
    </zhxx></zhxxList>"""
    [asset] = fed(sent(usd), query()).assets
    assert asset.value is None and asset.status is AssetStatus.OTHER
    for words in (
        "余额：1,000.50",
        "币种：USD",
        "金融资产：稳健理财1号（1000.00）",
        f"关联子账户：{ACCOUNT}-01",
    ):
        assert words in asset.description
    [right] = asset.encumbrances
    assert (right.holder, right.amount.amount, right.description) == (
        "某某担保公司",
        Decimal("500.00"),
        "质押",
    )


def test_the_constructed_query_feedback_of_the_spec_is_found():
    result = fed(CONSTRUCTED["shfeedXzcxInfo.arg1"], query("20170601110101100001"))
    assert result.outcome is Result.FOUND and result.assets[0].value.amount == Decimal("12345.67")


def test_no_account_is_not_found():
    result = fed(CONSTRUCTED["shfeedXzcxInfo.arg1.noaccount"], query("20170601110101100002"))
    assert result.outcome is Result.NOT_FOUND and result.assets == []


def test_a_query_the_bank_rolls_back_is_objected_with_its_reason():
    rollback = (
        f'<zhxxList><zhxx BDHM="{QUERY_NO}" CCXH="1" KHZH="业务审核未通过" BEIZ="无文书编号"/></zhxxList>'
    )
    result = fed(sent(rollback), query())
    assert result.outcome is Result.OBJECTED
    assert result.reason_code is ReasonCode.DOCUMENTS_INCOMPLETE and "无文书编号" in result.reason_text


# --- control feedback


KZXX = f"""<?xml version="1.0" encoding="UTF-8"?>
<kzxxList>
  <kzxx BDHM="{FREEZE_NO}" CCXH="1" KHZH="{ACCOUNT}" KZNR="1" KZZT="1" YE="12345.67" KYYE="2345.67"
        CSKSRQ="2026-11-28" CSJSRQ="2027-11-27" DJXE="50000.00" SKJE="2345.67" CESKJE="47654.33" WNKZYY="" BEIZ="">
    <djxxList><djxx BDHM="{FREEZE_NO}" CCXH="1" CSXH="1" DJJG="延吉市人民法院" DJJE="10000.00" DJJZRQ="2027/01/01"/></djxxList>
  </kzxx>
  <kzxx BDHM="{FREEZE_NO}" CCXH="2" KHZH="{SECOND_ACCOUNT}" KZNR="1" KZZT="2" WNKZYY="账户已销户"/>
  <hzxxList><hzxx BDHM="{FREEZE_NO}" WJMC="回执" WJLX="pdf" WSLB="回执" WSNR="JVBERi0xLjQ=" MD5=""/></hzxxList>
</kzxxList>"""


def test_a_freeze_done_on_one_account_of_two_is_partial_and_registers_it():
    result = fed(sent(KZXX, mime=True), freeze(), role=Role.CONTROL_FEEDBACK)
    assert result.outcome is Result.PARTIAL and result.handled_at == AT
    [control] = result.controls
    assert (control.asset_class, control.asset_id, control.registration_no) == (
        AssetClass.DEPOSIT, ACCOUNT, f"{FREEZE_NO}-1",
    )  # fmt: skip
    assert (control.period.start, control.period.end) == (date(2026, 11, 28), date(2027, 11, 27))
    assert control.amount.amount == Decimal("2345.67")
    assert result.reason_code is ReasonCode.OTHER
    assert result.reason_text == (
        f"第1项（{ACCOUNT}）：余额不足，已按实际余额冻结（申请冻结50000.00元，实际冻结2345.67元）；"
        f"第2项（{SECOND_ACCOUNT}）：账户已销户"
    )


def test_the_constructed_control_feedback_of_the_spec_is_partial():
    result = fed(CONSTRUCTED["shfeedXzkzInfo.arg1"], freeze(), role=Role.CONTROL_FEEDBACK)
    assert result.outcome is Result.PARTIAL and result.reason_text.endswith("账户已销户")
    [control] = result.controls
    assert (control.period.start, control.period.end) == (date(2017, 6, 1), date(2018, 5, 31))


def test_control_results_sent_to_the_query_operation_are_control_results():
    """CITIC's rollback of a control request posts its kzxxList to shfeedXzcxInfo."""
    why = "无法律文书，协助执行单位业务审核未通过"
    rollback = "".join(f'<kzxx BDHM="{FREEZE_NO}" CCXH="{n}" KZZT="2" WNKZYY="{why}"/>' for n in (1, 2))
    result = fed(sent(f"<kzxxList>{rollback}</kzxxList>"), freeze(), role=Role.QUERY_FEEDBACK)
    assert result.outcome is Result.UNABLE and result.controls == []
    assert result.reason_code is ReasonCode.DOCUMENTS_INCOMPLETE and why in result.reason_text


def deduction() -> AssistanceRequest:
    """50,000.00 from a deposit, 18,600.00 from an insurance policy's cash value."""
    return request(
        "deduct",
        ("AT-2026-000104", "DEDUCT-0001"),
        ("<AssetClass>FUND_ACCOUNT</AssetClass>", "<AssetClass>DEPOSIT</AssetClass>"),
    )


def deducted(*amounts: str, extra: str = "") -> AssistanceReceipt:
    done = "".join(
        f'<kzxx BDHM="DEDUCT-0001" CCXH="{n}" KZZT="1" SKJE="{a}"{extra}/>' for n, a in enumerate(amounts, 1)
    )
    return fed(sent(f"<kzxxList>{done}</kzxxList>"), deduction(), role=Role.CONTROL_FEEDBACK)


def test_a_deduction_of_less_than_asked_is_partial_saying_how_much_and_a_release_done():
    result = deducted("50000.00", "100")
    assert (result.outcome, result.reason_code) == (Result.PARTIAL, ReasonCode.OTHER)
    assert result.reason_text == (
        "第2项（PDAA202622240000001866）：余额不足，已按实际余额扣划（申请扣划18600.00元，实际扣划100.00元）"
    )
    assert [(c.registration_no, c.amount.amount) for c in result.controls] == [
        ("DEDUCT-0001-1", Decimal("50000.00")), ("DEDUCT-0001-2", Decimal("100.00")),
    ]  # fmt: skip
    whole = deducted("50000.00", "18600")
    assert (whole.outcome, whole.reason_code, whole.reason_text) == (Result.CONTROLLED, None, None)
    # no SKJE, but a difference the bank could not deduct (CESKJE)
    rest = deducted("", "", extra=' CESKJE="600.00"')
    assert rest.outcome is Result.PARTIAL and rest.reason_text.endswith("未能全额扣划（差额600.00元）")
    assert deducted("", "", extra=' CESKJE="0.00"').outcome is Result.CONTROLLED
    release = request("release", DEPOSIT)
    result = fed(sent('<kzxxList><kzxx BDHM="AT-2026-000125" CCXH="1" KZZT="1"/></kzxxList>'), release)
    assert result.outcome is Result.RELEASED and result.controls[0].registration_no == "GJJ-DJ-2026-0042"


@pytest.mark.parametrize(
    ("records", "field"),
    [
        ('<kzxx BDHM="{no}" CCXH="1" KZZT="1"/>', "CCXH"),  # item 2 unanswered
        ('<kzxx BDHM="{no}" CCXH="1" KZZT="1"/><kzxx BDHM="{no}" CCXH="1" KZZT="1"/>', "CCXH"),
        ('<kzxx BDHM="{no}" CCXH="1" KZZT="3"/><kzxx BDHM="{no}" CCXH="2" KZZT="1"/>', "KZZT"),
        ('<kzxx BDHM="{no}" CCXH="9" KZZT="1"/>', "CCXH"),
        ('<kzxx BDHM="{no}" CCXH="1" KZZT="1" SKJE="很多"/><kzxx BDHM="{no}" CCXH="2" KZZT="2"/>', "SKJE"),
        (
            '<kzxx BDHM="{no}" CCXH="1" KZZT="1" CSKSRQ="2027-01-01" CSJSRQ="2026-01-01"/>'
            '<kzxx BDHM="{no}" CCXH="2" KZZT="2"/>',
            "CSJSRQ",
        ),
    ],
)
def test_control_results_that_cannot_be_mapped_name_the_field(records, field):
    [one] = PROFILE.feedback(
        Role.CONTROL_FEEDBACK, sent(f"<kzxxList>{records.format(no=FREEZE_NO)}</kzxxList>"), at=AT
    )
    with pytest.raises(FormatError) as error:
        one.draft(freeze(), "bank-x", "BANK-0001")
    assert error.value.field == field


def test_results_of_the_wrong_kind_or_request_are_refused():
    [one] = PROFILE.feedback(Role.QUERY_FEEDBACK, sent(ZHXX), at=AT)
    with pytest.raises(FormatError, match="kzxxList"):
        one.draft(freeze(QUERY_NO), "bank-x", "BANK-0001")
    with pytest.raises(FormatError, match="BDHM"):
        one.draft(query("AT-2026-000999"), "bank-x", "BANK-0001")


def test_each_bdhm_of_a_batch_stands_alone_and_the_same_feedback_has_the_same_digest():
    other = '<zhxx BDHM="QUERY-0002" CCXH="1" KHZH="查无开户信息"/>'
    batch = ZHXX.replace("</zhxxList>", other + "</zhxxList>")
    first, second = PROFILE.feedback(Role.QUERY_FEEDBACK, sent(batch), at=AT)
    assert (first.request_no, second.request_no) == (QUERY_NO, "QUERY-0002")
    [alone] = PROFILE.feedback(Role.QUERY_FEEDBACK, sent(ZHXX, mime=True), at=AT)
    assert alone.digest == first.digest != second.digest
    [unindented] = PROFILE.feedback(Role.QUERY_FEEDBACK, sent(re.sub(r">\s+<", "><", ZHXX)), at=AT)
    assert unindented.digest == first.digest
    changed = PROFILE.feedback(Role.QUERY_FEEDBACK, sent(ZHXX.replace("800.00", "900.00")), at=AT)
    assert changed[0].digest != first.digest


def test_the_same_results_sent_again_later_have_the_same_digest():
    """FKSJ is when the bank sent them: a feedback rebuilt on a retry is the same feedback."""
    [first] = PROFILE.feedback(Role.QUERY_FEEDBACK, sent(ZHXX), at=AT)
    later = ZHXX.replace('FKSJ="2026/11/28 10:00:00"', 'FKSJ="2026/11/30 10:05:00"')
    assert later != ZHXX
    [again] = PROFILE.feedback(Role.QUERY_FEEDBACK, sent(later), at=AT)
    assert again.digest == first.digest
    plain = BankProfile(encode_values=False)
    digests = {
        one.digest
        for text in (ZHXX, later)
        for one in plain.feedback(Role.QUERY_FEEDBACK, transported(text.encode("gbk")), at=AT)
    }
    assert len(digests) == 1


@pytest.mark.parametrize(
    ("attribute", "value"),
    [("YE", "1e30"), ("YE", "1E+10000000"), ("YE", "Infinity"), ("YE", "NaN"), ("YE", "1,000.00"),
     ("YE", "12.345"), ("YE", "1" * 17), ("DJJE", "1e30"), ("DJJE", "-10.00"), ("YE", "１２"),
     ("DJJE", "十万")],
)  # fmt: skip
def test_an_amount_that_is_not_one_fails_its_request_naming_it(attribute, value):
    document = ZHXX.replace('YE="12345.67"', f'YE="{value}"' if attribute == "YE" else 'YE="12345.67"')
    document = document.replace(
        'DJJE="10000.00"', f'DJJE="{value}"' if attribute == "DJJE" else 'DJJE="10000.00"'
    )
    [one] = PROFILE.feedback(Role.QUERY_FEEDBACK, sent(document), at=AT)
    started = time.process_time()
    with pytest.raises(FormatError) as refused:
        one.draft(query(), "bank-x", "BANK-0001")
    assert time.process_time() - started < 1
    assert refused.value.field == attribute and "zhxx[1]" in str(refused.value)


@pytest.mark.parametrize("attribute", ["SKJE", "CESKJE"])
def test_a_control_amount_that_is_not_one_fails_its_request_naming_it(attribute):
    [one] = PROFILE.feedback(
        Role.CONTROL_FEEDBACK,
        sent(
            f'<kzxxList><kzxx BDHM="DEDUCT-0001" CCXH="1" KZZT="1" {attribute}="1e30"/>'
            '<kzxx BDHM="DEDUCT-0001" CCXH="2" KZZT="2"/></kzxxList>'
        ),
        at=AT,
    )
    with pytest.raises(FormatError) as refused:
        one.draft(deduction(), "bank-x", "BANK-0001")
    assert refused.value.field == attribute


def test_an_overdrawn_account_shows_its_balance_and_has_no_value():
    asset, _ = fed(sent(ZHXX.replace('YE="12345.67"', 'YE="-12.50"')), query()).assets
    assert asset.value is None and "余额：-12.50" in asset.description


# --- hostile and broken documents


def test_hostile_and_broken_documents_are_refused_naming_the_field():
    entity = '<?xml version="1.0"?><!DOCTYPE z [<!ENTITY e "x">]><zhxxList><zhxx BDHM="&e;"/></zhxxList>'
    cases = {
        "DOCTYPE": transported(entity.encode()),
        "not base64": "<zhxxList><zhxx/></zhxxList>",
        "not well-formed": transported(b"<zhxxList><zhxx>"),
        "encoding ISO-8859-1": transported(b'<?xml version="1.0" encoding="ISO-8859-1"?><zhxxList/>'),
        "expected zhxxList": sent("<usermarker/>"),
        "no result": sent("<zhxxList/>"),
        "more than the limit": transported(b"<zhxxList>" + b" " * (16 * 1024 * 1024) + b"</zhxxList>"),
    }
    for why, argument in cases.items():
        with pytest.raises(FormatError, match=why) as error:
            PROFILE.feedback(Role.QUERY_FEEDBACK, argument, at=AT)
        assert error.value.field in ("arg1", "zhxxList"), why


def test_values_that_are_not_what_they_should_be_are_refused_naming_the_attribute():
    bdhm = base64.b64encode(QUERY_NO.encode()).decode()
    raw = transported(f'<zhxxList><zhxx BDHM="{bdhm}" KHZH="查无开户信息"/></zhxxList>'.encode())
    [one] = PROFILE.feedback(Role.QUERY_FEEDBACK, raw, at=AT)
    with pytest.raises(FormatError) as error:
        one.draft(query(), "bank-x", "BANK-0001")
    assert error.value.field == "KHZH" and "encode_values" in str(error.value)
    nul = base64.b64encode(b"\x00\x01").decode()
    control = transported(f'<zhxxList><zhxx BDHM="{bdhm}" KHZH="{nul}"/></zhxxList>'.encode())
    [one] = PROFILE.feedback(Role.QUERY_FEEDBACK, control, at=AT)
    with pytest.raises(FormatError, match="KHZH"):
        one.draft(query(), "bank-x", "BANK-0001")
    with pytest.raises(FormatError, match="BDHM"):
        PROFILE.feedback(Role.QUERY_FEEDBACK, sent('<zhxxList><zhxx KHZH="x"/></zhxxList>'), at=AT)


def test_gbk_written_under_either_declaration_is_read():
    plain = BankProfile(encode_values=False)
    body = f'<zhxxList><zhxx BDHM="{QUERY_NO}" CCXH="1" KHZH="查无开户信息"/></zhxxList>'
    declarations = (
        '<?xml version="1.0" encoding="GBK"?>',
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<?xml version='1.0'?>",
        "",
    )
    for declaration in declarations:
        [one] = plain.feedback(Role.QUERY_FEEDBACK, transported((declaration + body).encode("gbk")), at=AT)
        assert receipt(one.draft(query(), "bank-x", "BANK-0001"), Action.QUERY).outcome is Result.NOT_FOUND


# --- the answers to feedback and the errors


def test_the_answer_to_feedback_has_one_jg_per_bdhm_and_no_error_attribute():
    outcomes = [Outcome(QUERY_NO, True), Outcome("QUERY-0002", False, "请求不存在")]
    root = citic_read(PROFILE.feedback_answer(Role.QUERY_FEEDBACK, outcomes, at=AT))
    assert root.tag == "result" and dict(root.attrib) == {}
    [results] = root
    assert results.tag == "cxjglist"
    assert [citic_values(jg) for jg in results] == [
        {"bdhm": QUERY_NO, "result": "success", "msg": ""},
        {"bdhm": "QUERY-0002", "result": "fail", "msg": "请求不存在"},
    ]


@pytest.mark.parametrize(
    ("operation", "root", "names"),
    [
        ("getXzcxList", "cxqqList", {"errorMsg", "ErrorMSG"}),
        ("getXzkzList", "kzqqList", {"errorMsg", "ErrorMSG"}),
        ("cxwsInfo", "wsinfoList", {"errorMsg", "ErrorMSG"}),
        ("zjInfo", "zjinfoList", {"errorMsg", "ErrorMSG"}),
        ("shfeedXzcxInfo", "result", {"errorMsg", "errMsg"}),
        ("shfeedXzkzInfo", "result", {"errorMsg", "errMsg"}),
    ],
)
def test_an_error_is_where_each_client_looks_for_it(operation, root, names):
    answer = citic_read(PROFILE.error_answer(operation, "用户名或密码错误", at=AT))
    assert answer.tag == root and set(answer.attrib) == names
    assert {citic_text(value) for value in answer.attrib.values()} == {"用户名或密码错误"}
    if root == "result":
        assert [child.tag for child in answer] == ["cxjglist"]
    empty = citic_read(PROFILE.error_answer(operation, " ", at=AT))
    assert all(citic_text(value) for value in empty.attrib.values())


# --- the WSDL


def test_the_wsdl_loads_in_zeep_and_zeep_writes_the_calls_the_hub_reads():
    client = zeep.Client(str(SCHEMA_DIR / BankProfile.wsdl))
    service = client.service
    assert set(service._binding._operations) == set(BankProfile.roles)
    for name, operation in service._binding._operations.items():
        assert operation.soapaction == "", name
    message = client.create_message(service, "getXzcxList", USERMARKER)
    [call] = message.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert call.tag == f"{{{NS}}}getXzcxList"
    assert [(child.tag, child.text) for child in call] == [("arg0", USERMARKER)]
    [call] = client.create_message(service, "shfeedXzkzInfo", USERMARKER, "a2Y=").find(
        "{http://schemas.xmlsoap.org/soap/envelope/}Body"
    )
    assert [child.tag for child in call] == ["arg0", "arg1"]
    assert (
        client.wsdl.services["SyyhConvertDataService"].ports["SyyhConvertDataPort"].binding_options["address"]
        == "http://localhost/ws/ckw/UNIT"
    )


# Transported documents of the spec's constructed samples, verbatim (bank-samples/10-constructed-examples.txt,
# made by its make_constructed.py from the names in CITIC's bindings)
CONSTRUCTED = {
    "shfeedXzcxInfo.arg1": (
        "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz4KPHpoeHhMaXN0Pjx6aHh4IEJESE09Ik1qQXhOekEyTURFeE1U"
        "QXhNREV4TURBd01ERT0iIENDWEg9Ik1RPT0iIEtIWkg9Ik5qSXlNakF3TURBd01EQXdNREF3TURBd01RPT0iIENDTEI9InZlaTh4"
        "NytvIiBaSFpUPSIxZjJ6b3c9PSIgS0hXRD0iV0ZqV3A5RFEiIEtIV0RETT0iTVRBeU1UQXdNREF3TURrNSIgS0hSUT0iTWpBeE1D"
        "OHdNUzh3TVNBd01Eb3dNRG93TUE9PSIgWEhSUT0iIiBCWj0iUTA1WiIgWUU9Ik1USXpORFV1TmpjPSIgS1lZRT0iTWpNME5TNDJO"
        "dz09IiBHTFpKWkg9IiIgRktTSj0iTWpBeE55OHdOaTh3TWlBeE1Eb3dNRG93TUE9PSIgVFhEWj0ic2JHK3FjclFXRmpIK0E9PSIg"
        "WVpCTT0iTVRBd01EQXciIExYREg9Ik1UTTRNREF3TURBd01EQT0iIEJFSVo9IiI+PGRqeHhMaXN0Pjxkanh4IENTWEg9Ik1RPT0i"
        "IFpDWEg9IiIgSlJDUEJIPSIiIERKSlpSUT0iTWpBeE9DOHdNUzh3TVNBd01Eb3dNRG93TUE9PSIgREpKRz0iV0ZqSCtNakx3L0cz"
        "cU5TNiIgREpXSD0iS0RJd01UWXB2cWt3TVRBeDFyUXh1c1U9IiBESkpFPSJNVEF3TURBdU1EQT0iIEJFSVo9IiIvPjwvZGp4eExp"
        "c3Q+PHdseHhMaXN0Pjx3bHh4IFdMWEg9Ik1RPT0iIEpZWkw9IjE2clZ5dz09IiBaSkxYPSJ2ZWc9IiBCWj0iUTA1WiIgSkU9Ik1U"
        "QXdMakF3IiBKWVNKPSJNakF4Tnk4d05TOHdNU0F4TWpvd01Eb3dNQT09IiBKWUxTSD0iTURBd01EQXgiIFpDS1pYTT0iemZYTzVR"
        "PT0iIFpDS1pIPSJOakl5TWpBd01EQXdNREF3TURBd01EazVPUT09IiBaQ0taSEtISD0iV0ZqUytORFEiIEpZRFNZSEhIPSIiIEpZ"
        "RFNaSkxYPSIiIEpZRFNaSkhNPSIiIEpZRFNUWERaPSIiIEpZRFNZWkJNPSIiIEpZRFNMWERIPSIiIEJFSVo9IiIvPjwvd2x4eExp"
        "c3Q+PC96aHh4Pjwvemh4eExpc3Q+"
    ),
    "shfeedXzcxInfo.arg1.noaccount": (
        "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz4KPHpoeHhMaXN0Pjx6aHh4IEJESE09Ik1qQXhOekEyTURFeE1U"
        "QXhNREV4TURBd01EST0iIENDWEg9Ik1RPT0iIEtIWkg9InN1bk8zcitxdTZmUXhjK2kiIEZLU0o9Ik1qQXhOeTh3Tmk4d01pQXhN"
        "RG93TURvd01BPT0iLz48L3poeHhMaXN0Pg=="
    ),
    "shfeedXzkzInfo.arg1": (
        "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz4KPGt6eHhMaXN0Pjxrenh4IEJESE09Ik1qQXhOekEyTURFeE1U"
        "QXhNREV5TURBd01ERT0iIENDWEg9Ik1RPT0iIEtIWkg9Ik5qSXlNakF3TURBd01EQXdNREF3TURBd01RPT0iIEpSQ1BCSD0iIiBM"
        "Q1pIPSIiIEtaTlI9Ik1RPT0iIEtaWlQ9Ik1RPT0iIFlFPSJNVEl6TkRVdU5qYz0iIEtZWUU9Ik1qTTBOUzQyTnc9PSIgQ1NLU1JR"
        "PSJNakF4Tnkwd05pMHdNUT09IiBDU0pTUlE9Ik1qQXhPQzB3TlMwek1RPT0iIERKWEU9Ik1UQXdNREF3TGpBdyIgU0tTRT0iIiBT"
        "S0pFPSJNak0wTlM0Mk53PT0iIENFU0tKRT0iT1RjMk5UUXVNek09IiBXTktaWVk9IiIgQkVJWj0iIj48ZGp4eExpc3Q+PGRqeHgg"
        "QkRITT0iTWpBeE56QTJNREV4TVRBeE1ERXlNREF3TURFPSIgQ0NYSD0iTVE9PSIgQ1NYSD0iTVE9PSIgSlJDUEJIPSIiIERKSkc9"
        "IldGakgrTWpMdy9HM3FOUzYiIERKV0g9IktESXdNVFlwdnFrd01UQXgxclF4dXNVPSIgREpKRT0iTVRBd01EQXVNREE9IiBESkpa"
        "UlE9Ik1qQXhPQzh3TVM4d01RPT0iIEJFSVo9IiIvPjwvZGp4eExpc3Q+PC9renh4Pjxrenh4IEJESE09Ik1qQXhOekEyTURFeE1U"
        "QXhNREV5TURBd01ERT0iIENDWEg9Ik1nPT0iIEtIWkg9Ik5qSXlNakF3TURBd01EQXdNREF3TURBd01nPT0iIEtaTlI9Ik1RPT0i"
        "IEtaWlQ9Ik1nPT0iIFdOS1pZWT0iMWN1N3A5TFJ6L3E3cHc9PSIvPjwva3p4eExpc3Q+"
    ),
}
