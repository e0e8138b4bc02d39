"""The officer's pages: the list, the request form and its refusals, XML upload, the batch, one request, the notice."""

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from conftest import csrf_of, example, example_file, frozen_control, multipart, post_receipt, sign_in, submit

from hub.auth.service import hash_password
from hub.clock import SHANGHAI, now
from hub.db import unit_of_work
from hub.models import FoundAsset, Request, Unit, User
from hub.standard.codes import AssetClass, AssetStatus, AttachmentType, EncumbranceKind, Outcome
from hub.standard.write_receipt import (
    AssetResult,
    Attached,
    EncumbranceEntry,
    OwnerShare,
    ReceiptDraft,
    write_receipt,
)

GOOD_ID = "222426197508300267"  # 王丽华 in the examples
BAD_ID = "222426197508300268"  # the same with a wrong check digit
PDF = "application/pdf"


@pytest.fixture
def officer(visitor):
    sign_in(visitor, "officer")
    return visitor


def csrf(client) -> str:
    return csrf_of(client.get("/requests/new").text)


def capable(hub, action: str) -> set[str]:
    with unit_of_work(hub.sessions) as session:
        return {u.code for u in session.query(Unit).filter(Unit.active.is_(True)) if action in u.actions}


def query_form(token: str, **changes) -> dict:
    return {
        "csrf": token,
        "action": "QUERY",
        "case_no": "（2026）吉2426执301号",
        "subject_kind": "person",
        "subject_name": "王丽华",
        "id_type": "RESIDENT_ID",
        "id_number": GOOD_ID,
        "all_capable": "1",
        "doc-0-type": "NOTICE",
        **changes,
    }


def notice_file() -> dict:
    return {"doc-0-file": ("notice.pdf", example_file("notice.pdf"), PDF)}


def control_form(token: str, action: str, targets: str, **item: str) -> tuple[dict, dict]:
    """The form of `action` to `targets` on one item (its item-0-* fields), and its notice and ruling."""
    data = query_form(
        token,
        action=action,
        all_capable="",
        targets=targets,
        **{f"item-0-{name}": value for name, value in item.items()} | {"doc-1-type": "RULING"},
    )
    return data, {**notice_file(), "doc-1-file": ("ruling.pdf", example_file("ruling.pdf"), PDF)}


def test_the_form_sends_a_query_to_all_capable_units_and_the_page_shows_one_row_per_unit(officer, hub):
    form = officer.get("/requests/new")
    assert form.status_code == 200 and "发起协助" in form.text and "/static/request-form.js" in form.text
    assert "全部有此职能的单位" in form.text and "张三" in form.text and "JL2426-0031" in form.text
    assert officer.get("/static/request-form.js").status_code == 200

    sent = officer.post("/requests/new", data=query_form(csrf_of(form.text)), files=notice_file())
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    with unit_of_work(hub.sessions) as session:
        request = session.get(Request, int(location.rsplit("/", 1)[1]))
        assert request.action == "QUERY" and request.all_capable and request.officer_name == "张三"
        assert request.officer_credential_no == "JL2426-0031" and request.court_code == "J2426"
        assert re.fullmatch(r"[A-Za-z0-9]+-\d{4}-\d{6}", request.request_no)
        units = {t.unit_code for t in request.tasks}
        request_no = request.request_no
    assert units == capable(hub, "QUERY")

    page = officer.get(location)
    assert page.status_code == 200 and request_no in page.text
    assert page.text.count("致该单位的通知书") == len(units)
    assert "安图县不动产登记中心" in page.text and "已送达" in page.text  # inbox units are served at once
    assert "年" in page.text and "月" in page.text  # dates as people write them, never as ISO instants
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", page.text)

    listing = officer.get("/requests")
    assert request_no in listing.text and f"0/{len(units)}" in listing.text and "查询" in listing.text


