"""The banks' 查控 clients (点对点, `http://syyh.service.webService.ckw.tdh/`), mapped to and from the standard.

What the clients send and read is reconstructed from their public code (CITIC's Axis2 stub and JiBX
bindings, an Axis 1 client, CXF dynamic clients, a suds script); the attribute names are theirs.

Encoding, both ways: every attribute value is base64 of its GBK bytes (unless `encode_values` is off,
for clients that send plain values), file contents (WSNR, GZZ, GWZ) are base64 once more inside that,
and the whole document is base64 of its GBK bytes. Base64 is read leniently (line breaks and spaces
anywhere, as CITIC's MIME base64 puts them) and text as GB18030; answers are written on one line.
An answer declares encoding="UTF-8", as the real court's does, when its values are encoded: it is ASCII
then. With plain values it declares GBK: the bytes stay GBK, since the clients decode the base64 as GBK
text (and then parse that string, the declaration unread), and a client parsing the bytes reads them right.

Listed (getXzcxList, getXzkzList), from each pending request:
    cxqq / kzqq   BDHM and WSBH: the RequestNo (cxwsInfo asks by WSBH, kzwsInfo and zjInfo by BDHM)
                  LB YH, XZ 1 query | 2 control; XM, ZJLX, DSRZJHM: the subject; FYMC FYDM: the court;
                  CBR YHDH: the officer and phone; AH: the case no.; GZZBH, GWZBH and GWZBM (v1): the
                  officer's 工作证 and 公务证 numbers; CKH: the notice's title, by action; BEIZ: Remarks
    kzzh          one per item: CCXH the item's position from 1; KZLX 1 deposit (存款), 2 any other class
                  (非存款类金融资产); KZCS 01 FREEZE, 02 RENEW, 04 RELEASE, 06 DEDUCT; KHZH the AssetId;
                  KZNR 1 (the funds in the account); BZ, JE the amount; KSRQ, JSRQ yyyy/MM/dd; CKWH the
                  case no.; YDJDH, YDJAH the original freeze's request and case no. (RENEW, RELEASE)
ZJLX: the banks' code table is not public (CITIC maps it through its own dictionary); the codes seen
are 01 for a resident ID. The hub writes 01 RESIDENT_ID, 02 USCC, 03 PASSPORT, 99 OTHER: a guess past 01.
Unknown to the hub and written empty: GJ, FZJG, CKKSSJ, CKJSSJ, LXFS, the account's details
(GLZHHM, CCLB, KHWD...) and for DEDUCT the court's execution account (ZXKZH*).

Feedback, routed by the document's root, whatever the operation (CITIC's rollback of a control request
posts its kzxxList to shfeedXzcxInfo): zhxxList a query's accounts, kzxxList a control's items, each BDHM's
records become its receipt as adapters/ckw/bank_results.py says. Its digest leaves out FKSJ, the time the
bank sent it: the same results sent again later are the same feedback. Answers: result/cxjglist/jg per BDHM
(bdhm, result success|fail, msg); an error of the whole call in errorMsg and errMsg, of a list or documents
in errorMsg and ErrorMSG.
"""

import hashlib
import re
from datetime import date, datetime
from typing import ClassVar

from lxml import etree

