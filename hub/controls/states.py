"""The life of a control: its states, the events that move it, and the one function that moves it.

Every change of a control's status goes through `change` (a new control through `register`), which
checks TRANSITIONS, sets what the transition sets and records the audit event `control.<event>`. No
other module writes a control status literal: they name ControlStatus and ControlEvent members.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from hub.audit import record
from hub.clock import SHANGHAI
from hub.models import Control
from hub.standard.codes import Action, same_length


class ControlStatus(StrEnum):
    """A control's status as stored in controls.status."""

    ACTIVE = "ACTIVE"
    WAITLISTED = "WAITLISTED"  # 轮候: registered behind another court's control, not yet in force
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"  # its period ended unrenewed
    LAPSED = "LAPSED"  # a waiting control that never took effect
    WITHDRAWN = "WITHDRAWN"  # its unit undid the registration it had reported
    RENEWED = "RENEWED"  # superseded by its renewal, which carries the control on from the day after its end
    DEDUCTED = "DEDUCTED"  # a freeze whose money was taken in full by a deduction (扣划)
    DISPOSED = "DISPOSED"  # the property was transferred to its buyer (协助过户): the court's control ends


IN_FORCE = (ControlStatus.ACTIVE, ControlStatus.WAITLISTED)

# How pages and the evidence summary name each status.
LABELS = {
    ControlStatus.ACTIVE: "生效中",
    ControlStatus.WAITLISTED: "轮候中",
    ControlStatus.RELEASED: "已解除",
    ControlStatus.EXPIRED: "已到期",
    ControlStatus.LAPSED: "已失效",
    ControlStatus.WITHDRAWN: "单位已撤销登记",
    ControlStatus.RENEWED: "已续行",
    ControlStatus.DEDUCTED: "已扣划",
    ControlStatus.DISPOSED: "已处置过户",
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
    RENEWED = "renewed"  # its renewal was registered: the renewal carries the control on
    DEDUCTED = "deducted"  # a deduction took all the frozen money
    PART_DEDUCTED = "part_deducted"  # a deduction took part of it: the frozen amount is what is left
    QUEUE_MOVED = "queue_moved"  # a waiting control's position in the queue changed
    RENEWAL_WITHDRAWN = "renewal_withdrawn"  # its unit undid the renewal: the control is carried on no more
    PART_DISPOSED = "part_disposed"  # the court ahead disposed of part of the property: waiting on the rest
    IMPORTED = "imported"  # made before the hub, on paper or in another system, and entered by the court
    CONVERTED = "converted"  # a pre-seal turned into a seal: the debtor is now the registered owner
    TRANSFERRED = "transferred"  # the court's TRANSFER of the property was done: its control ends


# How a control's history (its page's timeline) names each event.
EVENT_LABELS = {
    ControlEvent.REGISTERED: "登记生效",
    ControlEvent.WAITLISTED: "轮候登记",
    ControlEvent.PROMOTED: "轮候转为正式",
    ControlEvent.RELEASED: "解除",
    ControlEvent.LAPSED: "轮候失效",
    ControlEvent.WITHDRAWN_BY_UNIT: "单位撤销登记",
    ControlEvent.WITHDRAWN_WITH_ORIGINAL: "随原措施撤销",
    ControlEvent.EXPIRED: "到期失效",
    ControlEvent.RENEWED: "续行登记，由续行措施接续",
    ControlEvent.DEDUCTED: "全额扣划",
    ControlEvent.PART_DEDUCTED: "部分扣划",
    ControlEvent.QUEUE_MOVED: "轮候顺位变更",
    ControlEvent.RENEWAL_WITHDRAWN: "续行登记被单位撤销，本措施恢复有效至原到期日",
    ControlEvent.PART_DISPOSED: "部分财产已被处置，轮候及于其余部分",
    ControlEvent.IMPORTED: "补录（平台建立前已采取的措施）",
    ControlEvent.CONVERTED: "预查封转为查封（期限自预查封之日起计算）",
    ControlEvent.TRANSFERRED: "财产已协助过户，措施随之终止",
}


class Cause(StrEnum):
    """Who may cause a transition."""

    UNIT_RECEIPT = "unit receipt"  # a unit's receipt, through receipts/service.py
    HUB_JOB = "hub job"  # the hub's scheduled jobs (hub/alerts/jobs.py)
    COURT_IMPORT = "court import"  # an officer or administrator entering a control made before the hub


@dataclass(frozen=True)
class Transition:
    to: ControlStatus
    cause: Cause
    told: str | None  # the alert kind the officer is sent (hub/alerts), None when none


TRANSITIONS: dict[tuple[ControlStatus | None, ControlEvent], Transition] = {
    (None, ControlEvent.REGISTERED): Transition(ControlStatus.ACTIVE, Cause.UNIT_RECEIPT, None),
    (None, ControlEvent.WAITLISTED): Transition(ControlStatus.WAITLISTED, Cause.UNIT_RECEIPT, None),
    (None, ControlEvent.IMPORTED): Transition(ControlStatus.ACTIVE, Cause.COURT_IMPORT, None),
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
    (ControlStatus.ACTIVE, ControlEvent.RENEWED): Transition(ControlStatus.RENEWED, Cause.UNIT_RECEIPT, None),
    # renewed by the unit in time, but its receipt reached the hub after the expiry job had run
    (ControlStatus.EXPIRED, ControlEvent.RENEWED): Transition(
        ControlStatus.RENEWED, Cause.UNIT_RECEIPT, None
    ),
    # the unit undid the renewal's registration: the control it renewed runs to its own end again
    (ControlStatus.RENEWED, ControlEvent.RENEWAL_WITHDRAWN): Transition(
        ControlStatus.ACTIVE, Cause.UNIT_RECEIPT, None
    ),
    # the unit undid the first registration: its renewals go with it (WITHDRAWN_WITH_ORIGINAL)
    (ControlStatus.RENEWED, ControlEvent.WITHDRAWN_BY_UNIT): Transition(
        ControlStatus.WITHDRAWN, Cause.UNIT_RECEIPT, "control_withdrawn"
    ),
    (ControlStatus.ACTIVE, ControlEvent.DEDUCTED): Transition(
        ControlStatus.DEDUCTED, Cause.UNIT_RECEIPT, None
    ),
    (ControlStatus.ACTIVE, ControlEvent.PART_DEDUCTED): Transition(
        ControlStatus.ACTIVE, Cause.UNIT_RECEIPT, None
    ),
    (ControlStatus.WAITLISTED, ControlEvent.QUEUE_MOVED): Transition(
        ControlStatus.WAITLISTED, Cause.UNIT_RECEIPT, None
    ),
    (ControlStatus.WAITLISTED, ControlEvent.PART_DISPOSED): Transition(
        ControlStatus.WAITLISTED, Cause.UNIT_RECEIPT, None
    ),
    # the unit registered the debtor as owner of a pre-sealed property: the pre-seal is a seal from now on,
    # its period still counted from the pre-seal (a pre-seal only: KINDS)
    (ControlStatus.ACTIVE, ControlEvent.CONVERTED): Transition(
        ControlStatus.ACTIVE, Cause.UNIT_RECEIPT, "control_converted"
    ),
    # the unit transferred the property to the buyer at the court's request: the court's controls of it end
    (ControlStatus.ACTIVE, ControlEvent.TRANSFERRED): Transition(
        ControlStatus.DISPOSED, Cause.UNIT_RECEIPT, None
    ),
    (ControlStatus.WAITLISTED, ControlEvent.TRANSFERRED): Transition(
        ControlStatus.DISPOSED, Cause.UNIT_RECEIPT, None
    ),
}
# Events that happen only to a control of one kind: only a pre-seal turns into a seal.
KINDS: dict[ControlEvent, str] = {ControlEvent.CONVERTED: Action.PRE_SEAL}


class IllegalTransition(ValueError):
    """`event` cannot happen to a control in `status` (or of its kind); callers map it to their own refusal."""

    def __init__(self, control: Control | None, status: str | None, event: ControlEvent) -> None:
        self.status, self.event = status, event
        kind = control.kind if control is not None else None
        allowed = ", ".join(str(e) for e in events_from(status, kind=kind)) or "none"
        what = f"control {control.id}" if control is not None and control.id is not None else "a new control"
        if event in KINDS and kind != KINDS[event] and transition(status, event) is not None:
            super().__init__(f"{what} is a {kind}: only a {KINDS[event]} can be {event} (allowed: {allowed})")
            return
        super().__init__(
            f"{what} is {status or 'not yet registered'}: it cannot be {event} (allowed: {allowed})"
        )


def transition(status: str | None, event: ControlEvent, *, kind: str | None = None) -> Transition | None:
    """The transition `event` makes from `status` for a control of `kind` (None: whatever its kind), or
    None when the table has none."""
    if kind is not None and event in KINDS and kind != KINDS[event]:
        return None
    key = (ControlStatus(status) if status is not None else None, event)
    return TRANSITIONS.get(key)


def events_from(status: str | None, *, kind: str | None = None) -> tuple[ControlEvent, ...]:
    """The events that may happen to a control in `status` (None: a control not yet registered), of
    `kind` when given."""
    return tuple(e for (s, e) in TRANSITIONS if s == status and transition(status, e, kind=kind))


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
            **_terms(control),
            **(data or {}),
        },
    )


