"""The folder: for a unit's front-end machine (前置机) or an offline township, tasks and receipts as files.

Outbound, each task is written atomically as a folder `outbox/<RequestNo>/`:
    <RequestNo>.xml   the request exactly as the court sent it (signed by the hub)
    <file name>...    the documents it lists
    task.json         {"task_id", "unit", "request_no", "court", "files"}: quote task_id when asking the
                      hub; "files" maps each file name the request lists to its name in this folder
A listed file keeps its name when every file system takes it (Windows, Linux, a zip: no control
character, none of / \\ : * ? " < > |, no dot or space at either end, not a device name such as CON or
aux.pdf, at most 200 bytes of UTF-8) and no other file of the folder has it, as Windows compares names
(ignoring case); otherwise it is written under a name close to it (`ruling-2.pdf`, `_CON`, a long name
cut short). `<RequestNo>.xml` and `task.json` are always the hub's: a listed file of that name is
written under another. The folder appears whole or not at all (written under a hidden name, then
renamed). When it already holds the same task, serving again changes nothing; another task with the
same RequestNo (another court's) goes to `outbox/<RequestNo>-<task id>/`.

Inbound, the unit drops receipt XML files (`*.xml`) into `inbox`, with the attachments they list beside
them: attachments first, the XML last (or written under another name and renamed to .xml). The hub
takes each in and moves it with its attachments to `inbox/done/`, or to `inbox/rejected/` beside
`<name>.error.txt` saying why (a name some file system refuses is filed under a safe one, and the note
gives the name it was dropped as). Several hub processes may read one inbox: a file is claimed by
renaming it into a claim folder `inbox/.taking/<unix time>-<random>/` with its attachments, and a claim
left there by a process that died is taken again after ten minutes.

Whoever can write into these folders is not trusted:
- Only regular files are read, never through a link, and never more than the hub's limits
  (HUB_MAX_DOCUMENT_BYTES for the XML, HUB_MAX_FILE_BYTES for each attachment). A receipt that is a
  link, a FIFO, a device, a folder or too large, or that lists such an attachment, goes to rejected/
  unread, with a note naming the file.
- A receipt's attachments are taken only under names every file system takes, of at most 170 bytes
  (the hub may put a prefix before them in done/ and rejected/), other than `done` and `rejected`; a
  receipt listing another name goes to rejected/ and the attachment stays where it was.
- The inbox and the outbox, and the hub's folders in the inbox (`.taking`, made with mode 0700, `done`,
  `rejected`), must be folders, not links: while one is not, nothing is taken from the inbox (or written
  into the outbox) and the worker's log says which. Anything in `.taking` that is not a claim folder is
  set aside in rejected/ unread.
"""

import contextlib
import json
import logging
import os
import secrets
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from adapters.base import Adapter, ChannelConfig, Delivery, Dropped, Outcome, Refused, RetryLater, Served
from adapters.safe_files import (
    Unsafe,
    lstat_mode,
    open_folder,
    read_regular,
    what,
    write_new,
)
from hub.clock import now
from hub.standard import NS
from hub.standard.filenames import key_of, name_problem, safe_name
from hub.standard.xml import DocumentError, parse

log = logging.getLogger("hub.worker")
TAKING, DONE, REJECTED, MANIFEST, NOTE = ".taking", "done", "rejected", "task.json", ".error.txt"
STALE_S = 600
# What the hub may add to a name in done/ and rejected/: a prefix "<unix time>-<random>-" and ".error.txt"
INBOX_EXTRA = len("4102444800-0badc0de-") + len(NOTE)
MANIFEST_BYTES = 1 << 20


class FolderChannel(ChannelConfig):
    kind: Literal["folder"]
    outbox: Path = Field(title="Outbox", description="Folder the hub writes task files into.")
    inbox: Path = Field(title="Inbox", description="Folder the hub reads receipt files from.")


