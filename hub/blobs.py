"""The content-addressed store: every document and file, kept byte for byte under its sha256."""

import hashlib
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.clock import now
from hub.db import on_rollback
from hub.durable import fsync_folder, write_synced
from hub.headers import NOTHING_HEADERS
from hub.models import Blob, BlobOwner


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileStore(Protocol):
    """Where the bytes of blobs live, by sha256: one folder every hub process shares (FolderStore), and
    later an object store. Rows, locks and transactions stay with BlobStore."""

    def write(self, sha256: str, data: bytes) -> None:
        """Keep `data` whole or not at all, and durably before returning (the caller commits next)."""

    def read(self, sha256: str) -> bytes: ...

    def exists(self, sha256: str) -> bool: ...

    def remove(self, sha256: str) -> None:
        """Forget the bytes (a rolled-back transaction's new blob); nothing if they are not there."""

    def check(self) -> str | None:
        """None when the store takes writes now, else why not (for /readyz)."""


class FolderStore:
    """Files under root/ab/cd/abcd...: on one machine, or on a volume every hub process mounts."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def write(self, sha256: str, data: bytes) -> None:
        """A temporary file renamed, and fsynced: the file, its name, and the names of the folders made
        for it are on disk before the transaction that lists it commits."""
        target = self.path(sha256)
        made = [d for d in reversed(target.parents[:3]) if not d.exists()]  # root, root/ab, root/ab/cd
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        write_synced(temporary, data)
        os.replace(temporary, target)
        for folder in (target.parent, *(d.parent for d in made)):
            fsync_folder(folder)

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def remove(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def check(self) -> str | None:
        probe = self.root / f".ready-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            return f"cannot write to {self.root}: {exc.strerror or exc}"
        return None


class BlobStore:
    """Every document and file, each with a row in `blobs` and its bytes in a FileStore.

    A new blob's row is inserted before its bytes are written, in the caller's transaction: a second
    transaction storing the same new content waits on that row, so a rollback that removes the bytes
    (before releasing its locks) can never remove bytes that another transaction has committed.
    """

    def __init__(self, files: FileStore) -> None:
        self.files = files

    def put(self, session: Session, data: bytes) -> str:
        digest = sha256_hex(data)
        values = {"sha256": digest, "size": len(data), "created_at": now()}
        statement = _insert(session, Blob).values(values).on_conflict_do_nothing()
        # RETURNING says whether this transaction created the row (psycopg's rowcount does not)
        created = session.execute(statement.returning(Blob.sha256)).scalar_one_or_none() is not None
        if created:
            self.files.write(digest, data)
            on_rollback(session, lambda: self.files.remove(digest))
        elif not self.files.exists(digest):  # a row whose bytes were lost: write them back
            self.files.write(digest, data)
        return digest

    def read(self, sha256: str) -> bytes:
        return self.files.read(sha256)


Owner = tuple[str, str]  # ("court", code) or ("unit", code): who sent a blob's bytes


def owned(session: Session, *, owner: Owner, digests: Iterable[str]) -> set[str]:
    """Those of `digests` whose bytes `owner` has sent: the only stored files its documents may list
    without sending them again (another's hash names nothing to it, and tells it nothing)."""
    wanted = set(digests)
    if not wanted:
        return set()
    kind, code = owner
    return set(
        session.execute(
            select(BlobOwner.sha256).where(
                BlobOwner.owner_kind == kind, BlobOwner.owner_code == code, BlobOwner.sha256.in_(wanted)
            )
        ).scalars()
    )


def own(session: Session, *, owner: Owner, digests: Iterable[str]) -> None:
    """Record that `owner` sent these stored blobs (in one statement; those it owns already are skipped)."""
    kind, code = owner
    rows = [{"sha256": d, "owner_kind": kind, "owner_code": code} for d in dict.fromkeys(digests)]
    if rows:
        session.execute(_insert(session, BlobOwner).values(rows).on_conflict_do_nothing())


def _insert(session: Session, table: type[Blob] | type[BlobOwner]):
    """INSERT ... ON CONFLICT DO NOTHING in the session's dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def blob_response(blobs: BlobStore, sha256: str, media_type: str, *, filename: str | None = None) -> Response:
    """A download of stored bytes, the same for the API and the pages: byte for byte, their sha256 in
    X-Content-SHA256, always an attachment named `filename` (default document.xml, or file) that a browser
    saves and never shows: a stored document may carry active content (an XHTML script in a ds:Object),
    so nothing in it may run or load on the hub's origin (nosniff, and a CSP that allows nothing)."""
    name = filename or ("document.xml" if media_type == "application/xml" else "file")
    disposition = f"attachment; filename=\"{_ascii(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    headers = {"X-Content-SHA256": sha256, "Content-Disposition": disposition, **NOTHING_HEADERS}
    return Response(blobs.read(sha256), media_type=media_type, headers=headers)


def _ascii(name: str) -> str:
    """`name` for the plain filename parameter: printable ASCII without quotes or backslashes."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name)
