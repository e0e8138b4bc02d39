"""Export a case as evidence: its stored requests, receipts and files byte for byte, its audit events, a summary,
and a manifest of their sha256 sums signed with the hub's identity (the layout: hub/evidence/__init__.py)."""

import hashlib
import json
import os
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hub.audit import digest_of, record
from hub.clock import SHANGHAI, now
from hub.context import Hub
from hub.db import unit_of_work
from hub.evidence import layout
from hub.evidence.summary import CaseRecords, Header, render
from hub.keys import Identity
from hub.models import AuditEvent, AuditHead, Control, Court, FoundAsset, Receipt, Request, Unit
from hub.standard.filenames import key_of, safe_name
from hub.standard.signatures import fingerprint

EXPORTED = "evidence.exported"


class EvidenceError(Exception):
    """Nothing was exported; the message says why and what to do."""


class ExportRefused(EvidenceError):
    """The case cannot be named that way, or the file cannot be written there."""


class StoreDamaged(EvidenceError):
    """A stored file or audit event no longer matches its sha256: the hub will not sign it as evidence."""


@dataclass(frozen=True)
class Exported:
    path: Path
    case_no: str
    court_code: str
    members: int  # listed in the manifest
    size: int  # of the archive, bytes
    manifest_sha256: str
    audit_events: int
    certificate_sha256: str | None  # None: unsigned


@dataclass(frozen=True)
class _Member:
    path: str
    kind: str
    sha256: str  # of the stored blob
    audit_seq: int | None = None  # the event that recorded this document's sha256
    document: str | None = None  # the member (request or receipt) that lists this file
    name: str | None = None  # the file's name as its document lists it


@dataclass(frozen=True)
class _Case:
    case_no: str
    court: Court
    members: list[_Member]
    audit: bytes
    audit_events: int
    summary: str
    head: tuple[int, str]


def case_numbers(case_no: str) -> list[str]:
    """The ways the standard lets a court write `case_no`: as given, with ASCII or with full-width brackets."""
    ascii_form = case_no.strip().replace("（", "(").replace("）", ")")
    wide_form = ascii_form.replace("(", "（").replace(")", "）")
    return sorted({case_no.strip(), ascii_form, wide_form})


def hub_version() -> str:
    try:
        return metadata.version("linkage-hub")
    except metadata.PackageNotFoundError:
        return "unknown"


def _requests(session: Session, *, case_no: str, court_code: str | None) -> tuple[Court, list[Request]]:
    """The case's requests: of `court_code`, or of the only court that used this case number."""
    query = select(Request).where(Request.case_no.in_(case_numbers(case_no)))
    if court_code is not None:
        if session.get(Court, court_code) is None:
            raise ExportRefused(f"no court {court_code!r} in the directory")
        query = query.where(Request.court_code == court_code)
    requests = list(session.execute(query.order_by(Request.received_at, Request.id)).scalars())
    if not requests:
        where = f" from court {court_code}" if court_code else ""
        raise ExportRefused(
            f"no request{where} has case number {case_no!r} (it must be written as in the requests' CaseNo)"
        )
    courts = sorted({r.court_code for r in requests})
    if len(courts) > 1:
        raise ExportRefused(
            f"case number {case_no!r} is used by requests of {len(courts)} courts ({', '.join(courts)}): "
            "a case belongs to one court, say which with --court CODE"
        )
    court = session.get(Court, courts[0])
    assert court is not None
    return court, requests


def _events(session: Session, *, court: Court, requests: list[Request], head_seq: int) -> list[AuditEvent]:
    """The chain's events about the case's requests, tasks and controls, and its earlier exports."""
    tasks = [t.id for r in requests for t in r.tasks]
    controls = session.execute(select(Control.id).where(Control.request_id.in_([r.id for r in requests])))
    about = [
        ("request", [str(r.id) for r in requests]),
        ("task", [str(t) for t in tasks]),
        ("control", [str(c) for c in controls.scalars()]),
    ]
    condition = or_(
        *(and_(AuditEvent.entity == entity, AuditEvent.entity_id.in_(ids)) for entity, ids in about if ids),
        and_(AuditEvent.entity == "court", AuditEvent.entity_id == court.code, AuditEvent.kind == EXPORTED),
    )
    events = session.execute(
        select(AuditEvent).where(condition, AuditEvent.seq <= head_seq).order_by(AuditEvent.seq)
    ).scalars()
    numbers = set(case_numbers(requests[0].case_no))
    chosen = [e for e in events if e.kind != EXPORTED or json.loads(e.data).get("case_no") in numbers]
    for event in chosen:
        digest = digest_of(event, event.prev_hash)
        if digest != event.hash:
            raise StoreDamaged(
                f"audit event {event.seq} does not match its hash: the chain is broken (hub audit verify)"
            )
    return chosen


