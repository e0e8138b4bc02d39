"""The real-estate registry's system, polling the hub as its exchange client does (yanFranklin/bdc20230104).

Its client (BdcCourtKzJhSoapServiceImpl) calls six operations of `http://ip.service.webService.ckw.tdh/`
with Apache Axis 1, RPC/encoded. Every argument is base64 of a UTF-8 document (no declaration, one line)
whose every text value is base64 (UTF-8) again; the USERMARKER's two values are base64 once, and the
CXQQDH asked of kzwsInfo and zjInfo twice (encoded when built and again with the values). Answers are
read back the same way, as XStream reads them: an exact root, exact list items, each value decoded.
What the real client would choke on (a blank value, a value that is not base64...) is logged.

A round: kzBdcQL, and for each new control request kzwsInfo, zjInfo, then feedkzBdcQL: KZZT 1 with the
registration's project number (YWH = CFYWH) and the period CSKSRQ-CSJSRQ, or KZZT 2 and WNKZYY, for the
request as a whole (one workflow per request, the first BDCQL's KZCS deciding: 11 seal, 12 renew, 14
release). Then cxBdcQL, and for each new query one feedBdcQL: RESULT 0000 with the subject's flats
(FDCQLIST, their owners as QLRXXLIST), the mortgages (DYAQLIST) and seals (CFDJLIST) on them, nothing
found as RESULT 0000 alone, RESULT 2040 and MESSAGE for a request it cannot search. Land contract rights
are not reported: the client has no list for 土地承包经营权.
"""

import base64
import binascii
import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from lxml import etree

from hub.clock import SHANGHAI, now
from hub.simulator.answers import initials
from hub.simulator.poller import CallFailed, Memory, PollConfig, Soap, element_values, in_force, log
from hub.simulator.register import GIVEN, SURNAMES, Holding, Register, resident_id, social_credit_code
from hub.standard.codes import AssetClass, AssetStatus
from hub.standard.xml import DocumentError, parse

