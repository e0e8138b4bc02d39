"""The CSV file of an import of controls made before the hub (imports.py): its columns, and each row read
into values. Pure: no database; what the values mean to the hub (units, officers, the standard's rules)
is imports.py's to check.

The file: a header row (line 1), then one control a row, at most MAX_ROWS rows and MAX_IMPORT_BYTES,
UTF-8 with or without a BOM, or GBK (GB18030), as Excel and WPS save "CSV". A column is named by its
Chinese header or by its key (`registration_no`), in any order; an unknown or repeated header is refused,
so that a mistyped optional column is not read as absent. A blank row is skipped, and counted: a row's
number is its line in the file, as a spreadsheet numbers it.

Every cell is checked before it is read: no longer than its column allows, no control character (a line
break inside a cell included), and none that begins as a spreadsheet formula (= + - @): the import is
echoed on pages and in files an officer opens in Excel, and a value that is a formula there is never a
unit's registration number or a debtor's name.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from hub.spreadsheet import FORMULA_STARTS, ID_TYPE_NAMES, SUBJECT_KIND_NAMES, csv_bytes, decoded
from hub.standard.codes import CONTROL_ACTIONS, Action, AssetClass, IdType, SubjectKind
from hub.standard.labels import ASSET_CLASS_LABELS, label

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
MONEY_DIGITS = 18  # the XSD's Money: 18 digits in all, 2 of them after the point


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as the template writes it and the page names it
    required: bool
    longest: int  # characters; the standard's limit for the element it fills
    note: str  # what to write, for the page
    example: str = ""


COLUMNS = (
    Column("unit", "协助单位", True, 100, "单位代码或名称，如 housing-fund", "housing-fund"),
    Column("action", "措施", True, 20, "查封、扣押或冻结", "冻结"),
    Column("asset_class", "财产类别", True, 20, "如不动产、机动车、存款、住房公积金账户", "住房公积金账户"),
    Column("asset_id", "财产标识", True, 100, "不动产单元号、号牌号码、账号等", "220100123456789"),
    Column("description", "财产描述", False, 500, "可不填", "住房公积金账户"),
    Column("registration_no", "登记编号", True, 100, "协助单位登记该措施的编号", "GJJ-DJ-2026-0017"),
    Column("start", "起始日", True, 20, "如 2026-03-02 或 2026/3/2", "2026-03-02"),
    Column("end", "届满日", True, 20, "不能超过法定最长期限", "2027-03-01"),
    Column("amount", "金额", False, 30, "冻结资金时必填，单位元", "50000.00"),
    Column("case_no", "案号", True, 60, "", "（2026）吉2426执17号"),
    Column("subject_name", "被执行人", True, 200, "姓名或名称", "李四"),
    Column("subject_kind", "主体类型", False, 20, "自然人或法人；不填则按证件类型", "自然人"),
    Column("id_type", "证件类型", True, 20, "居民身份证、统一社会信用代码、护照或其他证件", "居民身份证"),
    Column("id_number", "证件号码", True, 100, "", "222426198503120413"),
    Column("ruling_no", "裁定书文号", True, 100, "", "（2026）吉2426执17号之一"),
    Column("officer", "承办法官", False, 80, "本院执行法官的用户名；不填则为导入人", "officer"),
)
BY_NAME = {name: column for column in COLUMNS for name in (column.header, column.key)}
HEADERS = {column.key: column.header for column in COLUMNS}

ACTION_NAMES: dict[str, Action] = {
    **{label(action): action for action in CONTROL_ACTIONS},
    **{action.value: action for action in CONTROL_ACTIONS},
}
ASSET_CLASS_NAMES: dict[str, AssetClass] = {
    **{name: code for code, name in ASSET_CLASS_LABELS.items()},
    **{code.value: code for code in AssetClass},
}
DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{4})(\d{2})(\d{2})")
CONTROL_CHARACTERS = frozenset({"Cc", "Cf", "Zl", "Zp"})


def template() -> bytes:
    """The empty file to fill: the headers only (an example row left in would be imported)."""
    return csv_bytes([column.header for column in COLUMNS], [])


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an import: its row (the line of the file; None: the file as a whole), its column
    (the header), and what, in English (the command line) and in Chinese (the page; None: the page says the
    hub's English wording in Chinese where it knows it, as the officer's form does)."""

    row: int | None
    column: str | None
    message: str
    chinese: str | None = None

    def __str__(self) -> str:
        where = " ".join(part for part in (f"line {self.row}" if self.row else "", self.column or "") if part)
        return f"{where}: {self.message}" if where else self.message