def test_a_seal_carries_its_items_and_ruling(officer, hub):
    data, files = control_form(
        csrf(officer),
        "SEAL",
        "real-estate",
        asset_class="REAL_ESTATE",
        asset_id="222426001001GB00012F00010023",
        description="明月镇东山路18号302室",
        start="2026-11-27",
        end="2029-11-26",
    )
    sent = officer.post("/requests/new", data=data, files=files)
    assert sent.status_code == 303, sent.text
    page = officer.get(sent.headers["location"])
    assert "查封请求" in page.text and "2026年11月27日至2029年11月26日" in page.text
    assert "裁定书 ruling.pdf" in page.text and "通知书 notice.pdf" in page.text
    with unit_of_work(hub.sessions) as session:
        request = session.get(Request, int(sent.headers["location"].rsplit("/", 1)[1]))
        assert [t.unit_code for t in request.tasks] == ["real-estate"]
        assert [(i.asset_class, i.period_end.isoformat()) for i in request.items] == [
            ("REAL_ESTATE", "2029-11-26")
        ]
        assert {f.type for f in request.files} == {"RULING", "NOTICE"}

    document = officer.get(f"{sent.headers['location']}/document")
    assert (
        document.headers["content-type"].startswith("application/xml")
        and b"<Action>SEAL</Action>" in document.content
    )
    ruling = officer.get(f"{sent.headers['location']}/files/ruling.pdf")
    assert ruling.content == example_file("ruling.pdf")


def test_a_refused_form_shows_each_problem_by_its_field_and_keeps_everything(officer, hub):
    data = query_form(
        csrf(officer),
        action="SEAL",
        all_capable="",
        targets="real-estate",
        remarks="请尽快办理",
        **{
            "item-0-asset_class": "REAL_ESTATE",
            "item-0-asset_id": "222426001001GB00012F00010023",
            "item-0-start": "2026-11-27",
            "item-0-end": "2030-11-26",  # four years: real estate allows three
            "doc-1-type": "RULING",
        },
    )
    files = {**notice_file(), "doc-1-file": ("ruling.pdf", example_file("ruling.pdf"), PDF)}
    refused = officer.post("/requests/new", data=data, files=files)
    assert refused.status_code == 422
    html = refused.text
    assert "平台未受理此请求" in html and "第 1 项财产（期限）" in html
    period_field = html.index('name="item-0-end"')
    problem = html.index(
        "不动产的控制期限最长 3 年：自2026年11月27日起，届满日最晚为2029年11月26日", period_field
    )
    assert problem - period_field < 400  # the problem stands next to the period it concerns
    for kept in (
        "（2026）吉2426执301号",
        "王丽华",
        GOOD_ID,
        "222426001001GB00012F00010023",
        "2030-11-26",
        "请尽快办理",
    ):
        assert kept in html, kept
    assert 'value="real-estate" checked' in html
    tokens = re.findall(r'name="kept" value="([^"]+)" checked', html)
    assert {t.split(":")[0] for t in tokens} == {"NOTICE", "RULING"}
    with unit_of_work(hub.sessions) as session:
        assert session.query(Request).count() == 0

    # corrected, without sending the files again: the kept ones are listed and accepted from the store
    fixed = {
        **data,
        "item-0-end": "2029-11-26",
        "kept": tokens,
        "auto_no": re.search(r'name="auto_no" value="([^"]+)"', html).group(1),
    }
    sent = officer.post("/requests/new", data=fixed)
    assert sent.status_code == 303, sent.text


def test_a_seizure_of_a_flat_is_refused_in_chinese_next_to_its_class(officer, hub):
    data, files = control_form(
        csrf(officer),
        "SEIZE",
        "vehicles",
        asset_class="REAL_ESTATE",
        asset_id="222426001001GB00012F00010023",
        start="2026-11-27",
        end="2028-11-26",
    )
    refused = officer.post("/requests/new", data=data, files=files)
    assert refused.status_code == 422
    html = refused.text
    assert "第 1 项财产（财产类别）" in html
    class_field = html.index('name="item-0-asset_class"')
    problem = html.index("不动产不能扣押：扣押适用于机动车、动产；不动产应当查封。", class_field)
    assert problem - class_field < 2500  # after the class's options, before the next field
    assert problem < html.index('name="item-0-asset_id"')
    with unit_of_work(hub.sessions) as session:
        assert session.query(Request).count() == 0


def test_a_deduction_from_the_form_names_the_freeze_it_takes_from(officer, hub, token):
    frozen_control(officer, token)
    form = officer.get("/requests/new?action=DEDUCT")
    assert "原请求编号（续行、解除必填；扣划可填所扣的冻结" in form.text
    assert re.search(r'data-original-actions="[^"]*DEDUCT', form.text)
    data, files = control_form(
        csrf_of(form.text),
        "DEDUCT",
        "housing-fund",
        asset_class="FUND_ACCOUNT",
        asset_id="220100123456789",
        amount="20000.00",
        original_no="AT-2026-000123",
        registration_no="GJJ-DJ-2026-0042",
    )
    sent = officer.post("/requests/new", data=data, files=files)
    assert sent.status_code == 303, sent.text
    document = officer.get(f"{sent.headers['location']}/document").content
    assert b'<Original requestNo="AT-2026-000123" registrationNo="GJJ-DJ-2026-0042"/>' in document


