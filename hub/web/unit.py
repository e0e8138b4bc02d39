"""Unit staff's pages: the inbox, a task with its notice and documents, the receipt forms, an objection.

Who sees a task: its unit's staff, who answer it; officers and supervisors of its court and
administrators, read-only (the alert e-mails link them to /tasks/{id}); anyone else gets the 404
page, for the task, its notice and its files alike. Every form ends in receipts.service.submit_receipt;
a refusal shows the page again with each problem and the values as typed (chosen files excepted:
a browser cannot be given them back).
"""

from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hub.blobs import blob_response
from hub.calendar.service import load_calendar
from hub.clock import SHANGHAI, now, today_shanghai
from hub.context import Hub
from hub.deps import HubDep, SessionDep
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.headers import NOTICE_CSP
from hub.models import Control, Receipt, Task
from hub.params import page_number
from hub.requests.service import Submission
from hub.standard.codes import FINAL_OUTCOMES, PERIOD_ACTIONS, REASON_REQUIRED, Action, Outcome
from hub.standard.documents import read_receipt
from hub.standard.notice import render_notice
from hub.standard.write_receipt import ReceiptDraft, write_receipt
from hub.standard.xml import DocumentError, Problem, parse
from hub.tasks.service import (
    OPEN_STATES,
    court_names,
    last_receipt_by,
    mark_viewed,
    next_receipt_no,
    task_controls,
    task_receipts,
    unit_inbox,
    unit_name,
    visible_task,
)
from hub.web import unit_forms
from hub.web.deps import FormDep, WebUserDep
from hub.web.session import SignedIn
from hub.web.templating import page
from hub.web.unit_forms import Filled
from receipts.service import submit_receipt

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
FILTERS = {"open": "办理中", "closed": "已办结", "all": "全部"}
CONFLICTS = {
    "receipt_no_conflict": "这个回执编号本单位已经用过：请换一个编号，或留空由平台生成。",
    "task_closed": "本任务已经办结，只能报告轮候查封的后续变化（轮候已生效或轮候已失效）。",
    "task_cancelled": "法院已撤回本任务，不再接受回执。",
}
# The answers people give most first; a mismatch of the request's information last.
OUTCOME_ORDER = [o for o in Outcome if o is not Outcome.INFO_MISMATCH] + [Outcome.INFO_MISMATCH]


def _task(session: Session, user: SignedIn, task_id: int) -> Task:
    try:
        return visible_task(session, principal=user.principal, task_id=task_id)
    except NotFound:
        raise NotFound("没有找到这个任务，或者您无权查看。") from None


def _answers(user: SignedIn, task: Task) -> bool:
    return user.principal.is_unit and user.principal.unit_code == task.unit_code


def _own_task(session: Session, user: SignedIn, task_id: int) -> Task:
    task = _task(session, user, task_id)
    if not _answers(user, task):
        raise Forbidden("只有本任务协助单位的经办人才能提交回执。")
    return task


