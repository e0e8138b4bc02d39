"""The folder channel against whoever can write into a unit's shared folders (the unit's front-end machine,
a township PC) and a court writing a request: it follows no link, reads no special file and nothing past
the hub's limits, writes only into its own folders, and no listed file takes the place of the hub's own."""

import contextlib
import hashlib
import json
import logging
import os
import stat
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import edited, example, example_file, sent_by_hub, submit
from test_folder import RECEIPT, REQUEST_NO, SIGNED, delivery, drop, tree

from adapters.base import AdapterContext, Served
from adapters.folder import FolderAdapter, FolderChannel
from hub.config import Settings
from hub.db import unit_of_work
from hub.delivery.intake import take_folder_receipts
from hub.models import Receipt, Task

SECRET = b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7 the hub's key\n"


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    (tmp_path / "outbox").mkdir()
    return tmp_path / "outbox"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    return tmp_path / "inbox"


def channel(outbox: Path, inbox: Path, **limits: int) -> FolderAdapter:
    config = FolderChannel(kind="folder", outbox=outbox, inbox=inbox)
    return FolderAdapter(config, AdapterContext(Settings(**limits)))


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file only the hub may read, as its signing key is."""
    path = tmp_path / "hub-data" / "signing.key"
    path.parent.mkdir()
    path.write_bytes(SECRET)
    path.chmod(0o600)
    return path


def everything_under(root: Path) -> dict[str, bytes]:
    """Every regular file under `root` read without following a link: name -> bytes."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if stat.S_ISREG(path.lstat().st_mode):
                found[str(path.relative_to(root))] = path.read_bytes()
    return found


def assert_nowhere(secret: bytes, root: Path) -> None:
    digest = hashlib.sha256(secret).hexdigest().encode()
    for name, data in everything_under(root).items():
        assert secret not in data and digest not in data, f"{name} holds the secret or its sha256"


def finishes(work: Callable[[], object], timeout_s: float = 10) -> object:
    """work() run in a thread that must end within timeout_s (a FIFO must not hang the worker)."""
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(timeout_s)
    assert not thread.is_alive(), f"still running after {timeout_s} s"
    assert result, "raised (see the thread's traceback above)"
    return result[0]


def rejected_note(inbox: Path, name: str) -> str:
    return (inbox / "rejected" / f"{name}.error.txt").read_text(encoding="utf-8")


# --- links and special files in the inbox ------------------------------------------------------------


def test_an_attachment_linked_to_the_hubs_key_is_never_read(
    hub, client, token, switch, worker, outbox, inbox, secret
):
    switch("housing-fund", {"kind": "folder", "outbox": str(outbox), "inbox": str(inbox)})
    task_id = submit(client, token("officer"), "request-freeze.xml")["tasks"][0]["id"]
    worker.run_deliveries()
    (inbox / "receipt.pdf").symlink_to(secret)
    (inbox / "HF-2026-8891.xml").write_bytes(example("receipt-controlled.xml"))

    assert take_folder_receipts(hub) == 0
    note = rejected_note(inbox, "HF-2026-8891.xml")
    assert "receipt.pdf" in note and "link" in note
    assert_nowhere(SECRET, inbox)
    assert_nowhere(SECRET, hub.settings.data_dir)
    assert secret.read_bytes() == SECRET
    with unit_of_work(hub.sessions) as session:
        assert session.get(Task, task_id).status == "served"
        assert session.query(Receipt).count() == 0


def test_a_linked_receipt_in_the_inbox_is_not_read(outbox, inbox, secret):
    (inbox / "receipt.pdf").write_bytes(SIGNED)
    (inbox / "RE-2026-0301.xml").symlink_to(secret)

    assert channel(outbox, inbox).collect() == []
    assert "RE-2026-0301.xml" in rejected_note(inbox, "RE-2026-0301.xml")
    assert_nowhere(SECRET, inbox)


def special(kind: str, path: Path) -> None:
    if kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero's numbers
    elif kind == "folder":
        path.mkdir()
        (path / "inside.txt").write_bytes(b"a folder named like a receipt")


