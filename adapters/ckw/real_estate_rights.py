"""What a real-estate registry reports of a person's rights (feedBdcQL), as the standard's found assets.

The registry's client sends one record per right, seal and mortgage it finds, each field as it stands in its
database: codes as numbers, dates yyyy/MM/dd, decimals 0.00 (adapters/ckw/real_estate.py reads them; here
they are plain text). Each right (TDSYQ, JSYDSYQ, FDCQ, HYSYQ, GJZWSYQ, LQ, YGDJ) is an asset: AssetId its
unit no. (BDCDYH), its codes in words in the Description, its persons (QLRXXLIST) as Owners with QLBL as the
share (free text: "50%", "50", "0.5", "1/2"; anything else is no share); each mortgage (DYAQ) and seal (CFDJ)
is an Encumbrance on the asset of its unit no.

The code tables are the national 不动产登记数据库标准 dictionaries as commonly used; the client's code has
none of them (its database has them), so they are unverified, except CFLX (查封类型), which is the client's
own. An unknown code is shown as the code. BDBZZQSE (被担保主债权数额) is read in 万元, the unit of the
登记簿 and of the court-side displays of these results (unverified for this client, which sends its
database's figure as it is): the Encumbrance's Amount is in yuan, its Description names the figure as sent;
a figure that is not an amount (0.00) is refused naming BDBZZQSE (adapters/ckw/common.py reads numbers).
"""

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from adapters.ckw.common import clip, labelled, money, share
from adapters.ckw.profile import FormatError
from hub.clock import SHANGHAI
from hub.standard.codes import AssetClass, AssetStatus, EncumbranceKind
from hub.standard.write_receipt import AssetResult, EncumbranceEntry, OwnerShare

MAN_YUAN = Decimal(10000)
MAX_AMOUNT = Decimal(10) ** 16  # the standard's amounts: 16 digits before the point
WHEN = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")

FWYT = {"10": "住宅", "11": "成套住宅", "12": "非成套住宅", "13": "集体宿舍", "20": "工业、交通、仓储",
        "21": "工业", "22": "公共设施", "23": "铁路", "24": "民航", "25": "航运", "26": "公共运输",
        "27": "仓储", "30": "商业、金融、信息", "31": "商业服务", "32": "经营", "33": "旅游",
        "34": "金融保险", "35": "电讯信息", "40": "教育、医疗、卫生、科研", "41": "教育", "42": "医疗卫生",
        "43": "科研", "50": "文化、娱乐、体育", "51": "文化", "52": "新闻", "53": "娱乐", "54": "园林绿化",
        "55": "体育", "60": "办公", "70": "军事", "80": "其他", "81": "涉外", "82": "宗教", "83": "监狱"}  # fmt: skip
FWXZ = {"0": "市场化商品房", "1": "动迁房", "2": "配套商品房", "3": "公共租赁住房", "4": "廉租住房",
        "5": "限价普通商品住房", "6": "经济适用住房", "7": "定销商品房", "8": "集资建房", "9": "福利房",
        "99": "其他"}  # fmt: skip
TDYT = {"01": "耕地", "02": "园地", "03": "林地", "04": "草地", "05": "商服用地", "06": "工矿仓储用地",
        "07": "住宅用地", "071": "城镇住宅用地", "072": "农村宅基地", "08": "公共管理与公共服务用地",
        "09": "特殊用地", "10": "交通运输用地", "11": "水域及水利设施用地", "12": "其他土地"}  # fmt: skip
QLXZ = {"101": "划拨", "102": "出让", "103": "作价出资（入股）", "104": "租赁", "105": "授权经营"}
DYFS = {"1": "一般抵押", "2": "最高额抵押"}
DYBDCLX = {"1": "土地", "2": "土地和房屋", "3": "林地和林木", "4": "土地和在建建筑物", "5": "海域",
           "6": "海域和构筑物", "7": "其他"}  # fmt: skip
CFLX = {"1": "查封", "2": "轮候查封", "3": "预查封", "4": "轮候预查封", "5": "续封"}
YGDJZL = {"1": "预售商品房买卖预告登记", "2": "其他不动产买卖预告登记"}
LDSYQXZ = {"1": "国有", "2": "集体"}
MJDW = {"1": "平方米", "2": "亩", "3": "公顷"}
SOLE = "0"  # GYFS 单独所有


@dataclass(frozen=True)
class Right:
    """A kind of right: its words, asset class, location field and what else the Description shows."""

    label: str
    asset_class: AssetClass
    location: str
    fields: tuple[tuple[str, str, dict[str, str] | str | None], ...]  # field, label, code table | unit | None
    term: tuple[str, str, str] | None = None  # start field, end field, label


