"""The rules of STANDARD.md past the schema that need no database, and `inspect`, the whole check.

Rules that need the hub's state (units, known controls, files) live in the services that apply them.
"""

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from fractions import Fraction
from itertools import islice

from lxml import etree

from hub.standard import DSIG_NS, NS
from hub.standard.codes import (
    ACTION_CLASSES,
    ALL_CAPABLE_ACTIONS,
    FINAL_OUTCOMES,
    FUNDS_CLASSES,
    ITEM_ACTIONS,
    MAX_PERIOD_YEARS,
    ORIGINAL_ACTIONS,
    ORIGINAL_REQUIRED,
    PERIOD_ACTIONS,
    PRE_SEAL_RENEWAL_YEARS,
    PRE_SEAL_YEARS,
    REASON_REQUIRED,
    REQUIRED_DOCUMENTS,
    TRANSFEREE_ACTIONS,
    Action,
    AssetClass,
    IdType,
    Outcome,
    SubjectKind,
    period_end,
)
from hub.standard.documents import (
    AssistanceReceipt,
    AssistanceRequest,
    FileRef,
    Money,
    Period,
    Pos,
    RequestItem,
    Subject,
    read_receipt,
    read_request,
)
from hub.standard.filenames import filename_problem, key_of
from hub.standard.ids import not_ascii_problem, resident_id_problem, uscc_problem
from hub.standard.xml import (
    DEFAULT_MAX_BYTES,
    MAX_PROBLEMS,
    DocumentError,
    Problem,
    element_path,
    parse,
    validate_schema,
)

ORGANIZATION_ID_TYPES = frozenset({IdType.USCC, IdType.OTHER})
PERSON_ID_TYPES = frozenset({IdType.RESIDENT_ID, IdType.PASSPORT, IdType.OTHER})
# the actions a refusal suggests for a class of property (RENEW and RELEASE follow the control; a
# PRE_SEAL is for property not yet registered to the debtor, a TRANSFER for property sold)
CLASS_ACTIONS = frozenset({Action.SEAL, Action.SEIZE, Action.FREEZE, Action.DEDUCT})
CONTROL_OUTCOMES = frozenset({Outcome.CONTROLLED, Outcome.PARTIAL, Outcome.WAITLISTED})
# outcomes whose <Control> results each name what the unit registered: a control, its release, a transfer
REGISTERED_OUTCOMES = CONTROL_OUTCOMES | {Outcome.RELEASED, Outcome.TRANSFERRED}
MAX_SHARE_DIGITS = 9  # a share is a fraction like 1/2 or 37/100: no register writes a longer one
MAX_QUEUE_POSITION = 2**31 - 1  # the XSD's positiveInteger is unbounded; the column is an INTEGER
CURRENCIES = frozenset({"CNY"})  # STANDARD.md shows amounts in CNY (人民币) only
INSTANTS = {"request": ("IssuedAt",), "receipt": ("HandledAt",)}
SIGNATURE = f"{{{DSIG_NS}}}Signature"
FILE_ELEMENTS = (f"{{{NS}}}Document", f"{{{NS}}}Attachment")
# what an enveloped XML signature may hold: XMLDSig 1.0 and 1.1 (ECDSA key values), exclusive c14n's
# InclusiveNamespaces
SIGNATURE_NAMESPACES = frozenset(
    {DSIG_NS, "http://www.w3.org/2009/xmldsig11#", "http://www.w3.org/2001/10/xml-exc-c14n#"}
)


def _at(pos: Pos, message: str) -> Problem:
    return Problem(pos.line, pos.path, message)


def _listed(problems: Iterable[Problem]) -> list[Problem]:
    """The first MAX_PROBLEMS of `problems`, worked out no further, and a note if there are more: a
    hostile document can breach a rule once per element."""
    listed = list(islice(problems, MAX_PROBLEMS + 1))
    if len(listed) > MAX_PROBLEMS:
        note = f"more problems of this kind not listed: correct these {MAX_PROBLEMS} first"
        return [*listed[:MAX_PROBLEMS], Problem(None, "/", note)]
    return listed


