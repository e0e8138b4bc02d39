"""Files in folders that others write into (a unit's share): names every file system takes, and reads and
writes that never follow a link, never block on a FIFO and never read past a limit.

The functions work on a folder opened as a descriptor (`open_folder`) and a name inside it, so no part of
a path can be swapped for a link between the check and the use. `Unsafe` says what was found and where.
"""

import contextlib
import errno
import os
import stat

FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class Unsafe(Exception):
    """A name, file or folder the hub will not use: a link, a FIFO, a device, too large, a bad name."""


def what(mode: int) -> str:
    """A file's kind, for a message."""
    kinds = [
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((kind for test, kind in kinds if test(mode)), "a regular file")


def open_folder(
    name: str | os.PathLike, *, dir_fd: int | None = None, create: bool = False, mode: int = 0o777
) -> int:
    """The folder `name` (in `dir_fd`) opened as a descriptor, never through a link; created with `mode`
    first when `create` and missing. Unsafe when it is a link or not a folder; FileNotFoundError when
    missing. The caller closes it."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, mode, dir_fd=dir_fd)
    try:
        return os.open(name, FOLDER_FLAGS | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        kind = what(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
        raise Unsafe(f"{os.fsdecode(name)} is {kind}, not a folder") from exc


def lstat_mode(name: str, *, dir_fd: int) -> int | None:
    """The kind bits of `name` itself (a link as a link); None when nothing has that name."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None


def read_regular(name: str, *, dir_fd: int, limit: int) -> bytes:
    """The bytes of the regular file `name` in `dir_fd`, read through one descriptor that follows no link
    and does not wait on a FIFO, never more than `limit` + 1 bytes. Unsafe for anything else (a link, a
    FIFO, a device, a folder) and for a file larger than `limit`."""
    mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    if not stat.S_ISREG(mode):  # checked before opening: opening a device can have effects of its own
        raise Unsafe(f"{name} is {what(mode)}, not a regular file")
    try:
        fd = os.open(name, READ_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unsafe(f"{name} is a symbolic link, not a regular file") from exc
        raise
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):  # swapped since the check above
            raise Unsafe(f"{name} is {what(found.st_mode)}, not a regular file")
        if found.st_nlink != 1:  # a hard link to a file elsewhere (a key the hub can read)
            raise Unsafe(f"{name} has {found.st_nlink} names (a hard link), not one")
        chunks, left = [], limit + 1
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise Unsafe(f"{name} is larger than the limit of {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_new(name: str, data: bytes, *, dir_fd: int, mode: int = 0o666) -> None:
    """Create `name` in `dir_fd` holding `data`, fsynced. FileExistsError when anything (a link too)
    has that name already: nothing is ever written through a link or over another file."""
    fd = os.open(name, WRITE_FLAGS, mode, dir_fd=dir_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
