"""The real-estate registries' 查控 client (点对点, `http://ip.service.webService.ckw.tdh/`), mapped to and from the
standard.

The client is a registry vendor's exchange module (yanFranklin/bdc20230104, BdcCourtKzJhSoapServiceImpl, Apache
Axis 1); what it sends and reads was read from its code and run against it (tests/ckw/recorded/real-estate/).
Every argument and answer is base64 of a UTF-8 XML document without namespaces; inside, every text value and
the ErrorMSG attribute is base64 of its UTF-8 text once more (`encode_values`, the client's default). The
client stops decoding an object at its first empty value, so an answer never holds an empty element or
attribute: absent values are left out. File contents (WSNR, GZZ, GWZ) are base64 of the file, then
value-encoded like any text. Dates are yyyy/MM/dd, times yyyy/MM/dd HH:mm:ss, in Beijing time. Element names
are read in any case, lists with or without their item elements (FDCQLIST/FDCQ or FDCQLIST alone).

Listed (kzBdcQL: SEAL, RENEW, RELEASE; cxBdcQL: QUERY), from each pending request:
    Message/Head/CREATETIME, Data/BDCKZQQLIST/BDCKZQQ (Data/BDCCXQQLIST/BDCCXQQ for queries)
      CXQQDH          the RequestNo (the registry's case no., its lock and the feedback's key)
      XM ZJZL ZJH     the subject; ZJZL 1 resident ID, 8 USCC (统一社会信用代码: the client's codes), 3
                      passport and 99 other (the national table: unverified)
      FYMC CBR AH     the court, the officer, the case no.; FYMC becomes the registry's 查封机关
      CKH             the notice's title; queries: GZZBH GWZBH, the officer's card numbers
      BDCQLLIST/BDCQL per item (controls):
        KZQQDH        the RequestNo again (the client does not read it)
        KZCS          11 SEAL (查封), 12 RENEW (续封), 14 RELEASE (解封)
        BDCDYH        the item's AssetId (不动产单元号)
        ZL BDCQZH     the location and the certificate no., as the item's Description names them
        CKWH          the ruling no.: the case no., under which the ruling issues
        KSRQ JSRQ     the period (SEAL, RENEW)
        YCFYWH        RENEW, RELEASE: the seal's registration no. (the registry's xmid it fed back as CFYWH,
                      matched against its seals on the unit); YDJDH YDJAH: the seal's request and case no.
kzwsInfo: WSLIST/WSINFO per file (CXQQDH, XH, WJMC the name without extension, WJLX the extension, WSNR).
zjInfo: ZJLIST/ZJINFO with the officer's 工作证 (GZZBM, GZZWJGS, GZZ) and 公务证 (GWZBM, GWZWJGS, GWZ) for
each image on file: the client only stores the images (as GZZBM.GZZWJGS); none on file, <ZJLIST/>.
The request no. they ask for (CXQQDHINFO/CONDITION/CXQQDH) arrives base64 twice, the usermarker's values once.

Feedback, one receipt per CXQQDH, by the registry's system (Handler 不动产登记系统: the feedback names no
person), HandledAt its Head/CREATETIME (a day alone, as in query feedback: that day, not before the request):
    feedkzBdcQL   BDCFKLIST/BDCKZJG, KZXXLIST/KZXX per item (by BDCDYH): KZZT 1 done, a Control with
                  RegistrationNo CFYWH (else YWH) and the period CSKSRQ-CSJSRQ (not for RELEASE); KZZT 2
                  not done, WNKZYY why. The outcome by the rule of adapters/ckw/common.py: every item of the
                  request done: CONTROLLED (RELEASE: RELEASED); some done, others not done or not in the
                  feedback: PARTIAL (RELEASE: RELEASED naming those); none done: UNABLE, with a Control per
                  item not done (its BDCDYH, RegistrationNo CFYWH else YWH when given): the registry sends
                  KZZT 2 after KZZT 1 when it withdraws its registration, and the Control names which.
                  Reason OTHER: WNKZYY's words, and the unit nos. the feedback did not answer.
    feedBdcQL     BDCFKLIST/BDCCXJG, RESULT 0000: the rights, mortgages and seals found (real_estate_rights);
                  none: NOT_FOUND. Another RESULT (2040: the registry's search failed, MESSAGE why) is an
                  interim receipt (ACKNOWLEDGED, Final false) saying why: a QUERY cannot be UNABLE, and so
                  the task stays open and listed, and the registry searches again at its next poll.
Answers to feedback: RESULTLIST/KZJGLIST/JG (CXJGLIST for queries) per CXQQDH, RESULT success|fail, MSG why
it failed; an error of the whole call in ErrorMSG (Message, WSLIST, ZJLIST) or errMsg (RESULTLIST).
"""

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import ClassVar

