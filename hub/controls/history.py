"""The history of one control: everything that happened to its renewal chain, oldest first.

The control's page (its timeline) and GET /api/v1/controls/{id}/history read `control_history`. The
entries come from the audit chain, never from a second log: each `control.<event>` event of a control of
the chain (states.py records one for every change), and the `request.received` event of each request
that made a control of the chain or acts on one (RENEW, RELEASE, DEDUCT items name it in <Original>).
Each entry is said in words a user reads (Chinese), with the codes beside them for the API.

Scoped like every control: a court sees its own, a unit its own, an administrator all. A unit sees only
the requests it was asked to act on (a request would show which other units were asked).
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.controls.derived import chain_head, renewal_chain, renewals_of
from hub.controls.service import scope_controls, visible_control
from hub.controls.states import EVENT_LABELS, LABELS, ControlEvent, ControlStatus
from hub.models import AuditEvent, Control, Court, Item, Request, Task, Unit, User
from hub.standard.labels import STATUS_NAMES, label_of
from hub.standard.notice import chinese_date, chinese_money

CONTROL_KIND = "control."
ROLE_WORDS = {"admin": "系统管理员"}


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened: `kind` is the audit kind (`control.renewed`, `request.received`)."""

    at: datetime
    seq: int  # the audit event's place in the chain: the order of entries of the same instant
    kind: str
    what: str  # in words: 登记生效, 发出解除请求
    control_id: int  # the control of the chain it happened to
    actor: str  # as the audit chain records it: user:<name>, hub, ckw:<unit>, cli
    who: str  # the actor in words: 刘敏（安图县不动产登记中心）
    status_from: str | None = None
    status_to: str | None = None
    receipt_no: str | None = None
    request_id: int | None = None  # the request the entry is about, or whose task the receipt answered
    request_no: str | None = None
    details: list[str] = field(default_factory=list)  # what a user needs to know, in words
    data: dict[str, Any] = field(default_factory=dict)  # the audit event's data as recorded


@dataclass(frozen=True)
class History:
    control: Control
    chain: list[Control]  # the renewal chain the caller may see, first control first
    current: Control  # the control carrying the chain on today (chain_head)
    entries: list[HistoryEntry]


def control_history(session: Session, *, principal: Principal, control_id: int) -> History:
    """The history of control `control_id` and its renewal chain, oldest first; NotFound when `principal`
    may not see the control. Reads only."""
    control = visible_control(session, principal=principal, control_id=control_id)
    chain = whole_chain(session, control=control)
    visible = set(
        session.execute(
            scope_controls(select(Control.id).where(Control.id.in_([c.id for c in chain])), principal)
        ).scalars()
    )
    chain = [c for c in chain if c.id in visible]
    names = _Names(session)
    entries = _control_entries(session, chain, names) + _request_entries(session, principal, chain, names)
    entries.sort(key=lambda e: (e.at, e.seq))
    return History(control, chain, chain_head(session, control=control), entries)


def whole_chain(session: Session, *, control: Control) -> list[Control]:
    """`control`'s renewal chain, first control first: the first control of its chain (renewal_chain),
    then every control that renews it or one of its renewals (a renewal withdrawn and asked again renews
    the same control), oldest first (derived.renewals_of)."""
    first = renewal_chain(session, control=control)[-1]
    return [first, *renewals_of(session, control=first)]


class _Names:
    """Who an audit actor is, in words, with each user, unit and court read once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.users: dict[str, User | None] = {}
        self.units: dict[str, str] = {}
        self.courts: dict[str, str] = {}

    def unit(self, code: str) -> str:
        if code not in self.units:
            self.units[code] = (
                self.session.execute(select(Unit.name).where(Unit.code == code)).scalar() or code
            )
        return self.units[code]

    def court(self, code: str) -> str:
        if code not in self.courts:
            name = self.session.execute(select(Court.name).where(Court.code == code)).scalar()
            self.courts[code] = name or code
        return self.courts[code]

    def user(self, user: User | None, fallback: str) -> str:
        if user is None:
            return fallback
        where = (
            self.unit(user.unit_code)
            if user.unit_code
            else self.court(user.court_code)
            if user.court_code
            else ROLE_WORDS.get(user.role, "")
        )
        return (
            f"{user.display_name}（{where}）"
            if where and where not in user.display_name
            else user.display_name
        )

    def actor(self, actor: str) -> str:
        """user:<name> as the person and their unit or court; the hub's own work and the 查控 interface."""
        if actor == "hub":
            return "平台（自动处理）"
        if actor == "cli":
            return "平台管理员（命令行）"
        kind, _, name = actor.partition(":")
        if kind == "ckw" and name:
            return f"{self.unit(name)}（查控接口）"
        if kind == "user" and name:
            if name not in self.users:
                self.users[name] = self.session.execute(
                    select(User).where(User.username == name)
                ).scalar_one_or_none()
            return self.user(self.users[name], name)
        return actor