from adapters.ckw.bank_results import CHILDREN, Record, draft
from adapters.ckw.common import NOT_XML_TEXT, decode_value, digest, named, unique
from adapters.ckw.profile import (
    Cards,
    DraftOf,
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
from hub.standard.codes import Action, AssetClass, IdType
from hub.standard.documents import AssistanceRequest, RequestItem
from hub.standard.write_receipt import ReceiptDraft

PROLOG = '<?xml version="1.0" encoding="{}"?>\n'
CHARSETS = ("gb18030",)  # of the values: GBK, read as its superset
SENT_AT = ("FKSJ",)  # when the bank sent its feedback (反馈时间): not what it reports
ZJLX = {IdType.RESIDENT_ID: "01", IdType.USCC: "02", IdType.PASSPORT: "03", IdType.OTHER: "99"}
KZCS = {Action.FREEZE: "01", Action.RENEW: "02", Action.RELEASE: "04", Action.DEDUCT: "06"}
CKH = {
    Action.QUERY: "协助查询存款通知书",
    Action.FREEZE: "协助冻结存款通知书",
    Action.RENEW: "协助继续冻结存款通知书",
    Action.RELEASE: "协助解除冻结存款通知书",
    Action.DEDUCT: "协助扣划存款通知书",
}
WSLB = {"RULING": "裁定书", "NOTICE": "通知书", "OTHER": "其他"}
# the list and document answers' roots, for an error answer
ERROR_ROOTS = {
    "getXzcxList": "cxqqList",
    "getXzkzList": "kzqqList",
    "cxwsInfo": "wsinfoList",
    "kzwsInfo": "wsinfoList",
    "wsInfo": "wsinfoList",
    "zjInfo": "zjinfoList",
}

_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/=\s]*")
_REQUEST_NO = re.compile(r"[A-Za-z0-9\-]{6,40}")
_DECLARATION = re.compile(rb"<\?xml[^>]*?\?>")
_ENCODING = re.compile(rb"\sencoding\s*=")
_UTF8_DECLARATION = re.compile(rb"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*["'])(?:UTF-?8)(["'])""", re.I)


class BankProfile:
    name: ClassVar[str] = "bank"
    namespace: ClassVar[str] = "http://syyh.service.webService.ckw.tdh/"
    wsdl: ClassVar[str] = "ckw-bank.wsdl"
    withdraws: ClassVar[bool] = False  # the banks' clients have no withdrawal: a second answer is refused
    roles: ClassVar[dict[str, Role]] = {
        "getXzcxList": Role.QUERY_LIST,
        "getXzkzList": Role.CONTROL_LIST,
        "shfeedXzcxInfo": Role.QUERY_FEEDBACK,
        "shfeedXzkzInfo": Role.CONTROL_FEEDBACK,
        "cxwsInfo": Role.DOCUMENTS,
        "kzwsInfo": Role.DOCUMENTS,
        "wsInfo": Role.DOCUMENTS,
        "zjInfo": Role.CREDENTIALS,
    }
    actions: ClassVar[dict[Role, frozenset[Action]]] = {
        Role.QUERY_LIST: frozenset({Action.QUERY}),
        Role.CONTROL_LIST: frozenset(KZCS),
    }

    def __init__(self, *, encode_values: bool = True) -> None:
        self.encode_values = encode_values

    # --- what the unit asks

    def credentials(self, argument: str) -> list[tuple[str, str]]:
        condition = self._condition(argument, "usermarker")
        raw = [condition.get(name) for name in ("username", "password")]
        for name, value in zip(("username", "password"), raw, strict=True):
            if value is None:
                raise FormatError(name, "required", where="usermarker/condition")
        plain = (raw[0].strip(), raw[1].strip())
        decoded = (self._decoded(raw[0]), self._decoded(raw[1]))
        pairs = [decoded, plain] if self.encode_values else [plain, decoded]
        return unique(
            (user, password) for user, password in pairs if user is not None and password is not None
        )

    def request_nos(self, argument: str) -> list[str]:
        condition = self._condition(argument, "bdhminfo", "wsbhinfo")
        name = "BDHM" if condition.get("BDHM") is not None else "WSBH"
        readings = self._readings(condition, name, f"{condition.getparent().tag}/condition")
        # a value encoded twice (as the registries' client does) is read too
        twice = [again for value in readings if (again := self._decoded(value)) is not None]
        found = unique(value for value in readings + twice if _REQUEST_NO.fullmatch(value))
        if not found:
            shown = readings[0] if readings else ""
            raise FormatError(name, f"expected a request no. (letters, digits and -), got {shown!r}")
        return found

    # --- lists, documents, credentials

    def list_answer(self, role: Role, pending: list[Pending], *, at: datetime) -> str:
        if role is Role.QUERY_LIST:
            root = etree.Element("cxqqList")
            for task in pending:
                self._listed(task, Action.QUERY)
                root.append(self._cxqq(task))
        elif role is Role.CONTROL_LIST:
            root = etree.Element("kzqqList")
            for task in pending:
                self._listed(task, *KZCS)
                root.append(self._kzqq(task))
        else:
            raise ValueError(f"{role} is not a list")
        return self._answer(root)

    def documents_answer(self, request_no: str, files: list[File], *, at: datetime) -> str:
        if not files:
            return self.error_answer("wsInfo", f"请求 {request_no} 没有可提供的法律文书", at=at)
        root = etree.Element("wsinfoList")
        for number, file in enumerate(files, 1):
            stem, extension = named(file)
            self._set(
                etree.SubElement(root, "wsinfo"),
                WSBH=request_no,
                BDHM=request_no,
                XH=str(number),
                WJMC=stem,
                WJLX=extension,
                WSLB=WSLB.get(file.type, WSLB["OTHER"]),
                MD5=hashlib.md5(file.data).hexdigest(),
                WSNR=encode_base64(file.data),
            )
        return self._answer(root)

    def credentials_answer(self, request_no: str, cards: Cards | None, *, at: datetime) -> str:
        if cards is None or (cards.work_card is None and cards.credential_card is None):
            return self.error_answer(
                "zjInfo", f"请求 {request_no} 的承办人证件（工作证、公务证）尚未登记", at=at
            )
        work, credential = cards.work_card, cards.credential_card
        names = [name for name, card in (("工作证", work), ("公务证", credential)) if card is not None]
        root = etree.Element("zjinfoList")
        self._set(
            etree.SubElement(root, "zjinfo"),
            BDHM=request_no,
            XH="1",
            ZJMC="、".join(names),
            GZZBM=cards.work_card_no or "",
            GZZWJGS=work[1] if work else "",
            GZZ=encode_base64(work[0]) if work else "",
            GWZBM=cards.credential_no or "",
            GWZWJGS=credential[1] if credential else "",
            GWZ=encode_base64(credential[0]) if credential else "",
        )
        return self._answer(root)

    # --- feedback

    def feedback(self, role: Role, argument: str, *, at: datetime) -> list[Fed]:
        """Each BDHM's feedback in the batch, in the order of first appearance. Routed by the document's
        root (zhxxList: query results, kzxxList: control results), whatever the operation. `at` is when
        the hub received it: the HandledAt of a receipt whose feedback gives no time (kzxx never does)."""
        root = self._document(argument, "arg1")
        if root.tag == "zhxxList":
            records = [(el, f"zhxxList/zhxx[{n}]") for n, el in enumerate(root.iterchildren("zhxx"), 1)]
        elif root.tag == "kzxxList":
            records = [(el, f"kzxxList/kzxx[{n}]") for n, el in enumerate(root.iterchildren("kzxx"), 1)]
            records += [
                (el, f"kzxxList/hzxxList/hzxx[{n}]") for n, el in enumerate(root.iterfind("hzxxList/hzxx"), 1)
            ]
        else:
            raise FormatError(
                "arg1", f"expected zhxxList (query results) or kzxxList (control results), got {root.tag}"
            )
        if not records:
            raise FormatError(root.tag, "lists no result: expected at least one zhxx or kzxx with its BDHM")
        groups: dict[str, list[tuple[etree._Element, str]]] = {}
        for element, where in records:
            bdhm = self._text(element, "BDHM", where)
            if not bdhm:
                raise FormatError("BDHM", "required: whose result this is", where=where)
            groups.setdefault(bdhm, []).append((element, where))
        return [
            Fed(
                request_no=bdhm,
                draft=self._drafter(bdhm, group, at),
                digest=digest(
                    (element for element, _ in group), leave_out=SENT_AT, compact=self.encode_values
                ),
            )
            for bdhm, group in groups.items()
        ]

    def feedback_answer(self, role: Role, outcomes: list[Outcome], *, at: datetime) -> str:
        root = etree.Element("result")
        results = etree.SubElement(root, "cxjglist")
        for outcome in outcomes:
            self._set(
                etree.SubElement(results, "jg"),
                bdhm=outcome.request_no,
                result="success" if outcome.ok else "fail",
                msg=outcome.message if not outcome.ok else "",
            )
        return self._answer(root)

    def error_answer(self, operation: str, message: str, *, at: datetime) -> str:
        message = message.strip() or "处理失败"
        name = ERROR_ROOTS.get(operation)
        if name is not None:
            root = etree.Element(name)
            self._set(root, errorMsg=message, ErrorMSG=message)
        else:  # the feedback operations, and any other
            root = etree.Element("result")
            self._set(root, errorMsg=message, errMsg=message)
            etree.SubElement(root, "cxjglist")
        return self._answer(root)

    # --- the documents, in and out

    def _document(self, argument: str, field: str) -> etree._Element:
        if not _BASE64_TEXT.fullmatch(argument):
            raise FormatError(field, "not base64: expected the document as base64 of its GBK bytes")
        data = decode_base64(argument, field=field)
        # The clients declare UTF-8, or nothing, and write GBK (harmless once every value is base64): read
        # what they wrote. A declaration of GBK is read as GB18030 by read_xml; any other is refused there.
        if not _is_utf8(data):
            declaration = _DECLARATION.match(data)
            if declaration is None:
                data = b'<?xml version="1.0" encoding="GB18030"?>' + data
            elif _ENCODING.search(declaration.group()) is None:
                data = data[: declaration.end() - 2] + b' encoding="GB18030"' + data[declaration.end() - 2 :]
            else:
                data = _UTF8_DECLARATION.sub(rb"\1GB18030\2", data, count=1)
        return read_xml(data, field=field)

    def _condition(self, argument: str, *roots: str) -> etree._Element:
        field = "arg0" if roots == ("usermarker",) else "arg1"
        root = self._document(argument, field)
        if root.tag not in roots:
            raise FormatError(field, f"expected {' or '.join(roots)}, got {root.tag}")
        condition = root.find("condition")
        if condition is None:
            raise FormatError(root.tag, "expected its <condition> element")
        return condition

    def _decoded(self, raw: str) -> str | None:
        """A value base64(GBK) decoded, or None when it is not one (or holds control characters)."""
        text = decode_value(raw, CHARSETS)
        return None if text is None or NOT_XML_TEXT.search(text) else text

    def _readings(self, element: etree._Element, name: str, where: str) -> list[str]:
        """What an attribute may mean, the likeliest first (usermarker, request no.: compared, never stored)."""
        raw = element.get(name)
        if raw is None:
            raise FormatError(name, "required", where=where)
        decoded = self._decoded(raw)
        plain = raw.strip()
        order = [decoded, plain] if self.encode_values else [plain, decoded]
        return unique(value for value in order if value is not None)

    def _text(self, element: etree._Element, name: str, where: str) -> str:
        """An attribute's value ("" when absent or empty); FormatError when it cannot be read."""
        raw = element.get(name)
        if raw is None or not raw.strip():
            return ""
        if not self.encode_values:
            text = raw.strip()
        else:
            text = self._decoded(raw)
            if text is None:
                raise FormatError(
                    name,
                    "not base64 of GBK text (a unit that sends plain values needs encode_values = false)",
                    where=where,
                )
        if NOT_XML_TEXT.search(text):
            raise FormatError(name, "holds control characters", where=where)
        return text

    def _set(self, element: etree._Element, **values: str) -> None:
        for name, value in values.items():
            element.set(name, self._encode(value))

    def _encode(self, value: str) -> str:
        if not self.encode_values or not value:
            return value
        return encode_base64(_gbk(value))

    def _answer(self, root: etree._Element) -> str:
        body = etree.tostring(root, encoding="unicode")
        if self.encode_values:  # ASCII: declared as the real court declares it
            return encode_base64(_gbk(PROLOG.format("UTF-8") + body))
        try:
            return encode_base64((PROLOG.format("GBK") + body).encode("gbk"))
        except UnicodeEncodeError:  # a character past GBK: GB18030 keeps it for the clients that read it
            return encode_base64((PROLOG.format("GB18030") + body).encode("gb18030"))

    # --- the hub's requests, listed

    def _listed(self, task: Pending, *actions: Action) -> None:
        if task.request.action not in actions:
            raise ValueError(f"task {task.task_id} is a {task.request.action} request, not one of {actions}")

    def _head(self, element: etree._Element, task: Pending, kind: str) -> None:
        request, cards = task.request, task.cards
        self._set(
            element,
            BDHM=request.request_no,
            LB="YH",
            XZ=kind,
            XM=request.subject.name,
            ZJLX=ZJLX[request.subject.id_type],
            DSRZJHM=request.subject.id_number,
            FYMC=request.court_name,
            FYDM=request.court_code,
            CBR=request.officer_name,
            YHDH=request.officer_phone or "",
            AH=request.case_no,
            GZZBH=(cards.work_card_no if cards else None) or "",
            GWZBH=_credential_no(task),
            CKH=CKH[request.action],
        )

    def _cxqq(self, task: Pending) -> etree._Element:
        element = etree.Element("cxqq")
        self._head(element, task, "1")
        self._set(
            element,
            GWZBM=_credential_no(task),  # what the v1 clients read
            CKKSSJ="",
            CKJSSJ="",
            WSBH=task.request.request_no,
            GJ="",
            FZJG="",
        )
        return element

    def _kzqq(self, task: Pending) -> etree._Element:
        request = task.request
        element = etree.Element("kzqq")
        self._head(element, task, "2")
        self._set(element, LXFS="", BEIZ=request.remarks or "")
        accounts = etree.SubElement(element, "kzzhlist")
        for number, item in enumerate(request.items, 1):
            accounts.append(self._kzzh(number, item, task))
        return element

    def _kzzh(self, number: int, item: RequestItem, task: Pending) -> etree._Element:
        request = task.request
        original = task.originals.get(item.original.request_no) if item.original else None
        deposit = item.asset_class is AssetClass.DEPOSIT
        element = etree.Element("kzzh")
        self._set(
            element,
            CCXH=str(number),
            KZLX="1" if deposit else "2",
            KZCS=KZCS[request.action],
            KHZH=item.asset_id,
            GLZHHM="",
            CCLB="",
            KHWD="",
            KHWDDM="",
            ZCMC="" if deposit else (item.description or ""),
            KZNR="1",
            BZ=item.amount.currency if item.amount else "",
            JE=f"{item.amount.amount:.2f}" if item.amount else "",
            SE="",
            KSRQ=_slashed(item.period.start) if item.period else "",
            JSRQ=_slashed(item.period.end) if item.period else "",
            SFJH="",
            CKWH=request.case_no,
            ZXKZHHM="",
            ZXKZHKHH="",
            ZXKZHKHHHH="",
            ZXKZHZH="",
            ZXKZHLX="",
            YDJDH=original.request_no if original else (item.original.request_no if item.original else ""),
            YDJAH=original.case_no if original else "",
        )
        return element

    # --- feedback, to receipts

    def _drafter(self, bdhm: str, group: list[tuple[etree._Element, str]], received: datetime) -> DraftOf:
        """The receipt of one BDHM's records, decoded when drafted: a record that cannot be read fails its
        BDHM's feedback alone."""

        def drafted(request: AssistanceRequest, unit_code: str, receipt_no: str) -> ReceiptDraft:
            if request.request_no != bdhm:
                raise FormatError("BDHM", f"the feedback is for {bdhm}, not request {request.request_no}")
            records = [self._record(element, where) for element, where in group]
            return draft(records, request, unit_code=unit_code, receipt_no=receipt_no, received=received)

        return drafted

    def _record(self, element: etree._Element, where: str) -> Record:
        if element.tag == "hzxx":  # a receipt file, not taken: its PDF is not decoded
            return Record("hzxx", {}, where)
        children = {
            path: [
                self._record(child, f"{where}/{path}[{n}]")
                for n, child in enumerate(element.iterfind(path), 1)
            ]
            for path in CHILDREN
        }
        return Record(element.tag, self._values(element, where), where, children)

    def _values(self, element: etree._Element, where: str) -> dict[str, str]:
        return {name: self._text(element, name, where) for name in element.attrib}


def _credential_no(task: Pending) -> str:
    """The officer's 公务证 number: from the cards, else the request's credentialNo."""
    cards = task.cards
    return (cards.credential_no if cards else None) or task.request.officer_credential_no or ""


def _slashed(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def _gbk(text: str) -> bytes:
    try:
        return text.encode("gbk")
    except UnicodeEncodeError:  # a character past GBK: GB18030 keeps it for the clients that read it
        return text.encode("gb18030")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
