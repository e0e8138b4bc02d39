"""The unit staff's pages: the inbox, a task with its notice and files, and every way of answering it."""

import re
from datetime import timedelta

import pytest
from conftest import example, example_file, listed_files, multipart, sign_in, submit
from sqlalchemy import text

from hub.calendar.service import load_calendar
from hub.clock import SHANGHAI, now
from hub.db import unit_of_work

SCAN = ("files", ("scan.pdf", example_file("receipt.pdf"), "application/pdf"))


def task_id(request: dict, unit: str) -> int:
    [task] = [t for t in request["tasks"] if t["unit_code"] == unit]
    return task["id"]


def receipts(client, token, unit: str, task: int) -> list[dict]:
    return client.get(f"/api/v1/tasks/{task}/receipts", headers=token(f"staff-{unit}")).json()


def task_status(client, token, unit: str, task: int) -> str:
    return client.get(f"/api/v1/tasks/{task}", headers=token(f"staff-{unit}")).json()["status"]


def post_form(visitor, path: str, data: dict, files: list | None = None):
    """A form posted as a browser does: multipart, with an empty part for a file input left empty."""
    parts = files or [("signed_scan", ("", b"", "application/octet-stream"))]
    return visitor.post(path, data=data, files=parts)


def test_the_inbox_lists_the_units_own_tasks_open_first_soonest_due_first_overdue_in_red(visitor, hub, token):
    officer = token("officer")
    query, seal, freeze = (submit(visitor, officer, f"request-{n}.xml") for n in ("query", "seal", "freeze"))
    late, sealed = task_id(query, "real-estate"), task_id(seal, "real-estate")
    due = now() - timedelta(days=10)
    with hub.engine.begin() as conn:
        conn.execute(text("UPDATE tasks SET due_at = :due WHERE id = :id"), {"due": due, "id": late})
    with unit_of_work(hub.sessions) as session:
        days = load_calendar(session).working_days_between(
            due.astimezone(SHANGHAI).date(), now().astimezone(SHANGHAI).date()
        )
    sign_in(visitor, "staff-real-estate")

    page = visitor.get("/inbox").text

    assert "安图县不动产登记中心" in page and "共 2 件办理中任务" in page
    assert "AT-2026-000123" not in page  # the housing fund's freeze
    assert page.index("AT-2026-000101") < page.index("AT-2026-000102")  # overdue query before the seal
    row = re.search(r'<tr class="overdue">(.*?)</tr>', page, re.S).group(1)
    assert f'href="/tasks/{late}"' in row and f"已逾期 {days} 个工作日" in row
    assert "安图县人民法院" in row and "查询" in row and "（2026）吉2426执156号" in row and "赵六" in row

    staff = token("staff-real-estate")
    answered = visitor.post(
        f"/api/v1/tasks/{sealed}/receipts",
        files=multipart(example("receipt-waitlisted.xml"), "receipt.pdf"),
        headers=staff,
    )
    assert answered.status_code == 201
    assert "AT-2026-000102" not in visitor.get("/inbox").text
    assert "AT-2026-000102" in visitor.get("/inbox?status=closed").text
    everything = visitor.get("/inbox?status=all").text
    assert everything.index("AT-2026-000101") < everything.index("AT-2026-000102")  # open ones first
    assert task_id(freeze, "housing-fund") not in (late, sealed)
    assert visitor.get("/units/real-estate/tasks").headers["location"] == "/inbox"  # the e-mails' link


