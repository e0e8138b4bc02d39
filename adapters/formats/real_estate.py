"""The real-estate registries' court-exchange format (不动产登记中心 法院查控), to and from the standard.

Field names are the registry's (upper-case pinyin initials); elements only, no namespace, one record
element per item. Dates are written yyyy-MM-dd and read as yyyy-MM-dd or yyyyMMdd; times are Beijing
time without an offset, "yyyy-MM-dd HH:mm:ss" (read also as yyyyMMddHHmmss). Requests go out in UTF-8;
answers are read by the hub's one parser, so they must declare UTF-8 or GB18030 (GBK is refused).

Request (one per task), in this order; optional fields are left out when empty:
    BDCQQ            root
      YWLX           CX query (查询) | KZ control (控制)
      CXQQDH AH      the standard's RequestNo; case no.
      FYDM FYMC      court code and name
      CBR CBRZJH CBRDH   officer (承办人); credential no. and phone, optional
      QQSJ           when the court issued the request
      XM ZJZL ZJH    the subject's name, ID type (证件种类, below) and number
      KZXX/KZ        KZ only, one per item:
        KZCS         11 seal (查封) | 12 renew (续封) | 14 release (解封)
        BDCDYH       unit no. (不动产单元号, 28 characters): the item's AssetId
        BDCQZH       certificate no. (不动产权证号) when the item's Description names one, optional
        KSRQ JSRQ    the period asked for (11 and 12)
        YCFYWH       the seal's registration no. (原查封业务号), 12 and 14, optional
        CKWH         ruling no. (裁定书文号): the case no., under which the ruling issues
        SFHF BGR YXSY    flexible seal (活封) "1", its custodian (保管人) and permitted use, optional
        BZ           the item's Description, optional
      WSXX/WS        files sent beside: WSLX (CDS ruling | TZS notice | QT other), WJM name, SHA256
      BZ             the request's Remarks, optional
ZJZL for the standard's IdType: 1 居民身份证 RESIDENT_ID, 3 护照 PASSPORT, 6 统一社会信用代码 (营业执照)
USCC, 99 其他 OTHER. The registry's 2 港澳台居民身份证, 4 户口簿, 5 军官证 and 7 组织机构代码 have no
IdType of their own; the hub never sends them.

Answer:
    BDCFK            root
      YWLX CXQQDH    as in the request
      FKBH           the registry's answer no. (反馈编号), optional
      FKSJ JBR LXDH  when it answered; its handler (经办人); phone, optional
      CXJG/BDC       CX, one per property (none, or no CXJG: nothing found):
        BDCDYH BDCQZH ZL MJ YT   unit no., certificate, location (坐落), area in m², use
        SFDY SFCF SFYY           0|1: mortgaged, sealed, under objection (异议登记)
        QLRXX/QLR    owners: QLRMC name, ZJZL ZJH, GYFS (0 sole | 1 joint | 2 in shares | 3 other), QLBL share
        CFXX/CF      seals already registered: CFJG court, CFWH ruling no., CFYWH, CFKSRQ CFJSRQ
      KZJG/KZ        KZ, one per item of the request:
        BDCDYH KZCS  as asked
        KZZT WNKZYY  1 done | 2 unable, and why
        CFYWH        registration no. (查封业务号): of the new seal (11), of the renewal (12), of the
                     seal lifted (14)
        CSKSRQ CSJSRQ    the period registered (11 and 12)
        LHSX         queue position, when the seal waits in line (轮候查封)
tests/adapters/recorded/real-estate/ holds a worked example of each.

The receipt: RequestNo is the request's (CXQQDH must match it), UnitCode `unit_code`, HandledAt FKSJ at
+08:00, Handler JBR, Final true. ReceiptNo is the registry's own FKBH when it fits the standard
([A-Za-z0-9-]{6,40}), else "RE-" and 32 hex digits of its sha256, so the same answer decoded twice gives
the same receipt; only an answer without FKBH takes `receipt_no`, which the adapter must keep stable.
- QUERY: FOUND with one Asset per BDC, NOT_FOUND for none. AssetClass from the unit no.'s 20th character
  (W land only: LAND_RIGHT, L forest: FOREST_RIGHT, else REAL_ESTATE); Status SEALED, else MORTGAGED, else
  DISPUTED, else NORMAL; Description names the certificate, location, use, area, the other flags and the
  seals registered; one Owner per QLR, with QLBL as a fraction, 1/1 when sole, no share when joint.
- SEAL, RENEW, RELEASE: every item answered exactly once. None done: UNABLE; RELEASE: RELEASED naming
  the seals lifted; SEAL with every done item waitlisted: WAITLISTED; some unable: PARTIAL; else
  CONTROLLED. The format has no reason code: the Reason is OTHER with WNKZYY's text.
"""