@dataclass
class FileRow:
    """One row as read: each value parsed where its cell allows (None where it is empty or wrong)."""

    row: int
    unit: str = ""
    action: Action | None = None
    asset_class: AssetClass | None = None
    asset_id: str = ""
    description: str | None = None
    registration_no: str = ""
    start: date | None = None
    end: date | None = None
    amount: Decimal | None = None
    case_no: str = ""
    subject_name: str = ""
    subject_kind: SubjectKind | None = None
    id_type: IdType | None = None
    id_number: str = ""
    ruling_no: str = ""
    officer: str = ""  # a username; empty: the default officer
    problems: list[ImportProblem] = field(default_factory=list)

    def refuse(self, key: str, message: str, chinese: str) -> None:
        self.problems.append(ImportProblem(self.row, HEADERS[key], message, chinese))


def read_file(data: bytes) -> tuple[list[FileRow], list[ImportProblem]]:
    """The rows of an import file, each with its own problems; and what is wrong with the file as a whole
    (then no rows). The caller bounds `data` by MAX_IMPORT_BYTES before reading it all."""
    if len(data) > MAX_IMPORT_BYTES:
        megabytes = MAX_IMPORT_BYTES // 1048576
        return [], [
            _whole(
                f"the file is larger than {megabytes} MB: split it",
                f"文件超过 {megabytes} MB 的上限，请拆开后分别导入。",
            )
        ]
    try:
        text = decoded(data)
    except UnicodeDecodeError:
        return [], [
            _whole(
                "the file is neither UTF-8 nor GBK: save it from Excel as CSV (or CSV UTF-8)",
                "无法识别文件编码：请在 Excel 中另存为“CSV（逗号分隔）”或“CSV UTF-8”后再上传。",
            )
        ]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[FileRow] = []
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            return [], [_whole("the file is empty: line 1 is the header", "文件是空的：第 1 行应为表头。")]
        columns, problems = _columns(header)
        if problems:
            return [], problems
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                return [], [
                    _whole(
                        f"more than {MAX_ROWS} rows: split the file",
                        f"一次最多导入 {MAX_ROWS} 行，请把文件拆开后分别导入。",
                    )
                ]
            rows.append(_row(number, cells, columns))
    except csv.Error as exc:
        return [], [
            _whole(
                f"line {reader.line_num} is not valid CSV: {exc}",
                f"第 {reader.line_num} 行不是有效的 CSV（{exc}），请在 Excel 中重新另存为 CSV。",
            )
        ]
    if not rows:
        return [], [_whole("the file has a header and no rows", "文件只有表头，没有要导入的措施。")]
    return rows, []


def _whole(message: str, chinese: str) -> ImportProblem:
    return ImportProblem(None, None, message, chinese)


def _columns(header: list[str]) -> tuple[dict[str, int], list[ImportProblem]]:
    """Column key -> index in the row; the header's problems (unknown, repeated, missing columns)."""
    found: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        name = re.sub(r"\s", "", cell)
        column = BY_NAME.get(name)
        if not name:
            continue
        if column is None:
            shown = name[:40]
            problems.append(
                ImportProblem(
                    1,
                    None,
                    f"unknown column {shown!r}: the columns are those of the template",
                    f"第 1 行（表头）有无法识别的列“{shown}”：列名须与模板一致。",
                )
            )
        elif column.key in found:
            problems.append(
                ImportProblem(
                    1, column.header, "the column is there twice", f"第 1 行（表头）“{column.header}”列重复。"
                )
            )
        else:
            found[column.key] = index
    missing = [c.header for c in COLUMNS if c.required and c.key not in found]
    if missing:
        problems.append(
            ImportProblem(
                1,
                None,
                f"columns missing from the header: {', '.join(missing)}",
                f"第 1 行（表头）缺少列：{'、'.join(missing)}。",
            )
        )
    return found, problems


def _row(number: int, cells: list[str], columns: dict[str, int]) -> FileRow:
    row = FileRow(number)
    if any(cell.strip() for cell in cells[max(columns.values()) + 1 :]):
        row.problems.append(
            ImportProblem(
                number, None, "cells past the last column", f"第 {number} 行在最后一列之后还有内容。"
            )
        )
    values: dict[str, str] = {}
    for column in COLUMNS:
        index = columns.get(column.key)
        value = cells[index].strip() if index is not None and index < len(cells) else ""
        if _cell_problem(row, column, value):
            continue
        if column.required and not value:
            row.refuse(column.key, "is empty", f"“{column.header}”不能为空。")
            continue
        values[column.key] = value
    _read_values(row, values)
    return row