KINDS = {"11": "查封", "12": "续封", "14": "解封"}  # KZCS -> the registry's workflow
PROJECTS = {"11": "CF", "12": "XF", "14": "JF"}  # KZCS -> the letters of its project numbers
# elements the client reads as objects or lists, not as string values
CONTAINERS = frozenset(
    [
        "Head",
        "Data",
        "BDCKZQQLIST",
        "BDCKZQQ",
        "BDCQLLIST",
        "BDCQL",
        "GHDXLIST",
        "GHDX",
        "BDCCXQQLIST",
        "BDCCXQQ",
        "WSINFO",
        "ZJINFO",
        "KZJGLIST",
        "CXJGLIST",
        "JG",
    ]
)
LIST_ITEMS = {
    "BDCKZQQLIST": "BDCKZQQ",
    "BDCQLLIST": "BDCQL",
    "GHDXLIST": "GHDX",
    "BDCCXQQLIST": "BDCCXQQ",
    "KZJGLIST": "JG",
    "CXJGLIST": "JG",
}
FLAT = re.compile(r"^(?P<cert>[^，]+?号)，(?P<where>[^，]+)，(?P<use>[^，]+)，建筑面积(?P<area>[\d.]+)平方米")
MORTGAGEES = (
    "吉林安图农村商业银行股份有限公司",
    "中国建设银行股份有限公司安图支行",
    "中国农业银行股份有限公司安图县支行",
    "吉林银行股份有限公司延边安图支行",
)
CENT = Decimal("0.01")


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def unb64(text: str) -> str:
    """A value as the client decodes it; ValueError when it is not base64 of UTF-8 text."""
    try:
        return base64.b64decode("".join(text.split()), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None


def element(tag: str, values: dict[str, str | None], *children: etree._Element) -> etree._Element:
    """<tag> with a child per value (None left out, "" an empty element, as JAXB writes them), then `children`."""
    el = etree.Element(tag)
    for name, value in values.items():
        if value is not None:
            etree.SubElement(el, name).text = value
    el.extend(children)
    return el


def argument(root: etree._Element, *, encode_values: bool = True) -> str:
    """A document as the client sends it: each non-empty value base64, then the whole one line, base64."""
    if encode_values:
        for el in root.iter():
            if len(el) == 0 and el.text:
                el.text = b64(el.text)
    return b64(etree.tostring(root, encoding="unicode"))


def usermarker(username: str, password: str) -> str:
    """The usermarker of every call: its two values base64 once, when it is built."""
    condition = element("CONDITION", {"PASSWORD": b64(password), "USERNAME": b64(username)})
    return argument(element("USERMARKER", {}, condition), encode_values=False)


def wsbhinfo(request_no: str) -> str:
    """kzwsInfo's and zjInfo's argument: the CXQQDH base64 when built, and again with the values."""
    return argument(element("CXQQDHINFO", {}, element("CONDITION", {"CXQQDH": b64(request_no)})))


def feedback(result: etree._Element, *, created: str) -> etree._Element:
    """The Message a feedback sends: the Head the client writes, and one result (BDCKZJG, BDCCXJG)."""
    head = {"CREATETIME": created, "DIGITALSIGN": "digitalsign", "RESPONSECODE": "0000", "RESPONSEINFO": ""}
    data = element("Data", {}, element("BDCFKLIST", {}, result))
    return element("Message", {}, element("Head", head), data)


def control_result(request_no: str, kzxx: list[dict[str, str | None]]) -> etree._Element:
    """BDCKZJG: the request's KZXX, one per BDCQL."""
    items = element("KZXXLIST", {}, *(element("KZXX", k) for k in kzxx))
    return element("BDCKZJG", {"CXQQDH": request_no, "RESULT": "0000"}, items)


def slashed(day: date) -> str:
    return day.strftime("%Y/%m/%d")


def three_years(start: date) -> date:
    """The end of a seal of the statutory three years from `start`."""
    try:
        return start.replace(year=start.year + 3) - timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + 3, day=28)


@dataclass(frozen=True)
class Seal:
    """A seal the registry registered at a court's request (shown as CFDJ on the unit afterwards)."""

    court: str
    reference: str
    start: str
    end: str
    cfywh: str
    queued: bool


