"""The court-side 查控 service (点对点): a unit's own system polls its tasks and feeds back the results.

One call, one answer: `answer_call` checks the usermarker against the unit's directory entry (failures
lock like web sign-ins, per name and address), then lists the unit's pending tasks, hands out a
request's files or its officer's cards, or turns feedback into receipts through the one intake the
API uses (receipts/service.py), each request of a batch on its own. Every call is in the audit log.

A task is on its unit's list while it is served and not finally answered; listing it counts as the
unit's system having opened it (viewed_at). The same feedback again is the same receipt (its ReceiptNo
comes from its content), answered as a success.
"""

import dataclasses
import hmac
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.base import Misconfigured
from adapters.ckw import CkwChannel, profile_for
from adapters.ckw.profile import Cards, Fed, File, FormatError, Original, Outcome, Pending, Profile, Role
from hub.audit import record
from hub.auth.cards import CardImage
from hub.auth.cards import officer_cards as cards_of
from hub.auth.lockout import count_failure, locked, signed_in_from
from hub.auth.seed import DEMO_PASSWORD
from hub.auth.service import Principal, principal, unit_system_user
from hub.blobs import BlobStore
from hub.clock import now
from hub.config import Settings
from hub.errors import HubError
from hub.models import Control, Receipt, Request, Task, Unit
from hub.requests.service import Submission, find_request
from hub.standard.codes import AssetClass
from hub.standard.codes import Outcome as ReceiptOutcome
from hub.standard.documents import AssistanceRequest, read_request
from hub.standard.write_receipt import ControlEntry, write_receipt
from hub.standard.xml import DocumentError, parse
from hub.tasks.service import CLOSED_STATES, mark_viewed
from receipts.service import submit_receipt

log = logging.getLogger("hub.ckw")
LISTED_STATES = ("served", "acknowledged")
OPERATION_WIDTH = 60  # of an operation's name as the audit log and an answer repeat it


class NotCkw(Exception):
    """The unit does not exist, is inactive, or is not reached through the 查控 service."""


@dataclasses.dataclass(frozen=True)
class Caller:
    unit: Unit
    channel: CkwChannel
    profile: Profile
    source: str  # the caller's address, for the lock-out


def ckw_caller(session: Session, *, unit_code: str, source: str) -> Caller:
    unit = session.get(Unit, unit_code)
    if unit is None or not unit.active:
        raise NotCkw(unit_code)
    for channel in [unit.channel, *unit.fallback]:
        if channel.get("kind") == "ckw":
            config = CkwChannel.model_validate(channel)
            return Caller(unit, config, profile_for(config), source)
    raise NotCkw(unit_code)


def answer_call(
    session: Session,
    *,
    settings: Settings,
    blobs: BlobStore,
    caller: Caller,
    operation: str,
    arguments: tuple[str, ...],
) -> str:
    """The answer (the string the client decodes) to one call of `caller`'s system. Flushes, never commits."""
    profile, at = caller.profile, now()
    role = profile.roles.get(operation)
    audit = {"operation": operation[:OPERATION_WIDTH], "source": caller.source}
    if role is None:
        return _refused(session, caller, operation, f"本服务没有操作 {operation[:OPERATION_WIDTH]}", audit)
    if not arguments:
        return _refused(session, caller, operation, "缺少用户标识（usermarker）", audit)
    failure = _sign_in(session, settings=settings, caller=caller, marker=arguments[0], at=at)
    if failure is not None:
        return _refused(session, caller, operation, failure, audit)
    try:
        system = principal(unit_system_user(session, unit_code=caller.unit.code, unit_name=caller.unit.name))
    except HubError:  # its system account was deactivated
        return _refused(session, caller, operation, "该单位的系统账号已停用，请联系平台管理员", audit)
    needed = 1 if role in (Role.CONTROL_LIST, Role.QUERY_LIST) else 2
    if len(arguments) < needed:
        return _refused(session, caller, operation, f"操作 {operation} 需要 {needed} 个参数", audit)
    if role in (Role.CONTROL_LIST, Role.QUERY_LIST):
        pending = _pending(session, blobs=blobs, caller=caller, role=role)
        for item in pending:
            mark_viewed(session, principal=system, task=session.get(Task, item.task_id), at=at)
        _audit(session, caller, {**audit, "tasks": [p.task_id for p in pending]})
        return profile.list_answer(role, pending, at=at)
    if role in (Role.DOCUMENTS, Role.CREDENTIALS):
        task = _task_asked(session, caller=caller, candidates=_request_nos(profile, arguments[1]))
        if task is None:
            return _refused(session, caller, operation, "没有该请求单号的待办事项", audit)
        _audit(session, caller, {**audit, "tasks": [task.id]})
        if role is Role.DOCUMENTS:
            files = [File(f.type, f.filename, blobs.read(f.sha256)) for f in task.request.files]
            return profile.documents_answer(task.request.request_no, files, at=at)
        return profile.credentials_answer(
            task.request.request_no, officer_cards(session, task.request, blobs), at=at
        )
    try:
        batch = profile.feedback(role, arguments[1], at=at)
    except FormatError as exc:
        return _refused(session, caller, operation, f"反馈信息无法读取：{exc}", audit)
    outcomes = [
        _feed(session, settings=settings, blobs=blobs, caller=caller, system=system, fed=fed) for fed in batch
    ]
    _audit(session, caller, {**audit, "results": [dataclasses.asdict(o) for o in outcomes]})
    return profile.feedback_answer(role, outcomes, at=at)