def test_the_server_refuses_a_wrong_check_digit_and_a_missing_notice(officer, hub):
    refused = officer.post("/requests/new", data=query_form(csrf(officer), id_number=BAD_ID))
    assert refused.status_code == 422
    html = refused.text
    assert "身份证号码校验位不正确：末位是 8，按前 17 位应为 7" in html
    assert html.index("身份证号码校验位不正确", html.index('name="id_number"')) > 0
    assert "查询请求须附通知书" in html
    with unit_of_work(hub.sessions) as session:
        assert session.query(Request).count() == 0


def test_an_id_typed_full_width_is_sent_in_ascii(officer, hub):
    full_width = GOOD_ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))

    sent = officer.post(
        "/requests/new", data=query_form(csrf(officer), id_number=full_width), files=notice_file()
    )

    assert sent.status_code == 303, sent.text
    document = officer.get(f"{sent.headers['location']}/document").content
    assert f"<IdNumber>{GOOD_ID}</IdNumber>".encode() in document


def test_a_request_xml_is_uploaded_as_it_is(officer, hub):
    token = csrf(officer)
    document = example("request-seal.xml")
    parts = multipart(document, "ruling.pdf", "notice.pdf")
    sent = officer.post("/requests/upload", data={"csrf": token}, files=parts)
    assert sent.status_code == 303, sent.text
    stored = officer.get(f"{sent.headers['location']}/document")
    assert stored.content == document  # byte for byte

    broken = officer.post(
        "/requests/upload",
        data={"csrf": token},
        files=multipart(document.replace(b"<CaseNo>", b"<Case>"), "notice.pdf"),
    )
    assert broken.status_code == 422 and "平台未受理上传的请求" in broken.text and "第 7 行" in broken.text


def _csv(text: str, encoding: str) -> tuple[str, bytes, str]:
    return ("debtors.csv", text.encode(encoding), "text/csv")


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_batch_reports_bad_lines_by_number_and_sends_the_good_ones(officer, hub, encoding):
    text = (
        "案号,姓名/名称,证件类型,证件号码\r\n"
        f"（2026）吉2426执401号,王丽华,居民身份证,{GOOD_ID}\r\n"
        f"（2026）吉2426执402号,李四,居民身份证,{BAD_ID}\r\n"
    )
    form = officer.get("/requests/batch")
    assert form.status_code == 200 and "批量查询" in form.text
    checked = officer.post(
        "/requests/batch",
        data={"csrf": csrf_of(form.text), "mode": "check"},
        files={"csv": _csv(text, encoding)},
    )
    assert checked.status_code == 200 and "检查结果" in checked.text
    assert "第 3 行" in checked.text and "校验位不正确" in checked.text and "检查通过" in checked.text
    with unit_of_work(hub.sessions) as session:
        assert session.query(Request).count() == 0  # only checked

    sent = officer.post(
        "/requests/batch",
        data={"csrf": csrf_of(form.text), "mode": "send"},
        files={"csv": _csv(text, encoding), "notice": ("notice.pdf", example_file("notice.pdf"), PDF)},
    )
    assert sent.status_code == 200 and "提交结果" in sent.text and "已提交 1 件" in sent.text
    assert "第 3 行" in sent.text and "未提交" in sent.text
    expected = capable(hub, "QUERY")
    with unit_of_work(hub.sessions) as session:
        [request] = session.query(Request).all()
        assert (request.case_no, request.subject_name, request.all_capable) == (
            "（2026）吉2426执401号",
            "王丽华",
            True,
        )
        assert {t.unit_code for t in request.tasks} == expected
        assert f'href="/requests/{request.id}"' in sent.text


def test_a_batch_with_duplicates_or_no_header_is_reported(officer):
    token = csrf(officer)
    duplicate = (
        f"案号,姓名/名称,证件类型,证件号码\nA1,王丽华,居民身份证,{GOOD_ID}\nA1,王丽华,身份证,{GOOD_ID}\n"
    )
    checked = officer.post(
        "/requests/batch", data={"csrf": token, "mode": "check"}, files={"csv": _csv(duplicate, "utf-8")}
    )
    assert "与第 2 行重复" in checked.text
    headless = officer.post(
        "/requests/batch",
        data={"csrf": token, "mode": "check"},
        files={"csv": _csv(f"A1,王丽华,居民身份证,{GOOD_ID}\n", "utf-8")},
    )
    assert headless.status_code == 422 and "第 1 行应为表头" in headless.text