from lxml import etree

from adapters.ckw.common import (
    MAX_REASON,
    NOT_XML_TEXT,
    clip,
    control_outcome,
    decode_value,
    digest,
    named,
    reasons,
    unique,
)
from adapters.ckw.profile import (
    Cards,
    Fed,
    File,
    FormatError,
    Outcome,
    Pending,
    Role,
    decode_base64,
    encode_base64,
    read_xml,
)
from adapters.ckw.real_estate_rights import ENCUMBRANCES, RIGHTS, Record, found_assets, when
from hub.clock import SHANGHAI
from hub.standard.codes import Action, IdType, ReasonCode
from hub.standard.codes import Outcome as Result
from hub.standard.documents import AssistanceRequest, RequestItem
from hub.standard.write_receipt import AssetResult, ControlEntry, ReceiptDraft

HANDLER = "不动产登记系统"
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>'
KZCS = {Action.SEAL: "11", Action.RENEW: "12", Action.RELEASE: "14"}
ZJZL = {IdType.RESIDENT_ID: "1", IdType.USCC: "8", IdType.PASSPORT: "3", IdType.OTHER: "99"}
CKH = {
    Action.QUERY: "协助查询通知书",
    Action.SEAL: "协助执行通知书（查封）",
    Action.RENEW: "协助执行通知书（续行查封）",
    Action.RELEASE: "协助执行通知书（解除查封）",
}
# the roots of the list and document answers, for an error answer; any other operation's is RESULTLIST
ERROR_ROOTS = {"kzBdcQL": "Message", "cxBdcQL": "Message", "kzwsInfo": "WSLIST", "zjInfo": "ZJLIST"}
NO_REASON = "不动产登记中心未说明原因"
CHARSETS = ("utf-8", "gb18030")  # of the values: UTF-8, as the client writes them; GB18030 read too

_CERTIFICATE = re.compile(r"[\u4e00-\u9fff]{1,2}[（(]\d{4}[）)][^，,；;]{0,30}?不动产(?:权|证明)第\d+号")
_SEPARATOR = re.compile(r"[，,；;]")
_REQUEST_NO = re.compile(r"[\x21-\x7e]{1,100}")

Drafter = Callable[[etree._Element, str, str | None, AssistanceRequest, str, str], ReceiptDraft]


