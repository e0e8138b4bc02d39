"""What a running hub holds: its settings, database and blob store. Built once by the app or the CLI."""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.blobs import BlobStore, FolderStore
from hub.config import Settings
from hub.db import make_engine, make_readers, make_sessionmaker
from hub.keys import Identity, hub_identity
from hub.standard.warm import warm_up


@dataclass
class Hub:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    # Called after a commit that queued deliveries; the worker of this process sets it (hub/delivery/worker.py).
    wake: Callable[[], None] = field(default=lambda: None)

    @cached_property
    def readers(self) -> sessionmaker[Session]:
        """Sessions for transactions that only read (hub.db.make_readers), on the same engine."""
        return make_readers(self.engine)

    @cached_property
    def identity(self) -> Identity | None:
        """The key and certificate the hub signs with (hub/keys.py), loaded on first use."""
        return hub_identity(self.settings)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Hub":
        warm_up()  # before the server's and the worker's threads: libxml2 builds are not for threads
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.database_url)
        return cls(settings, engine, make_sessionmaker(engine), BlobStore(FolderStore(settings.blob_dir)))
