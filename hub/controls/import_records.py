"""What the hub writes for a control made before it and imported (imports.py): what it would have had, had
the control been made through it, so that lists, alerts, renewals, releases, the control's history and the
evidence export take it as any other.

For each row:
- a Request with origin "imported" and status done, its document an AssistanceRequest written from the row
  (`request_record`: the officer named as its officer, who is told when the control ends), numbered
  BL-<12 hex> from the court, unit, registration number and asset (`record_no`), so that the same row
  always gets the same number;
- as its RULING and NOTICE, two text files the hub writes (裁定书（补录记录）.txt, 协助执行通知书（补录记录）.txt)
  that say they are the import's records of the ruling (its number) and of the notice, not the documents,
  whose originals stay in the case file. They are nobody's files to send (no blob owner): a request that
  lists them without sending them is refused, so they never reach a unit as a ruling;
- a completed Task with no served_at and no due_at (no deadline, figure or overdue alert counts it), and a
  CONTROLLED Receipt written from the row, numbered as the request, handled by the one who imported it;
- the Control, registered by the state machine's IMPORTED event (ACTIVE), its period as registered.
Audit: request.received and receipt.received as for any request (with origin "imported", the file's
sha256 and the row), and control.imported.

A renewal or release drafted from an imported control cannot list the records as its documents: the
officer uploads the new ruling and the notice on the control's page (`stand_in_digests` tells the page
which of a draft's documents must be replaced), and the API's renewal draft answers 409
(`imported_refusal`); the e-mail that a control is ending attaches no draft of it.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.blobs import BlobStore
from hub.controls.import_file import FileRow
from hub.controls.states import Cause, ControlEvent, register
from hub.directory.service import unit_limit
from hub.models import Control, Court, Item, Receipt, Request, RequestFile, Task, Unit, User
from hub.requests.service import record_received
from hub.standard.codes import Outcome
from hub.standard.labels import label
from hub.standard.notice import chinese_date, chinese_money
from hub.standard.rules import inspect
from hub.standard.write_receipt import ControlEntry, ReceiptDraft, write_receipt
from hub.standard.write_request import DocumentDraft, ItemDraft, RequestDraft, SubjectDraft, write_request
from hub.standard.xml import DocumentError
from receipts.service import record_receipt

IMPORTED = "imported"  # requests.origin of an imported control's record


@dataclass(frozen=True)
class Importing:
    """One import as its records say it: the court, who imports, the file's sha256, the actor and instant."""

    court: Court
    importer_id: int
    importer_name: str
    sha256: str
    blobs: BlobStore
    actor: str
    at: datetime


@dataclass(frozen=True)
class Record:
    """The request the hub writes for a row: its number, its document, and the files it lists."""

    request_no: str
    document: bytes
    files: tuple[tuple[DocumentDraft, bytes], ...]


def record_no(court_code: str, unit_code: str, registration_no: str, asset_id: str) -> str:
    """The RequestNo of a row's record: the same row of the same court always gets the same one."""
    key = "\x1f".join((court_code, unit_code, registration_no, asset_id)).encode()
    return "BL-" + hashlib.sha256(key).hexdigest()[:12].upper()


