"""Typed views of a request and a receipt, read from a tree that passed the XSD."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from lxml import etree

from hub.standard import DSIG_NS, NS
from hub.standard.codes import (
    Action,
    AssetClass,
    AssetStatus,
    AttachmentType,
    DocumentType,
    EncumbranceKind,
    IdType,
    Outcome,
    ReasonCode,
    SubjectKind,
)
from hub.standard.xml import element_path


class Pos:
    """Where an element stands, for messages: its line, and its path worked out only when asked for."""

    __slots__ = ("_element", "line")

    def __init__(self, element: etree._Element) -> None:
        self._element, self.line = element, element.sourceline

    @property
    def path(self) -> str:
        return element_path(self._element)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    pos: Pos


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str
    pos: Pos


@dataclass(frozen=True)
class Original:
    request_no: str
    registration_no: str | None
    pos: Pos


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    name: str
    id_type: IdType
    id_number: str
    pos: Pos  # its IdNumber, where an identity problem is named


@dataclass(frozen=True)
class Transferee(Subject):
    """Who a TRANSFER gives the asset to (<Transferee>), named as the subject is; `share` when several
    take it in shares."""

    share: str | None = None


@dataclass(frozen=True)
class RequestItem:
    asset_class: AssetClass
    asset_id: str
    description: str | None
    amount: Money | None
    period: Period | None
    flexible_custodian: str | None
    flexible_use: str | None
    original: Original | None
    pos: Pos
    asset_class_pos: Pos
    transferees: tuple[Transferee, ...] = ()


@dataclass(frozen=True)
class FileRef:
    type: str
    filename: str
    sha256: str
    pos: Pos


@dataclass(frozen=True)
class AssistanceRequest:
    request_no: str
    issued_at: datetime
    court_code: str
    court_name: str
    officer_name: str
    officer_credential_no: str | None
    officer_phone: str | None
    case_no: str
    action: Action
    subject: Subject
    targets: list[str]
    all_capable: bool
    items: list[RequestItem]
    documents: list[FileRef]
    remarks: str | None
    signed: bool
    pos: dict[str, Pos] = field(default_factory=dict)


@dataclass(frozen=True)
class Owner:
    name: str
    share: str | None


@dataclass(frozen=True)
class Encumbrance:
    """A right registered on a found asset (<Encumbrance>): a mortgage, a seal, a pre-registration..."""

    kind: EncumbranceKind
    holder: str | None  # the mortgagee, the sealing court
    registration_no: str | None  # the unit's own number of the registration
    reference: str | None  # a seal's ruling no., a mortgage's certificate of other rights
    amount: Money | None  # the secured amount
    period: Period | None
    description: str | None


@dataclass(frozen=True)
class FoundAsset:
    asset_class: AssetClass
    asset_id: str
    description: str | None
    value: Money | None
    status: AssetStatus | None
    owners: list[Owner]
    encumbrances: list[Encumbrance] = field(default_factory=list)


@dataclass(frozen=True)
class ControlResult:
    asset_class: AssetClass
    asset_id: str
    registration_no: str | None
    period: Period | None
    amount: Money | None
    queue_position: int | None
    pos: Pos


@dataclass(frozen=True)
class AssistanceReceipt:
    request_no: str
    unit_code: str
    receipt_no: str
    handled_at: datetime
    handler_name: str
    handler_phone: str | None
    final: bool
    outcome: Outcome
    reason_code: ReasonCode | None
    reason_text: str | None
    assets: list[FoundAsset]
    controls: list[ControlResult]
    attachments: list[FileRef]
    signed: bool
    pos: dict[str, Pos] = field(default_factory=dict)


@cache
def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _pos(element: etree._Element) -> Pos:
    return Pos(element)


def _child(element: etree._Element, name: str) -> etree._Element | None:
    return next(element.iterchildren(_q(name)), None)


def _text(element: etree._Element, name: str) -> str | None:
    child = _child(element, name)
    if child is None or child.text is None:
        return None
    return child.text.strip()


def _period(element: etree._Element | None) -> Period | None:
    if element is None:
        return None
    return Period(
        date.fromisoformat(element.get("start")), date.fromisoformat(element.get("end")), _pos(element)
    )


def _money(element: etree._Element | None) -> Money | None:
    if element is None:
        return None
    return Money(Decimal(element.text.strip()), element.get("currency", "CNY"), _pos(element))


def _files(parent: etree._Element | None, name: str) -> list[FileRef]:
    if parent is None:
        return []
    return [
        FileRef(el.get("type"), el.get("filename"), el.get("sha256").lower(), _pos(el))
        for el in parent.iterfind(_q(name))
    ]


def _signed(root: etree._Element) -> bool:
    return root.find(f"{{{DSIG_NS}}}Signature") is not None


def _person(element: etree._Element, shape: type[Subject] = Subject, **more) -> Subject:
    """A <Subject> or a <Transferee> (`shape`, with `more` of its own): a resident ID in upper case (a
    lower-case x check digit is accepted), other numbers as written."""
    id_type = IdType(_text(element, "IdType"))
    id_number = _text(element, "IdNumber")
    return shape(
        kind=SubjectKind(element.get("kind")),
        name=_text(element, "Name"),
        id_type=id_type,
        id_number=id_number.upper() if id_type is IdType.RESIDENT_ID else id_number,
        pos=_pos(_child(element, "IdNumber")),
        **more,
    )


def read_request(tree: etree._ElementTree) -> AssistanceRequest:
    root = tree.getroot()
    court, officer, subject_el = _child(root, "Court"), _child(root, "Officer"), _child(root, "Subject")
    targets_el = _child(root, "Targets")
    items_el = _child(root, "Items")
    items = []
    for el in items_el.iterfind(_q("Item")) if items_el is not None else []:
        flexible, original = _child(el, "Flexible"), _child(el, "Original")
        items.append(
            RequestItem(
                asset_class=AssetClass(_text(el, "AssetClass")),
                asset_id=_text(el, "AssetId"),
                description=_text(el, "Description"),
                amount=_money(_child(el, "Amount")),
                period=_period(_child(el, "Period")),
                flexible_custodian=flexible.get("custodian") if flexible is not None else None,
                flexible_use=flexible.get("permittedUse") if flexible is not None else None,
                original=Original(original.get("requestNo"), original.get("registrationNo"), _pos(original))
                if original is not None
                else None,
                pos=_pos(el),
                asset_class_pos=_pos(_child(el, "AssetClass")),
                transferees=tuple(
                    _person(t, Transferee, share=t.get("share")) for t in el.iterfind(_q("Transferee"))
                ),
            )
        )
    return AssistanceRequest(
        request_no=_text(root, "RequestNo"),
        issued_at=datetime.fromisoformat(_text(root, "IssuedAt")),
        court_code=court.get("code"),
        court_name=(court.text or "").strip(),
        officer_name=(officer.text or "").strip(),
        officer_credential_no=officer.get("credentialNo"),
        officer_phone=officer.get("phone"),
        case_no=_text(root, "CaseNo"),
        action=Action(_text(root, "Action")),
        subject=_person(subject_el),
        targets=[el.get("code") for el in targets_el.iterfind(_q("Unit"))],
        all_capable=_child(targets_el, "AllCapable") is not None,
        items=items,
        documents=_files(_child(root, "Documents"), "Document"),
        remarks=_text(root, "Remarks"),
        signed=_signed(root),
        pos={
            name: _pos(el)
            for name in ("Targets", "Items", "Documents", "Action", "Court")
            if (el := _child(root, name)) is not None
        },
    )


def _encumbrance(element: etree._Element) -> Encumbrance:
    return Encumbrance(
        kind=EncumbranceKind(_text(element, "Kind")),
        holder=_text(element, "Holder"),
        registration_no=_text(element, "RegistrationNo"),
        reference=_text(element, "Reference"),
        amount=_money(_child(element, "Amount")),
        period=_period(_child(element, "Period")),
        description=_text(element, "Description"),
    )


def read_receipt(tree: etree._ElementTree) -> AssistanceReceipt:
    root = tree.getroot()
    handler, reason, results = _child(root, "Handler"), _child(root, "Reason"), _child(root, "Results")
    assets, controls = [], []
    if results is not None:
        for el in results.iterfind(_q("Asset")):
            status = _text(el, "Status")
            assets.append(
                FoundAsset(
                    asset_class=AssetClass(_text(el, "AssetClass")),
                    asset_id=_text(el, "AssetId"),
                    description=_text(el, "Description"),
                    value=_money(_child(el, "Value")),
                    status=AssetStatus(status) if status else None,
                    owners=[Owner((o.text or "").strip(), o.get("share")) for o in el.iterfind(_q("Owner"))],
                    encumbrances=[_encumbrance(e) for e in el.iterfind(_q("Encumbrance"))],
                )
            )
        for el in results.iterfind(_q("Control")):
            queue = _text(el, "QueuePosition")
            controls.append(
                ControlResult(
                    asset_class=AssetClass(_text(el, "AssetClass")),
                    asset_id=_text(el, "AssetId"),
                    registration_no=_text(el, "RegistrationNo"),
                    period=_period(_child(el, "Period")),
                    amount=_money(_child(el, "Amount")),
                    queue_position=int(queue) if queue else None,
                    pos=_pos(el),
                )
            )
    return AssistanceReceipt(
        request_no=_text(root, "RequestNo"),
        unit_code=_text(root, "UnitCode"),
        receipt_no=_text(root, "ReceiptNo"),
        handled_at=datetime.fromisoformat(_text(root, "HandledAt")),
        handler_name=(handler.text or "").strip(),
        handler_phone=handler.get("phone"),
        final=_text(root, "Final") in ("true", "1"),
        outcome=Outcome(_text(root, "Outcome")),
        reason_code=ReasonCode(reason.get("code")) if reason is not None else None,
        reason_text=(reason.text or "").strip() or None if reason is not None else None,
        assets=assets,
        controls=controls,
        attachments=_files(_child(root, "Attachments"), "Attachment"),
        signed=_signed(root),
        pos={
            name: _pos(el)
            for name in ("Outcome", "Final", "Results", "Attachments", "UnitCode", "RequestNo")
            if (el := _child(root, name)) is not None
        },
    )


__all__ = [
    "AssistanceReceipt",
    "AssistanceRequest",
    "AttachmentType",
    "DocumentType",
    "read_receipt",
    "read_request",
]