def test_the_notice_page_is_the_rendered_notice(officer, client, token):
    sent = officer.post(
        "/requests/new",
        data=query_form(csrf(officer), all_capable="", targets="real-estate"),
        files=notice_file(),
    )
    location = sent.headers["location"]
    notice = officer.get(f"{location}/notice")
    assert notice.status_code == 200 and notice.headers["content-type"].startswith("text/html")
    assert notice.text.startswith("<!DOCTYPE html>") and "协助查询通知书" in notice.text
    assert "安图县不动产登记中心：" in notice.text and "王丽华" in notice.text
    assert officer.get(f"{location}/notice?unit=vehicles").status_code == 404


def test_receipts_show_on_the_request_page_with_their_files(officer, client, token, hub):
    request = client.post(
        "/api/v1/requests",
        files=multipart(example("request-query.xml"), "notice.pdf"),
        headers=token("officer"),
    ).json()
    task = next(t for t in request["tasks"] if t["unit_code"] == "real-estate")
    answered = client.post(
        f"/api/v1/tasks/{task['id']}/receipts",
        files=multipart(example("receipt-found.xml"), "receipt.pdf"),
        headers=token("staff-real-estate"),
    )
    assert answered.status_code == 201, answered.text
    receipt_id = answered.json()["receipt_id"]
    page = officer.get(f"/requests/{request['id']}")
    assert (
        "已查到" in page.text
        and "已抵押" in page.text
        and "人民币286,000.00元" in page.text
        and "赵六（1/1）" in page.text
        and "抵押 · 抵押权人 中国工商银行股份有限公司安图支行 · 被担保债权 人民币200,000.00元" in page.text
        and "查封 · 延吉市人民法院 · 登记号 BDC-CF-2025-0031 · (2025)吉2401执123号" in page.text
    )
    assert "已办结" in page.text and f"1/{len(request['tasks'])}" in officer.get("/requests").text
    base = f"/requests/{request['id']}/receipts/{receipt_id}"
    assert officer.get(f"{base}/document").content == example("receipt-found.xml")
    assert officer.get(f"{base}/files/receipt.pdf").content == example_file("receipt.pdf")
    assert officer.get(f"/requests/999999/receipts/{receipt_id}/document").status_code == 404


def _flat_with_a_mortgage_and_an_earlier_seal() -> bytes:
    """A registry's answer to request-query.xml: the flat, its two owners, a mortgage and an earlier seal."""
    flat = AssetResult(
        AssetClass.REAL_ESTATE,
        "222426001001GB00012F00010023",
        "明月镇东山路18号兴安小区3号楼2单元302室，住宅，建筑面积89.62平方米",
        Decimal("286000.00"),
        status=AssetStatus.SEALED,
        owners=(OwnerShare("赵六", "1/2"), OwnerShare("钱七", "1/2")),
        encumbrances=(
            EncumbranceEntry(
                kind=EncumbranceKind.MORTGAGE,
                holder="中国工商银行安图支行",
                registration_no="BDC-DY-2020-0789",
                reference="吉(2020)安图县不动产证明第0000789号",
                amount=Decimal("1200000.00"),
                start=date(2020, 5, 1),
                end=date(2030, 4, 30),
            ),
            EncumbranceEntry(
                kind=EncumbranceKind.SEAL,
                holder="安图县人民法院",
                reference="(2025)吉2426执123号",
                start=date(2025, 1, 2),
                end=date(2028, 1, 1),
                description="<script>alert(1)</script> & 轮候",
            ),
        ),
    )
    return write_receipt(
        ReceiptDraft(
            request_no="AT-2026-000101",
            unit_code="real-estate",
            receipt_no="RE-2026-0399",
            handled_at=datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI),
            handler_name="刘敏",
            outcome=Outcome.FOUND,
            assets=(flat,),
            attachments=(
                Attached.of(AttachmentType.SIGNED_RECEIPT, "receipt.pdf", example_file("receipt.pdf")),
            ),
        )
    )


MORTGAGE_LINE = (
    "抵押 · 抵押权人 中国工商银行安图支行 · 被担保债权 人民币1,200,000.00元 · 登记号 BDC-DY-2020-0789"
    " · 吉(2020)安图县不动产证明第0000789号 · 2020年5月1日至2030年4月30日"
)
SEAL_LINE = (
    "查封 · 安图县人民法院 · (2025)吉2426执123号 · 2025年1月2日至2028年1月1日"
    " · &lt;script&gt;alert(1)&lt;/script&gt; &amp; 轮候"
)