def request_record(court: Court, row: FileRow, unit: Unit, officer: User, *, by: str, at: datetime) -> Record:
    """The request a row stands for: the document the hub would have had, and the stand-ins it lists."""
    assert row.action and row.asset_class and row.subject_kind and row.id_type and row.start and row.end
    number = record_no(court.code, unit.code, row.registration_no, row.asset_id)
    files = tuple(
        (DocumentDraft.of(kind, f"{name}（补录记录）.txt", text), text)
        for kind, name, text in _stand_in_texts(court, row, unit)
    )
    draft = RequestDraft(
        request_no=number,
        issued_at=at,
        court_code=court.code,
        court_name=court.name,
        officer_name=officer.display_name,
        officer_credential_no=officer.credential_no,
        case_no=row.case_no,
        action=str(row.action),
        subject=SubjectDraft(str(row.subject_kind), row.subject_name, str(row.id_type), row.id_number),
        targets=(unit.code,),
        items=(
            ItemDraft(
                asset_class=str(row.asset_class),
                asset_id=row.asset_id,
                description=row.description,
                amount=row.amount,
                period_start=row.start,
                period_end=row.end,
            ),
        ),
        documents=tuple(draft for draft, _ in files),
        remarks=(
            f"补录：该{label(row.action)}措施于平台建立前已经采取，裁定书文号{row.ruling_no}，"
            f"协助单位登记编号{row.registration_no}；由{by}补录到平台。所附文书是平台生成的补录记录，"
            "不是裁定书和协助执行通知书原件。"
        ),
    )
    return Record(number, write_request(draft), files)


def _stand_in_texts(court: Court, row: FileRow, unit: Unit) -> list[tuple[str, str, bytes]]:
    """(type, name, text) of the records that stand in the request for its ruling and its notice."""
    assert row.action and row.asset_class and row.start and row.end and row.id_type
    facts = [
        f"法院：{court.name}（{court.code}）",
        f"案号：{row.case_no}",
        f"裁定书文号：{row.ruling_no}",
        f"被执行人：{row.subject_name}（{label(row.id_type)} {row.id_number}）",
        f"协助单位：{unit.name}（{unit.code}）",
        f"措施：{label(row.action)} {label(row.asset_class)} {row.asset_id}",
        f"登记编号：{row.registration_no}",
        f"期限：{chinese_date(row.start)}至{chinese_date(row.end)}",
    ]
    if row.amount is not None:
        facts.append(f"金额：{chinese_money(row.amount)}")
    stand_ins = []
    for kind, name in (("RULING", "裁定书"), ("NOTICE", "协助执行通知书")):
        text = [
            f"补录记录：本文件由执行联动平台生成，不是{name}原件。",
            "",
            "该控制措施在平台建立之前已经采取，由法院补录到平台，以便平台提醒到期，并通过平台办理续行和解除。",
            f"{name}原件存于案卷，平台中没有其电子文本；续行或解除时，请上传新的裁定书和协助执行通知书。",
            "",
            *facts,
        ]
        stand_ins.append((kind, name, ("\r\n".join(text) + "\r\n").encode()))
    return stand_ins


# --- writing a row ------------------------------------------------------------------------------------


def write_record(
    session: Session, importing: Importing, *, row: FileRow, unit: Unit, officer: User, made: Record
) -> Control:
    """Write a row's request, task, receipt and control with their audit events (the module's docstring);
    the control's. Flushes; IntegrityError when the request's number was taken meanwhile."""
    court, actor, at = importing.court, importing.actor, importing.at
    assert row.action and row.start and row.end
    assert row.asset_class and row.subject_kind and row.id_type
    document_sha256 = importing.blobs.put(session, made.document)
    for _, text in made.files:
        importing.blobs.put(session, text)  # owned by nobody: no request may list them unsent
    request = Request(
        court_code=court.code,
        request_no=made.request_no,
        action=str(row.action),
        status="done",
        case_no=row.case_no,
        issued_at=at,
        received_at=at,
        officer_name=officer.display_name,
        officer_credential_no=officer.credential_no,
        subject_kind=str(row.subject_kind),
        subject_name=row.subject_name,
        subject_id_type=str(row.id_type),
        subject_id_number=row.id_number,
        all_capable=False,
        submitted_by=officer.id,
        document_sha256=document_sha256,
        origin=IMPORTED,
        files=[RequestFile(type=d.type, filename=d.filename, sha256=d.sha256) for d, _ in made.files],
        items=[
            Item(
                position=1,
                asset_class=str(row.asset_class),
                asset_id=row.asset_id,
                description=row.description,
                amount=row.amount,
                currency="CNY" if row.amount is not None else None,
                period_start=row.start,
                period_end=row.end,
            )
        ],
    )
    task = Task(
        request=request,
        unit_code=unit.code,
        status="completed",
        limit_days=unit_limit(unit, row.action),
        created_at=at,
        closed_at=at,
        outcome=str(Outcome.CONTROLLED),
    )
    session.add_all((request, task))
    session.flush()
    origin = {"origin": IMPORTED, "import": importing.sha256, "row": row.row}
    record_received(session, request, actor=actor, units=[unit.code], **origin)
    receipt = _receipt(session, importing, row=row, unit=unit, task=task, made=made)
    control = Control(
        court_code=court.code,
        unit_code=unit.code,
        request_id=request.id,
        task_id=task.id,
        receipt_id=receipt.id,
        kind=str(row.action),
        asset_class=str(row.asset_class),
        asset_id=row.asset_id,
        registration_no=row.registration_no,
        requested_start=row.start,
        requested_end=row.end,
        period_start=row.start,
        period_end=row.end,
        amount=row.amount,
        currency="CNY" if row.amount is not None else None,
    )
    register(
        session,
        control,
        ControlEvent.IMPORTED,
        cause=Cause.COURT_IMPORT,
        at=at,
        actor=actor,
        data={"task": task.id, "receipt_no": receipt.receipt_no, "ruling_no": row.ruling_no, **origin},
    )
    record_receipt(session, receipt, task, actor=actor, controls=[control], **origin)
    return control


