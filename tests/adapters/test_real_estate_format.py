"""The real-estate registry's format: standard requests out, registry answers back, on recorded documents."""

from copy import deepcopy
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from adapters.formats import FORMATS, FormatError
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.standard import NS
from hub.standard.codes import Action, AssetClass, AssetStatus, Outcome, ReasonCode
from hub.standard.documents import AssistanceReceipt, Owner
from hub.standard.rules import inspect, receipt_problems
from schemas import EXAMPLES_DIR

RECORDED = Path(__file__).parent / "recorded" / "real-estate"
FORMAT = FORMATS["real-estate"]
UNIT_NO = "222426001001GB00012F00010023"
SECOND_UNIT_NO = "222426001001GB00012F00010024"
REQUESTS = {
    "query": EXAMPLES_DIR / "request-query.xml",
    "seal": EXAMPLES_DIR / "request-seal.xml",
    "renew": RECORDED / "court-request-renew.xml",
    "release": RECORDED / "court-request-release.xml",
}


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def canonical(data: bytes) -> bytes:
    return etree.tostring(etree.fromstring(data, etree.XMLParser(remove_blank_text=True)), method="c14n")


def decode(answer: bytes, request: str | bytes, *, receipt_no: str = "") -> bytes:
    document = REQUESTS[request].read_bytes() if isinstance(request, str) else request
    return FORMAT.decode_answer(answer, request=document, unit_code="real-estate", receipt_no=receipt_no)


def checked(data: bytes, action: Action) -> AssistanceReceipt:
    """The receipt as the hub reads it, after the same checks receipts/service.py applies."""
    receipt = inspect(data, expect="receipt").receipt
    assert receipt_problems(receipt, action=action) == []
    return receipt


def edited(data: bytes, *changes: tuple[str, str]) -> bytes:
    text = data.decode()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode()


def two_item_seal() -> bytes:
    """The seal example with a second flat of the same building."""
    tree = etree.fromstring(REQUESTS["seal"].read_bytes())
    items = tree.find(f"{{{NS}}}Items")
    second = deepcopy(items[0])
    second.find(f"{{{NS}}}AssetId").text = SECOND_UNIT_NO
    second.remove(second.find(f"{{{NS}}}Description"))
    items.append(second)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


# --- standard request -> the registry's request


@pytest.mark.parametrize("name", list(REQUESTS))
def test_requests_map_to_the_recorded_registry_requests(name):
    produced = FORMAT.encode_request(REQUESTS[name].read_bytes())
    assert canonical(produced) == canonical(recorded(f"registry-request-{name}.xml"))
    assert produced.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_a_seal_names_control_code_period_certificate_and_ruling():
    kz = etree.fromstring(FORMAT.encode_request(REQUESTS["seal"].read_bytes())).find("KZXX/KZ")
    assert [kz.findtext(n) for n in ("KZCS", "BDCDYH", "BDCQZH", "KSRQ", "JSRQ", "CKWH")] == [
        "11",
        UNIT_NO,
        "吉(2019)安图县不动产权第0001234号",
        "2026-11-27",
        "2029-11-26",
        "（2026）吉2426执156号",
    ]
    assert kz.find("YCFYWH") is None and kz.find("SFHF") is None


def test_renew_and_release_name_the_seal_they_act_on():
    for name, code in (("renew", "12"), ("release", "14")):
        kz = etree.fromstring(FORMAT.encode_request(REQUESTS[name].read_bytes())).find("KZXX/KZ")
        assert (kz.findtext("KZCS"), kz.findtext("YCFYWH")) == (code, "CF-2026-000317")
    release = etree.fromstring(FORMAT.encode_request(REQUESTS["release"].read_bytes())).find("KZXX/KZ")
    assert release.find("KSRQ") is None and release.find("BDCQZH") is None


