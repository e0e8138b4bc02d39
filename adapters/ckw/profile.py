"""What a 查控 profile is: the messages of one family of units' clients, mapped to and from the standard.

The hub's SOAP face (hub/ckw) reads the envelope, checks the unit's credentials, finds the unit's tasks
and files and applies receipts; a profile only knows its clients' messages: which operation does what,
how arguments and answers are encoded, how the hub's requests are listed and how the unit's feedback
becomes standard receipts. A profile is pure: no database, no HTTP, no clock (times are passed in).

Every document a profile reads is untrusted: it decodes with `decode_base64` and parses with
`read_xml` (the hub's hardened parser), and raises FormatError, naming the field, for anything else.
"""

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Protocol

from lxml import etree

from hub.standard.codes import Action
from hub.standard.documents import AssistanceRequest
from hub.standard.write_receipt import ReceiptDraft
from hub.standard.xml import DocumentError, parse

_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")
# The inner documents are base64 inside the envelope: their limit is the envelope's, read once decoded.
MAX_INNER_BYTES = 16 * 1024 * 1024


class FormatError(ValueError):
    """A unit's document cannot be mapped. `field` names the offending field, and the message says why.

    The message reads "<field>: <why>", e.g. "KZZT: expected 1 or 2, got '9' (BDCKZJG[1])"; the unit
    gets it in its answer, and no retry changes the bytes.
    """

    def __init__(self, field: str, why: str, *, where: str | None = None) -> None:
        super().__init__(f"{field}: {why}" + (f" ({where})" if where else ""))
        self.field = field


class Role(StrEnum):
    """What an operation does, whatever each family calls it."""

    CONTROL_LIST = "control-list"  # the unit's pending control requests
    QUERY_LIST = "query-list"  # the unit's pending queries
    DOCUMENTS = "documents"  # a request's files
    CREDENTIALS = "credentials"  # the officer's cards
    CONTROL_FEEDBACK = "control-feedback"  # results of control requests
    QUERY_FEEDBACK = "query-feedback"  # results of queries


@dataclass(frozen=True)
class Original:
    """The control a RENEW or RELEASE item continues, as its unit knows it."""

    request_no: str
    case_no: str
    registration_no: str | None


@dataclass(frozen=True)
class Cards:
    """The officer's cards: numbers, and images as (bytes, extension such as "jpg"). Only
    `credentials_answer` (zjInfo) gets the images; a list's `Pending.cards` has the numbers alone."""

    officer_name: str
    work_card_no: str | None = None
    credential_no: str | None = None
    work_card: tuple[bytes, str] | None = None
    credential_card: tuple[bytes, str] | None = None


@dataclass(frozen=True)
class Pending:
    """One task on the unit's list: its request as the court sent it, and what the unit must be told.

    `request.request_no` is the key the unit's system knows the request by (CXQQDH, BDHM): the RequestNo,
    or "<court code>/<RequestNo>" while another court's request to the unit has the same RequestNo."""

    task_id: int
    request: AssistanceRequest
    # for RENEW and RELEASE items: the original control, by the item's Original/@requestNo
    originals: dict[str, Original] = field(default_factory=dict)
    cards: Cards | None = None
    court_name: str | None = None  # as the directory names the court (the registry's 查封机关)


@dataclass(frozen=True)
class File:
    """A file of a request (kzwsInfo, wsInfo): its standard type (RULING, NOTICE, OTHER), name and bytes."""

    type: str
    filename: str
    data: bytes


# The standard receipt for one request's feedback: given the request, the unit's code and a ReceiptNo
# the hub chose for it (stable for the same feedback), the draft; FormatError when it cannot be mapped.
DraftOf = Callable[[AssistanceRequest, str, str], ReceiptDraft]


@dataclass(frozen=True)
class Fed:
    """One request's feedback in a batch: its request no. (CXQQDH, BDHM) and how to make its receipt."""

    request_no: str
    draft: DraftOf
    digest: (
        str  # sha256 of this request's part of the feedback, as received: the same feedback again is the same
    )


@dataclass(frozen=True)
class Outcome:
    """What the hub did with one request's feedback, for the answer: ok, and a message when not."""

    request_no: str
    ok: bool
    message: str = ""


class Profile(Protocol):
    name: ClassVar[str]  # the directory's channel.profile
    namespace: ClassVar[str]  # the operations' namespace
    wsdl: ClassVar[str]  # the WSDL's file name in schemas/
    roles: ClassVar[dict[str, Role]]  # operation name -> what it does
    # whether its units undo a registration they reported (a registry withdrawing its seal: a "not done"
    # after a "done"); otherwise feedback for a request already answered is refused
    withdraws: ClassVar[bool]
    actions: ClassVar[dict[Role, frozenset[Action]]]  # CONTROL_LIST, QUERY_LIST -> the actions listed

    def __init__(self, *, encode_values: bool = True) -> None: ...

    def credentials(self, argument: str) -> list[tuple[str, str]]:
        """(username, password) as the usermarker may mean them (values encoded or not), first the likeliest."""
        ...

    def request_nos(self, argument: str) -> list[str]:
        """The request no. a documents or credentials call asks for, as it may mean it (encoded once or twice)."""
        ...

    def list_answer(self, role: Role, pending: list[Pending], *, at: datetime) -> str: ...

    def documents_answer(self, request_no: str, files: list[File], *, at: datetime) -> str: ...

    def credentials_answer(self, request_no: str, cards: Cards | None, *, at: datetime) -> str: ...

    def feedback(self, role: Role, argument: str, *, at: datetime) -> list[Fed]:
        """The batch's feedback per request; FormatError for a document that cannot be read at all. `at`
        is when it came: a receipt's HandledAt when the feedback names no time of its own."""
        ...

    def feedback_answer(self, role: Role, outcomes: list[Outcome], *, at: datetime) -> str: ...

    def error_answer(self, operation: str, message: str, *, at: datetime) -> str:
        """The operation's answer carrying a business error (bad credentials, an unknown request...)."""
        ...


def decode_base64(value: str | bytes, *, field: str) -> bytes:
    """Base64 as the clients write it: line breaks (MIME, every 76 characters) and spaces ignored."""
    data = _NOT_BASE64.sub(b"", value.encode("ascii", "replace") if isinstance(value, str) else value)
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(field, "not base64") from None


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def read_xml(data: bytes, *, field: str, max_bytes: int = MAX_INNER_BYTES) -> etree._Element:
    """A decoded inner document, read with the hub's hardened parser (no DTD, no entities, limits).

    GBK and GB2312 are read as GB18030, their superset (the banks' clients declare UTF-8 or GBK and
    mean what they declare, or write ASCII only once their values are encoded)."""
    data = _GBK_DECLARATION.sub(rb"\1GB18030\2", data, count=1)
    try:
        return parse(data, max_bytes=max_bytes).getroot()
    except DocumentError as exc:
        problem = exc.problems[0]
        raise FormatError(field, f"the decoded document cannot be read: {problem.message}") from None


_GBK_DECLARATION = re.compile(rb"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*["'])(?:GBK|GB2312|CP936)(["'])""", re.I)