class RealEstateProfile:
    name: ClassVar[str] = "real-estate"
    namespace: ClassVar[str] = "http://ip.service.webService.ckw.tdh/"
    wsdl: ClassVar[str] = "ckw-real-estate.wsdl"
    withdraws: ClassVar[bool] = True  # KZZT 2 after KZZT 1: the registry deleted the case it opened
    roles: ClassVar[dict[str, Role]] = {
        "kzBdcQL": Role.CONTROL_LIST,
        "cxBdcQL": Role.QUERY_LIST,
        "kzwsInfo": Role.DOCUMENTS,
        "zjInfo": Role.CREDENTIALS,
        "feedkzBdcQL": Role.CONTROL_FEEDBACK,
        "feedBdcQL": Role.QUERY_FEEDBACK,
    }
    actions: ClassVar[dict[Role, frozenset[Action]]] = {
        Role.CONTROL_LIST: frozenset(KZCS),
        Role.QUERY_LIST: frozenset({Action.QUERY}),
    }

    def __init__(self, *, encode_values: bool = True) -> None:
        self.encode_values = encode_values

    # --- what the unit asks

    def credentials(self, argument: str) -> list[tuple[str, str]]:
        condition = _only(self._document(argument, "usermarker", "USERMARKER"), "CONDITION", "USERMARKER")
        user, word = _raw(condition, "USERNAME"), _raw(condition, "PASSWORD")
        if user is None or word is None:
            raise FormatError("USERNAME" if user is None else "PASSWORD", "required", where="USERMARKER")
        # the client encodes them once whatever its attr.encode says: that reading first, then as written
        readings = [(_decoded(user), _decoded(word)), (user, word)]
        return unique((u, w) for u, w in readings if u is not None and w is not None)

    def request_nos(self, argument: str) -> list[str]:
        root = self._document(argument, "wsbhinfo", "CXQQDHINFO")
        value = _raw(_only(root, "CONDITION", "CXQQDHINFO"), "CXQQDH")
        if value is None:
            raise FormatError("CXQQDH", "required", where="CXQQDHINFO/CONDITION")
        once = _decoded(value)
        twice = _decoded(once) if once is not None else None
        # encoded when built and again with the other values; once by a client without attr.encode
        order = [twice, once, value] if self.encode_values else [once, value, twice]
        return unique(v for v in order if v is not None and _REQUEST_NO.fullmatch(v))

    # --- lists, documents, credentials

    def list_answer(self, role: Role, pending: list[Pending], *, at: datetime) -> str:
        if role not in self.actions:
            raise ValueError(f"{role} is not a list")
        query = role is Role.QUERY_LIST
        root = etree.Element("Message")
        self._put(etree.SubElement(root, "Head"), "CREATETIME", _time_text(at))
        listed = etree.SubElement(etree.SubElement(root, "Data"), "BDCCXQQLIST" if query else "BDCKZQQLIST")
        for task in pending:
            if task.request.action in self.actions[role]:
                listed.append(self._listed(task, query=query))
        return self._answer(root)

    def documents_answer(self, request_no: str, files: list[File], *, at: datetime) -> str:
        root = etree.Element("WSLIST")
        for number, file in enumerate(files, 1):
            stem, extension = named(file)
            info = etree.SubElement(root, "WSINFO")
            self._put(info, "CXQQDH", request_no)
            self._put(info, "XH", str(number))
            self._put(info, "WJMC", stem)
            self._put(info, "WJLX", extension)
            self._put(info, "WSNR", encode_base64(file.data))
        return self._answer(root)

    def credentials_answer(self, request_no: str, cards: Cards | None, *, at: datetime) -> str:
        root = etree.Element("ZJLIST")
        if cards is not None and (cards.work_card or cards.credential_card):
            info = etree.SubElement(root, "ZJINFO")
            self._put(info, "CXQQDH", request_no)
            self._put(info, "XH", "1")
            for prefix, number, card, title in (
                ("GZZ", cards.work_card_no, cards.work_card, "工作证"),
                ("GWZ", cards.credential_no, cards.credential_card, "公务证"),
            ):
                if card is not None:  # stored by the client as <prefix>BM.<prefix>WJGS
                    self._put(info, f"{prefix}BM", number or title)
                    self._put(info, f"{prefix}WJGS", card[1])
                    self._put(info, prefix, encode_base64(card[0]))
        return self._answer(root)

    # --- feedback

    def feedback(self, role: Role, argument: str, *, at: datetime | None = None) -> list[Fed]:
        """Each CXQQDH's result in the batch. Here only what names a result is read, the rest when its
        receipt is drafted: a result that cannot be mapped fails alone. (`at` is not needed: the registry's
        feedback always says when it was made, CREATETIME.)"""
        if role not in (Role.CONTROL_FEEDBACK, Role.QUERY_FEEDBACK):
            raise ValueError(f"{role} is not feedback")
        root = self._document(argument, "feedbackinfo", "Message")
        item = "BDCKZJG" if role is Role.CONTROL_FEEDBACK else "BDCCXJG"
        data = _only(root, "Data", "Message")
        results = [e for wrapper in _all(data, "BDCFKLIST") for e in _all(wrapper, item)] + _all(data, item)
        if not results:
            other = "BDCCXJG" if item == "BDCKZJG" else "BDCKZJG"
            found = any(_name(e) == other for e in data.iter() if isinstance(e.tag, str))
            raise FormatError(
                "feedbackinfo",
                f"the feedback holds {other if found else 'no result'}, not {item}",
                where="Data",
            )
        head = _first(root, "Head")
        created = self._value(head, "CREATETIME", "Message/Head") if head is not None else None
        drafter = self._control_draft if role is Role.CONTROL_FEEDBACK else self._query_draft
        batch = []
        for number, element in enumerate(results, 1):
            where = f"{item}[{number}]"
            request_no = self._value(element, "CXQQDH", where)
            if request_no is None:
                raise FormatError("CXQQDH", "required", where=where)
            batch.append(
                Fed(
                    request_no,
                    _bound(drafter, element, where, created),
                    digest([element], compact=self.encode_values),
                )
            )
        return batch

    def feedback_answer(self, role: Role, outcomes: list[Outcome], *, at: datetime) -> str:
        root = etree.Element("RESULTLIST")
        results = etree.SubElement(root, "KZJGLIST" if role is Role.CONTROL_FEEDBACK else "CXJGLIST")
        for outcome in outcomes:
            result = etree.SubElement(results, "JG")
            self._put(result, "CXQQDH", outcome.request_no)
            self._put(result, "RESULT", "success" if outcome.ok else "fail")
            if not outcome.ok:
                self._put(result, "MSG", outcome.message or "处理失败")
        return self._answer(root)

    def error_answer(self, operation: str, message: str, *, at: datetime) -> str:
        message = message.strip() or "处理失败"
        name = ERROR_ROOTS.get(operation)
        if name is None:
            root = etree.Element("RESULTLIST")
            self._put(root, "errMsg", message)
        else:
            root = etree.Element(name, ErrorMSG=self._encoded(message))
        return self._answer(root)

    # --- listing

    def _listed(self, task: Pending, *, query: bool) -> etree._Element:
        request, subject = task.request, task.request.subject
        element = etree.Element("BDCCXQQ" if query else "BDCKZQQ")
        # FYMC is the registry's 查封机关: the directory's name of the court, once Pending carries it
        court = task.court_name or request.court_name
        for name, value in (
            ("CXQQDH", request.request_no),
            ("XM", subject.name),
            ("ZJZL", ZJZL[subject.id_type]),
            ("ZJH", subject.id_number),
            ("FYMC", court),
            ("CBR", request.officer_name),
            ("AH", request.case_no),
            ("CKH", CKH[request.action]),
        ):
            self._put(element, name, value)
        if query:
            cards = task.cards
            self._put(element, "GZZBH", cards.work_card_no if cards else None)
            self._put(
                element, "GWZBH", (cards.credential_no if cards else None) or request.officer_credential_no
            )
        else:
            items = etree.SubElement(element, "BDCQLLIST")
            items.extend(self._item(task, item) for item in request.items)
        return element

    def _item(self, task: Pending, item: RequestItem) -> etree._Element:
        request, description = task.request, item.description or ""
        certificate = _CERTIFICATE.search(description)
        location = next((part.strip() for part in _SEPARATOR.split(description) if part.strip()), None)
        if location is not None and certificate is not None and certificate.group() in location:
            location = None
        values = [
            ("KZQQDH", request.request_no),
            ("KZCS", KZCS[request.action]),
            ("BDCDYH", item.asset_id),
            ("ZL", location),
            ("BDCQZH", certificate.group() if certificate else None),
            ("CKWH", request.case_no),
        ]
        if item.period is not None:
            values += [("KSRQ", _day_text(item.period.start)), ("JSRQ", _day_text(item.period.end))]
        if item.original is not None:
            known = task.originals.get(item.original.request_no)
            values += [
                ("YDJAH", known.case_no if known else None),
                ("YDJDH", item.original.request_no),
                ("YCFYWH", (known.registration_no if known else None) or item.original.registration_no),
            ]
        element = etree.Element("BDCQL")
        for name, value in values:
            self._put(element, name, value)
        return element

    # --- drafting receipts

    def _control_draft(
        self, element: etree._Element, where: str, created: str | None, request: AssistanceRequest,
        unit_code: str, receipt_no: str,
    ) -> ReceiptDraft:  # fmt: skip
        action = request.action
        if action not in KZCS:
            raise FormatError(
                "CXQQDH", f"request {request.request_no} is a {action}, not a seal, renewal or release"
            )
        draft = _drafting(request, unit_code, receipt_no, _handled_at(created, request))
        result = self._value(element, "RESULT", where)
        if result not in (None, "0000"):
            return draft(Result.UNABLE, reason=f"不动产登记系统反馈结果代码 {result}")
        items = {item.asset_id: item for item in request.items}
        records = list(_records(element, "KZXXLIST", "KZXX", where))
        if not records:
            raise FormatError("KZXXLIST", "no KZXX: the result of each item is missing", where=where)
        answered: dict[str, str] = {}  # BDCDYH -> KZZT
        done: dict[str, ControlEntry] = {}
        not_done: dict[str, ControlEntry] = {}  # the item, and the registration withdrawn when named
        refusals: list[tuple[str, str]] = []
        for record, at in records:
            v = self._values(record, at)
            unit_no, state = v.get("BDCDYH", ""), v.get("KZZT")
            if state not in ("1", "2"):
                raise FormatError("KZZT", f"expected 1 (done) or 2 (not done), got {state!r}", where=at)
            if answered.setdefault(unit_no, state) != state:
                raise FormatError("KZZT", f"{unit_no!r} is answered both done (1) and not done (2)", where=at)
            item, registration = items.get(unit_no), v.get("CFYWH") or v.get("YWH")
            if state == "2":
                refusals.append((unit_no, v.get("WNKZYY") or NO_REASON))
                if item is not None:
                    number = _number(registration, at) if registration is not None else None
                    not_done.setdefault(unit_no, ControlEntry(item.asset_class, unit_no, number))
                continue
            if item is None:
                raise FormatError(
                    "BDCDYH", f"{unit_no!r} is not an item of request {request.request_no}", where=at
                )
            if registration is None and action is Action.RELEASE and item.original is not None:
                registration = item.original.registration_no
            if registration is None:
                raise FormatError("CFYWH", "a done item (KZZT 1) needs its registration no.", where=at)
            start, end = _period(v, at) if action is not Action.RELEASE else (None, None)
            entry = ControlEntry(item.asset_class, unit_no, _number(registration, at), start=start, end=end)
            done.setdefault(unit_no, entry)
        missing = [unit_no for unit_no in items if unit_no not in answered]
        unanswered = f"本次反馈未包括不动产单元{'、'.join(missing)}的办理结果" if missing else None
        outcome = control_outcome(action, done=len(done), whole=not refusals and not missing)
        controls = done if done else not_done  # UNABLE: the items not done, for a withdrawal to name
        return draft(
            outcome, reason=reasons([_reasons(refusals), unanswered]), controls=tuple(controls.values())
        )

    def _query_draft(
        self, element: etree._Element, where: str, created: str | None, request: AssistanceRequest,
        unit_code: str, receipt_no: str,
    ) -> ReceiptDraft:  # fmt: skip
        if request.action is not Action.QUERY:
            raise FormatError("CXQQDH", f"request {request.request_no} is a {request.action}, not a query")
        draft = _drafting(request, unit_code, receipt_no, _handled_at(created, request))
        result = self._value(element, "RESULT", where)
        if result is None:
            raise FormatError("RESULT", "required (0000, or 2040 with MESSAGE)", where=where)
        if result != "0000":
            why = self._value(element, "MESSAGE", where) or "未说明原因"
            reason = f"不动产登记系统查询出错（结果代码 {result}）：{why}"
            return draft(Result.ACKNOWLEDGED, reason=reason, final=False)
        records = []
        for kind in (*RIGHTS, *ENCUMBRANCES):
            for record, at in _records(element, f"{kind}LIST", kind, where):
                persons = [self._values(p, w) for p, w in _records(record, "QLRXXLIST", "QLRXX", at)]
                records.append(Record(kind, self._values(record, at), at, persons))
        assets = found_assets(records)
        return draft(Result.FOUND if assets else Result.NOT_FOUND, assets=assets)

    # --- the documents, in and out

    def _document(self, argument: str, field: str, root_name: str) -> etree._Element:
        root = read_xml(decode_base64(argument, field=field), field=field)
        if _name(root) != root_name.upper():
            raise FormatError(field, f"expected the document {root_name}, got {etree.QName(root).localname}")
        return root

    def _value(self, parent: etree._Element, name: str, where: str) -> str | None:
        """A child's text, decoded when values are encoded; None when absent or empty."""
        raw = _raw(parent, name)
        return (self._text(raw, name, where) or None) if raw is not None else None

    def _values(self, record: etree._Element, where: str) -> dict[str, str]:
        """A record's leaf values by upper-case name, decoded, the empty left out; a name repeated: the first."""
        values: dict[str, str] = {}
        for child in _elements(record):
            name, raw = _name(child), (child.text or "").strip()
            if len(child) == 0 and raw and name not in values and (text := self._text(raw, name, where)):
                values[name] = text
        return values

    def _text(self, raw: str, name: str, where: str) -> str:
        if not self.encode_values:
            return NOT_XML_TEXT.sub("", raw)
        text = _decoded(raw)
        if text is None:
            why = "not base64 of UTF-8 text (a registry that sends its values plain needs encode_values = false)"
            raise FormatError(name, why, where=where)
        return text

    def _put(self, parent: etree._Element, name: str, value: str | None) -> None:
        """A value as the client reads it: encoded, and never an empty element (left out instead)."""
        if value is not None and value.strip():
            etree.SubElement(parent, name).text = self._encoded(value)

    def _encoded(self, value: str) -> str:
        return encode_base64(value.encode("utf-8")) if self.encode_values else value

    def _answer(self, root: etree._Element) -> str:
        return encode_base64((PROLOG + etree.tostring(root, encoding="unicode")).encode("utf-8"))


