from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from hub.clock import Instant
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
