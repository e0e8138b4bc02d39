"""The officer's pages: his requests, a new request (form, XML or a batch), one request unit by unit, the notice.

Courts' officers and supervisors (and administrators) read, scoped as the API scopes them; only an officer
sends or withdraws. The routes hold no rules: hub.requests.service decides, hub.standard writes and checks.
"""

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hub.auth.service import Principal
from hub.blobs import blob_response
from hub.clock import now
from hub.controls.renewal import late_renewals
from hub.db import unit_of_work
from hub.deps import HubDep, SessionDep
from hub.errors import Conflict, HubError, Invalid, NotFound
from hub.headers import NOTICE_CSP
from hub.params import page_number
from hub.requests.service import (
    Submission,
    active_units,
    cancel_request,
    find_request,
    keep_files,
    next_request_no,
    officer_identity,
    request_answers,
    request_receipt,
    search_requests,
    submit_request,
)
from hub.standard.codes import (
    ALL_CAPABLE_ACTIONS,
    ITEM_ACTIONS,
    ORIGINAL_ACTIONS,
    PERIOD_ACTIONS,
    TRANSFEREE_ACTIONS,
    Action,
)
from hub.standard.labels import ACTION_LABELS
from hub.standard.notice import render_notice
from hub.standard.write_request import write_request
from hub.standard.xml import DocumentError
from hub.tasks.service import visible_request
from hub.web import officer_batch
from hub.web.deps import FormDep, WebUserDep
from hub.web.officer_access import (
    court_reader,
    officer_only,
    read_part,
    refusal,
    request_not_found,
    this_year,
)
from hub.web.officer_form import (
    FLEXIBLE_ACTIONS,
    Kept,
    RequestForm,
    blank_form,
    check,
    place_problems,
    read_form,
    to_draft,
)
from hub.web.templating import page

router = APIRouter(include_in_schema=False)
router.include_router(officer_batch.router)
PAGE_SIZE = 20
STATUSES = {"open": "办理中", "done": "已完成", "cancelled": "已撤回"}
ACTIONS = frozenset(a.value for a in Action)


