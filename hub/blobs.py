"""The content-addressed store: every document and file, kept byte for byte under its sha256."""

import hashlib
import os
import uuid
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import Response
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.clock import now
from hub.db import on_rollback
from hub.models import Blob


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class BlobStore:
    """Files under root/ab/cd/abcd..., each with a row in `blobs`.

    A new blob's row is inserted before its file is written, in the caller's transaction: a second
    transaction storing the same new content waits on that row, so a rollback that removes the file
    (before releasing its locks) can never remove a file that another transaction has committed.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, session: Session, data: bytes) -> str:
        digest = sha256_hex(data)
        dialect = session.get_bind().dialect.name
        values = {"sha256": digest, "size": len(data), "created_at": now()}
        if dialect == "postgresql":
            statement = postgresql.insert(Blob).values(values).on_conflict_do_nothing()
        else:
            statement = sqlite.insert(Blob).values(values).on_conflict_do_nothing()
        # RETURNING says whether this transaction created the row (psycopg's rowcount does not)
        created = session.execute(statement.returning(Blob.sha256)).scalar_one_or_none() is not None
        target = self.path(digest)
        if created:
            self._write(target, data)
            on_rollback(session, lambda: target.unlink(missing_ok=True))
        elif not target.exists():  # a row whose file was lost: write it back
            self._write(target, data)
        return digest

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    @staticmethod
    def _write(target: Path, data: bytes) -> None:
        """Write whole or not at all (a temporary file renamed), and durably: the file, its name, and the
        names of the folders made for it are on disk before the transaction that lists it commits."""
        made = [d for d in reversed(target.parents[:3]) if not d.exists()]  # root, root/ab, root/ab/cd
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        for folder in (target.parent, *(d.parent for d in made)):
            _fsync_folder(folder)


def _fsync_folder(path: Path) -> None:
    folder = os.open(path, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def blob_response(blobs: BlobStore, sha256: str, media_type: str, *, filename: str | None = None) -> Response:
    """A download of stored bytes, the same for the API and the pages: byte for byte, their sha256 in
    X-Content-SHA256, and with `filename` an attachment of that name (filename*, so any name survives)."""
    headers = {"X-Content-SHA256": sha256}
    if filename:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(blobs.read(sha256), media_type=media_type, headers=headers)