import hashlib
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TypeVar

from lxml import etree
from lxml.builder import ElementMaker

from adapters.formats import FormatError
from hub.clock import SHANGHAI
from hub.standard import NS
from hub.standard.codes import Action, AssetClass, AssetStatus, DocumentType, IdType, Outcome, ReasonCode
from hub.standard.documents import AssistanceRequest, RequestItem
from hub.standard.rules import inspect, receipt_problems
from hub.standard.xml import DocumentError, parse

NAME = "real-estate"
ACTIONS = frozenset({Action.QUERY, Action.SEAL, Action.RENEW, Action.RELEASE})
KZCS = {Action.SEAL: "11", Action.RENEW: "12", Action.RELEASE: "14"}
ZJZL = {IdType.RESIDENT_ID: "1", IdType.PASSPORT: "3", IdType.USCC: "6", IdType.OTHER: "99"}
WSLX = {DocumentType.RULING: "CDS", DocumentType.NOTICE: "TZS", DocumentType.OTHER: "QT"}
# The answer's flags, in the order the asset's Status is chosen.
STATUS_FLAGS = ((AssetStatus.SEALED, "SFCF"), (AssetStatus.MORTGAGED, "SFDY"), (AssetStatus.DISPUTED, "SFYY"))
GYFS = {"0": "sole", "1": "joint", "2": "in shares", "3": "other"}
# The 20th character of a unit no. (定着物特征码, GB/T 37346): F building, L forest, Q other, W land only.
CLASS_OF_UNIT = {"F": AssetClass.REAL_ESTATE, "Q": AssetClass.REAL_ESTATE, "W": AssetClass.LAND_RIGHT,
                 "L": AssetClass.FOREST_RIGHT}  # fmt: skip

_UNIT_NO = re.compile(r"\d{12}[A-Z]{2}\d{5}[FLQW]\d{8}")
_CERTIFICATE = re.compile(r"[\u4e00-\u9fff]{1,2}[（(]\d{4}[）)][\u4e00-\u9fff\w]{0,20}?不动产权第\d+号")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})|(\d{4})(\d{2})(\d{2})")
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})|(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})"
)
_RECEIPT_NO = re.compile(r"[A-Za-z0-9-]{6,40}")
_PHONE = re.compile(r"[0-9+\-() ]{3,30}")
_DESCRIPTION_MAX = 500
_T = TypeVar("_T")
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_E = ElementMaker(namespace=NS, nsmap={None: NS})


def encode_request(document: bytes) -> bytes:
    """A standard AssistanceRequest (bytes as the court sent them) as the registry's BDCQQ, UTF-8."""
    request = _read_request(document)
    root = etree.Element("BDCQQ")
    _add(root, "YWLX", "CX" if request.action is Action.QUERY else "KZ")
    _add(root, "CXQQDH", request.request_no)
    _add(root, "AH", request.case_no)
    _add(root, "FYDM", request.court_code)
    _add(root, "FYMC", request.court_name)
    _add(root, "CBR", request.officer_name)
    _add(root, "CBRZJH", request.officer_credential_no)
    _add(root, "CBRDH", request.officer_phone)
    _add(root, "QQSJ", request.issued_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))
    _add(root, "XM", request.subject.name)
    _add(root, "ZJZL", ZJZL[request.subject.id_type])
    _add(root, "ZJH", request.subject.id_number)
    if request.items:
        controls = etree.SubElement(root, "KZXX")
        for index, item in enumerate(request.items, 1):
            _encode_item(controls, item, request=request, where=f"Items/Item[{index}]")
    documents = etree.SubElement(root, "WSXX")
    for ref in request.documents:
        record = etree.SubElement(documents, "WS")
        _add(record, "WSLX", WSLX[DocumentType(ref.type)])
        _add(record, "WJM", ref.filename)
        _add(record, "SHA256", ref.sha256)
    _add(root, "BZ", request.remarks)
    return _DECLARATION + etree.tostring(root, encoding="UTF-8", pretty_print=True)


