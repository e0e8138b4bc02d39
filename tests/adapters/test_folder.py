"""The folder adapter on real folders: the task folders a unit's front-end machine finds, and the
receipts it drops (taken once, even by two hub processes, and filed away where an operator looks)."""

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import edited, example, example_file

import adapters.folder
from adapters.base import AdapterContext, Delivery, Dropped, RetryLater, Served
from adapters.folder import FolderAdapter, FolderChannel
from hub.blobs import FolderStore
from hub.config import Settings
from hub.delivery.service import _Files

REQUEST_NO = "AT-2026-000123"
RECEIPT = example("receipt-found.xml")  # lists receipt.pdf
SIGNED = example_file("receipt.pdf")


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    path = tmp_path / "outbox"
    path.mkdir()
    return path


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    path = tmp_path / "inbox"
    path.mkdir()
    return path


def adapter(outbox: Path, inbox: Path) -> FolderAdapter:
    channel = FolderChannel(kind="folder", outbox=outbox, inbox=inbox)
    return FolderAdapter(channel, AdapterContext(Settings()))


def delivery(**changes) -> Delivery:
    fields = dict(
        task_id=4711,
        unit_code="town-mingyue",
        unit_name="明月镇人民政府",
        court_code="J2426",
        court_name="安图县人民法院",
        request_no=REQUEST_NO,
        action="FREEZE",
        document=example("request-freeze.xml"),
        files={"ruling.pdf": example_file("ruling.pdf"), "notice.pdf": example_file("notice.pdf")},
    )
    return Delivery(**{**fields, **changes})


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` (hidden ones too) by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def stamps(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in [root, *root.rglob("*")]}


# --- serve: the task folder ----------------------------------------------------------------------


def test_a_task_is_written_as_one_folder_with_the_request_its_files_and_task_json(outbox, inbox):
    task = delivery()
    outcome = adapter(outbox, inbox).serve(task)

    assert isinstance(outcome, Served) and outcome.receipt is None
    assert [p.name for p in outbox.iterdir()] == [REQUEST_NO]  # no .partial-* folder left
    folder = outbox / REQUEST_NO
    assert {p.name for p in folder.iterdir()} == {
        f"{REQUEST_NO}.xml",
        "ruling.pdf",
        "notice.pdf",
        "task.json",
    }
    assert (folder / f"{REQUEST_NO}.xml").read_bytes() == task.document
    assert (folder / "ruling.pdf").read_bytes() == task.files["ruling.pdf"]
    assert (folder / "notice.pdf").read_bytes() == task.files["notice.pdf"]
    assert json.loads((folder / "task.json").read_text(encoding="utf-8")) == {
        "task_id": 4711,
        "unit": "town-mingyue",
        "request_no": REQUEST_NO,
        "court": "J2426",
        "files": {"ruling.pdf": "ruling.pdf", "notice.pdf": "notice.pdf"},
    }


def test_serving_the_same_task_again_changes_nothing(outbox, inbox):
    channel = adapter(outbox, inbox)
    assert isinstance(channel.serve(delivery()), Served)
    before, files = stamps(outbox), tree(outbox)
    time.sleep(0.02)

    assert isinstance(channel.serve(delivery()), Served)
    assert stamps(outbox) == before
    assert tree(outbox) == files


def test_another_task_with_the_same_request_no_gets_a_folder_of_its_own(outbox, inbox):
    channel = adapter(outbox, inbox)
    assert isinstance(channel.serve(delivery()), Served)
    first = tree(outbox / REQUEST_NO)
    other = delivery(task_id=4712, court_code="J2401", files={"ruling.pdf": b"%PDF-1.4 another ruling"})

    assert isinstance(channel.serve(other), Served)
    assert sorted(p.name for p in outbox.iterdir()) == [REQUEST_NO, f"{REQUEST_NO}-4712"]
    assert tree(outbox / REQUEST_NO) == first
    second = outbox / f"{REQUEST_NO}-4712"
    assert (second / "ruling.pdf").read_bytes() == b"%PDF-1.4 another ruling"
    assert json.loads((second / "task.json").read_text(encoding="utf-8"))["task_id"] == 4712

    before = stamps(outbox)
    assert isinstance(channel.serve(other), Served)  # and again: nothing changes
    assert stamps(outbox) == before


def test_a_request_no_folder_left_by_the_unit_does_not_swallow_a_new_task(outbox, inbox):
    leftover = outbox / REQUEST_NO
    leftover.mkdir()
    (leftover / "ruling.pdf").write_bytes(example_file("ruling.pdf"))

    outcome = adapter(outbox, inbox).serve(delivery(task_id=4712))
    written = [json.loads(p.read_text(encoding="utf-8"))["task_id"] for p in outbox.glob("*/task.json")]
    assert 4712 in written or isinstance(outcome, RetryLater)


def test_a_missing_outbox_is_retried_later_and_named(tmp_path, inbox):
    missing = tmp_path / "share" / "outbox"
    outcome = adapter(missing, inbox).serve(delivery())
    assert isinstance(outcome, RetryLater) and str(missing) in outcome.error
    assert not missing.exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes through chmod 0o500")
def test_an_unwritable_outbox_is_retried_later_and_nothing_is_left(outbox, inbox):
    outbox.chmod(0o500)
    try:
        outcome = adapter(outbox, inbox).serve(delivery())
        assert isinstance(outcome, RetryLater) and str(outbox) in outcome.error
        assert list(outbox.iterdir()) == []
    finally:
        outbox.chmod(0o700)


def test_a_write_failing_half_way_leaves_no_partial_folder(outbox, inbox, tmp_path):
    # The request XML and the first file are written, then the second file's bytes are missing from the
    # blob store (a volume not mounted on this machine, say).
    blobs = FolderStore(tmp_path / "blobs")
    ruling, missing = example_file("ruling.pdf"), b"%PDF-1.4 never stored"
    blobs.write(hashlib.sha256(ruling).hexdigest(), ruling)
    digests = {
        n: hashlib.sha256(d).hexdigest() for n, d in (("ruling.pdf", ruling), ("missing.pdf", missing))
    }
    outcome = adapter(outbox, inbox).serve(delivery(files=_Files(blobs, digests)))
    assert isinstance(outcome, RetryLater) and str(outbox) in outcome.error
    assert list(outbox.iterdir()) == []


# --- collect: receipts the unit drops --------------------------------------------------------------


def drop(inbox: Path, name: str = "RE-2026-0301.xml", document: bytes = RECEIPT, **files: bytes) -> None:
    """Drop a receipt as the spec asks: its attachments first, the XML last."""
    for attachment, data in (files or {"receipt.pdf": SIGNED}).items():
        (inbox / attachment).write_bytes(data)
    (inbox / name).write_bytes(document)


def test_a_dropped_receipt_is_taken_with_its_attachment(outbox, inbox):
    drop(inbox)
    channel = adapter(outbox, inbox)

    (dropped,) = channel.collect()
    assert isinstance(dropped, Dropped)
    assert dropped.name == "RE-2026-0301.xml"
    assert dropped.document == RECEIPT
    assert dropped.files == {"receipt.pdf": SIGNED}

    assert [p.name for p in inbox.iterdir()] == [".taking"]
    [claim] = (inbox / ".taking").iterdir()  # one claim folder per receipt, its attachments inside
    assert tree(claim) == {"RE-2026-0301.xml": RECEIPT, "receipt.pdf": SIGNED}
    assert channel.collect() == []


def test_hidden_files_and_lone_attachments_are_left_alone(outbox, inbox):
    (inbox / ".RE-2026-0302.xml").write_bytes(RECEIPT)  # still being written under a hidden name
    (inbox / "receipt.pdf").write_bytes(SIGNED)  # its XML has not arrived yet
    (inbox / "readme.txt").write_bytes(b"front-end machine of Mingyue")
    before = tree(inbox)

    assert adapter(outbox, inbox).collect() == []
    assert tree(inbox) == before


def test_a_receipt_whose_attachment_is_missing_is_taken_without_it(outbox, inbox):
    (inbox / "RE-2026-0301.xml").write_bytes(RECEIPT)
    (dropped,) = adapter(outbox, inbox).collect()
    assert dropped.document == RECEIPT and dropped.files == {}


def test_a_missing_inbox_yields_nothing(tmp_path, outbox):
    assert adapter(outbox, tmp_path / "not-mounted").collect() == []


# --- file_away: done and rejected -------------------------------------------------------------------


def test_an_applied_receipt_goes_to_done_with_its_attachment(outbox, inbox):
    drop(inbox)
    channel = adapter(outbox, inbox)
    (dropped,) = channel.collect()

    channel.file_away(dropped, error=None)
    assert tree(inbox / "done") == {"RE-2026-0301.xml": RECEIPT, "receipt.pdf": SIGNED}
    assert list((inbox / ".taking").iterdir()) == []
    assert not (inbox / "rejected").exists()
    assert channel.collect() == []


def test_a_refused_receipt_goes_to_rejected_with_the_reason(outbox, inbox):
    drop(inbox)
    channel = adapter(outbox, inbox)
    (dropped,) = channel.collect()
    reason = "RequestNo AT-2026-000101: no open task of unit town-mingyue"

    channel.file_away(dropped, error=reason)
    assert tree(inbox / "rejected") == {
        "RE-2026-0301.xml": RECEIPT,
        "receipt.pdf": SIGNED,
        "RE-2026-0301.xml.error.txt": (reason + "\n").encode(),
    }
    assert list((inbox / ".taking").iterdir()) == []
    assert not (inbox / "done").exists()


@pytest.mark.parametrize("error", [None, "the signature does not match"], ids=["done", "rejected"])
def test_the_same_name_twice_does_not_overwrite_the_first(outbox, inbox, error):
    channel = adapter(outbox, inbox)
    second = edited(RECEIPT, ("RE-2026-0301", "RE-2026-0399"))
    for document, signed in ((RECEIPT, SIGNED), (second, b"%PDF-1.4 second signed receipt")):
        drop(inbox, document=document, **{"receipt.pdf": signed})
        (dropped,) = channel.collect()
        channel.file_away(dropped, error=error)

    filed = tree(inbox / ("done" if error is None else "rejected"))
    assert filed["RE-2026-0301.xml"] == RECEIPT and filed["receipt.pdf"] == SIGNED
    xml = sorted(v for k, v in filed.items() if k.endswith(".xml"))
    pdf = sorted(v for k, v in filed.items() if k.endswith(".pdf"))
    assert xml == sorted([RECEIPT, second])
    assert pdf == sorted([SIGNED, b"%PDF-1.4 second signed receipt"])
    if error is not None:
        reasons = [v for k, v in filed.items() if k.endswith(".error.txt")]
        assert reasons == [b"the signature does not match\n"] * 2
        assert filed["RE-2026-0301.xml.error.txt"] == b"the signature does not match\n"
        for name in filed:
            if name.endswith(".xml"):
                assert f"{name}.error.txt" in filed  # each receipt has its reason beside it


# --- several hub processes, and one that died -------------------------------------------------------


def test_two_hub_processes_take_each_receipt_once(outbox, inbox):
    count = 40
    for i in range(count):
        listed = edited(RECEIPT, ('filename="receipt.pdf"', f'filename="signed-{i}.pdf"'))
        drop(inbox, f"RE-{i:04d}.xml", listed, **{f"signed-{i}.pdf": f"%PDF signed {i}".encode()})
    hubs = [adapter(outbox, inbox), adapter(outbox, inbox)]
    start = threading.Barrier(len(hubs))
    taken: list[list[Dropped]] = [[] for _ in hubs]

    def run(i: int) -> None:
        start.wait()
        for _ in range(5):
            taken[i].extend(hubs[i].collect())

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(hubs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    names = sorted(d.name for batch in taken for d in batch)
    assert names == [f"RE-{i:04d}.xml" for i in range(count)]
    for d in (d for batch in taken for d in batch):
        i = int(d.name[3:7])
        assert d.files == {f"signed-{i}.pdf": f"%PDF signed {i}".encode()}
    assert adapter(outbox, inbox).collect() == []


def claim_left(inbox: Path, *, age_s: int, files: dict[str, bytes]) -> Path:
    """A claim folder as collect() makes them, left by a process `age_s` seconds ago."""
    claim = inbox / ".taking" / f"{int(time.time()) - age_s}-0badc0de"
    claim.mkdir(parents=True)
    for name, data in files.items():
        (claim / name).write_bytes(data)
    return claim


def test_a_receipt_left_in_taking_by_a_dead_process_is_taken_again(outbox, inbox):
    claim_left(inbox, age_s=11 * 60, files={"RE-2026-0301.xml": RECEIPT, "receipt.pdf": SIGNED})
    channel = adapter(outbox, inbox)

    (dropped,) = channel.collect()
    assert dropped.name == "RE-2026-0301.xml"
    assert dropped.document == RECEIPT and dropped.files == {"receipt.pdf": SIGNED}
    assert channel.collect() == []  # claimed afresh: not stale any more

    channel.file_away(dropped, error=None)
    assert tree(inbox / "done") == {"RE-2026-0301.xml": RECEIPT, "receipt.pdf": SIGNED}
    assert list((inbox / ".taking").iterdir()) == []


def test_a_receipt_another_process_is_still_working_on_is_left_alone(outbox, inbox):
    claim_left(inbox, age_s=60, files={"RE-2026-0301.xml": RECEIPT, "receipt.pdf": SIGNED})
    before = tree(inbox)

    assert adapter(outbox, inbox).collect() == []
    assert tree(inbox) == before


def test_a_stale_receipt_and_a_new_one_each_keep_their_own_attachment(outbox, inbox):
    old = edited(RECEIPT, ("RE-2026-0301", "RE-2026-0300"))
    old_pdf = b"%PDF-1.4 signed receipt of RE-2026-0300"
    claim_left(inbox, age_s=11 * 60, files={"RE-2026-0300.xml": old, "receipt.pdf": old_pdf})
    drop(inbox)  # RE-2026-0301.xml with its own receipt.pdf

    channel = adapter(outbox, inbox)
    taken = channel.collect()
    assert {d.name: d.files for d in taken} == {
        "RE-2026-0300.xml": {"receipt.pdf": old_pdf},
        "RE-2026-0301.xml": {"receipt.pdf": SIGNED},
    }
    for dropped in taken:
        channel.file_away(dropped, error=None)
    done = tree(inbox / "done")
    assert sorted(done.values()) == sorted([old, old_pdf, RECEIPT, SIGNED])
    # the second receipt.pdf went under a prefix, and its receipt under the same one
    [prefixed] = [name for name in done if name.endswith("-receipt.pdf")]
    assert done[prefixed] == SIGNED
    assert done[prefixed.replace("receipt.pdf", "RE-2026-0301.xml")] == RECEIPT


def test_a_stale_receipt_and_a_new_one_of_the_same_name_are_both_filed(outbox, inbox, monkeypatch):
    second = int(time.time())
    monkeypatch.setattr(adapters.folder, "time", SimpleNamespace(time=lambda: second))  # one claim second
    old = edited(RECEIPT, ("RE-2026-0301", "RE-2026-0300"))
    claim_left(inbox, age_s=11 * 60, files={"receipt.xml": old})
    (inbox / "receipt.xml").write_bytes(RECEIPT)
    channel = adapter(outbox, inbox)

    taken = channel.collect()
    assert sorted(d.document for d in taken) == sorted([old, RECEIPT])
    for dropped in taken:
        channel.file_away(dropped, error=None)
    assert sorted(tree(inbox / "done").values()) == sorted([old, RECEIPT])
