"""The one hardened way the hub reads XML, and validation against the XSD (lxml/libxml2, the hot path)."""

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from lxml import etree

from hub.standard import NS
from schemas import XSD_PATH

ALLOWED_ENCODINGS = frozenset({"UTF-8", "GB18030"})
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# Problems listed for one document at most: a hostile document can breach a rule once per element,
# and listing every breach costs time and an error body larger than the document.
MAX_PROBLEMS = 100
UTF8_BOM = b"\xef\xbb\xbf"
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)["']""")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document: where (line and element path) and what."""

    line: int | None
    path: str
    message: str
    column: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"{self.line or 0}:{self.column} {self.path} {self.message}"


class DocumentError(Exception):
    """The document cannot be accepted; `problems` says each thing wrong."""

    def __init__(self, problems: list[Problem], code: str = "invalid_document") -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems
        self.code = code


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_blank_text=False,
    )


_thread = threading.local()


def _thread_parser() -> etree.XMLParser:
    """This thread's parser, made in it.

    lxml gives each thread a string dictionary for the names it parses, but a thread whose first document
    goes through a parser another thread used takes that thread's dictionary as its own, and libxml2 does
    not allow two threads to add names to one dictionary at once: element names read wrong, and crashes
    (issue 13: 3 of 145 processes of 8 threads parsing new names through one parser, none of 145 with one
    parser per thread).
    """
    parser = getattr(_thread, "parser", None)
    if parser is None:
        parser = _thread.parser = _parser()
    return parser


def parse_file(path: Path) -> etree._ElementTree:
    """One of the hub's own files (an XSD, a stylesheet), read with the same parser as documents."""
    return etree.parse(str(path), _parser())


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._ElementTree:
    """Parse untrusted bytes: size limit, no DTD, no entities, no network, UTF-8 or GB18030 only."""
    if len(data) > max_bytes:
        raise DocumentError(
            [Problem(None, "/", f"the document is {len(data)} bytes, more than the limit of {max_bytes}")],
            code="document_too_large",
        )
    if not data.strip():
        raise DocumentError([Problem(None, "/", "the document is empty")])
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        raise DocumentError([Problem(1, "/", "UTF-16 and UTF-32 are not allowed: use UTF-8 or GB18030")])
    try:
        tree = etree.ElementTree(etree.fromstring(data, _thread_parser()))
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or None
        column = exc.position[1] if exc.position else 0
        raise DocumentError([Problem(line, "/", f"not well-formed XML: {exc.msg}", column)]) from None
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise DocumentError([Problem(1, "/", "a DOCTYPE is not allowed in a document")])
    if info.xml_version != "1.0":
        raise DocumentError(
            [
                Problem(
                    1,
                    "/",
                    f"XML version {info.xml_version} is not allowed: the standard is XML 1.0 "
                    '(<?xml version="1.0" encoding="UTF-8"?>)',
                )
            ]
        )
    # libxml2 reports UTF-8 after a UTF-8 byte-order mark, whatever the declaration says
    declared = _declared_encoding(data) if data.startswith(UTF8_BOM) else None
    encoding = declared or info.encoding or "UTF-8"
    if encoding.upper() not in ALLOWED_ENCODINGS:
        raise DocumentError([Problem(1, "/", f"encoding {encoding} is not allowed: use UTF-8 or GB18030")])
    if declared and declared.upper() != "UTF-8":
        raise DocumentError(
            [
                Problem(
                    1,
                    "/",
                    f"the document starts with a UTF-8 byte-order mark but declares encoding {declared}: "
                    "declare UTF-8, or drop the mark",
                )
            ]
        )
    return tree


def _declared_encoding(data: bytes) -> str | None:
    """The encoding the XML declaration names, if it names one."""
    head = data.removeprefix(UTF8_BOM)
    if not head.startswith(b"<?xml"):
        return None
    match = _DECLARED_ENCODING.match(head[: head.find(b"?>") + 2])
    return match.group(1).decode("ascii", "replace") if match else None


