"""What a unit's receipt (回执) does to controls: the controls it registers, the ones it renews, releases,
deducts from, promotes or withdraws, each through the state machine (states.py).

receipts/service.py stores the receipt; it asks this module first what the receipt would do (`plan_new`,
`plan_changes`: the refusals as Problems, nothing written) and then to do it (`apply`).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.clock import SHANGHAI
from hub.controls.derived import chain_head, control_name, renewals_of
from hub.controls.states import (
    IN_FORCE,
    TRANSITIONS,
    Cause,
    ControlEvent,
    ControlStatus,
    change,
    register,
    transition,
)
from hub.errors import Conflict
from hub.models import Control, Item, Receipt, Task
from hub.standard.codes import CONTROL_ACTIONS, Action, AssetClass, Outcome, same_length
from hub.standard.documents import AssistanceReceipt, ControlResult
from hub.standard.rules import period_problems
from hub.standard.xml import Problem

# What a further receipt (on a closed task) may say of a control its task created: by outcome, the
# events it may cause (the control's status picks one). UNABLE ends a waiting control that lapsed, or a
# registration the unit reported and has since undone (a registry that withdrew its seal); WAITLISTED
# reports a waiting control's new place in the queue; PARTIAL that the court ahead disposed of part of
# the property (the Reason says which part; the waiting control stays on the rest, its Amount what remains).
# CONTROLLED of a pre-seal in force: the debtor is now the registered owner, the pre-seal is a seal.
STATE_CHANGES = {
    Outcome.CONTROLLED: (ControlEvent.PROMOTED, ControlEvent.CONVERTED),
    Outcome.RELEASED: (ControlEvent.RELEASED,),
    Outcome.UNABLE: (ControlEvent.LAPSED, ControlEvent.WITHDRAWN_BY_UNIT),
    Outcome.WAITLISTED: (ControlEvent.QUEUE_MOVED,),
    Outcome.PARTIAL: (ControlEvent.PART_DISPOSED,),
}
FURTHER = (
    "A further receipt may only report a change of a control it created (WAITLISTED to CONTROLLED, "
    "WAITLISTED with a new QueuePosition, PARTIAL for a waiting control whose property was disposed of in "
    "part, RELEASED, UNABLE for a waiting control that lapsed or a registration withdrawn, or CONTROLLED "
    "for a pre-seal (PRE_SEAL) that turned into a seal)."
)
DEDUCTS = (Outcome.CONTROLLED, Outcome.PARTIAL)
TRANSFERS = (Outcome.TRANSFERRED, Outcome.PARTIAL)


@dataclass
class Plan:
    """What a receipt will do to controls, worked out before anything is written."""

    new: list[tuple[ControlResult, Item]] = field(default_factory=list)  # controls it registers
    changes: list[tuple[Control, ControlEvent, ControlResult]] = field(
        default_factory=list
    )  # further receipt
    problems: list[Problem] = field(default_factory=list)


def _at(pos, message: str) -> Problem:
    return Problem(pos.line, pos.path, message)


def _item_for(items: list[Item], result: ControlResult) -> Item | None:
    for item in items:
        if item.asset_id == result.asset_id and item.asset_class == str(result.asset_class):
            return item
    return None


def plan_new(
    session: Session,
    document: AssistanceReceipt,
    action: Action,
    items: list[Item],
    *,
    fund_account_years: int,
) -> Plan:
    """Pair each Control of the receipt with the request's item; check what it registers: its period
    against the legal longest and the one asked, a renewal against the control it renews."""
    plan = Plan()
    creates = document.outcome in (Outcome.CONTROLLED, Outcome.PARTIAL, Outcome.WAITLISTED) and (
        action in CONTROL_ACTIONS | {Action.RENEW}
    )
    answered: set[int] = set()
    for result in document.controls:
        item = _item_for(items, result)
        if item is None:
            plan.problems.append(
                _at(result.pos, f"{result.asset_class} {result.asset_id} is not an item of the request")
            )
            continue
        if item.id in answered:  # two controls registered on one asset for one request: counted twice
            plan.problems.append(
                _at(
                    result.pos,
                    f"{result.asset_class} {result.asset_id} has a <Control> already: one per item",
                )
            )
            continue
        answered.add(item.id)
        if not creates:
            continue
        renews = _locked(session, item.original_control_id) if action is Action.RENEW else None
        plan.problems += _period_problems(
            result,
            item,
            fund_account_years=fund_account_years,
            kind=renews.kind if renews is not None else action,
            renewal=renews is not None,
        )
        if action is Action.RENEW and document.outcome is not Outcome.WAITLISTED:
            plan.problems += _renewal_problems(session, document, result, item)
        plan.new.append((result, item))
    return plan


def _period_problems(
    result: ControlResult,
    item: Item,
    *,
    fund_account_years: int,
    kind: str | None = None,
    renewal: bool = False,
) -> list[Problem]:
    """A registered period no longer than the law allows for the class (and for a pre-seal, or a renewal
    of one, DOMAIN.md), nor than the court asked."""
    period = result.period
    if period is None:
        return []
    problems = period_problems(
        period,
        AssetClass(item.asset_class),
        fund_account_years=fund_account_years,
        kind=kind,
        renewal=renewal,
    )
    asked = (item.period_start, item.period_end)
    if not problems and None not in asked and period.end > same_length(*asked, period.start):
        problems.append(
            _at(
                period.pos,
                f"the registered period {period.start} to {period.end} is longer than the one the court "
                f"asked for, {item.period_start} to {item.period_end}: register at most that long",
            )
        )
    return problems


def _locked(session: Session, control_id: int | None) -> Control | None:
    """The control `control_id`, read afresh and locked (FOR UPDATE on PostgreSQL) until the receipt
    commits: a receipt for another task, or the expiry job, changing it meanwhile waits, then sees this
    receipt's change (SQLite lets one writer in at a time)."""
    if control_id is None:
        return None
    return session.get(Control, control_id, with_for_update=True, populate_existing=True)