class RegistrySystem:
    namespace = "http://ip.service.webService.ckw.tdh/"
    rpc = True

    def __init__(self, config: PollConfig, *, soap: Soap, register: Register, memory: Memory) -> None:
        self.config, self.soap, self.register, self.memory = config, soap, register, memory
        self.unit = config.unit
        self._seals: dict[str, list[Seal]] = {}  # BDCDYH -> the seals registered here

    def poll(self) -> None:
        self._control_round()
        self._query_round()

    # --- the wire

    def _marker(self) -> tuple[str, str]:
        return ("usermarker", usermarker(self.config.channel.username, self.config.password))

    def _call(self, operation: str, root: str, *arguments: tuple[str, str]) -> etree._Element:
        """The answer document, read and decoded as the client reads it; CallFailed when it cannot be."""
        returned = self.soap.call(operation, self._marker(), *arguments)
        try:
            data = base64.b64decode("".join(returned.split()), validate=True)
            document = parse(data).getroot()
        except (binascii.Error, ValueError, DocumentError) as exc:
            raise CallFailed(f"{operation}: the answer is not base64 of an XML document ({exc})") from None
        if document.tag != root:
            raise CallFailed(f"{operation}: the answer's root is <{document.tag}>: XStream expects <{root}>")
        for problem in _decode(document):
            log.warning("%s: %s", operation, problem)
        return document

    # --- control requests

    def _control_round(self) -> None:
        try:
            message = self._call("kzBdcQL", "Message")
        except CallFailed as exc:
            log.error("%s", exc)
            return
        if message.get("ErrorMSG"):  # logged only: the client goes on with the list it got
            log.warning("kzBdcQL: ErrorMSG %s", message.get("ErrorMSG"))
        listed = message.findall("Data/BDCKZQQLIST/BDCKZQQ")
        numbers = [element_values(r).get("CXQQDH", "") for r in listed]
        fresh = [
            (no, r) for no, r in zip(numbers, listed, strict=True) if no and not self._seen("kzBdcQL", no)
        ]
        if fresh:  # a poll with nothing new is not logged
            log.info(
                "kzBdcQL: %d control request(s) listed: %s (%d new)",
                len(listed),
                ", ".join(numbers),
                len(fresh),
            )
        for request_no, request in fresh:
            self._control(request_no, request)

    def _seen(self, operation: str, request_no: str) -> bool:
        if not self.memory.fed(request_no):
            return False
        if self.memory.listed_again(request_no):
            log.warning("%s lists %s again after its feedback: not processed twice", operation, request_no)
        return True

    def _control(self, request_no: str, request: etree._Element) -> None:
        values = element_values(request)
        items = [element_values(q) for q in request.findall("BDCQLLIST/BDCQL")]
        if not items:
            log.warning(
                "kzBdcQL: %s lists no BDCQL: skipped without feedback, as the client does", request_no
            )
            self.memory.remember(request_no, "skipped: no BDCQL")
            return
        try:  # the documents and the cards come before any feedback
            self._documents(request_no)
            self._cards(request_no)
        except CallFailed as exc:
            log.error("%s; the feedback for %s waits for the next round", exc, request_no)
            return
        kzxx, summary = self._decide(request_no, values, items)
        created = now().astimezone(SHANGHAI).strftime("%Y/%m/%d %H:%M:%S")
        message = feedback(control_result(request_no, kzxx), created=created)
        self._feed("feedkzBdcQL", request_no, message, "KZJGLIST", summary)

    def _feed(
        self, operation: str, request_no: str, message: etree._Element, results: str, summary: str
    ) -> None:
        try:
            answer = self._call(operation, "RESULTLIST", ("feedbackinfo", argument(message)))
        except CallFailed as exc:
            log.error("%s; %s for %s is fed back again next round", exc, summary, request_no)
            return
        verdict = answer.findtext("errMsg") or ""
        for jg in answer.findall(f"{results}/JG"):
            jg_values = element_values(jg)
            if jg_values.get("CXQQDH") == request_no:
                verdict = " ".join(filter(None, (jg_values.get("RESULT"), jg_values.get("MSG"))))
        log.info(
            "%s %s: %s: the hub answered %s", operation, request_no, summary, verdict or "nothing for it"
        )
        self.memory.remember(request_no, f"{summary} ({verdict or '?'})")

    def _documents(self, request_no: str) -> None:
        answer = self._call("kzwsInfo", "WSLIST", ("wsbhinfo", wsbhinfo(request_no)))
        if answer.get("ErrorMSG"):
            log.warning("kzwsInfo %s: ErrorMSG %s", request_no, answer.get("ErrorMSG"))
        files = []
        for info in answer.findall("WSINFO"):
            v = element_values(info)
            name = f"{v.get('WJMC', '')}.{v.get('WJLX', '')}"
            files.append(f"{name} ({_file_size('kzwsInfo', request_no, name, v.get('WSNR', ''))})")
        log.info(
            "kzwsInfo %s: %d document(s)%s", request_no, len(files), ": " + ", ".join(files) if files else ""
        )

    def _cards(self, request_no: str) -> None:
        answer = self._call("zjInfo", "ZJLIST", ("wsbhinfo", wsbhinfo(request_no)))
        if answer.get("ErrorMSG"):
            log.warning("zjInfo %s: ErrorMSG %s", request_no, answer.get("ErrorMSG"))
        cards = []
        for info in answer.findall("ZJINFO"):
            v = element_values(info)
            for label, key in (("工作证", "GZZ"), ("公务证", "GWZ")):
                if v.get(f"{key}BM") or v.get(key):
                    size = (
                        _file_size("zjInfo", request_no, label, v.get(key, "")) if v.get(key) else "no image"
                    )
                    number = f" {v[f'{key}BM']}" if v.get(f"{key}BM") else ""
                    cards.append(f"{label}{number} ({v.get(f'{key}WJGS', '')}, {size})")
        log.info("zjInfo %s: %s", request_no, ", ".join(cards) or "no cards")

    def _decide(
        self, request_no: str, request: dict[str, str], items: list[dict[str, str]]
    ) -> tuple[list[dict], str]:
        """The KZXX of the request's feedback, and a line saying what was done."""
        kzcs = items[0].get("KZCS", "")
        kind = KINDS.get(kzcs)
        if kind is None:
            return self._refuse(items, f"暂不支持该控制措施（KZCS {kzcs}）")
        subject, person = request.get("ZJH", ""), request.get("ZJZL", "1") not in ("6", "7", "8")
        if kzcs == "11":
            missing = [q.get("BDCDYH", "") for q in items if self._holding(subject, q, person) is None]
            if missing:
                why = f"经核查，不动产单元{'、'.join(missing)}不在被执行人{request.get('XM', '')}名下，未能办理查封"
                return self._refuse(items, why)
        elif missing := [q.get("BDCDYH", "") for q in items if not q.get("YCFYWH")]:
            return self._refuse(
                items, f"未提供原查封业务号（YCFYWH），不动产单元{'、'.join(missing)}无法办理{kind}"
            )
        digest = hashlib.sha256(f"{self.unit.code}:{request_no}".encode()).hexdigest()[:10].upper()
        xmid = f"{initials(self.unit.code)}-{PROJECTS[kzcs]}-{digest}"  # the project (workflow) number
        kzxx, queued = [], False
        for q in items:
            start, end = q.get("KSRQ") or None, q.get("JSRQ") or None
            if kzcs in ("11", "12") and not (start and end):  # the registry's own: three years from today
                first = now().astimezone(SHANGHAI).date()
                start, end = start or slashed(first), end or slashed(three_years(first))
            seal = Seal(
                request.get("FYMC", ""), q.get("CKWH") or request.get("AH", ""), start, end, xmid, False
            )
            queued = self._register(kzcs, q, seal, self._holding(subject, q, person)) or queued
            kzxx.append(
                {
                    "BDCQLLX": "3",
                    "BDCDYH": q.get("BDCDYH", ""),
                    "BDCQZH": q.get("BDCQZH") or None,
                    "KZZT": "1",
                    "CSKSRQ": start,
                    "CSJSRQ": end,
                    "YWH": xmid,
                    "CFYWH": xmid,
                }
            )
        period = f", {start}-{end}" if start and end else ""
        return kzxx, f"KZZT 1 ({kind}{'，轮候查封' if queued else ''}), CFYWH {xmid}{period}"

    def _register(self, kzcs: str, item: dict[str, str], seal: Seal, holding: Holding | None) -> bool:
        """Enter the seal (11), its renewal (12) or its release (14) on the unit; whether a seal queues."""
        unit_no, seals = item.get("BDCDYH", ""), self._seals.setdefault(item.get("BDCDYH", ""), [])
        if any(s.cfywh == seal.cfywh for s in seals):  # the same request again (its feedback failed)
            return False
        if kzcs == "11":
            queued = self.register.controls_ahead(unit_no, holding) > 0
            self.register.place(unit_no, seal.cfywh)
            seals.append(replace(seal, queued=queued))
            return queued
        earlier = next((s for s in seals if s.cfywh == item["YCFYWH"]), None)
        self.register.lift(item["YCFYWH"])
        seals[:] = [s for s in seals if s is not earlier]
        if kzcs == "12":
            self.register.place(unit_no, seal.cfywh)
            seals.append(replace(seal, court=earlier.court) if earlier else seal)
        return False

    def _holding(self, subject: str, item: dict[str, str], person: bool) -> Holding | None:
        return self.register.find(subject, item.get("BDCDYH", ""), person=person)

    @staticmethod
    def _refuse(items: list[dict[str, str]], why: str) -> tuple[list[dict], str]:
        kzxx = [{"BDCQLLX": "3", "BDCDYH": q.get("BDCDYH", ""), "KZZT": "2", "WNKZYY": why} for q in items]
        return kzxx, f"KZZT 2 ({why})"

    # --- queries

    def _query_round(self) -> None:
        try:
            message = self._call("cxBdcQL", "Message")
        except CallFailed as exc:
            log.error("%s", exc)
            return
        if message.get("ErrorMSG"):  # the client stops there
            log.warning("cxBdcQL: ErrorMSG %s: nothing processed", message.get("ErrorMSG"))
            return
        listed = [element_values(r) for r in message.findall("Data/BDCCXQQLIST/BDCCXQQ")]
        numbers = [v.get("CXQQDH", "") for v in listed]
        fresh = [v for v in listed if v.get("CXQQDH") and not self._seen("cxBdcQL", v["CXQQDH"])]
        if fresh:  # a poll with nothing new is not logged
            log.info(
                "cxBdcQL: %d query request(s) listed: %s (%d new)",
                len(listed),
                ", ".join(numbers),
                len(fresh),
            )
        for request in fresh:
            self._query(request)

    def _query(self, request: dict[str, str]) -> None:
        request_no = request["CXQQDH"]
        result: dict[str, str | None] = {"CXQQDH": request_no, "RESULT": "0000"}
        records: list[etree._Element] = []
        blank = next(
            (
                m
                for f, m in (("ZJZL", "zjzl"), ("XM", "qlrmc"), ("ZJH", "zjh"))
                if not request.get(f, "").strip()
            ),
            None,
        )
        if blank:
            result.update(RESULT="2040", MESSAGE=f"{blank}不能为空!")
            summary = f"RESULT 2040 ({blank}不能为空!)"
        else:
            records = self._rights(request)
            counts = Counter(r.tag.removesuffix("LIST") for r in records)
            owners = sum(len(r.findall("QLRXXLIST")) for r in records if r.tag == "FDCQLIST")
            found = ", ".join(f"{kind} {n}" for kind, n in counts.items())
            summary = f"RESULT 0000, {found} ({owners} owner(s))" if records else "RESULT 0000, nothing found"
        created = now().astimezone(SHANGHAI).strftime("%Y/%m/%d")  # a day alone, as the client writes it
        message = feedback(element("BDCCXJG", result, *records), created=created)
        self._feed("feedBdcQL", request_no, message, "CXJGLIST", summary)

    def _rights(self, request: dict[str, str]) -> list[etree._Element]:
        """FDCQLIST per flat of the subject, then DYAQLIST per mortgage and CFDJLIST per seal on them."""
        record = self.register.lookup(request["ZJH"], person=request["ZJZL"] not in ("6", "7", "8"))
        flats = [h for h in record.holdings if h.asset_class is AssetClass.REAL_ESTATE]
        rights = [self._fdcq(h, request) for h in flats]
        rights += [self._dyaq(h, request) for h in flats if h.status is AssetStatus.MORTGAGED]
        rights += [seal for h in flats for seal in self._cfdj(h)]
        return rights

    def _rng(self, holding: Holding) -> random.Random:
        return random.Random(f"{self.config.seed}:{self.unit.code}:{holding.asset_id}:registry")

    def _fdcq(self, holding: Holding, request: dict[str, str]) -> etree._Element:
        rng, found = self._rng(holding), FLAT.match(holding.description)
        cert, where, use, area = (
            (found["cert"], found["where"], found["use"], Decimal(found["area"]))
            if found
            else ("", holding.description, "住宅", Decimal("90.00"))
        )
        year = int(m[1]) if (m := re.search(r"\((\d{4})\)", cert)) else 2018
        built = year - rng.randint(0, 8)
        land_start = date(built - 1, rng.randint(1, 12), rng.randint(1, 28))
        own = (area * Decimal("0.86")).quantize(CENT)
        ywh = f"XM{year}{rng.randint(10**9, 10**10 - 1)}"
        values = {
            "BDCDYH": holding.asset_id,
            "FDZL": where,
            "JZMJ": f"{area:.2f}",
            "ZYJZMJ": f"{own:.2f}",
            "FTJZMJ": f"{area - own:.2f}",
            "GHYT": "10" if use == "住宅" else "30",
            "FWXZ": "0",
            "JGSJ": str(built),
            "TDSYQSSJ": slashed(land_start),
            "TDSYJSSJ": slashed(land_start.replace(year=land_start.year + (70 if use == "住宅" else 40))),
            "BDCQZH": cert,
            "DJJG": self.unit.name,
            "DQDM": "222426",
            "YWH": ywh,
        }
        owners = [(request["XM"], request["ZJZL"], request["ZJH"])]
        if holding.share == "1/2":
            co_owner = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
            owners.append((co_owner, "1", resident_id(rng)))
        share, joint = ("100%", "0") if len(owners) == 1 else ("50%", "2")
        people = [
            element(
                "QLRXXLIST",
                {
                    "BDCDYH": holding.asset_id,
                    "SXH": str(n),
                    "QLRMC": name,
                    "BDCQZH": cert,
                    "QZYSXLH": str(n),
                    "SFCZR": "1",
                    "ZJZL": kind,
                    "ZJH": number,
                    "FZJG": self.unit.name,
                    "XB": ("1" if int(number[16]) % 2 else "2")
                    if kind == "1" and len(number) == 18
                    else None,
                    "QLRLX": "1" if kind == "1" else "2",
                    "QLBL": share,
                    "GYFS": joint,
                    "GYQK": None if joint == "0" else "按份共有，各占50%",
                    "YWH": ywh,
                    "QSZT": "1",
                    "BDCLX": "2",
                },
            )
            for n, (name, kind, number) in enumerate(owners, 1)
        ]
        return element("FDCQLIST", values, *people)

    def _dyaq(self, holding: Holding, request: dict[str, str]) -> etree._Element:
        rng = self._rng(holding)
        rng.random()  # apart from the flat's own numbers
        mortgagee, start = (
            rng.choice(MORTGAGEES),
            date(rng.randint(2016, 2024), rng.randint(1, 12), rng.randint(1, 28)),
        )
        amount = (holding.value or Decimal(300000)) * Decimal(rng.randint(40, 70)) / 100
        mortgagee_person = {
            "SXH": "1",
            "QLRMC": mortgagee,
            "ZJZL": "8",
            "ZJH": social_credit_code(rng),
            "QLRLX": "2",
            "QSZT": "",
            "BDCLX": "",
        }
        values = {
            "BDCDYH": holding.asset_id,
            "DYBDCLX": "2",
            "ZL": (m["where"] if (m := FLAT.match(holding.description)) else holding.description),
            "DYR": request["XM"],
            "DYFS": "1",
            "BDBZZQSE": f"{amount.quantize(Decimal('1000')):.2f}",
            "ZWLXQSSJ": slashed(start),
            "ZWLXJSSJ": slashed(start.replace(year=start.year + 20)),
            "BDCDJZMH": f"吉({start.year})安图县不动产证明第{rng.randint(10**6, 10**7 - 1)}号",
            "DYQR": mortgagee,
            "DJJG": self.unit.name,
            "DQDM": "222426",
            "YWH": f"XM{start.year}{rng.randint(10**9, 10**10 - 1)}",
        }
        return element("DYAQLIST", values, element("QLRXXLIST", mortgagee_person))

    def _cfdj(self, holding: Holding) -> list[etree._Element]:
        """The seals on the flat: other courts' (the register's prior controls), then those registered here."""
        where = m["where"] if (m := FLAT.match(holding.description)) else holding.description
        rng, seals = self._rng(holding), []
        for prior in holding.prior_controls:
            court, _, case = prior.partition("（")
            year = int(y[1]) if (y := re.match(r"(\d{4})", case)) else 2024
            start = date(year, rng.randint(1, 12), rng.randint(1, 28))
            xmid = f"XM{year}{rng.randint(10**9, 10**10 - 1)}"
            seals.append(
                (
                    court,
                    f"（{case}" if case else "",
                    slashed(start),
                    slashed(in_force(start, three_years)),
                    xmid,
                    "1",
                )
            )
        for seal in self._seals.get(holding.asset_id, []):
            seals.append(
                (seal.court, seal.reference, seal.start, seal.end, seal.cfywh, "2" if seal.queued else "1")
            )
        return [
            element(
                "CFDJLIST",
                {
                    "BDCDYH": holding.asset_id,
                    "ZL": where,
                    "CFJG": court,
                    "CFLX": kind,
                    "CFWH": reference,
                    "CFQSSJ": start,
                    "CFJSSJ": end,
                    "CFYWH": xmid,
                    "DJJG": self.unit.name,
                    "DQDM": "222426",
                    "YWH": xmid,
                },
            )
            for court, reference, start, end, xmid, kind in seals
        ]


