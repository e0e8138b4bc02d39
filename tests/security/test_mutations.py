"""Mutations of valid documents (issue 6): whatever a sender gets wrong, the hub answers in its own terms.

Each example takes a valid request or receipt (the examples in schemas/examples/ and the good corpus
entries) and breaks it one to three times: bytes flipped, inserted, deleted or cut off; elements deleted,
duplicated, swapped or moved; attribute values and element text replaced with arbitrary text (control
characters, huge numbers, dates past the calendar, code values in the wrong place, markup); the XML
declaration changed, the encoding declared or used changed, byte-order marks added. Then:

- the document reader (hub.standard.rules.inspect, and receipt_problems for every action) returns or
  raises DocumentError with its problems, never anything else;
- fewer examples go through the API as requests and as receipts: never a 5xx, a refusal in the one error
  shape, and nothing left behind by a refusal.

The run is derandomized (profile "ci": the same examples every time, no example database). For a random,
longer search, with failures kept in .hypothesis/ to replay:

    HUB_HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest -q tests/security/test_mutations.py

The valid documents the hub cannot hold yet (KNOWN_BUGS of test_hostile_xml.py) are no seeds; a long
run may still find those bugs again by mutation (on PostgreSQL: a credentialNo of 41 to 100 characters).
"""

import os
import re
import tomllib
from copy import deepcopy
from dataclasses import dataclass
from html import escape
from itertools import count
from pathlib import Path

import pytest
from conftest import example_file, listed_files
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from lxml import etree
from test_hostile_xml import KNOWN_BUGS

from hub.standard.codes import Action, AssetClass, Outcome, ReasonCode
from hub.standard.rules import inspect, receipt_problems
from hub.standard.xml import DocumentError
from schemas import EXAMPLE_FILES_DIR, EXAMPLES_DIR

settings.register_profile("ci", derandomize=True, deadline=None, database=None, print_blob=False)
settings.register_profile("long", deadline=None, print_blob=True)
PROFILE = os.environ.get("HUB_HYPOTHESIS_PROFILE", "ci")
# Examples per run: the reader takes about 2 ms an example, the API about 20 (a request posted first).
EXAMPLES = {"ci": {"reader": 3000, "api": 150}, "long": {"reader": 20_000, "api": 500}}[PROFILE]