def element_path(element: etree._Element) -> str:
    """A readable path such as /AssistanceRequest/Items/Item[2]/Period."""
    parts = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            before = sum(1 for _ in node.itersiblings(node.tag, preceding=True))
            if before or next(node.itersiblings(node.tag), None) is not None:
                name += f"[{before + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


# libxml2 must not build an XSD or an XSLT in two threads at once: the first build sets up its schema
# types unsafely, and builds share the parser's globals (and lxml's document loader hook). Threads racing
# through them refused every later document, read an attribute of the XSD as 'nam' (issue 13,
# tests/reliability/test_crash.py) and corrupted the heap (tests/standard/test_libxml2_threads.py).
# Every XSD and XSLT of the hub is a `Built`.
BUILD_LOCK = threading.Lock()
_T = TypeVar("_T")


class Built(Generic[_T]):
    """A libxml2 structure (an XSD, an XSLT) built once per process, then shared by every thread.

    `get()` builds it on first use, under BUILD_LOCK, and hub.standard.warm.warm_up() builds them all before
    a server or a worker starts its threads. The build runs in a thread of its own: lxml gives each thread a
    string dictionary, a stylesheet keeps the one it was built with, and its transforms in other threads
    read that dictionary without a lock, which is safe only while no thread adds to it (a worker thread
    that built it would, with each document it parses; a thread that ended does not).
    """

    def __init__(self, make: Callable[[], _T]) -> None:
        self._make = make
        self._value: _T | None = None

    def get(self) -> _T:
        if self._value is None:
            with BUILD_LOCK:
                if self._value is None:
                    self._value = _in_a_thread_of_its_own(self._make)
        return self._value


def _in_a_thread_of_its_own(make: Callable[[], _T]) -> _T:
    outcome: list = []

    def run() -> None:
        try:
            outcome.append(make())
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)

    thread = threading.Thread(target=run, name="libxml2-build")
    thread.start()
    thread.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


class SharedSchema:
    """An XSD every thread uses (a `Built` one).

    lxml keeps one error_log per schema, emptied by the next validation in any thread: a validation and
    the reading of its errors happen under the schema's own lock, so a thread reads its document's errors
    and nobody else's. (bench/README.md, "The XSD under threads": as fast as a schema per thread.)
    """

    def __init__(self, load: Callable[[], etree._ElementTree]) -> None:
        self._xsd = Built(lambda: etree.XMLSchema(load()))
        self._lock = threading.Lock()

    def build(self) -> "SharedSchema":
        self._xsd.get()
        return self

    def errors(self, tree: etree._ElementTree | etree._Element) -> list[etree._LogEntry]:
        """What is wrong with `tree` (a document, or an element as the root of one), in document order:
        nothing when it is valid."""
        xsd = self._xsd.get()
        with self._lock:
            return [] if xsd.validate(tree) else list(xsd.error_log)


_SCHEMA = SharedSchema(lambda: parse_file(XSD_PATH))


def schema() -> SharedSchema:
    """The standard's XSD (schemas/enforcement-1.0.xsd), built on first use."""
    return _SCHEMA.build()


def _clean(message: str) -> str:
    return message.replace("{" + NS + "}", "")


def validate_schema(tree: etree._ElementTree) -> list[Problem]:
    """Problems against the XSD, one per libxml2 error in document order, MAX_PROBLEMS at most.

    libxml2 reports lines, people read element paths: each error names the deepest element that
    starts on its line."""
    errors = schema().errors(tree)
    if not errors:
        return []
    starting: dict[int, etree._Element] = {}
    for element in tree.iter():
        if isinstance(element.tag, str):
            starting[element.sourceline] = element
    problems = [
        Problem(
            error.line,
            element_path(starting[error.line]) if error.line in starting else "/",
            _clean(error.message),
            error.column,
        )
        for error in errors[:MAX_PROBLEMS]
    ]
    return problems + more_problems(len(errors))


def more_problems(found: int) -> list[Problem]:
    """The note that closes a list cut at MAX_PROBLEMS (nothing if `found` is not more)."""
    if found <= MAX_PROBLEMS:
        return []
    return [Problem(None, "/", f"{found - MAX_PROBLEMS} more problem(s) not listed: correct these first")]
