"""The delivery queue: every serving of a task through a channel, and every attempt it took."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base


class QueuedDelivery(Base):
    """One task served through one of its unit's channels. Status: waiting, running, served, failed, cancelled.

    `position` indexes the unit's channels (0 the channel, 1.. its fallback). A worker claims a waiting
    row whose `next_at` has come by setting status running, `claimed_by` and `lease_until`; a running row
    whose lease ran out (its worker died) may be claimed again. `notice_*` track the inbox's e-mail to
    the unit's staff that new tasks arrived: `notice_due_at` is set while one is owed, and only then.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_status_next_at", "status", "next_at"),
        Index("ix_deliveries_unit_status", "unit_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    served_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    notice_due_at: Mapped[datetime | None] = mapped_column(index=True)
    notice_sent_at: Mapped[datetime | None]
    notice_claimed_until: Mapped[datetime | None]

    attempt_log: Mapped[list["DeliveryAttempt"]] = relationship(order_by="DeliveryAttempt.number")


class DeliveryAttempt(Base):
    """One try of a delivery. Outcome: served, retry, refused, misconfigured."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    number: Mapped[int]
    worker: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
