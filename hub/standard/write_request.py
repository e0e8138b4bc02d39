"""Writing an AssistanceRequest (STANDARD.md) from plain values: the officer's form and the batch build it here.

`write_request` is pure: it writes what it is given, in the order the XSD fixes, in the standard's
namespace, as UTF-8 with the XML declaration, one element per line (so a problem's line names one
element). It checks nothing past its types: the hub's `inspect` and `submit_request` judge the result.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from hub.clock import SHANGHAI
from hub.standard import NS

E = ElementMaker(namespace=NS, nsmap={None: NS})
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class SubjectDraft:
    kind: str  # SubjectKind: person | organization
    name: str
    id_type: str  # IdType
    id_number: str


@dataclass(frozen=True)
class TransfereeDraft(SubjectDraft):
    """Who a TRANSFER item gives the asset to; `share` (1/2) when several take it in shares."""

    share: str | None = None


@dataclass(frozen=True)
class ItemDraft:
    asset_class: str  # AssetClass
    asset_id: str
    description: str | None = None
    amount: Decimal | None = None
    currency: str = "CNY"
    period_start: date | None = None
    period_end: date | None = None
    flexible_custodian: str | None = None
    flexible_use: str | None = None
    original_request_no: str | None = None
    original_registration_no: str | None = None
    transferees: tuple[TransfereeDraft, ...] = ()


@dataclass(frozen=True)
class DocumentDraft:
    type: str  # DocumentType: RULING | NOTICE | OTHER
    filename: str
    sha256: str

    @classmethod
    def of(cls, type: str, filename: str, data: bytes) -> "DocumentDraft":
        return cls(type, filename, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class RequestDraft:
    """The values of one request. `targets` are unit codes; `all_capable` writes <AllCapable/> instead."""

    request_no: str
    issued_at: datetime  # timezone-aware; written in +08:00
    court_code: str
    court_name: str
    officer_name: str
    case_no: str
    action: str  # Action
    subject: SubjectDraft
    targets: tuple[str, ...] = ()
    all_capable: bool = False
    items: tuple[ItemDraft, ...] = ()
    documents: tuple[DocumentDraft, ...] = ()
    officer_credential_no: str | None = None
    officer_phone: str | None = None
    remarks: str | None = None


def _amount(value: Decimal) -> str:
    """50000 -> 50000.00; more than two decimals are written as they are, for the XSD to refuse."""
    return f"{value:.2f}" if value == value.quantize(CENTS) else format(value, "f")


def _item(item: ItemDraft) -> etree._Element:
    element = E.Item(E.AssetClass(item.asset_class), E.AssetId(item.asset_id))
    if item.description:
        element.append(E.Description(item.description))
    if item.amount is not None:
        element.append(E.Amount(_amount(item.amount), currency=item.currency))
    if item.period_start is not None or item.period_end is not None:
        period = E.Period()
        if item.period_start is not None:
            period.set("start", item.period_start.isoformat())
        if item.period_end is not None:
            period.set("end", item.period_end.isoformat())
        element.append(period)
    if item.flexible_custodian or item.flexible_use:
        element.append(
            E.Flexible(custodian=item.flexible_custodian or "", permittedUse=item.flexible_use or "")
        )
    if item.original_request_no or item.original_registration_no:
        original = E.Original(requestNo=item.original_request_no or "")
        if item.original_registration_no:
            original.set("registrationNo", item.original_registration_no)
        element.append(original)
    for who in item.transferees:
        transferee = E.Transferee(
            E.Name(who.name), E.IdType(who.id_type), E.IdNumber(who.id_number), kind=who.kind
        )
        if who.share:
            transferee.set("share", who.share)
        element.append(transferee)
    return element


def write_request(draft: RequestDraft) -> bytes:
    """The AssistanceRequest of `draft` as UTF-8 XML bytes. Raises ValueError for a naive `issued_at`."""
    if draft.issued_at.tzinfo is None:
        raise ValueError("IssuedAt needs a timezone-aware instant")
    officer = E.Officer(draft.officer_name)
    if draft.officer_credential_no:
        officer.set("credentialNo", draft.officer_credential_no)
    if draft.officer_phone:
        officer.set("phone", draft.officer_phone)
    targets = E.Targets(
        *([E.AllCapable()] if draft.all_capable else [E.Unit(code=code) for code in draft.targets])
    )
    root = E.AssistanceRequest(
        E.RequestNo(draft.request_no),
        E.IssuedAt(draft.issued_at.astimezone(SHANGHAI).isoformat(timespec="seconds")),
        E.Court(draft.court_name, code=draft.court_code),
        officer,
        E.CaseNo(draft.case_no),
        E.Action(draft.action),
        E.Subject(
            E.Name(draft.subject.name),
            E.IdType(draft.subject.id_type),
            E.IdNumber(draft.subject.id_number),
            kind=draft.subject.kind,
        ),
        targets,
        version="1.0",
    )
    if draft.items:
        root.append(E.Items(*(_item(item) for item in draft.items)))
    root.append(
        E.Documents(*(E.Document(type=d.type, filename=d.filename, sha256=d.sha256) for d in draft.documents))
    )
    if draft.remarks:
        root.append(E.Remarks(draft.remarks))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
