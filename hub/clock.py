"""The one clock. Every "now" in the hub comes from here."""

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import PlainSerializer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(UTC)


def today_shanghai() -> date:
    """The calendar day in Asia/Shanghai, where every legal date of the hub is counted."""
    return now().astimezone(SHANGHAI).date()


# An instant as the API shows it: ISO 8601 in Asia/Shanghai, e.g. 2026-11-30T23:59:59+08:00.
Instant = Annotated[
    datetime, PlainSerializer(lambda value: value.astimezone(SHANGHAI).isoformat(), return_type=str)
]
