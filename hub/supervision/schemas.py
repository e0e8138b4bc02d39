"""The supervision figures as the API shows them: JSON, and CSV for Excel (UTF-8 with BOM, Chinese headers)."""

from dataclasses import asdict

from pydantic import BaseModel

from hub.clock import Instant
from hub.spreadsheet import csv_bytes
from hub.supervision.service import UnitFigures


class OverdueTaskOut(BaseModel):
    task_id: int
    request_id: int
    request_no: str
    case_no: str
    action: str
    unit_code: str
    due_at: Instant
    working_days_overdue: int


class UnitFiguresOut(BaseModel):
    unit_code: str
    unit_name: str
    received: int
    answered: int
    on_time: int
    on_time_pct: float | None
    median_working_days: float | None
    outcomes: dict[str, int]
    open_overdue: list[OverdueTaskOut]

    @classmethod
    def of(cls, figures: UnitFigures) -> "UnitFiguresOut":
        return cls.model_validate(asdict(figures))


CSV_HEADERS = (
    "单位代码",
    "单位名称",
    "收到",
    "已答复",
    "按期",
    "按期率",
    "答复用时中位数(工作日)",
    "逾期未办",
)


def _number(value: float | None, pattern: str) -> str:
    return "" if value is None else format(value, pattern)


def figures_csv(figures: list[UnitFigures]) -> bytes:
    """One row per unit under CSV_HEADERS. The rate has one decimal (75.0), the median no trailing zeros
    (2, 1.5); both are empty when nothing was answered. Rows end with CRLF, the file starts with a BOM."""
    return csv_bytes(
        CSV_HEADERS,
        (
            (
                f.unit_code,
                f.unit_name,
                f.received,
                f.answered,
                f.on_time,
                _number(f.on_time_pct, ".1f"),
                _number(f.median_working_days, "g"),
                len(f.open_overdue),
            )
            for f in figures
        ),
    )
