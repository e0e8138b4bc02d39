"""The life of a control: its states, the events that move it, and the one function that moves it.

Every change of a control's status goes through `change` (a new control through `register`), which
checks TRANSITIONS, sets what the transition sets and records the audit event `control.<event>`. No
other module writes a control status literal: they name ControlStatus and ControlEvent members.
"""

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from hub.audit import record
from hub.models import Control


class ControlStatus(StrEnum):
    """A control's status as stored in controls.status."""

    ACTIVE = "ACTIVE"
    WAITLISTED = "WAITLISTED"  # 轮候: registered behind another court's control, not yet in force
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"  # its period ended unrenewed
    LAPSED = "LAPSED"  # a waiting control that never took effect
    WITHDRAWN = "WITHDRAWN"  # its unit undid the registration it had reported


IN_FORCE = (ControlStatus.ACTIVE, ControlStatus.WAITLISTED)

# How pages and the evidence summary name each status.
LABELS = {
    ControlStatus.ACTIVE: "生效中",
    ControlStatus.WAITLISTED: "轮候中",
    ControlStatus.RELEASED: "已解除",
    ControlStatus.EXPIRED: "已到期",
    ControlStatus.LAPSED: "已失效",
    ControlStatus.WITHDRAWN: "单位已撤销登记",
}


class ControlEvent(StrEnum):
    """What happens to a control; `control.<value>` is the kind of its audit event."""

    REGISTERED = "registered"  # a unit's receipt reports a control in force
    WAITLISTED = "waitlisted"  # a unit's receipt reports a control on the waiting list
    PROMOTED = "promoted"  # a waiting control took effect
    RELEASED = "released"  # the unit released it (or the control it renews)
    LAPSED = "lapsed"  # a waiting control ended without taking effect
    WITHDRAWN_BY_UNIT = "withdrawn_by_unit"  # the unit undid the registration it had reported
    WITHDRAWN_WITH_ORIGINAL = "withdrawn_with_original"  # a renewal goes with the control it renews
    EXPIRED = "expired"  # the hub's job: the period ended and no renewal is in force


class Cause(StrEnum):
    """Who may cause a transition."""

    UNIT_RECEIPT = "unit receipt"  # a unit's receipt, through receipts/service.py
    HUB_JOB = "hub job"  # the hub's scheduled jobs (hub/alerts/jobs.py)


@dataclass(frozen=True)
class Transition:
    to: ControlStatus
    cause: Cause
    told: str | None  # the alert kind the officer is sent (hub/alerts), None when none


TRANSITIONS: dict[tuple[ControlStatus | None, ControlEvent], Transition] = {
    (None, ControlEvent.REGISTERED): Transition(ControlStatus.ACTIVE, Cause.UNIT_RECEIPT, None),
    (None, ControlEvent.WAITLISTED): Transition(ControlStatus.WAITLISTED, Cause.UNIT_RECEIPT, None),
    (ControlStatus.WAITLISTED, ControlEvent.PROMOTED): Transition(
        ControlStatus.ACTIVE, Cause.UNIT_RECEIPT, "control_effective"
    ),
    (ControlStatus.ACTIVE, ControlEvent.RELEASED): Transition(
        ControlStatus.RELEASED, Cause.UNIT_RECEIPT, None
    ),
    (ControlStatus.WAITLISTED, ControlEvent.RELEASED): Transition(
        ControlStatus.RELEASED, Cause.UNIT_RECEIPT, None
    ),
    (ControlStatus.WAITLISTED, ControlEvent.LAPSED): Transition(
        ControlStatus.LAPSED, Cause.UNIT_RECEIPT, None
    ),
    (ControlStatus.ACTIVE, ControlEvent.WITHDRAWN_BY_UNIT): Transition(
        ControlStatus.WITHDRAWN, Cause.UNIT_RECEIPT, "control_withdrawn"
    ),
    (ControlStatus.ACTIVE, ControlEvent.WITHDRAWN_WITH_ORIGINAL): Transition(
        ControlStatus.WITHDRAWN, Cause.UNIT_RECEIPT, "control_withdrawn"
    ),
    (ControlStatus.WAITLISTED, ControlEvent.WITHDRAWN_WITH_ORIGINAL): Transition(
        ControlStatus.WITHDRAWN, Cause.UNIT_RECEIPT, "control_withdrawn"
    ),
    (ControlStatus.ACTIVE, ControlEvent.EXPIRED): Transition(
        ControlStatus.EXPIRED, Cause.HUB_JOB, "control_expired"
    ),
}


class IllegalTransition(ValueError):
    """`event` cannot happen to a control in `status`; callers map it to their own refusal."""

    def __init__(self, control: Control | None, status: str | None, event: ControlEvent) -> None:
        self.status, self.event = status, event
        allowed = ", ".join(str(e) for (s, e) in TRANSITIONS if s == status) or "none"
        what = f"control {control.id}" if control is not None and control.id is not None else "a new control"
        super().__init__(
            f"{what} is {status or 'not yet registered'}: it cannot be {event} (allowed: {allowed})"
        )


def transition(status: str | None, event: ControlEvent) -> Transition | None:
    """The transition `event` makes from `status`, or None when the table has none."""
    key = (ControlStatus(status) if status is not None else None, event)
    return TRANSITIONS.get(key)


def events_from(status: str | None) -> tuple[ControlEvent, ...]:
    """The events that may happen to a control in `status` (None: a control not yet registered)."""
    return tuple(e for (s, e) in TRANSITIONS if s == status)


def _record(
    session: Session, control: Control, event: ControlEvent, was: str | None, actor: str, data
) -> None:
    record(
        session,
        actor=actor,
        kind=f"control.{event}",
        entity="control",
        entity_id=control.id,
        data={
            "unit": control.unit_code,
            "registration_no": control.registration_no,
            "from": was,
            "to": control.status,
            **(data or {}),
        },
    )


def register(
    session: Session, control: Control, event: ControlEvent, *, at: datetime, actor: str, data=None
) -> Control:
    """Add a new control with the status `event` gives it (REGISTERED or WAITLISTED); flushes."""
    step = TRANSITIONS.get((None, event))
    if step is None:
        raise IllegalTransition(control, None, event)
    control.status, control.created_at, control.updated_at = step.to.value, at, at
    session.add(control)
    session.flush()
    _record(session, control, event, None, actor, data)
    return control


def change(
    session: Session,
    control: Control,
    event: ControlEvent,
    *,
    at: datetime,
    actor: str,
    period: tuple[date, date] | None = None,
    data: dict[str, Any] | None = None,
) -> Control:
    """Move `control` by `event`: check TRANSITIONS, set status and updated_at (a promotion: promoted_at,
    queue position cleared, and `period` when the unit registered one), record `control.<event>`.

    Raises IllegalTransition when the table has no such move from the control's status. Flushes (through
    the audit record), never commits.
    """
    was = control.status
    step = transition(was, event)
    if step is None:
        raise IllegalTransition(control, was, event)
    control.status, control.updated_at = step.to.value, at
    if event is ControlEvent.PROMOTED:
        control.promoted_at, control.queue_position = at, None
        if period is not None:
            control.period_start, control.period_end = period
    _record(session, control, event, was, actor, data)
    return control