def _receipt(
    session: Session, importing: Importing, *, row: FileRow, unit: Unit, task: Task, made: Record
) -> Receipt:
    """The CONTROLLED receipt of a row's task: what the unit registered, as the row says it."""
    assert row.asset_class is not None
    at = importing.at
    handler = f"{importing.importer_name[:44]}（补录）"
    document = write_receipt(
        ReceiptDraft(
            request_no=made.request_no,
            unit_code=unit.code,
            receipt_no=made.request_no,
            handled_at=at,
            handler_name=handler,
            outcome=Outcome.CONTROLLED,
            controls=(
                ControlEntry(
                    row.asset_class, row.asset_id, row.registration_no, row.start, row.end, row.amount
                ),
            ),
        )
    )
    try:
        inspect(document, expect="receipt")
    except DocumentError as exc:
        raise RuntimeError(f"the import's receipt for line {row.row} breaks the standard: {exc}") from exc
    receipt = Receipt(
        task_id=task.id,
        unit_code=unit.code,
        receipt_no=made.request_no,
        final=True,
        outcome=str(Outcome.CONTROLLED),
        handler_name=handler,
        handled_at=at,
        received_at=at,
        submitted_by=importing.importer_id,
        document_sha256=importing.blobs.put(session, document),
    )
    session.add(receipt)
    session.flush()
    return receipt


# --- drafts from an imported control -----------------------------------------------------------------


def stand_in_digests(session: Session, *, digests: Iterable[str]) -> set[str]:
    """Those of `digests` that are an import's records standing in for a ruling or a notice: a draft that
    lists one must have it replaced by the document itself."""
    wanted = set(digests)
    if not wanted:
        return set()
    return set(
        session.execute(
            select(RequestFile.sha256)
            .join(Request, Request.id == RequestFile.request_id)
            .where(Request.origin == IMPORTED, RequestFile.sha256.in_(wanted))
        ).scalars()
    )


def imported_refusal(session: Session, *, control: Control) -> str | None:
    """Why no request can be drafted from `control` ready to post: it was imported, and the hub holds no
    ruling or notice of it to list. None for a control made through the hub."""
    request = session.get_one(Request, control.request_id)
    if request.origin != IMPORTED:
        return None
    return (
        f"Control {control.id} was imported (made before the hub): the hub holds no ruling or notice of it "
        f"to list in a draft. Renew or release it on its page /controls/{control.id}, uploading the new "
        "ruling and the notice, or post a RENEW request with them."
    )
