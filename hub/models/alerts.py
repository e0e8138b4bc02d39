"""The alert ledger: what is owed to whom (derived once from tasks, controls and deliveries), and each
e-mail that carried it."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base


class Alert(Base):
    """One e-mail to one recipient. Status: sent (the SMTP server took it) or refused (it never will)."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_court_sent", "court_code", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(30), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    court_code: Mapped[str | None] = mapped_column(String(20))
    unit_code: Mapped[str | None] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime]

    items: Mapped[list["AlertItem"]] = relationship(back_populates="alert", order_by="AlertItem.id")


class AlertItem(Base):
    """One thing owed to one recipient: a task due soon, a control ending in 7 days, a digest of a week.

    Unique per (kind, entity, entity_id, variant, recipient), so deriving it again adds nothing. Owed
    while `alert_id` is null; a run claims a recipient's owed items (`claimed_by`, `claimed_until`),
    sends one e-mail listing them, then links them to that Alert.
    """

    __tablename__ = "alert_items"
    __table_args__ = (
        UniqueConstraint("kind", "entity", "entity_id", "variant", "recipient"),
        Index("ix_alert_items_owed", "alert_id", "kind", "recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(40))
    variant: Mapped[str] = mapped_column(String(20), default="")
    recipient: Mapped[str] = mapped_column(String(254))
    court_code: Mapped[str | None] = mapped_column(String(20))
    unit_code: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None]
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))

    alert: Mapped[Alert | None] = relationship(back_populates="items")