KINDS = [
    "link to /dev/zero",
    "fifo",
    "device",  # mknod needs root, as .ci/run is: elsewhere the case fails rather than pass unseen
    "folder",
]


@pytest.mark.parametrize("kind", KINDS)
def test_a_receipt_that_is_not_a_regular_file_is_rejected_without_reading_it(outbox, inbox, kind):
    special(kind, inbox / "r.xml")
    try:
        assert finishes(channel(outbox, inbox).collect) == []
    finally:
        if kind == "fifo":  # release a reader stuck in open() (the code before the fix)
            with contextlib.suppress(OSError):
                os.close(os.open(inbox / "r.xml", os.O_WRONLY | os.O_NONBLOCK))
    note = rejected_note(inbox, "r.xml")
    assert "r.xml" in note and "not a regular file" in note
    assert not (inbox / "r.xml").exists() and not (inbox / "r.xml").is_symlink()


@pytest.mark.parametrize("kind", KINDS)
def test_an_attachment_that_is_not_a_regular_file_is_rejected_without_reading_it(outbox, inbox, kind):
    special(kind, inbox / "receipt.pdf")
    (inbox / "RE-2026-0301.xml").write_bytes(RECEIPT)
    try:
        assert finishes(channel(outbox, inbox).collect) == []
    finally:
        if kind == "fifo":
            with contextlib.suppress(OSError):
                os.close(os.open(inbox / "receipt.pdf", os.O_WRONLY | os.O_NONBLOCK))
    note = rejected_note(inbox, "RE-2026-0301.xml")
    assert "receipt.pdf" in note and "not a regular file" in note
    assert (inbox / "rejected" / "RE-2026-0301.xml").read_bytes() == RECEIPT


def test_a_receipt_larger_than_the_document_limit_is_rejected_without_being_read_whole(outbox, inbox):
    huge = inbox / "r.xml"
    with open(huge, "wb") as handle:
        handle.truncate(64 << 30)  # 64 GiB, sparse: reading it whole takes minutes or ends in MemoryError

    assert finishes(channel(outbox, inbox).collect) == []
    note = rejected_note(inbox, "r.xml")
    assert "r.xml" in note and str(Settings().max_document_bytes) in note
    assert (inbox / "rejected" / "r.xml").stat().st_size == 64 << 30


def test_an_attachment_larger_than_the_file_limit_is_rejected(outbox, inbox):
    drop(inbox)
    assert channel(outbox, inbox, max_file_bytes=len(SIGNED) - 1).collect() == []
    note = rejected_note(inbox, "RE-2026-0301.xml")
    assert "receipt.pdf" in note and str(len(SIGNED) - 1) in note
    assert tree(inbox / "rejected") == {
        "RE-2026-0301.xml": RECEIPT,
        "receipt.pdf": SIGNED,
        "RE-2026-0301.xml.error.txt": note.encode(),
    }


# --- the working folders -------------------------------------------------------------------------------


