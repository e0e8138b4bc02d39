"""The register a simulated unit keeps: what it holds for each subject, generated from a seed.

Invented data only. A subject's record depends on the seed, the unit's code and the subject's ID number
and nothing else, so the same simulator answers the same way every time. About half the subjects have
something on record; the rest have nothing (NOT_FOUND, NOT_LOCATED). What a unit holds follows its
directory entry: its asset classes, or for units without any, its category (marriage records for civil
affairs, 户籍 for the police, utility accounts for the power company...).
"""

import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from decimal import Decimal

from hub.directory.loader import UnitEntry
from hub.standard.codes import AssetClass, AssetStatus
from hub.standard.ids import USCC_CHARSET, resident_id_problem, uscc_problem

TOWNS = ("明月镇", "松江镇", "二道白河镇", "两江镇", "石门镇", "万宝镇", "亮兵镇", "永庆乡")
VILLAGES = ("新屯子村", "东清村", "大甸子村", "红旗村", "光明村", "长兴村", "福满村")
ROADS = ("东山路", "长白路", "松江街", "团结路", "新华街", "河南街", "光明路")
ESTATES = ("兴安小区", "长白山花园", "明月湖畔", "丽水家园", "福源小区")
COMPANIES = (
    "安图县宏达建材有限公司",
    "安图长白山矿泉水有限公司",
    "安图县兴农种植专业合作社",
    "延边松江木业有限公司",
)
OTHER_COURTS = ("延吉市人民法院", "敦化市人民法院", "和龙市人民法院", "延边朝鲜族自治州中级人民法院")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙朱马胡郭林何高金朴崔"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀兰霞平刚桂英华"
CENT = Decimal("0.01")
CONTROLLABLE = frozenset(AssetClass) - {AssetClass.OTHER}
PERSONAL_ONLY = frozenset({AssetClass.FUND_ACCOUNT})


@dataclass(frozen=True)
class Holding:
    """One asset on the unit's record. `prior_controls` are earlier controls of other courts on it."""

    asset_class: AssetClass
    asset_id: str
    description: str
    value: Decimal | None = None
    status: AssetStatus | None = None  # for property only: a record of another kind has no status
    share: str | None = None
    prior_controls: tuple[str, ...] = ()


@dataclass(frozen=True)
class Residence:
    """户籍 and whereabouts, for the police and the townships."""

    household_no: str
    registered_address: str
    located: bool
    note: str


@dataclass(frozen=True)
class Record:
    id_number: str
    holdings: tuple[Holding, ...] = ()
    residence: Residence | None = None


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return (Decimal(rng.randint(low * 100, high * 100)) / 100).quantize(CENT)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _day(rng: random.Random, first: int, last: int) -> str:
    return f"{rng.randint(first, last)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"


def resident_id(rng: random.Random) -> str:
    """A resident ID of 安图县 (222426) with a valid check digit and birth date."""
    body = f"222426{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{_digits(rng, 3)}"
    return next(body + c for c in "0123456789X" if resident_id_problem(body + c) is None)


def social_credit_code(rng: random.Random) -> str:
    """A unified social credit code of a company of 安图县 with a valid check character."""
    body = "91222426" + "".join(rng.choice(USCC_CHARSET) for _ in range(9))
    return next(body + c for c in USCC_CHARSET if uscc_problem(body + c) is None)


def _status(rng: random.Random, asset_class: AssetClass) -> tuple[AssetStatus, tuple[str, ...]]:
    """Mostly NORMAL; some mortgaged; about one in five already controlled by another court."""
    roll = rng.random()
    if roll < 0.2:
        court = rng.choice(OTHER_COURTS)
        case = f"（{rng.randint(2023, 2025)}）吉24{rng.randint(1, 99):02d}执{rng.randint(1, 999)}号"
        funds = asset_class in (AssetClass.DEPOSIT, AssetClass.FUND_ACCOUNT, AssetClass.INSURANCE_POLICY)
        return (AssetStatus.FROZEN if funds else AssetStatus.SEALED), (f"{court}{case}",)
    if roll < 0.35 and asset_class in (AssetClass.REAL_ESTATE, AssetClass.VEHICLE):
        return AssetStatus.MORTGAGED, ()
    return AssetStatus.NORMAL, ()


