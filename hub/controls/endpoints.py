from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from hub.controls.schemas import ControlOut
from hub.controls.service import list_controls
from hub.deps import PrincipalDep, SessionDep
from hub.requests.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["controls"])
ControlStatus = Literal["ACTIVE", "WAITLISTED", "RELEASED", "EXPIRED", "LAPSED"]


@router.get("/controls", response_model=Page[ControlOut])
def get_controls(
    session: SessionDep,
    principal: PrincipalDep,
    status: ControlStatus | None = None,
    unit: str | None = None,
    expiring_before: Annotated[
        date | None, Query(description="Only controls ending before this date.")
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