def _encode_item(
    parent: etree._Element, item: RequestItem, *, request: AssistanceRequest, where: str
) -> None:
    if item.asset_class not in CLASS_OF_UNIT.values():
        held = ", ".join(sorted(set(CLASS_OF_UNIT.values())))
        raise FormatError(
            "AssetClass", f"a real-estate registry holds {held}, not {item.asset_class}", where=where
        )
    if not _UNIT_NO.fullmatch(item.asset_id):
        raise FormatError(
            "BDCDYH",
            f"the AssetId {item.asset_id!r} is not a 28-character 不动产单元号 (e.g. 222426001001GB00012F00010023)",
            where=f"{where}/AssetId",
        )
    record = etree.SubElement(parent, "KZ")
    _add(record, "KZCS", KZCS[request.action])
    _add(record, "BDCDYH", item.asset_id)
    certificate = _CERTIFICATE.search(item.description or "")
    _add(record, "BDCQZH", certificate.group() if certificate else None)
    if item.period is not None:
        _add(record, "KSRQ", item.period.start.isoformat())
        _add(record, "JSRQ", item.period.end.isoformat())
    _add(record, "YCFYWH", item.original.registration_no if item.original else None)
    _add(record, "CKWH", request.case_no)
    if item.flexible_custodian is not None:
        _add(record, "SFHF", "1")
        _add(record, "BGR", item.flexible_custodian)
        _add(record, "YXSY", item.flexible_use)
    _add(record, "BZ", item.description)


def decode_answer(answer: bytes, *, request: bytes, unit_code: str, receipt_no: str) -> bytes:
    """The registry's BDCFK answer to `request` as a standard AssistanceReceipt (UTF-8 bytes).

    The receipt passes `inspect(..., expect="receipt")` and `receipt_problems` for the request's
    action. Raises FormatError naming the registry's field for an answer that cannot be mapped.
    """
    standard = _read_request(request)
    try:
        root = parse(answer).getroot()
    except DocumentError as exc:
        raise FormatError("BDCFK", f"the answer cannot be read: {exc}") from None
    if root.tag != "BDCFK":
        raise FormatError("BDCFK", f"expected the answer's root element BDCFK, got {root.tag}")
    kind = "CX" if standard.action is Action.QUERY else "KZ"
    if (got := _required(root, "YWLX")) != kind:
        raise FormatError("YWLX", f"expected {kind} for a {standard.action} request, got {got!r}")
    if (got := _required(root, "CXQQDH")) != standard.request_no:
        raise FormatError("CXQQDH", f"the answer is to {got!r}, but the request is {standard.request_no}")
    handler, phone = _required(root, "JBR"), _value(root, "LXDH")
    if phone is not None and not _PHONE.fullmatch(phone):
        raise FormatError("LXDH", f"expected a phone number (digits, + - ( ) and spaces), got {phone!r}")

    reason = None
    if standard.action is Action.QUERY:
        results = [_asset(bdc, f"CXJG/BDC[{n}]") for n, bdc in enumerate(root.iterfind("CXJG/BDC"), 1)]
        outcome = Outcome.FOUND if results else Outcome.NOT_FOUND
    else:
        outcome, reason, results = _controls(root, standard)
    receipt = _E.AssistanceReceipt(
        _E.RequestNo(standard.request_no),
        _E.UnitCode(unit_code),
        _E.ReceiptNo(_receipt_no(root, receipt_no)),
        _E.HandledAt(_instant(_required(root, "FKSJ"), "FKSJ").isoformat()),
        _E.Handler(handler, **({"phone": phone} if phone else {})),
        _E.Final("true"),
        _E.Outcome(outcome),
        version="1.0",
    )
    if reason is not None:
        receipt.append(_E.Reason(reason, code=ReasonCode.OTHER))
    if results:
        receipt.append(_E.Results(*results))
    data = _DECLARATION + etree.tostring(receipt, encoding="UTF-8", pretty_print=True)
    try:
        problems = receipt_problems(inspect(data, expect="receipt").receipt, action=standard.action)
    except DocumentError as exc:
        problems = exc.problems
    if problems:
        why = "; ".join(f"{p.path}: {p.message}" for p in problems)
        raise FormatError("BDCFK", f"the answer maps to a receipt the standard refuses: {why}")
    return data


