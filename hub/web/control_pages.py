"""The officer's controls (days left, renew, release, each control's page with its history) and
everything found about one debtor.

Officers and supervisors of the court read these pages; only officers renew and release (the request
is theirs to submit); unit staff and administrators get 403, another court's control a 404 page.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from hub.auth.service import Principal
from hub.blobs import sha256_hex
from hub.clock import now, today_shanghai
from hub.context import Hub
from hub.controls.drafts import (
    DocumentRef,
    document_name,
    release_draft,
    release_remarks,
    renewal_remarks,
    with_documents,
)
from hub.controls.history import control_history
from hub.controls.import_records import stand_in_digests
from hub.controls.renewal import renewal_draft
from hub.controls.service import control_labels, control_units, list_controls, visible_control
from hub.controls.states import ControlStatus
from hub.debtors.service import debtor_file, find_debtors
from hub.deps import HubDep, SessionDep
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.models import Control
from hub.params import page_number
from hub.requests.service import Submission, submit_request
from hub.standard.documents import AssistanceRequest
from hub.standard.rules import inspect
from hub.standard.xml import DocumentError, Problem
from hub.web.deps import FormDep, WebUserDep
from hub.web.session import SignedIn
from hub.web.templating import page

router = APIRouter(include_in_schema=False)

STATUSES = tuple(ControlStatus)
PAGE_SIZE = 100


@dataclass(frozen=True)
class ControlRow:
    control: Control
    days_left: int | None
    unit_name: str
    request_no: str


@dataclass(frozen=True)
class Upload:
    """A file field of a draft's form: which document type it fills, and whether the officer must send it."""

    field: str
    type: str
    fallback: str
    required: bool
    what: str


@dataclass(frozen=True)
class DraftKind:
    """A request the officer finishes from a control: how it is drafted, the files it wants, and its name
    (the pages are /controls/{id}/<name> and the template controls/<name>.html)."""

    name: str
    verb: str  # how the pages say it: 续行, 解除
    uploads: tuple[Upload, ...]
    draft: Callable[..., bytes]
    remarks: Callable[[Session, Control], str]


RENEW = DraftKind(
    "renew",
    "续行",
    (
        Upload("ruling", "RULING", "续行裁定书.pdf", True, "续行裁定书"),
        Upload("notice", "NOTICE", "协助执行通知书.pdf", False, "协助执行通知书"),
    ),
    renewal_draft,
    lambda _, control: renewal_remarks(control),
)
RELEASE = DraftKind(
    "release",
    "解除",
    (
        Upload("ruling", "RULING", "解除裁定书.pdf", True, "解除裁定书"),
        Upload("notice", "NOTICE", "协助执行通知书.pdf", True, "协助执行通知书"),
    ),
    release_draft,
    lambda session, control: release_remarks(session, control=control),
)


def _court(user: SignedIn) -> Principal:
    if not user.principal.is_court:
        raise Forbidden("控制措施和被执行人页面仅供本院执行法官和督办人使用。")
    return user.principal


def _officer(user: SignedIn) -> Principal:
    principal = _court(user)
    if principal.role != "officer":
        raise Forbidden("只有执行法官可以提交续行或解除请求；督办人可以查看控制措施列表。")
    return principal


def _not_ours(control_id: int) -> NotFound:
    return NotFound(f"没有编号为 {control_id} 的控制措施，或该措施不属于本院。")


def _control(session: Session, principal: Principal, control_id: int) -> Control:
    try:
        return visible_control(session, principal=principal, control_id=control_id)
    except NotFound:
        raise _not_ours(control_id) from None


def _number(text: str) -> int | None:
    """A whole number typed in a filter (at most 5 digits), or None."""
    return int(text.strip()) if re.fullmatch(r"[0-9]{1,5}", text.strip()) else None


def days_left(control: Control, today: date) -> int | None:
    """Days until an ACTIVE control's end date (0 on the last day); None when it is not running."""
    if control.status != ControlStatus.ACTIVE or control.period_end is None:
        return None
    return (control.period_end - today).days


def _rows(session: Session, controls: list[Control], today: date) -> list[ControlRow]:
    units, numbers = control_labels(session, controls=controls)
    return [
        ControlRow(c, days_left(c, today), units.get(c.unit_code, c.unit_code), numbers.get(c.request_id, ""))
        for c in controls
    ]


