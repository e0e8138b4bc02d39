"""Import files of controls made before the hub, for the tests of the import (tests/controls, tests/cli,
tests/web): a row of the template's columns with the values of a housing-fund freeze made 300 days ago,
files of such rows, and the import checked and run as the service runs it."""

import csv
import io
from datetime import timedelta

from hub.auth.service import principal, user_by_name
from hub.clock import now, today_shanghai
from hub.context import Hub
from hub.controls.import_file import COLUMNS
from hub.controls.import_records import record_no
from hub.controls.imports import ImportPlan, ImportResult, check_import, import_controls
from hub.db import unit_of_work
from hub.standard.codes import period_end

HEADERS = [column.header for column in COLUMNS]
REGISTRATION = "GJJ-DJ-2025-0017"
ACCOUNT = "220100987654321"
WANG_WU = "22242619790605003X"  # a valid resident ID
BL = record_no("J2426", "housing-fund", REGISTRATION, ACCOUNT)  # the RequestNo of row()'s record


def started() -> tuple[str, str]:
    """A one-year period that began 300 days ago (it ends in about 65 days)."""
    start = today_shanghai() - timedelta(days=300)
    return start.isoformat(), period_end(start, 1).isoformat()


def row(**values: str) -> dict[str, str]:
    """A row by column header: the housing fund's freeze of 王五's account, changed by `values` (by key)."""
    start, end = started()
    by_key = {
        "unit": "housing-fund",
        "action": "冻结",
        "asset_class": "住房公积金账户",
        "asset_id": ACCOUNT,
        "description": "",
        "registration_no": REGISTRATION,
        "start": start,
        "end": end,
        "amount": "30000.00",
        "case_no": "（2025）吉2426执17号",
        "subject_name": "王五",
        "subject_kind": "",
        "id_type": "居民身份证",
        "id_number": WANG_WU,
        "ruling_no": "（2025）吉2426执17号之一",
        "officer": "",
    }
    by_key.update(values)
    return {column.header: by_key[column.key] for column in COLUMNS}


def seal_row(**values: str) -> dict[str, str]:
    """The real-estate registry's seal of a flat of 王五, three years from 300 days ago."""
    start = today_shanghai() - timedelta(days=300)
    seal = {
        "unit": "安图县不动产登记中心",
        "action": "查封",
        "asset_class": "不动产",
        "asset_id": "222426001001GB00012F00010099",
        "description": "兴安小区5号楼1单元101室",
        "registration_no": "BDC-CF-2025-0099",
        "end": period_end(start, 3).isoformat(),
        "amount": "",
    }
    return row(**(seal | values))


def csv_of(*rows: dict[str, str], encoding: str = "utf-8-sig", headers: list[str] | None = None) -> bytes:
    """The rows as a CSV file of the template's headers (or `headers`), CRLF lines as Excel writes them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers or HEADERS)
    writer.writerows([r.get(h, "") for h in headers or HEADERS] for r in rows)
    return out.getvalue().encode(encoding)


def checked(
    hub: Hub, data: bytes, *, as_user: str = "officer", court: str = "J2426", officer: str | None = None
) -> ImportPlan:
    with unit_of_work(hub.sessions) as session:
        user = user_by_name(session, as_user)
        assert user is not None
        return check_import(
            session,
            data=data,
            filename="补录.csv",
            court_code=court,
            importer=principal(user),
            officer=officer,
            settings=hub.settings,
            at=now(),
        )


def imported(hub: Hub, data: bytes, *, as_user: str = "officer") -> ImportResult:
    """The file checked and imported by `as_user` for court J2426; it must have no problems."""
    with unit_of_work(hub.sessions) as session:
        user = user_by_name(session, as_user)
        assert user is not None
        at = now()
        plan = check_import(
            session,
            data=data,
            filename="补录.csv",
            court_code="J2426",
            importer=principal(user),
            officer=None,
            settings=hub.settings,
            at=at,
        )
        assert not plan.problems, [str(p) for p in plan.problems]
        result = import_controls(
            session, plan=plan, data=data, blobs=hub.blobs, actor=f"user:{as_user}", at=at
        )
        session.expunge_all()
        return result
