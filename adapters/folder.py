"""The folder: for a unit's front-end machine (前置机) or an offline township, tasks and receipts as files.

Outbound, each task is written atomically as a folder `outbox/<RequestNo>/`:
    <RequestNo>.xml   the request exactly as the court sent it
    <file name>...    the documents it lists
    task.json         {"task_id", "unit", "request_no", "court"}: quote task_id when asking the hub
The folder appears whole or not at all (written under a hidden name, then renamed). When it already
holds the same task, serving again changes nothing; another task with the same RequestNo (another
court's) goes to `outbox/<RequestNo>-<task id>/`.

Inbound, the unit drops receipt XML files (`*.xml`) into `inbox`, with the attachments they list beside
them: attachments first, the XML last (or written under another name and renamed to .xml). The hub
takes each in and moves it with its attachments to `inbox/done/`, or to `inbox/rejected/` beside
`<name>.error.txt` saying why. Several hub processes may read one inbox: a file is claimed by renaming it
into `inbox/.taking/`, and one left there by a process that died is taken again after ten minutes.
"""

import json
import os
import secrets
import time
from pathlib import Path

from adapters.base import Adapter, Delivery, Dropped, Outcome, RetryLater, Served
from hub.clock import now
from hub.directory.loader import FolderChannel
from hub.standard.xml import DocumentError, parse

TAKING, DONE, REJECTED = ".taking", "done", "rejected"
STALE_S = 600
NS = "{urn:linkage-hub:enforcement:1.0}"


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    return target if not target.exists() else folder / f"{int(time.time())}-{secrets.token_hex(2)}-{name}"


class FolderAdapter(Adapter):
    kind = "folder"
    config_model = FolderChannel
    config: FolderChannel

    def serve(self, delivery: Delivery) -> Outcome:
        outbox = Path(self.config.outbox)
        if not outbox.is_dir():
            return RetryLater(0, f"outbox {outbox} does not exist or is not a folder (a share not mounted?)")
        manifest = {
            "task_id": delivery.task_id,
            "unit": delivery.unit_code,
            "request_no": delivery.request_no,
            "court": delivery.court_code,
        }
        target = outbox / delivery.request_no
        if (target / "task.json").exists():
            if (
                json.loads((target / "task.json").read_text(encoding="utf-8")).get("task_id")
                == delivery.task_id
            ):
                return Served(at=now())  # already there
            target = outbox / f"{delivery.request_no}-{delivery.task_id}"
            if target.exists():
                return Served(at=now())
        partial = outbox / f".partial-{delivery.request_no}-{delivery.task_id}-{secrets.token_hex(4)}"
        try:
            partial.mkdir()
            _write(partial / f"{delivery.request_no}.xml", delivery.document)
            for name in delivery.files:
                _write(partial / name, delivery.files[name])
            _write(partial / "task.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            _sync_dir(partial)
            os.rename(partial, target)
            _sync_dir(outbox)
        except OSError as exc:
            for leftover in partial.glob("*") if partial.exists() else ():
                leftover.unlink(missing_ok=True)
            if partial.exists():
                partial.rmdir()
            if target.exists():  # another process wrote the same task at the same moment
                return Served(at=now())
            return RetryLater(0, f"cannot write into {outbox}: {exc.strerror or exc}")
        return Served(at=now())

    def collect(self) -> list[Dropped]:
        inbox = Path(self.config.inbox)
        if not inbox.is_dir():
            return []
        taking = inbox / TAKING
        taking.mkdir(exist_ok=True)
        candidates = [p for p in sorted(inbox.glob("*.xml")) if not p.name.startswith(".")]
        stale = [p for p in sorted(taking.glob("*.xml")) if _claimed_at(p) < time.time() - STALE_S]
        dropped = []
        for path in candidates + stale:
            name = path.name if path.parent == inbox else path.name.split("-", 1)[1]
            claimed = taking / f"{int(time.time())}-{name}"
            try:
                os.rename(path, claimed)  # atomic: one process wins, the others find it gone
            except FileNotFoundError:
                continue
            document = claimed.read_bytes()
            files = {}
            for listed in _attachment_names(document):
                for place in (inbox / listed, taking / listed):
                    if place.is_file() and place.parent.resolve() in (inbox.resolve(), taking.resolve()):
                        if place.parent == inbox:
                            os.replace(place, taking / listed)
                        files[listed] = (taking / listed).read_bytes()
                        break
            dropped.append(Dropped(name=name, document=document, files=files, handle=claimed))
        return dropped

    def file_away(self, dropped: Dropped, *, error: str | None) -> None:
        claimed = Path(dropped.handle)  # type: ignore[arg-type]
        folder = claimed.parent.parent / (DONE if error is None else REJECTED)
        folder.mkdir(exist_ok=True)
        target = _free_name(folder, dropped.name)
        if error is not None:
            (folder / f"{target.name}.error.txt").write_text(error + "\n", encoding="utf-8")
        for name in dropped.files:
            attachment = claimed.parent / name
            if attachment.exists():
                os.replace(attachment, _free_name(folder, name))
        os.replace(claimed, target)


def _claimed_at(path: Path) -> float:
    stamp = path.name.split("-", 1)[0]
    return float(stamp) if stamp.isdigit() else 0.0


def _attachment_names(document: bytes) -> list[str]:
    """The file names a receipt lists, read with the hub's hardened parser; none if it does not parse."""
    try:
        tree = parse(document)
    except DocumentError:
        return []
    names = [a.get("filename") for a in tree.getroot().iter(f"{NS}Attachment")]
    return [n for n in names if n and "/" not in n and "\\" not in n and not n.startswith(".")]