def test_an_organization_and_a_flexible_seal():
    document = edited(
        REQUESTS["seal"].read_bytes(),
        ('<Subject kind="person">', '<Subject kind="organization">'),
        ("<Name>赵六</Name>", "<Name>安图县兴安商贸有限公司</Name>"),
        ("<IdType>RESIDENT_ID</IdType>", "<IdType>USCC</IdType>"),
        ("22242619790605003X", "91222426MA0Y8K3P10"),
        ('end="2029-11-26"/>', 'end="2029-11-26"/><Flexible custodian="赵六" permittedUse="继续经营"/>'),
    )
    root = etree.fromstring(FORMAT.encode_request(document))
    assert [root.findtext(n) for n in ("XM", "ZJZL", "ZJH")] == [
        "安图县兴安商贸有限公司",
        "6",
        "91222426MA0Y8K3P10",
    ]
    kz = root.find("KZXX/KZ")
    assert [kz.findtext(n) for n in ("SFHF", "BGR", "YXSY")] == ["1", "赵六", "继续经营"]


@pytest.mark.parametrize("example", ["request-freeze.xml", "request-seize.xml", "request-locate-person.xml"])
def test_actions_the_registry_does_not_perform_are_refused(example):
    with pytest.raises(
        FormatError, match=r"^Action: the real-estate format carries QUERY, RELEASE, RENEW, SEAL"
    ):
        FORMAT.encode_request((EXAMPLES_DIR / example).read_bytes())


def test_an_item_the_registry_does_not_hold_is_refused():
    # the example renews a housing-fund freeze: a fund account is no real estate
    with pytest.raises(FormatError, match=r"^AssetClass: .*not FUND_ACCOUNT \(Items/Item\[1\]\)") as error:
        FORMAT.encode_request((EXAMPLES_DIR / "request-renew.xml").read_bytes())
    assert error.value.field == "AssetClass"


def test_an_asset_id_that_is_no_unit_number_is_refused():
    document = edited(
        REQUESTS["seal"].read_bytes(), (f"<AssetId>{UNIT_NO}", "<AssetId>吉(2019)安图县不动产权第0001234号")
    )
    with pytest.raises(FormatError, match=r"^BDCDYH: .*不动产单元号.*Items/Item\[1\]/AssetId"):
        FORMAT.encode_request(document)


def test_a_request_that_breaks_the_standard_is_refused():
    document = edited(REQUESTS["seal"].read_bytes(), ("22242619790605003X", "222426197906050031"))
    with pytest.raises(FormatError, match=r"^AssistanceRequest: not a valid standard request: .*check digit"):
        FORMAT.encode_request(document)


# --- the registry's answer -> standard receipt


def test_query_found_two_properties_one_co_owned():
    receipt = checked(decode(recorded("registry-answer-query-found.xml"), "query"), Action.QUERY)
    assert (receipt.request_no, receipt.unit_code, receipt.receipt_no) == (
        "AT-2026-000101",
        "real-estate",
        "BDCFK-2026-1130-0007",
    )
    assert receipt.handled_at == datetime.fromisoformat("2026-11-30T10:00:00+08:00")
    assert receipt.handled_at.utcoffset() == timedelta(hours=8)
    assert (receipt.handler_name, receipt.handler_phone, receipt.final) == ("刘敏", "0433-5552210", True)
    assert receipt.outcome is Outcome.FOUND and receipt.controls == []
    flat, shop = receipt.assets
    assert (flat.asset_class, flat.asset_id, flat.status) == (
        AssetClass.REAL_ESTATE,
        UNIT_NO,
        AssetStatus.MORTGAGED,
    )
    assert flat.owners == [Owner("赵六", "1/1")]
    assert flat.description.startswith("吉(2019)安图县不动产权第0001234号，安图县明月镇东山路18号")
    assert "住宅" in flat.description and "面积89.62平方米" in flat.description
    assert (shop.asset_id, shop.status) == ("222426002003GB00045F00020011", AssetStatus.SEALED)
    assert shop.owners == [Owner("赵六", "1/2"), Owner("孙丽", "1/2")]
    assert "已被查封（延吉市人民法院，（2025）吉2401执888号，2025-06-01至2028-05-31）" in shop.description


