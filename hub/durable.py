"""Files that survive a power cut once written: the bytes fsynced, and the folder that names them."""

import os
from pathlib import Path


def write_synced(path: Path, data: bytes) -> None:
    """Write `data` to `path` and fsync it (its name is durable only once its folder is: fsync_folder)."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_folder(path: Path) -> None:
    """Make the names in `path` durable: the files created, renamed or removed in it."""
    folder = os.open(path, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