def _audit_line(event: AuditEvent) -> bytes:
    fields = {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "kind": event.kind,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "data": event.data,  # the canonical JSON text the hash covers, as stored
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


@dataclass(frozen=True)
class _Paths:
    """Where each stored document and file lies in the archive (hub/evidence/__init__.py)."""

    request_nos: dict[int, str]  # by task id
    # the name in the archive of each file of a folder: the listed name, or one every system can extract
    # (a document stored before the standard limited names may list CON or a name of 360 bytes)
    names: dict[str, dict[str, str]] = field(default_factory=dict)

    def __call__(self, owner: Request | Receipt, filename: str | None = None) -> str:
        if isinstance(owner, Request):
            folder, document = layout.request_dir(owner.request_no), "request.xml"
        else:
            folder = layout.receipt_dir(self.request_nos[owner.task_id], owner.unit_code, owner.receipt_no)
            document = "receipt.xml"
        if filename is None:
            return f"{folder}/{document}"
        if folder not in self.names:
            taken = {key_of(document)}
            self.names[folder] = {f.filename: safe_name(f.filename, taken=taken) for f in owner.files}
        return f"{folder}/files/{self.names[folder][filename]}"


def _records(session: Session, requests: list[Request]) -> CaseRecords:
    tasks = {t.id: t for r in requests for t in r.tasks}
    numbers = {r.id: r.request_no for r in requests}
    records = CaseRecords(
        requests=requests,
        units=dict(
            session.execute(
                select(Unit.code, Unit.name).where(Unit.code.in_({t.unit_code for t in tasks.values()}))
            ).all()
        ),
        receipts={},
        controls={},
        found={},
        path=_Paths({t.id: numbers[t.request_id] for t in tasks.values()}),
    )
    by_arrival = (Receipt.received_at, Receipt.id)
    for receipt in session.execute(
        select(Receipt).where(Receipt.task_id.in_(tasks)).order_by(*by_arrival)
    ).scalars():
        records.receipts.setdefault(receipt.task_id, []).append(receipt)
    for control in session.execute(
        select(Control).where(Control.task_id.in_(tasks)).order_by(Control.id)
    ).scalars():
        records.controls.setdefault(control.task_id, []).append(control)
    for asset in session.execute(
        select(FoundAsset).where(FoundAsset.task_id.in_(tasks)).order_by(FoundAsset.id)
    ).scalars():
        records.found.setdefault(asset.receipt_id, []).append(asset)
    return records


def _members(records: CaseRecords, events: list[AuditEvent]) -> list[_Member]:
    """The stored documents and files in archive order, each document with the audit event that recorded it."""
    received = {e.entity_id: e.seq for e in events if e.kind == "request.received"}
    answered = {
        (e.entity_id, json.loads(e.data).get("receipt_no")): e.seq
        for e in events
        if e.kind == "receipt.received"
    }
    members = []
    for request in records.requests:
        document = records.path(request)
        members.append(
            _Member(document, layout.REQUEST, request.document_sha256, received.get(str(request.id)))
        )
        members.extend(
            _Member(
                records.path(request, f.filename),
                layout.REQUEST_FILE,
                f.sha256,
                document=document,
                name=f.filename,
            )
            for f in request.files
        )
        for task in request.tasks:
            for receipt in records.receipts.get(task.id, []):
                document = records.path(receipt)
                seq = answered.get((str(task.id), receipt.receipt_no))
                members.append(_Member(document, layout.RECEIPT, receipt.document_sha256, seq))
                members.extend(
                    _Member(
                        records.path(receipt, f.filename),
                        layout.RECEIPT_FILE,
                        f.sha256,
                        document=document,
                        name=f.filename,
                    )
                    for f in receipt.files
                )
    return members


def _read_case(
    session: Session, *, case_no: str, court_code: str | None, exported_at: datetime, actor: str
) -> _Case:
    court, requests = _requests(session, case_no=case_no, court_code=court_code)
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, "0" * 64)
    events = _events(session, court=court, requests=requests, head_seq=head_seq)
    records = _records(session, requests)
    header = Header(
        case_no=requests[0].case_no,
        court=court,
        exported_at=exported_at,
        actor=actor,
        version=hub_version(),
        head_seq=head_seq,
        head_hash=head_hash,
        audit_events=len(events),
    )
    return _Case(
        case_no=header.case_no,
        court=court,
        members=_members(records, events),
        audit=b"".join(_audit_line(e) for e in events),
        audit_events=len(events),
        summary=render(header, records),
        head=(head_seq, head_hash),
    )


