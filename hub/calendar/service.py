"""The working-day calendar as configured: the built-in data plus the administrator's override table."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.calendar.workdays import WorkCalendar
from hub.models import CalendarDay, CalendarYear


def load_calendar(session: Session) -> WorkCalendar:
    overrides = {row.day: row.working for row in session.execute(select(CalendarDay)).scalars()}
    years = session.execute(select(CalendarYear.year)).scalars().all()
    return WorkCalendar(overrides=overrides, official_years=years)
