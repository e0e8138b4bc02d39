"""A real-estate registry's system pointed at the hub's 查控 service, calling as its own Axis 1 client does.

The hub runs as `hub serve` on loopback; the registry is Apache Axis 1.4 (tests/ckw/axis_client.py) making
the calls of BdcCourtKzJhSoapServiceImpl, with the arguments its client builds (registry_side.py).
"""

import base64
import json
import sys
from pathlib import Path

import httpx
import pytest
from axis_client import AxisFault, axis_call, axis_calls
from conftest import cloned_database, edit, example, example_file, multipart, token_issuer
from live import served_hub
from registry_side import decode_answer, feedkz, usermarker, wsbhinfo
from sqlalchemy import func, select

from hub.auth.lockout import lift
from hub.db import unit_of_work
from hub.models import AuditEvent, Receipt, User

pytestmark = pytest.mark.db  # one served hub per module, over a database cloned like database_url's
HUB = Path(sys.executable).parent / "hub"
PASSWORD = "registry-secret-42"
SEAL_NO, UNIT_NO = "AT-2026-000102", "222426001001GB00012F00010023"


@pytest.fixture(scope="module")
def served(template: str, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("ckw")
    with (
        cloned_database(template, folder) as url,
        served_hub(url, folder, HUB_CKW_REAL_ESTATE_PASSWORD=PASSWORD) as served,
    ):
        yield served


@pytest.fixture(scope="module")
def sealed(served):
    """The officer's seal, sent to the registry (with its ruling and notice)."""
    base, hub = served
    officer = token_issuer(hub)("officer")
    with unit_of_work(hub.sessions) as session:
        user = session.execute(select(User).where(User.username == "officer")).scalar_one()
        user.work_card_no = "GZ2426-0031"
        user.work_card_sha256 = hub.blobs.put(session, PNG)
    response = httpx.post(
        f"{base}/api/v1/requests",
        files=multipart(example("request-seal.xml"), "ruling.pdf", "notice.pdf"),
        headers=officer,
    )
    assert response.status_code == 201, response.text
    return response.json()


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 16


def endpoint(base: str) -> str:
    return f"{base}/ws/ckw/real-estate"


def test_the_registry_fetches_a_seal_its_documents_and_the_officer_then_feeds_back(served, sealed):
    base, hub = served
    marker = usermarker("bdc-antu", PASSWORD)
    listed, documents, cards = axis_calls(
        endpoint(base),
        [
            ("kzBdcQL", [marker]),
            ("kzwsInfo", [marker, wsbhinfo(SEAL_NO)]),
            ("zjInfo", [marker, wsbhinfo(SEAL_NO)]),
        ],
    )
    answer = decode_answer(listed)
    assert answer.get("ErrorMSG") is None
    [seal] = [q for q in answer.iterfind("Data/BDCKZQQLIST/BDCKZQQ") if q.findtext("CXQQDH") == SEAL_NO]
    assert (seal.findtext("XM"), seal.findtext("ZJH"), seal.findtext("FYMC")) == (
        "赵六",
        "22242619790605003X",
        "安图县人民法院",
    )
    assert seal.findtext("AH") == "（2026）吉2426执156号" and seal.findtext("CBR") == "张三"
    [item] = seal.iterfind("BDCQLLIST/BDCQL")
    assert (item.findtext("KZCS"), item.findtext("BDCDYH")) == ("11", UNIT_NO)
    assert (item.findtext("KSRQ"), item.findtext("JSRQ")) == ("2026/11/27", "2029/11/26")

    # saved as the client saves them: WJMC + "." + WJLX
    infos = decode_answer(documents).iterfind(".//WSINFO")
    files = {f"{w.findtext('WJMC')}.{w.findtext('WJLX')}": w.findtext("WSNR") for w in infos}
    assert set(files) == {"ruling.pdf", "notice.pdf"}

    assert base64.b64decode(files["ruling.pdf"]) == example_file("ruling.pdf")
    zj = decode_answer(cards)
    assert zj.get("ErrorMSG") is None and "GZ2426-0031" in [e.text for e in zj.iter()]

    fed = feedkz(
        SEAL_NO, kzzt=1, unit_no=UNIT_NO, cfywh="CF2026112700017", start="2026/11/30", end="2029/11/29"
    )
    first, again, listed_after = axis_calls(
        endpoint(base),
        [("feedkzBdcQL", [marker, fed]), ("feedkzBdcQL", [marker, fed]), ("kzBdcQL", [marker])],
    )
    for result in (first, again):
        [jg] = decode_answer(result).iterfind(".//JG")
        assert (jg.findtext("CXQQDH"), jg.findtext("RESULT")) == (SEAL_NO, "success")
    assert SEAL_NO not in [q.findtext("CXQQDH") for q in decode_answer(listed_after).iter("BDCKZQQ")]

    officer = token_issuer(hub)("officer")
    [control] = httpx.get(f"{base}/api/v1/controls?status=ACTIVE", headers=officer).json()["items"]
    assert (control["asset_id"], control["registration_no"]) == (UNIT_NO, "CF2026112700017")
    assert (control["period_start"], control["period_end"]) == ("2026-11-30", "2029-11-29")
    with unit_of_work(hub.sessions) as session:
        assert session.execute(select(func.count()).select_from(Receipt)).scalar_one() == 1
        calls = session.execute(select(AuditEvent).where(AuditEvent.kind == "ckw.call")).scalars().all()
        assert {json.loads(c.data)["operation"] for c in calls} >= {
            "kzBdcQL",
            "kzwsInfo",
            "zjInfo",
            "feedkzBdcQL",
        }

    # the registry withdraws its registration: the control ends, and says so
    withdrawn = feedkz(SEAL_NO, kzzt=2, unit_no=UNIT_NO, cfywh="CF2026112700017", reason="登记已撤销",
                       at="2026/12/01 09:00:00")  # fmt: skip
    [jg] = decode_answer(axis_call(endpoint(base), "feedkzBdcQL", marker, withdrawn)).iterfind(".//JG")
    assert jg.findtext("RESULT") == "success", jg.findtext("MSG")
    [control] = httpx.get(f"{base}/api/v1/controls?status=WITHDRAWN", headers=officer).json()["items"]
    assert control["registration_no"] == "CF2026112700017"


def test_a_wrong_password_gets_an_error_and_no_data_and_locks_like_a_sign_in(served, sealed):
    base, hub = served
    right, wrong = usermarker("bdc-antu", PASSWORD), usermarker("bdc-antu", "guess")
    answers = axis_calls(
        endpoint(base), [("kzBdcQL", [wrong])] * 5 + [("kzBdcQL", [right])], return_faults=True
    )
    for answer in answers[:5]:
        root = decode_answer(answer)
        assert root.get("ErrorMSG") == "用户名或密码错误" and root.find(".//BDCKZQQ") is None
    # locked: a Fault before the body is read, whatever the usermarker says
    assert isinstance(answers[5], AxisFault) and "锁定" in answers[5].string
    with unit_of_work(hub.sessions) as session:
        refused = session.execute(select(AuditEvent).where(AuditEvent.kind == "ckw.call")).scalars().all()
        assert sum(json.loads(e.data).get("refused") == "用户名或密码错误" for e in refused) == 5
        lift(session, username="ckw:real-estate")  # as an administrator lifts it
    assert decode_answer(axis_call(endpoint(base), "kzBdcQL", right)).get("ErrorMSG") is None


@pytest.mark.parametrize(
    ("body", "fault"),
    [
        (b'<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>', "DOCTYPE"),
        (b"not xml at all", "无法解析"),
        (b'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>', "SOAP 1.1"),
        (
            b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>',
            "没有调用",
        ),
    ],
)
def test_a_broken_envelope_gets_a_soap_fault_the_client_reads(served, body, fault):
    base, _ = served
    response = httpx.post(endpoint(base), content=body, headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.status_code == 500 and response.headers["content-type"].startswith("text/xml")
    assert fault in response.text and "<faultcode>" in response.text


def test_an_address_without_the_service_is_not_found(served):
    base, _ = served
    response = httpx.post(f"{base}/ws/ckw/vehicles", content=b"<x/>", headers={"Content-Type": "text/xml"})
    assert response.status_code == 404


QUERY_NO = "AT-2026-000101"
# The flat as the registry's client answered in a capture (tests/ckw/recorded/real-estate): a flat, its two
# owners with their shares, a mortgage of 50 万元 (the 登记簿's unit) and an earlier seal; the values as they
# are before the client encodes them.
FLAT = (
    "<Message><Head><CREATETIME>2026/11/30 15:02:11</CREATETIME><DIGITALSIGN>digitalsign</DIGITALSIGN>"
    "<RESPONSECODE>0000</RESPONSECODE></Head><Data><BDCFKLIST><BDCCXJG><CXQQDH>{no}</CXQQDH><RESULT>0000</RESULT>"
    "<FDCQLIST><BDCDYH>222426001001GB00012F00010023</BDCDYH><FDZL>安图县明月镇东山路18号兴安小区3号楼2单元302室</FDZL>"
    "<JZMJ>89.50</JZMJ><GHYT>10</GHYT><BDCQZH>吉(2019)安图县不动产权第0001234号</BDCQZH>"
    "<DJJG>安图县不动产登记中心</DJJG><YWH>XMID001</YWH>"
    "<QLRXXLIST><SXH>1</SXH><QLRMC>赵六</QLRMC><ZJZL>1</ZJZL><ZJH>22242619790605003X</ZJH><QLBL>50%</QLBL>"
    "<GYFS>2</GYFS></QLRXXLIST>"
    "<QLRXXLIST><SXH>2</SXH><QLRMC>钱七</QLRMC><ZJZL>1</ZJZL><ZJH>222426198002020021</ZJH><QLBL>50%</QLBL>"
    "<GYFS>2</GYFS></QLRXXLIST></FDCQLIST>"
    "<DYAQLIST><BDCDYH>222426001001GB00012F00010023</BDCDYH><DYR>赵六</DYR><BDBZZQSE>50.00</BDBZZQSE>"
    "<ZWLXQSSJ>2020/01/01</ZWLXQSSJ><ZWLXJSSJ>2040/01/01</ZWLXJSSJ>"
    "<BDCDJZMH>吉(2020)安图县不动产证明第0000009号</BDCDJZMH><DYQR>中国银行安图支行</DYQR></DYAQLIST>"
    "<CFDJLIST><BDCDYH>222426001001GB00012F00010023</BDCDYH><CFJG>延边朝鲜族自治州中级人民法院</CFJG>"
    "<CFLX>1</CFLX><CFWH>(2025)吉24执12号</CFWH><CFQSSJ>2025/01/02</CFQSSJ><CFJSSJ>2028/01/01</CFJSSJ>"
    "<CFYWH>XMID009</CFYWH></CFDJLIST></BDCCXJG></BDCFKLIST></Data></Message>"
)


def test_a_generated_client_answers_a_query_with_a_flat_its_owners_a_mortgage_and_a_seal(served):
    """zeep, generated from the hub's WSDL (document/literal), as a CXF or Axis2 client would be."""
    import zeep
    from conftest import sign_in
    from fastapi.testclient import TestClient
    from registry_side import encode_values

    from hub.app import create_app

    base, hub = served
    officer = token_issuer(hub)("officer")
    response = httpx.post(
        f"{base}/api/v1/requests",
        files=multipart(example("request-query.xml"), "notice.pdf"),
        headers=officer,
    )
    assert response.status_code == 201, response.text
    request_id = response.json()["id"]

    client = zeep.Client(f"{base}/ws/ckw/real-estate?wsdl")
    marker = usermarker("bdc-antu", PASSWORD)
    listed = decode_answer(client.service.cxBdcQL(arg0=marker))
    [query] = [q for q in listed.iter("BDCCXQQ") if q.findtext("CXQQDH") == QUERY_NO]
    assert query.findtext("XM") and query.findtext("ZJH")

    answer = decode_answer(
        client.service.feedBdcQL(arg0=marker, arg1=encode_values(FLAT.format(no=QUERY_NO)))
    )
    [jg] = answer.iter("JG")
    assert jg.findtext("RESULT") == "success", jg.findtext("MSG")

    tasks = httpx.get(f"{base}/api/v1/requests/{request_id}", headers=officer).json()["tasks"]
    [task] = [t for t in tasks if t["unit_code"] == "real-estate"]
    [receipt] = httpx.get(f"{base}/api/v1/tasks/{task['id']}/receipts", headers=officer).json()
    assert receipt["outcome"] == "FOUND"
    [flat] = receipt["assets"]
    assert flat["asset_id"] == "222426001001GB00012F00010023"
    assert sorted(o["name"] for o in flat["owners"]) == ["赵六", "钱七"]
    kinds = {e["kind"]: e for e in flat["encumbrances"]}
    assert kinds["MORTGAGE"]["holder"] == "中国银行安图支行" and kinds["MORTGAGE"]["amount"] == "500000.00"
    assert (
        kinds["SEAL"]["holder"] == "延边朝鲜族自治州中级人民法院"
        and kinds["SEAL"]["reference"] == "(2025)吉24执12号"
    )

    with TestClient(create_app(hub.settings, hub), follow_redirects=False) as pages:
        sign_in(pages, "officer")
        page = pages.get(f"/requests/{request_id}").text
    for shown in (
        "赵六",
        "钱七",
        "中国银行安图支行",
        "500,000.00",
        "延边朝鲜族自治州中级人民法院",
        "(2025)吉24执12号",
    ):
        assert shown in page, shown


def test_a_search_that_failed_at_the_registry_is_shown_to_the_officer_never_as_nothing_found(served):
    from registry_side import encode_values

    base, hub = served
    officer = token_issuer(hub)("officer")
    query = edit("request-query.xml", ("AT-2026-000101", "AT-2026-000191"))
    response = httpx.post(f"{base}/api/v1/requests", files=multipart(query, "notice.pdf"), headers=officer)
    assert response.status_code == 201, response.text
    failed = (
        "<Message><Head><CREATETIME>2026/11/30</CREATETIME><RESPONSECODE>0000</RESPONSECODE></Head><Data>"
        "<BDCFKLIST><BDCCXJG><CXQQDH>AT-2026-000191</CXQQDH><RESULT>2040</RESULT>"
        "<MESSAGE>数据库连接超时</MESSAGE></BDCCXJG></BDCFKLIST></Data></Message>"
    )
    marker = usermarker("bdc-antu", PASSWORD)
    [jg] = decode_answer(axis_call(endpoint(base), "feedBdcQL", marker, encode_values(failed))).iter("JG")
    assert jg.findtext("RESULT") == "success", jg.findtext("MSG")
    [task] = [t for t in response.json()["tasks"] if t["unit_code"] == "real-estate"]
    [receipt] = httpx.get(f"{base}/api/v1/tasks/{task['id']}/receipts", headers=officer).json()
    assert receipt["outcome"] != "NOT_FOUND" and "数据库连接超时" in receipt["reason_text"]
    listed = decode_answer(axis_call(endpoint(base), "cxBdcQL", marker))
    assert "AT-2026-000191" in [q.findtext("CXQQDH") for q in listed.iter("BDCCXQQ")]  # asked again


def test_two_courts_requests_of_the_same_number_are_told_apart_never_mixed(served):
    """RequestNo is unique per court: the registry gets "<court>/<RequestNo>" for both, and a bare number
    naming two courts' requests is refused instead of filing one court's answer on the other's request."""
    from conftest import second_court_officer
    from registry_side import encode_values

    base, hub = served
    theirs = second_court_officer(hub)
    ours = token_issuer(hub)("officer")
    ids = {}
    for court, headers in (("J2426", ours), ("J2401", theirs)):
        query = edit(
            "request-query.xml",
            ("AT-2026-000101", "AT-2026-000181"),
            ('<Court code="J2426">安图县人民法院</Court>', f'<Court code="{court}">法院</Court>'),
        )
        response = httpx.post(
            f"{base}/api/v1/requests", files=multipart(query, "notice.pdf"), headers=headers
        )
        assert response.status_code == 201, response.text
        ids[court] = response.json()["id"]

    marker = usermarker("bdc-antu", PASSWORD)
    listed = [
        q.findtext("CXQQDH")
        for q in decode_answer(axis_call(endpoint(base), "cxBdcQL", marker)).iter("BDCCXQQ")
    ]
    assert {"J2426/AT-2026-000181", "J2401/AT-2026-000181"} <= set(listed) and "AT-2026-000181" not in listed

    bare = encode_values(FLAT.format(no="AT-2026-000181"))
    [jg] = decode_answer(axis_call(endpoint(base), "feedBdcQL", marker, bare)).iter("JG")
    assert jg.findtext("RESULT") == "fail" and "多个法院" in jg.findtext("MSG")
    named = encode_values(FLAT.format(no="J2401/AT-2026-000181"))
    [jg] = decode_answer(axis_call(endpoint(base), "feedBdcQL", marker, named)).iter("JG")
    assert jg.findtext("RESULT") == "success", jg.findtext("MSG")

    def outcome(court: str, headers: dict) -> str | None:
        tasks = httpx.get(f"{base}/api/v1/requests/{ids[court]}", headers=headers).json()["tasks"]
        return next(t["outcome"] for t in tasks if t["unit_code"] == "real-estate")

    assert (outcome("J2401", theirs), outcome("J2426", ours)) == ("FOUND", None)
