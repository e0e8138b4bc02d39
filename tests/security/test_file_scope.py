"""A file belongs to the court or unit that sent it: its sha256 names it to nobody else.

A document may list a file without sending it when the store holds it. Before, that held for any court or unit:
a court listed another court's ruling by its hash, got its request accepted and then downloaded the ruling, and
the answer told whether a file with some hash existed at all.
"""

import hashlib

import pytest
from alembic import command
from conftest import edit, example, example_file, multipart, submit
from sqlalchemy import text

from hub.migrations import alembic_config

pytestmark = pytest.mark.db

SECRET_RULING = b"%PDF-1.4 the ruling of court J2426 in another case"


def _freeze_for(court: str, officer: str, request_no: str, ruling: bytes) -> bytes:
    """The example FREEZE of `court`, listing `ruling` as its ruling."""
    return edit(
        "request-freeze.xml",
        ("AT-2026-000123", request_no),
        ('code="J2426">安图县人民法院', f'code="{court}">{officer}'),
        (hashlib.sha256(example_file("ruling.pdf")).hexdigest(), hashlib.sha256(ruling).hexdigest()),
    )


def test_a_court_cannot_list_another_courts_file_by_its_hash(client, token, other_officer):
    mine = _freeze_for("J2426", "安图县人民法院", "AT-2026-000901", SECRET_RULING)
    sent = client.post(
        "/api/v1/requests",
        files=multipart(mine, "notice.pdf", files={"ruling.pdf": SECRET_RULING}),
        headers=token("officer"),
    )
    assert sent.status_code == 201, sent.text

    theirs = _freeze_for("J2401", "延吉市人民法院", "YJ-2026-000901", SECRET_RULING)
    borrowed = client.post("/api/v1/requests", files=multipart(theirs, "notice.pdf"), headers=other_officer)

    assert borrowed.status_code == 422, borrowed.text
    assert "ruling.pdf is listed but was not sent" in borrowed.json()["error"]["message"]
    # and the answer is the one for a hash nobody ever sent: no oracle of which files exist
    unknown = _freeze_for("J2401", "延吉市人民法院", "YJ-2026-000902", b"%PDF-1.4 never sent by anyone")
    never = client.post("/api/v1/requests", files=multipart(unknown, "notice.pdf"), headers=other_officer)
    assert never.status_code == 422
    assert never.json()["error"]["message"] == borrowed.json()["error"]["message"]


def test_a_court_lists_its_own_file_again_without_sending_it(client, token):
    officer = token("officer")
    submit(client, officer, "request-freeze.xml")
    again = edit("request-freeze.xml", ("AT-2026-000123", "AT-2026-000902"))

    response = client.post("/api/v1/requests", files=multipart(again), headers=officer)

    assert response.status_code == 201, response.text


def test_a_unit_cannot_list_another_units_attachment_by_its_hash(client, token):
    query = submit(client, token("officer"), "request-query.xml")  # to real-estate, vehicles, civil-affairs
    tasks = {t["unit_code"]: t["id"] for t in query["tasks"]}
    scan = b"%PDF-1.4 the real-estate registry's signed answer"
    listing = (hashlib.sha256(example_file("receipt.pdf")).hexdigest(), hashlib.sha256(scan).hexdigest())
    answered = client.post(
        f"/api/v1/tasks/{tasks['real-estate']}/receipts",
        files=multipart(edit("receipt-found.xml", listing), files={"receipt.pdf": scan}),
        headers=token("staff-real-estate"),
    )
    assert answered.status_code == 201, answered.text

    response = client.post(
        f"/api/v1/tasks/{tasks['vehicles']}/receipts",
        files=multipart(edit("receipt-not-found.xml", listing)),
        headers=token("staff-vehicles"),
    )

    assert response.status_code == 422, response.text
    assert "receipt.pdf is listed but was not sent" in response.json()["error"]["message"]


def test_the_migration_gives_each_stored_file_to_the_court_that_sent_it(client, token, hub, database_url):
    submit(client, token("officer"), "request-freeze.xml")
    config = alembic_config(database_url)
    command.downgrade(config, "0007")
    command.upgrade(config, "head")

    with hub.engine.connect() as conn:
        owners = set(conn.execute(text("SELECT sha256, owner_kind, owner_code FROM blob_owners")))
    listed = {hashlib.sha256(example_file(n)).hexdigest() for n in ("ruling.pdf", "notice.pdf")}
    document = hashlib.sha256(example("request-freeze.xml")).hexdigest()
    assert {(d, "court", "J2426") for d in {*listed, document}} <= owners