def _cell_problem(row: FileRow, column: Column, value: str) -> bool:
    """Refuse a cell too long, with a control character, or that a spreadsheet takes for a formula."""
    if len(value) > column.longest:
        row.refuse(
            column.key,
            f"has {len(value)} characters, at most {column.longest}",
            f"“{column.header}”有 {len(value)} 个字符，最多 {column.longest} 个。",
        )
    elif any(unicodedata.category(c) in CONTROL_CHARACTERS for c in value):
        row.refuse(
            column.key,
            "holds a control character (a line break, a tab): write it on one line",
            f"“{column.header}”含有换行、制表符等控制字符，请改为一行文字。",
        )
    elif value.startswith(FORMULA_STARTS):
        row.refuse(
            column.key,
            f"begins with {value[0]!r}, as a spreadsheet formula does: write the value itself",
            f"“{column.header}”以“{value[0]}”开头，会被电子表格当作公式，请填写内容本身。",
        )
    else:
        return False
    return True


def _read_values(row: FileRow, values: dict[str, str]) -> None:
    get = values.get
    row.unit, row.asset_id, row.case_no = get("unit", ""), get("asset_id", ""), get("case_no", "")
    row.registration_no, row.subject_name = get("registration_no", ""), get("subject_name", "")
    row.ruling_no, row.officer = get("ruling_no", ""), get("officer", "")
    row.description = get("description") or None
    if text := get("action"):
        row.action = ACTION_NAMES.get(text) or ACTION_NAMES.get(text.upper())
        if row.action is None:
            row.refuse(
                "action",
                f"{text!r} is not a control: SEAL, SEIZE or FREEZE (查封, 扣押, 冻结) are imported",
                f"“{text}”不是可以补录的措施：只补录查封、扣押、冻结。",
            )
    if text := get("asset_class"):
        row.asset_class = ASSET_CLASS_NAMES.get(text) or ASSET_CLASS_NAMES.get(text.upper())
        if row.asset_class is None:
            row.refuse(
                "asset_class",
                f"{text!r} is not an asset class: {', '.join(AssetClass)}",
                f"财产类别“{text}”无法识别，请填：{'、'.join(ASSET_CLASS_LABELS.values())}。",
            )
    for key in ("start", "end"):
        if text := get(key):
            setattr(row, key, _date(row, key, text))
    if text := get("amount"):
        row.amount = _amount(row, text)
    _read_subject(row, get("id_type", ""), get("id_number", ""), get("subject_kind", ""))


def _date(row: FileRow, key: str, text: str) -> date | None:
    match = DATE.fullmatch(text)
    if match is not None:
        year, month, day = (
            int(part) for part in (match.group(1, 2, 3) if match[1] else match.group(4, 5, 6))
        )
        try:
            return date(year, month, day)
        except ValueError:
            pass
    row.refuse(
        key,
        f"{text!r} is not a date: write it as 2026-03-02",
        f"“{text}”不是有效日期，请按 2026-03-02 的格式填写。",
    )
    return None


def _amount(row: FileRow, text: str) -> Decimal | None:
    plain = re.sub(r"[,，\s]", "", text).removesuffix("元")
    try:
        value = Decimal(plain)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value <= 0:
        row.refuse(
            "amount", f"{text!r} is not an amount above 0", f"金额“{text}”应为大于 0 的数字，如 50000.00。"
        )
        return None
    digits, exponent = value.as_tuple().digits, value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2 or len(digits) + exponent > MONEY_DIGITS - 2:
        row.refuse(
            "amount",
            f"{text!r}: an amount has at most 16 digits before the point and 2 after it",
            f"金额“{text}”最多 16 位整数、2 位小数。",
        )
        return None
    return value.quantize(Decimal("0.01"))


def _read_subject(row: FileRow, type_text: str, number: str, kind_text: str) -> None:
    if type_text:
        row.id_type = ID_TYPE_NAMES.get(type_text) or ID_TYPE_NAMES.get(type_text.upper())
        if row.id_type is None:
            row.refuse(
                "id_type",
                f"{type_text!r} is not an ID type: {', '.join(IdType)}",
                f"证件类型“{type_text}”无法识别：请填居民身份证、统一社会信用代码、护照或其他证件。",
            )
    number = re.sub(r"\s", "", number)
    row.id_number = number.upper() if row.id_type in (IdType.RESIDENT_ID, IdType.USCC) else number
    if kind_text:
        row.subject_kind = SUBJECT_KIND_NAMES.get(kind_text)
        if row.subject_kind is None:
            row.refuse(
                "subject_kind",
                f"{kind_text!r} is not a kind of subject: person or organization",
                f"主体类型“{kind_text}”无法识别：请填自然人或法人。",
            )
    elif row.id_type is not None:
        row.subject_kind = SubjectKind.ORGANIZATION if row.id_type is IdType.USCC else SubjectKind.PERSON