def _real_estate(rng: random.Random, unit: UnitEntry) -> Holding:
    town, area = rng.choice(TOWNS), Decimal(rng.randint(4500, 14000)) / 100
    asset_id = f"222426{rng.randint(1, 8):03d}{rng.randint(1, 20):03d}GB{_digits(rng, 5)}F{_digits(rng, 8)}"
    where = f"{town}{rng.choice(ROADS)}{rng.randint(1, 99)}号{rng.choice(ESTATES)}{rng.randint(1, 12)}号楼"
    room = f"{rng.randint(1, 4)}单元{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
    use = rng.choice(("住宅", "住宅", "商业服务"))
    text = f"吉({rng.randint(2016, 2025)})安图县不动产权第{_digits(rng, 7)}号，{where}{room}，{use}，建筑面积{area}平方米"
    return Holding(AssetClass.REAL_ESTATE, asset_id, text, (area * rng.randint(2800, 4200)).quantize(CENT))


def _land_right(rng: random.Random, unit: UnitEntry) -> Holding:
    mu = Decimal(rng.randint(20, 300)) / 10
    asset_id = f"222426{rng.randint(1, 8):03d}{rng.randint(1, 20):03d}JC{_digits(rng, 5)}W00000000"
    text = (
        f"{rng.choice(TOWNS)}{rng.choice(VILLAGES)}集体土地承包经营权，承包地{mu}亩，承包期至2048年12月31日"
    )
    return Holding(AssetClass.LAND_RIGHT, asset_id, text, (mu * 12000).quantize(CENT))


def _forest_right(rng: random.Random, unit: UnitEntry) -> Holding:
    mu = Decimal(rng.randint(50, 1200)) / 10
    asset_id = f"222426{rng.randint(1, 8):03d}{rng.randint(1, 20):03d}GL{_digits(rng, 5)}L{_digits(rng, 8)}"
    tree = rng.choice(("落叶松", "红松", "樟子松", "蒙古栎"))
    text = f"林权，林地坐落{rng.choice(TOWNS)}{rng.choice(VILLAGES)}{rng.randint(1, 40)}林班，面积{mu}亩，主要树种{tree}"
    return Holding(AssetClass.FOREST_RIGHT, asset_id, text, (mu * 3000).quantize(CENT))


def _vehicle(rng: random.Random, unit: UnitEntry) -> Holding:
    vin = "L" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    since = _day(rng, 2012, 2025)
    if "农业机械" in unit.name:
        plate = f"吉24-{_digits(rng, 5)}"
        model = rng.choice(
            ("东方红LX904拖拉机", "雷沃M1004-D拖拉机", "约翰迪尔1204拖拉机", "久保田PRO688Q收割机")
        )
        return Holding(AssetClass.VEHICLE, plate, f"{model}，机身号{vin[-8:]}，{since}登记")
    plate = f"吉H·{rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ')}{_digits(rng, 4)}"
    model = rng.choice(("一汽大众捷达VS5", "丰田卡罗拉", "长城哈弗H6", "比亚迪秦PLUS", "解放J6P重型载货车"))
    return Holding(AssetClass.VEHICLE, plate, f"{model}，车辆识别代号{vin}，初次登记日期{since}")


def _fund_account(rng: random.Random, unit: UnitEntry) -> Holding:
    state = rng.choice(("正常缴存", "正常缴存", "封存"))
    text = f"住房公积金个人账户，缴存单位{rng.choice(COMPANIES)}，账户状态{state}"
    return Holding(AssetClass.FUND_ACCOUNT, f"2201{_digits(rng, 11)}", text, _money(rng, 3000, 150000))


def _deposit(rng: random.Random, unit: UnitEntry) -> Holding:
    text = f"活期存款账户，开户网点{rng.choice(TOWNS)}支行"
    return Holding(AssetClass.DEPOSIT, f"0722{_digits(rng, 15)}", text, _money(rng, 100, 200000))


def _insurance_policy(rng: random.Random, unit: UnitEntry) -> Holding:
    prefix = unit.code.rsplit("-", 1)[-1].upper()[:4]
    product = rng.choice(("终身寿险（分红型）", "两全保险", "年金保险", "重大疾病保险"))
    text = f"{product}，被执行人为投保人，投保日期{_day(rng, 2012, 2024)}，年交保费{rng.randint(20, 120)}00元"
    policy_no = f"P{prefix}{rng.randint(2012, 2024)}2224{_digits(rng, 10)}"
    return Holding(AssetClass.INSURANCE_POLICY, policy_no, text, _money(rng, 2000, 90000))