def profile(examples: int) -> settings:
    return settings(
        settings.get_profile(PROFILE),
        max_examples=examples,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- the valid documents mutated -----------------------------------------------------------------

CORPUS = Path(__file__).parent.parent / "corpus"
BOM = b"\xef\xbb\xbf"
DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding=["']([^"']+)["']""")


@dataclass(frozen=True)
class Seed:
    name: str
    kind: str  # request | receipt
    data: bytes

    @property
    def encoding(self) -> str:
        match = DECLARED.match(self.data.removeprefix(BOM))
        return match.group(1).decode().lower() if match else "utf-8"

    @property
    def text(self) -> str:
        return self.data.removeprefix(BOM).decode(self.encoding)


def _seeds() -> list[Seed]:
    paths = sorted(EXAMPLES_DIR.glob("*.xml"))
    manifest = tomllib.loads((CORPUS / "manifest.toml").read_text("utf-8"))["entry"]
    paths += [
        CORPUS / e["file"]
        for e in manifest
        if e["status"] < 300 and "file" in e and e["file"].removesuffix(".xml") not in KNOWN_BUGS
    ]
    seeds = []
    for path in paths:
        data = path.read_bytes()
        kind = "receipt" if b"AssistanceReceipt" in data[:400] or "receipt" in path.name else "request"
        seeds.append(Seed(path.relative_to(path.parents[1]).as_posix(), kind, data))
    return seeds


SEEDS = _seeds()


def test_every_seed_is_a_valid_document():
    """The mutations start from documents the reader accepts, of the kind they are posted as."""
    assert len(SEEDS) >= 30
    for seed in SEEDS:
        assert inspect(seed.data, expect=seed.kind).kind == seed.kind, seed.name


# --- arbitrary text, and the mutations -----------------------------------------------------------

CODES = [str(c) for codes in (Action, AssetClass, Outcome, ReasonCode) for c in codes]
SHAPED = [
    "",
    " ",
    "0",
    "-1",
    "1e400",
    "NaN",
    "INF",
    "0.001",
    "99999999999999999999",
    "-99999999999999999999.99",
    "1" * 400,
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-11-27T24:00:00+08:00",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-14:00",
    "2026-11-27T09:30:00+15:00",
    "true",
    "1",
    "&amp;",
    "]]>",
    "<x/>",
    "\x00",
    "\x1b[31m",
    "\ufeff",
    "\U0001f4a3",
    "𠀀" * 60,
    "../../etc/passwd",
    "a" * 5000,
]
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(SHAPED),
    st.sampled_from(CODES),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=None).map(str),
)
INSERTED = st.one_of(
    st.binary(min_size=1, max_size=8),
    st.sampled_from(
        [
            b"<",
            b"&",
            b"&#0;",
            b"&#x1F;",
            b"]]>",
            b"<!--",
            b"\x00",
            b"\xff\xfe",
            BOM,
            b"<![CDATA[",
            b"<!DOCTYPE x [<!ENTITY a SYSTEM 'file:///etc/passwd'>]>",
            b"<?xml version='1.0'?>",
            b'<Unit code="housing-fund"/>',
            b"</AssistanceRequest>",
        ]
    ),
)
CODECS = ["utf-8", "gb18030", "gbk", "big5", "shift_jis", "latin-1", "utf-16", "utf-16-le", "utf-32", "utf-7"]
DECLARATIONS = [*CODECS, "UTF-8", "GB18030", "utf8", "", "bogus", "UTF-16BE", "EBCDIC-US", "ISO-2022-JP"]


def _positions(data: bytes) -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=max(len(data) - 1, 0))


@st.composite
def byte_mutation(draw, data: bytes) -> bytes:
    at = draw(_positions(data))
    how = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
    if how == "flip" and data:
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if how == "insert":
        return data[:at] + draw(INSERTED) + data[at:]
    if how == "delete":
        return data[:at] + data[at + draw(st.integers(1, 64)) :]
    if how == "truncate":
        return data[:at]
    end = at + draw(st.integers(1, 200))
    return data[:end] + data[at:end] * draw(st.integers(1, 3)) + data[end:]


@st.composite
def tree_mutation(draw, data: bytes) -> bytes:
    """Delete, duplicate, swap, move or rename one element, or give it an unknown attribute."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return data
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    element = draw(st.sampled_from(elements))
    how = draw(st.sampled_from(["delete", "duplicate", "swap", "move", "rename", "attribute"]))
    parent = element.getparent()
    if how == "rename" or parent is None:
        other = draw(st.sampled_from(elements))
        element.tag = other.tag if draw(st.booleans()) else etree.QName(element).localname
    elif how == "delete":
        parent.remove(element)
    elif how == "duplicate":
        parent.insert(parent.index(element), deepcopy(element))
    elif how == "swap":
        siblings = [e for e in parent if isinstance(e.tag, str)]
        other = draw(st.sampled_from(siblings))
        i, j = parent.index(element), parent.index(other)
        parent.insert(j, element)
        parent.insert(i, other)
    elif how == "move":
        targets = [e for e in elements if e is not element and element not in e.iterancestors()]
        if targets:
            draw(st.sampled_from(targets)).append(element)
    else:
        element.set(draw(st.sampled_from(["code", "type", "currency", "extra", "version"])), "X")
    encoding = "GB18030" if b'ENCODING="GB18030"' in data[:80].upper() else "UTF-8"
    return etree.tostring(root.getroottree(), encoding=encoding, xml_declaration=True)


TEXT_NODE = re.compile(r">([^<]*)<")
ATTRIBUTE = re.compile(r"""([\w:]+)\s*=\s*(["'])(.*?)\2""")


def _pick(*choices: str) -> st.SearchStrategy[str]:
    return st.sampled_from(choices)


# Values shaped like the one they replace, at and past the edges a parser or a database may hold: one
# part of the value changed (the year, the time, the offset...), the rest kept.
EDGE_DATES = (
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "0000-01-01",
    "-0001-01-01",
    "2026-02-29",
    "2024-02-29",
)
EDGE_TIMES = ("24:00:00", "23:59:60", "00:00:00", "25:00:00", "12:60:00")
INSTANT_PARTS = re.compile(r"(.*?)T(\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?")


@st.composite
def _instant(draw, value: str) -> str:
    parts = list(INSTANT_PARTS.fullmatch(value.strip()).groups(default=""))
    which = draw(st.integers(0, 3))
    parts[which] = draw(
        [
            st.sampled_from(EDGE_DATES),
            st.sampled_from(EDGE_TIMES),
            _pick("", ".5", ".1234567890123"),
            _pick("+08:00", "Z", "-14:00", "+14:00", "+15:00", "", "-00:00"),
        ][which]
    )
    return f"{parts[0]}T{parts[1]}{parts[2]}{parts[3]}"


NUMBER = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    _pick(
        "1e5",
        "+5",
        " 5 ",
        "5.",
        ".5",
        "0",
        "0.001",
        "9" * 18,
        "9" * 16 + ".99",
        "9" * 17 + ".9",
        "2147483648",
    ),
)
CODE = st.one_of(st.sampled_from(CODES), st.sampled_from(CODES).map(str.lower), _pick("", "X", "OTHER "))
SHAPES = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), _instant),
    (re.compile(r"\d{4}-\d\d-\d\d"), lambda value: st.sampled_from(EDGE_DATES)),
    (re.compile(r"-?\d+(\.\d+)?"), lambda value: NUMBER),
    (re.compile(r"[A-Z][A-Z_]+"), lambda value: CODE),
]