RIGHTS = {  # in the order the client writes them
    "TDSYQ": Right("土地所有权", AssetClass.LAND_RIGHT, "ZL",
                   (("YT", "用途", TDYT), ("QLXZ", "权利性质", QLXZ), ("ZDMJ", "宗地面积", "MJDW"))),
    "JSYDSYQ": Right("建设用地使用权", AssetClass.LAND_RIGHT, "ZL",
                     (("YT", "用途", TDYT), ("QLXZ", "权利性质", QLXZ), ("SYQMJ", "使用权面积", "平方米")),
                     ("SYQQSSJ", "SYQJSSJ", "使用期限")),
    "FDCQ": Right("房地产权", AssetClass.REAL_ESTATE, "FDZL",
                  (("GHYT", "规划用途", FWYT), ("FWXZ", "房屋性质", FWXZ), ("JZMJ", "建筑面积", "平方米"),
                   ("ZYJZMJ", "专有建筑面积", "平方米"), ("FTJZMJ", "分摊建筑面积", "平方米"),
                   ("JGSJ", "竣工时间", None)),
                  ("TDSYQSSJ", "TDSYJSSJ", "土地使用期限")),
    "HYSYQ": Right("海域使用权", AssetClass.REAL_ESTATE, "YHWZSM",
                   (("XMMC", "项目名称", None), ("HDMC", "海岛名称", None), ("SYQMJ", "使用权面积", "公顷")),
                   ("SYQQSSJ", "SYQJSSJ", "使用期限")),
    "GJZWSYQ": Right("构（建）筑物所有权", AssetClass.REAL_ESTATE, "ZL",
                     (("GJZWGHYT", "规划用途", {}), ("GJZWMJ", "面积", "平方米")),
                     ("TDHYSYQSSJ", "TDHYSYJSSJ", "土地、海域使用期限")),
    "LQ": Right("林权", AssetClass.FOREST_RIGHT, "ZL",
                (("LDSYQXZ", "林地所有权性质", LDSYQXZ), ("SYQMJ", "使用权面积", None)),
                ("LDSYQSSJ", "LDSYJSSJ", "林地使用期限")),
    "YGDJ": Right("预告登记", AssetClass.REAL_ESTATE, "ZL",
                  (("YGDJZL", "预告登记种类", YGDJZL), ("GHYT", "规划用途", FWYT), ("JZMJ", "建筑面积", "平方米"))),
}  # fmt: skip
ENCUMBRANCES = ("DYAQ", "CFDJ")


@dataclass(frozen=True)
class Record:
    """One record of the feedback, its values decoded: a right, a mortgage or a seal, and its persons."""

    kind: str  # FDCQ, DYAQ...
    values: dict[str, str]
    where: str
    persons: list[dict[str, str]] = field(default_factory=list)


def found_assets(records: list[Record]) -> tuple[AssetResult, ...]:
    """The assets the records report, in their order, each with the mortgages and seals on its unit; a
    mortgage or seal on a unit whose right is not listed makes an asset of its own."""
    assets: list[AssetResult] = []
    by_unit: dict[str, int] = {}
    for record in records:
        if record.kind in RIGHTS:
            asset = _asset(record, RIGHTS[record.kind])
            by_unit.setdefault(asset.asset_id, len(assets))
            assets.append(asset)
    for record in records:
        if record.kind not in ENCUMBRANCES:
            continue
        entry = _mortgage(record.values, record.where) if record.kind == "DYAQ" else _seal(record.values)
        unit_no = _identifier(record.values.get("BDCDYH"), "BDCDYH", record.where)
        if unit_no not in by_unit:
            by_unit[unit_no] = len(assets)
            text = "登记系统反馈了该单元上的抵押或查封，未列出其权利"
            assets.append(AssetResult(AssetClass.REAL_ESTATE, unit_no, description=text))
        index = by_unit[unit_no]
        assets[index] = _encumbered(assets[index], entry)
    return tuple(assets)


def when(text: str | None) -> tuple[datetime, bool] | None:
    """A date or time as the registry writes it, in Beijing time, and whether it named a time of day."""
    match = WHEN.fullmatch((text or "").strip())
    if match is None:
        return None
    try:
        moment = datetime(*(int(g) for g in match.groups() if g is not None), tzinfo=SHANGHAI)
    except ValueError:
        return None
    return moment, match.group(4) is not None


def _asset(record: Record, right: Right) -> AssetResult:
    v = record.values
    certificate = v.get("BDCQZH") or v.get("BDCDJZMH")
    unit_no = _identifier(v.get("BDCDYH") or certificate, "BDCDYH", record.where)
    parts = [right.label, certificate, labelled("坐落", v.get(right.location))]
    parts += [_shown(v, name, label, kind) for name, label, kind in right.fields]
    if right.term is not None:
        parts.append(_term(v, *right.term))
    parts.append(labelled("登记机构", v.get("DJJG")))
    owners = [owner for person in record.persons if (owner := _owner(person, record.where))]
    return AssetResult(
        right.asset_class,
        unit_no,
        description=clip("，".join(p for p in parts if p)),
        status=AssetStatus.NORMAL,
        owners=tuple(dict.fromkeys(owners)),
    )


