"""The hostile-input corpus (issue 6): every document of tests/corpus/manifest.toml posted through the API.

Each one gets the status and error code its entry names, in the one error shape, never a 5xx; a refused
one leaves nothing behind (no row, no file); and the hub still answers GET /healthz afterwards.
"""

import hashlib
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import (
    cloned_database,
    example,
    example_file,
    listed_files,
    stored_counter,
    token_issuer,
)
from fastapi.testclient import TestClient
from sqlalchemy import update

from hub.app import create_app
from hub.config import Settings
from hub.context import Hub
from hub.db import unit_of_work
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.directory.service import sync_directory
from hub.models import Unit
from schemas import EXAMPLE_FILES_DIR

CORPUS = Path(__file__).parent.parent / "corpus"
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text("utf-8"))["entry"]
MIB = 1024 * 1024
KEYS = CORPUS / "keys"  # test-only key pairs, and the signed documents made with them (valid to 2046)

# Entries the hub answers wrongly today: kept as strict xfails, each saying what it answers and should.
# A value is the reason, or (reason, condition) for a bug of one database only.
KNOWN_BUGS: dict[str, str | tuple[str, bool]] = {}


def _id(entry: dict) -> str:
    return entry.get("file", "").removesuffix(".xml") or entry["generator"]


def _marks(entry: dict) -> list:
    bug = KNOWN_BUGS.get(_id(entry))
    if bug is None:
        return []
    reason, condition = bug if isinstance(bug, tuple) else (bug, True)
    return [pytest.mark.xfail(condition, strict=True, reason=reason)]


def _params() -> list:
    return [pytest.param(entry, id=_id(entry), marks=_marks(entry)) for entry in MANIFEST]


# --- documents built by the test: megabytes, and bodies the corpus files cannot say ------------


@dataclass
class Body:
    """What is posted: the document; the file parts, if the entry's rules (forge, omit...) do not say
    them; form fields beside them; or the document as a plain form field instead of a file part."""

    document: bytes
    files: list[tuple[str, bytes]] | None = None
    fields: dict[str, str] | None = None
    as_field: bool = False


def _padded(document: bytes, size: int, before: bytes, padding: bytes) -> bytes:
    """`document` with `padding` (an opening and closing text, e.g. a Remarks) grown to `size` bytes."""
    opening, closing = padding.split(b"|")
    filler = b"x" * (size - len(document) - len(opening) - len(closing))
    return document.replace(before, opening + filler + closing + before)


def _oversize(settings: Settings) -> Body:
    """The example FREEZE with a Remarks that takes it past the limit: well-formed, just too large."""
    document = example("request-freeze.xml")
    size = settings.max_document_bytes + 1
    return Body(_padded(document, size, b"\n</AssistanceRequest>", b"\n  <Remarks>|</Remarks>"))


def _oversize_receipt(settings: Settings) -> Body:
    """The example receipt with a comment that takes it past the limit."""
    document = example("receipt-controlled.xml")
    size = settings.max_document_bytes + 1
    return Body(_padded(document, size, b"\n</AssistanceReceipt>", b"\n  <!--|-->"))


def _listing(document: bytes, name: str, data: bytes) -> bytes:
    """`document` with the sha256 listed for `name` replaced by that of `data`."""
    digest = hashlib.sha256(example_file(name)).hexdigest().encode()
    assert digest in document, name
    return document.replace(digest, hashlib.sha256(data).hexdigest().encode())


def _attachment(size: int) -> bytes:
    return b"%PDF-1.4\n" + b"\0" * (size - 9)


def _oversize_attachment(settings: Settings) -> Body:
    """The FREEZE with a notice.pdf one byte over max_file_bytes, listed with its own sha256."""
    big = _attachment(settings.max_file_bytes + 1)
    document = _listing(example("request-freeze.xml"), "notice.pdf", big)
    return Body(document, [("ruling.pdf", example_file("ruling.pdf")), ("notice.pdf", big)])


def _receipt_with_attachment(settings: Settings, size: int) -> Body:
    data = _attachment(size)
    return Body(_listing(example("receipt-controlled.xml"), "receipt.pdf", data), [("receipt.pdf", data)])


