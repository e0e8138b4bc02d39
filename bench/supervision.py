"""The supervisor's statistics (督办统计) over a large history: the service function the API calls.

GET /api/v1/supervision/units loads the working-day calendar and calls hub.supervision.service.figures_for
in the request's session; this times exactly that, as the court's supervisor, at INSTANT (bench/dataset.py)
for a period of Shanghai days. Each round uses a new session (the pool's connection is reused, as a
server's would be); the median of the rounds is the figure, the first round is reported beside it.
"""

import statistics
import time
from datetime import date, datetime

from hub.auth.service import principal, user_by_name
from hub.calendar.service import load_calendar
from hub.context import Hub
from hub.supervision.service import figures_for

PERIODS = {
    # the month before INSTANT (2026-12-02): what a supervisor reports on at the start of a month
    "month": (date(2026, 11, 1), date(2026, 11, 30)),
    # the page's default, the current month so far: almost nothing received, every overdue task listed
    "month so far": (date(2026, 12, 1), date(2026, 12, 2)),
    "year": (date(2026, 1, 1), date(2026, 12, 2)),
}


def figures_timed(hub: Hub, *, first_day: date, last_day: date, at: datetime, repeat: int = 3) -> dict:
    """Seconds for the supervisor's figures of first_day..last_day as of `at`: median, first round, and
    what they held (units listed, tasks received, overdue tasks listed)."""
    with hub.sessions() as session:
        supervisor = principal(user_by_name(session, "supervisor"))
    rounds = []
    for _ in range(repeat):
        with hub.sessions() as session:
            started = time.perf_counter()
            figures = figures_for(
                session,
                principal=supervisor,
                calendar=load_calendar(session),
                first_day=first_day,
                last_day=last_day,
                at=at,
            )
            rounds.append(time.perf_counter() - started)
    return {
        "seconds": statistics.median(rounds),
        "first": rounds[0],
        "units": len(figures),
        "received": sum(f.received for f in figures),
        "answered": sum(f.answered for f in figures),
        "overdue": sum(len(f.open_overdue) for f in figures),
    }