# --- reading


def _elements(parent: etree._Element) -> Iterator[etree._Element]:
    return (child for child in parent if isinstance(child.tag, str))


def _name(element: etree._Element) -> str:
    return etree.QName(element).localname.upper()


def _first(parent: etree._Element, name: str) -> etree._Element | None:
    """A child by name, in any case (the names are the client's Java field names)."""
    return next((child for child in _elements(parent) if _name(child) == name.upper()), None)


def _all(parent: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in _elements(parent) if _name(child) == name.upper()]


def _only(parent: etree._Element, name: str, where: str) -> etree._Element:
    child = _first(parent, name)
    if child is None:
        raise FormatError(name, "required", where=where)
    return child


def _raw(parent: etree._Element, name: str) -> str | None:
    child = _first(parent, name)
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def _records(
    parent: etree._Element, list_name: str, item: str, where: str
) -> Iterator[tuple[etree._Element, str]]:
    """A list's records, each <FDCQLIST> one record as the client writes them, or FDCQLIST/FDCQ; empty ones
    left out."""
    number = 0
    for element in _all(parent, list_name):
        for record in _all(element, item) or [element]:
            if next(_elements(record), None) is not None:
                number += 1
                yield record, f"{where}/{list_name}[{number}]"


def _decoded(raw: str) -> str | None:
    """base64 of UTF-8 text (GB18030 when not UTF-8), decoded, without control characters, stripped; None
    when it is not one."""
    text = decode_value(raw, CHARSETS)
    return NOT_XML_TEXT.sub("", text).strip() if text is not None else None


