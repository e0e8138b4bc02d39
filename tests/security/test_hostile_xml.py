"""The hostile-input corpus (issue 6): every document of tests/corpus/manifest.toml posted through the API.

Each one gets the status and error code its entry names, in the one error shape, never a 5xx; a refused
one leaves nothing behind (no row, no file); and the hub still answers GET /healthz afterwards.
"""

import tomllib
from pathlib import Path

import pytest
from conftest import example, example_file, listed_files
from fastapi.testclient import TestClient

from schemas import EXAMPLE_FILES_DIR

CORPUS = Path(__file__).parent.parent / "corpus"
MANIFEST = tomllib.loads((CORPUS / "manifest.toml").read_text("utf-8"))["entry"]
LIMIT = 5 * 1024 * 1024  # Settings.max_document_bytes, the default the tests run with

# Entries the hub answers wrongly today: kept as strict xfails, each saying what it answers and should.
KNOWN_BUGS: dict[str, str] = {}


def _id(entry: dict) -> str:
    return entry.get("file", "").removesuffix(".xml") or entry["generator"]


def _params() -> list:
    params = []
    for entry in MANIFEST:
        marks = (
            [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[_id(entry)])]
            if _id(entry) in KNOWN_BUGS
            else []
        )
        params.append(pytest.param(entry, id=_id(entry), marks=marks))
    return params


def _oversize() -> bytes:
    """The example FREEZE with a Remarks that takes it past the limit: well-formed, just too large."""
    document = example("request-freeze.xml")
    padding = b"x" * (LIMIT + 1 - len(document))
    return document.replace(b"</Documents>", b"</Documents>\n  <Remarks>" + padding + b"</Remarks>")


GENERATORS = {"oversize-xml": _oversize, "oversize-multipart": _oversize}


def _document(entry: dict) -> bytes:
    if "generator" in entry:
        return GENERATORS[entry["generator"]]()
    return (CORPUS / entry["file"]).read_bytes()


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
    names = [n for n in names if (EXAMPLE_FILES_DIR / n).is_file() and n not in entry.get("omit", [])]
    for name in dict.fromkeys(names + entry.get("extra", [])):
        data = b"%PDF-1.4 forged" if name in entry.get("forge", []) else example_file(name)
        parts.append(("files", (name, data, "application/pdf")))
    return parts


def _post(client: TestClient, url: str, headers: dict, document: bytes, entry: dict):
    if entry.get("transport") == "xml" or entry.get("generator") == "oversize-xml":
        return client.post(url, content=document, headers={**headers, "Content-Type": "application/xml"})
    return client.post(url, files=_parts(document, entry), headers=headers)


def _accepted(response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def corpus_files() -> None:
    """Every file the manifest names exists, and every corpus document is in the manifest."""
    named = {e["file"] for e in MANIFEST if "file" in e} | {
        e["before"] for e in MANIFEST if not e.get("before", "examples:").startswith("examples:")
    }
    present = {p.relative_to(CORPUS).as_posix() for p in CORPUS.rglob("*.xml")}
    assert named == present


def test_the_manifest_names_every_file_and_each_entry_is_complete(corpus_files):
    assert len(MANIFEST) >= 60
    for entry in MANIFEST:
        assert ("file" in entry) != ("generator" in entry), entry
        assert entry["kind"] in ("request", "receipt"), entry
        assert isinstance(entry["status"], int) and entry["why"], entry
        assert (entry["status"] < 300) == (entry.get("code") is None), entry
    assert len({_id(e) + e["kind"] for e in MANIFEST}) == len(MANIFEST)


@pytest.mark.parametrize("entry", _params())
def test_hostile_document(entry: dict, client: TestClient, token, stored):
    document = _document(entry)
    if entry["kind"] == "request":
        url, user = "/api/v1/requests", entry.get("user", "officer")
        if "before" in entry:
            before = _read(entry["before"])
            _accepted(client.post(url, files=_parts(before, {}), headers=token("officer")))
    else:
        freeze = example("request-freeze.xml")
        request = _accepted(
            client.post("/api/v1/requests", files=_parts(freeze, {}), headers=token("officer"))
        )
        [task] = request["tasks"]
        url, user = f"/api/v1/tasks/{task['id']}/receipts", entry.get("user", f"staff-{task['unit_code']}")
        if "before" in entry:
            before = _read(entry["before"])
            _accepted(client.post(url, files=_parts(before, {}), headers=token(f"staff-{task['unit_code']}")))
        if entry.get("setup") == "cancel":
            cancel = f"/api/v1/requests/{request['id']}/cancel"
            _accepted(client.post(cancel, json={"reason": "sent by mistake"}, headers=token("officer")))
    headers = token(user)
    rows = stored()

    response = _post(client, url, headers, document, entry)

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
        assert stored() == rows, "a refused document left rows or files behind"
    health = client.get("/healthz")
    assert health.status_code == 200, health.text
