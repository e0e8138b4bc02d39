"""Parameters that name rows and days, checked before they reach the database or the calendar.

A path's `..._id` is a row id, an INTEGER column: on PostgreSQL a signed 32-bit number, so a larger one names
no row, and the database driver would fail on it (a 500) instead of finding nothing. A day in a query is one the
calendar and the clock can turn into instants: from FIRST_DAY to LAST_DAY.
"""

import re
from datetime import date

from fastapi import Request

from hub.errors import NotFound

MAX_ID = 2**31 - 1
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
MAX_PAGE = 1_000_000
_DIGITS = re.compile(r"[0-9]+")


async def ids_in_range(request: Request) -> None:
    """The app's dependency on every route: a path id past MAX_ID is a 404, as an id that names nothing."""
    for name, value in request.path_params.items():
        if (
            name.endswith("_id")
            and _DIGITS.fullmatch(str(value))
            and (len(str(value)) > 10 or int(value) > MAX_ID)
        ):
            if request.url.path.startswith("/api/"):
                raise NotFound(f"There is no {name.removesuffix('_id')} {value}.")
            raise NotFound(f"没有编号为 {value} 的记录。")


def page_number(text: str | None) -> int:
    """The page a list's `page` parameter asks for: 1 unless it is a number from 1 to MAX_PAGE (ASCII digits:
    "²" is a digit to str.isdigit, not to int)."""
    text = (text or "").strip()
    if not _DIGITS.fullmatch(text):
        return 1
    if len(text) > len(str(MAX_PAGE)):
        return MAX_PAGE
    return min(max(int(text), 1), MAX_PAGE)