@router.get("/requests", response_class=HTMLResponse)
def request_list(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    status: str = "",
    action: str = "",
    case_no: str = "",
    debtor: str = "",
    page_no: str = "1",
) -> Response:
    principal = court_reader(user)
    filters = {
        "status": status if status in STATUSES else "",
        "action": action if action in ACTIONS else "",
        "case_no": case_no.strip(),
        "debtor": debtor.strip(),
    }
    number = page_number(page_no)
    rows, total = search_requests(
        session,
        principal=principal,
        **{key: value or None for key, value in filters.items()},
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    query = {key: value for key, value in filters.items() if value}
    return page(
        request,
        "officer/list.html",
        rows=rows,
        total=total,
        filters=filters,
        statuses=STATUSES,
        page_no=number,
        pages=pages,
        page_url=lambda n: "/requests?" + urlencode({**query, "page_no": n}),
        can_send=principal.role == "officer",
    )


# --- a new request: the form, an XML file, a batch ----------------------------------------------


def _new_page(
    request: Request, hub: HubDep, principal: Principal, typed: RequestForm, **context
) -> HTMLResponse:
    with unit_of_work(hub.sessions) as session:
        units = active_units(session)
        identity = officer_identity(session, principal=principal)
        if not typed.auto_no:
            typed.auto_no = next_request_no(session, court_code=identity.court_code, year=this_year())
    context.setdefault("upload_problems", [])
    return page(
        request,
        "officer/new.html",
        status_code=context.pop("status_code", 200),
        form=typed,
        units=units,
        identity=identity,
        action_sets={
            "items": sorted(ITEM_ACTIONS),
            "period": sorted(PERIOD_ACTIONS),
            "original": sorted(ORIGINAL_ACTIONS),
            "flexible": sorted(FLEXIBLE_ACTIONS),
            "transferee": sorted(TRANSFEREE_ACTIONS),
            "all_capable": sorted(ALL_CAPABLE_ACTIONS),
        },
        item_rows=[*typed.items, {}],
        **context,
    )


@router.get("/requests/new", response_class=HTMLResponse)
def new_form(request: Request, user: WebUserDep, hub: HubDep, action: str = "QUERY") -> Response:
    principal = officer_only(user)
    return _new_page(request, hub, principal, blank_form(action=action if action in ACTIONS else "QUERY"))


def _hold(hub: HubDep, principal: Principal, typed: RequestForm) -> None:
    """Keep the files of a refused form in the store, so that the corrected form need not send them again."""
    if not typed.uploads:
        return
    with unit_of_work(hub.sessions) as session:
        digests = keep_files(
            session,
            blobs=hub.blobs,
            court_code=principal.court_code,
            files={u.filename: u.data for u in typed.uploads},
        )
    typed.kept += [Kept(u.type, u.filename, digests[u.filename]) for u in typed.uploads]
    typed.uploads = []


def _submit_form(hub: HubDep, principal: Principal, typed: RequestForm) -> int | None:
    """The request's id once the hub accepted it; else None, with the problems placed on the form."""
    typed_no = typed.values["request_no"]
    try:
        with unit_of_work(hub.sessions) as session:
            identity = officer_identity(session, principal=principal)
            number = (
                typed_no
                or typed.auto_no
                or next_request_no(session, court_code=identity.court_code, year=this_year())
            )
            draft = to_draft(typed, identity=identity, request_no=number, issued_at=now())
            submission = Submission(
                write_request(draft), {u.filename: u.data for u in typed.uploads}, written_by_hub=True
            )
            accepted, _ = submit_request(
                session, settings=hub.settings, blobs=hub.blobs, principal=principal, submission=submission
            )
            accepted_id, waiting = accepted.id, any(t.status == "created" for t in accepted.tasks)
    except Conflict as exc:
        if exc.code != "request_no_conflict":
            raise
        with unit_of_work(hub.sessions) as session:
            other = find_request(session, court_code=principal.court_code or "", request_no=number)
            fresh = next_request_no(session, court_code=principal.court_code or "", year=this_year())
        seen = f"（/requests/{other.id}）" if other else ""
        if typed_no:
            typed.add(
                "request_no", f"本院已用过请求编号 {number}{seen}：请换一个编号，或留空由平台自动编号。"
            )
        else:
            typed.auto_no = fresh
            typed.add(
                "request_no",
                f"自动编号 {number} 已被使用{seen}，可能是本表已提交过一次。已改用新编号 {fresh}；确需再次发起时请再提交。",
            )
        return None
    except (DocumentError, Invalid) as exc:
        place_problems(typed, refusal(exc))
        return None
    if waiting:
        hub.wake()  # after the commit: the worker serves the queued tasks now
    return accepted_id


@router.post("/requests/new", response_class=HTMLResponse)
def submit_form(request: Request, user: WebUserDep, hub: HubDep, form: FormDep) -> Response:
    principal = officer_only(user)
    typed = read_form(form, max_file_bytes=hub.settings.max_file_bytes)
    check(typed)
    if not typed.errors and (accepted := _submit_form(hub, principal, typed)) is not None:
        return RedirectResponse(f"/requests/{accepted}", status_code=303)
    _hold(hub, principal, typed)
    return _new_page(request, hub, principal, typed, status_code=422, problems=typed.problems())


@router.post("/requests/upload", response_class=HTMLResponse)
def upload_xml(request: Request, user: WebUserDep, hub: HubDep, form: FormDep) -> Response:
    """A request XML written elsewhere (the court's case system), with its documents, submitted as it is."""
    principal = officer_only(user)
    settings = hub.settings
    try:
        document = read_part(form.get("document"), settings.max_document_bytes)
        if document is None:
            raise Invalid("请选择请求 XML 文件。")
        files = {}
        for part in form.getlist("files"):
            data = read_part(part, settings.max_file_bytes)
            if data is not None and isinstance(part, UploadFile) and part.filename:
                files[part.filename] = data
        with unit_of_work(hub.sessions) as session:
            accepted, _ = submit_request(
                session,
                settings=settings,
                blobs=hub.blobs,
                principal=principal,
                submission=Submission(document, files),
            )
            accepted_id, waiting = accepted.id, any(t.status == "created" for t in accepted.tasks)
    except (DocumentError, HubError) as exc:
        problems = refusal(exc)
        return _new_page(request, hub, principal, blank_form(), status_code=422, upload_problems=problems)
    if waiting:
        hub.wake()
    return RedirectResponse(f"/requests/{accepted_id}", status_code=303)


# --- one request ---------------------------------------------------------------------------------


def _answers(session: Session, principal: Principal, request_id: int):
    try:
        return request_answers(session, principal=principal, request_id=request_id)
    except NotFound:
        raise request_not_found(request_id) from None


def _detail_page(
    request: Request,
    session: Session,
    principal: Principal,
    request_id: int,
    status_code: int = 200,
    **context,
) -> HTMLResponse:
    found, answers = _answers(session, principal, request_id)
    can_cancel = (
        principal.role == "officer" and principal.court_code == found.court_code and found.status == "open"
    )
    context.setdefault("error", None)
    return page(
        request,
        "officer/detail.html",
        status_code=status_code,
        req=found,
        answers=answers,
        can_cancel=can_cancel,
        cancelled=request.query_params.get("cancelled"),
        action_label=ACTION_LABELS[Action(found.action)],
        late_renewals=late_renewals(session, request=found),
        **context,
    )


@router.get("/requests/{request_id:int}", response_class=HTMLResponse)
def request_page(request: Request, request_id: int, user: WebUserDep, session: SessionDep) -> Response:
    return _detail_page(request, session, court_reader(user), request_id)


@router.post("/requests/{request_id:int}/cancel", response_class=HTMLResponse)
def cancel(request: Request, request_id: int, user: WebUserDep, hub: HubDep, form: FormDep) -> Response:
    principal = officer_only(user)
    reason = form.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not 2 <= len(reason) <= 500:
        with unit_of_work(hub.sessions) as session:
            return _detail_page(
                request, session, principal, request_id, 422, error="请写明撤回原因（2 至 500 字）。"
            )
    try:
        with unit_of_work(hub.sessions) as session:
            found = visible_request(session, principal=principal, request_id=request_id)
            withdrawn = cancel_request(session, principal=principal, request=found, reason=reason)
    except NotFound:
        raise request_not_found(request_id) from None
    except Conflict:
        raise Conflict("该请求已没有未办结的任务，无需撤回。") from None
    return RedirectResponse(f"/requests/{request_id}?cancelled={len(withdrawn)}", status_code=303)


@router.get("/requests/{request_id:int}/notice", response_class=HTMLResponse)
def notice(request_id: int, user: WebUserDep, session: SessionDep, hub: HubDep, unit: str = "") -> Response:
    """The notice as the units read it, a complete page of its own for reading and printing."""
    found, answers = _answers(session, court_reader(user), request_id)
    if unit:
        addressee = next((a.unit_name for a in answers if a.task.unit_code == unit), None)
        if addressee is None:
            raise NotFound(f"请求 {found.request_no} 没有发往单位 {unit}。")
    else:
        addressee = answers[0].unit_name if len(answers) == 1 else "各协助执行单位"
    rendered = render_notice(
        hub.blobs.read(found.document_sha256), unit_name=addressee, court_name=found.court.name
    )
    return HTMLResponse(rendered.html, headers={"Content-Security-Policy": NOTICE_CSP})


@router.get("/requests/{request_id:int}/document")
def request_document(request_id: int, user: WebUserDep, session: SessionDep, hub: HubDep) -> Response:
    """The request XML byte for byte as the hub received it."""
    try:
        found = visible_request(session, principal=court_reader(user), request_id=request_id)
    except NotFound:
        raise request_not_found(request_id) from None
    return blob_response(
        hub.blobs, found.document_sha256, "application/xml", filename=f"{found.request_no}.xml"
    )


@router.get("/requests/{request_id:int}/files/{filename}")
def request_file(
    request_id: int, filename: str, user: WebUserDep, session: SessionDep, hub: HubDep
) -> Response:
    try:
        found = visible_request(session, principal=court_reader(user), request_id=request_id)
    except NotFound:
        raise request_not_found(request_id) from None
    ref = next((f for f in found.files if f.filename == filename), None)
    if ref is None:
        raise NotFound(f"请求 {found.request_no} 没有名为 {filename} 的文书。")
    return blob_response(hub.blobs, ref.sha256, "application/octet-stream", filename=filename)


def _receipt(session: SessionDep, user: WebUserDep, request_id: int, receipt_id: int):
    try:
        return request_receipt(
            session, principal=court_reader(user), request_id=request_id, receipt_id=receipt_id
        )
    except NotFound:
        raise NotFound(f"没有编号为 {receipt_id} 的回执，或您无权查看。") from None


@router.get("/requests/{request_id:int}/receipts/{receipt_id:int}/document")
def receipt_document(
    request_id: int, receipt_id: int, user: WebUserDep, session: SessionDep, hub: HubDep
) -> Response:
    """The receipt XML byte for byte as the unit sent it."""
    receipt = _receipt(session, user, request_id, receipt_id)
    return blob_response(
        hub.blobs, receipt.document_sha256, "application/xml", filename=f"{receipt.receipt_no}.xml"
    )


@router.get("/requests/{request_id:int}/receipts/{receipt_id:int}/files/{filename}")
def receipt_file(
    request_id: int, receipt_id: int, filename: str, user: WebUserDep, session: SessionDep, hub: HubDep
) -> Response:
    receipt = _receipt(session, user, request_id, receipt_id)
    ref = next((f for f in receipt.files if f.filename == filename), None)
    if ref is None:
        raise NotFound(f"回执 {receipt.receipt_no} 没有名为 {filename} 的附件。")
    return blob_response(hub.blobs, ref.sha256, "application/octet-stream", filename=filename)