def _refused(session: Session, caller: Caller, operation: str, message: str, audit: dict) -> str:
    _audit(session, caller, {**audit, "refused": message})
    return caller.profile.error_answer(operation, message, at=now())


def _audit(session: Session, caller: Caller, data: dict) -> None:
    record(
        session,
        actor=f"ckw:{caller.unit.code}",
        kind="ckw.call",
        entity="unit",
        entity_id=caller.unit.code,
        data=data,
    )


def _sign_in(
    session: Session, *, settings: Settings, caller: Caller, marker: str, at: datetime
) -> str | None:
    """None when the usermarker names the unit's account, else why not (for the answer)."""
    name = f"ckw:{caller.unit.code}"
    if locked(session, settings=settings, username=name, source=caller.source, at=at):
        return "登录失败次数过多，已暂时锁定，请稍后再试"
    try:
        password = caller.channel.password()
    except Misconfigured as exc:
        if not settings.demo:
            log.error("unit %s cannot sign in to the 查控 service: %s", caller.unit.code, exc)
            return "平台未配置该单位的密码，请联系平台管理员"
        password = DEMO_PASSWORD  # trying the hub out: the demo accounts' password (README)
    try:
        offered = caller.profile.credentials(marker)
    except FormatError:
        offered = []
    if any(_same(u, caller.channel.username) and _same(p, password) for u, p in offered):
        signed_in_from(session, settings=settings, username=name, source=caller.source, at=at)
        return None
    count_failure(session, settings=settings, username=name, source=caller.source, at=at, account=None)
    return "用户名或密码错误"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8"))


def _request_nos(profile: Profile, argument: str) -> list[str]:
    try:
        return profile.request_nos(argument)
    except FormatError:
        return []


