from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from hub.auth.service import Principal
from hub.blobs import blob_response
from hub.clock import now
from hub.controls.schemas import ControlOut
from hub.db import reading
from hub.deps import HubDep, PrincipalDep, SessionDep, SubmissionDep
from hub.errors import Forbidden, NotFound
from hub.models import FoundAsset, Receipt, Task
from hub.requests.schemas import Page, ReceiptDetailOut, TaskDetailOut, TaskOut
from hub.tasks.service import answer_objection, mark_viewed, unit_tasks, visible_task
from receipts.service import submit_receipt

router = APIRouter(prefix="/api/v1", tags=["tasks"])


@router.get("/units/{unit_code}/tasks", response_model=Page[TaskDetailOut])
def get_unit_tasks(
    unit_code: str,
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[
        Literal["open", "closed", "created", "served", "acknowledged", "completed", "objected", "cancelled"]
        | None,
        Query(description="open: not yet answered finally; closed: answered or cancelled."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[TaskDetailOut]:
    """The pull channel: a unit's tasks, soonest due first."""
    rows, total = unit_tasks(
        session, principal=principal, unit_code=unit_code, status=status, limit=limit, offset=offset
    )
    return Page(items=[TaskDetailOut.of(t) for t in rows], total=total, limit=limit, offset=offset)


@router.get("/tasks/{task_id}", response_model=TaskDetailOut)
def get_task(task_id: int, session: SessionDep, principal: PrincipalDep) -> TaskDetailOut:
    return TaskDetailOut.of(visible_task(session, principal=principal, task_id=task_id))


@router.get("/tasks/{task_id}/document", response_class=Response)
def get_task_document(task_id: int, session: SessionDep, principal: PrincipalDep, hub: HubDep) -> Response:
    """The request XML exactly as the court sent it."""
    task = visible_task(session, principal=principal, task_id=task_id)
    mark_viewed(session, principal=principal, task=task, at=now())
    return blob_response(
        hub.blobs, task.request.document_sha256, "application/xml", filename=f"{task.request.request_no}.xml"
    )


@router.get("/tasks/{task_id}/files/{filename}", response_class=Response)
def get_task_file(
    task_id: int, filename: str, session: SessionDep, principal: PrincipalDep, hub: HubDep
) -> Response:
    """A document listed in the request (ruling, notice), byte for byte."""
    task = visible_task(session, principal=principal, task_id=task_id)
    ref = next((f for f in task.request.files if f.filename == filename), None)
    if ref is None:
        raise NotFound(f"Request {task.request.request_no} lists no file named {filename}.")
    return blob_response(hub.blobs, ref.sha256, "application/octet-stream", filename=filename)


@router.get("/tasks/{task_id}/receipts", response_model=list[ReceiptDetailOut])
def get_task_receipts(task_id: int, session: SessionDep, principal: PrincipalDep) -> list[ReceiptDetailOut]:
    """The receipts of a task, oldest first: outcome, reason, what was found, the attachments."""
    task = visible_task(session, principal=principal, task_id=task_id)
    receipts = (
        session.execute(select(Receipt).where(Receipt.task_id == task.id).order_by(Receipt.id))
        .scalars()
        .all()
    )
    assets = session.execute(
        select(FoundAsset).where(FoundAsset.task_id == task.id).order_by(FoundAsset.id)
    ).scalars()
    by_receipt: dict[int, list[FoundAsset]] = {}
    for asset in assets:
        by_receipt.setdefault(asset.receipt_id, []).append(asset)
    return [ReceiptDetailOut.of(r, by_receipt.get(r.id, [])) for r in receipts]


def _visible_receipt(session: SessionDep, principal: PrincipalDep, receipt_id: int) -> Receipt:
    """The receipt if its task is the caller's to see; one answer for "none" and "not yours", naming no task."""
    receipt = session.get(Receipt, receipt_id)
    try:
        if receipt is not None:
            visible_task(session, principal=principal, task_id=receipt.task_id)
            return receipt
    except NotFound:
        pass
    raise NotFound(f"There is no receipt {receipt_id} that you can see.")


@router.get("/receipts/{receipt_id}/document", response_class=Response)
def get_receipt_document(
    receipt_id: int, session: SessionDep, principal: PrincipalDep, hub: HubDep
) -> Response:
    """The receipt XML exactly as the unit sent it."""
    receipt = _visible_receipt(session, principal, receipt_id)
    return blob_response(
        hub.blobs, receipt.document_sha256, "application/xml", filename=f"{receipt.receipt_no}.xml"
    )


@router.get("/receipts/{receipt_id}/files/{filename}", response_class=Response)
def get_receipt_file(
    receipt_id: int, filename: str, session: SessionDep, principal: PrincipalDep, hub: HubDep
) -> Response:
    """An attachment of a receipt (the signed scan, a written objection), byte for byte."""
    receipt = _visible_receipt(session, principal, receipt_id)
    ref = next((f for f in receipt.files if f.filename == filename), None)
    if ref is None:
        raise NotFound(f"Receipt {receipt.receipt_no} lists no file named {filename}.")
    return blob_response(hub.blobs, ref.sha256, "application/octet-stream", filename=filename)


class ReceiptOut(BaseModel):
    receipt_id: int
    receipt_no: str
    outcome: str
    final: bool
    signed_by: str | None = Field(
        None, description="sha256 fingerprint of the unit's certificate its signature verified with."
    )
    task: TaskOut
    controls: list[ControlOut]


def answering_unit(task_id: int, hub: HubDep, principal: PrincipalDep) -> Principal:
    """The caller if it may answer the task: its unit's staff or system. Checked in a short read-only
    transaction of its own before the body is read, so that no one learns how a document would be judged
    for a task that is not theirs."""
    if not principal.is_unit:
        raise Forbidden("Only a member unit's staff or system can post receipts.")
    with reading(hub.readers) as session:
        visible_task(session, principal=principal, task_id=task_id)
    return principal


@router.post("/tasks/{task_id}/receipts", response_model=ReceiptOut, status_code=201)
def post_receipt(
    task_id: int,
    principal: Annotated[Principal, Depends(answering_unit)],
    submission: SubmissionDep,
    hub: HubDep,
    session: SessionDep,
    response: Response,
) -> ReceiptOut:
    """Answer a task with an AssistanceReceipt: the XML, or multipart with `document` and `files` parts.

    201 with the task's new state and the controls the receipt created or changed. The same ReceiptNo
    with the same content again: 200 with the same body; with other content: 409; a closed task: 409.
    """
    applied = submit_receipt(
        session,
        settings=hub.settings,
        blobs=hub.blobs,
        principal=principal,
        task_id=task_id,
        submission=submission,
    )
    if not applied.created:
        response.status_code = 200
    return ReceiptOut(
        receipt_id=applied.receipt.id,
        receipt_no=applied.receipt.receipt_no,
        outcome=applied.receipt.outcome,
        final=applied.receipt.final,
        signed_by=applied.receipt.signed_by,
        task=TaskOut.of(applied.task),
        controls=[ControlOut.of(c) for c in applied.controls],
    )


class ObjectionAnswerIn(BaseModel):
    answer: str = Field(min_length=2, max_length=2000, description="The court's answer (异议答复).")


def objected_task(task_id: int, session: SessionDep, principal: PrincipalDep) -> Task:
    """The task whose objection an officer of its court answers: rights first, the body is judged then."""
    if principal.role != "officer" or not principal.is_court:
        raise Forbidden("Only an enforcement officer of the request's court can answer an objection.")
    return visible_task(session, principal=principal, task_id=task_id)


@router.post("/tasks/{task_id}/objection-answer", response_model=TaskDetailOut)
def post_objection_answer(
    task: Annotated[Task, Depends(objected_task)],
    body: ObjectionAnswerIn,
    session: SessionDep,
    principal: PrincipalDep,
) -> TaskDetailOut:
    """The officer answers a unit's objection (it must, within 15 days: the alerts remind him)."""
    task = answer_objection(session, principal=principal, task_id=task.id, answer=body.answer, at=now())
    return TaskDetailOut.of(task)
