"""The JSON shapes of deliveries and their attempts."""

from pydantic import BaseModel

from hub.clock import Instant
from hub.models import QueuedDelivery
from hub.requests.schemas import columns_of


class AttemptOut(BaseModel):
    number: int
    worker: str
    started_at: Instant
    finished_at: Instant
    outcome: str
    error: str | None
    note: str | None


class DeliveryOut(BaseModel):
    id: int
    task_id: int
    unit_code: str
    position: int
    kind: str
    status: str
    attempts: int
    next_at: Instant | None
    last_error: str | None
    requested_by: str
    created_at: Instant
    served_at: Instant | None
    finished_at: Instant | None
    attempt_log: list[AttemptOut]

    @classmethod
    def of(cls, delivery: QueuedDelivery) -> "DeliveryOut":
        log = [AttemptOut.model_validate(columns_of(a)) for a in delivery.attempt_log]
        return cls.model_validate({**columns_of(delivery), "attempt_log": log})
