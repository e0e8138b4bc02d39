"""The banks' 查控 clients (点对点, `http://syyh.service.webService.ckw.tdh/`), mapped to and from the standard.

What the clients send and read is reconstructed from their public code (CITIC's Axis2 stub and JiBX
bindings, an Axis 1 client, CXF dynamic clients, a suds script); the attribute names are theirs.

Encoding, both ways: every attribute value is base64 of its GBK bytes (unless `encode_values` is off,
for clients that send plain values), file contents (WSNR, GZZ, GWZ) are base64 once more inside that,
and the whole document is base64 of its GBK bytes. Base64 is read leniently (line breaks and spaces
anywhere, as CITIC's MIME base64 puts them) and text as GB18030; answers are written on one line.

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
posts its kzxxList to shfeedXzcxInfo); one receipt per BDHM, by the bank's front-end system (Handler
"银行前置系统": the feedback names no person), handled at FKSJ, else when the hub received it (`at`):
    zhxxList      a QUERY: FOUND with one DEPOSIT asset per account (AssetId KHZH, Value YE in CNY, Status
                  FROZEN when it has djxx or its state says 冻结; Description: branch, kind, state,
                  available balance, currency, dates, financial assets, sub-accounts); the subject as its
                  owner; each prior freeze (djxx) and right (qlxx) as an Encumbrance. KHZH 查无开户信息
                  alone: NOT_FOUND. KHZH 业务审核未通过 (CITIC's rollback, why in BEIZ): OBJECTED, since
                  a query cannot be UNABLE; reason DOCUMENTS_INCOMPLETE when it names 文书 or 证件.
    kzxxList      a control: each item answered once by CCXH; KZZT 1 done: a Control (the item's class
                  and AssetId, period CSKSRQ-CSJSRQ, amount SKJE, RegistrationNo BDHM-CCXH: a bank gives
                  no number of its own; RENEW and RELEASE name the original's); KZZT 2: unable, WNKZYY
                  why. None done: UNABLE; RELEASE: RELEASED naming the items released; some unable:
                  PARTIAL; else CONTROLLED. The reason is OTHER with the banks' words.
hzxx (the bank's signed receipt, a PDF) are not taken: a receipt lists attachments only when the
files come with it. Answers: result/cxjglist/jg per BDHM (bdhm, result success|fail, msg); an error of
the whole call in errorMsg and errMsg, of a list or documents in errorMsg and ErrorMSG.
"""

import hashlib
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import ClassVar, TypeVar

from lxml import etree

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
from hub.clock import SHANGHAI, now
from hub.standard.codes import Action, AssetClass, AssetStatus, EncumbranceKind, IdType, ReasonCode
from hub.standard.codes import Outcome as Result
from hub.standard.documents import AssistanceRequest, RequestItem
from hub.standard.write_receipt import (
    AssetResult,
    ControlEntry,
    EncumbranceEntry,
    OwnerShare,
    ReceiptDraft,
)

HANDLER = "银行前置系统"
PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n'
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
NOT_FOUND = "查无"  # KHZH 查无开户信息: the bank holds no account of the subject
ROLLBACK = "业务审核未通过"  # KHZH of CITIC's rollback of a request it will not process
CNY = frozenset({"", "CNY", "156", "RMB", "人民币"})
# the list and document answers' roots, for an error answer
ERROR_ROOTS = {
    "getXzcxList": "cxqqList",
    "getXzkzList": "kzqqList",
    "cxwsInfo": "wsinfoList",
    "kzwsInfo": "wsinfoList",
    "wsInfo": "wsinfoList",
    "zjInfo": "zjinfoList",
}

_T = TypeVar("_T")
_BASE64_TEXT = re.compile(r"[A-Za-z0-9+/=\s]*")
_NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_REQUEST_NO = re.compile(r"[A-Za-z0-9\-]{6,40}")
_DATE_NOISE = re.compile(r"[-/:. 年月日时分秒]")
_DECLARATION = re.compile(rb"<\?xml[^>]*?\?>")
_ENCODING = re.compile(rb"\sencoding\s*=")
_UTF8_DECLARATION = re.compile(rb"""^(\s*<\?xml[^>]*?\sencoding\s*=\s*["'])(?:UTF-?8)(["'])""", re.I)