def _bound(drafter: Drafter, element: etree._Element, where: str, created: str | None):
    def draft(request: AssistanceRequest, unit_code: str, receipt_no: str) -> ReceiptDraft:
        return drafter(element, where, created, request, unit_code, receipt_no)

    return draft


def _handled_at(created: str | None, request: AssistanceRequest) -> datetime:
    read = when(created)
    if read is None:
        why = f"expected when the registry answered (yyyy/MM/dd HH:mm:ss), got {created!r}"
        raise FormatError("CREATETIME", why, where="Message/Head")
    moment, timed = read
    if not timed:  # a day alone (the query feedback's): that day, and not before the request was issued
        moment = max(moment, request.issued_at.astimezone(SHANGHAI).replace(microsecond=0))
    return moment


def _period(v: dict[str, str], where: str) -> tuple[date | None, date | None]:
    """CSKSRQ-CSJSRQ, the period registered; none when either is missing (the item's applies)."""
    if v.get("CSKSRQ") is None or v.get("CSJSRQ") is None:
        return None, None
    start, end = when(v["CSKSRQ"]), when(v["CSJSRQ"])
    if start is None or end is None:
        name = "CSKSRQ" if start is None else "CSJSRQ"
        raise FormatError(name, f"expected a date yyyy/MM/dd, got {v[name]!r}", where=where)
    if end[0] < start[0]:
        raise FormatError(
            "CSJSRQ", f"the period ends ({v['CSJSRQ']}) before it starts ({v['CSKSRQ']})", where=where
        )
    return start[0].date(), end[0].date()