def max_years(
    asset_class: AssetClass, *, fund_account_years: int = 1, kind: str | None = None, renewal: bool = False
) -> int:
    """The longest period of a control of `kind` (an Action; None: a seal, seizure or freeze) on
    `asset_class`, or of each renewal of it: a pre-seal's are shorter (PRE_SEAL_YEARS, DOMAIN.md)."""
    years = fund_account_years if asset_class is AssetClass.FUND_ACCOUNT else MAX_PERIOD_YEARS[asset_class]
    if kind == Action.PRE_SEAL:
        return min(years, PRE_SEAL_RENEWAL_YEARS if renewal else PRE_SEAL_YEARS)
    return years


def period_problems(
    period: Period,
    asset_class: AssetClass,
    *,
    fund_account_years: int = 1,
    kind: str | None = None,
    renewal: bool = False,
) -> list[Problem]:
    """A period that ends before it starts, or lasts longer than `max_years` allows."""
    if period.end < period.start:
        return [_at(period.pos, f"the period ends ({period.end}) before it starts ({period.start})")]
    years = max_years(asset_class, fund_account_years=fund_account_years, kind=kind, renewal=renewal)
    if period.start.year + years > date.max.year:
        return []  # the longest period ends past 9999-12-31: no end date can pass it
    longest = period_end(period.start, years)
    if period.end > longest:
        what = f"a control on {asset_class}"
        if kind == Action.PRE_SEAL:
            what = (
                f"a renewal of a pre-seal (PRE_SEAL) of {asset_class}"
                if renewal
                else f"a pre-seal (PRE_SEAL) of {asset_class}"
            )
        return [
            _at(
                period.pos,
                f"{what} lasts at most {years} year(s): from {period.start} it must end by {longest}, not {period.end}",
            )
        ]
    return []


def currency_problems(money: Money | None, element: str) -> list[Problem]:
    if money is None or money.currency in CURRENCIES:
        return []
    return [
        _at(
            money.pos,
            f'<{element} currency="{money.currency}">: the standard knows amounts in CNY (人民币) only; '
            f'write currency="CNY" or leave the attribute out',
        )
    ]


def instant_problems(tree: etree._ElementTree, kind: str) -> list[Problem]:
    """Instants the XSD takes but no calendar of the hub holds: hour 24, years past 9999, or an instant
    that falls outside years 1..9999 once taken to UTC (0001-01-01T00:00:00+08:00)."""
    problems = []
    for name in INSTANTS[kind]:
        for element in tree.getroot().iterchildren(f"{{{NS}}}{name}"):
            text = (element.text or "").strip()
            try:
                datetime.fromisoformat(text).astimezone(UTC)
            except (ValueError, OverflowError):
                problems.append(
                    Problem(
                        element.sourceline,
                        element_path(element),
                        f"{name} {text} is not an instant the hub can hold (hours 00 to 23, and in UTC "
                        "a year from 0001 to 9999): write it as 2026-11-27T09:30:00+08:00",
                    )
                )
    return problems


def _file_problems(files: list[FileRef], what: str) -> Iterator[Problem]:
    """Names listed twice, in any case: a Windows folder holds one of Ruling.pdf and ruling.pdf."""
    seen: set[str] = set()
    for ref in files:
        if key_of(ref.filename) in seen:
            yield _at(ref.pos, f"the {what} file name {ref.filename} is listed twice")
        seen.add(key_of(ref.filename))


def attached_problems(refs: list[FileRef], files: dict[str, bytes], *, stored: set[str]) -> list[Problem]:
    """Each listed file must arrive with its sha256 (or be in the store already); nothing unlisted may come."""
    return _listed(_attached(refs, files, stored=stored))


def _attached(refs: list[FileRef], files: dict[str, bytes], *, stored: set[str]) -> Iterator[Problem]:
    listed = {ref.filename for ref in refs}
    for ref in refs:
        data = files.get(ref.filename)
        if data is None:
            if ref.sha256 not in stored:
                yield _at(ref.pos, f"the file {ref.filename} is listed but was not sent")
        elif (actual := hashlib.sha256(data).hexdigest()) != ref.sha256:
            yield _at(ref.pos, f"the file {ref.filename} has sha256 {actual}, not the {ref.sha256} listed")
    for name in sorted(set(files) - listed):
        yield Problem(None, "/", f"the file {name} was sent but is not listed in the document")