def _status(code: str | None) -> str:
    try:
        return LABELS[ControlStatus(code)]
    except ValueError:
        return code or "—"


def _money(value: object, currency: str | None) -> str:
    try:
        return chinese_money(Decimal(str(value)), currency or "CNY")
    except InvalidOperation:
        return str(value)


def _period(start: date | None, end: date | None) -> str | None:
    if start is None and end is None:
        return None
    return f"期限 {chinese_date(start) if start else '—'}至{chinese_date(end) if end else '—'}"


def _what(kind: str) -> str:
    try:
        return EVENT_LABELS[ControlEvent(kind.removeprefix(CONTROL_KIND))]
    except (ValueError, KeyError):
        return kind


def _control_entries(session: Session, chain: list[Control], names: _Names) -> list[HistoryEntry]:
    by_id = {str(c.id): c for c in chain}
    events = list(
        session.execute(
            select(AuditEvent)
            .where(
                AuditEvent.entity == "control",
                AuditEvent.entity_id.in_(list(by_id)),
                AuditEvent.kind.startswith(CONTROL_KIND),
            )
            .order_by(AuditEvent.seq)
        ).scalars()
    )
    recorded = [(event, json.loads(event.data)) for event in events]
    tasks = {d["task"] for _, d in recorded if isinstance(d.get("task"), int)}
    requests = {
        task_id: (request_id, request_no)
        for task_id, request_id, request_no in session.execute(
            select(Task.id, Request.id, Request.request_no)
            .join(Request, Request.id == Task.request_id)
            .where(Task.id.in_(tasks))
        )
    }
    registered_amount = _registered_amounts(recorded)
    entries = []
    for event, data in recorded:
        control = by_id[event.entity_id]
        request_id, request_no = requests.get(data.get("task"), (None, None))
        entries.append(
            HistoryEntry(
                at=event.at,
                seq=event.seq,
                kind=event.kind,
                what=_what(event.kind),
                control_id=control.id,
                actor=event.actor,
                who=names.actor(event.actor),
                status_from=data.get("from"),
                status_to=data.get("to"),
                receipt_no=data.get("receipt_no"),
                request_id=request_id,
                request_no=request_no,
                details=_details(
                    control, event.kind, data, registered_amount.get(control.id, control.amount)
                ),
                data=data,
            )
        )
    return entries


def _registered_amounts(recorded: list[tuple[AuditEvent, dict]]) -> dict[int, Decimal | None]:
    """The amount each control was registered with, where an event has changed it since (the control
    holds today's): what its first partial deduction took and left; None, unknown, when a partial
    disposal changed it first (its event says what remains, not what was)."""
    amounts: dict[int, Decimal | None] = {}
    for event, data in recorded:
        control_id, what = int(event.entity_id), event.kind.removeprefix(CONTROL_KIND)
        if control_id in amounts:
            continue
        if what == ControlEvent.PART_DEDUCTED:
            try:
                amounts[control_id] = Decimal(str(data["deducted"])) + Decimal(str(data["left"]))
            except (KeyError, InvalidOperation):
                amounts[control_id] = None
        elif what == ControlEvent.PART_DISPOSED and data.get("remaining") is not None:
            amounts[control_id] = None
    return amounts


