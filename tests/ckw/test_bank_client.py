"""A bank's front-end system pointed at the hub's 查控 service, as the banks' generated clients call it.

The client is zeep, generated from the hub's WSDL (document/literal wrapped, arg0 and arg1), as the CXF and
Axis2 clients of the banks are; the documents are built and read as the CITIC client does (every attribute
value Base64 of its GBK bytes, then the whole document Base64 of its GBK bytes; files once more).
"""

import base64
import sys
from pathlib import Path

import httpx
import pytest
import zeep
from conftest import cloned_database, edit, example_file, multipart, token_issuer
from images import png
from live import served_hub
from lxml import etree
from sqlalchemy import select

from hub.context import Hub
from hub.db import unit_of_work
from hub.models import User

pytestmark = pytest.mark.db  # one served hub per module, over a database cloned like database_url's
HUB = Path(sys.executable).parent / "hub"
PASSWORD = "bank-secret-42"
ACCOUNT = "07020122000012345"


def gbk64(text: str) -> str:
    return base64.b64encode(text.encode("gbk")).decode("ascii")


def document(xml: str) -> str:
    """`xml` as the bank sends it: each attribute value Base64 (GBK), then the whole Base64 (GBK)."""
    root = etree.fromstring(xml.encode("utf-8"))
    for element in root.iter():
        for name, value in element.attrib.items():
            element.set(name, gbk64(value))
    text = '<?xml version="1.0" encoding="UTF-8"?>' + etree.tostring(root, encoding="unicode")
    return gbk64(text)


def read(answer: str) -> etree._Element:
    """An answer as the bank reads it: the document, then every attribute value, decoded from GBK."""
    root = etree.fromstring(base64.b64decode(answer).decode("gb18030").split("?>", 1)[-1].encode("utf-8"))
    for element in root.iter():
        for name, value in element.attrib.items():
            element.set(name, base64.b64decode(value).decode("gb18030"))
    return root


