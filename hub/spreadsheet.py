"""CSV for Excel and WPS: UTF-8 with a byte-order mark, CRLF rows, and no cell that a spreadsheet runs.

A text cell that begins with = + - @ (or a tab or carriage return before one) is a formula to Excel and WPS
(OWASP's "CSV injection"): `=HYPERLINK(...)` in a unit's or a person's name would run when a supervisor
opens the export. Such a cell is written with a leading apostrophe, which the spreadsheet shows as text.
Numbers are written as they are.
"""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