def _details(control: Control, kind: str, data: dict, registered: Decimal | None) -> list[str]:
    """The entry's facts in words; `registered` is the amount the control was registered with."""
    event = kind.removeprefix(CONTROL_KIND)
    lines = []
    if data.get("to") is not None:
        was = f"{_status(data['from'])} → " if data.get("from") is not None else ""
        lines.append(f"状态 {was}{_status(data['to'])}")
    if data.get("registration_no"):
        lines.append(f"登记号 {data['registration_no']}")
    if data.get("receipt_no"):
        lines.append(f"回执 {data['receipt_no']}")
    # a period changes only when a waiting control takes effect: the registration shows the control's
    # period unless it was promoted since, the promotion the period it runs now
    registration = event in (ControlEvent.REGISTERED, ControlEvent.WAITLISTED, ControlEvent.IMPORTED)
    shows_period = (registration and control.promoted_at is None) or event == ControlEvent.PROMOTED
    if shows_period and (period := _period(control.period_start, control.period_end)) is not None:
        lines.append(period)
    if registration and registered is not None:
        lines.append(f"金额 {_money(registered, control.currency)}")
    if data.get("deducted") is not None:
        lines.append(f"扣划 {_money(data['deducted'], control.currency)}")
    if data.get("left") is not None:
        lines.append(f"尚冻结 {_money(data['left'], control.currency)}")
    if data.get("disposed"):
        lines.append(f"已处置：{data['disposed']}")
    if data.get("remaining") is not None:
        lines.append(f"轮候及于 {_money(data['remaining'], control.currency)}")
    if data.get("period_end"):
        lines.append(f"届满日 {chinese_date(data['period_end'])}")
    if data.get("queue_position") is not None:
        lines.append(f"轮候第 {data['queue_position']} 位")
    if data.get("renewal") is not None:
        lines.append(f"由续行措施 {data['renewal']} 接续")
    if data.get("original") is not None:
        lines.append(f"原措施 {data['original']}")
    if data.get("kind_before") and data.get("registration_no_before") not in (
        None,
        data.get("registration_no"),
    ):
        lines.append(f"预查封登记号 {data['registration_no_before']}")
    if data.get("reported"):
        lines.append(f"单位说明：{data['reported']}")
    if data.get("transfer_registration_no"):
        lines.append(
            f"过户请求 {data.get('transfer_request')}，转移登记号 {data['transfer_registration_no']}"
        )
    return lines


def _request_entries(
    session: Session, principal: Principal, chain: list[Control], names: _Names
) -> list[HistoryEntry]:
    """The requests that made a control of the chain or act on one, each at its receipt by the hub."""
    ids = [c.id for c in chain]
    about: dict[int, int] = {}  # request id -> the control of the chain it acts on, else the one it made
    for request_id, control_id in session.execute(
        select(Item.request_id, Item.original_control_id)
        .where(Item.original_control_id.in_(ids))
        .order_by(Item.request_id, Item.position)
    ):
        about.setdefault(request_id, control_id)
    for control in chain:
        about.setdefault(control.request_id, control.id)
    query = select(Request).where(Request.id.in_(list(about)))
    if principal.is_unit:  # a unit reads the requests it was asked to act on, no others
        query = query.where(
            Request.id.in_(select(Task.request_id).where(Task.unit_code == principal.unit_code))
        )
    elif principal.is_court:
        query = query.where(Request.court_code == principal.court_code)
    requests = list(session.execute(query.order_by(Request.id)).scalars())
    received = {
        int(event.entity_id): event
        for event in session.execute(
            select(AuditEvent).where(
                AuditEvent.entity == "request",
                AuditEvent.kind == "request.received",
                AuditEvent.entity_id.in_([str(r.id) for r in requests]),
            )
        ).scalars()
    }
    users = {
        u.id: u
        for u in session.execute(
            select(User).where(User.id.in_({r.submitted_by for r in requests}))
        ).scalars()
    }
    entries = []
    for request in requests:
        event, submitter = received.get(request.id), users.get(request.submitted_by)
        action = label_of("Action", request.action)
        entries.append(
            HistoryEntry(
                at=event.at if event is not None else request.received_at,
                seq=event.seq if event is not None else 0,
                kind="request.received",
                what=f"补录{action}措施的记录" if request.origin == "imported" else f"发出{action}请求",
                control_id=about[request.id],
                actor=event.actor if event is not None else f"user:{submitter.username}" if submitter else "",
                who=names.user(submitter, request.officer_name),
                request_id=request.id,
                request_no=request.request_no,
                details=[
                    f"案号 {request.case_no}",
                    f"请求状态 {STATUS_NAMES.get(request.status, request.status)}",
                ],
                data={"action": request.action, "status": request.status},
            )
        )
    return entries
