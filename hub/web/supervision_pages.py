"""The supervisor's numbers per unit and month, with charts drawn on the server and CSV export.

For a court's supervisor (their court) and administrators (every court, or the one picked). The figures
are hub.supervision.service's, as the API and the Monday digest give them; this module only picks the
period, adds them up for the court, and draws them.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.calendar.service import load_calendar
from hub.clock import now, today_shanghai
from hub.deps import SessionDep
from hub.errors import Forbidden, Invalid, NotFound
from hub.models import Court
from hub.standard.codes import Outcome
from hub.standard.labels import label_of
from hub.supervision.schemas import figures_csv
from hub.supervision.service import UnitFigures, figures_for
from hub.web.charts import PALETTE, Bar, Series, Stack, bar_chart, line_chart, number, stacked_bar_chart
from hub.web.deps import WebUserDep
from hub.web.session import SignedIn
from hub.web.templating import page

router = APIRouter(include_in_schema=False)

MONTHS_SHOWN = 6  # the trend: the month shown and the five before it
OUTCOMES = [str(o) for o in Outcome]


@dataclass(frozen=True)
class Totals:
    """A court's figures added up over its units (the median cannot be: it is per unit only)."""

    received: int
    answered: int
    on_time: int
    overdue: int

    @property
    def on_time_pct(self) -> float | None:
        return self.on_time / self.answered * 100 if self.answered else None


def totals(figures: list[UnitFigures]) -> Totals:
    return Totals(
        sum(f.received for f in figures),
        sum(f.answered for f in figures),
        sum(f.on_time for f in figures),
        sum(len(f.open_overdue) for f in figures),
    )


def _supervisor(user: SignedIn) -> None:
    if user.principal.role not in ("supervisor", "admin"):
        raise Forbidden("督办统计仅供法院督办人和系统管理员查看。")


def _month(text: str | None) -> date:
    """The first day of the month written YYYY-MM; the current month when none is given."""
    if not text:
        return today_shanghai().replace(day=1)
    found = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not found or not 2000 <= int(found[1]) <= 2100 or not 1 <= int(found[2]) <= 12:
        raise Invalid(f"月份“{text}”无法识别：请写作“年-月”，例如 2026-03。", code="invalid_parameters")
    return date(int(found[1]), int(found[2]), 1)


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _months_before(first: date, count: int) -> list[date]:
    """`count` months ending with `first`'s, oldest first."""
    months = [first]
    while len(months) < count:
        months.insert(0, (months[0] - timedelta(days=1)).replace(day=1))
    return months


def _courts(session: Session) -> dict[str, str]:
    """code -> name of the courts (the directory has no service that lists them yet)."""
    return dict(session.execute(select(Court.code, Court.name).order_by(Court.code)).all())


def _court(session: Session, user: SignedIn, asked: str | None) -> tuple[str | None, dict[str, str]]:
    """The court whose figures are shown (None: every court, administrators only) and the courts known."""
    courts = _courts(session)
    if user.principal.role != "admin":
        return user.principal.court_code, courts
    if asked and asked not in courts:
        raise NotFound(f"没有代码为 {asked} 的法院。")
    return asked or None, courts


def _figures(
    session: Session, user: SignedIn, months: list[date], court: str | None
) -> list[list[UnitFigures]]:
    """The figures of each month (its first day given), all judged at the same instant."""
    calendar, at = load_calendar(session), now()
    return [
        figures_for(
            session,
            principal=user.principal,
            calendar=calendar,
            first_day=first,
            last_day=_month_end(first),
            at=at,
            court_code=court,
        )
        for first in months
    ]


def outcome_name(code: str) -> str:
    return "未注明结果" if code == "UNKNOWN" else label_of("Outcome", code)


def outcome_series(figures: list[UnitFigures]) -> list[Series]:
    """The outcomes that occur, in the standard's order; each keeps one colour from month to month."""
    codes = {code for f in figures for code in f.outcomes}
    ordered = [c for c in OUTCOMES if c in codes] + sorted(codes - set(OUTCOMES))
    return [Series(c, outcome_name(c), PALETTE[OUTCOMES.index(c) if c in OUTCOMES else -1]) for c in ordered]


def _charts(figures: list[UnitFigures], trend: list[tuple[date, Totals]], heading: str) -> dict[str, str]:
    on_time = bar_chart(
        [Bar(f.unit_name, f.on_time_pct) for f in figures],
        title=f"{heading} 各单位按期答复率",
        missing="无答复",
    )
    mix = stacked_bar_chart(
        [Stack(f.unit_name, f.outcomes) for f in figures],
        title=f"{heading} 各单位答复结果构成",
        series=outcome_series(figures),
        missing="无答复",
    )
    first, last = trend[0][0], trend[-1][0]
    months = line_chart(
        [Bar(f"{m.month}月", t.on_time_pct) for m, t in trend],
        title=f"近{len(trend)}个月按期答复率（{first.year}年{first.month}月至{last.year}年{last.month}月）",
    )
    return {"on_time": on_time, "mix": mix, "months": months}


@router.get("/supervision", response_class=HTMLResponse)
def supervision(
    request: Request,
    user: WebUserDep,
    session: SessionDep,
    month: str | None = None,
    court: str | None = None,
) -> Response:
    _supervisor(user)
    first = _month(month)
    court_code, courts = _court(session, user, court)
    months = _months_before(first, MONTHS_SHOWN)
    by_month = _figures(session, user, months, court_code)
    figures = by_month[-1]
    trend = [(m, totals(f)) for m, f in zip(months, by_month, strict=True)]
    court_name = courts.get(court_code, court_code) if court_code else "全部法院"
    heading = f"{first.year}年{first.month}月"
    overdue = sorted((t for f in figures for t in f.open_overdue), key=lambda t: (t.due_at, t.task_id))
    return page(
        request,
        "supervision/index.html",
        figures=figures,
        total=totals(figures),
        trend=trend,
        overdue=overdue,
        unit_names={f.unit_code: f.unit_name for f in figures},
        charts=_charts(figures, trend, heading),
        month=f"{first:%Y-%m}",
        first=first,
        last=_month_end(first),
        heading=heading,
        court=court_code,
        court_name=court_name,
        courts=courts if user.principal.role == "admin" else None,
        today=today_shanghai(),
        number=number,
        outcome_name=outcome_name,
    )


@router.get("/supervision.csv")
def supervision_csv(
    user: WebUserDep, session: SessionDep, month: str | None = None, court: str | None = None
) -> Response:
    """The month's figures per unit as CSV for Excel (hub.supervision.schemas.figures_csv)."""
    _supervisor(user)
    first = _month(month)
    court_code, _ = _court(session, user, court)
    [figures] = _figures(session, user, [first], court_code)
    filename = f"supervision-units-{first.isoformat()}-{_month_end(first).isoformat()}.csv"
    return Response(
        figures_csv(figures),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
