"""The alert jobs as a unit's staff, an officer and a supervisor receive them: once, batched, in time."""

import threading
from datetime import datetime, timedelta

import pytest
from conftest import edit, edited, example, listed_files, multipart, submit
from sqlalchemy import update

from hub.alerts.service import run_job
from hub.clock import SHANGHAI
from hub.context import Hub
from hub.db import unit_of_work
from hub.models import Task

STAFF = "housing-fund.staff@example.org"
OFFICER = "officer@example.org"


def cst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def mail(hub, smtp):
    hub.settings.smtp_host, hub.settings.smtp_port = smtp.host, smtp.port
    return smtp


def freeze(client, token, number: int = 123) -> dict:
    """A FREEZE to the housing fund (1 working day), under RequestNo AT-2026-000<number>."""
    document = edit("request-freeze.xml", ("AT-2026-000123", f"AT-2026-000{number}"))
    response = client.post(
        "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    return response.json()


def serve_at(hub: Hub, task_id: int, served: str, due: str) -> None:
    """Put a task's service and due instant where a test needs them (Asia/Shanghai)."""
    with unit_of_work(hub.sessions) as session:
        session.execute(update(Task).where(Task.id == task_id).values(served_at=cst(served), due_at=cst(due)))


def to(mail, address: str) -> list:
    return [m for m in mail.messages if m["To"] == address]


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_overdue_tells_the_unit_and_the_officer_once(hub, client, token, mail):
    task = freeze(client, token)["tasks"][0]
    serve_at(hub, task["id"], "2026-12-01T10:00:00", "2026-12-02T23:59:59")

    assert run_job(hub, "overdue", at=cst("2026-12-02T23:00:00")).sent == 0  # not yet due
    run = run_job(hub, "overdue", at=cst("2026-12-03T09:00:00"))
    assert (run.derived, run.sent) == (2, 2)
    [staff], [officer] = to(mail, STAFF), to(mail, OFFICER)
    assert "逾期提醒：1 件" in staff["Subject"]
    assert "AT-2026-000123" in body(staff) and f"/tasks/{task['id']}" in body(staff)
    assert "逾期工作日：1" in body(officer)  # Thursday 3 December: one working day after the due day
    assert staff.get_body(("html",)) is not None

    again = run_job(hub, "overdue", at=cst("2026-12-04T09:00:00"))
    assert (again.derived, again.sent) == (0, 0) and len(mail.messages) == 2


def test_one_email_per_recipient_lists_all_their_tasks(hub, client, token, mail):
    for number in (123, 124, 125):
        task = freeze(client, token, number)["tasks"][0]
        serve_at(hub, task["id"], "2026-12-01T10:00:00", "2026-12-02T23:59:59")
    run_job(hub, "overdue", at=cst("2026-12-03T09:00:00"))
    [staff], [officer] = to(mail, STAFF), to(mail, OFFICER)
    assert "逾期提醒：3 件" in staff["Subject"]
    for number in (123, 124, 125):
        assert f"AT-2026-000{number}" in body(staff) and f"AT-2026-000{number}" in body(officer)


def test_with_the_mail_server_down_alerts_wait_and_then_go_once(hub, client, token, mail):
    task = freeze(client, token)["tasks"][0]
    serve_at(hub, task["id"], "2026-12-01T10:00:00", "2026-12-02T23:59:59")
    mail.stop()
    down = run_job(hub, "overdue", at=cst("2026-12-03T09:00:00"))
    assert (down.derived, down.sent, down.waiting) == (2, 0, 2)
    mail.start()
    back = run_job(hub, "overdue", at=cst("2026-12-03T09:15:00"))
    assert (back.derived, back.sent) == (0, 2)
    assert run_job(hub, "overdue", at=cst("2026-12-03T09:30:00")).sent == 0
    assert sorted(m["To"] for m in mail.messages) == sorted([STAFF, OFFICER])


def test_a_reminder_comes_the_working_day_before_across_the_spring_festival(hub, client, token, mail):
    task = submit(client, token("officer"), "request-query.xml")["tasks"][0]  # real-estate, 3 working days
    # served Friday 13 February 2026; due three working days later: 14 (adjusted Saturday), 24, 25 February
    serve_at(hub, task["id"], "2026-02-13T10:00:00", "2026-02-25T23:59:59")
    assert run_job(hub, "due-soon", at=cst("2026-02-14T12:00:00")).sent == 0  # two working days left
    assert run_job(hub, "due-soon", at=cst("2026-02-23T12:00:00")).sent == 0  # still the holiday
    run = run_job(hub, "due-soon", at=cst("2026-02-24T08:00:00"))  # the working day before the due day
    assert run.sent == 1
    [reminder] = to(mail, "real-estate.staff@example.org")
    assert "即将到期提醒：1 件" in reminder["Subject"] and "2026年2月25日 23:59" in body(reminder)


def test_escalation_waits_three_working_days_across_national_day(hub, client, token, mail):
    task = freeze(client, token)["tasks"][0]
    serve_at(hub, task["id"], "2026-09-29T10:00:00", "2026-09-30T23:59:59")
    # 1-7 October are off; 8, 9 and 10 (an adjusted Saturday) are the three working days overdue
    assert run_job(hub, "escalation", at=cst("2026-10-10T12:00:00")).sent == 0
    run = run_job(hub, "escalation", at=cst("2026-10-11T08:00:00"))
    assert run.sent == 2
    [unit_head] = to(mail, "housing-fund.supervisor@example.org")
    [court_head] = to(mail, "j2426.supervisor@example.org")
    assert "督办：1 件" in unit_head["Subject"] and "逾期工作日：3" in body(court_head)


def test_alerts_are_visible_to_whom_they_concern(hub, client, token, mail):
    task = freeze(client, token)["tasks"][0]
    serve_at(hub, task["id"], "2026-12-01T10:00:00", "2026-12-02T23:59:59")
    run_job(hub, "overdue", at=cst("2026-12-03T09:00:00"))

    def seen(username: str) -> list[tuple[str, str]]:
        response = client.get("/api/v1/alerts", headers=token(username))
        assert response.status_code == 200, response.text
        return sorted((a["recipient"], a["items"][0]["entity_id"]) for a in response.json()["items"])

    assert seen("officer") == [(OFFICER, str(task["id"]))]
    assert seen("staff-housing-fund") == [(STAFF, str(task["id"]))]
    assert seen("staff-real-estate") == []
    assert len(seen("admin")) == 2


def test_two_processes_running_the_same_job_at_once_send_each_alert_once(hub, client, token, mail, settings):
    for number in range(123, 133):
        task = freeze(client, token, number)["tasks"][0]
        serve_at(hub, task["id"], "2026-12-01T10:00:00", "2026-12-02T23:59:59")
    hubs = [Hub.from_settings(settings.model_copy()) for _ in range(2)]
    for other in hubs:
        other.settings.smtp_host, other.settings.smtp_port = mail.host, mail.port
    barrier = threading.Barrier(2)
    runs = []

    def run(other: Hub) -> None:
        barrier.wait()
        runs.append(run_job(other, "overdue", at=cst("2026-12-03T09:00:00")))

    threads = [threading.Thread(target=run, args=(other,)) for other in hubs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for other in hubs:
        other.engine.dispose()
    assert sum(r.sent for r in runs) == 2
    assert sorted(m["To"] for m in mail.messages) == sorted([STAFF, OFFICER])
    assert all("逾期提醒：10 件" in m["Subject"] for m in mail.messages)


def test_an_objection_is_told_at_once_and_again_when_its_answer_is_late(hub, client, token, mail):
    request = freeze(client, token)
    [task] = request["tasks"]
    objected = edit(
        "receipt-objected.xml",
        ("<UnitCode>insurer-picc", "<UnitCode>housing-fund"),
        ("AT-2026-000104", "AT-2026-000123"),
    )
    response = client.post(
        f"/api/v1/tasks/{task['id']}/receipts",
        files=multipart(objected, *listed_files(objected)),
        headers=token("staff-housing-fund"),
    )
    assert response.status_code == 201, response.text
    first = run_job(hub, "objections")
    assert first.sent == 2  # the officer and the court's supervisor
    [notice] = to(mail, OFFICER)
    assert "异议" in notice["Subject"] and "答复期限" in body(notice)
    late = datetime.now(SHANGHAI) + timedelta(days=16)
    assert run_job(hub, "objections", at=late).sent == 2
    answered = client.post(
        f"/api/v1/tasks/{task['id']}/objection-answer",
        json={"answer": "异议不成立，请继续协助冻结。"},
        headers=token("officer"),
    )
    assert answered.status_code == 200 and answered.json()["objection_answer"].startswith("异议不成立")
    assert run_job(hub, "objections", at=late + timedelta(days=1)).derived == 0


def test_the_monday_digest_reads_like_a_report(hub, client, token, mail):
    answered = freeze(client, token, 123)["tasks"][0]
    late = freeze(client, token, 124)["tasks"][0]
    serve_at(hub, answered["id"], "2026-11-24T10:00:00", "2026-11-25T23:59:59")
    serve_at(hub, late["id"], "2026-11-24T11:00:00", "2026-11-25T23:59:59")
    receipt = edit("receipt-controlled.xml")
    response = client.post(
        f"/api/v1/tasks/{answered['id']}/receipts",
        files=multipart(receipt, *listed_files(receipt)),
        headers=token("staff-housing-fund"),
    )
    assert response.status_code == 201, response.text
    with unit_of_work(hub.sessions) as session:  # answered on Wednesday, one working day after service
        session.execute(
            update(Task).where(Task.id == answered["id"]).values(closed_at=cst("2026-11-25T15:00:00"))
        )

    assert run_job(hub, "digest", at=cst("2026-11-30T07:59:00")).sent == 0  # Monday, before 08:00
    run = run_job(hub, "digest", at=cst("2026-11-30T08:00:00"))
    assert run.sent == 2  # the court's supervisor and the housing fund's
    [court] = to(mail, "j2426.supervisor@example.org")
    assert court["Subject"] == "【执行联动】执行联动周报：2026年11月23日至2026年11月29日（安图县人民法院）"
    text = body(court)
    assert "共向 1 个协助单位送达 2 件协助事项，已答复 1 件，其中按期答复 1 件（按期率 100%）" in text
    assert "逾期未办 1 件" in text and "AT-2026-000124" in text
    assert "答复用时中位数（工作日）：1" in text
    [unit] = to(mail, "housing-fund.supervisor@example.org")
    assert "延边州住房公积金管理中心安图县管理部" in unit["Subject"]
    assert run_job(hub, "digest", at=cst("2026-11-30T09:00:00")).sent == 0
    assert run_job(hub, "digest", at=cst("2026-12-01T09:00:00")).sent == 0  # once a week


def frozen_account(client, token) -> dict:
    """An ACTIVE freeze of a housing-fund account, 2026-11-28 to 2027-11-27 (receipt-controlled.xml)."""
    request = freeze(client, token)
    receipt = edit("receipt-controlled.xml")
    response = client.post(
        f"/api/v1/tasks/{request['tasks'][0]['id']}/receipts",
        files=multipart(receipt, *listed_files(receipt)),
        headers=token("staff-housing-fund"),
    )
    assert response.status_code == 201, response.text
    [control] = response.json()["controls"]
    return control


def test_an_ending_control_is_told_30_15_and_7_days_before_with_its_renewal_drafted(hub, client, token, mail):
    from hub.standard.rules import inspect

    control = frozen_account(client, token)
    assert run_job(hub, "controls", at=cst("2027-10-27T09:00:00")).sent == 0  # 31 days left
    assert run_job(hub, "controls", at=cst("2027-10-28T09:00:00")).sent == 1  # 30
    assert run_job(hub, "controls", at=cst("2027-10-29T09:00:00")).sent == 0
    assert run_job(hub, "controls", at=cst("2027-11-12T09:00:00")).sent == 1  # 15
    assert run_job(hub, "controls", at=cst("2027-11-21T09:00:00")).sent == 1  # 6: the 7-day notice
    first, _, last = to(mail, OFFICER)
    assert "控制措施提醒：1 项" in first["Subject"] and "GJJ-DJ-2026-0042" in body(first)
    assert "剩余天数：30" in body(first) and "剩余天数：6" in body(last)
    [draft] = [part for part in first.iter_attachments() if part.get_filename().endswith(".xml")]
    renewal = inspect(draft.get_content(), expect="request").request
    assert str(renewal.action) == "RENEW" and renewal.items[0].period.start.isoformat() == "2027-11-28"
    assert renewal.items[0].original.registration_no == "GJJ-DJ-2026-0042"
    shown = client.get("/api/v1/controls?status=ACTIVE", headers=token("officer")).json()["items"]
    assert [c["id"] for c in shown] == [control["id"]]


def test_a_control_past_its_end_unrenewed_expires_and_the_officer_is_told(hub, client, token, mail):
    control = frozen_account(client, token)
    assert run_job(hub, "controls", at=cst("2027-11-27T23:00:00")).sent == 1  # the last day: 7-day notice
    run = run_job(hub, "controls", at=cst("2027-11-28T00:30:00"))
    assert run.sent == 1
    expired = client.get("/api/v1/controls?status=EXPIRED", headers=token("officer")).json()["items"]
    assert [c["id"] for c in expired] == [control["id"]]
    last = to(mail, OFFICER)[-1]
    assert "已到期失效" in body(last) and "GJJ-DJ-2026-0042" in body(last)
    assert run_job(hub, "controls", at=cst("2027-11-29T09:00:00")).sent == 0


def test_a_failed_delivery_reaches_the_administrators(
    hub, client, token, mail, switch, dead_url, worker, monkeypatch
):
    monkeypatch.setenv("HUB_TEST_PUSH_SECRET", "s")
    switch("housing-fund", {"kind": "http-push", "url": dead_url, "token_env": "HUB_TEST_PUSH_SECRET"})
    task = freeze(client, token)["tasks"][0]
    worker.run_deliveries()
    run = run_job(hub, "delivery-failed")
    assert run.sent == 1
    [admin] = to(mail, "admin@example.org")
    assert (
        "送达失败：1 件" in admin["Subject"]
        and str(task["id"]) in body(admin)
        and "ConnectError" in body(admin)
    )
    assert run_job(hub, "delivery-failed").sent == 0


def test_a_waiting_seal_that_took_effect_is_told_to_the_officer(hub, client, token, mail):
    waitlisted = example("receipt-waitlisted.xml")
    request = submit(client, token("officer"), "request-seal.xml")
    task_id = request["tasks"][0]["id"]
    staff = token("staff-real-estate")
    for receipt in (
        waitlisted,
        edited(  # first in the queue now
            waitlisted,
            ("RE-2026-0302", "RE-2026-0350"),
            ("<QueuePosition>2</QueuePosition>", "<QueuePosition>1</QueuePosition>"),
        ),
        edited(
            waitlisted,
            ("RE-2026-0302", "RE-2026-0355"),
            ("<Outcome>WAITLISTED", "<Outcome>CONTROLLED"),
            ("<QueuePosition>2</QueuePosition>", ""),
        ),
    ):
        response = client.post(
            f"/api/v1/tasks/{task_id}/receipts",
            files=multipart(receipt, *listed_files(receipt)),
            headers=staff,
        )
        assert response.status_code == 201, response.text
    run = run_job(hub, "controls")
    assert run.sent == 1
    [told] = to(mail, OFFICER)
    assert "轮候查封已生效" in body(told) and "BDC-CF-2026-0117" in body(told)
    assert run_job(hub, "controls").sent == 0


def test_a_long_list_is_cut_at_200_rows_with_the_count_of_the_rest():
    from hub.alerts.messages import MAX_ROWS, Section, render

    rows = [[str(i), f"AT-2026-{i:06d}"] for i in range(MAX_ROWS + 35)]
    section = Section(
        "已逾期", "以下协助事项已超过办理期限。", ["事项编号", "文书编号"], rows, [""] * len(rows)
    )
    text, page = render("【执行联动】逾期提醒", [section], at=cst("2026-12-03T09:00:00"))
    assert f"AT-2026-{MAX_ROWS - 1:06d}" in text and f"AT-2026-{MAX_ROWS:06d}" not in text
    assert "另有 35 项未在此列出" in text and "另有 35 项未在此列出" in page


def test_a_registration_the_unit_withdrew_ends_the_control_and_is_told_to_the_officer(
    hub, client, token, mail
):
    controlled = example("receipt-controlled.xml")
    request = submit(client, token("officer"), "request-freeze.xml")
    task_id = request["tasks"][0]["id"]
    staff = token("staff-housing-fund")
    withdrawn = edited(
        controlled,
        ("HF-2026-8891", "HF-2026-8902"),
        (
            "<Outcome>CONTROLLED</Outcome>",
            '<Outcome>UNABLE</Outcome><Reason code="OTHER">冻结登记有误，已撤销</Reason>',
        ),
        ('<Period start="2026-11-28" end="2027-11-27"/>', ""),
        ('<Amount currency="CNY">50000.00</Amount>', ""),
    )
    for receipt in (controlled, withdrawn):
        response = client.post(
            f"/api/v1/tasks/{task_id}/receipts",
            files=multipart(receipt, *listed_files(receipt)),
            headers=staff,
        )
        assert response.status_code == 201, response.text
    [control] = response.json()["controls"]
    assert (control["registration_no"], control["status"]) == ("GJJ-DJ-2026-0042", "WITHDRAWN")
    again = client.post(
        f"/api/v1/tasks/{task_id}/receipts",
        files=multipart(edited(withdrawn, ("HF-2026-8902", "HF-2026-8903")), *listed_files(withdrawn)),
        headers=staff,
    )
    assert again.status_code == 409 and "WITHDRAWN" in again.json()["error"]["message"]
    run = run_job(hub, "controls")
    assert run.sent == 1
    [told] = to(mail, OFFICER)
    assert "协助单位已撤销的控制登记" in body(told) and "GJJ-DJ-2026-0042" in body(told)
    assert run_job(hub, "controls").sent == 0


def test_a_withdrawn_registration_takes_its_renewal_with_it(hub, client, token):
    from conftest import renewed_control

    first, renewal = renewed_control(client, token)
    task_id = first["task_id"]
    withdrawn = edited(
        example("receipt-controlled.xml"),
        ("HF-2026-8891", "HF-2026-8910"),
        (
            "<Outcome>CONTROLLED</Outcome>",
            '<Outcome>UNABLE</Outcome><Reason code="OTHER">冻结登记有误，已撤销</Reason>',
        ),
        ('<Period start="2026-11-28" end="2027-11-27"/>', ""),
        ('<Amount currency="CNY">50000.00</Amount>', ""),
    )
    response = client.post(
        f"/api/v1/tasks/{task_id}/receipts",
        files=multipart(withdrawn, *listed_files(withdrawn)),
        headers=token("staff-housing-fund"),
    )
    assert response.status_code == 201, response.text
    statuses = {c["id"]: c["status"] for c in response.json()["controls"]}
    assert statuses == {first["id"]: "WITHDRAWN", renewal["id"]: "WITHDRAWN"}
