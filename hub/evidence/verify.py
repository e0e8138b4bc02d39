"""The offline check of an evidence archive. It needs the file alone: no database, no settings.

In this order, stopping at the first failure and naming the member and why:
1. the file is a ZIP archive with unique member names, and manifest.json is a manifest of this format;
2. the signature: hub-cert.pem is a certificate (the pinned one, when there is one), the one the manifest
   names, and manifest.sig verifies over the bytes of manifest.json with its key;
3. every member the manifest lists is there with its size and sha256, and nothing else is there;
4. every audit event's hash recomputes from its fields and its prev_hash, consecutive events link, and none
   lies past the audit head the manifest records;
5. each request and receipt is the document whose sha256 its audit event recorded when it arrived, and each
   file is listed with its sha256 by the request or receipt it belongs to;
6. an unsigned archive fails here unless unsigned archives are allowed (and never when a certificate is pinned).
"""

import hashlib
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from hub import chain
from hub.chain import EVENT_FIELDS
from hub.evidence import layout
from hub.standard.signatures import fingerprint, load_certificate
from hub.standard.xml import DocumentError, parse

SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    member: str = ""  # the first member that failed
    reason: str = ""
    case_no: str = ""
    court: str = ""
    exported_at: str = ""
    members: int = 0  # listed in the manifest
    audit_events: int = 0
    signer: str | None = None  # the certificate's subject; None: unsigned
    certificate_sha256: str | None = None
    pinned: bool = False


class _Failed(Exception):
    def __init__(self, member: str, reason: str) -> None:
        super().__init__(f"{member}: {reason}")
        self.member, self.reason = member, reason


def event_hash(event: dict[str, Any]) -> str:
    """The hash an exported event must carry, from its own fields and prev_hash."""
    return chain.event_hash(event["prev_hash"], **{name: event[name] for name in EVENT_FIELDS})


_UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


def _size(n: int) -> str:
    return f"{n} bytes ({n / (1024 * 1024):.1f} MiB)"


