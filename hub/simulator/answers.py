"""The receipt a simulated unit gives for a task: decided from its register, built with lxml, checked.

One function, `answer`, turns a request into an AssistanceReceipt that the standard accepts for the
request's action (checked with hub.standard.rules before it leaves). The ReceiptNo and the registration
numbers derive from the unit's code and the task id, so the same task always gets the same numbers.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from hub.clock import SHANGHAI, now
from hub.directory.loader import UnitEntry
from hub.simulator.register import Holding, Register
from hub.standard import NS
from hub.standard.codes import FUNDS_CLASSES, Action, AssetClass, Outcome, ReasonCode, SubjectKind
from hub.standard.documents import AssistanceRequest, RequestItem
from hub.standard.rules import inspect, receipt_problems
from hub.standard.xml import DocumentError

E = ElementMaker(namespace=NS, nsmap={None: NS})

# Registration-number letters per action: 查封 CF, 扣押 KY, 冻结 DJ, 扣划 KH, 续行 XX, 预查封 YCF, 过户 GH.
REGISTRATION_KINDS = {
    Action.SEAL: "CF",
    Action.SEIZE: "KY",
    Action.FREEZE: "DJ",
    Action.DEDUCT: "KH",
    Action.RENEW: "XX",
    Action.RELEASE: "JC",
    Action.PRE_SEAL: "YCF",
    Action.TRANSFER: "GH",
}


@dataclass(frozen=True)
class Answer:
    """A built receipt: its number and outcome, the XML bytes, and the attachments it lists by filename."""

    receipt_no: str
    outcome: Outcome
    document: bytes
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Decision:
    """What the unit decided: the outcome, a reason when it needs one, the <Results> children."""

    outcome: Outcome
    reason: tuple[ReasonCode, str] | None = None
    assets: list[etree._Element] = field(default_factory=list)
    controls: list[etree._Element] = field(default_factory=list)


def initials(unit_code: str) -> str:
    """HF for housing-fund, IP for insurer-picc, TAX for tax: the prefix of the unit's numbers."""
    parts = [part for part in unit_code.split("-") if part]
    return (parts[0][:3] if len(parts) == 1 else "".join(p[0] for p in parts)).upper()[:8]


def receipt_no(unit_code: str, task_id: int) -> str:
    """Unique per unit and stable per task, e.g. HF-SIM-000042."""
    return f"{initials(unit_code)}-SIM-{task_id:06d}"


def registration_no(unit_code: str, action: Action, task_id: int, index: int) -> str:
    """The unit's number for a control it registers, e.g. HF-DJ-000042-1."""
    return f"{initials(unit_code)}-{REGISTRATION_KINDS[action]}-{task_id:06d}-{index}"


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _asset(holding: Holding, owner: str) -> etree._Element:
    el = E.Asset(E.AssetClass(str(holding.asset_class)), E.AssetId(holding.asset_id))
    el.append(E.Description(holding.description))
    if holding.value is not None:
        el.append(E.Value(_amount(holding.value), currency="CNY"))
    if holding.status is not None:
        el.append(E.Status(str(holding.status)))
    owner_el = E.Owner(owner)
    if holding.share:
        owner_el.set("share", holding.share)
    el.append(owner_el)
    return el


def _control(
    item: RequestItem,
    number: str,
    *,
    period: tuple[date, date] | None = None,
    amount: Decimal | None = None,
    queue: int | None = None,
) -> etree._Element:
    el = E.Control(E.AssetClass(str(item.asset_class)), E.AssetId(item.asset_id), E.RegistrationNo(number))
    if period is not None:
        el.append(E.Period(start=period[0].isoformat(), end=period[1].isoformat()))
    if amount is not None:
        el.append(E.Amount(_amount(amount), currency="CNY"))
    if queue is not None:
        el.append(E.QueuePosition(str(queue)))
    return el


def _query(request: AssistanceRequest, register: Register) -> Decision:
    subject = request.subject
    record = register.lookup(subject.id_number, person=subject.kind is SubjectKind.PERSON)
    holdings = list(record.holdings)
    if record.residence is not None:  # the police answer a query with the 户籍 on record
        r = record.residence
        holdings.append(
            Holding(AssetClass.OTHER, r.household_no, f"户籍登记，户籍地址{r.registered_address}")
        )
    if not holdings:
        return Decision(Outcome.NOT_FOUND)
    return Decision(Outcome.FOUND, assets=[_asset(h, subject.name) for h in holdings])


def _short(item: RequestItem, holding: Holding | None, amount: Decimal | None) -> bool:
    """Whether a fund holds less than the amount asked for."""
    if amount is None or holding is None or holding.value is None:
        return False
    return item.asset_class in FUNDS_CLASSES and holding.value < amount


