"""The one hardened way the hub reads XML, and validation against the XSD (lxml/libxml2, the hot path)."""

import re
import threading
from dataclasses import dataclass

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


_PARSER = _parser()


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
        tree = etree.ElementTree(etree.fromstring(data, _PARSER))
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


def _build_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH), _parser()))


# Built once at import, before any thread starts: libxml2 sets up its schema types, unsafely, the first time
# a process builds a schema; threads racing through that left a process unable to build any (500s until
# restart) and once corrupted its heap (found by tests/reliability/test_crash.py).
_FIRST_SCHEMA = _build_schema()
_per_thread = threading.local()


def schema() -> etree.XMLSchema:
    """The XSD, one instance per thread: lxml keeps one error_log per schema, so a validation in another
    thread could empty it between validate() and reading it, and let an invalid document through."""
    xsd = getattr(_per_thread, "xsd", None)
    if xsd is None:
        xsd = _per_thread.xsd = (
            _FIRST_SCHEMA if threading.current_thread() is threading.main_thread() else _build_schema()
        )
    return xsd


def _clean(message: str) -> str:
    return message.replace("{" + NS + "}", "")


def validate_schema(tree: etree._ElementTree) -> list[Problem]:
    """Problems against the XSD, one per libxml2 error in document order, MAX_PROBLEMS at most.

    libxml2 reports lines, people read element paths: each error names the deepest element that
    starts on its line."""
    xsd = schema()
    if xsd.validate(tree):
        return []
    errors = list(xsd.error_log)
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
