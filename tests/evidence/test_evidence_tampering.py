"""Tampering with an exported archive, one way after another: `hub evidence verify` catches each, exits 1 and
names the member first at fault."""

import hashlib
import json
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
from evidence_case import CASE, CONTROLLED, FOUND, QUERY, build_case, invoke, write_identity

from hub.evidence.layout import sign
from hub.standard.signatures import fingerprint, load_certificate

Entries = list[tuple[str, bytes]]


@pytest.fixture(scope="module")
def identity(tmp_path_factory) -> tuple[Path, Path]:
    return write_identity(tmp_path_factory.mktemp("identity"))


@pytest.fixture(scope="module")
def impostor(tmp_path_factory) -> tuple[Path, Path]:
    """Another key with a certificate of the same name: what a forger would make."""
    return write_identity(tmp_path_factory.mktemp("impostor"))


def entries_of(path: Path) -> Entries:
    with zipfile.ZipFile(path) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def write(path: Path, entries: Entries) -> Path:
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore", UserWarning)  # a duplicate name, on purpose
        for name, data in entries:
            archive.writestr(name, data)
    return path


def flip(data: bytes, at: int | None = None) -> bytes:
    """`data` with one bit of one byte changed (the middle byte unless `at`)."""
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def replaced(entries: Entries, changes: dict[str, bytes]) -> Entries:
    return [(name, changes.get(name, data)) for name, data in entries]


