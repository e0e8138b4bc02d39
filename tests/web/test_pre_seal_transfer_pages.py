"""PRE_SEAL and TRANSFER on the pages: the officer's form sends both (the transferee's fields checked in
Chinese next to them), and the unit's task page answers both and reports a pre-seal turned into a seal."""

import re

from conftest import csrf_of, example, post_receipt, sign_in, submit
from test_officer_pages import control_form
from test_unit_pages import post_form, receipts, task_id

from hub.db import unit_of_work
from hub.models import Request

FLAT = "222426001001GB00012F00010023"
BUYER = "222401199107082037"
TRANSFEREE = {
    "transferee_kind": "person",
    "transferee_name": "李明",
    "transferee_id_type": "RESIDENT_ID",
    "transferee_id_number": BUYER,
}


def officer_form(visitor, action: str) -> str:
    sign_in(visitor, "officer")
    form = visitor.get(f"/requests/new?action={action}").text
    return csrf_of(form)


def test_the_form_shows_the_transferee_fields_for_a_transfer_only(visitor):
    sign_in(visitor, "officer")
    form = visitor.get("/requests/new?action=TRANSFER").text
    assert 'data-transferee-actions="TRANSFER"' in form
    for name in ("transferee_kind", "transferee_name", "transferee_id_type", "transferee_id_number"):
        assert re.search(
            rf'<label data-for="transferee">[^<]*\s*<(select|input) name="item-0-{name}"', form
        ), name
    assert "已发生法律效力的拍卖、变卖成交裁定书或以物抵债裁定书" in form
    units = re.findall(
        r'<label class="unit" data-actions="([^"]*)"[^>]*>\s*<input[^>]*value="([\w-]+)"', form
    )
    assert {code for actions, code in units if "TRANSFER" in actions.split()} == {"housing-admin", "vehicles"}


def test_the_officer_sends_a_pre_seal_from_the_form(visitor, hub):
    data, files = control_form(
        officer_form(visitor, "PRE_SEAL"),
        "PRE_SEAL",
        "housing-admin",
        asset_class="REAL_ESTATE",
        asset_id="222426001003GB00045F00050101",
        description="丽水家园5号楼1单元501室，预售合同已备案",
        start="2026-12-01",
        end="2028-11-30",
    )
    sent = visitor.post("/requests/new", data=data, files=files)
    assert sent.status_code == 303, sent.text
    page = visitor.get(sent.headers["location"]).text
    assert "预查封请求" in page and "2026年12月1日至2028年11月30日" in page
    document = visitor.get(f"{sent.headers['location']}/document").content
    assert b"<Action>PRE_SEAL</Action>" in document and b"<Transferee" not in document


def test_a_pre_seal_of_three_years_is_refused_in_chinese_next_to_its_period(visitor, hub):
    data, files = control_form(
        officer_form(visitor, "PRE_SEAL"),
        "PRE_SEAL",
        "housing-admin",
        asset_class="REAL_ESTATE",
        asset_id="222426001003GB00045F00050101",
        start="2026-12-01",
        end="2029-11-30",
    )
    refused = visitor.post("/requests/new", data=data, files=files)
    assert refused.status_code == 422
    html = refused.text
    end_field = html.index('name="item-0-end"')
    problem = html.index(
        "不动产的预查封期限最长 2 年：自2026年12月1日起，届满日最晚为2028年11月30日", end_field
    )
    assert problem - end_field < 400


def test_the_officer_sends_a_transfer_with_its_transferee_from_the_form(visitor, hub):
    data, files = control_form(
        officer_form(visitor, "TRANSFER"),
        "TRANSFER",
        "housing-admin",
        asset_class="REAL_ESTATE",
        asset_id=FLAT,
        description="兴安小区3号楼2单元302室，网络司法拍卖成交",
        amount="286000.00",
        start="2026-12-01",  # left over from another action: a transfer takes no period
        **TRANSFEREE,
    )
    sent = visitor.post("/requests/new", data=data, files=files)
    assert sent.status_code == 303, sent.text
    document = visitor.get(f"{sent.headers['location']}/document").content.decode()
    assert "<Action>TRANSFER</Action>" in document and "<Period" not in document
    assert re.search(
        rf'<Transferee kind="person">\s*<Name>李明</Name>\s*<IdType>RESIDENT_ID</IdType>\s*<IdNumber>{BUYER}</IdNumber>',
        document,
    )
    with unit_of_work(hub.sessions) as session:
        request = session.get(Request, int(sent.headers["location"].rsplit("/", 1)[1]))
        assert request.action == "TRANSFER" and [t.unit_code for t in request.tasks] == ["housing-admin"]
    notice = visitor.get(f"{sent.headers['location']}/notice?unit=housing-admin")
    assert notice.status_code == 200
    assert f"<th>受让人</th><td>李明（自然人，居民身份证 {BUYER}）</td>" in notice.text
    assert "<th>成交或抵债价款</th><td>人民币286,000.00元</td>" in notice.text