def test_a_seal_listed_or_only_flagged_makes_the_property_sealed():
    found = recorded("registry-answer-query-found.xml")
    listed = edited(found, ("<SFCF>1</SFCF>", "<SFCF>0</SFCF>"))
    assert checked(decode(listed, "query"), Action.QUERY).assets[1].status is AssetStatus.SEALED
    start, end = found.index(b"      <CFXX>"), found.index(b"</CFXX>\n") + len(b"</CFXX>\n")
    shop = checked(decode(found[:start] + found[end:], "query"), Action.QUERY).assets[1]
    assert shop.status is AssetStatus.SEALED and shop.description.endswith("，已查封")


def test_query_nothing_found_is_still_an_answer():
    receipt = checked(decode(recorded("registry-answer-query-none.xml"), "query"), Action.QUERY)
    assert (receipt.outcome, receipt.assets, receipt.receipt_no) == (
        Outcome.NOT_FOUND,
        [],
        "BDCFK-2026-1130-0008",
    )
    without_block = edited(recorded("registry-answer-query-none.xml"), ("  <CXJG/>\n", ""))
    assert checked(decode(without_block, "query"), Action.QUERY).outcome is Outcome.NOT_FOUND


@pytest.mark.parametrize(
    ("unit_no", "asset_class"),
    [
        ("222426001001GB00012W00000000", AssetClass.LAND_RIGHT),
        ("222426003001JA00007L00000001", AssetClass.FOREST_RIGHT),
    ],
)
def test_land_and_forest_units_keep_their_class(unit_no, asset_class):
    answer = edited(recorded("registry-answer-query-found.xml"), (f"<BDCDYH>{UNIT_NO}", f"<BDCDYH>{unit_no}"))
    assert checked(decode(answer, "query"), Action.QUERY).assets[0].asset_class is asset_class


def test_seal_done_takes_the_period_the_registry_registered():
    receipt = checked(decode(recorded("registry-answer-seal-done.xml"), "seal"), Action.SEAL)
    assert (receipt.outcome, receipt.reason_code, receipt.receipt_no) == (
        Outcome.CONTROLLED,
        None,
        "BDCFK-2026-1128-0042",
    )
    [control] = receipt.controls
    assert (control.asset_class, control.asset_id, control.registration_no) == (
        AssetClass.REAL_ESTATE,
        UNIT_NO,
        "CF-2026-000317",
    )
    # the registry sealed a day later than asked: its dates, not the request's, are the control's
    assert (control.period.start, control.period.end) == (date(2026, 11, 28), date(2029, 11, 27))
    assert control.queue_position is None


def test_seal_unable_in_gb18030_carries_the_registrys_reason():
    answer = recorded("registry-answer-seal-unable.xml")
    assert answer.startswith(b'<?xml version="1.0" encoding="GB18030"?>')
    receipt = checked(decode(answer, "seal"), Action.SEAL)
    assert (receipt.outcome, receipt.reason_code, receipt.controls) == (Outcome.UNABLE, ReasonCode.OTHER, [])
    assert (
        receipt.reason_text
        == "该不动产单元已于2026年10月15日办理转移登记，现登记权利人非被执行人，无法查封。"
    )
    # FKBH 不动产反馈〔2026〕0043号 is no ReceiptNo: a digest of it is, the same every time
    assert receipt.receipt_no.startswith("RE-") and len(receipt.receipt_no) == 35
    assert decode(answer, "seal") == decode(answer, "seal", receipt_no="IGNORED-0001")


def test_renew_done_in_compact_dates():
    receipt = checked(decode(recorded("registry-answer-renew-done.xml"), "renew"), Action.RENEW)
    assert receipt.outcome is Outcome.CONTROLLED
    assert receipt.handled_at == datetime.fromisoformat("2029-11-05T14:30:00+08:00")
    assert (receipt.handler_name, receipt.handler_phone) == ("王丹", None)
    [control] = receipt.controls
    assert (control.registration_no, control.period.start, control.period.end) == (
        "XF-2029-000088",
        date(2029, 11, 28),
        date(2032, 11, 27),
    )


def test_release_done_names_the_seal_lifted():
    receipt = checked(decode(recorded("registry-answer-release-done.xml"), "release"), Action.RELEASE)
    assert receipt.outcome is Outcome.RELEASED and receipt.reason_code is None
    [control] = receipt.controls
    assert (control.asset_id, control.registration_no, control.period) == (UNIT_NO, "CF-2026-000317", None)


