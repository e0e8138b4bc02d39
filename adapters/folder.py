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
into a claim folder `inbox/.taking/<unix time>-<random>/` with its attachments, and a claim left there
by a process that died is taken again after ten minutes.
"""

import contextlib
import json
import logging
import os
import secrets
import shutil
import time
from pathlib import Path

from adapters.base import Adapter, Delivery, Dropped, Outcome, RetryLater, Served
from hub.clock import now
from hub.directory.loader import FolderChannel
from hub.durable import fsync_folder, write_synced
from hub.standard import NS
from hub.standard.xml import DocumentError, parse

log = logging.getLogger("hub.worker")
TAKING, DONE, REJECTED = ".taking", "done", "rejected"
STALE_S = 600


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
        target = self._target(outbox, delivery)
        if target is None:
            return Served(at=now())  # already there
        partial = outbox / f".partial-{delivery.request_no}-{delivery.task_id}-{secrets.token_hex(4)}"
        try:
            partial.mkdir()
            write_synced(partial / f"{delivery.request_no}.xml", delivery.document)
            for name in delivery.files:
                write_synced(partial / name, delivery.files[name])
            write_synced(partial / "task.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            fsync_folder(partial)
            os.rename(partial, target)
            fsync_folder(outbox)
        except OSError as exc:
            if partial.exists():
                shutil.rmtree(partial, ignore_errors=True)
            if _holds(target, delivery.task_id):  # another process wrote the same task at the same moment
                return Served(at=now())
            return RetryLater(0, f"cannot write into {outbox}: {exc.strerror or exc}")
        return Served(at=now())

    @staticmethod
    def _target(outbox: Path, delivery: Delivery) -> Path | None:
        """outbox/<RequestNo>/, or <RequestNo>-<task id>/ when that is taken by something else; None when
        the task is there already."""
        for target in (outbox / delivery.request_no, outbox / f"{delivery.request_no}-{delivery.task_id}"):
            if _holds(target, delivery.task_id):
                return None
            if not target.exists():
                return target
        return outbox / f"{delivery.request_no}-{delivery.task_id}-{secrets.token_hex(4)}"

    def collect(self) -> list[Dropped]:
        inbox = Path(self.config.inbox)
        if not inbox.is_dir():
            log.warning("folder inbox %s does not exist or is not a folder (a share not mounted?)", inbox)
            return []
        taking = inbox / TAKING
        taking.mkdir(exist_ok=True)
        dropped = [self._reclaim(claim) for claim in sorted(taking.iterdir()) if _stale(claim)]
        for path in sorted(inbox.glob("*.xml")):
            if path.name.startswith("."):
                continue
            claim = taking / f"{int(time.time())}-{secrets.token_hex(4)}"
            claim.mkdir()
            try:
                os.rename(path, claim / path.name)  # atomic: one process wins, the others find it gone
            except FileNotFoundError:
                claim.rmdir()
                continue
            for listed in _attachment_names((claim / path.name).read_bytes()):
                with contextlib.suppress(FileNotFoundError):
                    os.rename(inbox / listed, claim / listed)
            dropped.append(_dropped(claim))
        return [d for d in dropped if d is not None]

    @staticmethod
    def _reclaim(claim: Path) -> Dropped | None:
        """A claim a dead process left: renamed under a fresh time, so one process takes it again."""
        fresh = claim.with_name(f"{int(time.time())}-{secrets.token_hex(4)}")
        try:
            os.rename(claim, fresh)
        except FileNotFoundError:
            return None
        return _dropped(fresh)

    def file_away(self, dropped: Dropped, *, error: str | None) -> None:
        claim = Path(dropped.handle)  # type: ignore[arg-type]
        folder = claim.parent.parent / (DONE if error is None else REJECTED)
        folder.mkdir(exist_ok=True)
        names = [dropped.name, *(p.name for p in claim.iterdir() if p.name != dropped.name)]
        # a name taken already: the receipt and its attachments share one prefix, so they stay together
        prefix = f"{claim.name}-" if any((folder / n).exists() for n in names) else ""
        if error is not None:
            (folder / f"{prefix}{dropped.name}.error.txt").write_text(error + "\n", encoding="utf-8")
        for name in names:
            os.replace(claim / name, folder / f"{prefix}{name}")
        claim.rmdir()


def _stale(claim: Path) -> bool:
    stamp = claim.name.split("-", 1)[0]
    return claim.is_dir() and (not stamp.isdigit() or int(stamp) < time.time() - STALE_S)


def _dropped(claim: Path) -> Dropped | None:
    """The receipt in a claim folder with the attachments beside it; None for an empty claim."""
    xml = next((p for p in sorted(claim.glob("*.xml")) if not p.name.startswith(".")), None)
    if xml is None:
        for leftover in claim.iterdir():
            os.replace(leftover, claim.parent.parent / leftover.name)  # back where the unit put it
        claim.rmdir()
        return None
    files = {p.name: p.read_bytes() for p in claim.iterdir() if p != xml}
    return Dropped(name=xml.name, document=xml.read_bytes(), files=files, handle=claim)


def _holds(folder: Path, task_id: int) -> bool:
    """Whether `folder` is this task's, written whole (its task.json names the task)."""
    try:
        return json.loads((folder / "task.json").read_text(encoding="utf-8")).get("task_id") == task_id
    except (OSError, ValueError, AttributeError):
        return False


def _attachment_names(document: bytes) -> list[str]:
    """The file names a receipt lists, read with the hub's hardened parser; none if it does not parse."""
    try:
        tree = parse(document)
    except DocumentError:
        return []
    names = [a.get("filename") for a in tree.getroot().iter(f"{{{NS}}}Attachment")]
    return [n for n in names if n and "/" not in n and "\\" not in n and not n.startswith(".")]
