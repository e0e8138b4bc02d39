"""The court-side 查控 service (点对点): a unit's own system polls its tasks and feeds back the results.

One call, one answer: `answer_call` checks the usermarker against the unit's directory entry (failures
lock like web sign-ins, per name and address), then lists the unit's pending tasks, hands out a
request's files or its officer's cards, or turns feedback into receipts through the one intake the
API uses (receipts/service.py), each request of a batch on its own. Every call is in the audit log.

A task is on its unit's list while it is served and not finally answered; listing it counts as the
unit's system having opened it (viewed_at). The same feedback again is the same receipt (its ReceiptNo
comes from its content), answered as a success.
"""

import contextlib
import dataclasses
import hashlib
import hmac
import logging
from datetime import datetime

from sqlalchemy import func, select
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
from hub.controls.states import ControlStatus
from hub.errors import HubError
from hub.models import Blob, Control, Receipt, Request, Task, Unit, User
from hub.requests.service import Submission, find_request
from hub.standard.codes import Outcome as ReceiptOutcome
from hub.standard.documents import AssistanceRequest, read_request
from hub.standard.write_receipt import ControlEntry, write_receipt
from hub.standard.xml import DocumentError, parse
from hub.tasks.service import CLOSED_STATES, mark_viewed
from receipts.service import submit_receipt

log = logging.getLogger("hub.ckw")
LISTED_STATES = ("served", "acknowledged")
OPERATION_WIDTH = 60  # of an operation's name as the audit log and an answer repeat it
REQUEST_NO_WIDTH = 61  # "<court code>/<RequestNo>": a longer one names no request, and is not repeated whole
MAX_BATCH = 500  # requests answered in one feedback call (the clients send one poll's worth)
MESSAGE_WIDTH = 200  # of an outcome's message in the audit log
CLOSED = "已经反馈, 不能再次反馈"  # the banks' clients read these very words as "already done" (docs/CKW.md)
LOCKED = "登录失败次数过多，已暂时锁定，请稍后再试"
MAX_MARKER = 8 * 1024  # characters of a usermarker decoded at most (a real one is a few hundred)
_DEMO_PASSWORD_WARNED: set[str] = set()


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
    """The answer (the string the client decodes) to one call of `caller`'s system. Flushes, never commits.

    A call is audited once its usermarker was judged: signed in, or a failed sign-in (those are bounded
    by the lock-out); a call without one, of no operation, or while locked is only answered."""
    profile, at = caller.profile, now()
    role = profile.roles.get(operation)
    if role is None:
        return profile.error_answer(operation, f"本服务没有操作 {operation[:OPERATION_WIDTH]}", at=at)
    if not arguments:
        return profile.error_answer(operation, "缺少用户标识（usermarker）", at=at)
    audit = {"operation": operation, "source": caller.source}
    failure = _sign_in(session, settings=settings, caller=caller, marker=arguments[0], at=at)
    if failure is LOCKED:
        return profile.error_answer(operation, LOCKED, at=at)
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
        task, why = _task_asked(session, caller=caller, candidates=_request_nos(profile, arguments[1]))
        if task is None:
            return _refused(session, caller, operation, why, audit)
        key = _key(session, task)
        if role is Role.CREDENTIALS:
            _audit(session, caller, {**audit, "tasks": [task.id]})
            return profile.credentials_answer(key, officer_cards(session, task.request, blobs), at=at)
        digests = [f.sha256 for f in task.request.files]
        size = session.execute(select(func.sum(Blob.size)).where(Blob.sha256.in_(digests))).scalar_one() or 0
        if size > settings.ckw_max_files_bytes:
            log.warning(
                "unit %s cannot fetch the %d bytes of files of task %d", caller.unit.code, size, task.id
            )
            why = f"文书共 {size // (1024 * 1024)} MB，超过平台经查控接口送达的上限，请与法院联系线下送达"
            return _refused(session, caller, operation, why, {**audit, "tasks": [task.id]})
        _audit(session, caller, {**audit, "tasks": [task.id]})
        files = [File(f.type, f.filename, blobs.read(f.sha256)) for f in task.request.files]
        return profile.documents_answer(key, files, at=at)
    try:
        batch = profile.feedback(role, arguments[1], at=at)
    except FormatError as exc:
        return _refused(session, caller, operation, f"反馈信息无法读取：{exc}", audit)
    if len(batch) > MAX_BATCH:
        why = f"一次反馈不得超过 {MAX_BATCH} 个请求（本次 {len(batch)} 个）"
        return _refused(session, caller, operation, why, audit)
    outcomes = [
        _feed(session, settings=settings, blobs=blobs, caller=caller, system=system, fed=fed) for fed in batch
    ]
    results = [
        {"request_no": o.request_no, "ok": o.ok, "message": o.message[:MESSAGE_WIDTH]} for o in outcomes
    ]
    _audit(session, caller, {**audit, "results": results})
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
        data={**data, "operation": data["operation"][:OPERATION_WIDTH]},
    )