@pytest.mark.parametrize("subfolder", [".taking", "done", "rejected"])
@pytest.mark.parametrize("error", [None, "the signature does not match"], ids=["applied", "refused"])
def test_a_linked_working_folder_is_never_written_through(outbox, inbox, tmp_path, caplog, subfolder, error):
    elsewhere = tmp_path / "site-packages"
    elsewhere.mkdir()
    (inbox / subfolder).symlink_to(elsewhere, target_is_directory=True)
    listing = edited(RECEIPT, ('filename="receipt.pdf"', 'filename="evil.pth"'))
    drop(inbox, document=listing, **{"evil.pth": b"import os; os.system('touch /tmp/owned')\n"})
    adapter = channel(outbox, inbox)

    with caplog.at_level(logging.WARNING, logger="hub.worker"):
        for dropped in adapter.collect():
            adapter.file_away(dropped, error=error)
    assert list(elsewhere.iterdir()) == []
    assert (inbox / "RE-2026-0301.xml").read_bytes() == listing  # nothing taken
    assert any(subfolder in r.getMessage() and "link" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("subfolder", ["done", "rejected"])
def test_a_working_folder_swapped_for_a_link_after_collect_is_not_written_through(
    outbox, inbox, tmp_path, caplog, subfolder
):
    elsewhere = tmp_path / "site-packages"
    elsewhere.mkdir()
    drop(inbox)
    adapter = channel(outbox, inbox)
    (dropped,) = adapter.collect()
    (inbox / subfolder).symlink_to(elsewhere, target_is_directory=True)

    with caplog.at_level(logging.WARNING, logger="hub.worker"):
        adapter.file_away(dropped, error=None if subfolder == "done" else "refused")
    assert list(elsewhere.iterdir()) == []
    [claim] = (inbox / ".taking").iterdir()  # left for later, as it was
    assert tree(claim) == {"RE-2026-0301.xml": RECEIPT, "receipt.pdf": SIGNED}
    assert any(subfolder in r.getMessage() and "link" in r.getMessage() for r in caplog.records)


def test_a_working_folder_that_is_a_file_is_refused(outbox, inbox, caplog):
    (inbox / "done").write_bytes(b"not a folder")
    drop(inbox)
    with caplog.at_level(logging.WARNING, logger="hub.worker"):
        assert channel(outbox, inbox).collect() == []
    assert (inbox / "done").read_bytes() == b"not a folder"
    assert (inbox / "RE-2026-0301.xml").read_bytes() == RECEIPT
    assert any("done" in r.getMessage() and "not a folder" in r.getMessage() for r in caplog.records)


def test_a_stale_claim_linked_to_another_folder_moves_none_of_its_files(outbox, inbox, tmp_path):
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_bytes(b"someone else's notes")
    (elsewhere / "RE-2026-0301.xml").write_bytes(RECEIPT)
    (elsewhere / "receipt.pdf").write_bytes(SIGNED)
    before = tree(elsewhere)
    (inbox / ".taking").mkdir()
    (inbox / ".taking" / "1000000000-0badc0de").symlink_to(elsewhere, target_is_directory=True)
    adapter = channel(outbox, inbox)

    for _ in range(2):
        for dropped in adapter.collect():
            adapter.file_away(dropped, error=None)
    assert tree(elsewhere) == before
    assert list((inbox / ".taking").iterdir()) == []
    assert "link" in rejected_note(inbox, "1000000000-0badc0de")


def test_links_inside_a_stale_claim_are_not_read(outbox, inbox, secret):
    claim = inbox / ".taking" / "1000000000-0badc0de"
    claim.mkdir(parents=True)
    (claim / "RE-2026-0301.xml").write_bytes(RECEIPT)
    (claim / "receipt.pdf").symlink_to(secret)

    assert channel(outbox, inbox).collect() == []
    assert "receipt.pdf" in rejected_note(inbox, "RE-2026-0301.xml")
    assert_nowhere(SECRET, inbox)
    assert list((inbox / ".taking").iterdir()) == []


def test_a_claim_named_with_other_digits_stops_nothing(outbox, inbox):
    """ "²" is a digit to str.isdigit, not to int: a claim folder so named made every collect raise, and the
    worker's folder intake, inbox notices and alerts stop at it on every tick (found in review)."""
    (inbox / ".taking").mkdir(mode=0o700)
    (inbox / ".taking" / "²-x").mkdir()
    drop(inbox)

    dropped = channel(outbox, inbox).collect()

    assert [d.name for d in dropped] == ["RE-2026-0301.xml"]


def test_a_claim_folder_not_the_hubs_own_is_not_used(outbox, inbox, caplog):
    """Whoever can write the inbox can move .taking away and make one of their own (read and written by
    them, or by everyone): the hub takes nothing through it."""
    (inbox / ".taking").mkdir()
    (inbox / ".taking").chmod(0o777)
    drop(inbox)

    with caplog.at_level(logging.WARNING, logger="hub.worker"):
        assert channel(outbox, inbox).collect() == []
    assert (inbox / "RE-2026-0301.xml").read_bytes() == RECEIPT
    assert any(".taking is not the hub's own folder" in r.getMessage() for r in caplog.records)


def test_a_hard_link_to_the_hubs_key_is_not_read(outbox, inbox, secret):
    os.link(secret, inbox / "receipt.pdf")
    (inbox / "RE-2026-0301.xml").write_bytes(RECEIPT)

    assert channel(outbox, inbox).collect() == []
    note = rejected_note(inbox, "RE-2026-0301.xml")
    assert "receipt.pdf has 2 names (a hard link)" in note
    assert SECRET.decode() not in note and hashlib.sha256(SECRET).hexdigest() not in note


def test_one_units_broken_inbox_stops_no_other_units_intake(hub, client, token, switch, worker, tmp_path):
    """A unit's folder the adapter cannot read for a reason nobody foresaw must not keep the next unit's
    receipts (nor the worker's notices and alerts after them) waiting."""
    broken, fine = tmp_path / "broken", tmp_path / "fine"
    for folder in (broken, fine):
        (folder / "outbox").mkdir(parents=True)
        (folder / "inbox").mkdir()
    (broken / "inbox" / ".taking").mkdir(mode=0o700)
    (broken / "inbox" / ".taking" / "²-x").mkdir()  # raised before the fix above, as any surprise would
    switch(
        "civil-affairs", {"kind": "folder", "outbox": str(broken / "outbox"), "inbox": str(broken / "inbox")}
    )
    switch("housing-fund", {"kind": "folder", "outbox": str(fine / "outbox"), "inbox": str(fine / "inbox")})
    submit(client, token("officer"), "request-freeze.xml")
    worker.run_deliveries()
    drop(fine / "inbox", "HF-2026-8891.xml", example("receipt-controlled.xml"), **{"receipt.pdf": SIGNED})

    assert take_folder_receipts(hub) == 1


def test_a_receipt_listing_the_inboxs_own_folders_moves_none_of_them(outbox, inbox):
    adapter = channel(outbox, inbox)
    drop(inbox)
    (dropped,) = adapter.collect()
    adapter.file_away(dropped, error=None)
    done = tree(inbox / "done")
    listing_done = edited(RECEIPT, ('filename="receipt.pdf"', 'filename="done"'))
    (inbox / "RE-2026-0302.xml").write_bytes(listing_done)

    assert adapter.collect() == []
    assert tree(inbox / "done") == done
    assert "done" in rejected_note(inbox, "RE-2026-0302.xml")


@pytest.mark.parametrize("name", ["CON", "aux.pdf", "receipt.pdf ", "a:b.pdf", "a&#10;b.pdf"])
def test_a_receipt_listing_an_attachment_name_not_every_system_takes_is_rejected(outbox, inbox, name):
    listing = edited(RECEIPT, ('filename="receipt.pdf"', f'filename="{name}"'))
    real = name.replace("&#10;", "\n")
    (inbox / real).write_bytes(SIGNED)
    (inbox / "RE-2026-0301.xml").write_bytes(listing)

    assert channel(outbox, inbox).collect() == []
    assert "the folder channel takes" in rejected_note(inbox, "RE-2026-0301.xml")
    assert (inbox / real).read_bytes() == SIGNED  # left where the unit put it


# --- the task folder: the hub's own files, and names every system takes ----------------------------------


def test_listed_files_named_like_the_hubs_own_do_not_replace_them(outbox, inbox):
    forged = b'<?xml version="1.0"?><AssistanceRequest>a forged request</AssistanceRequest>'
    task = delivery(files={f"{REQUEST_NO}.xml": forged, "TASK.JSON": b'{"task_id": 1}', "task.json": b"{}"})

    assert isinstance(channel(outbox, inbox).serve(task), Served)
    folder = outbox / REQUEST_NO
    assert (folder / f"{REQUEST_NO}.xml").read_bytes() == task.document
    manifest = json.loads((folder / "task.json").read_text(encoding="utf-8"))
    assert manifest["task_id"] == 4711
    written = manifest["files"]
    assert set(written) == set(task.files)
    assert len({n.casefold() for n in written.values()}) == 3
    for listed, name in written.items():
        assert name.casefold() not in (f"{REQUEST_NO}.xml".casefold(), "task.json")
        assert (folder / name).read_bytes() == task.files[listed]


def test_a_court_cannot_replace_the_request_in_the_units_folder(
    hub, client, token, switch, worker, outbox, inbox
):
    switch("housing-fund", {"kind": "folder", "outbox": str(outbox), "inbox": str(inbox)})
    forged = b"<AssistanceRequest>not what the hub validated</AssistanceRequest>"
    extra = {f"{REQUEST_NO}.xml": forged, "task.json": b'{"task_id": 1, "unit": "housing-fund"}'}
    listing = "".join(
        f'<Document type="OTHER" filename="{n}" sha256="{hashlib.sha256(d).hexdigest()}"/>'
        for n, d in extra.items()
    )
    document = edited(example("request-freeze.xml"), ("</Documents>", f"{listing}</Documents>"))
    parts = [("document", ("document.xml", document, "application/xml"))]
    parts += [("files", (n, example_file(n), "application/pdf")) for n in ("ruling.pdf", "notice.pdf")]
    parts += [("files", (n, d, "application/octet-stream")) for n, d in extra.items()]
    answer = client.post("/api/v1/requests", files=parts, headers=token("officer"))
    assert answer.status_code == 201, answer.text
    task_id = answer.json()["tasks"][0]["id"]
    worker.run_deliveries()

    folder = outbox / REQUEST_NO
    assert sent_by_hub(hub, (folder / f"{REQUEST_NO}.xml").read_bytes()) == document
    manifest = json.loads((folder / "task.json").read_text(encoding="utf-8"))
    assert (manifest["task_id"], manifest["unit"]) == (task_id, "housing-fund")
    for listed, data in extra.items():
        assert (folder / manifest["files"][listed]).read_bytes() == data


def safe_everywhere(name: str) -> bool:
    """Taken by Windows, Linux and a zip: no control or format character, none of / \\ : * ? " < > |,
    no dot or space at either end, not a device name, at most 200 bytes of UTF-8."""
    devices = {"CON", "PRN", "AUX", "NUL", *(f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10))}
    return (
        not any(unicodedata.category(c) in ("Cc", "Cf") or c in '/\\:*?"<>|' for c in name)
        and name.strip(". ") == name
        and name.split(".")[0].strip().upper() not in devices
        and 0 < len(name.encode()) <= 200
    )