def _task_asked(session: Session, *, caller: Caller, candidates: list[str]) -> Task | None:
    """The unit's task for the first of `candidates` that names one (the latest, if two courts used it)."""
    for request_no in candidates:
        task = session.execute(
            select(Task)
            .join(Request, Request.id == Task.request_id)
            .where(
                Task.unit_code == caller.unit.code, Request.request_no == request_no, Task.status != "created"
            )
            .order_by(Task.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if task is not None:
            return task
    return None


def stored_request(blobs: BlobStore, request: Request) -> AssistanceRequest:
    """The request as the court sent it (it passed the size limit of its day: read it whatever today's)."""
    data = blobs.read(request.document_sha256)
    return read_request(parse(data, max_bytes=len(data)))


def _pending(session: Session, *, blobs: BlobStore, caller: Caller, role: Role) -> list[Pending]:
    actions = [str(a) for a in caller.profile.actions[role]]
    tasks = session.execute(
        select(Task)
        .join(Request, Request.id == Task.request_id)
        .where(
            Task.unit_code == caller.unit.code, Task.status.in_(LISTED_STATES), Request.action.in_(actions)
        )
        .order_by(Task.id)
    ).scalars()
    pending = []
    for task in tasks:
        document = stored_request(blobs, task.request)
        pending.append(
            Pending(
                task.id,
                document,
                originals=_originals(session, task.request),
                cards=officer_cards(session, task.request, blobs),
                court_name=task.request.court.name,
            )
        )
    return pending


def _originals(session: Session, request: Request) -> dict[str, Original]:
    """The controls `request`'s RENEW or RELEASE items continue, as the hub matched them on submission."""
    originals = {}
    for item in request.items:
        if item.original_request_no is None:
            continue
        control = session.get(Control, item.original_control_id) if item.original_control_id else None
        first = (
            session.get(Request, control.request_id)
            if control is not None
            else find_request(session, court_code=request.court_code, request_no=item.original_request_no)
        )
        originals[item.original_request_no] = Original(
            item.original_request_no,
            first.case_no if first is not None else "",
            item.original_registration_no or (control.registration_no if control is not None else None),
        )
    return originals


def _registered(document: AssistanceRequest, originals: dict[str, Original]) -> AssistanceRequest:
    """`document` with each RENEW or RELEASE item naming its control's registration no. where the court
    left it out and the hub knows it (the unit's feedback names controls by it)."""
    items = []
    for item in document.items:
        known = originals.get(item.original.request_no) if item.original else None
        if item.original and item.original.registration_no is None and known and known.registration_no:
            item = dataclasses.replace(
                item, original=dataclasses.replace(item.original, registration_no=known.registration_no)
            )
        items.append(item)
    return dataclasses.replace(document, items=items)


def officer_cards(session: Session, request: Request, blobs: BlobStore) -> Cards:
    """The cards of the officer who submitted `request`, as his profile holds them (hub/auth/cards.py)."""
    profile = cards_of(session, blobs=blobs, user_id=request.submitted_by)

    def image(card: CardImage | None) -> tuple[bytes, str] | None:
        return (card.data, "png" if card.media_type == "image/png" else "jpg") if card else None

    return Cards(
        officer_name=request.officer_name,
        work_card_no=profile.work_card_no,
        credential_no=request.officer_credential_no or profile.credential_no,
        work_card=image(profile.work_card),
        credential_card=image(profile.credential_card),
    )


def _feed(
    session: Session, *, settings: Settings, blobs: BlobStore, caller: Caller, system: Principal, fed: Fed
) -> Outcome:
    """One request's feedback applied on its own (a savepoint): its outcome for the answer."""
    task = _task_asked(session, caller=caller, candidates=[fed.request_no])
    if task is None:
        return Outcome(fed.request_no, False, "没有该请求单号的待办事项")
    receipt_no = f"CK-{fed.digest[:32]}"
    if _received(session, caller, task, receipt_no):
        return Outcome(fed.request_no, True)
    if task.status == "cancelled":
        return Outcome(fed.request_no, False, "法院已撤回该请求")
    document = stored_request(blobs, task.request)
    try:
        draft = fed.draft(
            _registered(document, _originals(session, task.request)), caller.unit.code, receipt_no
        )
    except FormatError as exc:
        return Outcome(fed.request_no, False, f"反馈信息有误：{exc}")
    if task.status in CLOSED_STATES and draft.outcome is ReceiptOutcome.UNABLE and not draft.controls:
        # a registration withdrawn after it was reported: it names no number, so it is the task's controls
        draft = dataclasses.replace(draft, controls=tuple(_in_force(session, task)))
    try:
        with session.begin_nested():
            submit_receipt(
                session,
                settings=settings,
                blobs=blobs,
                principal=system,
                task_id=task.id,
                submission=Submission(write_receipt(draft), {}, written_by_hub=True),
            )
    except DocumentError as exc:  # the profile wrote what the standard refuses: the hub's fault
        log.error(
            "unit %s: feedback for %s made an invalid receipt: %s", caller.unit.code, fed.request_no, exc
        )
        return Outcome(fed.request_no, False, f"反馈信息无法转换：{exc.problems[0].message}")
    except HubError as exc:
        if _received(session, caller, task, receipt_no):  # the same feedback, at the same moment
            return Outcome(fed.request_no, True)
        return Outcome(fed.request_no, False, str(exc))
    return Outcome(fed.request_no, True)


def _received(session: Session, caller: Caller, task: Task, receipt_no: str) -> bool:
    query = select(Receipt.id).where(
        Receipt.unit_code == caller.unit.code, Receipt.task_id == task.id, Receipt.receipt_no == receipt_no
    )
    return session.execute(query).first() is not None


def _in_force(session: Session, task: Task) -> list[ControlEntry]:
    controls = session.execute(
        select(Control).where(Control.task_id == task.id, Control.status == "ACTIVE").order_by(Control.id)
    ).scalars()
    return [
        ControlEntry(AssetClass(c.asset_class), c.asset_id, registration_no=c.registration_no)
        for c in controls
    ]