def _sign_in(
    session: Session, *, settings: Settings, caller: Caller, marker: str, at: datetime
) -> str | None:
    """None when the usermarker names the unit's account, LOCKED, or why not (a failure, counted)."""
    name = f"ckw:{caller.unit.code}"
    if locked(session, settings=settings, username=name, source=caller.source, at=at):
        return LOCKED
    try:
        password = caller.channel.password()
    except Misconfigured as exc:
        if not settings.demo:
            log.error("unit %s cannot sign in to the 查控 service: %s", caller.unit.code, exc)
            return "平台未配置该单位的密码，请联系平台管理员"
        if caller.unit.code not in _DEMO_PASSWORD_WARNED:
            _DEMO_PASSWORD_WARNED.add(caller.unit.code)
            log.warning(
                "unit %s signs in to the 查控 service with the demo password (%s)", caller.unit.code, exc
            )
        password = DEMO_PASSWORD  # trying the hub out: the demo accounts' password (README)
    offered: list[tuple[str, str]] = []
    if len(marker) <= MAX_MARKER:  # a usermarker is a few hundred characters: nothing bigger is decoded
        with contextlib.suppress(FormatError):
            offered = caller.profile.credentials(marker)
    expected = _digest(caller.channel.username) + _digest(password)
    if any([hmac.compare_digest(_digest(u) + _digest(p), expected) for u, p in offered]):  # each compared
        signed_in_from(session, settings=settings, username=name, source=caller.source, at=at)
        return None
    count_failure(session, settings=settings, username=name, source=caller.source, at=at, account=None)
    return "用户名或密码错误"


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "replace")).digest()


def _request_nos(profile: Profile, argument: str) -> list[str]:
    try:
        return profile.request_nos(argument)
    except FormatError:
        return []


def _task_asked(session: Session, *, caller: Caller, candidates: list[str]) -> tuple[Task | None, str]:
    """The unit's task the first of `candidates` names (a key as `_key` gives them), or None and why not.

    A bare RequestNo that two courts' requests to the unit share names neither: the unit's system must use
    the "<court code>/<RequestNo>" the list gave it, and is told so."""
    for candidate in candidates:
        court, _, request_no = candidate.rpartition("/")
        query = (
            select(Task, Request.court_code)
            .join(Request, Request.id == Task.request_id)
            .where(
                Task.unit_code == caller.unit.code, Request.request_no == request_no, Task.status != "created"
            )
            .order_by(Task.id.desc())
        )
        if court:
            query = query.where(Request.court_code == court)
        found = session.execute(query).all()
        if len({court_code for _, court_code in found}) > 1:
            return None, f"请求单号 {request_no} 对应多个法院的请求，请使用列表中的单号（法院代码/请求单号）"
        if found:
            return found[0][0], ""
    return None, "没有该请求单号的待办事项"


