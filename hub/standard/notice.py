"""The notice a unit reads and prints (协助执行通知书 and its kin), rendered from the request XML as received.

The stylesheet notice.xsl beside this file does the rendering, so e-mails and web pages show the same
notice; this module supplies its functions (labels, dates, amounts) and a plain-text version read off
the HTML. Elements of class `no-print` in the page are left out when it is printed.
"""

import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from hub.clock import SHANGHAI
from hub.standard import NS
from hub.standard.codes import Action, AssetClass
from hub.standard.documents import AssistanceRequest, read_request
from hub.standard.labels import label_of
from hub.standard.xml import Built, DocumentError, Problem, parse, parse_file, validate_schema

STYLESHEET = Path(__file__).with_name("notice.xsl")
FUNCTIONS_NS = "urn:linkage-hub:notice"

NOTICE_TITLES: dict[Action, str] = {
    Action.QUERY: "协助查询通知书",
    Action.SEAL: "协助执行通知书",
    Action.SEIZE: "协助执行通知书",
    Action.FREEZE: "协助执行通知书",
    Action.DEDUCT: "协助执行通知书",
    Action.RENEW: "协助执行通知书",
    Action.RELEASE: "协助执行通知书",
    Action.LOCATE_PERSON: "协助查找被执行人通知书",
    Action.CREDIT_NOTICE: "失信被执行人联合惩戒通报",
    Action.PRE_SEAL: "协助执行通知书",
    Action.TRANSFER: "协助执行通知书",
}

# What the unit calls the identifier of an asset (DOMAIN.md, "Fields units hold").
ASSET_ID_LABELS: dict[AssetClass, str] = {
    AssetClass.REAL_ESTATE: "不动产单元号",
    AssetClass.VEHICLE: "号牌号码",
    AssetClass.FUND_ACCOUNT: "账号",
    AssetClass.DEPOSIT: "账号",
    AssetClass.INSURANCE_POLICY: "保单号",
}


@dataclass(frozen=True)
class Notice:
    """A rendered notice: `html` is a complete, self-contained page; `text` the same notice as plain text."""

    title: str
    html: str
    text: str
    request: AssistanceRequest


def chinese_date(value: date | datetime | str) -> str:
    """A date as people write it: 2026年11月27日. An instant counts in Asia/Shanghai."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI).date() if value.tzinfo else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def chinese_instant(value: datetime | None) -> str:
    """An instant as people write it, in Asia/Shanghai: 2026年11月30日 23:59 (— for none)."""
    if value is None:
        return "—"
    return f"{chinese_date(value)} {value.astimezone(SHANGHAI):%H:%M}"


def chinese_money(amount: str | Decimal, currency: str = "CNY") -> str:
    """人民币50,000.00元 for CNY; other currencies keep their code (USD 1,200.00)."""
    try:
        figure = f"{Decimal(amount):,.2f}"
    except InvalidOperation:
        figure = str(amount)
    return f"人民币{figure}元" if currency in ("", "CNY") else f"{currency} {figure}"


def _s(value: object) -> str:
    """An XPath argument as a string: a node-set gives the string value of its first node."""
    if isinstance(value, list):
        value = value[0] if value else ""
        if isinstance(value, etree._Element):
            value = value.text or ""
    return str(value).strip()


def _label(_context, code_list, value) -> str:
    return label_of(_s(code_list), _s(value))


def _date(_context, value) -> str:
    return chinese_date(_s(value))


def _money(_context, amount, currency) -> str:
    return chinese_money(_s(amount), _s(currency) or "CNY")


def _asset_id_label(_context, asset_class) -> str:
    try:
        return ASSET_ID_LABELS.get(AssetClass(_s(asset_class)), "财产标识")
    except ValueError:
        return "财产标识"


_FUNCTIONS = {"label": _label, "date": _date, "money": _money, "asset_id_label": _asset_id_label}
_STYLESHEET = Built(
    lambda: etree.XSLT(
        parse_file(STYLESHEET),
        extensions={(FUNCTIONS_NS, name): fn for name, fn in _FUNCTIONS.items()},
        access_control=etree.XSLTAccessControl.DENY_ALL,
    )
)
# lxml keeps one error_log per stylesheet too: one transform at a time (0.7 ms, for a notice's page or
# e-mail), so a failed one reports its own errors.
_TRANSFORM_LOCK = threading.Lock()


def stylesheet() -> etree.XSLT:
    """notice.xsl compiled, once per process (hub/standard/xml.py, Built)."""
    return _STYLESHEET.get()


def _read(document: bytes) -> etree._ElementTree:
    # The hub accepted this document under its own size limit; here it is only read again.
    tree = parse(document, max_bytes=len(document))
    root = tree.getroot()
    if root.tag != f"{{{NS}}}AssistanceRequest":
        raise DocumentError(
            [
                Problem(
                    root.sourceline, "/" + etree.QName(root).localname, "a notice needs an AssistanceRequest"
                )
            ]
        )
    if problems := validate_schema(tree):
        raise DocumentError(problems)
    return tree


def render_notice(document: bytes, *, unit_name: str, court_name: str) -> Notice:
    """The notice of the request `document` (bytes as received), from the court `court_name` (as the
    directory names it, whatever the document's <Court> says), addressed to the unit `unit_name`.

    Raises DocumentError when the bytes are not an AssistanceRequest valid against the XSD.
    """
    tree = _read(document)
    request = read_request(tree)
    title = NOTICE_TITLES[request.action]
    transform = stylesheet()
    with _TRANSFORM_LOCK:
        result = transform(
            tree,
            title=etree.XSLT.strparam(title),
            unit_name=etree.XSLT.strparam(unit_name),
            court_name=etree.XSLT.strparam(court_name),
        )
    page = result.getroot()
    html = "<!DOCTYPE html>\n" + etree.tostring(page, method="html", encoding="unicode")
    return Notice(title=title, html=html, text=_plain_text(page), request=request)


# --- the plain-text version, read off the rendered page ----------------------------------------

_LINES = frozenset({"h1", "h2", "h3", "h4", "p", "li", "tr"})
_GAP_BEFORE = frozenset({"h1", "h3"})


def _flat(element: etree._Element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def _plain_text(page: etree._Element) -> str:
    lines: list[str] = []
    body = page.find("body")
    for element in body.iter() if body is not None else []:
        if element.tag not in _LINES or "no-print" in (element.get("class") or ""):
            continue
        if element.tag in _GAP_BEFORE or "gap" in (element.get("class") or "").split():
            lines.append("")
        if element.tag == "tr":
            cells = [_flat(cell) for cell in element if cell.tag in ("th", "td")]
            lines.append("  " + "：".join(cells))
        elif element.tag == "li":
            number = [s for s in element.itersiblings(preceding=True) if s.tag == "li"]
            lines.append(f"  {len(number) + 1}. {_flat(element)}")
        else:
            lines.append(_flat(element))
    return "\n".join(lines).strip() + "\n"