def _control_items(request: AssistanceRequest, register: Register, unit: UnitEntry, task_id: int) -> Decision:
    """SEAL, SEIZE, FREEZE, PRE_SEAL: control each item for the requested period, or join the waiting list.

    An asset the register lists with earlier controls on it is WAITLISTED behind them; an asset the
    register does not list is taken as the court identified it. A fund frozen for more than its balance
    is frozen for the balance (PARTIAL).
    """
    person = request.subject.kind is SubjectKind.PERSON
    controlled, waiting, short = [], [], []
    for index, item in enumerate(request.items, start=1):
        holding = register.find(request.subject.id_number, item.asset_id, person=person)
        number = registration_no(unit.code, request.action, task_id, index)
        period = (item.period.start, item.period.end) if item.period else None
        amount = item.amount.amount if item.amount else None
        if _short(item, holding, amount):
            amount = holding.value
            short.append(item.asset_id)
        ahead = register.controls_ahead(item.asset_id, holding, besides=number)
        register.place(item.asset_id, number)
        if ahead:
            waiting.append(_control(item, number, period=period, amount=amount, queue=ahead + 1))
        else:
            controlled.append(_control(item, number, period=period, amount=amount))
    if waiting and not controlled:
        return Decision(Outcome.WAITLISTED, controls=waiting)
    if waiting:
        text = (
            f"共{len(waiting)}项财产已被其他法院在先查封（冻结），本单位已办理轮候登记，请另行确认轮候顺序。"
        )
        return Decision(Outcome.PARTIAL, (ReasonCode.OTHER, text), controls=controlled)
    if short:
        text = f"{'、'.join(short)}账户余额不足，已按实际余额冻结。"
        return Decision(Outcome.PARTIAL, (ReasonCode.OTHER, text), controls=controlled)
    return Decision(Outcome.CONTROLLED, controls=controlled)


def _deduct(request: AssistanceRequest, register: Register, unit: UnitEntry, task_id: int) -> Decision:
    """DEDUCT: the requested amount, or the balance the register shows when it is lower (PARTIAL)."""
    person = request.subject.kind is SubjectKind.PERSON
    controls, short = [], []
    for index, item in enumerate(request.items, start=1):
        holding = register.find(request.subject.id_number, item.asset_id, person=person)
        amount = item.amount.amount if item.amount else None
        if _short(item, holding, amount):
            amount = holding.value
            short.append(item.asset_id)
        number = registration_no(unit.code, Action.DEDUCT, task_id, index)
        controls.append(_control(item, number, amount=amount))
    if short:
        text = f"{'、'.join(short)}余额不足，已按实际余额扣划。"
        return Decision(Outcome.PARTIAL, (ReasonCode.OTHER, text), controls=controls)
    return Decision(Outcome.CONTROLLED, controls=controls)


def _renew(request: AssistanceRequest, register: Register, unit: UnitEntry, task_id: int) -> Decision:
    """RENEW: the control continues for the new period under its registration number."""
    controls = []
    for index, item in enumerate(request.items, start=1):
        original = item.original.registration_no if item.original else None
        number = original or registration_no(unit.code, Action.RENEW, task_id, index)
        period = (item.period.start, item.period.end) if item.period else None
        amount = item.amount.amount if item.amount else None
        controls.append(_control(item, number, period=period, amount=amount))
    return Decision(Outcome.CONTROLLED, controls=controls)


def _release(request: AssistanceRequest, register: Register, unit: UnitEntry, task_id: int) -> Decision:
    controls = []
    for index, item in enumerate(request.items, start=1):
        original = item.original.registration_no if item.original else None
        number = original or registration_no(unit.code, Action.RELEASE, task_id, index)
        register.lift(number)
        controls.append(_control(item, number))
    return Decision(Outcome.RELEASED, controls=controls)


def _transfer(request: AssistanceRequest, register: Register, unit: UnitEntry, task_id: int) -> Decision:
    """TRANSFER: each item registered to its transferees, under a transfer number; the controls the
    simulator placed on it end with it. An asset the register lists for another owner is not the debtor's
    to transfer (UNABLE, or PARTIAL when others were transferred)."""
    person = request.subject.kind is SubjectKind.PERSON
    done, refused = [], []
    for index, item in enumerate(request.items, start=1):
        holding = register.find(request.subject.id_number, item.asset_id, person=person)
        if holding is not None and holding.share not in (None, "1/1") and not item.transferees[0].share:
            refused.append(f"{item.asset_id}为共有财产，被执行人份额{holding.share}，请载明受让份额")
            continue
        register.transfer(item.asset_id)
        done.append(_control(item, registration_no(unit.code, Action.TRANSFER, task_id, index)))
    if not done:
        return Decision(Outcome.UNABLE, (ReasonCode.OTHER, "；".join(refused) + "。"), controls=[])
    if refused:
        return Decision(Outcome.PARTIAL, (ReasonCode.OTHER, "；".join(refused) + "。"), controls=done)
    return Decision(Outcome.TRANSFERRED, controls=done)