def _overdue_days(session: Session, tasks: list[Task]) -> dict[int, int]:
    """Working days past due of each open task past due (0: past due, not yet a whole working day)."""
    at, calendar = now(), load_calendar(session)
    today = at.astimezone(SHANGHAI).date()
    return {
        t.id: calendar.working_days_between(t.due_at.astimezone(SHANGHAI).date(), today)
        for t in tasks
        if t.status in OPEN_STATES and t.due_at is not None and t.due_at < at
    }


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, user: WebUserDep, session: SessionDep, status: str = "open", page_no: str = "1"):
    """The unit's tasks: open ones first, soonest due first; 50 a page."""
    if not user.principal.is_unit:
        raise Forbidden("待办任务是协助单位经办人的页面，您的账号不属于任何协助单位。")
    status = status if status in FILTERS else "open"
    number = page_number(page_no)
    unit = user.principal.unit_code
    tasks, total = unit_inbox(
        session,
        principal=user.principal,
        unit_code=unit,
        status=None if status == "all" else status,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    return page(
        request,
        "unit/inbox.html",
        tasks=tasks,
        total=total,
        status=status,
        filters=FILTERS,
        page_no=number,
        pages=max(1, -(-total // PAGE_SIZE)),
        page_url=lambda n: "/inbox?" + urlencode({"status": status, "page_no": n}),
        unit_name=unit_name(session, unit_code=unit),
        courts=court_names(session, codes={t.request.court_code for t in tasks}),
        overdue=_overdue_days(session, tasks),
    )


@router.get("/units/{unit_code}/tasks")
def inbox_link(unit_code: str, _: WebUserDep) -> Response:
    """Where the e-mails about new tasks in a unit's inbox point (hub/delivery/intake.py)."""
    return RedirectResponse("/inbox", status_code=303)


def _handler(request: Request, session: Session, user: SignedIn) -> dict[str, str]:
    """Who handles it, to prefill the forms: as on the user's last receipt, else the account's name."""
    last = last_receipt_by(session, user_id=user.principal.user_id) if user.principal.is_unit else None
    if last is None:
        return {"handler_name": user.display_name}
    data = request.app.state.hub.blobs.read(last.document_sha256)  # accepted, so valid: only read again
    document = read_receipt(parse(data, max_bytes=len(data)))
    return {"handler_name": document.handler_name, "handler_phone": document.handler_phone or ""}


def _task_page(request: Request, session: Session, user: SignedIn, task: Task, refused=None, status_code=200):
    """The task page; `refused` = (form name, Filled) shows that form again with its values and problems."""
    req, action = task.request, Action(task.request.action)
    controls = task_controls(session, task=task)
    forms, problems = unit_forms.defaults(_handler(request, session, user), task, controls), {}
    if refused is not None:
        name, filled = refused
        forms[name], problems[name] = filled.values, filled.problems
    return page(
        request,
        "unit/task.html",
        status_code=status_code,
        task=task,
        req=req,
        action=action,
        unit_name=unit_name(session, unit_code=task.unit_code),
        court_name=court_names(session, codes={req.court_code}).get(req.court_code, req.court_code),
        overdue=_overdue_days(session, [task]).get(task.id),
        receipts=task_receipts(session, task=task),
        controls=controls,
        staff=_answers(user, task),
        answering=_answers(user, task) and task.status in OPEN_STATES,
        outcomes=sorted(FINAL_OUTCOMES[action], key=OUTCOME_ORDER.index),
        reason_required=[str(o) for o in REASON_REQUIRED],
        items=list(req.items),
        with_period=action in PERIOD_ACTIONS,
        with_amount=[unit_forms.with_amount(action, item) for item in req.items],
        forms=forms,
        problems=problems,
        asset_rows=unit_forms.asset_rows(forms["receipt"]),
        sent=request.query_params.get("sent"),
    )


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(task_id: int, request: Request, user: WebUserDep, session: SessionDep) -> Response:
    task = _task(session, user, task_id)
    mark_viewed(session, principal=user.principal, task=task, at=now())
    return _task_page(request, session, user, task)


@router.get("/tasks/{task_id}/notice", response_class=HTMLResponse)
def notice(task_id: int, user: WebUserDep, session: SessionDep, hub: HubDep) -> Response:
    """The notice as the unit prints it, rendered from the request XML as received; framed by the task page."""
    task = _task(session, user, task_id)
    document = hub.blobs.read(task.request.document_sha256)
    rendered = render_notice(
        document, unit_name=unit_name(session, unit_code=task.unit_code), court_name=task.request.court.name
    )
    return HTMLResponse(rendered.html, headers={"Content-Security-Policy": NOTICE_CSP})


@router.get("/tasks/{task_id}/document")
def task_document(task_id: int, user: WebUserDep, session: SessionDep, hub: HubDep) -> Response:
    """The request XML exactly as the court sent it."""
    found = _task(session, user, task_id).request
    return blob_response(
        hub.blobs, found.document_sha256, "application/xml", filename=f"{found.request_no}.xml"
    )


@router.get("/tasks/{task_id}/files/{filename}")
def task_file(task_id: int, filename: str, user: WebUserDep, session: SessionDep, hub: HubDep) -> Response:
    """A document listed in the request (ruling, notice), byte for byte."""
    ref = next((f for f in _task(session, user, task_id).request.files if f.filename == filename), None)
    if ref is None:
        raise NotFound(f"该请求没有名为 {filename} 的文书。")
    return blob_response(hub.blobs, ref.sha256, "application/octet-stream", filename=filename)


def _receipt(session: Session, user: SignedIn, task_id: int, receipt_id: int) -> Receipt:
    task = _task(session, user, task_id)
    receipt = next((r for r, _ in task_receipts(session, task=task) if r.id == receipt_id), None)
    if receipt is None:
        raise NotFound("该任务没有这份回执。")
    return receipt


@router.get("/tasks/{task_id}/receipts/{receipt_id}/document")
def receipt_document(task_id: int, receipt_id: int, user: WebUserDep, session: SessionDep, hub: HubDep):
    """A receipt XML exactly as the unit sent it."""
    receipt = _receipt(session, user, task_id, receipt_id)
    return blob_response(
        hub.blobs, receipt.document_sha256, "application/xml", filename=f"{receipt.receipt_no}.xml"
    )


@router.get("/tasks/{task_id}/receipts/{receipt_id}/files/{filename}")
def receipt_file(
    task_id: int, receipt_id: int, filename: str, user: WebUserDep, session: SessionDep, hub: HubDep
) -> Response:
    """An attachment of a receipt (the signed scan, a written objection), byte for byte."""
    ref = next(
        (f for f in _receipt(session, user, task_id, receipt_id).files if f.filename == filename), None
    )
    if ref is None:
        raise NotFound(f"该回执没有名为 {filename} 的附件。")
    return blob_response(hub.blobs, ref.sha256, "application/octet-stream", filename=filename)


# --- posting receipts -----------------------------------------------------------------------------


def _shown(problem: Problem, lines: bool) -> dict:
    where = f"第 {problem.line} 行 {problem.path}" if lines and problem.line else problem.path
    return {"where": where, "message": problem.message}


def _submit(
    request: Request,
    session: Session,
    hub: Hub,
    user: SignedIn,
    task: Task,
    name: str,
    filled: Filled,
    document: bytes | None = None,
) -> Response:
    """Submit the receipt (`document` as uploaded, else written from the form): to the task page when
    accepted, else the page again with the values as typed and every problem."""
    status, lines = 422, document is not None
    written_by_hub = document is None
    if not filled.problems:
        if document is None:
            fields = filled.fields
            fields["receipt_no"] = fields["receipt_no"] or next_receipt_no(
                session, unit_code=task.unit_code, day=today_shanghai()
            )
            fields["handled_at"] = fields["handled_at"] or now()
            draft = ReceiptDraft(request_no=task.request.request_no, unit_code=task.unit_code, **fields)
            try:
                document = write_receipt(draft)
            except ValueError:  # a control character pasted into a field: XML cannot carry it
                filled.problems = [
                    {"where": None, "message": "填写的内容里有无法保存的控制字符，请删去后重新提交。"}
                ]
                return _task_page(request, session, user, task, refused=(name, filled), status_code=422)
        try:
            applied = submit_receipt(
                session,
                settings=hub.settings,
                blobs=hub.blobs,
                principal=user.principal,
                task_id=task.id,
                submission=Submission(document, filled.files, written_by_hub=written_by_hub),
            )
        except DocumentError as exc:
            filled.problems = [_shown(p, lines) for p in exc.problems]
        except Invalid as exc:
            filled.problems = [_shown(p, lines) for p in exc.details] or [
                {"where": None, "message": exc.message}
            ]
        except Conflict as exc:
            status, filled.problems = 409, [{"where": None, "message": CONFLICTS.get(exc.code, exc.message)}]
        else:
            sent = quote(applied.receipt.receipt_no)
            return RedirectResponse(f"/tasks/{task.id}?sent={sent}#receipts", status_code=303)
        session.rollback()
    return _task_page(request, session, user, task, refused=(name, filled), status_code=status)


@router.post("/tasks/{task_id}/receipt")
def post_receipt(
    task_id: int, request: Request, user: WebUserDep, form: FormDep, session: SessionDep, hub: HubDep
):
    """The final receipt, written from the form shaped by the request's action."""
    task = _own_task(session, user, task_id)
    filled = unit_forms.receipt_form(form, task=task, max_file_bytes=hub.settings.max_file_bytes)
    return _submit(request, session, hub, user, task, "receipt", filled)


@router.post("/tasks/{task_id}/acknowledge")
def post_acknowledgement(
    task_id: int, request: Request, user: WebUserDep, form: FormDep, session: SessionDep, hub: HubDep
) -> Response:
    """签收: an interim receipt; the task stays open, acknowledged."""
    task = _own_task(session, user, task_id)
    return _submit(request, session, hub, user, task, "ack", unit_forms.acknowledgement_form(form))


@router.post("/tasks/{task_id}/objection")
def post_objection(
    task_id: int, request: Request, user: WebUserDep, form: FormDep, session: SessionDep, hub: HubDep
) -> Response:
    """异议: a final OBJECTED receipt with its reason; the task is closed as objected, the court answers."""
    task = _own_task(session, user, task_id)
    filled = unit_forms.objection_form(form, max_file_bytes=hub.settings.max_file_bytes)
    return _submit(request, session, hub, user, task, "objection", filled)


@router.post("/tasks/{task_id}/controls/{control_id}/report")
def post_control_report(
    task_id: int,
    control_id: int,
    request: Request,
    user: WebUserDep,
    form: FormDep,
    session: SessionDep,
    hub: HubDep,
) -> Response:
    """A waiting control of this task took effect or lapsed, or a pre-seal turned into a seal: a further
    final receipt naming it."""
    task = _own_task(session, user, task_id)
    controls: list[Control] = task_controls(session, task=task)
    control = next((c for c in controls if c.id == control_id and unit_forms.reportable(c)), None)
    if control is None:
        raise NotFound(
            "该任务没有这项轮候中的查封（冻结）或生效中的预查封，它可能已经生效、转为查封、失效或解除。"
        )
    filled = unit_forms.report_form(form, control=control, max_file_bytes=hub.settings.max_file_bytes)
    return _submit(request, session, hub, user, task, f"control-{control.id}", filled)


@router.post("/tasks/{task_id}/receipt-xml")
def post_receipt_xml(
    task_id: int, request: Request, user: WebUserDep, form: FormDep, session: SessionDep, hub: HubDep
) -> Response:
    """上传回执 XML: a receipt written elsewhere, with the files it lists, submitted as is."""
    task = _own_task(session, user, task_id)
    settings = hub.settings
    document, filled = unit_forms.upload_form(
        form, max_document_bytes=settings.max_document_bytes, max_file_bytes=settings.max_file_bytes
    )
    return _submit(request, session, hub, user, task, "upload", filled, document or b"")
