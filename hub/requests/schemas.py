"""The JSON the API answers with for requests and tasks. The XML standard and these shapes change apart."""

from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel

from hub.clock import Instant, now
from hub.models import FoundAsset, Receipt, Request, Task


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
    acknowledged_at: Instant | None
    closed_at: Instant | None
    outcome: str | None

    @classmethod
    def of(cls, task: Task) -> "TaskOut":
        overdue = task.closed_at is None and task.due_at is not None and task.due_at < now()
        return cls(
            id=task.id,
            request_id=task.request_id,
            unit_code=task.unit_code,
            status=task.status,
            limit_days=task.limit_days,
            served_at=task.served_at,
            due_at=task.due_at,
            due_provisional=task.due_provisional,
            overdue=overdue,
            acknowledged_at=task.acknowledged_at,
            closed_at=task.closed_at,
            outcome=task.outcome,
        )


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
    files: list[FileOut]
    tasks: list[TaskOut]

    @classmethod
    def of(cls, request: Request) -> "RequestOut":
        return cls(
            id=request.id,
            request_no=request.request_no,
            court_code=request.court_code,
            action=request.action,
            status=request.status,
            case_no=request.case_no,
            subject_name=request.subject_name,
            subject_id_number=request.subject_id_number,
            issued_at=request.issued_at,
            received_at=request.received_at,
            document_sha256=request.document_sha256,
            files=[FileOut(type=f.type, filename=f.filename, sha256=f.sha256) for f in request.files],
            tasks=[TaskOut.of(t) for t in request.tasks],
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
        request = task.request
        return cls(
            **TaskOut.of(task).model_dump(),
            request_no=request.request_no,
            court_code=request.court_code,
            action=request.action,
            case_no=request.case_no,
            subject_name=request.subject_name,
            subject_id_number=request.subject_id_number,
            files=[FileOut(type=f.type, filename=f.filename, sha256=f.sha256) for f in request.files],
        )


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class FoundAssetOut(BaseModel):
    asset_class: str
    asset_id: str
    description: str | None
    value: Decimal | None
    currency: str | None
    status: str | None
    owners: list[dict[str, str | None]]


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
    files: list[FileOut]
    assets: list[FoundAssetOut]

    @classmethod
    def of(cls, receipt: Receipt, assets: list[FoundAsset]) -> "ReceiptDetailOut":
        return cls(
            id=receipt.id,
            task_id=receipt.task_id,
            unit_code=receipt.unit_code,
            receipt_no=receipt.receipt_no,
            final=receipt.final,
            outcome=receipt.outcome,
            reason_code=receipt.reason_code,
            reason_text=receipt.reason_text,
            handler_name=receipt.handler_name,
            handled_at=receipt.handled_at,
            received_at=receipt.received_at,
            document_sha256=receipt.document_sha256,
            files=[FileOut(type=f.type, filename=f.filename, sha256=f.sha256) for f in receipt.files],
            assets=[FoundAssetOut.model_validate(a, from_attributes=True) for a in assets],
        )
