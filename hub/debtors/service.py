"""Finding a debtor by ID number or name, and his file: requests, what units found, controls. Court-scoped."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.controls.service import CURRENT, scope_controls
from hub.models import Control, FoundAsset, Request, Task, Unit
from hub.standard.codes import Action
from hub.tasks.service import scope_requests

MAX_SCANNED = 500


@dataclass
class DebtorHit:
    """One subject found by a search: his ID number, the names the requests gave, and how often asked."""

    id_number: str
    id_type: str
    kind: str
    names: list[str] = field(default_factory=list)
    requests: int = 0
    last_issued_at: datetime | None = None


@dataclass
class UnitAnswer:
    """One unit's answer to a query about the debtor, with the property it reported."""

    unit_code: str
    unit_name: str
    task: Task
    request: Request
    assets: list[FoundAsset]


@dataclass
class DebtorFile:
    id_number: str
    id_type: str
    kind: str
    names: list[str]
    requests: list[Request]
    answers: list[UnitAnswer]
    controls: list[Control]
    unit_names: dict[str, str]


def normalized_id(id_number: str) -> str:
    """ID numbers are stored upper-case (a resident ID's check 'x' as 'X')."""
    return id_number.strip().upper()


def find_debtors(session: Session, *, principal: Principal, text: str, limit: int = 50) -> list[DebtorHit]:
    """Subjects of the caller's requests whose ID number is `text` or whose name contains it, latest first."""
    text = text.strip()
    if not text:
        return []
    query = scope_requests(
        select(Request).where(
            or_(
                Request.subject_id_number == normalized_id(text),
                Request.subject_name.contains(text, autoescape=True),
            )
        ),
        principal,
    )
    hits: dict[str, DebtorHit] = {}
    for request in session.execute(query.order_by(Request.issued_at.desc()).limit(MAX_SCANNED)).scalars():
        hit = hits.get(request.subject_id_number)
        if hit is None:
            hit = hits[request.subject_id_number] = DebtorHit(
                request.subject_id_number, request.subject_id_type, request.subject_kind
            )
            hit.last_issued_at = request.issued_at
        if request.subject_name not in hit.names:
            hit.names.append(request.subject_name)
        hit.requests += 1
    return list(hits.values())[:limit]


def debtor_file(session: Session, *, principal: Principal, id_number: str) -> DebtorFile | None:
    """Everything the caller's court asked and learned about the subject `id_number`; None if nothing."""
    number = normalized_id(id_number)
    requests = list(
        session.execute(
            scope_requests(select(Request).where(Request.subject_id_number == number), principal).order_by(
                Request.issued_at.desc(), Request.id.desc()
            )
        ).scalars()
    )
    if not requests:
        return None
    by_id = {r.id: r for r in requests}
    queries = [r.id for r in requests if r.action == str(Action.QUERY)]
    tasks = list(
        session.execute(
            select(Task).where(Task.request_id.in_(queries)).order_by(Task.unit_code, Task.id)
        ).scalars()
    )
    assets: dict[int, list[FoundAsset]] = defaultdict(list)
    for asset in session.execute(
        select(FoundAsset).where(FoundAsset.task_id.in_([t.id for t in tasks])).order_by(FoundAsset.id)
    ).scalars():
        assets[asset.task_id].append(asset)
    controls = list(
        session.execute(
            scope_controls(
                select(Control).where(Control.request_id.in_(by_id), CURRENT),
                principal,
            ).order_by(Control.period_end, Control.id)
        ).scalars()
    )
    codes = {t.unit_code for t in tasks} | {c.unit_code for c in controls}
    names = dict(session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all())
    answers = [
        UnitAnswer(t.unit_code, names.get(t.unit_code, t.unit_code), t, by_id[t.request_id], assets[t.id])
        for t in tasks
    ]
    answers.sort(key=lambda a: (a.unit_name, -a.request.id))
    latest = requests[0]
    return DebtorFile(
        id_number=number,
        id_type=latest.subject_id_type,
        kind=latest.subject_kind,
        names=list(dict.fromkeys(r.subject_name for r in requests)),
        requests=requests,
        answers=answers,
        controls=controls,
        unit_names=names,
    )
