"""What comes back through channels (folder receipts) and what the inbox owes staff (one e-mail per batch)."""

from datetime import timedelta

import pytest
from conftest import edit, example, example_file, sent_by_hub, submit
from sqlalchemy import select

from hub.clock import now
from hub.db import unit_of_work
from hub.delivery.intake import send_inbox_notices, take_folder_receipts
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.models import QueuedDelivery


@pytest.fixture
def mail(hub, smtp):
    hub.settings.smtp_host, hub.settings.smtp_port = smtp.host, smtp.port
    return smtp


def staff_of(message) -> str:
    return message["To"]


def test_each_unit_gets_one_notice_for_a_batch_of_new_tasks(hub, client, token, mail):
    officer = token("officer")
    first = submit(client, officer, "request-query.xml")
    second = submit(client, officer, "request-query-all.xml")
    polled = {u.code for u in load_directory(BUNDLED_DIRECTORY).units if u.channel.kind == "ckw"}
    units = {t["unit_code"] for t in first["tasks"] + second["tasks"]} - polled  # their systems poll: no mail
    assert polled and "real-estate" in polled

    assert send_inbox_notices(hub) == len(units)
    assert sorted(staff_of(m) for m in mail.messages) == sorted(f"{u}.staff@example.org" for u in units)
    [civil] = [m for m in mail.messages if staff_of(m) == "civil-affairs.staff@example.org"]
    body = civil.get_body(("plain",)).get_content()
    assert "有 2 件新的协助事项" in civil["Subject"]
    assert ("AT-2026-000101" in body and "AT-2026-000102" in body) or body.count("查询") >= 2
    assert f"{hub.settings.public_url}/inbox" in body

    assert send_inbox_notices(hub) == 0  # nothing goes twice
    assert len(mail.messages) == len(units)


def test_a_notice_the_mail_server_did_not_take_is_sent_when_it_is_back(hub, client, token, mail):
    submit(client, token("officer"), "request-freeze.xml")
    mail.stop()
    assert send_inbox_notices(hub) == 0
    with unit_of_work(hub.sessions) as session:
        owed = session.execute(
            select(QueuedDelivery).where(QueuedDelivery.notice_due_at.is_not(None))
        ).scalars()
        assert [d.unit_code for d in owed] == ["housing-fund"]
    mail.start()
    assert send_inbox_notices(hub) == 0  # claimed by the failed run until its lease ends
    assert send_inbox_notices(hub, at=now() + timedelta(minutes=6)) == 1
    [message] = mail.messages
    assert message["To"] == "housing-fund.staff@example.org"


@pytest.fixture
def folders(tmp_path):
    outbox, inbox = tmp_path / "outbox", tmp_path / "inbox"
    outbox.mkdir()
    inbox.mkdir()
    return outbox, inbox


def test_a_folder_unit_gets_its_task_as_files_and_answers_with_a_file(
    hub, client, token, switch, worker, folders
):
    outbox, inbox = folders
    switch("housing-fund", {"kind": "folder", "outbox": str(outbox), "inbox": str(inbox)})
    officer = token("officer")
    request = submit(client, officer, "request-freeze.xml")
    assert request["tasks"][0]["status"] == "created"
    worker.run_deliveries()

    written = outbox / "AT-2026-000123"
    assert sent_by_hub(hub, (written / "AT-2026-000123.xml").read_bytes()) == example("request-freeze.xml")
    assert (written / "ruling.pdf").read_bytes() == example_file("ruling.pdf")
    task_id = request["tasks"][0]["id"]
    assert client.get(f"/api/v1/tasks/{task_id}", headers=officer).json()["status"] == "served"

    (inbox / "receipt.pdf").write_bytes(example_file("receipt.pdf"))  # attachments first, then the XML
    (inbox / "HF-2026-8891.xml").write_bytes(example("receipt-controlled.xml"))
    assert take_folder_receipts(hub) == 1
    task = client.get(f"/api/v1/tasks/{task_id}", headers=officer).json()
    assert (task["status"], task["outcome"]) == ("completed", "CONTROLLED")
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["HF-2026-8891.xml", "receipt.pdf"]
    assert [p.name for p in inbox.glob("*.xml")] == []


def test_a_broken_receipt_file_is_set_aside_with_the_reason(hub, client, token, switch, worker, folders):
    outbox, inbox = folders
    switch("housing-fund", {"kind": "folder", "outbox": str(outbox), "inbox": str(inbox)})
    submit(client, token("officer"), "request-freeze.xml")
    worker.run_deliveries()
    (inbox / "receipt.pdf").write_bytes(example_file("receipt.pdf"))
    (inbox / "bad.xml").write_bytes(edit("receipt-controlled.xml", ("<Outcome>CONTROLLED", "<Outcome>MAYBE")))
    (inbox / "stranger.xml").write_bytes(edit("receipt-controlled.xml", ("AT-2026-000123", "AT-2026-999999")))

    assert take_folder_receipts(hub) == 0
    rejected = inbox / "rejected"
    assert "Outcome" in (rejected / "bad.xml.error.txt").read_text(encoding="utf-8")
    assert "AT-2026-999999" in (rejected / "stranger.xml.error.txt").read_text(encoding="utf-8")
    assert not (inbox / "done").exists()
