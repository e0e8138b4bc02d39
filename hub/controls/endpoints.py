"""Controls: seals, seizures and freezes, from the receipt that made them until they end."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from hub.clock import now
from hub.controls.history import control_history
from hub.controls.import_records import imported_refusal
from hub.controls.renewal import renewal_draft, renewal_request_no
from hub.controls.schemas import ControlHistoryOut, ControlOut
from hub.controls.service import list_controls, visible_control
from hub.controls.states import ControlStatus
from hub.deps import HubDep, PrincipalDep, SessionDep
from hub.errors import Conflict, Forbidden
from hub.params import FIRST_DAY, LAST_DAY
from hub.requests.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["controls"])

RENEWAL_DRAFT_DOC = """The renewal of an ACTIVE control drafted as an AssistanceRequest (RENEW), ready to review.

The period starts the day after the control's end and lasts the longest its asset class allows; the
documents listed are those of the request that created the control (already stored, so the draft can
be posted to /api/v1/requests as application/xml unchanged), and the remarks ask for the renewal ruling
(续行裁定书) to replace the original one. Officers and supervisors of the control's court and
administrators only; 404 for a control the caller cannot see; 409 when the control cannot be renewed
(not ACTIVE, no end date, ended, already renewed, or a renewal request still waiting for an answer), and
for a control imported from before the hub, whose ruling and notice the hub does not hold (documents_needed:
renew it on its page, uploading them).
"""


@router.get("/controls", response_model=Page[ControlOut])
def get_controls(
    session: SessionDep,
    principal: PrincipalDep,
    status: ControlStatus | None = None,
    unit: str | None = None,
    expiring_before: Annotated[
        date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description="Only controls ending before this date.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[ControlOut]:
    """Controls of the caller's court (officers, supervisors) or unit (staff), soonest ending first."""
    rows, total = list_controls(
        session,
        principal=principal,
        status=status,
        unit_code=unit,
        expiring_before=expiring_before,
        limit=limit,
        offset=offset,
    )
    return Page(items=[ControlOut.of(c) for c in rows], total=total, limit=limit, offset=offset)


@router.get("/controls/{control_id}/history", response_model=ControlHistoryOut)
def get_control_history(control_id: int, session: SessionDep, principal: PrincipalDep) -> ControlHistoryOut:
    """The control, its renewal chain, and everything that happened to the chain, oldest first: each change
    of a control (as the audit chain records it) and each request that made a control of the chain or
    acts on one. Its court's officers and supervisors, its unit's staff (who see only the requests their
    unit was asked to act on) and administrators; 404 for a control the caller cannot see."""
    return ControlHistoryOut.of(control_history(session, principal=principal, control_id=control_id))


@router.get(
    "/controls/{control_id}/renewal-draft",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "The draft AssistanceRequest."}},
    description=RENEWAL_DRAFT_DOC,
)
def get_renewal_draft(control_id: int, session: SessionDep, principal: PrincipalDep, hub: HubDep) -> Response:
    if principal.role != "admin" and not principal.is_court:
        raise Forbidden("Only the officers and supervisors of the control's court can draft its renewal.")
    control = visible_control(session, principal=principal, control_id=control_id)
    request_no = renewal_request_no(session, control=control)
    document = renewal_draft(session, control=control, settings=hub.settings, at=now(), request_no=request_no)
    if (why := imported_refusal(session, control=control)) is not None:
        raise Conflict(why, code="documents_needed")
    return Response(
        document,
        media_type="application/xml",
        headers={"Content-Disposition": f"attachment; filename={request_no}.xml"},
    )