def _shape(value: str) -> int:
    """The index in SHAPES of the shape of `value`, or len(SHAPES) for any other text."""
    return next((i for i, (shape, _) in enumerate(SHAPES) if shape.fullmatch(value.strip())), len(SHAPES))


@st.composite
def value_mutation(draw, seed: Seed, data: bytes) -> bytes:
    """Replace one element text or attribute value, chosen by its shape (instant, date, number, code,
    other), with a value of that shape or arbitrary text, escaped or raw."""
    try:
        text = data.removeprefix(BOM).decode(seed.encoding)
    except (UnicodeDecodeError, LookupError):
        return data
    spans = [m.span(1) for m in TEXT_NODE.finditer(text)] + [m.span(3) for m in ATTRIBUTE.finditer(text)]
    by_shape: dict[int, list[tuple[int, int]]] = {}
    for start, end in spans:
        by_shape.setdefault(_shape(text[start:end]), []).append((start, end))
    if not by_shape:
        return data
    shape = draw(st.sampled_from(sorted(by_shape)))
    start, end = draw(st.sampled_from(by_shape[shape]))
    if shape < len(SHAPES) and draw(st.integers(0, 3)):
        value = draw(SHAPES[shape][1](text[start:end]))
    else:
        value = draw(TEXT)
    if draw(st.integers(0, 3)):
        value = escape(value, quote=True)
    text = text[:start] + value + text[end:]
    return text.encode(seed.encoding, "surrogatepass")


@st.composite
def declaration_mutation(draw, seed: Seed, data: bytes) -> bytes:
    """Say another encoding or XML version, use another encoding, or add or drop marks and declaration."""
    how = draw(st.sampled_from(["declare", "recode", "version", "drop", "bom"]))
    try:
        text = data.removeprefix(BOM).decode(seed.encoding)
    except UnicodeDecodeError:
        text = seed.text
    body = re.sub(r"^<\?xml[^>]*\?>", "", text)
    if how == "declare":
        declared = draw(st.sampled_from(DECLARATIONS))
        return re.sub(rb'encoding="[^"]*"', f'encoding="{declared}"'.encode(), data, count=1)
    if how == "recode":
        codec, declared = draw(st.sampled_from(CODECS)), draw(st.sampled_from(DECLARATIONS))
        return f'<?xml version="1.0" encoding="{declared}"?>{body}'.encode(codec, "xmlcharrefreplace")
    if how == "version":
        version = draw(st.sampled_from(["1.1", "1.2", "2.0", "", "1.0 ", "one"]))
        declaration = f'<?xml version="{version}" encoding="{seed.encoding.upper()}"?>'
        return (declaration + body).encode(seed.encoding, "surrogatepass")
    if how == "drop":
        return body.lstrip().encode(seed.encoding, "surrogatepass")
    mark = draw(st.sampled_from([BOM, b"\xff\xfe", b"\xfe\xff", b"\x84\x31\x95\x33", BOM + BOM]))
    return mark + data.removeprefix(BOM)


@st.composite
def mutated(draw) -> tuple[Seed, bytes, list[str]]:
    """A seed, the bytes of one to three mutations of it, and what was done (for the report)."""
    seed = draw(st.sampled_from(SEEDS))
    data, done = seed.data, []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["bytes", "tree", "value", "value", "declaration"]))
        if kind == "bytes":
            data = draw(byte_mutation(data))
        elif kind == "tree":
            data = draw(tree_mutation(data))
        elif kind == "value":
            data = draw(value_mutation(seed, data))
        else:
            data = draw(declaration_mutation(seed, data))
        done.append(kind)
    return seed, data, done


# --- (a) the reader ------------------------------------------------------------------------------


def _check_refusal(error: DocumentError) -> None:
    assert error.problems, "a refusal must say what is wrong"
    for problem in error.problems:
        assert isinstance(problem.message, str) and problem.message, problem
        assert isinstance(problem.path, str) and problem.path.startswith("/"), problem
        assert problem.line is None or isinstance(problem.line, int), problem


def _stage(message: str) -> str:
    """Where a refusal came from, for the statistics (pytest --hypothesis-show-statistics)."""
    if message.startswith("not well-formed"):
        return "not well-formed"
    if message.startswith("Element "):
        return "schema"
    if "encoding" in message or "UTF-" in message or "XML version" in message or "DOCTYPE" in message:
        return "declaration"
    return "rules"


