"""The JSON shapes of deliveries and their attempts, and what each reader may know of why one failed.

An attempt's error is what the channel said: the unit's answer, a mail server's reply, a folder's path on
the hub's server. Administrators read it whole (the queue, its API, the e-mail of an exhausted delivery);
everyone else who may see a task (its court's officers, the unit's staff) reads `plain_error` instead:
the kind of failure and the unit's HTTP status, nothing the unit or the hub's server wrote.
"""

import re

from pydantic import BaseModel

from hub.auth.service import Principal
from hub.clock import Instant
from hub.models import DeliveryAttempt, QueuedDelivery
from hub.requests.schemas import columns_of

HTTP_STATUS = re.compile(r"(?:^|: )HTTP (\d{3})\b")  # as adapters/http_push.py writes it

PLAIN = {
    "retry": "The unit's system could not take the task for now{status}; the hub tries again.",
    "exhausted": "The unit's system could not take the task in repeated attempts{status}.",
    "refused": "The unit's system refused the task{status}.",
    "misconfigured": "The unit's channel is not configured correctly; an administrator must correct it.",
}


def http_status(error: str | None) -> int | None:
    found = HTTP_STATUS.search(error or "")
    return int(found[1]) if found else None


def trouble(delivery: QueuedDelivery) -> tuple[str, int | None] | None:
    """Why `delivery` is not served, for anyone: (retry, exhausted, refused or misconfigured; the unit's HTTP
    status, when it answered one), from its last attempt; None when it is served, cancelled or untried."""
    if delivery.status in ("served", "cancelled") or not delivery.attempt_log:
        return None
    last = delivery.attempt_log[-1]
    if last.outcome == "served":
        return None
    kind = "exhausted" if last.outcome == "retry" and delivery.status == "failed" else last.outcome
    return (kind if kind in PLAIN else "refused"), http_status(last.error)


def plain_error(kind: str, status: int | None) -> str:
    return PLAIN[kind].format(status=f" (HTTP {status})" if status else "")


class AttemptOut(BaseModel):
    number: int
    worker: str
    started_at: Instant
    finished_at: Instant
    outcome: str
    error: str | None
    note: str | None

    @classmethod
    def of(cls, attempt: DeliveryAttempt, *, whole: bool) -> "AttemptOut":
        shown = columns_of(attempt)
        if not whole and attempt.error is not None:
            kind = attempt.outcome if attempt.outcome in PLAIN else "refused"
            shown["error"] = plain_error(kind, http_status(attempt.error))
        return cls.model_validate(shown)


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
    def of(cls, delivery: QueuedDelivery, reader: Principal) -> "DeliveryOut":
        """`delivery` as `reader` may read it: the channels' errors whole for administrators, else plain."""
        whole = reader.role == "admin"
        shown = columns_of(delivery)
        if not whole and delivery.status != "cancelled":  # a cancelled one's error is the hub's own words
            found = trouble(delivery)
            shown["last_error"] = plain_error(*found) if found else None
        log = [AttemptOut.of(a, whole=whole) for a in delivery.attempt_log]
        return cls.model_validate({**shown, "attempt_log": log})
