"""Expected dates are worked out by hand from the State Council's 2026 calendar and the statutory holidays."""

from datetime import UTC, date, datetime, timedelta

import pytest

from hub.calendar.workdays import SHANGHAI, DayInfo, Due, WorkCalendar

CAL = WorkCalendar()


def shanghai(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def end_of(y, m, d):
    return datetime(y, m, d, 23, 59, 59, tzinfo=SHANGHAI)


def test_day_of_service_not_counted():
    # Tue 2026-03-10: 1 working day -> Wed 03-11, 3 -> Fri 03-13.
    assert CAL.due(shanghai(2026, 3, 10), 1) == Due(end_of(2026, 3, 11), False)
    assert CAL.due(shanghai(2026, 3, 10, 23, 59), 3).at == end_of(2026, 3, 13)


def test_friday_service_due_next_monday():
    due = CAL.due(shanghai(2026, 3, 13), 1)
    assert due.at == end_of(2026, 3, 16)
    assert due.at.isoformat() == "2026-03-16T23:59:59+08:00"
    assert not due.provisional


def test_service_late_evening_utc_is_next_day_in_shanghai():
    # Thu 2026-03-12 17:30 UTC is Fri 03-13 01:30 in Shanghai: the Friday is the day of service.
    due = CAL.due(datetime(2026, 3, 12, 17, 30, tzinfo=UTC), 1)
    assert due.at.isoformat() == "2026-03-16T23:59:59+08:00"
    # 15:59 UTC is still Thursday 23:59 in Shanghai.
    assert CAL.due(datetime(2026, 3, 12, 15, 59, tzinfo=UTC), 1).at == end_of(2026, 3, 13)


WORKING_WEEKENDS_2026 = [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]


@pytest.mark.parametrize("d", [date(2026, m, d) for m, d in WORKING_WEEKENDS_2026])
def test_adjusted_working_weekends_2026(d):
    assert d.weekday() >= 5
    assert CAL.day(d) == DayInfo(d, True, False, "official")


@pytest.mark.parametrize(
    "first,last", [(date(2026, 2, 15), date(2026, 2, 23)), (date(2026, 10, 1), date(2026, 10, 7))]
)
def test_spring_festival_and_national_day_2026_are_off(first, last):
    d = first
    while d <= last:
        assert not CAL.is_working_day(d), d
        d += timedelta(days=1)


def test_spring_festival_2026_deadlines():
    # Fri 02-13 -> Sat 02-14 (working Saturday); the next one is Tue 02-24 after the holiday.
    assert CAL.due(shanghai(2026, 2, 13), 1).at == end_of(2026, 2, 14)
    assert CAL.due(shanghai(2026, 2, 13), 2).at == end_of(2026, 2, 24)


def test_national_day_2026():
    # The official 2026 notice: Oct 1-7 off, Sun Sep 20 and Sat Oct 10 worked. Thu Oct 8 is an ordinary
    # working day, so a task served Wed Sep 30 with 1 day is due Oct 8, not Oct 9.
    assert CAL.is_working_day(date(2026, 10, 8))
    assert CAL.due(shanghai(2026, 9, 30), 1).at == end_of(2026, 10, 8)
    assert CAL.due(shanghai(2026, 9, 30), 3).at == end_of(2026, 10, 10)  # Oct 8, 9, Sat 10
    assert CAL.due(shanghai(2026, 9, 30), 4).at == end_of(2026, 10, 12)  # Sun Oct 11 is off
    # Mid-Autumn 2026 (Fri Sep 25 - Sun 27) is off too: Thu Sep 24 + 1 -> Mon Sep 28.
    assert CAL.due(shanghai(2026, 9, 24), 1).at == end_of(2026, 9, 28)


def test_override_wins_over_official():
    cal = WorkCalendar(overrides={date(2026, 10, 8): False})
    assert cal.day(date(2026, 10, 8)) == DayInfo(date(2026, 10, 8), False, False, "override")
    assert cal.due(shanghai(2026, 9, 30), 1).at == end_of(2026, 10, 9)


def test_crossing_into_2027_is_provisional_and_skips_new_year():
    # Wed 2026-12-30: Thu 12-31 (1), Fri 2027-01-01 off, weekend, Mon 01-04 (2), Tue 01-05 (3).
    assert CAL.due(shanghai(2026, 12, 30), 3) == Due(end_of(2027, 1, 5), True)
    assert CAL.due(shanghai(2026, 12, 30), 1) == Due(end_of(2026, 12, 31), False)
    assert CAL.day(date(2027, 1, 1)) == DayInfo(date(2027, 1, 1), False, True, "rule")
    assert CAL.is_provisional_year(2027) and not CAL.is_provisional_year(2026)


def test_spring_festival_2027_by_rule():
    # Statutory: Fri 02-05 (eve) to Mon 02-08. Thu 02-04 + 1 -> Tue 02-09.
    assert CAL.due(shanghai(2027, 2, 4), 1) == Due(end_of(2027, 2, 9), True)
    assert CAL.add_working_days(date(2027, 2, 4), 2) == (date(2027, 2, 10), True)


def test_override_in_provisional_year_moves_due_date():
    cal = WorkCalendar(overrides={date(2027, 2, 9): False})
    assert cal.due(shanghai(2027, 2, 4), 1) == Due(end_of(2027, 2, 10), True)


def test_imported_official_year_is_not_provisional():
    # A hypothetical imported 2027 table: Feb 5-11 off, Sat Feb 20 worked, New Year's Day off.
    table = {date(2027, 2, d): False for d in (5, 8, 9, 10, 11)}
    table |= {date(2027, 2, 20): True, date(2027, 1, 1): False}
    cal = WorkCalendar(overrides=table, official_years=[2027])
    assert not cal.is_provisional_year(2027)
    assert cal.due(shanghai(2027, 2, 4), 1) == Due(end_of(2027, 2, 12), False)
    assert cal.due(shanghai(2026, 12, 30), 3) == Due(end_of(2027, 1, 5), False)
    assert cal.day(date(2027, 2, 13)) == DayInfo(date(2027, 2, 13), False, False, "official")  # Saturday
    assert cal.day(date(2027, 4, 5)) == DayInfo(date(2027, 4, 5), True, False, "official")  # not in the table
    assert cal.is_working_day(date(2027, 2, 20))


def test_invalid_arguments():
    with pytest.raises(ValueError):
        CAL.due(datetime(2026, 3, 10, 10, 0), 1)
    with pytest.raises(ValueError):
        CAL.due(shanghai(2026, 3, 10), 0)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 3, 10), 0)
