"""Working days in China and task deadlines (see docs/DOMAIN.md, "Deadlines in working days")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Due:
    at: datetime  # aware, 23:59:59 Asia/Shanghai of the due day
    provisional: bool  # True when any day counted was decided by rule (a year without official data)


@dataclass(frozen=True)
class DayInfo:
    day: date
    working: bool
    provisional: bool
    source: str  # "override", "official" or "rule"


@dataclass(frozen=True)
class _Year:
    flipped: frozenset[date]  # days whose status differs from "Monday-Friday is working"
    source: str
    provisional: bool


_IMPORTED = _Year(frozenset(), "official", False)


@cache
def _builtin_year(year: int) -> _Year:
    """From chinese-calendar when it covers the year, else weekdays minus statutory holidays by rule."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        offs = holidays.China(years=year, observed=False)
        return _Year(frozenset(d for d in offs if d.weekday() < 5), "rule", True)
    offs = {d for d in chinese_calendar.holidays if d.year == year and d.weekday() < 5}
    ons = {d for d in chinese_calendar.workdays if d.year == year and d.weekday() >= 5}
    return _Year(frozenset(offs | ons), "official", False)


class WorkCalendar:
    def __init__(
        self, *, overrides: Mapping[date, bool] | None = None, official_years: Iterable[int] = ()
    ) -> None:
        """overrides: the administrator's table, day -> True (working) / False (day off); it wins over all.
        official_years: years whose official calendar was imported into the override table, so their days
        not in the table are ordinary weekdays/weekends and not provisional."""
        self._overrides = dict(overrides or {})
        self._official_years = frozenset(official_years)

    def _year(self, year: int) -> _Year:
        return _IMPORTED if year in self._official_years else _builtin_year(year)

    def day(self, d: date) -> DayInfo:
        if d in self._overrides:
            return DayInfo(d, self._overrides[d], False, "override")
        y = self._year(d.year)
        return DayInfo(d, (d.weekday() < 5) != (d in y.flipped), y.provisional, y.source)

    def is_working_day(self, d: date) -> bool:
        return self.day(d).working

    def is_provisional_year(self, year: int) -> bool:
        return self._year(year).provisional

    def add_working_days(self, start: date, n: int) -> tuple[date, bool]:
        """The n-th working day after start (start not counted, n >= 1), and whether any day counted or
        skipped on the way was decided by rule rather than by official data or an override."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        d, provisional = start, False
        while n:
            d += timedelta(days=1)
            info = self.day(d)
            provisional = provisional or info.provisional
            n -= info.working
        return d, provisional

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days in (start, end]: start not counted, end counted; 0 when end <= start.

        So a task served on day S and answered on day A took working_days_between(S, A) working days
        (0 when answered the same day), and add_working_days(S, n) is the first day for which this is n.
        Counts Monday-Friday arithmetically and corrects for the days each year flips and for the
        overrides, so a span of years costs no more than a span of days.
        """
        if end <= start:
            return 0

        def weekdays_up_to(d: date) -> int:  # Mondays-Fridays from 0001-01-01 (a Monday) to d
            weeks, rest = divmod(d.toordinal(), 7)
            return 5 * weeks + min(rest, 5)

        count = weekdays_up_to(end) - weekdays_up_to(start)
        for year in range(start.year, end.year + 1):
            for d in self._year(year).flipped:
                if start < d <= end and d not in self._overrides:
                    count += 1 if d.weekday() >= 5 else -1
        for d, working in self._overrides.items():
            if start < d <= end:
                count += int(working) - (d.weekday() < 5)
        return count

    def due(self, served_at: datetime, limit_days: int) -> Due:
        """Due at 23:59:59 Asia/Shanghai of the limit_days-th working day after the Shanghai date of
        service (served_at must be aware, limit_days >= 1)."""
        if served_at.tzinfo is None or served_at.utcoffset() is None:
            raise ValueError("served_at must be timezone-aware")
        if limit_days < 1:
            raise ValueError(f"limit_days must be >= 1, got {limit_days}")
        day, provisional = self.add_working_days(served_at.astimezone(SHANGHAI).date(), limit_days)
        return Due(datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI), provisional)
