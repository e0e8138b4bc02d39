from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from hub.auth.service import Principal
from hub.calendar.service import load_calendar
from hub.clock import now, today_shanghai
from hub.deps import PrincipalDep, SessionDep
from hub.params import FIRST_DAY, LAST_DAY
from hub.supervision.schemas import UnitFiguresOut, figures_csv
from hub.supervision.service import UnitFigures, figures_for

router = APIRouter(prefix="/api/v1", tags=["supervision"])

FromDay = Annotated[
    date | None,
    Query(
        alias="from",
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="First Shanghai day of the period (default: the 1st of the month of `to`).",
    ),
]
ToDay = Annotated[
    date | None,
    Query(
        alias="to",
        ge=FIRST_DAY,
        le=LAST_DAY,
        description="Last Shanghai day of the period, included (default: today).",
    ),
]
Units = Annotated[
    list[str] | None,
    Query(description="Only these units (repeat: unit=a&unit=b); each is listed even with nothing to show."),
]
CourtCode = Annotated[str | None, Query(description="Administrators: only this court's requests.")]


def _figures(
    session: Session,
    principal: Principal,
    first_day: date | None,
    last_day: date | None,
    units: list[str] | None,
    court: str | None,
) -> tuple[date, date, list[UnitFigures]]:
    last_day = last_day or today_shanghai()
    first_day = first_day or last_day.replace(day=1)
    figures = figures_for(
        session,
        principal=principal,
        calendar=load_calendar(session),
        first_day=first_day,
        last_day=last_day,
        at=now(),
        court_code=court,
        unit_codes=units,
    )
    return first_day, last_day, figures


@router.get("/supervision/units", response_model=list[UnitFiguresOut])
def get_unit_figures(
    session: SessionDep,
    principal: PrincipalDep,
    first_day: FromDay = None,
    last_day: ToDay = None,
    unit: Units = None,
    court: CourtCode = None,
) -> list[UnitFiguresOut]:
    """Per member unit: tasks served in the period (received), answered finally (completed or objected),
    on time, the on-time rate (%), the median working days from service to answer, the answers by
    outcome, and the unit's tasks overdue now whenever they were served (oldest due first).

    Without `unit`, only units with a task received in the period or overdue now are listed, by code.
    The default period is the current month so far. 422 when from > to; 404 for an unknown unit or court.

    Officers and the supervisor of a court see their court's requests only (another `court`: 403); an
    administrator sees every court, or the one named with `court`. Unit staff are refused (403): a unit's
    own figures may be offered to its staff later, never the other units'.
    """
    _, _, figures = _figures(session, principal, first_day, last_day, unit, court)
    return [UnitFiguresOut.of(f) for f in figures]


@router.get("/supervision/units.csv", response_class=Response)
def get_unit_figures_csv(
    session: SessionDep,
    principal: PrincipalDep,
    first_day: FromDay = None,
    last_day: ToDay = None,
    unit: Units = None,
    court: CourtCode = None,
) -> Response:
    """The same figures as CSV for Excel: UTF-8 with a BOM, Chinese headers (单位代码, 单位名称, 收到,
    已答复, 按期, 按期率, 答复用时中位数(工作日), 逾期未办), one row per unit. The parameters, and who may
    see the figures, are those of GET /api/v1/supervision/units."""
    first, last, figures = _figures(session, principal, first_day, last_day, unit, court)
    filename = f"supervision-units-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        figures_csv(figures),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