@profile(EXAMPLES["reader"])
@given(mutated())
def test_the_reader_returns_or_refuses_a_mutated_document(case):
    seed, data, done = case
    note(f"{seed.name} after {done}: {data[:3000]!r}")
    for expect in (None, seed.kind):
        try:
            inspected = inspect(data, expect=expect)
        except DocumentError as error:
            _check_refusal(error)
            event(f"refused: {_stage(error.problems[0].message)}")
            continue
        event("accepted")
        assert inspected.kind in ("request", "receipt")
        if inspected.receipt is not None:
            for action in Action:
                for problem in receipt_problems(inspected.receipt, action=action):
                    assert problem.message, problem


# --- (b) the API ---------------------------------------------------------------------------------

# The example requests by RequestNo: a receipt is posted to a task of a fresh copy of its request
# (RENEW and RELEASE need a control first: their receipts go to a fresh FREEZE's task and are refused).
REQUESTS = {
    re.search(rb"<RequestNo>([^<]+)<", data).group(1): data
    for data in (p.read_bytes() for p in sorted(EXAMPLES_DIR.glob("request-*.xml")))
    if b"<Action>RENEW<" not in data and b"<Action>RELEASE<" not in data
}
FREEZE_NO = b"AT-2026-000123"
_examples = count()  # a suffix per example for the numbers of what it posts
NUMBERS = re.compile(rb"<(RequestNo|ReceiptNo)>([^<]{1,30})<")


def _parts(document: bytes) -> list[tuple[str, tuple]]:
    parts: list[tuple[str, tuple]] = [("document", ("document.xml", document, "application/xml"))]
    try:
        names = listed_files(document)
    except UnicodeDecodeError:
        names = []
    for name in dict.fromkeys(n for n in names if "/" not in n and (EXAMPLE_FILES_DIR / n).is_file()):
        parts.append(("files", (name, example_file(name), "application/pdf")))
    return parts


def _fresh(data: bytes, suffix: bytes) -> bytes:
    """`data` with its RequestNo and ReceiptNo made new (as far as they are still readable), so that
    each example is a new request or answers a task still open."""
    for _, number in NUMBERS.findall(data):
        data = data.replace(number, number + suffix)
    return data


def _check_answer(response, stored_before: dict, stored) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code >= 400:
        assert list(body) == ["error"], body
        error = body["error"]
        assert isinstance(error["code"], str) and error["code"], error
        assert isinstance(error["message"], str) and error["message"], error
        assert isinstance(error["details"], list), error
        for detail in error["details"]:
            assert set(detail) == {"line", "path", "message"}, detail
        assert stored() == stored_before, "a refused document left rows or files behind"
    else:
        assert response.status_code in (200, 201) and isinstance(body, dict), body


@pytest.fixture
def headers(token) -> dict[str, dict[str, str]]:
    """A bearer header per user, issued once for all the examples of a test."""

    class Headers(dict):
        def __missing__(self, user: str) -> dict[str, str]:
            self[user] = token(user)
            return self[user]

    return Headers()


@profile(EXAMPLES["api"])
@given(case=mutated(), swap=st.integers(0, 4).map(lambda n: n == 0))
def test_a_mutated_document_through_the_api_gets_an_answer_in_the_error_shape(
    case, swap, client: TestClient, headers, stored
):
    """Posted as what its seed is (one in five as the other kind): never a 5xx, a refusal in the error
    shape that leaves nothing behind."""
    seed, data, done = case
    suffix = b"-M%d" % next(_examples)
    data = _fresh(data, suffix)
    as_receipt = (seed.kind == "receipt") != swap
    note(f"{seed.name} after {done}, posted as a {'receipt' if as_receipt else 'request'}: {data[:3000]!r}")
    url, user = "/api/v1/requests", "officer"
    if as_receipt:
        found = re.search(rb"<RequestNo>([^<]+)<", seed.data)
        request = REQUESTS.get(found.group(1) if found else b"", REQUESTS[FREEZE_NO])
        answer = client.post(
            "/api/v1/requests", files=_parts(_fresh(request, suffix)), headers=headers["officer"]
        )
        assert answer.status_code == 201, answer.text
        tasks = answer.json()["tasks"]
        unit = re.search(r"<UnitCode>([^<]+)<", seed.text)
        task = next((t for t in tasks if unit and t["unit_code"] == unit.group(1)), tasks[0])
        url, user = f"/api/v1/tasks/{task['id']}/receipts", f"staff-{task['unit_code']}"
    before = stored()
    response = client.post(url, files=_parts(data), headers=headers[user])
    _check_answer(response, before, stored)
    event(f"{response.status_code} {response.json().get('error', {}).get('code', '')}")
