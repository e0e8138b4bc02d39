"""`hub evidence export` as an administrator runs it, and `hub evidence verify` as a court does: a case built
through the API, exported by a `hub` process, then checked with no database behind the check."""

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import edit, example, example_file, multipart, submit
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from evidence_case import CASE, CONTROLLED, FOUND, FREEZE, QUERY, build_case, invoke, run_hub, write_identity
from sqlalchemy import select

from hub.audit import event_hash
from hub.db import unit_of_work
from hub.evidence import verify
from hub.models import AuditEvent, Request
from hub.standard import rules


@pytest.fixture(scope="module")
def identity(tmp_path_factory) -> tuple[Path, Path]:
    return write_identity(tmp_path_factory.mktemp("identity"))


def fingerprint_of(cert_file: Path) -> str:
    certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_the_archive_holds_the_case_byte_for_byte_and_verifies_offline(
    hub, client, token, identity, tmp_path
):
    build_case(client, token)
    target = tmp_path / "case-156.zip"
    done = run_hub(hub.settings, "evidence", "export", CASE, str(target), signing=identity)
    assert done.returncode == 0, done.stderr
    assert f"case {CASE} of court J2426, 13 members" in done.stdout

    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        names = sorted(archive.namelist())
        member = archive.read
        assert names == sorted(
            [
                "manifest.json",
                "manifest.sig",
                "hub-cert.pem",
                "audit.jsonl",
                "summary.txt",
                f"{QUERY}/request.xml",
                f"{QUERY}/files/notice.pdf",
                f"{FOUND}/receipt.xml",
                f"{FOUND}/files/receipt.pdf",
                f"{QUERY}/receipts/vehicles/VM-2026-0417/receipt.xml",
                f"{QUERY}/receipts/vehicles/VM-2026-0417/files/receipt.pdf",
                f"{FREEZE}/request.xml",
                f"{FREEZE}/files/ruling.pdf",
                f"{FREEZE}/files/notice.pdf",
                f"{CONTROLLED}/receipt.xml",
                f"{CONTROLLED}/files/receipt.pdf",
            ]
        )
        # the originals, byte for byte as they arrived
        assert member(f"{QUERY}/request.xml") == example("request-query.xml")
        assert member(f"{FREEZE}/request.xml") == edit("request-freeze.xml", ("执123号", "执156号"))
        assert member(f"{FOUND}/receipt.xml") == example("receipt-found.xml")
        assert member(f"{CONTROLLED}/receipt.xml") == example("receipt-controlled.xml")
        assert member(f"{FREEZE}/files/ruling.pdf") == example_file("ruling.pdf")
        assert member(f"{CONTROLLED}/files/receipt.pdf") == example_file("receipt.pdf")
        assert member("hub-cert.pem") == identity[1].read_bytes()
        manifest_bytes = member("manifest.json")
        audit = [json.loads(line) for line in member("audit.jsonl").decode().splitlines()]
        summary = member("summary.txt").decode()
        sizes = {name: (len(member(name)), hashlib.sha256(member(name)).hexdigest()) for name in names}

    # the manifest: every member but itself, its signature and the certificate, with size and sha256
    manifest = json.loads(manifest_bytes)
    listed = {m["path"]: m for m in manifest["members"]}
    assert set(listed) == set(names) - {"manifest.json", "manifest.sig", "hub-cert.pem"}
    assert {path: (m["size"], m["sha256"]) for path, m in listed.items()} == {p: sizes[p] for p in listed}
    assert manifest["case_no"] == CASE and manifest["court"] == {"code": "J2426", "name": "安图县人民法院"}
    assert manifest["hub_version"] == "0.1.0" and manifest["exported_at"].endswith("+08:00")
    assert manifest["signature"]["certificate_sha256"] == fingerprint_of(identity[1])

    # the audit events of the case's requests and tasks, as stored, each with the hash the chain gave it
    kinds = [e["kind"] for e in audit]
    assert kinds.count("request.received") == 2 and kinds.count("receipt.received") == 3
    with unit_of_work(hub.sessions) as session:
        stored = {e.seq: e for e in session.execute(select(AuditEvent)).scalars()}
        requests = {str(r.id) for r in session.execute(select(Request)).scalars()}
    for line in audit:
        event = stored[line["seq"]]
        assert (line["prev_hash"], line["hash"], line["data"]) == (event.prev_hash, event.hash, event.data)
        assert verify.event_hash(line) == line["hash"]  # the offline formula is the chain's own
        assert event_hash(line["prev_hash"], **{k: line[k] for k in verify.EVENT_FIELDS}) == line["hash"]
    assert {e["entity_id"] for e in audit if e["entity"] == "request"} == requests
    assert {e["seq"] for e in audit} >= {listed[f"{QUERY}/request.xml"]["audit_seq"]}

    # the export itself is the chain's newest event, naming the manifest it signed
    last = stored[max(stored)]
    assert manifest["audit_head"] == {"seq": last.seq - 1, "hash": last.prev_hash}
    assert (last.kind, last.entity, last.entity_id, last.actor[:3]) == (
        "evidence.exported",
        "court",
        "J2426",
        "cli",
    )
    recorded = json.loads(last.data)
    assert (recorded["case_no"], recorded["members"]) == (CASE, len(listed))
    assert recorded["manifest_sha256"] == hashlib.sha256(manifest_bytes).hexdigest()

    # the summary: request by request, unit by unit, with outcomes
    for text in (
        "案号：（2026）吉2426执156号",
        "不动产登记中心（real-estate）：已办结，结果：已查到",
        "车辆管理所（vehicles）：已办结，结果：未查到",
        "尚未答复",
        "登记号 GJJ-DJ-2026-0042，状态：生效中",
        "，权利人：赵六（1/1）\n"
        "         抵押 · 抵押权人 中国工商银行股份有限公司安图支行 · 被担保债权 人民币200,000.00元"
        " · 登记号 BDC-DY-2019-0456 · 吉(2019)安图县不动产证明第0000456号 · 2019年6月10日至2039年6月9日\n"
        "         查封 · 延吉市人民法院 · 登记号 BDC-CF-2025-0031 · (2025)吉2401执123号"
        " · 2025年1月2日至2028年1月1日\n",
        f"附件：签章回执 {CONTROLLED}/files/receipt.pdf",
    ):
        assert text in summary, text

    # the court's check, with no database setting at all, the hub certificate pinned
    court = invoke(None, "evidence", "verify", str(target), "--cert", str(identity[1]))
    assert court.exit_code == 0, court.output
    assert court.stdout.startswith(f"evidence intact: case {CASE} of court J2426")
    assert "13 members and" in court.stdout and "signed with the pinned certificate" in court.stdout
    unpinned = invoke(None, "evidence", "verify", str(target))
    assert unpinned.exit_code == 0 and f"fingerprint {fingerprint_of(identity[1])}" in unpinned.stdout

    # manifest.sig is a plain signature that openssl checks too
    with zipfile.ZipFile(target) as archive:
        archive.extractall(tmp_path / "out", members=["manifest.json", "manifest.sig"])
    key = ["openssl", "x509", "-in", str(identity[1]), "-pubkey", "-noout"]
    (tmp_path / "hub.pub").write_bytes(subprocess.run(key, capture_output=True, check=True).stdout)
    dgst = ["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "hub.pub"), "-signature", "manifest.sig"]
    checked = subprocess.run([*dgst, "manifest.json"], cwd=tmp_path / "out", capture_output=True, text=True)
    assert checked.returncode == 0 and "Verified OK" in checked.stdout


def test_a_case_is_one_courts_and_must_exist(hub, client, token, other_officer, identity, tmp_path):
    submit(client, token("officer"), "request-query.xml")
    court = ('code="J2426">安图县人民法院', 'code="J2401">延吉市人民法院')
    document = edit("request-query.xml", court, ("000101", "000901"))
    other = client.post("/api/v1/requests", files=multipart(document, "notice.pdf"), headers=other_officer)
    assert other.status_code == 201, other.text
    target = tmp_path / "case.zip"

    unknown = invoke(
        hub.settings, "evidence", "export", "（2026）吉2426执999号", str(target), signing=identity
    )
    assert unknown.exit_code == 2 and "no request has case number '（2026）吉2426执999号'" in unknown.stderr
    no_court = invoke(
        hub.settings, "evidence", "export", CASE, str(target), "--court", "J9999", signing=identity
    )
    assert no_court.exit_code == 2 and "no court 'J9999'" in no_court.stderr
    ambiguous = invoke(hub.settings, "evidence", "export", CASE, str(target), signing=identity)
    assert ambiguous.exit_code == 2
    assert "used by requests of 2 courts (J2401, J2426)" in ambiguous.stderr and "--court" in ambiguous.stderr
    assert not target.exists()

    # --court chooses; the case number may be written with ASCII brackets
    ascii_case = "(2026)吉2426执156号"
    chosen = invoke(
        hub.settings, "evidence", "export", ascii_case, str(target), "--court", "J2401", signing=identity
    )
    assert chosen.exit_code == 0, chosen.output
    with zipfile.ZipFile(target) as archive:
        requests = [n for n in archive.namelist() if n.endswith("request.xml")]
        assert requests == ["requests/AT-2026-000901/request.xml"]
        assert b"J2426" not in archive.read("audit.jsonl")
    again = invoke(
        hub.settings, "evidence", "export", CASE, str(target), "--court", "J2401", signing=identity
    )
    assert again.exit_code == 2 and "exists already" in again.stderr

    # a second export of the case carries the audit event of the first
    second = tmp_path / "case-again.zip"
    unsigned = invoke(hub.settings, "evidence", "export", CASE, str(second), "--court", "J2401")
    assert unsigned.exit_code == 2 and "HUB_SIGNING_KEY_FILE and HUB_SIGNING_CERT_FILE" in unsigned.stderr
    assert (
        invoke(
            hub.settings, "evidence", "export", CASE, str(second), "--court", "J2401", "--unsigned"
        ).exit_code
        == 0
    )
    with zipfile.ZipFile(second) as archive:
        events = [json.loads(line) for line in archive.read("audit.jsonl").decode().splitlines()]
    [earlier] = [e for e in events if e["kind"] == "evidence.exported"]
    assert json.loads(earlier["data"])["file"] == "case.zip"


def test_a_damaged_store_is_not_signed_as_evidence(hub, client, token, identity, tmp_path):
    submit(client, token("officer"), "request-query.xml")
    notice = hub.blobs.files.path(hashlib.sha256(example_file("notice.pdf")).hexdigest())
    notice.write_bytes(notice.read_bytes() + b"\n")
    target = tmp_path / "case.zip"
    refused = invoke(hub.settings, "evidence", "export", CASE, str(target), signing=identity)
    assert refused.exit_code == 1
    assert (
        f"{QUERY}/files/notice.pdf: its stored file" in refused.stderr
        and "no longer matches" in refused.stderr
    )
    assert not target.exists() and not list(tmp_path.glob(".case.zip.*"))  # no archive, no part of one
    with unit_of_work(hub.sessions) as session:
        assert (
            session.execute(select(AuditEvent).where(AuditEvent.kind == "evidence.exported")).first() is None
        )


def test_the_offline_check_loads_no_database_code():
    probe = "import sys, hub.evidence.verify; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [
        m for m in loaded if m.split(".")[0] in ("sqlalchemy", "psycopg", "pydantic_settings", "fastapi")
    ]
    assert not {"hub.config", "hub.db", "hub.models", "hub.audit", "hub.context", "hub.blobs"} & set(loaded)


