"""A bank's front-end system, polling the hub as CITIC's client does (citic-server-netcscplus, OuterPollingTask1A).

Its Axis2 stub calls `http://syyh.service.webService.ckw.tdh/` document/literal: `arg0` the usermarker,
`arg1` the document, each base64 of GBK text with a CRLF every 76 characters (MIME), every attribute
value inside base64 of GBK the same way, files (WSNR, GZZ, GWZ) base64 once more; bodies go chunked.

A round, as its polling task runs it: getXzcxList, and for each new query cxwsInfo (by WSBH) and zjInfo
(by BDHM); a query without a document number, documents or a card image is rolled back
(zhxx CCXH 1, KHZH 业务审核未通过, why in BEIZ), the others answered at once with shfeedXzcxInfo: one
zhxx per account the register holds (its prior freezes as djxx), or KHZH 查无开户信息. Then getXzkzList,
and for each new control request kzwsInfo and zjInfo (rolled back per kzzh with KZZT 2 when missing:
CITIC posts that kzxxList to shfeedXzcxInfo, as it does) and shfeedXzkzInfo with one kzxx per kzzh:
KZZT 1 with the amount frozen or deducted (SKJE) and the period (CSKSRQ-CSJSRQ), or KZZT 2 and WNKZYY.
"""

import base64
import binascii
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from lxml import etree

from hub.clock import SHANGHAI, now
from hub.simulator.poller import CallFailed, Memory, PollConfig, Soap, in_force, log
from hub.simulator.register import Holding, Register
from hub.standard.codes import AssetStatus
from hub.standard.xml import DocumentError, parse

PROLOG = '<?xml version="1.0" encoding="UTF-8" ?>'
ITEMS = {
    "cxqqList": "cxqq",
    "kzqqList": "kzqq",
    "kzzhlist": "kzzh",
    "wsinfoList": "wsinfo",
    "zjinfoList": "zjinfo",
    "cxjglist": "jg",
    "htjglist": "jg",
}
FILES = frozenset({"WSNR", "GZZ", "GWZ"})
ROLLBACK = "业务审核未通过"
MEASURES = {"01": "冻结", "02": "继续冻结", "04": "解除冻结", "06": "扣划"}
KZXX = [
    "BDHM",
    "CCXH",
    "KHZH",
    "JRCPBH",
    "LCZH",
    "KZNR",
    "KZZT",
    "YE",
    "KYYE",
    "CSKSRQ",
    "CSJSRQ",
    "DJXE",
    "SKSE",
    "SKJE",
    "CESKJE",
    "WNKZYY",
    "BEIZ",
]
ZHXX = [
    "BDHM",
    "CCXH",
    "KHZH",
    "CCLB",
    "ZHZT",
    "KHWD",
    "KHWDDM",
    "KHRQ",
    "XHRQ",
    "BZ",
    "YE",
    "KYYE",
    "GLZJZH",
    "FKSJ",
    "TXDZ",
    "YZBM",
    "LXDH",
    "BEIZ",
]
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")
_PROLOG = re.compile(r"^\s*<\?xml[^>]*\?>")


def mime(text: str) -> str:
    """base64 of the GBK text, a CRLF every 76 characters (CITIC's Utility.encodeGBKMIMEBase64)."""
    if not text:
        return ""
    encoded = base64.b64encode(text.encode("gbk")).decode("ascii")
    return "\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def unmime(text: str) -> str:
    """GBK text from base64 with any line breaks (read as GB18030); ValueError when it is not one."""
    try:
        return base64.b64decode(_NOT_BASE64.sub("", text), validate=True).decode("gb18030")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None


def argument(root: etree._Element, *, prolog: bool) -> str:
    """A document as CITIC marshals it (attributes encoded, two-space indents), then MIME base64 of GBK."""
    for el in root.iter():
        for name, value in el.attrib.items():
            el.set(name, mime(value))
    text = etree.tostring(root, encoding="unicode", pretty_print=True)
    return mime((PROLOG + "\n" if prolog else "") + text)


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def timestamp() -> str:
    return now().astimezone(SHANGHAI).strftime("%Y/%m/%d %H:%M:%S")


def one_year(start: date) -> date:
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 1, day=28)


@dataclass(frozen=True)
class Freeze:
    """A freeze this bank placed: request no. and item, court, case, amount, end."""

    bdhm: str
    ccxh: str
    court: str
    case: str
    amount: Decimal
    end: str