def _equity(rng: random.Random, unit: UnitEntry) -> Holding:
    company, amount = rng.choice(COMPANIES), rng.randint(5, 500)
    text = f"{company}股权，认缴出资{amount}万元，持股比例{rng.randint(5, 100)}%"
    return Holding(AssetClass.EQUITY, social_credit_code(rng), text, Decimal(amount * 10000).quantize(CENT))


def _other(rng: random.Random, unit: UnitEntry) -> Holding:
    """What a unit without asset classes (or with OTHER) has on record, by its category and name."""
    name, category, no = unit.name, unit.category, f"{_digits(rng, 12)}"
    if category == "civil":
        year = rng.randint(1995, 2024)
        text = f"婚姻登记：已婚，配偶{_name(rng)}，{year}年{rng.randint(1, 12)}月在安图县民政局登记"
        return Holding(AssetClass.OTHER, f"J222426-{year}-{_digits(rng, 6)}", text)
    if category == "tax":
        text = f"个人所得税纳税记录，{rng.randint(2022, 2025)}年度申报收入，扣缴义务人{rng.choice(COMPANIES)}"
        return Holding(AssetClass.OTHER, f"NS{no}", text, _money(rng, 20000, 300000))
    if category == "social-security":
        text = f"城镇职工基本养老保险个人账户，参保单位{rng.choice(COMPANIES)}，个人账户累计储存额"
        return Holding(AssetClass.OTHER, f"SB{no}", text, _money(rng, 5000, 120000))
    if category == "funds":
        text = "惠民惠农财政补贴资金“一卡通”账户，补贴资金余额"
        return Holding(AssetClass.OTHER, f"YKT{no}", text, _money(rng, 300, 20000))
    for words, what, with_value in (
        (("保障",), f"公共租赁住房承租记录，{rng.choice(ESTATES)}{rng.randint(1, 12)}号楼，租赁保证金", True),
        (
            ("自然资源",),
            f"{rng.choice(TOWNS)}建筑用花岗岩矿采矿权，有效期至{rng.randint(2027, 2035)}年",
            False,
        ),
        (("电",), "居民用电账户，预存电费余额", True),
        (("水",), "居民用水账户，预存水费余额", True),
        (("燃气", "气"), "管道燃气账户，预存气费余额", True),
        (("邮政",), "邮政储蓄活期账户，账户余额", True),
        (("教育",), f"在职教职工工资发放记录，任职学校安图县第{rng.randint(1, 5)}中学", True),
        (("卫生", "健康"), "在职医务人员工资发放记录，任职单位安图县人民医院", True),
    ):
        if any(word in name for word in words):
            return Holding(AssetClass.OTHER, f"HH{no}", what, _money(rng, 50, 30000) if with_value else None)
    return Holding(AssetClass.OTHER, f"DJ{no}", f"{name}登记记录，登记日期{_day(rng, 2010, 2025)}")


GENERATORS: dict[AssetClass, Callable[[random.Random, UnitEntry], Holding]] = {
    AssetClass.REAL_ESTATE: _real_estate,
    AssetClass.LAND_RIGHT: _land_right,
    AssetClass.FOREST_RIGHT: _forest_right,
    AssetClass.VEHICLE: _vehicle,
    AssetClass.MOVABLE: _vehicle,
    AssetClass.FUND_ACCOUNT: _fund_account,
    AssetClass.DEPOSIT: _deposit,
    AssetClass.INSURANCE_POLICY: _insurance_policy,
    AssetClass.EQUITY: _equity,
    AssetClass.OTHER: _other,
}


def _residence(rng: random.Random, unit: UnitEntry) -> Residence:
    town = next((t for t in TOWNS if t in unit.name), rng.choice(TOWNS))
    village = rng.choice(VILLAGES)
    address = f"吉林省安图县{town}{village}{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
    if rng.random() < 0.6:
        note = f"经{village}村民委员会协助走访核实，被执行人现居住于{town}{rng.choice(ROADS)}{rng.randint(1, 99)}号"
        return Residence(f"2224260{_digits(rng, 8)}", address, True, note)
    note = f"经{village}村民委员会协助走访，被执行人长期外出务工，去向不明"
    return Residence(f"2224260{_digits(rng, 8)}", address, False, note)