def request_problems(request: AssistanceRequest, *, fund_account_years: int = 1) -> list[Problem]:
    """Every breach of the request rules that the document alone can show."""
    problems: list[Problem] = []
    action, subject = request.action, request.subject
    problems += identity_problems(subject, "subject")

    targets = request.pos["Targets"]
    if request.all_capable and action not in ALL_CAPABLE_ACTIONS:
        problems.append(
            _at(targets, f"<AllCapable/> is only for QUERY, LOCATE_PERSON and CREDIT_NOTICE, not {action}")
        )
    duplicates = sorted(code for code, n in Counter(request.targets).items() if n > 1)
    if duplicates:
        problems.append(_at(targets, f"unit(s) listed twice: {', '.join(duplicates)}"))

    if action in ITEM_ACTIONS and not request.items:
        problems.append(_at(request.pos["Action"], f"{action} needs <Items> with at least one <Item>"))
    if action not in ITEM_ACTIONS and request.items:
        problems.append(_at(request.pos["Items"], f"{action} takes no <Items>"))
    problems += _listed(
        problem
        for item in request.items
        for problem in _item_problems(action, item, fund_account_years=fund_account_years)
    )
    problems += _listed(
        problem for item in request.items for problem in _transferee_problems(action, item, subject)
    )

    listed = {ref.type for ref in request.documents}
    missing = sorted(REQUIRED_DOCUMENTS[action] - listed)
    if missing:
        problems.append(
            _at(request.pos["Documents"], f"{action} needs a document of type {' and '.join(missing)}")
        )
    return problems + _listed(_file_problems(request.documents, "document"))


def identity_problems(who: Subject, what: str) -> list[Problem]:
    """A subject's or a transferee's (`what`) ID number against its check digit, and its IdType against
    its kind: a person has no USCC, an organization no resident ID or passport."""
    problems = []
    if who.id_type is IdType.RESIDENT_ID and (why := resident_id_problem(who.id_number)):
        problems.append(_at(who.pos, f"IdNumber {who.id_number}: {why}"))
    if who.id_type is IdType.USCC and (why := uscc_problem(who.id_number)):
        problems.append(_at(who.pos, f"IdNumber {who.id_number}: {why}"))
    if who.id_type is IdType.PASSPORT and (why := not_ascii_problem(who.id_number)):
        problems.append(_at(who.pos, f"IdNumber {who.id_number}: {why}"))
    allowed = PERSON_ID_TYPES if who.kind is SubjectKind.PERSON else ORGANIZATION_ID_TYPES
    if who.id_type not in allowed:
        problems.append(_at(who.pos, f"a {what} of kind {who.kind} cannot have IdType {who.id_type}"))
    return problems


def _listing(codes: Iterable[StrEnum], last: str) -> str:
    """Codes as "A, B and C" (`last` "and") or "A or B"."""
    listed = [str(code) for code in codes]
    return listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} {last} {listed[-1]}"


def asset_class_problem(action: Action, asset_class: AssetClass) -> str | None:
    """Why `action` cannot be used on property of `asset_class` (ACTION_CLASSES), or None if it can."""
    allowed = ACTION_CLASSES.get(action)
    if allowed is None or asset_class in allowed:
        return None
    classes = [c for c in AssetClass if c in allowed]
    fitting = [a for a in Action if a in CLASS_ACTIONS and asset_class in ACTION_CLASSES[a]]
    return (
        f"{action} does not apply to {asset_class}: {action} is for {_listing(classes, 'and')}; "
        f"use {_listing(fitting, 'or')} for {asset_class}"
    )


def _item_problems(action: Action, item, *, fund_account_years: int) -> list[Problem]:
    problems = []
    if why := asset_class_problem(action, item.asset_class):
        problems.append(_at(item.asset_class_pos, why))
    if action in PERIOD_ACTIONS:
        if item.period is None:
            problems.append(_at(item.pos, f"{action} needs a <Period start=.. end=..> on every item"))
        else:
            problems += period_problems(
                item.period, item.asset_class, fund_account_years=fund_account_years, kind=action
            )
    elif item.period is not None:
        taking = _listing((a for a in Action if a in PERIOD_ACTIONS), "and")
        problems.append(_at(item.period.pos, f"{action} takes no <Period>: only {taking} do"))
    if item.amount is not None and item.amount.amount <= 0:
        problems.append(_at(item.amount.pos, f"the amount must be more than 0, not {item.amount.amount}"))
    problems += currency_problems(item.amount, "Amount")
    if action in (Action.FREEZE, Action.DEDUCT) and item.asset_class in FUNDS_CLASSES and item.amount is None:
        problems.append(_at(item.pos, f"{action} of {item.asset_class} needs an <Amount>"))
    if action in ORIGINAL_REQUIRED and item.original is None:
        problems.append(
            _at(item.pos, f"{action} needs <Original requestNo=.. registrationNo=..> naming the control")
        )
    if action not in ORIGINAL_ACTIONS and item.original is not None:
        taking = _listing((a for a in Action if a in ORIGINAL_ACTIONS), "and")
        problems.append(_at(item.original.pos, f"{action} takes no <Original>: only {taking} do"))
    if item.flexible_custodian is not None and action not in (Action.SEAL, Action.SEIZE):
        problems.append(_at(item.pos, f"<Flexible> (活封) is for SEAL and SEIZE only, not {action}"))
    return problems