def _asset(record: etree._Element, where: str) -> etree._Element:
    unit_no = _required(record, "BDCDYH", where)
    if not _UNIT_NO.fullmatch(unit_no):
        raise FormatError("BDCDYH", f"expected a 28-character 不动产单元号, got {unit_no!r}", where=where)
    area = _value(record, "MJ")
    if area is not None and not re.fullmatch(r"\d+(\.\d+)?", area):
        raise FormatError("MJ", f"expected an area in square metres, got {area!r}", where=where)
    seals = [_seal_text(cf, f"{where}/CFXX/CF[{n}]") for n, cf in enumerate(record.iterfind("CFXX/CF"), 1)]
    flags = {status: _flag(record, name, where) for status, name in STATUS_FLAGS}
    flags[AssetStatus.SEALED] |= bool(seals)
    parts = [
        *(_value(record, name) for name in ("BDCQZH", "ZL", "YT")),
        f"面积{area}平方米" if area else None,
        "已抵押" if flags[AssetStatus.MORTGAGED] else None,
        "有异议登记" if flags[AssetStatus.DISPUTED] else None,
        *(seals or ["已查封"] if flags[AssetStatus.SEALED] else []),
    ]
    description = "，".join(p for p in parts if p)
    if len(description) > _DESCRIPTION_MAX:
        description = description[: _DESCRIPTION_MAX - 1] + "…"
    asset = _E.Asset(_E.AssetClass(CLASS_OF_UNIT[unit_no[19]]), _E.AssetId(unit_no))
    if description:
        asset.append(_E.Description(description))
    asset.append(_E.Status(next((status for status, on in flags.items() if on), AssetStatus.NORMAL)))
    asset.extend(
        _owner(qlr, f"{where}/QLRXX/QLR[{n}]") for n, qlr in enumerate(record.iterfind("QLRXX/QLR"), 1)
    )
    return asset


def _seal_text(seal: etree._Element, where: str) -> str:
    start, end = (_value(seal, name) for name in ("CFKSRQ", "CFJSRQ"))
    period = f"{_date(start, 'CFKSRQ', where)}至{_date(end, 'CFJSRQ', where)}" if start and end else None
    details = [_value(seal, "CFJG"), _value(seal, "CFWH"), period]
    return "已被查封（" + "，".join(d for d in details if d) + "）"


def _owner(record: etree._Element, where: str) -> etree._Element:
    name = _required(record, "QLRMC", where)
    kind = _value(record, "GYFS")
    if kind is not None and kind not in GYFS:
        raise FormatError("GYFS", f"expected one of {', '.join(GYFS)}, got {kind!r}", where=where)
    text = _value(record, "QLBL")
    share = _share(text, where) if text is not None else "1/1" if kind == "0" else None
    if kind == "2" and share is None:
        raise FormatError("QLBL", "an owner in shares (GYFS 2) needs a share", where=where)
    return _E.Owner(name, share=share) if share else _E.Owner(name)


def _share(text: str, where: str) -> str:
    try:
        share = Fraction(Decimal(text[:-1])) / 100 if text.endswith("%") else Fraction(text)
    except (ValueError, ZeroDivisionError, InvalidOperation):
        share = None
    if share is None or not 0 < share <= 1:
        raise FormatError("QLBL", f"expected a share such as 1/2 or 50%, got {text!r}", where=where)
    return f"{share.numerator}/{share.denominator}"


def _controls(
    root: etree._Element, request: AssistanceRequest
) -> tuple[Outcome, str | None, list[etree._Element]]:
    items = {item.asset_id: item for item in request.items}
    answered: set[str] = set()
    done: list[tuple[etree._Element, bool]] = []
    unable: list[str] = []
    for index, record in enumerate(root.iterfind("KZJG/KZ"), 1):
        where = f"KZJG/KZ[{index}]"
        unit_no = _required(record, "BDCDYH", where)
        item = items.get(unit_no)
        if item is None:
            raise FormatError(
                "BDCDYH", f"{unit_no} is not an item of request {request.request_no}", where=where
            )
        if unit_no in answered:
            raise FormatError("BDCDYH", f"{unit_no} is answered twice", where=where)
        answered.add(unit_no)
        code = KZCS[request.action]
        if (got := _required(record, "KZCS", where)) != code:
            raise FormatError("KZCS", f"expected {code} for {request.action}, got {got!r}", where=where)
        state = _required(record, "KZZT", where)
        if state == "1":
            done.append(_control(record, item, request.action, where))
        elif state == "2":
            why = _required(record, "WNKZYY", where)
            unable.append(why if len(request.items) == 1 else f"{unit_no}：{why}")
        else:
            raise FormatError("KZZT", f"expected 1 or 2, got {state!r}", where=where)
    if missing := [item.asset_id for item in request.items if item.asset_id not in answered]:
        raise FormatError("KZJG", f"no <KZ> answers BDCDYH {', '.join(missing)}")

    waiting = sum(1 for _, waits in done if waits)
    if waiting and waiting < len(done):
        raise FormatError(
            "LHSX",
            "some items were sealed and others waitlisted: a standard receipt has one outcome for both; "
            "the task needs a receipt by hand",
        )
    if not done:
        outcome = Outcome.UNABLE
    elif request.action is Action.RELEASE:
        outcome = Outcome.RELEASED
    elif waiting:
        outcome = Outcome.WAITLISTED
    else:
        outcome = Outcome.PARTIAL if unable else Outcome.CONTROLLED
    return outcome, "；".join(unable) or None, [control for control, _ in done]