class Register:
    """The unit's records, generated on first look-up and kept; plus the controls the simulator placed.

    Thread-safe: the push handler and the posting-back worker may use it at once.
    """

    def __init__(self, unit: UnitEntry, *, seed: int = 0, samples: int = 6) -> None:
        self.unit, self.seed = unit, seed
        self._records: dict[str, Record] = {}
        self._placed: dict[str, list[str]] = {}  # asset id -> registration nos of our own controls
        self._lock = threading.RLock()
        rng = random.Random(f"{seed}:{unit.code}:handler")
        self.handler = (_name(rng), f"0433-555{_digits(rng, 4)}")
        rng = random.Random(f"{seed}:samples")
        self.samples = [resident_id(rng) for _ in range(samples)]
        for id_number in self.samples:
            self.lookup(id_number)

    def lookup(self, id_number: str, *, person: bool = True) -> Record:
        """The subject's record: the same for the same seed, unit and ID number."""
        id_number = id_number.upper()
        with self._lock:
            if id_number not in self._records:
                self._records[id_number] = self._generate(id_number, person=person)
            return self._records[id_number]

    def _generate(self, id_number: str, *, person: bool) -> Record:
        rng = random.Random(f"{self.seed}:{self.unit.code}:{id_number}")
        if rng.random() >= 0.5:
            return Record(id_number)
        if self.unit.category in ("police", "township"):
            return Record(id_number, residence=_residence(rng, self.unit)) if person else Record(id_number)
        if self.unit.category == "civil" and not person:
            return Record(id_number)
        classes = [c for c in self.unit.asset_classes if person or c not in PERSONAL_ONLY]
        if not self.unit.asset_classes:
            classes = [AssetClass.OTHER]
        holdings = []
        count = rng.choice((1, 1, 1, 2, 2, 3)) if classes != [AssetClass.OTHER] else 1
        for i in range(count if classes else 0):
            holding = GENERATORS[classes[i % len(classes)]](rng, self.unit)
            if holding.asset_class in CONTROLLABLE:
                status, prior = _status(rng, holding.asset_class)
                share = (
                    "1/2" if holding.asset_class is AssetClass.REAL_ESTATE and rng.random() < 0.2 else "1/1"
                )
                holding = replace(holding, status=status, share=share, prior_controls=prior)
            holdings.append(holding)
        return Record(id_number, tuple(holdings))

    def find(self, id_number: str, asset_id: str, *, person: bool = True) -> Holding | None:
        """The subject's holding with that identifier, or None when the register does not list it."""
        return next(
            (h for h in self.lookup(id_number, person=person).holdings if h.asset_id == asset_id), None
        )

    def controls_ahead(self, asset_id: str, holding: Holding | None, *, besides: str = "") -> int:
        """How many controls already lie on the asset: other courts' and those the simulator placed
        (but `besides`, the registration no. being answered now)."""
        with self._lock:
            placed = self._placed.get(asset_id, [])
            ours = placed.index(besides) if besides in placed else len(placed)
            return len(holding.prior_controls if holding else ()) + ours

    def place(self, asset_id: str, registration_no: str) -> None:
        with self._lock:
            placed = self._placed.setdefault(asset_id, [])
            if registration_no not in placed:
                placed.append(registration_no)

    def lift(self, registration_no: str) -> None:
        with self._lock:
            for placed in self._placed.values():
                if registration_no in placed:
                    placed.remove(registration_no)

    def transfer(self, asset_id: str) -> None:
        """The asset went to its buyer: the controls placed on it end with the transfer."""
        with self._lock:
            self._placed.pop(asset_id, None)

    def as_json(self) -> dict:
        """The register for people: unit, seed, the records generated so far, the controls placed."""

        def holding(h: Holding) -> dict:
            value = str(h.value) if h.value is not None else None
            return {**asdict(h), "value": value, "prior_controls": list(h.prior_controls)}

        with self._lock:
            subjects = {
                id_number: {
                    "holdings": [holding(h) for h in record.holdings],
                    "residence": asdict(record.residence) if record.residence else None,
                }
                for id_number, record in self._records.items()
            }
            placed = {asset: list(nos) for asset, nos in self._placed.items() if nos}
        return {
            "unit": {"code": self.unit.code, "name": self.unit.name, "category": self.unit.category},
            "actions": [str(a) for a in self.unit.actions],
            "seed": self.seed,
            "samples": self.samples,
            "subjects": subjects,
            "controls_placed": placed,
        }