def _terms(control: Control) -> dict[str, str | int]:
    """The control's terms after the change, so that its history reads them as they were then."""
    terms = {
        "period_start": control.period_start.isoformat() if control.period_start else None,
        "period_end": control.period_end.isoformat() if control.period_end else None,
        "amount": str(control.amount) if control.amount is not None else None,
        "queue_position": control.queue_position,
    }
    return {key: value for key, value in terms.items() if value is not None}


class WrongCause(ValueError):
    """`cause` may not cause `event`: the table names who may (a bug in the caller, not a user's refusal)."""

    def __init__(self, event: ControlEvent, step: Transition, cause: Cause) -> None:
        super().__init__(f"a {cause} cannot cause {event}: only a {step.cause} does")


def _caused(event: ControlEvent, step: Transition, cause: Cause) -> None:
    if step.cause is not cause:
        raise WrongCause(event, step, cause)


def register(
    session: Session,
    control: Control,
    event: ControlEvent,
    *,
    cause: Cause,
    at: datetime,
    actor: str,
    data=None,
) -> Control:
    """Add a new control with the status `event` gives it (REGISTERED, WAITLISTED or IMPORTED), caused by
    `cause` (WrongCause when the table names another); flushes."""
    step = TRANSITIONS.get((None, event))
    if step is None:
        raise IllegalTransition(control, None, event)
    _caused(event, step, cause)
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
    cause: Cause,
    at: datetime,
    actor: str,
    period: tuple[date, date] | None = None,
    amount: Decimal | None = None,
    queue_position: int | None = None,
    registration_no: str | None = None,
    data: dict[str, Any] | None = None,
) -> Control:
    """Move `control` by `event`: check TRANSITIONS (and KINDS), set status and updated_at and what the
    event sets, record `control.<event>`.

    What an event sets: PROMOTED promoted_at, the queue position cleared and `period` (the one the unit
    registered, else the requested length counted from the day it took effect); PART_DEDUCTED `amount`,
    the money still frozen (PART_DISPOSED too, when the unit states what remains); QUEUE_MOVED
    `queue_position`; CONVERTED the kind SEAL, keeping the period counted from the pre-seal (or the
    `period` the unit registered, from the same start), and the seal's own `registration_no` when the
    unit gave it one. Raises IllegalTransition when the table has no such move from the control's
    status, or the event is not for a control of its kind; WrongCause when `cause` is not who the table
    says causes it. Flushes (through the audit record), never
    commits.
    """
    was = control.status
    step = transition(was, event, kind=control.kind)
    if step is None:
        raise IllegalTransition(control, was, event)
    _caused(event, step, cause)
    control.status, control.updated_at = step.to.value, at
    if event is ControlEvent.PROMOTED:
        control.promoted_at, control.queue_position = at, None
        control.period_start, control.period_end = period or _from_effect(control, at)
    elif event is ControlEvent.PART_DEDUCTED:
        assert amount is not None and amount > 0, "a partial deduction leaves an amount frozen"
        control.amount = amount
    elif event is ControlEvent.PART_DISPOSED and amount is not None:
        control.amount = amount
    elif event is ControlEvent.QUEUE_MOVED:
        assert queue_position is not None, "a queue move gives the new position"
        control.queue_position = queue_position
    elif event is ControlEvent.CONVERTED:
        data = {
            "kind_before": control.kind,
            "registration_no_before": control.registration_no,
            **(data or {}),
        }
        control.kind = Action.SEAL.value
        control.registration_no = registration_no or control.registration_no
        if period is not None:  # receipted.py holds its start to the pre-seal's
            control.period_start, control.period_end = period
    _record(session, control, event, was, actor, data)
    return control


def _from_effect(control: Control, at: datetime) -> tuple[date | None, date | None]:
    """A promoted control's period when its unit registered none: the length the court asked for (the
    requested period, else the one registered on the waiting list), counted from the day it took effect
    (DOMAIN.md: a waiting seal's period runs from when it takes effect)."""
    start, end = control.requested_start or control.period_start, control.requested_end or control.period_end
    if start is None or end is None:
        return control.period_start, control.period_end
    effective = at.astimezone(SHANGHAI).date()
    return effective, same_length(start, end, effective)