def test_names_an_old_request_carries_are_written_under_safe_names(outbox, inbox):
    files = {
        "裁定书" * 40 + ".pdf": b"%PDF 360 bytes of name",
        "ruling\r\n.pdf": b"%PDF a line break",
        "CON": b"a device",
        "aux.pdf": b"%PDF aux",
        "com1.tar.gz": b"gz",
        "notice.pdf.": b"%PDF a trailing dot",
        " lead.pdf ": b"%PDF spaces",
        'a:*?"<>|.pdf': b"%PDF forbidden characters",
        "Ruling.pdf": b"%PDF capital",
        "ruling.pdf": b"%PDF small",
        "plain.pdf": b"%PDF plain",
    }
    task = delivery(files=files)

    assert isinstance(channel(outbox, inbox).serve(task), Served)
    folder = outbox / REQUEST_NO
    manifest = json.loads((folder / "task.json").read_text(encoding="utf-8"))
    written = manifest["files"]
    assert set(written) == set(files)
    assert written["plain.pdf"] == "plain.pdf"
    assert len({n.casefold() for n in written.values()}) == len(files)  # distinct, even on Windows
    for listed, name in written.items():
        assert safe_everywhere(name), name
        assert (folder / name).read_bytes() == files[listed]
    assert (written["CON"], written["ruling.pdf"]) == ("_CON", "ruling-2.pdf")
    assert written["裁定书" * 40 + ".pdf"].startswith("裁定书") and written["aux.pdf"].endswith(".pdf")
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [*written.values(), f"{REQUEST_NO}.xml", "task.json"]
    )