def _renewal_problems(
    session: Session, document: AssistanceReceipt, result: ControlResult, item: Item
) -> list[Problem]:
    """A renewal only of a control in force: handled by its end, and starting no later than the day after."""
    renews = _locked(session, item.original_control_id)
    if renews is None:
        return []  # the request named no control the hub knew: nothing to renew in the hub
    what = control_name(renews)
    handled = document.handled_at.astimezone(SHANGHAI).date()
    if renews.period_end is not None and handled > renews.period_end:
        return [
            _at(
                result.pos,
                f"{what} ended on {renews.period_end}: a renewal handled on {handled} comes after its end, "
                "when the control had lapsed, and cannot continue it. Answer UNABLE (reason "
                "PRIOR_CONTROL_NOT_FOUND); the court is told that the control lapsed",
            )
        ]
    # EXPIRED: the hub's job ended it, but the unit renewed it by its end (handled above)
    if renews.status not in (ControlStatus.ACTIVE, ControlStatus.EXPIRED):
        return [_at(result.pos, f"{what} is {renews.status}: only an ACTIVE control can be renewed")]
    if result.period is not None and renews.period_end is not None:
        latest = renews.period_end + timedelta(days=1)
        if result.period.start > latest:
            return [
                _at(
                    result.period.pos,
                    f"{what} ends on {renews.period_end}: its renewal must start by {latest}, not "
                    f"{result.period.start}, or the control lapses in between",
                )
            ]
    return []