def test_release_without_cfywh_uses_the_requests_original():
    answer = edited(
        recorded("registry-answer-release-done.xml"),
        ("      <CFYWH>CF-2026-000317</CFYWH>\n", ""),
    )
    [control] = checked(decode(answer, "release"), Action.RELEASE).controls
    assert control.registration_no == "CF-2026-000317"


def test_a_seal_on_the_waiting_list():
    answer = edited(
        recorded("registry-answer-seal-done.xml"), ("</CSJSRQ>", "</CSJSRQ>\n      <LHSX>2</LHSX>")
    )
    receipt = checked(decode(answer, "seal"), Action.SEAL)
    assert receipt.outcome is Outcome.WAITLISTED
    assert [c.queue_position for c in receipt.controls] == [2]


def _two_item_answer(second: str) -> bytes:
    record = f"""    <KZ>
      <BDCDYH>{SECOND_UNIT_NO}</BDCDYH>
      <KZCS>11</KZCS>
{second}
    </KZ>
  </KZJG>"""
    return edited(recorded("registry-answer-seal-done.xml"), ("  </KZJG>", record))


def test_one_item_sealed_and_one_not_is_partial():
    answer = _two_item_answer("      <KZZT>2</KZZT>\n      <WNKZYY>该单元存在预告登记，无法查封。</WNKZYY>")
    receipt = checked(decode(answer, two_item_seal()), Action.SEAL)
    assert receipt.outcome is Outcome.PARTIAL and receipt.reason_code is ReasonCode.OTHER
    assert receipt.reason_text == f"{SECOND_UNIT_NO}：该单元存在预告登记，无法查封。"
    assert [c.asset_id for c in receipt.controls] == [UNIT_NO]


def test_sealed_and_waitlisted_in_one_answer_cannot_be_one_receipt():
    answer = _two_item_answer(
        "      <KZZT>1</KZZT>\n      <CFYWH>CF-2026-000318</CFYWH>\n      <LHSX>1</LHSX>"
    )
    with pytest.raises(FormatError, match=r"^LHSX: some items were sealed and others waitlisted"):
        decode(answer, two_item_seal())


def test_an_answer_without_fkbh_takes_the_adapters_receipt_no():
    answer = edited(recorded("registry-answer-seal-done.xml"), ("  <FKBH>BDCFK-2026-1128-0042</FKBH>\n", ""))
    assert (
        checked(decode(answer, "seal", receipt_no="RE-TASK-0042"), Action.SEAL).receipt_no == "RE-TASK-0042"
    )
    with pytest.raises(FormatError, match=r"^FKBH: missing, and receipt_no '' is no ReceiptNo"):
        decode(answer, "seal")


SEAL_DONE = "registry-answer-seal-done.xml"