@pytest.fixture(scope="module")
def served(template: str, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("ckw-bank")
    with (
        cloned_database(template, folder) as url,
        served_hub(url, folder, HUB_CKW_RURAL_BANK_PASSWORD=PASSWORD) as served,
    ):
        yield served


def officer_user_id(hub: Hub) -> int:
    with unit_of_work(hub.sessions) as session:
        return session.execute(select(User.id).where(User.username == "officer")).scalar_one()


def bank_request(action: str, request_no: str) -> bytes:
    """The example freeze, sent to the rural bank for a deposit account (as a FREEZE or a DEDUCT)."""
    changes = [
        ("AT-2026-000123", request_no),
        ('<Unit code="housing-fund"/>', '<Unit code="rural-bank"/>'),
        ("<AssetClass>FUND_ACCOUNT</AssetClass>", "<AssetClass>DEPOSIT</AssetClass>"),
        ("<AssetId>220100123456789</AssetId>", f"<AssetId>{ACCOUNT}</AssetId>"),
        ("<Description>住房公积金账户</Description>", "<Description>活期储蓄账户</Description>"),
    ]
    if action == "DEDUCT":
        changes += [
            ("<Action>FREEZE</Action>", "<Action>DEDUCT</Action>"),
            ('<Period start="2026-11-27" end="2027-11-26"/>', ""),
        ]
    return edit("request-freeze.xml", *changes)


def test_a_bank_fetches_a_freeze_and_a_deduction_and_answers_both(served):
    base, hub = served
    officer = token_issuer(hub)("officer")
    for action, request_no in (("FREEZE", "AT-2026-000201"), ("DEDUCT", "AT-2026-000202")):
        response = httpx.post(
            f"{base}/api/v1/requests",
            files=multipart(bank_request(action, request_no), "ruling.pdf", "notice.pdf"),
            headers=officer,
        )
        assert response.status_code == 201, response.text

    # the administrator enters the officer's cards, which the bank fetches with the freeze (zjInfo)
    admin = token_issuer(hub)("admin")
    officer_id = officer_user_id(hub)
    cards = {"work_card_no": "GZ2426-0031", "credential_no": "JL2426-0031"}
    assert httpx.put(f"{base}/api/v1/users/{officer_id}/cards", json=cards, headers=admin).status_code == 200
    for slug, image in (("work-card", png(shade=40)), ("credential-card", png(shade=90))):
        put = httpx.put(
            f"{base}/api/v1/users/{officer_id}/cards/{slug}",
            content=image,
            headers={**admin, "Content-Type": "image/png"},
        )
        assert put.status_code == 200, put.text

    bank = zeep.Client(f"{base}/ws/ckw/rural-bank?wsdl").service
    marker = document(
        '<usermarker><condition username="YH242601" password="bank-secret-42"></condition></usermarker>'
    )
    listed = read(bank.getXzkzList(arg0=marker))
    assert listed.get("errorMsg") is None
    requests = {q.get("BDHM"): q for q in listed.iter("kzqq")}
    assert set(requests) == {"AT-2026-000201", "AT-2026-000202"}
    freeze, deduct = requests["AT-2026-000201"], requests["AT-2026-000202"]
    assert (freeze.get("XM"), freeze.get("DSRZJHM"), freeze.get("FYMC")) == (
        "李四",
        "222426198503120413",
        "安图县人民法院",
    )
    [item] = freeze.iter("kzzh")
    assert (item.get("KZCS"), item.get("KHZH"), item.get("JE")) == ("01", ACCOUNT, "50000.00")
    assert item.get("KSRQ").replace("/", "").replace("-", "") == "20261127"
    [item] = deduct.iter("kzzh")
    assert (item.get("KZCS"), item.get("KHZH"), item.get("JE")) == ("06", ACCOUNT, "50000.00")

    asked = document('<bdhminfo><condition BDHM="AT-2026-000201"></condition></bdhminfo>')
    files = read(bank.kzwsInfo(arg0=marker, arg1=asked))
    contents = {w.get("WJMC"): base64.b64decode(w.get("WSNR")) for w in files.iter("wsinfo")}
    assert example_file("ruling.pdf") in contents.values() and example_file("notice.pdf") in contents.values()
    [card] = read(bank.zjInfo(arg0=marker, arg1=asked)).iter("zjinfo")
    assert (card.get("GZZBM"), card.get("GWZBM")) == ("GZ2426-0031", "JL2426-0031")
    assert base64.b64decode(card.get("GZZ")) == png(shade=40) and base64.b64decode(card.get("GWZ")) == png(
        shade=90
    )

    fed = document(
        "<kzxxList>"
        f'<kzxx BDHM="AT-2026-000201" CCXH="1" KHZH="{ACCOUNT}" KZZT="1" YE="81234.56" KYYE="31234.56"'
        ' CSKSRQ="2026/11/30" CSJSRQ="2027/11/29" SKJE="50000.00"/>'
        f'<kzxx BDHM="AT-2026-000202" CCXH="1" KHZH="{ACCOUNT}" KZZT="1" YE="31234.56" KYYE="0.00" SKJE="31234.56"/>'
        "</kzxxList>"
    )
    for answer in (bank.shfeedXzkzInfo(arg0=marker, arg1=fed), bank.shfeedXzkzInfo(arg0=marker, arg1=fed)):
        results = read(answer)
        assert results.get("errorMsg") is None and results[0].tag == "cxjglist"
        assert {(j.get("bdhm"), j.get("result")) for j in results.iter("jg")} == {
            ("AT-2026-000201", "success"),
            ("AT-2026-000202", "success"),
        }
    assert list(read(bank.getXzkzList(arg0=marker)).iter("kzqq")) == []

    controls = httpx.get(f"{base}/api/v1/controls?status=ACTIVE", headers=officer).json()["items"]
    frozen = [c for c in controls if c["asset_id"] == ACCOUNT and c["kind"] == "FREEZE"]
    [freeze] = frozen
    assert (freeze["amount"], freeze["period_start"], freeze["period_end"]) == (
        "50000.00",
        "2026-11-30",
        "2027-11-29",
    )
    requests_page = httpx.get(
        f"{base}/api/v1/requests?case_no=（2026）吉2426执123号", headers=officer
    ).json()["items"]
    outcomes = {r["request_no"]: r["tasks"][0]["outcome"] for r in requests_page}
    # the deduction took 31,234.56 of the 50,000.00 asked: the balance was short
    assert outcomes["AT-2026-000201"] == "CONTROLLED" and outcomes["AT-2026-000202"] == "PARTIAL"


def test_the_bank_is_told_which_freeze_a_renewal_continues_and_renews_it(served):
    """A renewal naming only the original request: the bank gets its freeze's request and case no."""
    base, hub = served
    officer = token_issuer(hub)("officer")
    renewal = edit(
        "request-renew.xml",
        ('<Unit code="housing-fund"/>', '<Unit code="rural-bank"/>'),
        ("<AssetClass>FUND_ACCOUNT</AssetClass>", "<AssetClass>DEPOSIT</AssetClass>"),
        ("<AssetId>220100123456789</AssetId>", f"<AssetId>{ACCOUNT}</AssetId>"),
        (
            '<Original requestNo="AT-2026-000123" registrationNo="GJJ-DJ-2026-0042"/>',
            '<Original requestNo="AT-2026-000201"/>',
        ),
        ('<Period start="2027-11-28" end="2028-11-27"/>', '<Period start="2027-11-30" end="2028-11-28"/>'),
    )
    response = httpx.post(
        f"{base}/api/v1/requests", files=multipart(renewal, "ruling.pdf", "notice.pdf"), headers=officer
    )
    assert response.status_code == 201, response.text
    bank = zeep.Client(f"{base}/ws/ckw/rural-bank?wsdl").service
    marker = document(
        '<usermarker><condition username="YH242601" password="bank-secret-42"></condition></usermarker>'
    )
    [asked] = read(bank.getXzkzList(arg0=marker)).iter("kzqq")
    [item] = asked.iter("kzzh")
    assert (item.get("KZCS"), item.get("YDJDH"), item.get("YDJAH")) == (
        "02",
        "AT-2026-000201",
        "（2026）吉2426执123号",
    )
    fed = document(
        f'<kzxxList><kzxx BDHM="AT-2026-000124" CCXH="1" KHZH="{ACCOUNT}" KZZT="1" CSKSRQ="2027/11/30"'
        ' CSJSRQ="2028/11/28" SKJE="50000.00"/></kzxxList>'
    )
    [jg] = read(bank.shfeedXzkzInfo(arg0=marker, arg1=fed)).iter("jg")
    assert jg.get("result") == "success", jg.get("msg")
    controls = httpx.get(f"{base}/api/v1/controls?status=ACTIVE", headers=officer).json()["items"]
    renewed = [c for c in controls if c["asset_id"] == ACCOUNT and c["period_end"] == "2028-11-28"]
    assert len(renewed) == 1