def _locate(request: AssistanceRequest, register: Register) -> Decision:
    """LOCATED with the address found as an OTHER asset (the standard has no field for it), or NOT_LOCATED."""
    subject = request.subject
    residence = register.lookup(subject.id_number, person=subject.kind is SubjectKind.PERSON).residence
    if residence is None or not residence.located:
        return Decision(Outcome.NOT_LOCATED)
    text = f"户籍地址{residence.registered_address}；{residence.note}"
    return Decision(
        Outcome.LOCATED,
        assets=[_asset(Holding(AssetClass.OTHER, residence.household_no, text), subject.name)],
    )


def decide(request: AssistanceRequest, *, unit: UnitEntry, register: Register, task_id: int) -> Decision:
    action = request.action
    if action is Action.QUERY:
        return _query(request, register)
    if action in (Action.SEAL, Action.SEIZE, Action.FREEZE, Action.PRE_SEAL):
        return _control_items(request, register, unit, task_id)
    if action is Action.TRANSFER:
        return _transfer(request, register, unit, task_id)
    if action is Action.DEDUCT:
        return _deduct(request, register, unit, task_id)
    if action is Action.RENEW:
        return _renew(request, register, unit, task_id)
    if action is Action.RELEASE:
        return _release(request, register, unit, task_id)
    if action is Action.LOCATE_PERSON:
        return _locate(request, register)
    return Decision(Outcome.ACKNOWLEDGED)  # CREDIT_NOTICE: acknowledged, final


def signed_receipt_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with ASCII lines: the stand-in for the signed, stamped scan of the receipt."""
    text = " ".join(f"({line}) Tj T*" for line in lines)
    stream = f"BT /F1 12 Tf 14 TL 72 760 Td {text} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def answer(
    request: AssistanceRequest,
    *,
    unit: UnitEntry,
    register: Register,
    task_id: int,
    handled_at: datetime | None = None,
    attach: bool = True,
) -> Answer:
    """The final receipt for task `task_id` of `request`, checked against the standard for its action.

    With `attach`, the receipt lists a SIGNED_RECEIPT attachment (receipt.pdf) returned in `files`;
    without, it lists none (for an answer given in the push response, which carries no files).
    Raises RuntimeError if the receipt would not meet the standard (a bug of the simulator).
    """
    decision = decide(request, unit=unit, register=register, task_id=task_id)
    number = receipt_no(unit.code, task_id)
    handled = (handled_at or now()).astimezone(SHANGHAI).replace(microsecond=0)
    handler, phone = register.handler
    root = E.AssistanceReceipt(
        E.RequestNo(request.request_no),
        E.UnitCode(unit.code),
        E.ReceiptNo(number),
        E.HandledAt(handled.isoformat()),
        E.Handler(handler, phone=phone),
        E.Final("true"),
        E.Outcome(str(decision.outcome)),
        version="1.0",
    )
    if decision.reason is not None:
        root.append(E.Reason(decision.reason[1], code=str(decision.reason[0])))
    if decision.assets or decision.controls:
        root.append(E.Results(*decision.assets, *decision.controls))
    files = {}
    if attach:
        pdf = signed_receipt_pdf(
            [
                f"Receipt {number} of unit {unit.code}",
                f"Request {request.request_no}, task {task_id}: {request.action} -> {decision.outcome}",
                f"Handled at {handled.isoformat()} (simulated unit, invented data)",
            ]
        )
        files["receipt.pdf"] = pdf
        sha = hashlib.sha256(pdf).hexdigest()
        root.append(E.Attachments(E.Attachment(type="SIGNED_RECEIPT", filename="receipt.pdf", sha256=sha)))
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    try:
        receipt = inspect(document, expect="receipt").receipt
    except DocumentError as exc:
        raise RuntimeError(f"the simulator built a receipt the standard refuses: {exc}") from exc
    if problems := receipt_problems(receipt, action=request.action):
        raise RuntimeError(f"the simulator built a wrong answer to {request.action}: {problems[0].message}")
    return Answer(number, decision.outcome, document, files)
