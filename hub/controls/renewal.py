"""The renewal draft: a ready AssistanceRequest (RENEW) for an ACTIVE control, for its officer to review.

The alert for an expiring control attaches it, and GET /api/v1/controls/{id}/renewal-draft serves it.
The draft takes the court, case, officer and subject from the request that created the control, targets
the control's unit, and renews for the longest period the asset class allows (a pre-seal: one year) from
the day after the control's current end (DOMAIN.md, control periods and pre-seals).

Choices a reader should know:
- Documents. The XSD requires <Documents> and the rules require a RULING and a NOTICE for RENEW, but the
  renewal ruling (续行裁定书) is the court's to write. The draft lists the documents of the request that
  created the control (same type, file name and sha256: the hub stores them already, so the draft can
  be posted as application/xml as it is), and its <Remarks> says that they are the original ones and
  that the ruling should be replaced by the renewal ruling before submitting.
- Flexible controls. The rules allow <Flexible> on SEAL and SEIZE only, so a RENEW item cannot carry it;
  the hub carries the custodian and permitted use over to the renewed control by itself, and the draft
  states them in <Remarks> so that the unit sees them.
- RequestNo. `<root RequestNo>-R<n>`, where the root is the request that made the first control of the
  renewal chain and n the number of that chain's controls (renewals so far + 1), the root number cut so
  that the whole stays within 40 characters. A number the court has used already (a renewal answered
  UNABLE, say) is skipped for the next n, so the draft is the same for the same state of the hub.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lxml import etree
from sqlalchemy.orm import Session

from hub.calendar.service import load_calendar
from hub.clock import SHANGHAI
from hub.config import Settings
from hub.controls.derived import (
    E,
    chain_head,
    control_name,
    derived_request,
    derived_request_no,
    original_item,
    pending_request_no,
    renewal_chain,
    renewal_in_force,
)
from hub.controls.states import ControlStatus
from hub.errors import Conflict, Invalid
from hub.models import Control, Request
from hub.standard.codes import Action, AssetClass, period_end
from hub.standard.labels import label
from hub.standard.rules import max_years
from hub.tasks.service import CLOSED_STATES

REQUEST_NO = re.compile(r"[A-Za-z0-9-]{6,40}")


def renewal_draft(
    session: Session, *, control: Control, settings: Settings, at: datetime, request_no: str | None = None
) -> bytes:
    """The RENEW request for `control` as UTF-8 XML bytes, valid under the XSD and `inspect`.

    `at` (timezone-aware) is written as IssuedAt in +08:00 and decides whether the control has ended;
    `request_no` replaces the derived RequestNo (see `renewal_request_no`). Raises Conflict when the
    control cannot be renewed: not ACTIVE, no end date, ended before `at`, already renewed, or a RENEW
    request for it still waiting for the unit's answer; Invalid for a `request_no` outside the standard's
    pattern. Reads only: nothing is stored.
    """
    if at.tzinfo is None:
        raise ValueError("renewal_draft needs a timezone-aware `at`")
    _check_renewable(session, control=control, on=at.astimezone(SHANGHAI).date())
    number = request_no if request_no is not None else renewal_request_no(session, control=control)
    if not REQUEST_NO.fullmatch(number):
        raise Invalid(f"RequestNo {number!r} must be 6 to 40 characters from A-Z, a-z, 0-9 and '-'.")
    request = session.get_one(Request, control.request_id)
    return derived_request(
        session,
        control=control,
        request=request,
        action=Action.RENEW,
        request_no=number,
        item=original_item(control, request, *_terms(control, settings)),
        remarks=_remarks(control, request),
        settings=settings,
        at=at,
    )


def renewal_request_no(session: Session, *, control: Control) -> str:
    """The derived RequestNo of `control`'s renewal, e.g. AT-2026-000123-R1, then -R2 for that renewal's."""
    chain = renewal_chain(session, control=control)
    return derived_request_no(session, chain=chain, mark="R", start=len(chain))


def renewal_refusal(session: Session, *, control: Control, on: date, what: str) -> str | None:
    """Why `control` (named `what` in the answer) cannot be renewed on `on`, or None when it can: a
    renewal only while the control is in force, and of the current control of its renewal chain."""
    if control.status == ControlStatus.RENEWED:
        head = chain_head(session, control=control)
        return (
            f"{what} was already renewed until {head.period_end}: renew the current control {head.id} "
            f"({head.registration_no or 'no registration no.'}) instead"
        )
    if control.status != ControlStatus.ACTIVE:
        return f"{what} is {control.status}: only an ACTIVE control can be renewed"
    if control.period_end is None:
        return f"{what} has no registered end date to renew from: ask the unit {control.unit_code} for it"
    if on > control.period_end:
        return f"{what} ended on {control.period_end}: a renewal must be filed before the end date"
    renewal = renewal_in_force(session, control=control)
    if renewal is not None:
        return (
            f"{what} was already renewed until {renewal.period_end}: renew control {renewal.id} "
            "instead, before it ends"
        )
    return None


def _check_renewable(session: Session, *, control: Control, on: date) -> None:
    what = control_name(control)
    if (why := renewal_refusal(session, control=control, on=on, what=what)) is not None:
        raise Conflict(f"{why}.", code="not_renewable")
    pending = pending_request_no(session, control=control, action=Action.RENEW)
    if pending is not None:
        raise Conflict(
            f"{what} has a renewal request {pending} waiting for the unit's answer: follow that one.",
            code="not_renewable",
        )


@dataclass(frozen=True)
class LateRenewal:
    """An open task of a RENEW request due after the end of the control it renews: if the unit acts only
    by its due date, the control will have lapsed and the renewal be refused (receipted.py)."""

    task_id: int
    unit_code: str
    due: date  # the task's due day (projected from the request's arrival while it waits to be served)
    control_id: int
    control_end: date

    @property
    def message(self) -> str:
        return (
            f"task {self.task_id} for {self.unit_code} is due on {self.due}, after control {self.control_id} "
            f"ends on {self.control_end}: unless the unit renews it by then, the control lapses"
        )


def late_renewals(session: Session, *, request: Request) -> list[LateRenewal]:
    """The open tasks of RENEW `request` whose due day falls after the end of the control they renew: the
    officer is warned on submission and on the request's page, so that he presses the unit in time."""
    if request.action != Action.RENEW:
        return []
    calendar = None
    late = []
    for item in request.items:
        control = session.get(Control, item.original_control_id) if item.original_control_id else None
        if control is None or control.period_end is None:
            continue
        for task in request.tasks:
            if task.status in CLOSED_STATES:
                continue
            if task.due_at is None:
                calendar = calendar or load_calendar(session)
                due = calendar.due(request.received_at, task.limit_days).at
            else:
                due = task.due_at
            day = due.astimezone(SHANGHAI).date()
            if day > control.period_end:
                late.append(LateRenewal(task.id, task.unit_code, day, control.id, control.period_end))
    return late