@pytest.mark.parametrize(
    ("request_name", "changes", "message"),
    [
        (
            "seal",
            [("<KZZT>1</KZZT>", "<KZZT>9</KZZT>")],
            r"^KZZT: expected 1 or 2, got '9' \(KZJG/KZ\[1\]\)$",
        ),
        ("seal", [("<KZZT>1</KZZT>", "<KZZT>2</KZZT>")], r"^WNKZYY: required, but missing or empty"),
        ("seal", [("<KZCS>11</KZCS>", "<KZCS>14</KZCS>")], r"^KZCS: expected 11 for SEAL, got '14'"),
        ("seal", [("<CFYWH>CF-2026-000317</CFYWH>", "")], r"^CFYWH: a done item \(KZZT 1\) needs"),
        ("seal", [("<CSKSRQ>2026-11-28</CSKSRQ>", "")], r"^CSKSRQ: CSKSRQ and CSJSRQ go together"),
        (
            "seal",
            [("2029-11-27", "2029-02-30")],
            r"^CSJSRQ: expected a date yyyy-MM-dd or yyyyMMdd, got '2029-02-30'",
        ),
        ("seal", [("2029-11-27", "2026-11-01")], r"^CSJSRQ: the period ends \(2026-11-01\) before it starts"),
        ("seal", [("2026-11-28 09:15:00", "28/11/2026")], r"^FKSJ: expected Beijing time"),
        ("seal", [("<JBR>刘敏</JBR>", "")], r"^JBR: required"),
        ("seal", [("0433-5552210", "分机5")], r"^LXDH: expected a phone number"),
        (
            "seal",
            [("<CXQQDH>AT-2026-000102", "<CXQQDH>AT-2026-000999")],
            r"^CXQQDH: the answer is to 'AT-2026-000999'",
        ),
        (
            "seal",
            [("<YWLX>KZ</YWLX>", "<YWLX>CX</YWLX>")],
            r"^YWLX: expected KZ for a SEAL request, got 'CX'",
        ),
        ("seal", [(f"<BDCDYH>{UNIT_NO}", f"<BDCDYH>{SECOND_UNIT_NO}")], r"^BDCDYH: .*0024 is not an item of"),
        (
            "seal",
            [("<KZJG>", "<KZJG-GONE>"), ("</KZJG>", "</KZJG-GONE>")],
            rf"^KZJG: no <KZ> answers BDCDYH {UNIT_NO}",
        ),
        (
            "seal",
            [("<BDCFK>", "<FKXX>"), ("</BDCFK>", "</FKXX>")],
            r"^BDCFK: expected the answer's root element BDCFK",
        ),
        ("seal", [("</BDCFK>", "")], r"^BDCFK: the answer cannot be read: not well-formed XML"),
        ("seal", [('encoding="UTF-8"', 'encoding="GBK"')], r"^BDCFK: .*encoding GBK is not allowed"),
        (
            "renew",
            [("</CSJSRQ>", "</CSJSRQ><LHSX>1</LHSX>")],
            r"^LHSX: only a seal \(KZCS 11\) waits in line",
        ),
    ],
)
def test_a_bad_answer_names_the_field(request_name, changes, message):
    source = SEAL_DONE if request_name == "seal" else f"registry-answer-{request_name}-done.xml"
    with pytest.raises(FormatError, match=message):
        decode(edited(recorded(source), *changes), request_name)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([("<SFDY>1</SFDY>", "<SFDY>Y</SFDY>")], r"^SFDY: expected 0 or 1, got 'Y' \(CXJG/BDC\[1\]\)"),
        ([("<MJ>89.62</MJ>", "<MJ>约90</MJ>")], r"^MJ: expected an area in square metres"),
        (
            [("<QLBL>50%</QLBL>", "<QLBL>一半</QLBL>")],
            r"^QLBL: expected a share such as 1/2 or 50%, got '一半' \(CXJG/BDC\[2\]/QLRXX/QLR\[1\]\)",
        ),
        ([("<QLBL>50%</QLBL>", "")], r"^QLBL: an owner in shares \(GYFS 2\) needs a share"),
        ([("<GYFS>0</GYFS>", "<GYFS>7</GYFS>")], r"^GYFS: expected one of 0, 1, 2, 3, got '7'"),
        ([(f"<BDCDYH>{UNIT_NO}", "<BDCDYH>222426-0010")], r"^BDCDYH: expected a 28-character 不动产单元号"),
        (
            [("<CFJSRQ>20280531", "<CFJSRQ>2028.05.31")],
            r"^CFJSRQ: expected a date .*\(CXJG/BDC\[2\]/CFXX/CF\[1\]\)",
        ),
    ],
)
def test_a_bad_query_answer_names_the_field(changes, message):
    with pytest.raises(FormatError, match=message):
        decode(edited(recorded("registry-answer-query-found.xml"), *changes), "query")


def test_a_receipt_the_standard_would_refuse_is_not_produced():
    with pytest.raises(
        FormatError, match=r"^BDCFK: the answer maps to a receipt the standard refuses: .*UnitCode"
    ):
        FORMAT.decode_answer(
            recorded(SEAL_DONE),
            request=REQUESTS["seal"].read_bytes(),
            unit_code="Real Estate",
            receipt_no="",
        )


def test_the_format_carries_what_the_real_estate_unit_does():
    unit = load_directory(BUNDLED_DIRECTORY).unit("real-estate")
    assert FORMAT.name == "real-estate"
    assert FORMAT.actions == frozenset(unit.actions)
