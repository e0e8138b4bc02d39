"""The JSON the API answers with for requests and tasks. The XML standard and these shapes change apart."""

from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import inspect

from hub.clock import Instant, now
from hub.controls.renewal import LateRenewal
from hub.models import Base, FoundAsset, Receipt, Request, Task


def columns_of(row: Base) -> dict[str, Any]:
    """A row's column values by attribute name: the API shapes pick the fields they declare."""
    return {column.key: getattr(row, column.key) for column in inspect(type(row)).column_attrs}


def _files(files: list[Any]) -> list["FileOut"]:
    return [FileOut(type=f.type, filename=f.filename, sha256=f.sha256) for f in files]


class FileOut(BaseModel):
    type: str
    filename: str
    sha256: str


class TaskOut(BaseModel):
    id: int
    request_id: int
    unit_code: str
    status: str
    limit_days: int
    served_at: Instant | None
    due_at: Instant | None
    due_provisional: bool
    overdue: bool
    viewed_at: Instant | None
    acknowledged_at: Instant | None
    closed_at: Instant | None
    outcome: str | None
    objection_answered_at: Instant | None
    objection_answer: str | None

    @classmethod
    def of(cls, task: Task) -> "TaskOut":
        overdue = task.closed_at is None and task.due_at is not None and task.due_at < now()
        return cls.model_validate({**columns_of(task), "overdue": overdue})


class WarningOut(BaseModel):
    """Something the officer should act on that does not stop the request."""

    code: str = Field(description="renewal_due_after_end: a task is due after the control it renews ends.")
    message: str
    task_id: int
    unit_code: str
    due_date: date
    control_id: int
    control_end: date


class RequestOut(BaseModel):
    id: int
    request_no: str
    court_code: str
    action: str
    status: str
    case_no: str
    subject_name: str
    subject_id_number: str
    issued_at: Instant
    received_at: Instant
    document_sha256: str
    signed_by: str | None = Field(
        None, description="sha256 fingerprint of the registered certificate its signature verified with."
    )
    origin: str = Field(
        "hub", description="hub: sent through the hub; imported: the record of a control made before the hub."
    )
    files: list[FileOut]
    tasks: list[TaskOut]
    warnings: list[WarningOut] = Field(
        default_factory=list, description="What the officer should act on (the request stands)."
    )

    @classmethod
    def of(cls, request: Request, warnings: list[LateRenewal] = ()) -> "RequestOut":
        return cls.model_validate(
            {
                **columns_of(request),
                "files": _files(request.files),
                "tasks": [TaskOut.of(t) for t in request.tasks],
                "warnings": [
                    WarningOut(
                        code="renewal_due_after_end",
                        message=w.message,
                        task_id=w.task_id,
                        unit_code=w.unit_code,
                        due_date=w.due,
                        control_id=w.control_id,
                        control_end=w.control_end,
                    )
                    for w in warnings
                ],
            }
        )


class TaskDetailOut(TaskOut):
    request_no: str
    court_code: str
    action: str
    case_no: str
    subject_name: str
    subject_id_number: str
    files: list[FileOut]

    @classmethod
    def of(cls, task: Task) -> "TaskDetailOut":
        request = task.request  # the task's own fields (id, status) win over the request's
        return cls.model_validate(
            {**columns_of(request), **TaskOut.of(task).model_dump(), "files": _files(request.files)}
        )


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class EncumbranceOut(BaseModel):
    """A seal, mortgage or other right the unit's register shows on a found asset (STANDARD.md, Encumbrance)."""

    kind: str = Field(
        description="MORTGAGE, SEAL (a waiting-list seal too), FREEZE (of an account), ADVANCE_NOTICE, OBJECTION or OTHER."
    )
    holder: str | None = Field(None, description="The mortgagee, the sealing court.")
    registration_no: str | None = Field(None, description="The unit's own number of the registration.")
    reference: str | None = Field(
        None,
        description="A seal's ruling number (文号), a mortgage's certificate of other rights (不动产登记证明号).",
    )
    amount: Decimal | None = Field(None, description="The secured amount (被担保债权数额 or 最高债权额).")
    currency: str | None = None
    start: date | None = None
    end: date | None = None
    description: str | None = None


class FoundAssetOut(BaseModel):
    asset_class: str
    asset_id: str
    description: str | None
    value: Decimal | None
    currency: str | None
    status: str | None
    owners: list[dict[str, str | None]]
    encumbrances: list[EncumbranceOut] = []


class ReceiptDetailOut(BaseModel):
    id: int
    task_id: int
    unit_code: str
    receipt_no: str
    final: bool
    outcome: str
    reason_code: str | None
    reason_text: str | None
    handler_name: str
    handled_at: Instant
    received_at: Instant
    document_sha256: str
    signed_by: str | None = Field(
        None, description="sha256 fingerprint of the registered certificate its signature verified with."
    )
    origin: str = Field(
        "hub", description="hub: sent through the hub; imported: the record of a control made before the hub."
    )
    files: list[FileOut]
    assets: list[FoundAssetOut]

    @classmethod
    def of(cls, receipt: Receipt, assets: list[FoundAsset]) -> "ReceiptDetailOut":
        return cls.model_validate(
            {
                **columns_of(receipt),
                "files": _files(receipt.files),
                "assets": [FoundAssetOut.model_validate(a, from_attributes=True) for a in assets],
            }
        )