def test_a_flat_with_two_owners_a_mortgage_and_an_earlier_seal_shows_on_the_request_page(
    officer, client, token
):
    request = submit(client, token("officer"), "request-query.xml")
    post_receipt(
        client,
        token("staff-real-estate"),
        request,
        _flat_with_a_mortgage_and_an_earlier_seal(),
        unit="real-estate",
    )

    page = officer.get(f"/requests/{request['id']}").text

    assert "已查到" in page and "222426001001GB00012F00010023" in page and "人民币286,000.00元" in page
    assert "已查封" in page and "权利人赵六（1/2）、钱七（1/2）" in page
    assert MORTGAGE_LINE in page and SEAL_LINE in page
    assert page.index("钱七（1/2）") < page.index(MORTGAGE_LINE) < page.index(SEAL_LINE)
    assert "<script>alert" not in page

    [task] = [t for t in request["tasks"] if t["unit_code"] == "real-estate"]
    [receipt] = client.get(f"/api/v1/tasks/{task['id']}/receipts", headers=token("officer")).json()
    [asset] = receipt["assets"]
    assert asset["owners"] == [{"name": "赵六", "share": "1/2"}, {"name": "钱七", "share": "1/2"}]
    assert asset["encumbrances"] == [
        {
            "kind": "MORTGAGE",
            "holder": "中国工商银行安图支行",
            "registration_no": "BDC-DY-2020-0789",
            "reference": "吉(2020)安图县不动产证明第0000789号",
            "amount": "1200000.00",
            "currency": "CNY",
            "start": "2020-05-01",
            "end": "2030-04-30",
            "description": None,
        },
        {
            "kind": "SEAL",
            "holder": "安图县人民法院",
            "registration_no": None,
            "reference": "(2025)吉2426执123号",
            "amount": None,
            "currency": None,
            "start": "2025-01-02",
            "end": "2028-01-01",
            "description": "<script>alert(1)</script> & 轮候",
        },
    ]


def test_a_receipt_without_encumbrances_shows_as_before(officer, client, token, hub):
    old = re.sub(rb"\s*<Encumbrance>.*?</Encumbrance>", b"", example("receipt-found.xml"), flags=re.S)
    assert b"Encumbrance" not in old and b'<Owner share="1/1">' in old
    request = submit(client, token("officer"), "request-query.xml")
    post_receipt(client, token("staff-real-estate"), request, old, unit="real-estate")

    page = officer.get(f"/requests/{request['id']}").text

    assert "已抵押" in page and "人民币286,000.00元" in page and "权利人赵六（1/1）" in page
    assert "抵押权人" not in page and "被担保债权" not in page and "查封 ·" not in page
    with unit_of_work(hub.sessions) as session:
        [asset] = session.query(FoundAsset).all()
        assert asset.encumbrances == []
    [task] = [t for t in request["tasks"] if t["unit_code"] == "real-estate"]
    [receipt] = client.get(f"/api/v1/tasks/{task['id']}/receipts", headers=token("officer")).json()
    assert receipt["assets"][0]["encumbrances"] == []


def test_cancel_needs_a_reason_and_withdraws_open_tasks(officer):
    sent = officer.post("/requests/new", data=query_form(csrf(officer)), files=notice_file())
    location = sent.headers["location"]
    token = csrf(officer)
    assert officer.post(f"{location}/cancel", data={"csrf": token, "reason": ""}).status_code == 422
    done = officer.post(f"{location}/cancel", data={"csrf": token, "reason": "案件已执行完毕"})
    assert done.status_code == 303
    page = officer.get(done.headers["location"])
    assert "已撤回" in page.text and "撤回请求" not in page.text


def test_a_form_without_its_csrf_token_is_refused(officer, hub):
    data = query_form("")
    del data["csrf"]
    assert officer.post("/requests/new", data=data, files=notice_file()).status_code == 403
    assert officer.post("/requests/batch", data={"mode": "check"}).status_code == 403
    with unit_of_work(hub.sessions) as session:
        assert session.query(Request).count() == 0


def _second_court_officer(hub) -> None:
    with unit_of_work(hub.sessions) as session:
        user = session.query(User).filter_by(username="officer-j2401").one()
        user.password_hash = hash_password("another-court-1")


