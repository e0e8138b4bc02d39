"""Requests, their tasks (one per unit), receipts, what was found, and the controls they put on property."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.models.base import Base

if TYPE_CHECKING:
    from hub.models.directory import Court

Money = Numeric(20, 2)  # the XSD's Money: 18 digits in all, 2 of them after the point


class Request(Base):
    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("court_code", "request_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    court_code: Mapped[str] = mapped_column(ForeignKey("courts.code"))
    request_no: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | done | cancelled
    case_no: Mapped[str] = mapped_column(String(100), index=True)
    issued_at: Mapped[datetime]
    received_at: Mapped[datetime]
    officer_name: Mapped[str] = mapped_column(String(100))
    officer_credential_no: Mapped[str | None] = mapped_column(String(100))
    subject_kind: Mapped[str] = mapped_column(String(20))
    subject_name: Mapped[str] = mapped_column(String(200))
    subject_id_type: Mapped[str] = mapped_column(String(20))
    subject_id_number: Mapped[str] = mapped_column(String(100), index=True)
    all_capable: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    document_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    # sha256 fingerprint of the registered certificate its XML signature verified with; None: unsigned
    signed_by: Mapped[str | None] = mapped_column(String(64))
    # hub: sent through the hub; imported: the record of a control made before the hub (hub/controls/imports.py)
    origin: Mapped[str] = mapped_column(String(20), default="hub", server_default="hub")

    tasks: Mapped[list["Task"]] = relationship(back_populates="request", order_by="Task.id")
    files: Mapped[list["RequestFile"]] = relationship(order_by="RequestFile.id")
    court: Mapped["Court"] = relationship()
    items: Mapped[list["Item"]] = relationship(order_by="Item.position")


class RequestFile(Base):
    __tablename__ = "request_files"
    __table_args__ = (UniqueConstraint("request_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    type: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    position: Mapped[int]
    asset_class: Mapped[str] = mapped_column(String(20))
    asset_id: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    flexible_custodian: Mapped[str | None] = mapped_column(String(200))
    flexible_use: Mapped[str | None] = mapped_column(String(500))
    original_request_no: Mapped[str | None] = mapped_column(String(40))
    original_registration_no: Mapped[str | None] = mapped_column(String(100))
    original_control_id: Mapped[int | None] = mapped_column(ForeignKey("controls.id"))


class Task(Base):
    """What one unit must do for one request. Status: created, served, acknowledged, completed, objected, cancelled."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("request_id", "unit_code"),
        Index("ix_tasks_unit_status_due", "unit_code", "status", "due_at"),
        Index("ix_tasks_status_due", "status", "due_at"),
        Index("ix_tasks_served_at", "served_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    status: Mapped[str] = mapped_column(String(20))
    limit_days: Mapped[int]
    created_at: Mapped[datetime]
    served_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    viewed_at: Mapped[datetime | None]  # when the unit first opened it (its page, or its XML by API)
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(20))
    # An objection (OBJECTED) must be answered by the court within 15 days (DOMAIN.md).
    objection_answered_at: Mapped[datetime | None]
    objection_answer: Mapped[str | None] = mapped_column(Text)

    request: Mapped[Request] = relationship(back_populates="tasks")


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("unit_code", "receipt_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    receipt_no: Mapped[str] = mapped_column(String(40))
    final: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason_text: Mapped[str | None] = mapped_column(Text)
    handler_name: Mapped[str] = mapped_column(String(100))
    handled_at: Mapped[datetime]
    received_at: Mapped[datetime]
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    document_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    # sha256 fingerprint of the registered certificate its XML signature verified with; None: unsigned
    signed_by: Mapped[str | None] = mapped_column(String(64))

    files: Mapped[list["ReceiptFile"]] = relationship(order_by="ReceiptFile.id")


class ReceiptFile(Base):
    __tablename__ = "receipt_files"
    __table_args__ = (UniqueConstraint("receipt_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"))
    type: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(120))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))


class FoundAsset(Base):
    """A piece of property a unit reported in answer to a query."""

    __tablename__ = "found_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    asset_class: Mapped[str] = mapped_column(String(20))
    asset_id: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    value: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    status: Mapped[str | None] = mapped_column(String(20))
    owners: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # seals, mortgages and other rights registered on it, as the unit reported them
    encumbrances: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )


class Control(Base):
    """A seal, seizure or freeze on one asset. Status: ACTIVE, WAITLISTED, RELEASED, EXPIRED, LAPSED,
    WITHDRAWN (its unit undid the registration it had reported).

    requested_* is the period written in the request, period_* the one the unit registered; promoted_at is
    when a waiting-list control took effect (DOMAIN.md: store both, the law is disputed).
    """

    __tablename__ = "controls"
    __table_args__ = (
        Index("ix_controls_unit_registration", "unit_code", "registration_no"),
        Index("ix_controls_court_status_end", "court_code", "status", "period_end"),
        Index("ix_controls_status_end", "status", "period_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    court_code: Mapped[str] = mapped_column(ForeignKey("courts.code"))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.id"))
    kind: Mapped[str] = mapped_column(String(20))  # SEAL | SEIZE | FREEZE
    status: Mapped[str] = mapped_column(String(20))
    asset_class: Mapped[str] = mapped_column(String(20))
    asset_id: Mapped[str] = mapped_column(String(100))
    registration_no: Mapped[str | None] = mapped_column(String(100))
    requested_start: Mapped[date | None]
    requested_end: Mapped[date | None]
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    amount: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    queue_position: Mapped[int | None]
    promoted_at: Mapped[datetime | None]
    flexible_custodian: Mapped[str | None] = mapped_column(String(200))
    flexible_use: Mapped[str | None] = mapped_column(String(500))
    renews_id: Mapped[int | None] = mapped_column(ForeignKey("controls.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
