"""Writing an AssistanceReceipt (STANDARD.md) from a few plain values.

The receipt forms of the web pages build their receipts here; anything else may too. Pure: no
database, no HTTP. `write_receipt` only writes: the hub checks what it wrote like any receipt it
receives (schema, the rules per action, the task's state), so a draft that breaks a rule is written
as given and refused there, with the element named.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from hub.clock import SHANGHAI
from hub.standard import NS
from hub.standard.codes import (
    AssetClass,
    AssetStatus,
    AttachmentType,
    EncumbranceKind,
    Outcome,
    ReasonCode,
)

E = ElementMaker(namespace=NS, nsmap={None: NS})
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class OwnerShare:
    """An owner of a found asset, with the share as the register writes it ("1/2"), if known."""

    name: str
    share: str | None = None


@dataclass(frozen=True, kw_only=True)
class EncumbranceEntry:
    """A right registered on a found asset (<Encumbrance>): a mortgage with its mortgagee and secured amount,
    a seal (a waiting-list seal too) with the sealing court and its ruling no., a pre-registration..."""

    kind: EncumbranceKind
    holder: str | None = None  # the mortgagee, the sealing court
    registration_no: str | None = None  # the unit's own number of the registration
    reference: str | None = None  # a seal's ruling no. (文号), a mortgage's 不动产登记证明号
    amount: Decimal | None = None  # the secured amount (被担保债权数额 or 最高债权额)
    currency: str = "CNY"
    start: date | None = None
    end: date | None = None
    description: str | None = None


@dataclass(frozen=True)
class AssetResult:
    """A piece of property found in answer to a query (<Asset>)."""

    asset_class: AssetClass
    asset_id: str
    description: str | None = None
    value: Decimal | None = None
    currency: str = "CNY"
    status: AssetStatus | None = None
    owners: tuple[OwnerShare, ...] = ()
    encumbrances: tuple[EncumbranceEntry, ...] = ()


@dataclass(frozen=True)
class ControlEntry:
    """What the unit did to one item of the request (<Control>): registered, waiting, deducted, released."""

    asset_class: AssetClass
    asset_id: str
    registration_no: str | None = None
    start: date | None = None
    end: date | None = None
    amount: Decimal | None = None
    currency: str = "CNY"
    queue_position: int | None = None


@dataclass(frozen=True)
class Attached:
    """A file sent beside the receipt (<Attachment>): the signed scan, a written objection."""

    type: AttachmentType
    filename: str
    sha256: str

    @classmethod
    def of(cls, type: AttachmentType, filename: str, data: bytes) -> "Attached":
        return cls(type, filename, hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class ReceiptDraft:
    """Everything a receipt says. `handled_at` must be timezone-aware; it is written in Asia/Shanghai."""

    request_no: str
    unit_code: str
    receipt_no: str
    handled_at: datetime
    handler_name: str
    outcome: Outcome
    handler_phone: str | None = None
    final: bool = True
    reason_code: ReasonCode | None = None
    reason_text: str | None = None
    assets: tuple[AssetResult, ...] = ()
    controls: tuple[ControlEntry, ...] = ()
    attachments: tuple[Attached, ...] = ()


def _money(tag: str, value: Decimal, currency: str) -> etree._Element:
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2:
        raise ValueError(f"{tag} {value}: an amount has at most two decimals")
    return E(tag, f"{value:.2f}", currency=currency)


def _asset(asset: AssetResult) -> etree._Element:
    element = E.Asset(E.AssetClass(str(asset.asset_class)), E.AssetId(asset.asset_id))
    if asset.description:
        element.append(E.Description(asset.description))
    if asset.value is not None:
        element.append(_money("Value", asset.value, asset.currency))
    if asset.status is not None:
        element.append(E.Status(str(asset.status)))
    for owner in asset.owners:
        element.append(E.Owner(owner.name, share=owner.share) if owner.share else E.Owner(owner.name))
    for encumbrance in asset.encumbrances:
        element.append(_encumbrance(encumbrance, asset.asset_id))
    return element


def _period(start: date | None, end: date | None, of: str) -> etree._Element | None:
    if (start is None) != (end is None):
        raise ValueError(f"the period of {of} needs both its start and its end")
    if start is None or end is None:
        return None
    return E.Period(start=start.isoformat(), end=end.isoformat())


def _encumbrance(encumbrance: EncumbranceEntry, asset_id: str) -> etree._Element:
    element = E.Encumbrance(E.Kind(str(encumbrance.kind)))
    for tag, value in (
        ("Holder", encumbrance.holder),
        ("RegistrationNo", encumbrance.registration_no),
        ("Reference", encumbrance.reference),
    ):
        if value:
            element.append(E(tag, value))
    if encumbrance.amount is not None:
        element.append(_money("Amount", encumbrance.amount, encumbrance.currency))
    period = _period(encumbrance.start, encumbrance.end, f"the {encumbrance.kind} on {asset_id}")
    if period is not None:
        element.append(period)
    if encumbrance.description:
        element.append(E.Description(encumbrance.description))
    return element


def _control(control: ControlEntry) -> etree._Element:
    element = E.Control(E.AssetClass(str(control.asset_class)), E.AssetId(control.asset_id))
    if control.registration_no:
        element.append(E.RegistrationNo(control.registration_no))
    period = _period(control.start, control.end, control.asset_id)
    if period is not None:
        element.append(period)
    if control.amount is not None:
        element.append(_money("Amount", control.amount, control.currency))
    if control.queue_position is not None:
        element.append(E.QueuePosition(str(control.queue_position)))
    return element


def write_receipt(draft: ReceiptDraft) -> bytes:
    """The receipt XML of `draft`: UTF-8 with its declaration, in the standard's namespace, indented
    as the examples in schemas/examples are. Raises ValueError for a value XML cannot carry as given
    (a naive handled_at, a period of a control or an encumbrance with one end, an amount with more than
    two decimals)."""
    if draft.handled_at.tzinfo is None or draft.handled_at.utcoffset() is None:
        raise ValueError("handled_at must be timezone-aware")
    handled = draft.handled_at.astimezone(SHANGHAI).replace(microsecond=0)
    handler = E.Handler(draft.handler_name)
    if draft.handler_phone:
        handler.set("phone", draft.handler_phone)
    root = E.AssistanceReceipt(
        E.RequestNo(draft.request_no),
        E.UnitCode(draft.unit_code),
        E.ReceiptNo(draft.receipt_no),
        E.HandledAt(handled.isoformat()),
        handler,
        E.Final("true" if draft.final else "false"),
        E.Outcome(str(draft.outcome)),
        version="1.0",
    )
    if draft.reason_code is not None:
        root.append(E.Reason(draft.reason_text or "", code=str(draft.reason_code)))
    if draft.assets or draft.controls:
        root.append(E.Results(*map(_asset, draft.assets), *map(_control, draft.controls)))
    if draft.attachments:
        root.append(
            E.Attachments(
                *(
                    E.Attachment(type=str(a.type), filename=a.filename, sha256=a.sha256)
                    for a in draft.attachments
                )
            )
        )
    return DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)
