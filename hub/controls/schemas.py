from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from hub.clock import Instant
from hub.controls.history import History, HistoryEntry
from hub.models import Control


class ControlOut(BaseModel):
    id: int
    court_code: str
    unit_code: str
    request_id: int
    task_id: int
    kind: str
    status: str
    asset_class: str
    asset_id: str
    registration_no: str | None
    requested_start: date | None
    requested_end: date | None
    period_start: date | None
    period_end: date | None
    amount: Decimal | None
    currency: str | None
    queue_position: int | None
    promoted_at: Instant | None
    flexible_custodian: str | None
    flexible_use: str | None
    renews_id: int | None

    @classmethod
    def of(cls, control: Control) -> "ControlOut":
        return cls.model_validate(control, from_attributes=True)


class HistoryEntryOut(BaseModel):
    """One entry of a control's history (hub/controls/history.py), oldest first in the list."""

    at: Instant
    kind: str = Field(description="The audit event's kind: control.<event>, or request.received.")
    what: str = Field(description="What happened, in words (Chinese).")
    control_id: int = Field(description="The control of the renewal chain it happened to.")
    actor: str = Field(description="Who, as the audit chain records it: user:<name>, hub, ckw:<unit>, cli.")
    who: str = Field(description="Who, in words: the person and their unit or court, or the hub.")
    status_from: str | None
    status_to: str | None
    receipt_no: str | None
    request_id: int | None
    request_no: str | None
    details: list[str] = Field(description="What a user needs to know, in words (Chinese).")
    data: dict[str, Any] = Field(description="The audit event's data as recorded.")

    @classmethod
    def of(cls, entry: HistoryEntry) -> "HistoryEntryOut":
        return cls.model_validate(entry, from_attributes=True)


class ControlHistoryOut(BaseModel):
    control: ControlOut
    chain: list[ControlOut] = Field(description="The control's renewal chain, first control first.")
    current_id: int = Field(description="The control of the chain that carries it on today.")
    entries: list[HistoryEntryOut]

    @classmethod
    def of(cls, history: History) -> "ControlHistoryOut":
        return cls(
            control=ControlOut.of(history.control),
            chain=[ControlOut.of(c) for c in history.chain],
            current_id=history.current.id,
            entries=[HistoryEntryOut.of(e) for e in history.entries],
        )