def _key(session: Session, task: Task) -> str:
    """The request no. the unit's system knows the task's request by: its RequestNo, or "<court>/<RequestNo>"
    when another court's request to the same unit has the same RequestNo (RequestNo is unique per court)."""
    request = task.request
    shared = session.execute(
        select(Request.id)
        .join(Task, Task.request_id == Request.id)
        .where(
            Task.unit_code == task.unit_code,
            Request.request_no == request.request_no,
            Request.court_code != request.court_code,
        )
        .limit(1)
    ).first()
    return f"{request.court_code}/{request.request_no}" if shared else request.request_no


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
    pending, numbers = [], {}
    for task in tasks:
        request = task.request
        if request.submitted_by not in numbers:
            numbers[request.submitted_by] = card_numbers(session, request)
        document = dataclasses.replace(stored_request(blobs, request), request_no=_key(session, task))
        pending.append(
            Pending(
                task.id,
                document,
                originals=_originals(session, request),
                cards=dataclasses.replace(numbers[request.submitted_by], officer_name=request.officer_name),
                court_name=request.court.name,
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


def card_numbers(session: Session, request: Request) -> Cards:
    """The card numbers of the officer who submitted `request` (a list names them; images are for zjInfo)."""
    officer = session.get(User, request.submitted_by)
    credential = request.officer_credential_no or (officer.credential_no if officer else None)
    return Cards(request.officer_name, officer.work_card_no if officer else None, credential)


def officer_cards(session: Session, request: Request, blobs: BlobStore) -> Cards:
    """The cards of the officer who submitted `request`, images too, as his profile holds them."""
    profile = cards_of(session, blobs=blobs, user_id=request.submitted_by)

    def image(card: CardImage | None) -> tuple[bytes, str] | None:
        return (card.data, "png" if card.media_type == "image/png" else "jpg") if card else None

    return dataclasses.replace(
        card_numbers(session, request),
        work_card=image(profile.work_card),
        credential_card=image(profile.credential_card),
    )


def _feed(
    session: Session, *, settings: Settings, blobs: BlobStore, caller: Caller, system: Principal, fed: Fed
) -> Outcome:
    """One request's feedback applied on its own (a savepoint): its outcome for the answer."""
    if len(fed.request_no) > REQUEST_NO_WIDTH:
        return Outcome(fed.request_no[:REQUEST_NO_WIDTH], False, "请求单号过长，平台没有这样的请求")
    task, why = _task_asked(session, caller=caller, candidates=[fed.request_no])
    if task is None:
        return Outcome(fed.request_no, False, why)
    receipt_no = f"CK-{fed.digest[:32]}"
    if _latest_is(session, task, receipt_no):  # the same feedback again
        return Outcome(fed.request_no, True)
    if task.status == "cancelled":
        return Outcome(fed.request_no, False, "法院已撤回该请求")
    closed = task.status in CLOSED_STATES
    if closed and not caller.profile.withdraws:
        return Outcome(fed.request_no, False, CLOSED)
    document = stored_request(blobs, task.request)
    try:
        draft = fed.draft(
            _registered(document, _originals(session, task.request)), caller.unit.code, receipt_no
        )
        if draft.outcome is ReceiptOutcome.UNABLE:
            draft = dataclasses.replace(
                draft, controls=_withdrawn(session, task, draft.controls) if closed else ()
            )
        written = write_receipt(draft)
    except FormatError as exc:
        return Outcome(fed.request_no, False, f"反馈信息有误：{exc}")
    except _NothingNamed:
        return Outcome(fed.request_no, False, "该请求已反馈；撤销登记须指明不动产单元号或登记业务号")
    except ValueError as exc:  # a value the standard cannot hold (a period backwards, a sum past its digits)
        return Outcome(fed.request_no, False, f"反馈信息有误：{str(exc)[:MESSAGE_WIDTH]}")
    try:
        with session.begin_nested():
            submit_receipt(
                session,
                settings=settings,
                blobs=blobs,
                principal=system,
                task_id=task.id,
                submission=Submission(written, {}, written_by_hub=True),
            )
    except DocumentError as exc:  # the profile wrote what the standard refuses: the hub's fault
        log.error(
            "unit %s: feedback for %s made an invalid receipt: %s", caller.unit.code, fed.request_no, exc
        )
        return Outcome(fed.request_no, False, f"反馈信息无法转换：{exc.problems[0].message}")
    except HubError as exc:
        if _latest_is(session, task, receipt_no):  # the same feedback, at the same moment
            return Outcome(fed.request_no, True)
        return Outcome(fed.request_no, False, _said(exc))
    return Outcome(fed.request_no, True)


class _NothingNamed(Exception):
    """A late "not done" that names no control of the task."""


def _withdrawn(session: Session, task: Task, named: tuple[ControlEntry, ...]) -> tuple[ControlEntry, ...]:
    """The controls a late "not done" for a closed task withdraws: those it names by registration no., or by
    the asset of one of the task's controls in force; _NothingNamed when it names none."""
    in_force = {
        c.asset_id: c
        for c in session.execute(
            select(Control)
            .where(Control.task_id == task.id, Control.status == ControlStatus.ACTIVE)
            .order_by(Control.id)
        ).scalars()
    }
    controls = []
    for entry in named:
        if entry.registration_no is None and entry.asset_id in in_force:
            entry = dataclasses.replace(entry, registration_no=in_force[entry.asset_id].registration_no)
        if entry.registration_no is not None:
            controls.append(entry)
    if not controls:
        raise _NothingNamed
    return tuple(controls)


def _said(error: HubError) -> str:
    """Why the intake refused a feedback, in the words the unit's operator reads (the hub's own after it)."""
    said = {"task_closed": CLOSED, "invalid_document": "反馈内容不符合平台要求"}.get(
        error.code, "反馈未被接受"
    )
    return f"{said}（{error.message[:MESSAGE_WIDTH]}）" if said != CLOSED else said


def _latest_is(session: Session, task: Task, receipt_no: str) -> bool:
    """Whether the task's latest receipt is `receipt_no`: a feedback sent again after a later one is new."""
    latest = session.execute(
        select(Receipt.receipt_no).where(Receipt.task_id == task.id).order_by(Receipt.id.desc()).limit(1)
    ).scalar_one_or_none()
    return latest == receipt_no