def _number(registration: str, where: str) -> str:
    if len(registration) > 100:
        raise FormatError(
            "CFYWH", f"{len(registration)} characters, more than a number has (at most 100)", where=where
        )
    return registration


def _reasons(refusals: list[tuple[str, str]]) -> str | None:
    """WNKZYY's words; by unit no. when the items' differ."""
    texts = unique(why for _, why in refusals)
    if len(texts) <= 1:
        return texts[0] if texts else None
    return "；".join(f"{unit_no}：{why}" if unit_no else why for unit_no, why in unique(refusals))


def _drafting(request: AssistanceRequest, unit_code: str, receipt_no: str, handled: datetime):
    def draft(
        outcome: Result, *, reason: str | None = None, final: bool = True,
        assets: tuple[AssetResult, ...] = (), controls: tuple[ControlEntry, ...] = (),
    ) -> ReceiptDraft:  # fmt: skip
        return ReceiptDraft(
            request_no=request.request_no,
            unit_code=unit_code,
            receipt_no=receipt_no,
            handled_at=handled,
            handler_name=HANDLER,
            outcome=outcome,
            final=final,
            reason_code=ReasonCode.OTHER if reason else None,
            reason_text=clip(reason, MAX_REASON) if reason else None,
            assets=assets,
            controls=controls,
        )

    return draft


# --- writing


def _time_text(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y/%m/%d %H:%M:%S")


def _day_text(day: date) -> str:
    return day.strftime("%Y/%m/%d")
