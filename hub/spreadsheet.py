"""CSV for Excel and WPS: UTF-8 with a byte-order mark, CRLF rows, and no cell that a spreadsheet runs; and
CSV as they save it, read back.

A text cell that begins with = + - @ (or a tab or carriage return before one) is a formula to Excel and WPS
(OWASP's "CSV injection"): `=HYPERLINK(...)` in a unit's or a person's name would run when a supervisor
opens the export. Such a cell is written with a leading apostrophe, which the spreadsheet shows as text.
Numbers are written as they are.

Read back: Excel and WPS in China save "CSV" as GBK (GB18030 reads it) and "CSV UTF-8" with a BOM; a
person's ID type and kind are written as the pages name them (居民身份证, 自然人) or as the standard's codes.
"""

import csv
import io
from collections.abc import Iterable, Sequence

from hub.standard.codes import IdType, SubjectKind
from hub.standard.labels import ID_TYPE_LABELS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# How a spreadsheet names an ID type and a subject's kind, to the standard's codes.
ID_TYPE_NAMES: dict[str, IdType] = {
    **{label: code for code, label in ID_TYPE_LABELS.items()},
    **{code.value: code for code in IdType},
    "身份证": IdType.RESIDENT_ID,
    "信用代码": IdType.USCC,
    "其他": IdType.OTHER,
}
SUBJECT_KIND_NAMES: dict[str, SubjectKind] = {
    "自然人": SubjectKind.PERSON,
    "个人": SubjectKind.PERSON,
    "法人": SubjectKind.ORGANIZATION,
    "法人或其他组织": SubjectKind.ORGANIZATION,
    "单位": SubjectKind.ORGANIZATION,
    "person": SubjectKind.PERSON,
    "organization": SubjectKind.ORGANIZATION,
}


def decoded(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (a BOM is dropped), else GB18030 (GBK's superset). UnicodeDecodeError when
    neither reads them."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def inert(cell: object) -> object:
    """`cell` as a spreadsheet takes it for text, never a formula."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """The table as CSV bytes: BOM, headers, one CRLF-ended row per row, every text cell inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([inert(cell) for cell in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