def _too_many_files(settings: Settings) -> Body:
    files = [("ruling.pdf", example_file("ruling.pdf")), ("notice.pdf", example_file("notice.pdf"))]
    return Body(example("request-freeze.xml"), files + [(f"extra-{i}.pdf", b"%PDF") for i in range(200)])


def _too_many_fields(settings: Settings) -> Body:
    return Body(example("request-freeze.xml"), fields={f"field{i}": "x" for i in range(60)})


def _document_field_oversize(settings: Settings) -> Body:
    """The oversized FREEZE sent as a plain form field (no file name) instead of a file part."""
    return Body(_oversize(settings).document, as_field=True)


def _huge_attribute(settings: Settings) -> Body:
    document = example("request-freeze.xml")
    return Body(document.replace(b'sha256="1146414f', b'sha256="' + b"f" * MIB + b"1146414f"))


def _huge_text(settings: Settings) -> Body:
    document = example("request-freeze.xml")
    return Body(document.replace(b"<IdNumber>", b"<IdNumber>" + b"9" * MIB))


def _unknown_targets(count: int) -> Body:
    document = example("request-query.xml")
    units = b"".join(b'<Unit code="u%d"/>' % i for i in range(count))
    return Body(document.replace(b'<Unit code="real-estate"/>', units))


GENERATORS = {
    "oversize-xml": _oversize,
    "oversize-multipart": _oversize,
    "oversize-receipt-xml": _oversize_receipt,
    "oversize-receipt-multipart": _oversize_receipt,
    "oversize-attachment": _oversize_attachment,
    "oversize-attachment-receipt": lambda s: _receipt_with_attachment(s, s.max_file_bytes + 1),
    "attachment-at-limit-receipt": lambda s: _receipt_with_attachment(s, s.max_file_bytes),
    "too-many-files": _too_many_files,
    "too-many-fields": _too_many_fields,
    "document-field-oversize": _document_field_oversize,
    "huge-attribute": _huge_attribute,
    "huge-text": _huge_text,
    "many-unknown-targets": lambda s: _unknown_targets(20_000),
    "many-unknown-targets-past-bind-limit": lambda s: _unknown_targets(70_000),
}


def _body(entry: dict, settings: Settings) -> Body:
    if "generator" in entry:
        return GENERATORS[entry["generator"]](settings)
    return Body((CORPUS / entry["file"]).read_bytes())


def _read(ref: str) -> bytes:
    if ref.startswith("examples:"):
        return example(ref.removeprefix("examples:"))
    return (CORPUS / ref).read_bytes()


def _parts(document: bytes, entry: dict) -> list[tuple[str, tuple]]:
    """The document and the files it lists (those in the examples), forged, left out or added as the entry says."""
    parts: list[tuple[str, tuple]] = [("document", ("document.xml", document, "application/xml"))]
    try:
        names = listed_files(document)
    except UnicodeDecodeError:
        names = []
    examples = {p.name for p in EXAMPLE_FILES_DIR.iterdir()}  # not is_file(): a listed name may be too long
    names = [n for n in names if n in examples and n not in entry.get("omit", [])]
    for name in dict.fromkeys(names + entry.get("extra", [])):
        data = b"%PDF-1.4 forged" if name in entry.get("forge", []) else example_file(name)
        parts.append(("files", (name, data, "application/pdf")))
    return parts


def _post(client: TestClient, url: str, headers: dict, body: Body, entry: dict):
    if entry.get("transport") == "xml" or entry.get("generator", "").endswith("-xml"):
        return client.post(url, content=body.document, headers={**headers, "Content-Type": "application/xml"})
    if body.as_field:
        files = [("files", ("notice.pdf", example_file("notice.pdf"), "application/pdf"))]
        return client.post(url, data={"document": body.document.decode()}, files=files, headers=headers)
    if body.fields is not None:
        return client.post(url, data=body.fields, files=_parts(body.document, entry), headers=headers)
    if body.files is not None:
        parts = [("document", ("document.xml", body.document, "application/xml"))]
        parts += [("files", (name, data, "application/pdf")) for name, data in body.files]
        return client.post(url, files=parts, headers=headers)
    return client.post(url, files=_parts(body.document, entry), headers=headers)