def _transferee_problems(action: Action, item: RequestItem, subject: Subject) -> Iterator[Problem]:
    """A TRANSFER names who takes the asset, each checked as the subject is, and not the debtor himself;
    shares, where given, are fractions that add up to no more than the whole. No other action names one."""
    if action not in TRANSFEREE_ACTIONS:
        if item.transferees:
            yield _at(item.transferees[0].pos, f"{action} takes no <Transferee>: only TRANSFER does")
        return
    if not item.transferees:
        yield _at(
            item.pos, f"{action} needs a <Transferee> on every item: the buyer, or who takes it for the debt"
        )
        return
    total = Fraction(0)
    for transferee in item.transferees:
        yield from identity_problems(transferee, "transferee")
        if (transferee.id_type, transferee.id_number) == (subject.id_type, subject.id_number):
            yield _at(
                transferee.pos,
                f"the transferee {transferee.name} is the debtor ({subject.id_type} {subject.id_number}): "
                "a transfer gives the asset to the buyer or to the creditor who takes it for the debt",
            )
        if transferee.share is not None:
            sides = transferee.share.split("/")
            numerator, denominator = (int(n[:MAX_SHARE_DIGITS]) for n in sides)
            if any(len(n) > MAX_SHARE_DIGITS for n in sides) or not 0 < numerator <= denominator:
                yield _at(
                    transferee.pos,
                    f'share="{transferee.share}" is not a part of the whole: write 1/2, 1/3, 1/1',
                )
                continue
            total += Fraction(numerator, denominator)
    if total > 1:
        yield _at(
            item.transferees[-1].pos, f"the transferees' shares add up to {total}, more than the whole (1/1)"
        )


def receipt_problems(receipt: AssistanceReceipt, *, action: Action | None = None) -> list[Problem]:
    """Every breach of the receipt rules; those that depend on the request's action only when it is given."""
    problems: list[Problem] = []
    outcome, where = receipt.outcome, receipt.pos["Outcome"]
    if not receipt.final and outcome is not Outcome.ACKNOWLEDGED:
        problems.append(
            _at(where, f"an interim receipt (Final false) has Outcome ACKNOWLEDGED, not {outcome}")
        )
    if receipt.final and action is not None and outcome is not Outcome.OBJECTED:
        allowed = FINAL_OUTCOMES[action]
        if outcome not in allowed:
            problems.append(
                _at(
                    where,
                    f"Outcome {outcome} is not an answer to {action}: use one of {', '.join(sorted(allowed))}",
                )
            )
    if outcome in REASON_REQUIRED and receipt.reason_code is None:
        problems.append(_at(where, f"Outcome {outcome} needs a <Reason code=..> saying why"))
    if outcome is Outcome.FOUND and not receipt.assets:
        problems.append(_at(where, "Outcome FOUND needs at least one <Asset> in <Results>"))
    if outcome is Outcome.NOT_FOUND and receipt.assets:
        problems.append(_at(receipt.pos["Results"], "Outcome NOT_FOUND cannot list assets"))
    if (outcome in CONTROL_OUTCOMES or outcome is Outcome.TRANSFERRED) and not receipt.controls:
        problems.append(_at(where, f"Outcome {outcome} needs a <Control> for each item acted on"))
    problems += _listed(
        problem for asset in receipt.assets for problem in currency_problems(asset.value, "Value")
    )
    problems += _listed(_control_problems(receipt))
    return problems + _listed(_file_problems(receipt.attachments, "attachment"))


