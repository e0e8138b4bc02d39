from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from hub.auth.service import Principal
from hub.controls.renewal import late_renewals
from hub.deps import HubDep, PrincipalDep, SessionDep, SubmissionDep
from hub.errors import Forbidden
from hub.models import Request, Task
from hub.requests.schemas import Page, RequestOut
from hub.requests.service import cancel_request, submit_request
from hub.tasks.service import scope_requests, visible_request

router = APIRouter(prefix="/api/v1", tags=["requests"])

SUBMIT_DOC = """Submit an AssistanceRequest (docs/STANDARD.md).

The body is the XML (application/xml), or multipart/form-data with a part `document` holding the XML
and a part `files` for each listed document, named as the document lists it. A file already stored by
the hub (same sha256) need not be sent again.

201 with the request and one task per unit; the same RequestNo with the same content again: 200 with
the same body; the same RequestNo with other content: 409. Every refusal leaves nothing stored.
"""


async def court_reader(principal: PrincipalDep) -> Principal:  # async: no I/O, no thread to hop to
    """Requests are the courts': their officers and supervisors (and administrators) read them."""
    if principal.role != "admin" and not principal.is_court:
        raise Forbidden(
            "Requests are read by the courts' officers and supervisors; a unit works through its tasks "
            "(GET /api/v1/units/{unit_code}/tasks)."
        )
    return principal


def officer_of_a_court(principal: Principal) -> Principal:
    if principal.role != "officer" or not principal.is_court:
        raise Forbidden("Only an enforcement officer of a court can submit or withdraw requests.")
    return principal


async def officer(principal: PrincipalDep) -> Principal:  # async: no I/O, no thread to hop to
    """An enforcement officer of a court, checked before the body is read."""
    return officer_of_a_court(principal)


def request_to_cancel(request_id: int, session: SessionDep, principal: PrincipalDep) -> Request:
    """The request an officer of its court withdraws: rights first, so that the body is judged only then."""
    return visible_request(session, principal=officer_of_a_court(principal), request_id=request_id)


CourtReaderDep = Annotated[Principal, Depends(court_reader)]


@router.post("/requests", response_model=RequestOut, status_code=201, description=SUBMIT_DOC)
def post_request(
    principal: Annotated[Principal, Depends(officer)],
    submission: SubmissionDep,
    hub: HubDep,
    session: SessionDep,
    response: Response,
    background: BackgroundTasks,
) -> RequestOut:
    request, created = submit_request(
        session, settings=hub.settings, blobs=hub.blobs, principal=principal, submission=submission
    )
    if not created:
        response.status_code = 200
    elif any(t.status == "created" for t in request.tasks):
        background.add_task(hub.wake)  # after the commit: the worker serves the queued tasks now
    return RequestOut.of(request, late_renewals(session, request=request))


@router.get("/requests/{request_id}", response_model=RequestOut)
def get_request(request_id: int, session: SessionDep, principal: CourtReaderDep) -> RequestOut:
    request = visible_request(session, principal=principal, request_id=request_id)
    return RequestOut.of(request, late_renewals(session, request=request))


@router.get("/requests", response_model=Page[RequestOut])
def list_requests(
    session: SessionDep,
    principal: CourtReaderDep,
    status: Literal["open", "done", "cancelled"] | None = None,
    unit: Annotated[str | None, Query(description="Only requests with a task for this unit.")] = None,
    case_no: Annotated[str | None, Query(description="Case number (案号), exact.")] = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[RequestOut]:
    """The requests the caller may see, newest first."""
    query = scope_requests(select(Request), principal)
    if status:
        query = query.where(Request.status == status)
    if unit:
        query = query.where(Request.id.in_(select(Task.request_id).where(Task.unit_code == unit)))
    if case_no:
        query = query.where(Request.case_no == case_no)
    if action:
        query = query.where(Request.action == action.upper())
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Request.id.desc()).limit(limit).offset(offset)).scalars()
    return Page(items=[RequestOut.of(r) for r in rows], total=total, limit=limit, offset=offset)


class CancelIn(BaseModel):
    reason: str = Field(min_length=2, max_length=500, description="Why the request is withdrawn (撤回原因).")


@router.post("/requests/{request_id}/cancel", response_model=RequestOut)
def cancel(
    request: Annotated[Request, Depends(request_to_cancel)],
    body: CancelIn,
    session: SessionDep,
    principal: PrincipalDep,
) -> RequestOut:
    """Withdraw a request sent by mistake: its open tasks are cancelled and take no more receipts."""
    cancel_request(session, principal=principal, request=request, reason=body.reason)
    session.refresh(request)
    return RequestOut.of(request)