def _terms(control: Control, settings: Settings) -> list[etree._Element]:
    """The renewed item's <Amount> (when the control has one) and <Period>, from the day after its end."""
    assert control.period_end is not None  # checked by _check_renewable
    start = control.period_end + timedelta(days=1)
    years = max_years(
        AssetClass(control.asset_class),
        fund_account_years=settings.fund_account_period_years,
        kind=control.kind,
        renewal=True,
    )
    terms = []
    if control.amount is not None and control.amount > 0:
        terms.append(E.Amount(f"{control.amount:.2f}", currency=control.currency or "CNY"))
    terms.append(E.Period(start=start.isoformat(), end=period_end(start, years).isoformat()))
    return terms


def _remarks(control: Control, request: Request) -> str:
    kind = label(Action(control.kind))
    return (
        f"本续行{kind}请求由系统起草。所附文书为原请求{request.request_no}的文书，"
        f"提交前请将裁定书替换为本次续行{kind}裁定书（续行裁定），并核对协助执行通知书。"
    ) + flexible_terms(control)


def flexible_terms(control: Control) -> str:
    """For a flexible control's renewal remarks: its custodian and permitted use, kept while renewed."""
    if not control.flexible_custodian:
        return ""
    flexible = "活扣" if control.kind == str(Action.SEIZE) else "活封"
    return (
        f"原措施为{flexible}：保管人{control.flexible_custodian}"
        f"，准许使用：{control.flexible_use or '未载明'}；续行期间维持原条件。"
    )