def relisted(entries: Entries, changes: dict[str, bytes], **manifest_fields) -> Entries:
    """The members changed AND their manifest lines rewritten to match, as a forger would."""
    manifest = json.loads(dict(entries)["manifest.json"])
    for member in manifest["members"]:
        if member["path"] in changes:
            member["size"], member["sha256"] = len(changes[member["path"]]), sha256(changes[member["path"]])
    manifest.update(manifest_fields)
    text = json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n"
    return replaced(entries, {**changes, "manifest.json": text})


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_flip(source: Path, target: Path, member: str) -> Path:
    """The archive file with one byte flipped inside `member`'s stored (compressed) data."""
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo(member)
    raw = bytearray(source.read_bytes())
    name_length, extra_length = struct.unpack("<HH", raw[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    raw[start + info.compress_size // 2] ^= 0x01
    target.write_bytes(bytes(raw))
    return target


def verify(path: Path, *args: str):
    return invoke(None, "evidence", "verify", str(path), *args)


@pytest.fixture
def archive(hub, client, token, identity, tmp_path) -> Path:
    build_case(client, token)
    target = tmp_path / "case.zip"
    exported = invoke(hub.settings, "evidence", "export", CASE, str(target), signing=identity)
    assert exported.exit_code == 0, exported.output
    return target


def test_every_tampering_is_caught_naming_the_member(archive, identity, impostor, tmp_path):
    pin = ("--cert", str(identity[1]))
    original = entries_of(archive)
    files = dict(original)
    assert verify(archive, *pin).exit_code == 0
    assert (
        verify(write(tmp_path / "rewritten.zip", original), *pin).exit_code == 0
    )  # rewriting alone is no change

    cases: dict[
        str, tuple[Path, tuple[str, ...], str]
    ] = {}  # what -> (archive, options, expected message start)

    def case(what: str, entries: Entries | Path, expected: str, options: tuple[str, ...] = pin) -> None:
        path = entries if isinstance(entries, Path) else write(tmp_path / f"{len(cases)}.zip", entries)
        cases[what] = (path, options, expected)

    for member in (
        f"{QUERY}/request.xml",
        f"{QUERY}/files/notice.pdf",
        f"{FOUND}/receipt.xml",
        f"{CONTROLLED}/files/receipt.pdf",
        "summary.txt",
    ):
        case(
            f"a byte of {member}", replaced(original, {member: flip(files[member])}), f"{member}: its sha256"
        )
    audit = files["audit.jsonl"]
    third_line = audit.index(b"\n", audit.index(b"\n") + 1) + 40
    case(
        "a byte of an audit line",
        replaced(original, {"audit.jsonl": flip(audit, third_line)}),
        "audit.jsonl: its",
    )

    notice = sha256(files[f"{QUERY}/files/notice.pdf"])
    other_digest = ("0" if notice[0] != "0" else "1") + notice[1:]
    manifest = files["manifest.json"].replace(notice.encode(), other_digest.encode(), 1)
    case(
        "a digit of the manifest",
        replaced(original, {"manifest.json": manifest}),
        "manifest.sig: does not verify",
    )
    case(
        "a byte of the manifest",
        replaced(original, {"manifest.json": flip(files["manifest.json"])}),
        "manifest",
    )
    forged = {f"{QUERY}/request.xml": files[f"{QUERY}/request.xml"].replace("赵六".encode(), "赵七".encode())}
    case("a request and its manifest line", relisted(original, forged), "manifest.sig: does not verify")
    case(
        "a byte of the signature",
        replaced(original, {"manifest.sig": flip(files["manifest.sig"])}),
        "manifest.sig",
    )

    other_cert = impostor[1].read_bytes()
    case(
        "the certificate swapped, pinned",
        replaced(original, {"hub-cert.pem": other_cert}),
        "hub-cert.pem: is not",
    )
    case(
        "the certificate swapped, not pinned",
        replaced(original, {"hub-cert.pem": other_cert}),
        "hub-cert.pem: its sha256 fingerprint is not the one the manifest names",
        options=(),
    )
    impostor_fp = fingerprint(load_certificate(other_cert))

    def resigned(changes: dict[str, bytes]) -> Entries:
        """A forger's archive: members changed, the manifest rewritten and signed with another key."""
        claim = {"file": "manifest.sig", "certificate": "hub-cert.pem", "certificate_sha256": impostor_fp}
        entries = relisted(original, changes, signature=claim)
        signature = sign(impostor[0].read_bytes(), dict(entries)["manifest.json"])
        return replaced(entries, {"manifest.sig": signature, "hub-cert.pem": other_cert})

    case(
        "a request forged and re-signed, pinned",
        resigned(forged),
        "hub-cert.pem: is not the pinned certificate",
    )
    # unpinned, the request still differs from the sha256 its audit event recorded when it arrived
    case(
        "a request forged and re-signed",
        resigned(forged),
        f"{QUERY}/request.xml: its sha256 is not",
        options=(),
    )
    summary = {"summary.txt": files["summary.txt"].replace("已查到".encode(), "未查到".encode())}
    case("the summary forged and re-signed, pinned", resigned(summary), "hub-cert.pem: is not the pinned")

    attachment = f"{CONTROLLED}/files/receipt.pdf"
    case("a member removed", [(n, d) for n, d in original if n != attachment], f"{attachment}: is listed")
    case(
        "the signature removed",
        [(n, d) for n, d in original if n != "manifest.sig"],
        "manifest.sig: is missing",
    )
    case(
        "the certificate removed",
        [(n, d) for n, d in original if n != "hub-cert.pem"],
        "hub-cert.pem: is missing",
    )
    added = f"{FOUND}/files/extra.pdf"
    case("a member added", [*original, (added, b"%PDF-1.4 extra")], f"{added}: is in the archive but not in")
    twice = f"{QUERY}/request.xml"
    case("a member added twice", [*original, (twice, b"<x/>")], f"{twice}: is in the archive twice")
    for member in (f"{QUERY}/request.xml", "audit.jsonl", "manifest.json"):
        case(
            f"a raw byte inside {member}",
            raw_flip(archive, tmp_path / f"raw-{len(cases)}.zip", member),
            member,
        )
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    case("the file cut short", truncated, f"{truncated}: is not a ZIP archive")

    missed = {}
    for what, (path, options, expected) in cases.items():
        result = verify(path, *options)
        if result.exit_code != 1 or not result.stdout.startswith(f"evidence NOT intact: {expected}"):
            missed[what] = (result.exit_code, result.stdout)
    assert missed == {}
    assert len(cases) == 24

    # that forgery passes only where nobody compares the certificate: the fingerprint shown is not the hub's
    unpinned = verify(write(tmp_path / "forgery.zip", resigned(summary)))
    assert unpinned.exit_code == 0 and impostor_fp in unpinned.stdout
    assert fingerprint(load_certificate(identity[1].read_bytes())) not in unpinned.stdout


def test_an_unsigned_archive_is_refused_until_allowed_and_its_contents_still_hold(
    hub, client, token, identity, tmp_path
):
    build_case(client, token)
    target = tmp_path / "unsigned.zip"
    refused = invoke(hub.settings, "evidence", "export", CASE, str(target))
    assert refused.exit_code == 2 and not target.exists()
    assert (
        "HUB_SIGNING_KEY_FILE and HUB_SIGNING_CERT_FILE" in refused.stderr and "--unsigned" in refused.stderr
    )
    exported = invoke(hub.settings, "evidence", "export", CASE, str(target), "--unsigned")
    assert exported.exit_code == 0 and "UNSIGNED" in exported.stdout
    original = entries_of(target)
    files = dict(original)
    assert "manifest.sig" not in files and "hub-cert.pem" not in files

    plain = verify(target)
    assert plain.exit_code == 1 and plain.stdout.startswith(
        "evidence NOT intact: manifest.sig: is missing: the "
    )
    assert "unsigned" in plain.stdout
    allowed = verify(target, "--allow-unsigned")
    assert (
        allowed.exit_code == 0 and "UNSIGNED: nothing shows that the hub made this archive" in allowed.stdout
    )
    pinned = verify(target, "--allow-unsigned", "--cert", str(identity[1]))
    assert pinned.exit_code == 1 and "a certificate is pinned" in pinned.stdout

    # with no signature, whoever rewrites a member and its manifest line still meets the audit chain
    request, notice, attachment = (
        f"{QUERY}/request.xml",
        f"{QUERY}/files/notice.pdf",
        f"{FOUND}/files/receipt.pdf",
    )
    lines = files["audit.jsonl"].split(b"\n")
    actor = json.loads(lines[0])["actor"].encode()
    audit = b"\n".join([lines[0].replace(actor, b"user:admin"), *lines[1:]])
    first_seq = json.loads(lines[0])["seq"]
    cases = {
        "an audit event": (
            {"audit.jsonl": audit},
            f"audit.jsonl line 1 (event {first_seq}): its hash does not recompute",
        ),
        "a request": (
            {request: files[request].replace("赵六".encode(), "赵七".encode())},
            f"{request}: its sha256 is",
        ),
        "a request's file": ({notice: b"%PDF-1.4 another notice"}, f"{notice}: {request} does not list it"),
        "a receipt's attachment": (
            {attachment: b"%PDF-1.4 x"},
            f"{attachment}: {FOUND}/receipt.xml does not list",
        ),
    }
    missed = {}
    for what, (changes, expected) in cases.items():
        result = verify(
            write(tmp_path / f"{len(missed)}-{hash(what)}.zip", relisted(original, changes)),
            "--allow-unsigned",
        )
        if result.exit_code != 1 or not result.stdout.startswith(f"evidence NOT intact: {expected}"):
            missed[what] = (result.exit_code, result.stdout)
    assert missed == {}
    smuggled = write(tmp_path / "smuggled.zip", [*original, ("manifest.sig", b"x")])
    assert verify(smuggled, "--allow-unsigned").stdout.startswith(
        "evidence NOT intact: manifest.sig: is in the archive"
    )
