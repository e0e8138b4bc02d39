"""WorkCalendar.working_days_between: working days in (start, end]. Expected counts are worked out by hand
from the State Council's 2026 calendar (Spring Festival 02-15..23 off, Saturdays 02-14 and 02-28 worked;
National Day 10-01..07 off, Sunday 09-20 and Saturday 10-10 worked)."""

import random
from datetime import date, timedelta

import pytest

from hub.calendar.workdays import WorkCalendar

CAL = WorkCalendar()


def one_by_one(calendar: WorkCalendar, start: date, end: date) -> int:
    count, d = 0, start
    while d < end:
        d += timedelta(days=1)
        count += calendar.is_working_day(d)
    return count


@pytest.mark.parametrize(
    "start,end,expected",
    [
        (date(2026, 3, 10), date(2026, 3, 10), 0),  # answered the day it was served
        (date(2026, 3, 10), date(2026, 3, 9), 0),  # end before start
        (date(2026, 3, 10), date(2026, 3, 11), 1),  # start not counted, end counted
        (date(2026, 3, 13), date(2026, 3, 16), 1),  # Friday to Monday: the weekend is off
        (date(2026, 3, 13), date(2026, 3, 15), 0),  # Friday to Sunday
        (date(2026, 3, 1), date(2026, 3, 31), 22),  # March 2026: an ordinary month
    ],
)
def test_ordinary_weeks(start, end, expected):
    assert CAL.working_days_between(start, end) == expected


@pytest.mark.parametrize(
    "start,end,expected",
    [
        (date(2026, 2, 13), date(2026, 2, 14), 1),  # Saturday 02-14 is a working day
        (date(2026, 2, 13), date(2026, 2, 24), 2),  # 02-14, then nothing until Tuesday 02-24
        (date(2026, 2, 14), date(2026, 2, 23), 0),  # the whole holiday, Monday 02-23 included
        (date(2026, 2, 20), date(2026, 2, 27), 4),  # 02-24..27
        (date(2026, 2, 27), date(2026, 3, 2), 2),  # Saturday 02-28 worked, Sunday 03-01 off, Monday
        (date(2026, 1, 31), date(2026, 2, 28), 16),  # February: 20 weekdays - 6 off + 2 Saturdays
        (date(2026, 2, 10), date(2026, 3, 3), 11),  # 11, 12, 13, 14, 24, 25, 26, 27, 28, 03-02, 03-03
    ],
)
def test_across_spring_festival_2026(start, end, expected):
    assert CAL.working_days_between(start, end) == expected


@pytest.mark.parametrize(
    "start,end,expected",
    [
        (date(2026, 9, 18), date(2026, 9, 21), 2),  # Sunday 09-20 worked, then Monday
        (date(2026, 9, 30), date(2026, 10, 7), 0),  # the holiday, Thursday 10-01 to Wednesday 10-07
        (date(2026, 9, 30), date(2026, 10, 9), 2),  # Thursday 10-08, Friday 10-09
        (date(2026, 9, 30), date(2026, 10, 10), 3),  # and Saturday 10-10
        (date(2026, 9, 25), date(2026, 10, 12), 7),  # 09-28, 29, 30, 10-08, 09, 10, 12
    ],
)
def test_across_national_day_2026(start, end, expected):
    assert CAL.working_days_between(start, end) == expected


def test_across_the_new_year():
    # 2026-01-01..03 off, Sunday 01-04 worked.
    assert CAL.working_days_between(date(2025, 12, 31), date(2026, 1, 3)) == 0
    assert CAL.working_days_between(date(2025, 12, 30), date(2026, 1, 5)) == 3  # 12-31, 01-04, 01-05


def test_agrees_with_add_working_days():
    for start in (date(2026, 2, 12), date(2026, 9, 29), date(2026, 12, 30)):
        for n in range(1, 12):
            day, _ = CAL.add_working_days(start, n)
            assert CAL.working_days_between(start, day) == n
            assert CAL.working_days_between(start, day - timedelta(days=1)) == n - 1


def test_overrides_win():
    calendar = WorkCalendar(
        overrides={date(2026, 3, 11): False, date(2026, 3, 14): True, date(2026, 2, 14): False}
    )
    assert calendar.working_days_between(date(2026, 3, 10), date(2026, 3, 16)) == 4  # 12, 13, 14, 16
    assert calendar.working_days_between(date(2026, 2, 13), date(2026, 2, 24)) == 1  # 02-14 taken off


def test_counts_day_by_day_over_years_with_and_without_official_data():
    # 2027 has no official data in chinese-calendar: weekdays minus statutory holidays by rule.
    overrides = {date(2026, 10, 3): True, date(2026, 3, 10): False, date(2027, 1, 2): True}
    calendars = (
        CAL,
        WorkCalendar(overrides=overrides),
        WorkCalendar(overrides=overrides, official_years=[2027]),
    )
    rng = random.Random(2026)
    for calendar in calendars:
        for _ in range(400):
            start = date(2025, 6, 1) + timedelta(days=rng.randrange(900))
            end = start + timedelta(days=rng.randrange(-3, 500))
            assert calendar.working_days_between(start, end) == one_by_one(calendar, start, end), (start, end)