def test_names_an_older_hub_stored_are_extracted_everywhere(
    hub, client, token, identity, tmp_path, monkeypatch
):
    """A request stored before the standard limited file names (its rule is switched off here, as the hub
    was then) lists CON.pdf and a name of 349 bytes: the archive holds them under names Windows and Linux
    extract, the manifest gives the listed names, and the offline check still links each to its document."""
    monkeypatch.setattr(rules, "filename_problems", lambda tree: [])
    long_name = "执行通知书" * 23 + ".pdf"
    document = edit(
        "request-freeze.xml", ("执123号", "执156号"), ('filename="ruling.pdf"', 'filename="CON.pdf"')
    )
    document = document.replace(b'filename="notice.pdf"', f'filename="{long_name}"'.encode())
    files = {"CON.pdf": example_file("ruling.pdf"), long_name: example_file("notice.pdf")}
    sent = client.post("/api/v1/requests", files=multipart(document, files=files), headers=token("officer"))
    assert sent.status_code == 201, sent.text
    monkeypatch.undo()
    target = tmp_path / "case.zip"

    done = run_hub(hub.settings, "evidence", "export", CASE, str(target), signing=identity)

    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(target) as archive:
        files_in = [n.rsplit("/", 1)[-1] for n in archive.namelist() if f"{FREEZE}/files/" in n]
        manifest = json.loads(archive.read("manifest.json"))
    assert sorted(files_in) == sorted(["_CON.pdf", long_name.encode()[:196].decode(errors="ignore") + ".pdf"])
    renamed = {e["filename"] for e in manifest["members"] if "filename" in e}
    assert renamed == {"CON.pdf", long_name}
    checked = run_hub(None, "evidence", "verify", str(target))
    assert checked.returncode == 0, checked.stdout + checked.stderr