def test_a_transfer_without_a_valid_transferee_is_refused_in_chinese_next_to_the_transferee(visitor, hub):
    token = officer_form(visitor, "TRANSFER")
    wrong_digit = {**TRANSFEREE, "transferee_id_number": BUYER[:-1] + "8"}
    data, files = control_form(
        token, "TRANSFER", "housing-admin", asset_class="REAL_ESTATE", asset_id=FLAT, **wrong_digit
    )
    refused = visitor.post("/requests/new", data=data, files=files)
    assert refused.status_code == 422
    html = refused.text
    assert "第 1 项财产（受让人）" in html
    field = html.index('name="item-0-transferee_id_number"')
    assert html.index("受让人身份证号码校验位不正确：末位是 8，按前 17 位应为 7", field) - field < 600

    nameless = {**TRANSFEREE, "transferee_name": "", "transferee_id_number": ""}
    data, files = control_form(
        token, "TRANSFER", "housing-admin", asset_class="REAL_ESTATE", asset_id=FLAT, **nameless
    )
    html = visitor.post("/requests/new", data=data, files=files).text
    assert "请填写受让人（买受人或承受人）的姓名或名称。" in html and "请填写受让人的证件号码。" in html

    debtor = {**TRANSFEREE, "transferee_id_number": "222426197508300267"}  # 王丽华, the debtor of the form
    data, files = control_form(
        token, "TRANSFER", "housing-admin", asset_class="REAL_ESTATE", asset_id=FLAT, **debtor
    )
    html = visitor.post("/requests/new", data=data, files=files).text
    assert "受让人李明是被执行人本人：过户应登记至买受人或承受抵债财产的债权人名下。" in html
    with unit_of_work(hub.sessions) as session:
        assert session.query(Request).count() == 0


# --- the unit's task page ----------------------------------------------------------------------------


def test_the_unit_answers_a_pre_seal_and_later_reports_it_turned_into_a_seal(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-pre-seal.xml"), "housing-admin")
    csrf = sign_in(visitor, "staff-housing-admin")
    form = visitor.get(f"/tasks/{task}").text
    assert 'name="item-0-queue"' in form and 'value="2028-11-30"' in form
    answer = {
        "csrf": csrf,
        "outcome": "CONTROLLED",
        "item-0-include": "on",
        "item-0-registration": "FG-YCF-2026-0021",
        "item-0-start": "2026-12-01",
        "item-0-end": "2028-11-30",
        "handler_name": "郑丽",
    }
    assert post_form(visitor, f"/tasks/{task}/receipt", answer).status_code == 303
    [control] = visitor.get("/api/v1/controls", headers=token("officer")).json()["items"]
    assert (control["kind"], control["status"]) == ("PRE_SEAL", "ACTIVE")
    page = visitor.get(f"/tasks/{task}").text
    assert "预查封 FG-YCF-2026-0021 转为查封" in page
    assert f'action="/tasks/{task}/controls/{control["id"]}/report"' in page

    report = {
        "csrf": csrf,
        "change": "converted",
        "registration": "FG-CF-2027-0088",
        "start": "2026-12-01",
        "end": "2028-11-30",
        "reason_text": "2027年6月18日已登记在被执行人名下。",
        "handler_name": "郑丽",
    }
    answered = post_form(visitor, f"/tasks/{task}/controls/{control['id']}/report", report)

    assert answered.status_code == 303, answered.text
    [seal] = visitor.get("/api/v1/controls", headers=token("officer")).json()["items"]
    assert (seal["id"], seal["kind"], seal["status"], seal["registration_no"]) == (
        control["id"],
        "SEAL",
        "ACTIVE",
        "FG-CF-2027-0088",
    )
    assert seal["period_start"] == "2026-12-01"
    _, converted = receipts(visitor, token, "housing-admin", task)
    assert (converted["outcome"], converted["reason_text"]) == (
        "CONTROLLED",
        "2027年6月18日已登记在被执行人名下。",
    )
    assert (
        "转为查封" not in visitor.get(f"/tasks/{task}").text.split("控制措施", 1)[1]
    )  # nothing left to report


def test_a_conversion_starting_later_than_the_pre_seal_is_refused_on_the_page(visitor, token):
    request = submit(visitor, token("officer"), "request-pre-seal.xml")
    [control] = post_receipt(
        visitor, token("staff-housing-admin"), request, example("receipt-pre-sealed.xml")
    )["controls"]
    task = task_id(request, "housing-admin")
    csrf = sign_in(visitor, "staff-housing-admin")
    report = {
        "csrf": csrf,
        "change": "converted",
        "start": "2027-06-18",
        "end": "2028-11-30",
        "handler_name": "郑丽",
    }
    refused = post_form(visitor, f"/tasks/{task}/controls/{control['id']}/report", report)
    assert refused.status_code == 422
    assert "so it starts on 2026-12-01, not 2027-06-18" in refused.text


def test_the_unit_answers_a_transfer_and_the_courts_seal_ends(visitor, token):
    seize = submit(visitor, token("officer"), "request-seize.xml")
    [seizure] = post_receipt(visitor, token("staff-vehicles"), seize, example("receipt-partial.xml"))[
        "controls"
    ]
    task = task_id(submit(visitor, token("officer"), "request-transfer.xml"), "vehicles")
    csrf = sign_in(visitor, "staff-vehicles")
    form = visitor.get(f"/tasks/{task}").text
    assert 'name="outcome" value="TRANSFERRED"' in form and "已过户" in form
    assert "转移登记编号" in form and 'name="item-0-amount"' not in form and 'name="item-0-queue"' not in form

    answer = {
        "csrf": csrf,
        "outcome": "TRANSFERRED",
        "item-0-include": "on",
        "item-0-registration": "CGS-ZY-2027-0056",
        "handler_name": "陈刚",
    }
    posted = post_form(visitor, f"/tasks/{task}/receipt", answer)

    assert posted.status_code == 303, posted.text
    [receipt] = receipts(visitor, token, "vehicles", task)
    assert receipt["outcome"] == "TRANSFERRED"
    ended = visitor.get(f"/api/v1/controls/{seizure['id']}/history", headers=token("officer")).json()[
        "control"
    ]
    assert ended["status"] == "DISPOSED"
    sign_in(visitor, "officer")
    page = visitor.get(f"/controls/{seizure['id']}").text
    assert "已处置过户" in page and "财产已协助过户，措施随之终止" in page and "CGS-ZY-2027-0056" in page