def _control(
    record: etree._Element, item: RequestItem, action: Action, where: str
) -> tuple[etree._Element, bool]:
    """One done item as a standard <Control>, and whether it waits in line."""
    registration = _value(record, "CFYWH")
    if registration is None and action is Action.RELEASE and item.original is not None:
        registration = item.original.registration_no
    if registration is None:
        raise FormatError("CFYWH", "a done item (KZZT 1) needs its registration no.", where=where)
    control = _E.Control(
        _E.AssetClass(item.asset_class), _E.AssetId(item.asset_id), _E.RegistrationNo(registration)
    )
    start, end = _value(record, "CSKSRQ"), _value(record, "CSJSRQ")
    if action is not Action.RELEASE and (start, end) != (None, None):
        if start is None or end is None:
            raise FormatError(
                "CSKSRQ" if start is None else "CSJSRQ", "CSKSRQ and CSJSRQ go together", where=where
            )
        first, last = _date(start, "CSKSRQ", where), _date(end, "CSJSRQ", where)
        if last < first:
            raise FormatError("CSJSRQ", f"the period ends ({last}) before it starts ({first})", where=where)
        control.append(_E.Period(start=first.isoformat(), end=last.isoformat()))
    queue = _value(record, "LHSX")
    if queue is not None:
        if action is not Action.SEAL:
            raise FormatError("LHSX", f"only a seal (KZCS 11) waits in line, not {action}", where=where)
        if not re.fullmatch(r"[0-9]+", queue) or int(queue) < 1:
            raise FormatError("LHSX", f"expected a queue position from 1, got {queue!r}", where=where)
        control.append(_E.QueuePosition(str(int(queue))))
    return control, queue is not None


def _receipt_no(root: etree._Element, fallback: str) -> str:
    number = _value(root, "FKBH")
    if number is not None:
        if _RECEIPT_NO.fullmatch(number):
            return number
        return "RE-" + hashlib.sha256(number.encode()).hexdigest()[:32]
    if _RECEIPT_NO.fullmatch(fallback):
        return fallback
    raise FormatError("FKBH", f"missing, and receipt_no {fallback!r} is no ReceiptNo ([A-Za-z0-9-]{{6,40}})")


def _read_request(document: bytes) -> AssistanceRequest:
    try:
        request = inspect(document, expect="request").request
    except DocumentError as exc:
        raise FormatError("AssistanceRequest", f"not a valid standard request: {exc}") from None
    if request.action not in ACTIONS:
        carried = ", ".join(sorted(ACTIONS))
        raise FormatError("Action", f"the real-estate format carries {carried}, not {request.action}")
    return request


def _add(parent: etree._Element, name: str, text: str | None) -> None:
    if text is not None:
        etree.SubElement(parent, name).text = text


def _value(parent: etree._Element, name: str) -> str | None:
    child = parent.find(name)
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def _required(parent: etree._Element, name: str, where: str | None = None) -> str:
    if (text := _value(parent, name)) is None:
        raise FormatError(name, "required, but missing or empty", where=where)
    return text


def _flag(record: etree._Element, name: str, where: str) -> bool:
    text = _value(record, name)
    if text not in (None, "0", "1"):
        raise FormatError(name, f"expected 0 or 1, got {text!r}", where=where)
    return text == "1"


def _parsed(pattern: re.Pattern[str], text: str, make: Callable[..., _T]) -> _T | None:
    """`make` called with the numbers `pattern` finds in `text`; None if none match or make refuses them."""
    match = pattern.fullmatch(text)
    try:
        return make(*(int(g) for g in match.groups() if g is not None)) if match else None
    except ValueError:
        return None


def _date(text: str, name: str, where: str) -> date:
    if (value := _parsed(_DATE, text, date)) is None:
        raise FormatError(name, f"expected a date yyyy-MM-dd or yyyyMMdd, got {text!r}", where=where)
    return value


def _instant(text: str, name: str) -> datetime:
    if (value := _parsed(_TIME, text, lambda *n: datetime(*n, tzinfo=SHANGHAI))) is None:
        raise FormatError(name, f"expected Beijing time yyyy-MM-dd HH:mm:ss or yyyyMMddHHmmss, got {text!r}")
    return value
