"""The one hardened way the hub reads XML, and validation against the XSD (lxml/libxml2, the hot path)."""

from dataclasses import dataclass
from functools import cache

from lxml import etree

from hub.standard import NS

ALLOWED_ENCODINGS = frozenset({"UTF-8", "GB18030"})
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


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
    encoding = (info.encoding or "UTF-8").upper()
    if encoding not in ALLOWED_ENCODINGS:
        raise DocumentError(
            [Problem(1, "/", f"encoding {info.encoding} is not allowed: use UTF-8 or GB18030")]
        )
    return tree


def element_path(element: etree._Element) -> str:
    """A readable path such as /AssistanceRequest/Items/Item[2]/Period."""
    parts = []
    node: etree._Element | None = element
    while node is not None:
        name = etree.QName(node).localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if isinstance(c.tag, str) and c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


@cache
def schema() -> etree.XMLSchema:
    from schemas import XSD_PATH

    return etree.XMLSchema(etree.parse(str(XSD_PATH), _parser()))


def _clean(message: str) -> str:
    return message.replace("{" + NS + "}", "")


def _path_at(tree: etree._ElementTree, line: int, fallback: str) -> str:
    """The deepest element that starts on `line`: libxml2 reports lines, people read element paths."""
    found = None
    for element in tree.iter():
        if isinstance(element.tag, str) and element.sourceline == line:
            found = element
    return element_path(found) if found is not None else fallback


def validate_schema(tree: etree._ElementTree) -> list[Problem]:
    """Problems against the XSD, one per libxml2 error, in document order."""
    xsd = schema()
    if xsd.validate(tree):
        return []
    return [
        Problem(error.line, _path_at(tree, error.line, "/"), _clean(error.message), error.column)
        for error in xsd.error_log
    ]