def test_another_courts_request_is_not_found_and_not_listed(officer, visitor, hub, other_officer, token):
    mine = officer.post("/requests/new", data=query_form(csrf(officer)), files=notice_file()).headers[
        "location"
    ]
    _second_court_officer(hub)
    sign_in(visitor, "officer-j2401", "another-court-1")
    for path in (mine, f"{mine}/notice", f"{mine}/document", f"{mine}/files/notice.pdf"):
        answer = visitor.get(path)
        assert answer.status_code == 404, path
        assert "王丽华" not in answer.text
    assert "王丽华" not in visitor.get("/requests").text


def test_supervisors_read_and_unit_staff_are_kept_out(officer, visitor, hub):
    mine = officer.post("/requests/new", data=query_form(csrf(officer)), files=notice_file()).headers[
        "location"
    ]
    sign_in(visitor, "supervisor")
    assert "王丽华" in visitor.get("/requests").text and visitor.get(mine).status_code == 200
    assert visitor.get("/requests/new").status_code == 403 and "撤回请求" not in visitor.get(mine).text
    sign_in(visitor, "staff-real-estate")
    for path in ("/requests", mine, f"{mine}/notice", "/requests/new", "/requests/batch"):
        assert visitor.get(path).status_code in (403, 404), path


def test_request_numbers_continue_the_courts_own_and_a_second_send_makes_no_twin(officer, client, token, hub):
    client.post(
        "/api/v1/requests",
        files=multipart(example("request-query.xml"), "notice.pdf"),
        headers=token("officer"),
    )  # AT-2026-000101
    year = now().astimezone(SHANGHAI).year
    expected = "AT-2026-000102" if year == 2026 else f"AT-{year}-000001"
    form = officer.get("/requests/new").text
    assert f"留空自动编号：{expected}" in form
    data = query_form(csrf_of(form), auto_no=expected)
    first = officer.post("/requests/new", data=data, files=notice_file())
    assert first.status_code == 303
    with unit_of_work(hub.sessions) as session:
        assert session.get(Request, int(first.headers["location"].rsplit("/", 1)[1])).request_no == expected

    # the same form sent again (a second later, or touched up): its number is taken, so no twin is made
    again = officer.post("/requests/new", data={**data, "remarks": "再次发送"}, files=notice_file())
    assert again.status_code == 422 and f"自动编号 {expected} 已被使用" in again.text
    assert first.headers["location"] in again.text
    with unit_of_work(hub.sessions) as session:
        assert session.query(Request).count() == 2


def test_a_waitlisted_seal_shows_its_registration_and_place_on_the_request_page(officer, client, token):
    request = client.post(
        "/api/v1/requests",
        files=multipart(example("request-seal.xml"), "notice.pdf", "ruling.pdf"),
        headers=token("officer"),
    ).json()
    answered = client.post(
        f"/api/v1/tasks/{request['tasks'][0]['id']}/receipts",
        files=multipart(example("receipt-waitlisted.xml"), "receipt.pdf"),
        headers=token("staff-real-estate"),
    )
    assert answered.status_code == 201, answered.text
    page = officer.get(f"/requests/{request['id']}").text
    assert "登记号 BDC-CF-2026-0117" in page and "轮候中" in page and "轮候第 2 位" in page


def test_the_officer_sees_when_a_unit_first_viewed_its_task(officer, client, token):
    request = client.post(
        "/api/v1/requests",
        files=multipart(example("request-freeze.xml"), "notice.pdf", "ruling.pdf"),
        headers=token("officer"),
    ).json()
    task_id = request["tasks"][0]["id"]
    assert "未查看" in officer.get(f"/requests/{request['id']}").text
    # the officer reading the XML himself is not the unit viewing it
    assert client.get(f"/api/v1/tasks/{task_id}/document", headers=token("officer")).status_code == 200
    assert client.get(f"/api/v1/tasks/{task_id}", headers=token("officer")).json()["viewed_at"] is None
    assert (
        client.get(f"/api/v1/tasks/{task_id}/document", headers=token("staff-housing-fund")).status_code
        == 200
    )
    first = client.get(f"/api/v1/tasks/{task_id}", headers=token("officer")).json()["viewed_at"]
    assert first is not None
    client.get(f"/api/v1/tasks/{task_id}/document", headers=token("staff-housing-fund"))
    assert (
        client.get(f"/api/v1/tasks/{task_id}", headers=token("officer")).json()["viewed_at"] == first
    )  # the first view
    assert "已查看" in officer.get(f"/requests/{request['id']}").text