@router.get("/controls", response_class=HTMLResponse)
def controls_page(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    status: str = "",
    unit: str = "",
    within: str = "",
    page_no: Annotated[str, Query(alias="page")] = "1",
) -> Response:
    principal = _court(user)
    today = today_shanghai()
    status = status.upper() if status.upper() in STATUSES else ""
    days = _number(within)
    number = page_number(page_no)
    controls, total = list_controls(
        session,
        principal=principal,
        status=status or None,
        unit_code=unit or None,
        expiring_before=today + timedelta(days=days + 1) if days is not None else None,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    return page(
        request,
        "controls/list.html",
        rows=_rows(session, controls, today),
        total=total,
        units=control_units(session, principal=principal),
        statuses=STATUSES,
        chosen={"status": status, "unit": unit, "within": "" if days is None else str(days)},
        page_no=number,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        today=today,
        is_officer=principal.role == "officer",
    )


@router.get("/controls/{control_id}", response_class=HTMLResponse)
def control_page(
    control_id: int, request: Request, user: WebUserDep, session: SessionDep, hub: HubDep
) -> Response:
    """One control: its terms, its renewal chain, what the officer can do with it today, and its history."""
    principal = _court(user)
    try:
        history = control_history(session, principal=principal, control_id=control_id)
    except NotFound:
        raise _not_ours(control_id) from None
    today = today_shanghai()
    is_officer = principal.role == "officer"
    units, numbers = control_labels(session, controls=history.chain)
    return page(
        request,
        "controls/control.html",
        history=history,
        unit_name=units.get(history.control.unit_code, history.control.unit_code),
        request_nos=numbers,
        days=days_left(history.control, today),
        actions=_actions(session, hub, history.control) if is_officer else [],
        is_officer=is_officer,
    )


def _actions(session: Session, hub: Hub, control: Control) -> list[tuple[DraftKind, str | None]]:
    """Each request the officer can draft from `control` (renew, release) with why not today, None when
    it can: drafted as its page drafts it, so the page offers exactly what the draft page accepts."""
    at, actions = now(), []
    for kind in (RENEW, RELEASE):
        try:
            kind.draft(session, control=control, settings=hub.settings, at=at)
        except Conflict as exc:
            actions.append((kind, exc.message))
        else:
            actions.append((kind, None))
    return actions


def _draft_page(
    request: Request,
    session: Session,
    kind: DraftKind,
    *,
    control: Control,
    status_code: int = 200,
    **context,
) -> Response:
    [row] = _rows(session, [control], today_shanghai())
    return page(request, f"controls/{kind.name}.html", status_code=status_code, row=row, **context)


def _summary(draft: bytes) -> AssistanceRequest:
    request = inspect(draft, expect="request").request
    assert request is not None
    return request


def _draft_routes(kind: DraftKind) -> None:
    """GET shows `kind`'s draft of the control, to finish with the officer's files; POST submits it."""
    path = f"/controls/{{control_id}}/{kind.name}"

    @router.get(path, response_class=HTMLResponse, name=f"{kind.name}_form")
    def form_page(
        control_id: int, request: Request, user: WebUserDep, session: SessionDep, hub: HubDep
    ) -> Response:
        return _drafted(request, user, session, hub, kind, control_id)

    @router.post(path, response_class=HTMLResponse, name=kind.name)
    def submit(
        control_id: int,
        request: Request,
        user: WebUserDep,
        session: SessionDep,
        hub: HubDep,
        form: FormDep,
        background: BackgroundTasks,
    ) -> Response:
        return _drafted(request, user, session, hub, kind, control_id, posted=(form, background))


_draft_routes(RENEW)
_draft_routes(RELEASE)


def _uploaded(form: FormData, name: str) -> UploadFile | None:
    part = form.get(name)
    if not isinstance(part, UploadFile) or (not part.filename and not part.size):
        return None
    return part


def _files(form: FormData, uploads: tuple[Upload, ...], *, kept: dict[str, str], limit: int):
    """The uploaded files as DocumentRefs and bytes by file name, and what is wrong with them.

    `kept` maps the draft's file names to their types: a name kept in the draft is not given twice.
    """
    chosen = [(u, _uploaded(form, u.field)) for u in uploads]
    replaced = {u.type for u, part in chosen if part is not None}
    taken = {name for name, type_ in kept.items() if type_ not in replaced}
    refs, files, problems = [], {}, []
    for upload, part in chosen:
        if part is None:
            if upload.required:
                problems.append(Problem(None, upload.field, f"请上传{upload.what}。"))
            continue
        data = part.file.read(limit + 1)
        if not data:
            problems.append(Problem(None, upload.field, f"上传的{upload.what}是空文件。"))
        elif len(data) > limit:
            problems.append(Problem(None, upload.field, f"{upload.what}超过 {limit // 1048576} MB 的上限。"))
        else:
            name = document_name(part.filename, taken=taken, fallback=upload.fallback)
            taken.add(name)
            refs.append(DocumentRef(upload.type, name, sha256_hex(data)))
            files[name] = data
    return refs, files, problems


def _drafted(
    request: Request,
    user: SignedIn,
    session: Session,
    hub: Hub,
    kind: DraftKind,
    control_id: int,
    *,
    posted: tuple[FormData, BackgroundTasks] | None = None,
) -> Response:
    """The control drafted again: its page, or with the `posted` form's files and remarks put in, submitted
    (303 to the new request, or the page with the problems)."""
    control = _control(session, _officer(user), control_id)
    try:
        draft = kind.draft(session, control=control, settings=hub.settings, at=now())
    except Conflict as exc:
        return _draft_page(request, session, kind, control=control, status_code=409, refusal=exc.message)
    summary = _summary(draft)
    # an imported control's draft lists the import's records: the officer uploads the documents themselves
    stand_ins = stand_in_digests(session, digests=[d.sha256 for d in summary.documents])
    replaced = {d.type for d in summary.documents if d.sha256 in stand_ins}
    if posted is None:
        return _draft_page(
            request,
            session,
            kind,
            control=control,
            draft=summary,
            remarks=kind.remarks(session, control),
            replaced=replaced,
        )
    form, background = posted
    given = form.get("remarks")
    remarks = given if isinstance(given, str) else ""
    refs, files, problems = _files(
        form,
        tuple(replace(u, required=True) if u.type in replaced else u for u in kind.uploads),
        kept={d.filename: d.type for d in summary.documents},
        limit=hub.settings.max_file_bytes,
    )
    if not problems:
        try:
            document = with_documents(draft, refs, remarks=remarks)
            submitted, created = submit_request(
                session,
                settings=hub.settings,
                blobs=hub.blobs,
                principal=user.principal,
                submission=Submission(document, files, written_by_hub=True),
            )
        except ValueError:
            problems.append(Problem(None, "remarks", "备注中含有文书无法保存的字符，请删去后重新提交。"))
        except DocumentError as exc:
            problems += exc.problems
        except (Invalid, Conflict) as exc:
            problems += exc.details or [Problem(None, "/", exc.message)]
        else:
            if created and any(t.status == "created" for t in submitted.tasks):
                background.add_task(hub.wake)  # after the commit: the worker serves the queued task now
            return RedirectResponse(f"/requests/{submitted.id}", status_code=303)
    return _draft_page(
        request,
        session,
        kind,
        control=control,
        status_code=422,
        draft=summary,
        remarks=remarks,
        problems=problems,
        replaced=replaced,
    )


@router.get("/debtors", response_class=HTMLResponse)
def debtors_page(request: Request, user: WebUserDep, session: SessionDep, q: str = "") -> Response:
    hits = find_debtors(session, principal=_court(user), text=q)
    return page(request, "controls/debtors.html", q=q.strip(), hits=hits)


@router.get("/debtors/{id_number}", response_class=HTMLResponse)
def debtor_page(id_number: str, request: Request, user: WebUserDep, session: SessionDep) -> Response:
    principal = _court(user)
    found = debtor_file(session, principal=principal, id_number=id_number)
    if found is None:
        return page(request, "controls/debtor.html", status_code=404, file=None, id_number=id_number)
    today = today_shanghai()
    return page(
        request,
        "controls/debtor.html",
        file=found,
        id_number=found.id_number,
        days={c.id: days_left(c, today) for c in found.controls},
    )