def _file_size(operation: str, request_no: str, name: str, content: str) -> str:
    """The size of a file sent as base64 inside a value (WSNR, GZZ, GWZ), or what is wrong with it."""
    try:
        return f"{len(base64.b64decode(''.join(content.split()), validate=True))} bytes"
    except (binascii.Error, ValueError):
        log.warning("%s %s: %s is not base64 after its value was decoded", operation, request_no, name)
        return "not base64"


def _decode(root: etree._Element) -> list[str]:
    """Decode every value and ErrorMSG of an answer in place, as the client does; what it would choke on.

    The client decodes each string field of each object in turn; a blank one throws, and the rest of that
    object stays encoded. A value that is not base64 of UTF-8 decodes to garbage. XStream refuses a list
    item of another name and a single value given twice. Values that cannot be decoded are left as they are.
    """
    problems = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if (error := el.get("ErrorMSG")) is not None:
            if not error.strip():
                problems.append(f'<{el.tag} ErrorMSG="">: the client would decode nothing of <{el.tag}>')
            else:
                try:
                    el.set("ErrorMSG", unb64(error))
                except ValueError:
                    problems.append(f"ErrorMSG of <{el.tag}> is not base64: the client would read garbage")
        if el.tag in LIST_ITEMS:
            for child in el:
                if isinstance(child.tag, str) and child.tag != LIST_ITEMS[el.tag]:
                    raise CallFailed(
                        f"<{child.tag}> in <{el.tag}>: XStream expects only <{LIST_ITEMS[el.tag]}>"
                    )
        leaves = [c.tag for c in el if isinstance(c.tag, str) and len(c) == 0 and c.tag not in CONTAINERS]
        if repeated := [tag for tag, n in Counter(leaves).items() if n > 1]:
            raise CallFailed(f"<{repeated[0]}> repeated in <{el.tag}>: XStream refuses a field given twice")
        if len(el) or el.tag in CONTAINERS or el is root:
            continue
        if not (el.text or "").strip():
            problems.append(
                f"a blank <{el.tag}> in <{el.getparent().tag}>: the client stops decoding its other values"
            )
            continue
        try:
            el.text = unb64(el.text)
        except ValueError:
            problems.append(
                f"<{el.tag}> {el.text[:40]!r} is not base64 of UTF-8: the client would read garbage"
            )
    return problems