def test_a_query_answered_found_with_two_assets_one_with_two_owners(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-query.xml"), "real-estate")
    csrf = sign_in(visitor, "staff-real-estate")
    form = visitor.get(f"/tasks/{task}").text
    assert f'action="/tasks/{task}/receipt"' in form and 'value="安图县不动产登记中心经办人"' in form
    assert f'src="/tasks/{task}/notice"' in form and "/static/receipt-form.js" in form

    answer = post_form(
        visitor,
        f"/tasks/{task}/receipt",
        {
            "csrf": csrf,
            "outcome": "FOUND",
            "asset-0-class": "REAL_ESTATE",
            "asset-0-id": "222426001001GB00012F00010023",
            "asset-0-description": "兴安小区3号楼2单元302室，住宅，89.62平方米",
            "asset-0-value": "286,000",
            "asset-0-status": "MORTGAGED",
            "asset-0-owner-0-name": "赵六",
            "asset-0-owner-0-share": "1/2",
            "asset-0-owner-1-name": "钱七",
            "asset-0-owner-1-share": "1/2",
            "asset-1-class": "LAND_RIGHT",
            "asset-1-id": "222426001001JC00031",
            "asset-1-owner-0-name": "赵六",
            "handler_name": "刘敏",
            "handler_phone": "0433-5552210",
        },
        [("signed_scan", ("签章回执.pdf", example_file("receipt.pdf"), "application/pdf"))],
    )

    assert answer.status_code == 303, answer.text
    [receipt] = receipts(visitor, token, "real-estate", task)
    assert answer.headers["location"] == f"/tasks/{task}?sent={receipt['receipt_no']}#receipts"
    assert re.fullmatch(r"RE-\d{8}-0001", receipt["receipt_no"])
    assert (receipt["outcome"], receipt["final"], receipt["handler_name"]) == ("FOUND", True, "刘敏")
    assert [(f["type"], f["filename"]) for f in receipt["files"]] == [("SIGNED_RECEIPT", "签章回执.pdf")]
    first, second = receipt["assets"]
    assert (first["asset_id"], first["value"], first["status"]) == (
        "222426001001GB00012F00010023",
        "286000.00",
        "MORTGAGED",
    )
    assert first["owners"] == [{"name": "赵六", "share": "1/2"}, {"name": "钱七", "share": "1/2"}]
    assert (second["asset_class"], second["owners"]) == ("LAND_RIGHT", [{"name": "赵六", "share": None}])
    assert task_status(visitor, token, "real-estate", task) == "completed"
    shown = visitor.get(answer.headers["location"]).text
    assert f"回执 {receipt['receipt_no']} 已提交" in shown and "钱七（1/2）" in shown
    assert f'action="/tasks/{task}/receipt"' not in shown  # answered: no form any more


def test_the_units_history_shows_the_mortgage_and_the_earlier_seal_it_reported(visitor, token):
    request = submit(visitor, token("officer"), "request-query.xml")
    task = task_id(request, "real-estate")
    sent = visitor.post(
        f"/api/v1/tasks/{task}/receipts",
        files=multipart(example("receipt-found.xml"), "receipt.pdf"),
        headers=token("staff-real-estate"),
    )
    assert sent.status_code == 201, sent.text
    sign_in(visitor, "staff-real-estate")

    page = visitor.get(f"/tasks/{task}").text

    row = re.search(r"<td>赵六（1/1）</td>\s*<td>(.*?)</td>", page, re.S).group(1)
    mortgage, seal = row.split("<br>")
    assert mortgage == (
        "抵押 · 抵押权人 中国工商银行股份有限公司安图支行 · 被担保债权 人民币200,000.00元"
        " · 登记号 BDC-DY-2019-0456 · 吉(2019)安图县不动产证明第0000456号 · 2019年6月10日至2039年6月9日"
    )
    assert (
        seal
        == "查封 · 延吉市人民法院 · 登记号 BDC-CF-2025-0031 · (2025)吉2401执123号 · 2025年1月2日至2028年1月1日"
    )


def test_a_freeze_answered_controlled_with_its_registration_number(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-freeze.xml"), "housing-fund")
    csrf = sign_in(visitor, "staff-housing-fund")
    form = visitor.get(f"/tasks/{task}").text
    for prefilled in (
        'value="2026-11-27"',
        'value="2027-11-26"',
        'value="50000.00"',
        'name="item-0-include" value="on" checked',
    ):
        assert prefilled in form

    answer = post_form(
        visitor,
        f"/tasks/{task}/receipt",
        {
            "csrf": csrf,
            "outcome": "CONTROLLED",
            "item-0-include": "on",
            "item-0-registration": "GJJ-DJ-2026-0042",
            "item-0-start": "2026-11-28",
            "item-0-end": "2027-11-27",
            "item-0-amount": "50000.00",
            "handler_name": "王五",
            "receipt_no": "HF-WEB-0001",
        },
    )

    assert answer.status_code == 303, answer.text
    [receipt] = receipts(visitor, token, "housing-fund", task)
    assert (receipt["receipt_no"], receipt["outcome"], receipt["files"]) == ("HF-WEB-0001", "CONTROLLED", [])
    assert task_status(visitor, token, "housing-fund", task) == "completed"
    [control] = visitor.get("/api/v1/controls", headers=token("officer")).json()["items"]
    assert (control["status"], control["registration_no"], control["amount"]) == (
        "ACTIVE",
        "GJJ-DJ-2026-0042",
        "50000.00",
    )
    assert (control["period_start"], control["period_end"]) == ("2026-11-28", "2027-11-27")
    assert "GJJ-DJ-2026-0042" in visitor.get(f"/tasks/{task}").text


@pytest.mark.parametrize(
    ("change", "extra", "status"),
    [
        ("effective", {"start": "2027-03-01", "end": "2030-02-28"}, "ACTIVE"),
        (
            "lapsed",
            {"reason_code": "ALREADY_TRANSFERRED", "reason_text": "在先查封法院已拍卖处置。"},
            "LAPSED",
        ),
    ],
)
def test_a_waiting_seal_then_reported_as_taking_effect_or_lapsed(visitor, token, change, extra, status):
    task = task_id(submit(visitor, token("officer"), "request-seal.xml"), "real-estate")
    csrf = sign_in(visitor, "staff-real-estate")
    waiting = {
        "csrf": csrf,
        "outcome": "WAITLISTED",
        "item-0-include": "on",
        "item-0-registration": "BDC-CF-2026-0117",
        "item-0-start": "2026-11-27",
        "item-0-end": "2029-11-26",
        "item-0-queue": "2",
        "handler_name": "刘敏",
        "handler_phone": "0433-5552210",
    }
    assert post_form(visitor, f"/tasks/{task}/receipt", waiting).status_code == 303
    [control] = visitor.get("/api/v1/controls", headers=token("officer")).json()["items"]
    assert (control["status"], control["queue_position"]) == ("WAITLISTED", 2)
    page = visitor.get(f"/tasks/{task}").text
    assert "轮候查封 BDC-CF-2026-0117 的后续变化" in page
    assert 'value="刘敏"' in page and 'value="0433-5552210"' in page  # the handler of the last receipt
    assert f'action="/tasks/{task}/controls/{control["id"]}/report"' in page

    moved = {"csrf": csrf, "change": "queue", "queue": "1", "handler_name": "刘敏"}
    assert post_form(visitor, f"/tasks/{task}/controls/{control['id']}/report", moved).status_code == 303
    assert "当前轮候顺位：第 1 位" in visitor.get(f"/tasks/{task}").text
    report = {"csrf": csrf, "change": change, "handler_name": "刘敏", **extra}
    answer = post_form(visitor, f"/tasks/{task}/controls/{control['id']}/report", report)

    assert answer.status_code == 303, answer.text
    [changed] = visitor.get("/api/v1/controls", headers=token("officer")).json()["items"]
    assert (changed["id"], changed["status"]) == (control["id"], status)
    if status == "ACTIVE":
        assert changed["promoted_at"] is not None
        assert (changed["period_start"], changed["period_end"]) == ("2027-03-01", "2030-02-28")
    waiting_receipt, moved_receipt, report_receipt = receipts(visitor, token, "real-estate", task)
    assert (waiting_receipt["outcome"], moved_receipt["outcome"]) == ("WAITLISTED", "WAITLISTED")
    assert report_receipt["final"] is True
    assert "后续变化" not in visitor.get(f"/tasks/{task}").text  # nothing waits any more


@pytest.mark.parametrize(
    ("request_name", "unit", "answer", "outcome"),
    [
        (
            "request-locate-person.xml",
            "town-mingyue",
            {"located_address": "明月镇东山路18号", "located_note": "本人在家"},
            "LOCATED",
        ),
        ("request-credit-notice.xml", "cppcc", {}, "ACKNOWLEDGED"),
        (
            "request-deduct.xml",
            "housing-fund",
            {"item-0-include": "on", "item-0-registration": "GJJ-KH-1", "item-0-amount": "50000.00"},
            "CONTROLLED",
        ),
        (
            "request-seize.xml",
            "vehicles",
            {
                "item-0-include": "on",
                "item-0-registration": "CGS-KY-1",
                "item-0-start": "2026-11-27",
                "item-0-end": "2028-11-26",
                "reason_code": "ALREADY_TRANSFERRED",
                "reason_text": "吉H·B5678已转让。",
            },
            "PARTIAL",
        ),
    ],
)
def test_each_action_has_its_form_and_its_answer(visitor, token, request_name, unit, answer, outcome):
    task = task_id(submit(visitor, token("officer"), request_name), unit)
    csrf = sign_in(visitor, f"staff-{unit}")
    assert f'name="outcome" value="{outcome}"' in visitor.get(f"/tasks/{task}").text

    posted = post_form(
        visitor,
        f"/tasks/{task}/receipt",
        {"csrf": csrf, "outcome": outcome, "handler_name": "经办人", **answer},
    )

    assert posted.status_code == 303, posted.text
    [receipt] = receipts(visitor, token, unit, task)
    assert receipt["outcome"] == outcome and task_status(visitor, token, unit, task) == "completed"
    if outcome == "LOCATED":
        assert receipt["assets"][0]["description"] == "现住址：明月镇东山路18号；情况说明：本人在家"


def test_an_objection_closes_the_task_as_objected_with_its_reason_and_written_objection(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-deduct.xml"), "insurer-picc")
    csrf = sign_in(visitor, "staff-insurer-picc")
    refused = post_form(visitor, f"/tasks/{task}/objection", {"csrf": csrf, "handler_name": "吴静"})
    assert (
        refused.status_code == 422
        and "请选择原因并写明情况" in refused.text
        and "请写明提出异议的理由" in refused.text
    )

    answer = post_form(
        visitor,
        f"/tasks/{task}/objection",
        {
            "csrf": csrf,
            "reason_code": "THIRD_PARTY_PROPERTY",
            "reason_text": "投保人为案外人。",
            "handler_name": "吴静",
        },
        [("objection_file", ("objection.pdf", example_file("objection.pdf"), "application/pdf"))],
    )

    assert answer.status_code == 303, answer.text
    [receipt] = receipts(visitor, token, "insurer-picc", task)
    assert (receipt["outcome"], receipt["final"]) == ("OBJECTED", True)
    assert (receipt["reason_code"], receipt["reason_text"]) == ("THIRD_PARTY_PROPERTY", "投保人为案外人。")
    assert [f["type"] for f in receipt["files"]] == ["OBJECTION"]
    assert task_status(visitor, token, "insurer-picc", task) == "objected"
    assert "法院尚未答复" in visitor.get(f"/tasks/{task}").text


def test_a_refused_form_is_shown_again_with_every_value_and_each_problem(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-freeze.xml"), "housing-fund")
    csrf = sign_in(visitor, "staff-housing-fund")
    typed = {
        "csrf": csrf,
        "outcome": "CONTROLLED",
        "item-0-include": "on",
        "item-0-registration": "",
        "item-0-start": "2026-11-28",
        "item-0-end": "2027-11-27",
        "item-0-amount": "48000.5",
        "handler_name": "王五",
        "handler_phone": "0433-5559876",
        "reason_text": "余额不足部分另行处理",
    }

    refused = post_form(visitor, f"/tasks/{task}/receipt", typed)

    assert refused.status_code == 422
    page = refused.text
    assert "第 1 项（220100123456789）的登记编号" in page and "写了原因说明，请同时选择原因类别" in page
    for value in ("2026-11-28", "2027-11-27", "48000.5", "王五", "0433-5559876"):
        assert f'value="{value}"' in page
    assert "余额不足部分另行处理</textarea>" in page
    assert 'value="CONTROLLED" checked' in page and 'name="item-0-include" value="on" checked' in page
    assert receipts(visitor, token, "housing-fund", task) == []

    acknowledged = post_form(
        visitor,
        f"/tasks/{task}/acknowledge",
        {"csrf": csrf, "handler_name": "王五", "receipt_no": "HF-WEB-0002"},
    )
    assert (
        acknowledged.status_code == 303
        and task_status(visitor, token, "housing-fund", task) == "acknowledged"
    )
    reused = {
        **typed,
        "item-0-registration": "GJJ-DJ-2026-0042",
        "reason_text": "",
        "receipt_no": "HF-WEB-0002",
    }
    conflict = post_form(visitor, f"/tasks/{task}/receipt", reused)
    assert conflict.status_code == 409 and "这个回执编号本单位已经用过" in conflict.text
    assert 'value="GJJ-DJ-2026-0042"' in conflict.text and 'value="HF-WEB-0002"' in conflict.text
    assert [r["final"] for r in receipts(visitor, token, "housing-fund", task)] == [False]


def test_a_query_found_without_any_asset_is_refused_in_words(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-query.xml"), "vehicles")
    csrf = sign_in(visitor, "staff-vehicles")
    data = {"csrf": csrf, "outcome": "FOUND", "handler_name": "李", "asset-0-owner-0-share": "一半"}
    refused = post_form(visitor, f"/tasks/{task}/receipt", data)
    assert refused.status_code == 422
    assert "份额请写成 1/2 这样的分数" in refused.text and "第 1 项财产的财产标识" in refused.text
    data["asset-0-owner-0-share"] = ""
    assert "请至少填写一项财产" in post_form(visitor, f"/tasks/{task}/receipt", data).text
    pasted = post_form(
        visitor, f"/tasks/{task}/receipt", {**data, "asset-0-class": "VEHICLE", "asset-0-id": "吉H\x0bA1234"}
    )
    assert pasted.status_code == 422 and "控制字符" in pasted.text


def test_a_receipt_xml_is_uploaded_as_is_and_a_broken_one_is_refused_with_its_line(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-freeze.xml"), "housing-fund")
    csrf = sign_in(visitor, "staff-housing-fund")
    document = example("receipt-controlled.xml")
    broken = visitor.post(
        f"/tasks/{task}/receipt-xml",
        data={"csrf": csrf},
        files=[
            ("document", ("r.xml", document.replace(b"<Final>true", b"<Final>maybe"), "application/xml")),
            SCAN,
        ],
    )
    assert broken.status_code == 422 and "第 8 行" in broken.text

    parts = [("document", ("r.xml", document, "application/xml"))]
    parts += [("files", (name, example_file(name), "application/pdf")) for name in listed_files(document)]
    answer = visitor.post(f"/tasks/{task}/receipt-xml", data={"csrf": csrf}, files=parts)

    assert answer.status_code == 303, answer.text
    [receipt] = receipts(visitor, token, "housing-fund", task)
    assert (receipt["receipt_no"], receipt["outcome"]) == ("HF-2026-8891", "CONTROLLED")
    raw = visitor.get(f"/tasks/{task}/receipts/{receipt['id']}/document")
    assert raw.content == document  # the bytes as uploaded


def test_another_units_task_its_files_and_notice_are_not_found(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-freeze.xml"), "housing-fund")
    csrf = sign_in(visitor, "staff-real-estate")
    for path in ("", "/notice", "/document", "/files/ruling.pdf", "/files/notice.pdf"):
        answer = visitor.get(f"/tasks/{task}{path}")
        assert answer.status_code == 404 and "没有找到这个任务" in answer.text, path
    posted = post_form(visitor, f"/tasks/{task}/receipt", {"csrf": csrf, "outcome": "CONTROLLED"})
    assert posted.status_code == 404

    sign_in(visitor, "staff-housing-fund")
    api = visitor.get(f"/api/v1/tasks/{task}/files/ruling.pdf", headers=token("staff-housing-fund"))
    page = visitor.get(f"/tasks/{task}/files/ruling.pdf")
    assert page.status_code == 200 and page.content == api.content == example_file("ruling.pdf")
    assert page.headers["x-content-sha256"] == api.headers["x-content-sha256"]
    assert visitor.get(f"/tasks/{task}/document").content == example("request-freeze.xml")
    notice = visitor.get(f"/tasks/{task}/notice")
    assert (
        notice.status_code == 200
        and "协助执行通知书" in notice.text
        and "延边州住房公积金管理中心安图县管理部" in notice.text
    )
    assert "frame-ancestors 'self'" in notice.headers["content-security-policy"]


def test_an_officer_reads_his_courts_task_without_any_form(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-freeze.xml"), "housing-fund")
    sign_in(visitor, "officer")
    page = visitor.get(f"/tasks/{task}")
    assert (
        page.status_code == 200
        and "只能查看" in page.text
        and '<form method="post" action="/tasks' not in page.text
    )
    assert visitor.get(f"/tasks/{task}/notice").status_code == 200
    assert visitor.get("/inbox").status_code == 403


def test_a_form_without_its_csrf_token_is_refused(visitor, token):
    task = task_id(submit(visitor, token("officer"), "request-freeze.xml"), "housing-fund")
    sign_in(visitor, "staff-housing-fund")
    for path in ("receipt", "acknowledge", "objection", "receipt-xml"):
        answer = post_form(
            visitor, f"/tasks/{task}/{path}", {"outcome": "CONTROLLED", "handler_name": "王五"}
        )
        assert answer.status_code == 403 and "表单已过期" in answer.text, path
    assert receipts(visitor, token, "housing-fund", task) == []


def test_opening_the_task_page_marks_it_viewed(visitor, token):
    task_id = submit(visitor, token("officer"), "request-freeze.xml")["tasks"][0]["id"]
    officer = token("officer")
    assert visitor.get(f"/api/v1/tasks/{task_id}", headers=officer).json()["viewed_at"] is None
    sign_in(visitor, "staff-housing-fund")
    assert visitor.get(f"/tasks/{task_id}").status_code == 200
    assert visitor.get(f"/api/v1/tasks/{task_id}", headers=officer).json()["viewed_at"] is not None