class BankSystem:
    namespace = "http://syyh.service.webService.ckw.tdh/"
    rpc = False

    def __init__(self, config: PollConfig, *, soap: Soap, register: Register, memory: Memory) -> None:
        self.config, self.soap, self.register, self.memory = config, soap, register, memory
        self.unit = config.unit
        self._freezes: dict[str, list[Freeze]] = {}  # account no. -> the freezes placed here

    def poll(self) -> None:
        self._query_round()
        self._control_round()

    # --- the wire

    def _marker(self) -> tuple[str, str]:
        condition = f'<condition username="{mime(self.config.channel.username)}" password="{mime(self.config.password)}"></condition>'
        return ("arg0", mime(f"{PROLOG}<usermarker>{condition}</usermarker>"))

    def _call(self, operation: str, roots: tuple[str, ...], *arguments: tuple[str, str]) -> etree._Element:
        """The answer document with its attributes decoded (files as base64 text); CallFailed if unreadable."""
        returned = self.soap.call(operation, self._marker(), *arguments)
        try:
            text = _PROLOG.sub("", unmime(returned), count=1)
            document = parse(text.encode("utf-8")).getroot()
        except (ValueError, DocumentError) as exc:
            raise CallFailed(f"{operation}: the answer is not base64 of a GBK XML document ({exc})") from None
        if document.tag not in roots:
            raise CallFailed(
                f"{operation}: the answer's root is <{document.tag}>, not <{'> or <'.join(roots)}>"
            )
        for el in document.iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag in ITEMS and any(isinstance(c.tag, str) and c.tag != ITEMS[el.tag] for c in el):
                raise CallFailed(f"{operation}: <{el.tag}> holds other elements than <{ITEMS[el.tag]}>")
            for name, value in el.attrib.items():
                if not value.strip():
                    continue
                try:
                    el.set(name, unmime(value))
                except ValueError:
                    log.warning(
                        "%s: %s of <%s> is not base64 of GBK: CITIC would read garbage",
                        operation,
                        name,
                        el.tag,
                    )
        return document

    # --- documents and cards, the rollback of what lacks them

    def _writs(self, operation: str, key: str, value: str, request_no: str) -> str | None:
        """None when the documents are there (each with content); else why the request is rolled back."""
        root = {"WSBH": "wsbhinfo", "BDHM": "bdhminfo"}[key]
        asked = etree.Element(root)
        etree.SubElement(asked, "condition").set(key, value)
        answer = self._call(operation, ("wsinfoList",), ("arg1", argument(asked, prolog=True)))
        if error := answer.get("errorMsg"):
            log.warning("%s %s: errorMsg %s", operation, request_no, error)
        files = answer.findall("wsinfo")
        shown = [f"{f.get('WJMC', '')}.{f.get('WJLX', '')} ({_size(f.get('WSNR', ''))})" for f in files]
        log.info(
            "%s %s: %d document(s)%s",
            operation,
            request_no,
            len(files),
            ": " + ", ".join(shown) if shown else "",
        )
        if not files:
            return "无文书"
        if any(not f.get("WSNR") for f in files):
            return "无文书内容"
        return None

    def _certificates(self, bdhm: str) -> str | None:
        asked = etree.Element("bdhminfo")
        etree.SubElement(asked, "condition").set("BDHM", bdhm)
        answer = self._call("zjInfo", ("zjinfoList",), ("arg1", argument(asked, prolog=True)))
        if error := answer.get("errorMsg"):
            log.warning("zjInfo %s: errorMsg %s", bdhm, error)
        cards = answer.findall("zjinfo")
        shown = [
            f"{label}{' ' + card.get(f'{key}BM') if card.get(f'{key}BM') else ''}"
            f" ({card.get(f'{key}WJGS', '')}, {_size(card.get(key, ''))})"
            for card in cards
            for label, key in (("工作证", "GZZ"), ("公务证", "GWZ"))
            if card.get(key)
        ]
        log.info("zjInfo %s: %s", bdhm, ", ".join(shown) or "no card images")
        if not cards:
            return "无证件"
        if any(not card.get("GZZ") and not card.get("GWZ") for card in cards):
            return "无证件内容"
        return None

    def _feed(
        self, operation: str, document: etree._Element, numbers: list[str], summary: dict[str, str]
    ) -> None:
        """Post a feedback document; log and remember the hub's word on each request no."""
        try:
            answer = self._call(
                operation, ("result",), ("arg1", argument(document, prolog=document.tag == "kzxxList"))
            )
        except CallFailed as exc:
            log.error("%s; fed back again next round", exc)
            return
        error = answer.get("errorMsg") or answer.get("errMsg") or ""
        results = {jg.get("bdhm", ""): jg for jg in answer.iterfind("*/jg")}
        for bdhm in numbers:
            jg = results.get(bdhm)
            if jg is not None:
                verdict = " ".join(filter(None, (jg.get("result"), jg.get("msg"))))
            elif "已经反馈" in error:
                verdict = f"success ({error})"
            else:
                verdict = f"fail ({error or 'no jg for it'})"
            log.info("%s %s: %s: the hub answered %s", operation, bdhm, summary[bdhm], verdict)
            self.memory.remember(bdhm, f"{summary[bdhm]} ({verdict})")

    def _seen(self, operation: str, bdhm: str) -> bool:
        if not self.memory.fed(bdhm):
            return False
        if self.memory.listed_again(bdhm):
            log.warning(
                "%s lists %s again after its feedback: ignored as a repeated request", operation, bdhm
            )
        return True

    # --- queries

    def _query_round(self) -> None:
        try:
            answer = self._call("getXzcxList", ("cxqqList",))
        except CallFailed as exc:
            log.error("%s", exc)
            return
        if error := answer.get("errorMsg"):
            log.error("getXzcxList: errorMsg %s", error)
            return
        listed = answer.findall("cxqq")
        fresh = [q for q in listed if q.get("BDHM") and not self._seen("getXzcxList", q.get("BDHM"))]
        if fresh:  # a poll with nothing new is not logged
            numbers = ", ".join(q.get("BDHM", "") for q in listed)
            log.info("getXzcxList: %d query request(s) listed: %s (%d new)", len(listed), numbers, len(fresh))
        rollbacks, summary = etree.Element("zhxxList"), {}
        for cxqq in fresh:
            bdhm, wsbh = cxqq.get("BDHM"), cxqq.get("WSBH", "")
            try:
                why = "无文书编号" if not wsbh else self._writs("cxwsInfo", "WSBH", wsbh, bdhm)
                why = why or self._certificates(bdhm)
            except CallFailed as exc:
                log.error("%s; %s is taken again next round", exc, bdhm)
                continue
            if why:
                text = f"{why}，协助执行单位{ROLLBACK}。"
                rollbacks.append(
                    _record(
                        "zhxx",
                        ("BDHM", "CCXH", "KHZH", "BEIZ"),
                        BDHM=bdhm,
                        CCXH="1",
                        KHZH=ROLLBACK,
                        BEIZ=text,
                    )
                )
                summary[bdhm] = f"rolled back: {text}"
                continue
            accounts = self._accounts(cxqq)
            found = (
                f"{len(accounts)} account(s)" if accounts[0].get("KHZH") != "查无开户信息" else "查无开户信息"
            )
            document = etree.Element("zhxxList")
            document.extend(accounts)
            self._feed("shfeedXzcxInfo", document, [bdhm], {bdhm: found})
        if len(rollbacks):
            self._feed("shfeedXzcxInfo", rollbacks, list(summary), summary)

    def _accounts(self, cxqq: etree._Element) -> list[etree._Element]:
        """One zhxx per deposit account the register holds for the subject, or one saying there is none."""
        bdhm, at = cxqq.get("BDHM"), timestamp()
        record = self.register.lookup(cxqq.get("DSRZJHM", ""), person=cxqq.get("ZJLX", "01") == "01")
        accounts = [h for h in record.holdings if h.value is not None]
        if not accounts:
            return [
                _record(
                    "zhxx",
                    ("BDHM", "CCXH", "KHZH", "FKSJ"),
                    BDHM=bdhm,
                    CCXH="1",
                    KHZH="查无开户信息",
                    FKSJ=at,
                )
            ]
        rows = []
        for number, holding in enumerate(accounts, 1):
            rng = self._rng(holding)
            frozen = holding.status is AssetStatus.FROZEN or bool(self._freezes.get(holding.asset_id))
            balance = holding.value or Decimal(0)
            row = _record(
                "zhxx",
                ZHXX,
                BDHM=bdhm,
                CCXH=str(number),
                KHZH=holding.asset_id,
                CCLB="活期储蓄" if cxqq.get("ZJLX", "01") == "01" else "单位活期",
                ZHZT="冻结" if frozen else "正常",
                KHWD=holding.description.partition("开户网点")[2] or self.unit.name,
                KHWDDM=f"314{rng.randint(10**8, 10**9 - 1)}",
                KHRQ=f"{rng.randint(2008, 2022)}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d} 09:{rng.randint(0, 59):02d}:00",
                BZ="CNY",
                YE=money(balance),
                KYYE=money(Decimal(0) if frozen else balance),
                FKSJ=timestamp(),
            )
            freezes = self._prior_freezes(holding) + [
                (f.court, f.case, f.amount, f.end) for f in self._freezes.get(holding.asset_id, [])
            ]
            if freezes:
                listed = etree.SubElement(row, "djxxList")
                for n, (court, case, amount, end) in enumerate(freezes, 1):
                    listed.append(
                        _record(
                            "djxx",
                            ("CSXH", "ZCXH", "JRCPBH", "DJJZRQ", "DJJG", "DJWH", "DJJE", "BEIZ"),
                            CSXH=str(n),
                            DJJZRQ=f"{end} 00:00:00",
                            DJJG=court,
                            DJWH=case,
                            DJJE=money(amount),
                        )
                    )
            rows.append(row)
        return rows

    def _rng(self, holding: Holding) -> random.Random:
        return random.Random(f"{self.config.seed}:{self.unit.code}:{holding.asset_id}:bank")

    def _prior_freezes(self, holding: Holding) -> list[tuple[str, str, Decimal, str]]:
        """Other courts' freezes on the account (the register's prior controls): court, case, amount, end."""
        rng, freezes = self._rng(holding), []
        for prior in holding.prior_controls:
            court, _, case = prior.partition("（")
            year = int(case[:4]) if case[:4].isdigit() else 2024
            end = in_force(date(year, rng.randint(1, 12), rng.randint(1, 28)), one_year).strftime("%Y/%m/%d")
            freezes.append((court, f"（{case}" if case else "", holding.value or Decimal(0), end))
        return freezes

    # --- control requests

    def _control_round(self) -> None:
        try:
            answer = self._call("getXzkzList", ("kzqqList",))
        except CallFailed as exc:
            log.error("%s", exc)
            return
        if error := answer.get("errorMsg"):
            log.error("getXzkzList: errorMsg %s", error)
            return
        listed = answer.findall("kzqq")
        fresh = [q for q in listed if q.get("BDHM") and not self._seen("getXzkzList", q.get("BDHM"))]
        if fresh:  # a poll with nothing new is not logged
            numbers = ", ".join(q.get("BDHM", "") for q in listed)
            log.info(
                "getXzkzList: %d control request(s) listed: %s (%d new)", len(listed), numbers, len(fresh)
            )
        rollbacks, summary = etree.Element("kzxxList"), {}
        for kzqq in fresh:
            bdhm = kzqq.get("BDHM")
            try:
                why = self._writs("kzwsInfo", "BDHM", bdhm, bdhm) and "无法律文书"
                why = why or (self._certificates(bdhm) and "无证件信息")
            except CallFailed as exc:
                log.error("%s; %s is taken again next round", exc, bdhm)
                continue
            items = kzqq.findall("kzzhlist/kzzh") or [None]
            if why:
                text = f"{why}，协助执行单位{ROLLBACK}"
                for kzzh in items:
                    ccxh = kzzh.get("CCXH", "1") if kzzh is not None else "1"
                    rollbacks.append(_record("kzxx", KZXX, BDHM=bdhm, CCXH=ccxh, KZZT="2", WNKZYY=text))
                summary[bdhm] = f"rolled back: {text}"
                continue
            document, lines = etree.Element("kzxxList"), []
            for kzzh in items:
                if kzzh is None:
                    continue
                kzxx, line = self._control(kzqq, kzzh)
                document.append(kzxx)
                lines.append(line)
            self._feed("shfeedXzkzInfo", document, [bdhm], {bdhm: "; ".join(lines) or "no kzzh"})
        if len(rollbacks):  # CITIC posts its control rollbacks to shfeedXzcxInfo (OuterPollingTask1A)
            self._feed("shfeedXzcxInfo", rollbacks, list(summary), summary)

    def _control(self, kzqq: etree._Element, kzzh: etree._Element) -> tuple[etree._Element, str]:
        """The kzxx answering one kzzh, and a line saying what was done."""
        bdhm, ccxh, kzcs, account = (
            kzqq.get("BDHM"),
            kzzh.get("CCXH", ""),
            kzzh.get("KZCS", ""),
            kzzh.get("KHZH", ""),
        )
        head = {"BDHM": bdhm, "CCXH": ccxh, "KHZH": account, "KZNR": kzzh.get("KZNR", "1")}
        measure = MEASURES.get(kzcs)
        holding = self.register.find(kzqq.get("DSRZJHM", ""), account, person=kzqq.get("ZJLX", "01") == "01")
        if measure is None or holding is None:
            why = f"暂不支持该控制措施=[{kzcs}]" if measure is None else "查无此账户"
            return _record("kzxx", KZXX, **head, KZZT="2", WNKZYY=why), f"kzzh {ccxh}: KZZT 2 ({why})"
        balance = holding.value or Decimal(0)
        ours = self._freezes.setdefault(account, [])
        available = balance - sum((f.amount for f in ours), Decimal(0))
        try:
            asked = Decimal(kzzh.get("JE", "") or "NaN")
        except InvalidOperation:
            asked = Decimal("NaN")
        start = kzzh.get("KSRQ") or now().astimezone(SHANGHAI).strftime("%Y/%m/%d")
        end = kzzh.get("JSRQ") or one_year(now().astimezone(SHANGHAI).date()).strftime("%Y/%m/%d")
        values = {"YE": money(balance), "KYYE": money(available)}
        if kzcs in ("01", "06"):
            amount = available if asked.is_nan() else min(asked, available)
            if amount <= 0:
                why = "账户可用余额为零"
                return _record(
                    "kzxx", KZXX, **head, **values, KZZT="2", WNKZYY=why
                ), f"kzzh {ccxh}: KZZT 2 ({why})"
            short = "" if asked.is_nan() or amount >= asked else f"账户余额不足，已按可用余额{measure}"
            values.update(SKJE=money(amount), BEIZ=short, KYYE=money(available - amount))
            if kzcs == "01":
                values.update(CSKSRQ=start, CSJSRQ=end, DJXE=kzzh.get("JE", ""))
                ours.append(Freeze(bdhm, ccxh, kzqq.get("FYMC", ""), kzqq.get("AH", ""), amount, end))
                self.register.place(account, f"{bdhm}-{ccxh}")
            line = f"kzzh {ccxh}: KZZT 1 ({measure} SKJE {money(amount)}{', ' + start + '-' + end if kzcs == '01' else ''})"
        elif kzcs == "02":
            original = next((f for f in ours if f.bdhm == kzzh.get("YDJDH")), None)
            amount = original.amount if original else (balance if asked.is_nan() else min(asked, balance))
            values.update(SKJE=money(amount), CSKSRQ=start, CSJSRQ=end)
            line = f"kzzh {ccxh}: KZZT 1 ({measure} SKJE {money(amount)}, {start}-{end})"
        else:  # 04: the original freeze lifted
            for freeze in [f for f in ours if f.bdhm == kzzh.get("YDJDH")]:
                ours.remove(freeze)
                self.register.lift(f"{freeze.bdhm}-{freeze.ccxh}")
            values["KYYE"] = money(balance - sum((f.amount for f in ours), Decimal(0)))
            line = f"kzzh {ccxh}: KZZT 1 ({measure})"
        return _record("kzxx", KZXX, **head, **values, KZZT="1"), line


def _record(tag: str, names: tuple[str, ...] | list[str], **values: str) -> etree._Element:
    """<tag> with each attribute of `names` in order, "" when not given (CITIC writes its empty fields)."""
    el = etree.Element(tag)
    for name in names:
        el.set(name, values.get(name, ""))
    return el


def _size(content: str) -> str:
    """The size of a file sent as base64 text (inside a decoded attribute), or that it is not base64."""
    try:
        return f"{len(base64.b64decode(_NOT_BASE64.sub('', content), validate=True))} bytes"
    except (binascii.Error, ValueError):
        return "not base64"