class _Archive:
    """The members of a ZIP, each read at most once past its declared size, within layout's bounds."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.zip = archive
        self.names: set[str] = set()
        infos = archive.infolist()
        if len(infos) > layout.MAX_MEMBERS:
            raise _Failed(
                "", f"has {len(infos)} members, more than the {layout.MAX_MEMBERS} an archive may hold"
            )
        total = 0
        for info in infos:
            if info.filename in self.names:
                raise _Failed(info.filename, "is in the archive twice")
            self.names.add(info.filename)
            if info.file_size > layout.MAX_MEMBER_BYTES:
                raise _Failed(
                    info.filename,
                    f"declares {_size(info.file_size)}, more than the {_size(layout.MAX_MEMBER_BYTES)} "
                    "a member may hold: not read",
                )
            total += info.file_size
        if total > layout.MAX_TOTAL_BYTES:
            raise _Failed(
                "",
                f"declares {_size(total)} in all, more than the {_size(layout.MAX_TOTAL_BYTES)} checked: not read",
            )

    def declared_size(self, name: str) -> int:
        return self.zip.getinfo(name).file_size

    def pieces(self, name: str, limit: int) -> Iterator[bytes]:
        """The inflated bytes of a member in pieces of 1 MiB at most; _Failed once more than `limit` come out."""
        if self.declared_size(name) > limit:
            raise _Failed(
                name,
                f"declares {_size(self.declared_size(name))}, more than the {_size(limit)} the check reads of it: not read",
            )
        size = 0
        try:
            with self.zip.open(name) as handle:
                while piece := handle.read(1 << 20):
                    size += len(piece)
                    if size > limit:
                        raise _Failed(name, f"inflates past the {_size(limit)} it declares: not read further")
                    yield piece
        except _UNREADABLE as e:
            raise _Failed(name, f"cannot be read from the archive ({e})") from None

    def read(self, name: str) -> bytes:
        return b"".join(self.pieces(name, layout.MAX_READ_BYTES))

    def digest(self, name: str, limit: int) -> tuple[int, str]:
        """(size, sha256) of a member, read in pieces: at most `limit` bytes."""
        digest, size = hashlib.sha256(), 0
        for piece in self.pieces(name, limit):
            digest.update(piece)
            size += len(piece)
        return size, digest.hexdigest()


def _manifest(archive: _Archive) -> tuple[bytes, dict[str, Any]]:
    if layout.MANIFEST not in archive.names:
        raise _Failed(layout.MANIFEST, "is missing: this is not an evidence archive of the hub")
    data = archive.read(layout.MANIFEST)
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _Failed(layout.MANIFEST, f"is not valid JSON ({e}): it was changed") from None
    if not isinstance(manifest, dict) or manifest.get("format") != layout.FORMAT:
        raise _Failed(layout.MANIFEST, f"is not a manifest of the format {layout.FORMAT}")
    members = manifest.get("members")
    head = manifest.get("audit_head")
    if not (
        isinstance(members, list)
        and isinstance(head, dict)
        and type(head.get("seq")) is int
        and isinstance(head.get("hash"), str)
    ):
        raise _Failed(layout.MANIFEST, "has no list of members or no audit head (seq, hash)")
    seen = set()
    for entry in members:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not (
            isinstance(path, str)
            and isinstance(entry.get("size"), int)
            and isinstance(entry.get("sha256"), str)
            and SHA256.fullmatch(entry["sha256"])
        ):
            raise _Failed(layout.MANIFEST, f"lists a member without a path, a size and a sha256: {entry!r}")
        if path in seen or path in layout.UNLISTED:
            raise _Failed(layout.MANIFEST, f"lists {path} twice or lists a member it cannot list")
        seen.add(path)
    return data, manifest


def _signer(
    archive: _Archive, data: bytes, manifest: dict[str, Any], pinned: x509.Certificate | None
) -> x509.Certificate | None:
    """The certificate whose key signed the manifest, or None for an unsigned archive."""
    claimed = manifest.get("signature")
    if claimed is None:
        for name in (layout.SIGNATURE, layout.CERTIFICATE):
            if name in archive.names:
                raise _Failed(name, "is in the archive, but the manifest says the archive is unsigned")
        return None
    if not isinstance(claimed, dict):
        raise _Failed(layout.MANIFEST, "its signature entry is not an object")
    for name in (layout.CERTIFICATE, layout.SIGNATURE):
        if name not in archive.names:
            raise _Failed(name, "is missing, but the manifest says the archive is signed")
    try:
        certificate = load_certificate(archive.read(layout.CERTIFICATE))
    except ValueError as e:
        raise _Failed(layout.CERTIFICATE, f"is not a PEM certificate ({e})") from None
    found = fingerprint(certificate)
    if pinned is not None and found != fingerprint(pinned):
        raise _Failed(
            layout.CERTIFICATE,
            f"is not the pinned certificate: its sha256 fingerprint is {found}, the pinned one's is "
            f"{fingerprint(pinned)}",
        )
    if found != claimed.get("certificate_sha256"):
        raise _Failed(layout.CERTIFICATE, "its sha256 fingerprint is not the one the manifest names")
    if not layout.signature_holds(certificate, data, archive.read(layout.SIGNATURE)):
        raise _Failed(
            layout.SIGNATURE,
            f"does not verify over {layout.MANIFEST} with the key of {layout.CERTIFICATE}: "
            f"{layout.MANIFEST} or {layout.SIGNATURE} was changed",
        )
    return certificate


def _members(archive: _Archive, manifest: dict[str, Any]) -> None:
    listed = {entry["path"] for entry in manifest["members"]}
    for entry in manifest["members"]:
        path = entry["path"]
        if path not in archive.names:
            raise _Failed(path, "is listed in the manifest but missing from the archive")
        declared = archive.declared_size(path)
        if declared != entry["size"]:
            raise _Failed(path, f"is {declared} bytes, the manifest says {entry['size']}: it was changed")
        size, digest = archive.digest(path, entry["size"])
        if size != entry["size"]:
            raise _Failed(path, f"is {size} bytes, the manifest says {entry['size']}: it was changed")
        if digest != entry["sha256"]:
            raise _Failed(path, "its sha256 is not the one in the manifest: it was changed")
    for name in archive.names:
        if name not in listed and name not in layout.UNLISTED:
            raise _Failed(name, "is in the archive but not in the manifest: it was added")


def _audit(archive: _Archive, manifest: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """The audit events by seq, each checked against its hash, its neighbour and the recorded head."""
    head = manifest["audit_head"]
    if all(entry["path"] != layout.AUDIT for entry in manifest["members"]):
        raise _Failed(layout.AUDIT, "is not listed in the manifest: the archive has no audit events")
    events: dict[int, dict[str, Any]] = {}
    previous: dict[str, Any] | None = None
    lines = archive.read(layout.AUDIT).decode("utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        where = f"{layout.AUDIT} line {number}"
        try:
            event = json.loads(line)
        except json.JSONDecodeError as e:
            raise _Failed(where, f"is not JSON ({e})") from None
        if not (
            isinstance(event, dict)
            and type(event.get("seq")) is int
            and all(isinstance(event.get(name), str) for name in (*EVENT_FIELDS[1:], "prev_hash", "hash"))
        ):
            raise _Failed(
                where, "is not an audit event (seq, at, actor, kind, entity, entity_id, data, hashes)"
            )
        where = f"{where} (event {event['seq']})"
        if event_hash(event) != event["hash"]:
            raise _Failed(where, "its hash does not recompute from its fields and prev_hash: it was changed")
        if previous is not None:
            if event["seq"] <= previous["seq"]:
                raise _Failed(where, f"comes after event {previous['seq']}: the events are out of order")
            if event["seq"] == previous["seq"] + 1 and event["prev_hash"] != previous["hash"]:
                raise _Failed(where, f"its prev_hash is not the hash of event {previous['seq']} before it")
        if event["seq"] > head["seq"] or (event["seq"] == head["seq"] and event["hash"] != head["hash"]):
            raise _Failed(where, "does not fit the audit head recorded in the manifest")
        events[event["seq"]] = previous = event
    return events


def _links(archive: _Archive, manifest: dict[str, Any], events: dict[int, dict[str, Any]]) -> None:
    """Each document is the one its audit event recorded; each file is listed by its document."""
    listings: dict[str, set[tuple[str | None, str | None]]] = {}  # each document read and parsed once
    for entry in manifest["members"]:
        path, kind = entry["path"], entry.get("kind")
        if kind in layout.DOCUMENTS and "audit_seq" in entry:
            event = events.get(entry["audit_seq"])
            if event is None:
                raise _Failed(path, f"its audit event {entry['audit_seq']} is not in {layout.AUDIT}")
            try:
                recorded = json.loads(event["data"]).get("document_sha256")
            except (json.JSONDecodeError, AttributeError):
                recorded = None
            if recorded != entry["sha256"]:
                raise _Failed(path, f"its sha256 is not the one audit event {entry['audit_seq']} recorded")
        if kind in layout.FILES:
            document = entry.get("document")
            if not isinstance(document, str) or document not in archive.names:
                raise _Failed(path, f"the document that lists it, {document}, is not in the archive")
            if document not in listings:
                listings[document] = _listing(archive, document)
            if (entry.get("filename") or path.rsplit("/", 1)[-1], entry["sha256"]) not in listings[document]:
                raise _Failed(path, f"{document} does not list it with this sha256")


def _listing(archive: _Archive, document: str) -> set[tuple[str | None, str | None]]:
    """The (filename, sha256) pairs a document lists."""
    data = archive.read(document)
    try:
        tree = parse(data, max_bytes=len(data))
    except DocumentError as e:
        raise _Failed(document, f"is not well-formed XML ({e})") from None
    return {(el.get("filename"), el.get("sha256")) for el in tree.iter()}


def verify_archive(
    path: Path, *, pinned: x509.Certificate | None = None, allow_unsigned: bool = False
) -> Verdict:
    """Check the archive at `path` (see the module's docstring); the verdict names the first failure."""
    try:
        with zipfile.ZipFile(path) as handle:
            archive = _Archive(handle)
            data, manifest = _manifest(archive)
            certificate = _signer(archive, data, manifest, pinned)
            _members(archive, manifest)
            events = _audit(archive, manifest)
            _links(archive, manifest, events)
    except zipfile.BadZipFile as e:
        return Verdict(False, str(path), f"is not a ZIP archive ({e})")
    except _Failed as failed:
        return Verdict(False, failed.member or str(path), failed.reason)
    court = manifest.get("court") or {}
    verdict = Verdict(
        True,
        case_no=str(manifest.get("case_no", "")),
        court=str(court.get("code", "")) if isinstance(court, dict) else "",
        exported_at=str(manifest.get("exported_at", "")),
        members=len(manifest["members"]),
        audit_events=len(events),
        signer=certificate.subject.rfc4514_string() if certificate else None,
        certificate_sha256=fingerprint(certificate) if certificate else None,
        pinned=pinned is not None,
    )
    if certificate is None and (pinned is not None or not allow_unsigned):
        because = (
            "and a certificate is pinned"
            if pinned is not None
            else "(--allow-unsigned accepts an unsigned archive whose contents hold together)"
        )
        return Verdict(
            False,
            layout.SIGNATURE,
            f"is missing: the archive is unsigned, nothing shows that the hub made it {because}",
            case_no=verdict.case_no,
            court=verdict.court,
            members=verdict.members,
            audit_events=verdict.audit_events,
        )
    return verdict