def _control_problems(receipt: AssistanceReceipt) -> Iterator[Problem]:
    outcome = receipt.outcome
    for control in receipt.controls:
        yield from currency_problems(control.amount, "Amount")
        if outcome is Outcome.WAITLISTED and control.queue_position is None:
            yield _at(control.pos, "a WAITLISTED control needs its <QueuePosition>")
        if outcome is not Outcome.WAITLISTED and control.queue_position is not None:
            yield _at(control.pos, f"<QueuePosition> is for WAITLISTED only, not {outcome}")
        if control.queue_position is not None and control.queue_position > MAX_QUEUE_POSITION:
            yield _at(
                control.pos,
                f"<QueuePosition> {control.queue_position} is past any real queue: at most {MAX_QUEUE_POSITION:,}",
            )
        if outcome in REGISTERED_OUTCOMES and not control.registration_no:
            yield _at(control.pos, "a control result needs its <RegistrationNo>")
        if outcome is Outcome.TRANSFERRED and control.period is not None:
            yield _at(
                control.period.pos, "a transfer has no period: leave <Period> out of a TRANSFERRED result"
            )
        if control.period is not None and control.period.end < control.period.start:
            yield _at(control.period.pos, "the period ends before it starts")


def filename_problems(tree: etree._ElementTree) -> list[Problem]:
    """Listed file names that some place the hub writes files to cannot hold, said before the schema's
    pattern would say it less clearly."""
    return _listed(
        Problem(element.sourceline, element_path(element), why)
        for element in tree.getroot().iter(*FILE_ELEMENTS)
        if (why := filename_problem(element.get("filename", "x")))
    )


def signature_problems(tree: etree._ElementTree) -> list[Problem]:
    """The XSD leaves room at a document's end for one element of the XML-signature namespace, processed
    laxly: it must be a ds:Signature, and hold only what an enveloped signature holds (elements of the
    signature namespaces, no ds:Object), so that no markup of another kind (a script) rides in it."""
    return _listed(_signature_problems(tree.getroot()))


def _signature_problems(root: etree._Element) -> Iterator[Problem]:
    for element in root.iterchildren(f"{{{DSIG_NS}}}*"):
        if element.tag != SIGNATURE:
            yield Problem(
                element.sourceline,
                element_path(element),
                f"only a ds:Signature may stand at the end of a document, not ds:{etree.QName(element).localname}",
            )
            continue
        for inner in element.iterdescendants():
            if not isinstance(inner.tag, str):
                continue  # a comment or a processing instruction
            name = etree.QName(inner)
            if name.namespace not in SIGNATURE_NAMESPACES:
                yield Problem(
                    inner.sourceline,
                    element_path(inner),
                    f"a ds:Signature holds elements of the XML-signature namespaces only, not {name.localname} "
                    f"in namespace {name.namespace or '(none)'}",
                )
            elif inner.tag == f"{{{DSIG_NS}}}Object":
                yield Problem(
                    inner.sourceline,
                    element_path(inner),
                    "the standard's signatures are enveloped: a ds:Signature holds no ds:Object",
                )


@dataclass(frozen=True)
class Inspected:
    kind: str  # "request" | "receipt"
    tree: etree._ElementTree
    request: AssistanceRequest | None = None
    receipt: AssistanceReceipt | None = None


ROOTS = {f"{{{NS}}}AssistanceRequest": "request", f"{{{NS}}}AssistanceReceipt": "receipt"}


def inspect(
    data: bytes, *, expect: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES, fund_account_years: int = 1
) -> Inspected:
    """Parse, validate against the XSD and apply the document rules; raise DocumentError with every problem."""
    tree = parse(data, max_bytes=max_bytes)
    root = tree.getroot()
    kind = ROOTS.get(root.tag)
    if kind is None or (expect is not None and kind != expect):
        wanted = {"request": "AssistanceRequest", "receipt": "AssistanceReceipt"}.get(
            expect or "", "AssistanceRequest or AssistanceReceipt"
        )
        raise DocumentError(
            [
                Problem(
                    root.sourceline, "/" + etree.QName(root).localname, f"expected {wanted} in namespace {NS}"
                )
            ]
        )
    if problems := (
        filename_problems(tree)
        or validate_schema(tree)
        or signature_problems(tree)
        or instant_problems(tree, kind)
    ):
        raise DocumentError(problems)
    if kind == "request":
        request = read_request(tree)
        if problems := request_problems(request, fund_account_years=fund_account_years):
            raise DocumentError(problems)
        return Inspected(kind, tree, request=request)
    receipt = read_receipt(tree)
    if problems := receipt_problems(receipt):
        raise DocumentError(problems)
    return Inspected(kind, tree, receipt=receipt)
