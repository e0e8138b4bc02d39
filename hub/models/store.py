"""The floor: content-addressed blobs, the audit chain, and the working-day calendar overrides."""

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.models.base import Base


class Blob(Base):
    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    created_at: Mapped[datetime]


class BlobOwner(Base):
    """Who sent a blob's bytes: a court ("court", code) or a member unit ("unit", code). A document may list
    a file by its sha256 without sending it again only when its sender owns that file: the hash of another
    court's or unit's file names nothing to it."""

    __tablename__ = "blob_owners"

    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    owner_code: Mapped[str] = mapped_column(String(40), primary_key=True)


class AuditEvent(Base):
    """One change of state. `hash` = sha256 over the previous hash and this event's canonical JSON."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(40))
    data: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The single row that serialises appends to the chain (its row lock) and remembers the tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


class CalendarDay(Base):
    """An administrator's override: this day is a working day (True) or a day off (False)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(200), default="")


class CalendarYear(Base):
    """A year whose official calendar was imported: its days outside the overrides are ordinary."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime]
