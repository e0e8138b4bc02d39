"""The working-day calendar as configured: the built-in data plus the administrator's override table."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

import chinese_calendar
import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.calendar.workdays import WorkCalendar
from hub.models import CalendarDay, CalendarYear

WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_HOLIDAY_ZH = {h.value: h.chinese for h in chinese_calendar.Holiday}


def load_calendar(session: Session) -> WorkCalendar:
    overrides = {
        day: working for day, working in session.execute(select(CalendarDay.day, CalendarDay.working))
    }
    years = session.execute(select(CalendarYear.year)).scalars().all()
    return WorkCalendar(overrides=overrides, official_years=years)


@dataclass(frozen=True)
class SpecialDay:
    """A day that is not an ordinary weekday or weekend, or that the override table decides."""

    day: date
    working: bool
    note: str  # the holiday's name in Chinese, or the override's note
    overridden: bool  # decided by a row of the override table (imported or set by hand)

    @property
    def weekday_zh(self) -> str:
        return WEEKDAYS_ZH[self.day.weekday()]


@dataclass(frozen=True)
class YearCalendar:
    """A year as the hub counts it.

    status: "imported" (an official notice was loaded: `source`, `imported_at`), "built-in" (the
    official calendar shipped with chinese-calendar), or "rule" (no official data: weekdays minus the
    statutory holidays, due dates counted over it are provisional).
    """

    year: int
    status: Literal["imported", "built-in", "rule"]
    source: str | None
    imported_at: datetime | None
    days: list[SpecialDay]

    @property
    def provisional(self) -> bool:
        return self.status == "rule"


def _builtin_note(day: date, working: bool) -> str:
    _, name = chinese_calendar.get_holiday_detail(day)
    name = _HOLIDAY_ZH.get(name, name or "")
    return f"{name}调休上班" if working and name else name


def show_year(session: Session, *, year: int) -> YearCalendar:
    """Every day of `year` that is off on a weekday or working on a weekend, plus every override row of
    the year, in order, and where the year's calendar comes from."""
    calendar = load_calendar(session)
    imported = session.get(CalendarYear, year)
    rows = {
        row.day: row
        for row in session.execute(
            select(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
        ).scalars()
    }
    if imported is not None:
        status: Literal["imported", "built-in", "rule"] = "imported"
    else:
        status = "rule" if calendar.is_provisional_year(year) else "built-in"
    by_rule = holidays.China(years=year, observed=False, language="zh_CN") if status == "rule" else {}
    days: list[SpecialDay] = []
    day = date(year, 1, 1)
    while day.year == year:
        working = calendar.is_working_day(day)
        row = rows.get(day)
        if row is not None:
            days.append(SpecialDay(day, working, row.note, True))
        elif working != (day.weekday() < 5):
            note = _builtin_note(day, working) if status == "built-in" else by_rule.get(day, "")
            days.append(SpecialDay(day, working, note, False))
        day += timedelta(days=1)
    return YearCalendar(
        year=year,
        status=status,
        source=imported.source if imported else None,
        imported_at=imported.imported_at if imported else None,
        days=days,
    )
