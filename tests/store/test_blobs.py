"""The content-addressed store: bytes kept under their sha256, with a row each, and nothing left by a rollback."""

import hashlib
import threading
from pathlib import Path

import pytest
from conftest import example, example_file, multipart
from sqlalchemy import select

from hub.auth.service import principal, user_by_name
from hub.db import unit_of_work
from hub.errors import Conflict
from hub.models import Blob, Request, RequestFile
from hub.requests.service import Submission, submit_request


class Boom(Exception):
    pass


def files_in(root: Path) -> list[Path]:
    """Every file under the store, temporary ones included."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rows(hub) -> dict[str, int]:
    with unit_of_work(hub.sessions) as session:
        return {b.sha256: b.size for b in session.execute(select(Blob)).scalars()}


def put(hub, data: bytes) -> str:
    with unit_of_work(hub.sessions) as session:
        return hub.blobs.put(session, data)


def test_put_stores_the_bytes_under_their_sha256(hub):
    data = "查封裁定书 page 1\n".encode() * 100
    digest = put(hub, data)

    assert digest == hashlib.sha256(data).hexdigest()
    path = hub.blobs.files.path(digest)
    assert path == hub.settings.data_dir / "blobs" / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == data
    assert hub.blobs.read(digest) == data
    assert files_in(hub.blobs.files.root) == [path]
    assert rows(hub) == {digest: len(data)}


def test_the_same_bytes_twice_keep_one_file_and_one_row(hub):
    data = b"%PDF-1.4 the same notice"
    first = put(hub, data)
    second = put(hub, data)
    with unit_of_work(hub.sessions) as session:  # twice in one transaction as well
        assert hub.blobs.put(session, data) == hub.blobs.put(session, data) == first

    assert second == first
    assert files_in(hub.blobs.files.root) == [hub.blobs.files.path(first)]
    assert rows(hub) == {first: len(data)}


def test_a_failed_transaction_leaves_neither_row_nor_file(hub):
    data = b"a ruling that never lands"
    digest = hashlib.sha256(data).hexdigest()
    with pytest.raises(Boom), unit_of_work(hub.sessions) as session:
        hub.blobs.put(session, data)
        assert hub.blobs.files.path(digest).read_bytes() == data  # written inside the transaction
        raise Boom

    assert not hub.blobs.files.path(digest).exists()
    assert files_in(hub.blobs.files.root) == []
    assert rows(hub) == {}


def test_a_failed_transaction_keeps_a_blob_stored_before(hub):
    old, new = b"stored last week", b"stored by the failing transaction"
    kept = put(hub, old)
    with pytest.raises(Boom), unit_of_work(hub.sessions) as session:
        assert hub.blobs.put(session, old) == kept
        added = hub.blobs.put(session, new)
        raise Boom

    assert hub.blobs.read(kept) == old
    assert not hub.blobs.files.path(added).exists()
    assert files_in(hub.blobs.files.root) == [hub.blobs.files.path(kept)]
    assert rows(hub) == {kept: len(old)}


def test_a_lost_file_is_written_back_when_its_bytes_come_again(hub):
    data = b"a notice whose file was lost"
    digest = put(hub, data)
    hub.blobs.files.path(digest).unlink()
    assert put(hub, data) == digest
    assert hub.blobs.read(digest) == data
    assert rows(hub) == {digest: len(data)}


def test_a_refused_request_leaves_no_file(client, token, stored, hub):
    before = stored()
    files_before = files_in(hub.blobs.files.root)
    # A renewal of a control the hub does not know: refused after its files were checked.
    refused = client.post(
        "/api/v1/requests",
        files=multipart(example("request-renew.xml"), "ruling.pdf", "notice.pdf"),
        headers=token("officer"),
    )
    assert refused.status_code == 422, refused.text
    assert "AT-2026-000123" in refused.json()["error"]["message"]
    assert stored() == before
    assert files_in(hub.blobs.files.root) == files_before


def test_two_requests_share_one_notice(client, token, stored, hub):
    officer = token("officer")
    notice = hashlib.sha256(example_file("notice.pdf")).hexdigest()
    first = client.post(
        "/api/v1/requests",
        files=multipart(example("request-freeze.xml"), "ruling.pdf", "notice.pdf"),
        headers=officer,
    )
    assert first.status_code == 201, first.text
    after_first = stored()
    second = client.post(
        "/api/v1/requests", files=multipart(example("request-query.xml"), "notice.pdf"), headers=officer
    )
    assert second.status_code == 201, second.text

    after = stored()
    # The second request adds its own XML only: its notice is the one already stored.
    assert (after["blobs"], after["blob_files"]) == (after_first["blobs"] + 1, after_first["blob_files"] + 1)
    assert [p for p in files_in(hub.blobs.files.root) if p.name == notice] == [hub.blobs.files.path(notice)]
    with unit_of_work(hub.sessions) as session:
        listed = session.execute(select(RequestFile).where(RequestFile.filename == "notice.pdf")).scalars()
        assert sorted((f.request_id, f.sha256) for f in listed) == [
            (first.json()["id"], notice),
            (second.json()["id"], notice),
        ]
    for request in (first.json(), second.json()):
        task = request["tasks"][0]
        staff = token(f"staff-{task['unit_code']}")
        got = client.get(f"/api/v1/tasks/{task['id']}/files/notice.pdf", headers=staff)
        assert got.status_code == 200 and got.content == example_file("notice.pdf")


def test_two_racing_documents_with_one_request_no_leave_only_the_winners_files(hub):
    """The same RequestNo sent twice at once with different content: one is kept, the other leaves nothing."""
    with unit_of_work(hub.sessions) as session:
        officer = principal(user_by_name(session, "officer"))
    document = example("request-freeze.xml")
    versions = [document, document.replace("住房公积金账户".encode(), "住房公积金个人账户".encode())]
    assert versions[0] != versions[1]
    files = {"ruling.pdf": example_file("ruling.pdf"), "notice.pdf": example_file("notice.pdf")}
    barrier = threading.Barrier(len(versions))
    outcomes: list[object] = []

    def send(data: bytes) -> None:
        barrier.wait(timeout=30)
        try:
            with unit_of_work(hub.sessions) as session:
                submit_request(
                    session,
                    settings=hub.settings,
                    blobs=hub.blobs,
                    principal=officer,
                    submission=Submission(data, dict(files)),
                )
            outcomes.append("stored")
        except Exception as exc:  # the loser's refusal: a conflict, never an error of the hub
            outcomes.append(exc)

    threads = [threading.Thread(target=send, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("stored") == 1, outcomes
    [refused] = [o for o in outcomes if o != "stored"]
    assert isinstance(refused, Conflict) and refused.code == "request_no_conflict", repr(refused)

    with unit_of_work(hub.sessions) as session:
        [kept] = session.execute(select(Request)).scalars().all()
    assert {p.name for p in files_in(hub.blobs.files.root)} == set(rows(hub))
    assert hub.blobs.read(kept.document_sha256) in versions
    assert len(rows(hub)) == 3  # the winner's XML, the ruling and the notice