class FolderAdapter(Adapter):
    kind = "folder"
    config_model = FolderChannel
    config: FolderChannel

    # --- serve: the task folder -------------------------------------------------------------------------

    def serve(self, delivery: Delivery) -> Outcome:
        outbox = Path(self.config.outbox)
        request_name = f"{delivery.request_no}.xml"
        if problem := name_problem(request_name):  # the standard's pattern makes this impossible
            return Refused(f"RequestNo {delivery.request_no!r} cannot name a file: it {problem}")
        try:
            outbox_fd = open_folder(outbox)
        except FileNotFoundError:
            return RetryLater(0, f"outbox {outbox} does not exist or is not a folder (a share not mounted?)")
        except (OSError, Unsafe) as exc:
            return RetryLater(0, f"outbox {outbox} cannot be used: {_reason(exc)}")
        try:
            return self._write(outbox_fd, outbox, delivery, request_name)
        finally:
            os.close(outbox_fd)

    def _write(self, outbox_fd: int, outbox: Path, delivery: Delivery, request_name: str) -> Outcome:
        taken = {key_of(request_name), key_of(MANIFEST)}
        names = {listed: safe_name(listed, taken=taken) for listed in delivery.files}
        manifest = {
            "task_id": delivery.task_id,
            "unit": delivery.unit_code,
            "request_no": delivery.request_no,
            "court": delivery.court_code,
            "files": names,
        }
        target = _target(outbox_fd, delivery)
        if target is None:
            return Served(at=now())  # already there
        partial = f".partial-{delivery.request_no}-{delivery.task_id}-{secrets.token_hex(4)}"
        try:
            os.mkdir(partial, dir_fd=outbox_fd)
            folder = open_folder(partial, dir_fd=outbox_fd)
            try:
                write_new(request_name, delivery.document, dir_fd=folder)
                for listed, name in names.items():
                    write_new(name, delivery.files[listed], dir_fd=folder)
                write_new(
                    MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode(), dir_fd=folder
                )
                os.fsync(folder)
            finally:
                os.close(folder)
            os.rename(partial, target, src_dir_fd=outbox_fd, dst_dir_fd=outbox_fd)
            os.fsync(outbox_fd)
        except (OSError, Unsafe) as exc:
            with contextlib.suppress(OSError):
                shutil.rmtree(partial, dir_fd=outbox_fd)
            if _holds(outbox_fd, target, delivery.task_id):  # another process wrote it at the same moment
                return Served(at=now())
            return RetryLater(0, f"cannot write into {outbox}: {_reason(exc)}")
        return Served(at=now())

    # --- collect: receipts the unit drops -------------------------------------------------------------

    def collect(self) -> list[Dropped]:
        path = Path(self.config.inbox)
        try:
            inbox = _Inbox(path)
        except FileNotFoundError:
            log.warning("folder inbox %s does not exist or is not a folder (a share not mounted?)", path)
            return []
        except (OSError, Unsafe) as exc:
            log.error("folder inbox %s: %s; nothing is taken from it until that is fixed", path, _reason(exc))
            return []
        dropped: list[Dropped | None] = []
        with inbox:
            stale = [n for n in sorted(os.listdir(inbox.taking)) if _stale(n)]
            new = [n for n in sorted(os.listdir(inbox.fd)) if n.endswith(".xml") and not n.startswith(".")]
            for take, name in [*((self._reclaim, n) for n in stale), *((self._claim, n) for n in new)]:
                try:
                    dropped.append(take(inbox, name))
                except (OSError, Unsafe) as exc:
                    log.error("folder inbox %s: %s not taken: %s", path, name, _reason(exc))
        return [d for d in dropped if d is not None]

    def _claim(self, inbox: "_Inbox", name: str) -> Dropped | None:
        """Take the receipt `name` from the inbox into a claim folder of its own, with its attachments."""
        claim = _claim_name()
        os.mkdir(claim, 0o700, dir_fd=inbox.taking)
        folder = open_folder(claim, dir_fd=inbox.taking)
        try:
            try:
                os.rename(name, name, src_dir_fd=inbox.fd, dst_dir_fd=folder)  # one process wins
            except FileNotFoundError:
                os.rmdir(claim, dir_fd=inbox.taking)
                return None
            try:
                listed = _attachment_names(read_regular(name, dir_fd=folder, limit=self._limits[0]))
                for attachment in listed:
                    if problem := _attachment_problem(attachment):
                        raise Unsafe(
                            f"the receipt lists an attachment named {attachment!r}, which {problem}: the folder "
                            "channel takes attachments only under names every file system takes"
                        )
                for attachment in listed:
                    with contextlib.suppress(FileNotFoundError):
                        os.rename(attachment, attachment, src_dir_fd=inbox.fd, dst_dir_fd=folder)
            except Unsafe as exc:
                self._refuse(inbox, claim, folder, name, str(exc))
                return None
            return self._take(inbox, claim, folder, xml=name)
        finally:
            os.close(folder)

    def _reclaim(self, inbox: "_Inbox", name: str) -> Dropped | None:
        """A claim a dead process left: renamed under a fresh time, so one process takes it again."""
        mode = lstat_mode(name, dir_fd=inbox.taking)
        if mode is None:
            return None
        if not stat.S_ISDIR(mode):
            reason = f"{TAKING}/{name} is {what(mode)}, not a claim folder of the hub: set aside unread"
            self._set_aside(inbox, name, reason)
            return None
        fresh = _claim_name()
        try:
            os.rename(name, fresh, src_dir_fd=inbox.taking, dst_dir_fd=inbox.taking)
            folder = open_folder(fresh, dir_fd=inbox.taking)
        except FileNotFoundError:
            return None  # another process took it
        except Unsafe as exc:  # swapped for a link since the check above
            self._set_aside(inbox, fresh, f"{TAKING}/{name}: {exc}: set aside unread")
            return None
        try:
            return self._take(inbox, fresh, folder)
        finally:
            os.close(folder)

    def _take(self, inbox: "_Inbox", claim: str, folder: int, xml: str | None = None) -> Dropped | None:
        """The receipt `xml` (else the first *.xml) in a claim folder with the files beside it; None when
        there is none, or when it was refused (filed into rejected/ with the reason)."""
        names = sorted(os.listdir(folder))
        xml = xml or next((n for n in names if n.endswith(".xml") and not n.startswith(".")), None)
        if xml is None:
            if names:
                self._refuse(inbox, claim, folder, None, "files left in a claim folder without a receipt XML")
            else:
                os.rmdir(claim, dir_fd=inbox.taking)
            return None
        document_limit, file_limit = self._limits
        try:
            document = read_regular(xml, dir_fd=folder, limit=document_limit)
            files = {n: read_regular(n, dir_fd=folder, limit=file_limit) for n in names if n != xml}
        except Unsafe as exc:
            self._refuse(inbox, claim, folder, xml, str(exc))
            return None
        return Dropped(name=xml, document=document, files=files, handle=_Claim(inbox.path, claim))

    @property
    def _limits(self) -> tuple[int, int]:
        settings = self.context.settings
        return settings.max_document_bytes, settings.max_file_bytes

    # --- file_away: done and rejected -------------------------------------------------------------------

    def file_away(self, dropped: Dropped, *, error: str | None) -> None:
        claim: _Claim = dropped.handle  # type: ignore[assignment]
        try:
            with _Inbox(claim.inbox) as inbox:
                folder = open_folder(claim.name, dir_fd=inbox.taking)
                try:
                    _file(inbox, claim.name, folder, dropped.name, error)
                finally:
                    os.close(folder)
        except (OSError, Unsafe) as exc:
            log.error(
                "folder inbox %s: %s not filed into %s/ (%s); it stays in %s/%s and is taken again later",
                claim.inbox, dropped.name, DONE if error is None else REJECTED, _reason(exc), TAKING, claim.name,
            )  # fmt: skip

    def _refuse(self, inbox: "_Inbox", claim: str, folder: int, xml: str | None, reason: str) -> None:
        log.warning("folder inbox %s: %s set aside in %s/: %s", inbox.path, xml or claim, REJECTED, reason)
        try:
            _file(inbox, claim, folder, xml, reason)
        except (OSError, Unsafe) as exc:
            log.error(
                "folder inbox %s: %s not filed into %s/: %s", inbox.path, xml or claim, REJECTED, _reason(exc)
            )

    def _set_aside(self, inbox: "_Inbox", name: str, reason: str) -> None:
        """Something in .taking that is no claim folder: moved to rejected/ as it is (a link as a link)."""
        log.warning("folder inbox %s: %s", inbox.path, reason)
        try:
            _move(inbox, inbox.taking, [name], into=REJECTED, error=reason, note_for=name)
        except FileNotFoundError:
            pass  # another process set it aside
        except (OSError, Unsafe) as exc:
            log.error("folder inbox %s: %s/%s not set aside: %s", inbox.path, TAKING, name, _reason(exc))