def _owner(person: dict[str, str], where: str) -> OwnerShare | None:
    name = person.get("QLRMC")
    if name is None:
        return None
    if len(name) > 200:
        raise FormatError("QLRMC", f"a name of {len(name)} characters (at most 200)", where=where)
    return OwnerShare(name, share(person.get("QLBL")) or ("1/1" if person.get("GYFS") == SOLE else None))


def _mortgage(v: dict[str, str], where: str) -> EncumbranceEntry:
    amount = _secured(v.get("BDBZZQSE"), where)
    start, end = _dates(v, "ZWLXQSSJ", "ZWLXJSSJ")
    parts = [
        DYFS.get(v.get("DYFS", "")) or _shown(v, "DYFS", "抵押方式", DYFS),
        labelled("抵押人", v.get("DYR")),
        _shown(v, "DYBDCLX", "抵押不动产类型", DYBDCLX),
        f"被担保主债权数额{v['BDBZZQSE']}万元" if amount is not None else None,
        _term(v, "ZWLXQSSJ", "ZWLXJSSJ", "债务履行期限") if start is None else None,
    ]
    return EncumbranceEntry(
        kind=EncumbranceKind.MORTGAGE,
        holder=clip(v["DYQR"], 200) if v.get("DYQR") else None,
        registration_no=_short(v.get("YWH")),
        reference=_short(v.get("BDCDJZMH")),
        amount=amount,
        start=start,
        end=end,
        description=clip("，".join(p for p in parts if p)) or None,
    )


def _seal(v: dict[str, str]) -> EncumbranceEntry:
    start, end = _dates(v, "CFQSSJ", "CFJSSJ")
    parts = [
        CFLX.get(v.get("CFLX", "")) or _shown(v, "CFLX", "查封类型", CFLX),
        _term(v, "CFQSSJ", "CFJSSJ", "查封期限") if start is None else None,
    ]
    return EncumbranceEntry(
        kind=EncumbranceKind.SEAL,
        holder=clip(v["CFJG"], 200) if v.get("CFJG") else None,
        registration_no=_short(v.get("CFYWH") or v.get("YWH")),
        reference=_short(v.get("CFWH")),
        start=start,
        end=end,
        description=clip("，".join(p for p in parts if p)) or None,
    )


def _encumbered(asset: AssetResult, entry: EncumbranceEntry) -> AssetResult:
    status = asset.status
    if entry.kind is EncumbranceKind.SEAL:
        status = AssetStatus.SEALED
    elif status in (None, AssetStatus.NORMAL):
        status = AssetStatus.MORTGAGED
    return replace(asset, status=status, encumbrances=(*asset.encumbrances, entry))


def _shown(v: dict[str, str], name: str, label: str, kind: dict[str, str] | str | None) -> str | None:
    value = v.get(name)
    if value is None:
        return None
    if isinstance(kind, dict):
        return f"{label}：{kind.get(value) or f'代码 {value}'}"
    unit = MJDW.get(v.get("MJDW", ""), "") if kind == "MJDW" else kind or ""
    return f"{label}{value}{unit}" if unit else f"{label}：{value}"


def _term(v: dict[str, str], start: str, end: str, label: str) -> str | None:
    if not v.get(start) and not v.get(end):
        return None
    return f"{label}{v.get(start) or '未登记'}至{v.get(end) or '未登记'}"


def _dates(v: dict[str, str], start: str, end: str) -> tuple[date | None, date | None]:
    """A period when both ends read as dates, in order; else none (and the Description shows the text)."""
    first, last = when(v.get(start)), when(v.get(end))
    if first is None or last is None or last[0] < first[0]:
        return None, None
    return first[0].date(), last[0].date()


def _secured(text: str | None, where: str) -> Decimal | None:
    """BDBZZQSE (万元) in yuan; None when it is empty or 0.00 (the client's figure for none)."""
    amount = money(text, field="BDBZZQSE", where=where)
    if not amount:
        return None
    if amount * MAN_YUAN >= MAX_AMOUNT:
        why = f"{text} 万元 is more than an amount the standard holds (16 digits in yuan)"
        raise FormatError("BDBZZQSE", why, where=where)
    return amount * MAN_YUAN


def _identifier(value: str | None, name: str, where: str) -> str:
    if not value:
        raise FormatError(name, "required: the unit no. (不动产单元号) of the right", where=where)
    if len(value) > 100:
        raise FormatError(name, f"{len(value)} characters, more than a number has (at most 100)", where=where)
    return value


def _short(value: str | None) -> str | None:
    """An identifier the standard can hold (at most 100 characters), else left out."""
    return value if value and len(value) <= 100 else None