class BankProfile:
    name: ClassVar[str] = "bank"
    namespace: ClassVar[str] = "http://syyh.service.webService.ckw.tdh/"
    wsdl: ClassVar[str] = "ckw-bank.wsdl"
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
        return _unique(
            (user, password) for user, password in pairs if user is not None and password is not None
        )

    def request_nos(self, argument: str) -> list[str]:
        condition = self._condition(argument, "bdhminfo", "wsbhinfo")
        name = "BDHM" if condition.get("BDHM") is not None else "WSBH"
        readings = self._readings(condition, name, f"{condition.getparent().tag}/condition")
        # a value encoded twice (as the registries' client does) is read too
        twice = [again for value in readings if (again := self._decoded(value)) is not None]
        found = _unique(value for value in readings + twice if _REQUEST_NO.fullmatch(value))
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
            path = PurePosixPath(file.filename)
            self._set(
                etree.SubElement(root, "wsinfo"),
                WSBH=request_no,
                BDHM=request_no,
                XH=str(number),
                WJMC=path.stem or file.filename,
                WJLX=path.suffix[1:].lower(),
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

    def feedback(self, role: Role, argument: str, *, at: datetime | None = None) -> list[Fed]:
        """Each BDHM's feedback in the batch, in the order of first appearance. Routed by the document's
        root (zhxxList: query results, kzxxList: control results), whatever the operation. `at` is when
        the hub received it: the HandledAt of a receipt whose feedback gives no time (kzxx never does)."""
        root = self._document(argument, "arg1")
        received = at or now()
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
                draft=self._drafter(root.tag, bdhm, group, received),
                digest=self._digest(group),
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
        """A value base64(GBK) decoded, or None when it is not one."""
        if not raw.strip() or not _BASE64_TEXT.fullmatch(raw):
            return None
        try:
            text = decode_base64(raw, field="").decode("gb18030")
        except (FormatError, UnicodeDecodeError):
            return None
        return None if _NOT_XML_TEXT.search(text) else text.strip()

    def _readings(self, element: etree._Element, name: str, where: str) -> list[str]:
        """What an attribute may mean, the likeliest first (usermarker, request no.: compared, never stored)."""
        raw = element.get(name)
        if raw is None:
            raise FormatError(name, "required", where=where)
        decoded = self._decoded(raw)
        plain = raw.strip()
        order = [decoded, plain] if self.encode_values else [plain, decoded]
        return _unique(value for value in order if value is not None)

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
        if _NOT_XML_TEXT.search(text):
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
        return encode_base64(_gbk(PROLOG + etree.tostring(root, encoding="unicode")))

    def _digest(self, group: list[tuple[etree._Element, str]]) -> str:
        """sha256 of the BDHM's elements in canonical XML, without the indentation between them and, when
        values are base64, without their line breaks: the same feedback sent again has the same digest."""
        digest = hashlib.sha256()
        for element, _ in group:
            copy = etree.fromstring(etree.tostring(element, with_tail=False))
            for each in copy.iter():
                each.text = each.text if each.text and each.text.strip() else None
                each.tail = each.tail if each.tail and each.tail.strip() else None
                if self.encode_values:
                    for name, value in each.attrib.items():
                        each.set(name, "".join(value.split()))
            digest.update(etree.tostring(copy, method="c14n") + b"\n")
        return digest.hexdigest()

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

    def _drafter(
        self, kind: str, bdhm: str, group: list[tuple[etree._Element, str]], received: datetime
    ) -> DraftOf:
        def draft(request: AssistanceRequest, unit_code: str, receipt_no: str) -> ReceiptDraft:
            if request.request_no != bdhm:
                raise FormatError("BDHM", f"the feedback is for {bdhm}, not request {request.request_no}")
            head = {
                "request_no": request.request_no,
                "unit_code": unit_code,
                "receipt_no": receipt_no,
                "handled_at": received,
                "handler_name": HANDLER,
            }
            if kind == "zhxxList":
                return self._query_draft(group, request, head)
            return self._control_draft(group, request, head)

        return draft

    def _values(self, element: etree._Element, where: str) -> dict[str, str]:
        return {name: self._text(element, name, where) for name in element.attrib}

    def _records(self, element: etree._Element, where: str, path: str) -> list[dict[str, str]]:
        """The values of each child record at `path` (djxxList/djxx...)."""
        return [
            self._values(child, f"{where}/{path}[{number}]")
            for number, child in enumerate(element.iterfind(path), 1)
        ]

    def _query_draft(
        self, group: list[tuple[etree._Element, str]], request: AssistanceRequest, head: dict
    ) -> ReceiptDraft:
        if request.action is not Action.QUERY:
            raise FormatError(
                "zhxxList",
                f"{request.request_no} is a {request.action} request: its results go in a kzxxList",
            )
        accounts = [(element, self._values(element, where), where) for element, where in group]
        times = (_instant(values.get("FKSJ", "")) for _, values, _ in accounts)
        head["handled_at"] = next((t for t in times if t is not None), head["handled_at"])
        rollback = [values for _, values, _ in accounts if ROLLBACK in values.get("KHZH", "")]
        if rollback:
            why = "；".join(_unique(values.get("BEIZ") or values["KHZH"] for values in rollback))
            return ReceiptDraft(
                **head,
                outcome=Result.OBJECTED,
                reason_code=_reason_code(f"{ROLLBACK}：{why}"),
                reason_text=_clip(f"银行业务审核未通过：{why}", 4000),
            )
        assets = []
        for element, values, where in accounts:
            if not values.get("KHZH"):
                raise FormatError("KHZH", "required: the account no., or 查无开户信息", where=where)
            if NOT_FOUND not in values["KHZH"]:
                assets.append(self._account(element, values, where, request))
        if not assets:
            return ReceiptDraft(**head, outcome=Result.NOT_FOUND)
        return ReceiptDraft(**head, outcome=Result.FOUND, assets=tuple(assets))

    def _account(
        self, element: etree._Element, values: dict[str, str], where: str, request: AssistanceRequest
    ) -> AssetResult:
        currency = values.get("BZ", "")
        balance = _money(values.get("YE", "")) if currency.upper() in CNY else None
        freezes = self._records(element, where, "djxxList/djxx")
        rights = self._records(element, where, "qlxxList/qlxx")
        products = [_product(values) for values in self._records(element, where, "jrxxList/jrxx")]
        linked = [
            v.get("ZKHZH") or v.get("GLZHHM", "") for v in self._records(element, where, "glxxList/glxx")
        ]
        state = values.get("ZHZT", "")
        if freezes or "冻结" in state:
            status = AssetStatus.FROZEN
        elif not state or "正常" in state:
            status = AssetStatus.NORMAL
        else:
            status = AssetStatus.OTHER
        branch = values.get("KHWD", "") + (f"（{values['KHWDDM']}）" if values.get("KHWDDM") else "")
        parts = [
            _labelled("开户网点", branch),
            _labelled("账户类别", values.get("CCLB")),
            _labelled("账户状态", state),
            "" if balance is not None else _labelled("余额", values.get("YE")),
            _labelled("可用余额", values.get("KYYE")),
            _labelled("币种", currency),
            _labelled("开户日期", _day_text(values.get("KHRQ"))),
            _labelled("销户日期", _day_text(values.get("XHRQ"))),
            _labelled("关联资金账户", values.get("GLZJZH")),
            _labelled("金融资产", "、".join(filter(None, products))),
            _labelled("关联子账户", "、".join(filter(None, linked))),
            _labelled("备注", values.get("BEIZ")),
        ]
        return AssetResult(
            asset_class=AssetClass.DEPOSIT,
            asset_id=_clip(values["KHZH"], 100),
            description=_clip("，".join(filter(None, parts)), 500) or None,
            value=balance,
            status=status,
            owners=(OwnerShare(request.subject.name),),
            encumbrances=tuple([*map(_freeze, freezes), *map(_right, rights)]),
        )

    def _control_draft(
        self, group: list[tuple[etree._Element, str]], request: AssistanceRequest, head: dict
    ) -> ReceiptDraft:
        action, items = request.action, request.items
        if action not in KZCS:
            raise FormatError(
                "kzxxList", f"{request.request_no} is a {action} request: its results go in a zhxxList"
            )
        answered: dict[int, tuple[dict[str, str], str]] = {}
        for element, where in group:
            if element.tag != "kzxx":
                continue  # a receipt file (hzxx): not taken
            values = self._values(element, where)
            number = values.get("CCXH", "")
            if not number.isdigit() or not 1 <= int(number) <= len(items):
                raise FormatError(
                    "CCXH", f"expected an item's number from 1 to {len(items)}, got {number!r}", where=where
                )
            if int(number) in answered:
                raise FormatError("CCXH", f"item {number} is answered twice", where=where)
            answered[int(number)] = (values, where)
        if not answered:
            raise FormatError(
                "kzxx", f"the feedback for {request.request_no} holds receipt files but no result"
            )
        if missing := [str(n) for n in range(1, len(items) + 1) if n not in answered]:
            raise FormatError("CCXH", f"no kzxx answers item(s) {', '.join(missing)} of {request.request_no}")
        done, unable = [], []
        for number, (values, where) in sorted(answered.items()):
            item, state = items[number - 1], values.get("KZZT", "")
            if state == "1":
                done.append(_control(values, where, item, action, own=f"{request.request_no}-{number}"))
            elif state == "2":
                why = values.get("WNKZYY") or values.get("BEIZ") or "银行未说明原因"
                unable.append(why if len(items) == 1 else f"第{number}项（{item.asset_id}）：{why}")
            else:
                raise FormatError(
                    "KZZT", f"expected 1 (controlled) or 2 (not controlled), got {state!r}", where=where
                )
        if not done:
            outcome = Result.UNABLE
        elif action is Action.RELEASE:
            outcome = Result.RELEASED
        else:
            outcome = Result.PARTIAL if unable else Result.CONTROLLED
        reason = "；".join(unable)
        return ReceiptDraft(
            **head,
            outcome=outcome,
            reason_code=_reason_code(reason) if reason else None,
            reason_text=_clip(reason, 4000) or None,
            controls=tuple(done),
        )


def _control(
    values: dict[str, str], where: str, item: RequestItem, action: Action, *, own: str
) -> ControlEntry:
    """One done item: the request's item, with what the bank did to it. A renewal and a release keep the
    original's registration no.; a freeze and a deduction are numbered `own` (the bank gives none)."""
    registration = own
    if action in (Action.RENEW, Action.RELEASE) and item.original is not None:
        registration = item.original.registration_no or item.original.request_no
    start = end = None
    if action in (Action.FREEZE, Action.RENEW) and values.get("CSKSRQ") and values.get("CSJSRQ"):
        start, end = _date(values["CSKSRQ"], "CSKSRQ", where), _date(values["CSJSRQ"], "CSJSRQ", where)
        if end < start:
            raise FormatError("CSJSRQ", f"the period ends ({end}) before it starts ({start})", where=where)
    amount = None
    if action is not Action.RELEASE and values.get("SKJE"):
        amount = _money(values["SKJE"])
        if amount is None:
            raise FormatError(
                "SKJE", f"expected an amount such as 2345.67, got {values['SKJE']!r}", where=where
            )
    return ControlEntry(
        asset_class=item.asset_class,
        asset_id=item.asset_id,
        registration_no=registration,
        start=start,
        end=end,
        amount=amount,
    )


def _credential_no(task: Pending) -> str:
    """The officer's 公务证 number: from the cards, else the request's credentialNo."""
    cards = task.cards
    return (cards.credential_no if cards else None) or task.request.officer_credential_no or ""


def _freeze(values: dict[str, str]) -> EncumbranceEntry:
    until = _day_text(values.get("DJJZRQ"))
    details = [f"截止日期 {until}" if until else "", values.get("BEIZ", "")]
    return EncumbranceEntry(
        kind=EncumbranceKind.FREEZE,
        holder=_clip(values.get("DJJG", ""), 200) or None,
        reference=_clip(values.get("DJWH", ""), 100) or None,
        amount=_money(values.get("DJJE", "")),
        description=_clip("，".join(["冻结", *filter(None, details)]), 500),
    )


def _right(values: dict[str, str]) -> EncumbranceEntry:
    details = [values.get("QLLX") or "共有权/优先权", values.get("BEIZ", "")]
    return EncumbranceEntry(
        kind=EncumbranceKind.OTHER,
        holder=_clip(values.get("QLR", ""), 200) or None,
        amount=_money(values.get("QLJE", "")),
        description=_clip("，".join(filter(None, details)), 500),
    )


def _product(values: dict[str, str]) -> str:
    name = values.get("ZCMC") or values.get("JRCPBH") or values.get("LCZH", "")
    amount = values.get("ZCZJE") or values.get("SE", "")
    return f"{name}（{amount}）" if name and amount else name


def _reason_code(text: str) -> ReasonCode:
    """A bank refusing a request it will not process names the documents or credentials missing."""
    if ROLLBACK in text and ("文书" in text or "证件" in text):
        return ReasonCode.DOCUMENTS_INCOMPLETE
    return ReasonCode.OTHER


def _money(text: str) -> Decimal | None:
    """An amount as the standard holds it (0 or more, two decimals at most), or None."""
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")) or value >= 10**16:
        return None
    return value.quantize(Decimal("0.01"))


def _digits(text: str) -> str:
    return _DATE_NOISE.sub("", text.strip())


def _date(text: str, name: str, where: str) -> date:
    digits = _digits(text)
    try:
        if len(digits) in (8, 12, 14) and digits.isdigit():
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        pass
    raise FormatError(name, f"expected a date such as 2026/11/27 or 20261127, got {text!r}", where=where)


def _instant(text: str) -> datetime | None:
    digits = _digits(text).ljust(14, "0")
    if len(digits) != 14 or not digits.isdigit():
        return None
    try:
        parts = [int(digits[i:j]) for i, j in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14))]
        return datetime(*parts, tzinfo=SHANGHAI)
    except ValueError:
        return None


def _day_text(text: str | None) -> str:
    if not text:
        return ""
    try:
        return _date(text, "", "").isoformat()
    except FormatError:
        return text


def _slashed(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def _labelled(label: str, value: str | None) -> str:
    return f"{label}：{value}" if value else ""


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def _unique(values: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(values))