def _accepted(response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The suite's settings with the entry's `settings` overrides (a smaller max_file_bytes, say)."""
    callspec = getattr(request.node, "callspec", None)
    entry = callspec.params.get("entry", {}) if callspec else {}
    return settings.model_copy(update=entry.get("settings", {}))


@pytest.fixture(scope="module")
def corpus_files() -> None:
    """Every file the manifest names exists, and every corpus document is in the manifest."""
    named = {e["file"] for e in MANIFEST if "file" in e} | {
        ref for e in MANIFEST for ref in _steps(e) if not ref.startswith("examples:")
    }
    present = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.xml")}
    assert named == present


def _steps(entry: dict) -> list[str]:
    before = entry.get("before", [])
    return [before] if isinstance(before, str) else list(before)


def test_the_manifest_names_every_file_and_each_entry_is_complete(corpus_files):
    bad = [e for e in MANIFEST if e["status"] >= 300]
    assert len(bad) >= 150
    for entry in MANIFEST:
        assert ("file" in entry) != ("generator" in entry), entry
        assert "generator" not in entry or entry["generator"] in GENERATORS, entry
        assert entry["kind"] in ("request", "receipt"), entry
        assert isinstance(entry["status"], int) and entry["why"], entry
        assert (entry["status"] < 300) == (entry.get("code") is None), entry
        assert set(entry.get("settings", {})) <= set(Settings.model_fields), entry
    assert len({_id(e) + e["kind"] for e in MANIFEST}) == len(MANIFEST)
    assert set(KNOWN_BUGS) <= {_id(e) for e in MANIFEST}


def test_the_table_atop_the_manifest_counts_the_entries():
    """The comment table of categories says how many requests and receipts each has."""
    text = (CORPUS / "manifest.toml").read_text("utf-8")
    table = {
        match[1]: (int(match[2]), int(match[3]))
        for match in re.finditer(r"^# (\w+) +(\d+) +(\d+)  ", text, flags=re.M)
    }
    counts = {name: [0, 0] for name in table}
    for entry in MANIFEST:
        counts[entry["category"]][entry["kind"] == "receipt"] += 1
        if entry["status"] >= 300:
            counts["refused"][entry["kind"] == "receipt"] += 1
    assert {name: tuple(n) for name, n in counts.items()} == table


def test_the_size_limits_default_to_5_mb_per_document_and_50_mb_per_file(monkeypatch):
    """The corpus builds its megabytes from the settings; these are the defaults a hub starts with."""
    for name in ("HUB_MAX_DOCUMENT_BYTES", "HUB_MAX_FILE_BYTES"):
        monkeypatch.delenv(name, raising=False)
    defaults = Settings()
    assert defaults.max_document_bytes == 5 * MIB
    assert defaults.max_file_bytes == 50 * MIB


def _trust(hub: Hub, trust: str) -> None:
    """Register the test certificate of keys/ for court J2426 or unit housing-fund, as the directory file
    would, and with "-required" the duty to sign."""
    party, _, required = trust.partition("-")
    update = {
        "certificates": [(KEYS / f"{party}-cert.pem").read_text("ascii")],
        "require_signature": bool(required),
    }
    directory = load_directory(BUNDLED_DIRECTORY)
    courts = [c.model_copy(update=update) if party == "court" else c for c in directory.courts]
    units = [
        u.model_copy(update=update) if party == "unit" and u.code == "housing-fund" else u
        for u in directory.units
    ]
    with unit_of_work(hub.sessions) as session:
        sync_directory(session, directory=directory.model_copy(update={"courts": courts, "units": units}))


def _task(request: dict, unit: str | None) -> dict:
    [task] = [t for t in request["tasks"] if unit is None or t["unit_code"] == unit]
    return task


@dataclass
class Stage:
    client: TestClient
    hub: Hub
    token: Callable[[str], dict[str, str]]
    stored: Callable[[], dict[str, int]]


def _shared(template: str, folder: Path) -> Iterator[Stage]:
    """One hub per kind for the entries that change nothing: refused, with no steps before them but the
    example request a receipt answers (on PostgreSQL a database per entry costs about half a second)."""
    with cloned_database(template, folder) as url:
        hub = Hub.from_settings(Settings(database_url=url, data_dir=folder / "data", demo=True))
        with TestClient(create_app(hub.settings, hub)) as client:
            yield Stage(client, hub, token_issuer(hub), stored_counter(hub))
        hub.engine.dispose()


@pytest.fixture(scope="module")
def shared_requests(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    yield from _shared(template, tmp_path_factory.mktemp("hostile-requests"))


@pytest.fixture(scope="module")
def shared_receipts(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    yield from _shared(template, tmp_path_factory.mktemp("hostile-receipts"))


def _stage(entry: dict, request: pytest.FixtureRequest) -> Stage:
    steps = {"before", "inactive", "settings", "setup", "request", "trust"}
    if entry["status"] >= 400 and not steps & set(entry):
        return request.getfixturevalue(f"shared_{entry['kind']}s")
    fixtures = [request.getfixturevalue(name) for name in ("client", "hub", "token", "stored")]
    return Stage(*fixtures)


@pytest.mark.db
@pytest.mark.parametrize("entry", _params())
def test_hostile_document(entry: dict, request: pytest.FixtureRequest):
    stage = _stage(entry, request)
    client, hub, token, stored = stage.client, stage.hub, stage.token, stage.stored
    officer = token("officer")
    if "trust" in entry:
        _trust(hub, entry["trust"])
    if "inactive" in entry:
        with unit_of_work(hub.sessions) as session:
            session.execute(update(Unit).where(Unit.code.in_(entry["inactive"])).values(active=False))
    latest: dict | None = None
    answered: dict | None = None  # the request whose task a receipt entry answers
    if entry["kind"] == "receipt":
        request_ref = entry.get("request", "examples:request-freeze.xml")
        latest = answered = _accepted(
            client.post("/api/v1/requests", files=_parts(_read(request_ref), {}), headers=officer)
        )
    for ref in _steps(entry):
        document = _read(ref)
        if b"<AssistanceReceipt" in document:
            assert latest is not None, f"{ref}: a receipt needs a request before it"
            task = _task(latest, entry.get("unit") if latest is answered else None)
            url = f"/api/v1/tasks/{task['id']}/receipts"
            _accepted(
                client.post(url, files=_parts(document, {}), headers=token(f"staff-{task['unit_code']}"))
            )
        else:
            latest = _accepted(client.post("/api/v1/requests", files=_parts(document, {}), headers=officer))
    if entry["kind"] == "request":
        url, user = "/api/v1/requests", entry.get("user", "officer")
    else:
        task = _task(answered, entry.get("unit"))
        url, user = f"/api/v1/tasks/{task['id']}/receipts", entry.get("user", f"staff-{task['unit_code']}")
        if entry.get("setup") == "cancel":
            cancel = f"/api/v1/requests/{answered['id']}/cancel"
            _accepted(client.post(cancel, json={"reason": "sent by mistake"}, headers=officer))
    headers = token(user) if user else {}
    body = _body(entry, hub.settings)
    rows = stored()

    response = _post(client, url, headers, body, entry)

    assert response.status_code < 500, response.text
    assert response.status_code == entry["status"], (
        f"{entry['why']}: {response.status_code} {response.text[:500]}"
    )
    if entry.get("code") is not None:
        body = response.json()
        assert list(body) == ["error"], body
        error = body["error"]
        assert error["code"] == entry["code"], error
        assert isinstance(error["message"], str) and error["message"], error
        assert isinstance(error["details"], list), error
        for detail in error["details"]:
            assert {"line", "path", "message"} <= set(detail), detail
        if "says" in entry:  # refused for the reason the entry is about, not another one on the way
            assert entry["says"] in error["details"][0]["message"], error
        assert stored() == rows, "a refused document left rows or files behind"
    health = client.get("/healthz")
    assert health.status_code == 200, health.text