def plan_changes(
    session: Session, document: AssistanceReceipt, task: Task, *, fund_account_years: int
) -> Plan:
    """A further receipt on closed `task`: the change it reports of each control its task created.

    Raises Conflict when the receipt reports nothing a further receipt may, or a change the control's
    status does not allow.
    """
    events = STATE_CHANGES.get(document.outcome)
    if not document.final or events is None or not document.controls:
        raise Conflict(f"Task {task.id} is already {task.status}. {FURTHER}", code="task_closed")
    plan = Plan()
    for result in document.controls:
        control = session.execute(
            select(Control)
            .where(Control.task_id == task.id, Control.registration_no == result.registration_no)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one_or_none()
        if control is None and ControlEvent.CONVERTED in events:
            control = _pre_seal_of(session, task, result)  # the seal registered under a number of its own
        if control is None:
            plan.problems.append(
                _at(result.pos, f"task {task.id} has no control with RegistrationNo {result.registration_no}")
            )
            continue
        if control.status == ControlStatus.RENEWED and {ControlEvent.RELEASED, ControlEvent.CONVERTED} & set(
            events
        ):
            control = _locked(session, chain_head(session, control=control).id)  # the registration as renewed
        event = next((e for e in events if transition(control.status, e, kind=control.kind)), None)
        if event is None:
            raise Conflict(_unchanged(task, control, result, events), code="task_closed")
        plan.problems += _change_problems(
            control, event, result, task, reason=document.reason_text, fund_account_years=fund_account_years
        )
        plan.changes.append((control, event, result))
    return plan


def _pre_seal_of(session: Session, task: Task, result: ControlResult) -> Control | None:
    """The pre-seal `task` registered on the asset of `result`, reported converted under the seal's own
    registration no. (the asset names it then), or None."""
    return (
        session.execute(
            select(Control)
            .where(
                Control.task_id == task.id,
                Control.kind == Action.PRE_SEAL.value,
                Control.asset_class == str(result.asset_class),
                Control.asset_id == result.asset_id,
            )
            .order_by(Control.id)
        )
        .scalars()
        .first()
    )


def _unchanged(task: Task, control: Control, result: ControlResult, events: tuple[ControlEvent, ...]) -> str:
    """Why a further receipt changes nothing of `control`: it is so already, or cannot change so."""
    closed = f"Task {task.id} is already {task.status} and control {result.registration_no}"
    if ControlEvent.CONVERTED in events and control.status == ControlStatus.ACTIVE:
        return (
            f"{closed} is a {control.kind} in force: only a pre-seal (PRE_SEAL) turns into a seal when the "
            f"debtor is registered as the owner. {FURTHER}"
        )
    ends = {step.to for (_, e), step in TRANSITIONS.items() if e in events}
    said = "it is so already" if control.status in ends else "it cannot change so"
    return f"{closed} is {control.status}: {said}. {FURTHER}"


def _change_problems(
    control: Control,
    event: ControlEvent,
    result: ControlResult,
    task: Task,
    *,
    reason: str | None,
    fund_account_years: int,
) -> list[Problem]:
    what = control_name(control)
    if event is ControlEvent.PROMOTED:
        if control.queue_position is not None and control.queue_position > 1:
            return [
                _at(
                    result.pos,
                    f"{what} is number {control.queue_position} in the queue: only the first waiting control "
                    "takes effect when the one before it ends. Report its place first (Outcome WAITLISTED "
                    "with QueuePosition 1)",
                )
            ]
        item = _item_for(list(task.request.items), result)
        if item is not None:
            return _period_problems(result, item, fund_account_years=fund_account_years, kind=control.kind)
    if event is ControlEvent.CONVERTED:
        return _conversion_problems(control, result, task, fund_account_years=fund_account_years)
    if event is ControlEvent.PART_DISPOSED:
        if not reason:
            return [_at(result.pos, f"{what}: say in <Reason> which part of the property was disposed of")]
        left = result.amount.amount if result.amount else None
        if left is not None and control.amount is not None and left >= control.amount:
            return [
                _at(
                    result.pos,
                    f"{what} is on {control.amount}: after a part was disposed of, less remains, not {left}",
                )
            ]
    if event is ControlEvent.QUEUE_MOVED and result.queue_position == control.queue_position:
        return [_at(result.pos, f"{what} is number {control.queue_position} in the queue already")]
    return []


def _conversion_problems(
    control: Control, result: ControlResult, task: Task, *, fund_account_years: int
) -> list[Problem]:
    """A seal converted from a pre-seal keeps the pre-seal's start (its period is counted from the pre-seal:
    法发〔2004〕5号 Art. 16†); a period the unit registers is no longer than the court asked."""
    period = result.period
    if period is None:
        return []
    if control.period_start is not None and period.start != control.period_start:
        return [
            _at(
                period.pos,
                f"{control_name(control)} was pre-sealed from {control.period_start}: the seal's period is counted "
                f"from the pre-seal, so it starts on {control.period_start}, not {period.start}",
            )
        ]
    item = _item_for(list(task.request.items), result)
    if item is None:
        return []
    return _period_problems(result, item, fund_account_years=fund_account_years, kind=Action.SEAL)


def by(receipt: Receipt) -> dict[str, object]:
    """What a control's audit event says of the receipt that changed it."""
    return {"task": receipt.task_id, "receipt_no": receipt.receipt_no}


def apply(
    session: Session,
    *,
    document: AssistanceReceipt,
    task: Task,
    receipt: Receipt,
    action: Action,
    plan: Plan,
    at,
    actor: str,
) -> list[Control]:
    """Do what `plan` says, and what the receipt does to the controls its request named (a release, a
    deduction); returns every control it touched. Flushes, never commits."""
    touched = _register(session, document, task, receipt, action, plan.new, at, actor)
    for control, event, result in plan.changes:
        if event is ControlEvent.WITHDRAWN_BY_UNIT:
            # a renewal extends the same registration: it goes with it; a renewal withdrawn carries on no more
            touched += _withdraw_renewals(session, control, at, actor)
            touched += _restore_renewed(session, control, receipt, at, actor)
        period = (result.period.start, result.period.end) if result.period is not None else None
        data = by(receipt)
        if event is ControlEvent.PART_DISPOSED:  # what was disposed of, in the unit's words
            data |= {
                "disposed": document.reason_text,
                "remaining": str(result.amount.amount) if result.amount else None,
            }
        if event is ControlEvent.CONVERTED and document.reason_text:
            data["reported"] = document.reason_text
        change(
            session,
            control,
            event,
            cause=Cause.UNIT_RECEIPT,
            at=at,
            actor=actor,
            period=period,
            amount=result.amount.amount if result.amount else None,
            queue_position=result.queue_position,
            registration_no=result.registration_no if event is ControlEvent.CONVERTED else None,
            data=data,
        )
        touched.append(control)
    if action is Action.RELEASE and document.outcome is Outcome.RELEASED:
        touched += _release(session, document, task, receipt, at, actor)
    if action is Action.DEDUCT and document.outcome in DEDUCTS:
        touched += _deduct(session, document, task, receipt, at, actor)
    if action is Action.TRANSFER and document.outcome in TRANSFERS and not plan.changes:
        touched += _transfer(session, document, task, receipt, at, actor)
    session.flush()
    return touched


def _register(session, document, task, receipt, action, new, at, actor) -> list[Control]:
    touched = []
    event = ControlEvent.WAITLISTED if document.outcome is Outcome.WAITLISTED else ControlEvent.REGISTERED
    for result, item in new:
        renews = _locked(session, item.original_control_id) if action is Action.RENEW else None
        period = result.period
        control = Control(
            court_code=task.request.court_code,
            unit_code=task.unit_code,
            request_id=task.request_id,
            task_id=task.id,
            receipt_id=receipt.id,
            kind=renews.kind if renews else str(action),
            asset_class=item.asset_class,
            asset_id=item.asset_id,
            registration_no=result.registration_no or (renews.registration_no if renews else None),
            requested_start=item.period_start,
            requested_end=item.period_end,
            period_start=period.start if period else item.period_start,
            period_end=period.end if period else item.period_end,
            # a renewal that states no amount freezes what the control it renews still holds
            amount=result.amount.amount
            if result.amount
            else item.amount or (renews.amount if renews else None),
            currency=result.amount.currency
            if result.amount
            else item.currency or (renews.currency if renews else None),
            queue_position=result.queue_position,
            flexible_custodian=item.flexible_custodian or (renews.flexible_custodian if renews else None),
            flexible_use=item.flexible_use or (renews.flexible_use if renews else None),
            renews_id=renews.id if renews else None,
        )
        register(session, control, event, cause=Cause.UNIT_RECEIPT, at=at, actor=actor, data=by(receipt))
        touched.append(control)
        if renews is not None and event is ControlEvent.REGISTERED:
            # the renewal carries the control on from the day after its end: the chain counts once
            change(
                session,
                renews,
                ControlEvent.RENEWED,
                cause=Cause.UNIT_RECEIPT,
                at=at,
                actor=actor,
                data={**by(receipt), "renewal": control.id},
            )
            touched.append(renews)
    return touched


def _restore_renewed(session: Session, renewal: Control, receipt: Receipt, at, actor: str) -> list[Control]:
    """A renewal its unit withdrew no longer carries on the control it renewed: that one is in force again
    until its own end (the expiry job ends it once that has passed)."""
    renewed = _locked(session, renewal.renews_id)
    if renewed is None or renewed.status != ControlStatus.RENEWED:
        return []
    data = {**by(receipt), "renewal": renewal.id}
    change(
        session,
        renewed,
        ControlEvent.RENEWAL_WITHDRAWN,
        cause=Cause.UNIT_RECEIPT,
        at=at,
        actor=actor,
        data=data,
    )
    return [renewed]


def _withdraw_renewals(session: Session, control: Control, at, actor: str) -> list[Control]:
    withdrawn = []
    for renewal in renewals_of(session, control=control, lock=True):
        if renewal.status in IN_FORCE:
            change(
                session,
                renewal,
                ControlEvent.WITHDRAWN_WITH_ORIGINAL,
                cause=Cause.UNIT_RECEIPT,
                at=at,
                actor=actor,
                data={"original": control.id},
            )
            withdrawn.append(renewal)
    return withdrawn


def _release(session, document, task, receipt, at, actor) -> list[Control]:
    """A RELEASE answered RELEASED: the controls its items name, with their renewals in force."""
    touched = []
    named = {(str(c.asset_class), c.asset_id) for c in document.controls}
    for item in task.request.items:
        if named and (item.asset_class, item.asset_id) not in named:
            continue  # the unit released only the items its receipt names
        original = _locked(session, item.original_control_id)
        if original is None:
            continue
        # a renewal extends the same control: release it too
        for control in [original, *renewals_of(session, control=original, lock=True)]:
            if control.status in IN_FORCE and control.unit_code == task.unit_code:
                change(
                    session,
                    control,
                    ControlEvent.RELEASED,
                    cause=Cause.UNIT_RECEIPT,
                    at=at,
                    actor=actor,
                    data=by(receipt),
                )
                touched.append(control)
    return touched


def _deduct(session, document, task, receipt, at, actor) -> list[Control]:
    """A DEDUCT answered CONTROLLED or PARTIAL: the money taken leaves the freeze it came from, which ends
    as DEDUCTED once nothing is left frozen (or when a freeze of no stated amount was deducted as asked)."""
    touched = []
    items = list(task.request.items)
    for result in document.controls:
        item = _item_for(items, result)
        freeze = _locked(session, item.original_control_id) if item else None
        if freeze is not None and freeze.status == ControlStatus.RENEWED:  # renewed since the request
            freeze = _locked(session, chain_head(session, control=freeze).id)
        if freeze is None or freeze.status != ControlStatus.ACTIVE or freeze.unit_code != task.unit_code:
            continue  # no freeze of this unit's to draw down: a deduction without a freeze before it
        taken: Decimal | None = result.amount.amount if result.amount else item.amount
        data = {**by(receipt), "deducted": str(taken) if taken is not None else None}
        if taken is not None and freeze.amount is not None and taken < freeze.amount:
            left = freeze.amount - taken
            data["left"] = str(left)
            change(
                session,
                freeze,
                ControlEvent.PART_DEDUCTED,
                cause=Cause.UNIT_RECEIPT,
                at=at,
                actor=actor,
                amount=left,
                data=data,
            )
        elif (taken is not None and freeze.amount is not None) or document.outcome is Outcome.CONTROLLED:
            change(
                session,
                freeze,
                ControlEvent.DEDUCTED,
                cause=Cause.UNIT_RECEIPT,
                at=at,
                actor=actor,
                data=data,
            )
        else:
            continue  # part of a freeze, how much unknown: it stays as it is
        touched.append(freeze)
    return touched


def _transfer(session, document, task, receipt, at, actor) -> list[Control]:
    """A TRANSFER answered TRANSFERRED (or PARTIAL, for the items its Controls name): the property is the
    transferee's, so the requesting court's controls on it at this unit end, in force or waiting, named
    in <Original> or not (查扣冻规定: a seal of property sold or taken for the debt is lifted†). Other
    courts' waiting controls lapse as their units report on their own tasks."""
    touched = []
    for result in document.controls:
        ended = session.execute(
            select(Control)
            .where(
                Control.court_code == task.request.court_code,
                Control.unit_code == task.unit_code,
                Control.asset_class == str(result.asset_class),
                Control.asset_id == result.asset_id,
                Control.status.in_(IN_FORCE),
            )
            .order_by(Control.id)
            .with_for_update()
        ).scalars()
        data = {**by(receipt), "transfer_request": task.request.request_no}
        data["transfer_registration_no"] = result.registration_no
        for control in ended:
            change(
                session,
                control,
                ControlEvent.TRANSFERRED,
                cause=Cause.UNIT_RECEIPT,
                at=at,
                actor=actor,
                data=data,
            )
            touched.append(control)
    return touched