@dataclass(frozen=True)
class _Claim:
    inbox: Path
    name: str


class _Inbox:
    """An inbox and its claim folder `.taking` opened as descriptors; `done` and `rejected` checked to be
    folders (or missing), never links. Closed on leaving a `with`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = open_folder(path)
        self._fds = [self.fd]
        try:
            self.taking = self._keep(open_folder(TAKING, dir_fd=self.fd, create=True, mode=0o700))
            owner = os.fstat(self.taking)
            if owner.st_uid != os.geteuid() or owner.st_mode & 0o022:
                # whoever can write the inbox can put a folder of their own (or everyone's) in its place
                raise Unsafe(
                    f"{TAKING} is not the hub's own folder (owner {owner.st_uid}, mode "
                    f"{stat.S_IMODE(owner.st_mode):o}): remove it and the hub makes it again"
                )
            for name in (DONE, REJECTED):
                if (mode := lstat_mode(name, dir_fd=self.fd)) is not None and not stat.S_ISDIR(mode):
                    raise Unsafe(f"{name} is {what(mode)}, not a folder")
        except BaseException:
            self.close()
            raise

    def folder(self, name: str) -> int:
        """done/ or rejected/, made when missing."""
        return self._keep(open_folder(name, dir_fd=self.fd, create=True))

    def _keep(self, fd: int) -> int:
        self._fds.append(fd)
        return fd

    def close(self) -> None:
        while self._fds:
            os.close(self._fds.pop())

    def __enter__(self) -> "_Inbox":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _file(inbox: _Inbox, claim: str, folder: int, xml: str | None, error: str | None) -> None:
    """Move everything in a claim folder to done/ (error None) or rejected/, and remove the claim."""
    names = sorted(os.listdir(folder), key=lambda n: n != xml)  # the receipt first
    note_for = xml if xml is not None else claim
    _move(inbox, folder, names, into=DONE if error is None else REJECTED, error=error, note_for=note_for)
    os.rmdir(claim, dir_fd=inbox.taking)


def _move(
    inbox: _Inbox, source: int, names: list[str], *, into: str, error: str | None, note_for: str
) -> None:
    """Move `names` from the folder `source` into done/ or rejected/ under names every file system takes,
    with `error` in `<note_for>.error.txt`. When one of the names is taken there, all of them get one
    fresh prefix, so a receipt and its attachments stay together. Nothing is written through a link."""
    target = inbox.folder(into)
    taken: set[str] = set()
    filed = {n: safe_name(n, taken=taken, extra=INBOX_EXTRA) for n in names}
    note = f"{filed.get(note_for) or safe_name(note_for, taken=taken, extra=INBOX_EXTRA)}{NOTE}"
    wanted = [*filed.values(), *([note] if error is not None else [])]
    prefix = f"{_claim_name()}-" if any(lstat_mode(n, dir_fd=target) is not None for n in wanted) else ""
    for name in names:
        os.rename(name, f"{prefix}{filed[name]}", src_dir_fd=source, dst_dir_fd=target)
    if error is not None:
        if filed.get(note_for, note_for) != note_for:
            error = f"{error}\n(it was dropped as {note_for!r})"
        write_new(f"{prefix}{note}", f"{error}\n".encode(), dir_fd=target)


def _claim_name() -> str:
    return f"{int(time.time())}-{secrets.token_hex(4)}"


def _stale(claim: str) -> bool:
    stamp = claim.split("-", 1)[0]
    return not (stamp.isascii() and stamp.isdigit()) or int(stamp) < time.time() - STALE_S


def _target(outbox: int, delivery: Delivery) -> str | None:
    """<RequestNo>/, or <RequestNo>-<task id>/ when that is taken by something else; None when the task
    is there already."""
    for target in (delivery.request_no, f"{delivery.request_no}-{delivery.task_id}"):
        if _holds(outbox, target, delivery.task_id):
            return None
        if lstat_mode(target, dir_fd=outbox) is None:
            return target
    return f"{delivery.request_no}-{delivery.task_id}-{secrets.token_hex(4)}"


def _holds(outbox: int, name: str, task_id: int) -> bool:
    """Whether the folder `name` is this task's, written whole (its task.json names the task)."""
    try:
        folder = open_folder(name, dir_fd=outbox)
    except (OSError, Unsafe):
        return False
    try:
        return (
            json.loads(read_regular(MANIFEST, dir_fd=folder, limit=MANIFEST_BYTES)).get("task_id") == task_id
        )
    except (OSError, Unsafe, ValueError, AttributeError):
        return False
    finally:
        os.close(folder)


def _attachment_names(document: bytes) -> list[str]:
    """The file names a receipt lists, read with the hub's hardened parser; none if it does not parse."""
    try:
        tree = parse(document)
    except DocumentError:
        return []
    return [n for a in tree.getroot().iter(f"{{{NS}}}Attachment") if (n := a.get("filename"))]


def _attachment_problem(name: str) -> str | None:
    if key_of(name) in (DONE, REJECTED):
        return "is the name of the inbox's own folder"
    return name_problem(name, extra=INBOX_EXTRA)


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, Unsafe) else (getattr(exc, "strerror", None) or str(exc))