class _Writer:
    """Members into the ZIP file, each remembered with its size and sha256 for the manifest."""

    def __init__(self, archive: zipfile.ZipFile, at: datetime) -> None:
        self.archive = archive
        self.listed: list[dict[str, object]] = []
        self.date_time = at.astimezone(SHANGHAI).timetuple()[:6]

    def add(self, path: str, data: bytes, *, listed: dict[str, object] | None = None) -> None:
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
        self.archive.writestr(info, data)
        if listed is not None:
            self.listed.append(
                {"path": path, **listed, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            )


def _stored(hub: Hub, member: _Member) -> bytes:
    try:
        data = hub.blobs.read(member.sha256)
    except FileNotFoundError:
        raise StoreDamaged(
            f"{member.path}: its stored file {member.sha256} is missing from the blob store"
        ) from None
    if hashlib.sha256(data).hexdigest() != member.sha256:
        raise StoreDamaged(f"{member.path}: its stored file {member.sha256} no longer matches that sha256")
    return data


def _write_archive(
    hub: Hub, case: _Case, part: Path, *, exported_at: datetime, actor: str, identity: Identity | None
) -> tuple[int, str, str | None]:
    """Write the archive to `part`: (members listed, manifest sha256, certificate fingerprint or None)."""
    certificate = fingerprint(identity.certificate) if identity else None
    with zipfile.ZipFile(part, "x") as archive:
        writer = _Writer(archive, exported_at)
        for member in case.members:
            extra: dict[str, object] = {"kind": member.kind}
            if member.audit_seq is not None:
                extra["audit_seq"] = member.audit_seq
            if member.document is not None:
                extra["document"] = member.document
            if member.name is not None and not member.path.endswith(f"/{member.name}"):
                extra["filename"] = member.name  # written under a name every system can extract
            writer.add(member.path, _stored(hub, member), listed=extra)
        writer.add(
            layout.AUDIT, case.audit, listed={"kind": layout.AUDIT_EVENTS, "events": case.audit_events}
        )
        writer.add(layout.SUMMARY, case.summary.encode(), listed={"kind": layout.SUMMARY_TEXT})
        manifest = {
            "format": layout.FORMAT,
            "case_no": case.case_no,
            "court": {"code": case.court.code, "name": case.court.name},
            "exported_at": exported_at.astimezone(SHANGHAI).isoformat(),
            "exported_by": actor,
            "hub_version": hub_version(),
            "audit_head": {"seq": case.head[0], "hash": case.head[1]},
            "signature": (
                {
                    "file": layout.SIGNATURE,
                    "certificate": layout.CERTIFICATE,
                    "certificate_sha256": certificate,
                }
                if identity
                else None
            ),
            "members": writer.listed,
        }
        data = json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n"
        writer.add(layout.MANIFEST, data)
        if identity is not None:
            signature = layout.sign(identity.key_pem, data)
            if not layout.signature_holds(identity.certificate, data, signature):
                raise layout.SigningError("HUB_SIGNING_KEY_FILE is not the key of HUB_SIGNING_CERT_FILE")
            writer.add(layout.SIGNATURE, signature)
            writer.add(layout.CERTIFICATE, identity.cert_pem)
    return len(writer.listed), hashlib.sha256(data).hexdigest(), certificate


def export_case(
    hub: Hub, *, case_no: str, court_code: str | None, target: Path, identity: Identity | None, actor: str
) -> Exported:
    """Write the evidence archive of the case to `target` (never overwritten) and record the export in the
    audit chain. Signed with `identity`; unsigned when it is None (the caller decides whether that is allowed).

    Raises ExportRefused (no such case, several courts, `target` exists) or StoreDamaged (a stored file or audit
    event no longer matches its hash); nothing is written then.
    """
    if not target.parent.is_dir():
        raise ExportRefused(f"{target.parent} is not a folder: the archive cannot be written there")
    if target.exists():
        raise ExportRefused(
            f"{target} exists already: evidence is never overwritten, choose another file name"
        )
    exported_at = now()
    with unit_of_work(hub.sessions) as session:
        case = _read_case(
            session, case_no=case_no, court_code=court_code, exported_at=exported_at, actor=actor
        )
    part = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    placed = False
    try:
        members, manifest_sha256, certificate = _write_archive(
            hub, case, part, exported_at=exported_at, actor=actor, identity=identity
        )
        with unit_of_work(hub.sessions) as session:
            record(
                session,
                actor=actor,
                kind=EXPORTED,
                entity="court",  # entity_id holds 40 characters; a CaseNo may have 60
                entity_id=case.court.code,
                data={
                    "case_no": case.case_no,
                    "file": target.name,
                    "members": members,
                    "manifest_sha256": manifest_sha256,
                    "certificate_sha256": certificate,
                },
            )
            os.replace(part, target)
            placed = True
    except BaseException:
        (target if placed else part).unlink(missing_ok=True)
        raise
    return Exported(
        path=target,
        case_no=case.case_no,
        court_code=case.court.code,
        members=members,
        size=target.stat().st_size,
        manifest_sha256=manifest_sha256,
        audit_events=case.audit_events,
        certificate_sha256=certificate,
    )
