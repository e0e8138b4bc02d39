"""Controls made before the hub (on paper, or in another system), imported so that the hub watches them for
expiry and they are renewed and released through it like any other.

An officer (for his court) or an administrator (for the court he names) imports a CSV file (import_file.py:
the columns, and each row read). `check_import` checks every row as a request would be checked and plans
the import; `import_controls` writes it. A file with any problem is refused whole, every problem named by
row and column, and nothing is written.

What each row is checked against: the unit is in the directory (by code or name), active, performs the
action and holds the asset class; the officer named (by default the one importing, or the one the
administrator names) is an active officer of the court; the period is running today (a control that has
ended is not imported, nor one that starts later); no other row of the file names the same unit,
registration number and asset; and the request the row stands for passes `inspect`, the standard's rules
(which action applies to which class, an amount where money is frozen, the legal longest period, the
subject's ID check digits), so that the rules are the standard's own, not written again here.

Importing the same file again makes no second control: a row whose unit, registration number and asset
are those of a control of the court already in the hub (imported or not, in any status) is skipped and
said so, without further checks (a control imported last year may have ended since). Another court's
control of that registration is refused. Two imports of one row at the same moment meet on the request's
number, derived from the court, unit, registration number and asset: the second is refused (Conflict).

What the hub writes for a row is what it would have had, had the control been made through it: its request
(origin "imported"), task, receipt and control (import_records.py). One audit event, controls.imported,
records the file (its sha256; the file is kept as a blob), the controls made and the rows skipped.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.audit import record
from hub.auth.service import Principal
from hub.blobs import BlobStore
from hub.clock import SHANGHAI
from hub.config import Settings
from hub.controls.import_file import HEADERS, FileRow, ImportProblem, read_file
from hub.controls.import_records import Importing, Record, request_record, write_record
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.models import Control, Court, Unit, User
from hub.standard.labels import label, label_of
from hub.standard.notice import chinese_date
from hub.standard.rules import inspect
from hub.standard.xml import DocumentError, Problem

MAX_LISTED = 200  # problems listed at most: a bad file of 2,000 rows can have ten thousand


@dataclass(frozen=True)
class PlannedRow:
    """A row of a file without problems: the control it makes, or the one the hub has already (skipped)."""

    row: FileRow
    unit: Unit
    officer: User | None  # None when skipped
    record: Record | None  # None when skipped
    existing: Control | None = None


@dataclass
class ImportPlan:
    court: Court
    importer: Principal
    importer_name: str  # as the records name who imported them
    officer: User  # the officer of a row that names none
    filename: str
    sha256: str
    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def new(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.existing is None]

    @property
    def skipped(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.existing is not None]


@dataclass(frozen=True)
class ImportResult:
    controls: list[Control]
    skipped: list[PlannedRow]


def check_import(
    session: Session,
    *,
    data: bytes,
    filename: str,
    court_code: str,
    importer: Principal,
    officer: str | None,
    settings: Settings,
    at: datetime,
) -> ImportPlan:
    """Read and check an import file for `court_code` as `importer` (an officer of that court, or an
    administrator). `officer` is the username of the officer for rows that name none; None: the importer.

    Raises Forbidden for an importer who may not import for that court, NotFound for an unknown court,
    Invalid for an `officer` who is not an active officer of it. Everything wrong with the file is in the
    plan's problems (empty: it can be imported). Reads only.
    """
    if importer.role != "admin" and (importer.role != "officer" or importer.court_code != court_code):
        raise Forbidden("Only an officer of the court, or an administrator, imports its controls.")
    court = session.get(Court, court_code)
    if court is None:
        raise NotFound(f"There is no court {court_code!r} in the directory.", code="no_such_court")
    username = officer or importer.username
    default = _officers(session, court_code, {username}).get(username)
    if default is None:
        raise Invalid(
            f"{username!r} is not an active officer of court {court_code}: name one of its officers.",
            code="not_an_officer",
        )
    name = session.get_one(User, importer.user_id).display_name
    plan = ImportPlan(court, importer, name, default, filename, hashlib.sha256(data).hexdigest())
    rows, plan.problems = read_file(data)
    if plan.problems:
        return plan
    units = {u.code: u for u in session.execute(select(Unit)).scalars()}
    named = {u.name: u for u in units.values()}
    officers = _officers(session, court_code, {r.officer for r in rows if r.officer})
    existing = _existing(session, rows, units, named)
    seen: dict[tuple[str, str, str], int] = {}
    for row in rows:
        readable = not row.problems  # every value read: the request it stands for can be written
        unit = units.get(row.unit) or named.get(row.unit)
        if unit is None and row.unit:
            row.refuse(
                "unit",
                f"{row.unit!r} is not a unit of the directory: write its code or its name",
                f"协助单位“{row.unit}”不在联动单位名录中，请填写单位代码或名称。",
            )
        key = (unit.code, row.registration_no, row.asset_id) if unit and row.registration_no else None
        if key is not None and key in seen:
            row.refuse(
                "registration_no",
                f"line {seen[key]} names the same unit, registration no. and asset",
                f"与第 {seen[key]} 行重复（同一协助单位、登记编号和财产）。",
            )
        elif key is not None:
            seen[key] = row.row
        there = existing.get(key) if key else None
        if there is not None and there.court_code == court_code:
            if not row.problems:
                plan.rows.append(PlannedRow(row, unit, None, None, there))
            continue
        if there is not None:
            row.refuse(
                "registration_no",
                "this registration number of the unit cannot be imported for this court: check it with the unit",
                "该单位的这一登记编号不能由本院补录，请与该单位核对登记编号。",
            )
        responsible = _responsible(row, officers, default, court)
        if unit is not None:
            _check_unit(row, unit)
        _check_period(row, at)
        if not readable or unit is None or responsible is None:
            continue
        made = request_record(court, row, unit, responsible, by=name, at=at)
        try:  # the standard's rules, whatever else is wrong with the row: every problem is named at once
            inspect(made.document, expect="request", fund_account_years=settings.fund_account_period_years)
        except DocumentError as exc:
            row.problems += [_from_standard(row.row, problem) for problem in exc.problems]
        if not row.problems:
            plan.rows.append(PlannedRow(row, unit, responsible, made))
    plan.problems = _listed([p for row in rows for p in row.problems])
    if plan.problems:
        plan.rows = []
    return plan


def _officers(session: Session, court_code: str, usernames: set[str]) -> dict[str, User]:
    """The active officers of the court among `usernames`, by username."""
    if not usernames:
        return {}
    users = session.execute(
        select(User).where(
            User.username.in_(usernames),
            User.role == "officer",
            User.court_code == court_code,
            User.active.is_(True),
        )
    ).scalars()
    return {u.username: u for u in users}


def _existing(
    session: Session, rows: list[FileRow], units: dict[str, Unit], named: dict[str, Unit]
) -> dict[tuple[str, str, str], Control]:
    """The controls the hub has of the rows' units and registration numbers, by (unit, number, asset);
    the first of a renewal chain (they share the number)."""
    codes = {u.code for r in rows if (u := units.get(r.unit) or named.get(r.unit))}
    numbers = {r.registration_no for r in rows if r.registration_no}
    if not codes or not numbers:
        return {}
    found: dict[tuple[str, str, str], Control] = {}
    for control in session.execute(
        select(Control)
        .where(Control.unit_code.in_(codes), Control.registration_no.in_(numbers))
        .order_by(Control.id)
    ).scalars():
        found.setdefault((control.unit_code, control.registration_no or "", control.asset_id), control)
    return found


def _responsible(row: FileRow, officers: dict[str, User], default: User, court: Court) -> User | None:
    if not row.officer:
        return default
    found = officers.get(row.officer)
    if found is None:
        row.refuse(
            "officer",
            f"{row.officer!r} is not an active officer of court {court.code}",
            f"“{row.officer}”不是本院（{court.name}）在职的执行法官用户名。",
        )
    return found


def _check_unit(row: FileRow, unit: Unit) -> None:
    if not unit.active:
        row.refuse("unit", f"unit {unit.code} is no longer active", f"{unit.name}已不在联动单位名录中。")
        return
    if row.action is not None and str(row.action) not in unit.actions:
        row.refuse(
            "action",
            f"unit {unit.code} does not perform {row.action}; it performs {', '.join(unit.actions)}",
            f"{unit.name}不办理{label(row.action)}。",
        )
    if row.asset_class is not None and unit.asset_classes and str(row.asset_class) not in unit.asset_classes:
        held = "、".join(label_of("AssetClass", c) for c in unit.asset_classes)
        row.refuse(
            "asset_class",
            f"unit {unit.code} holds no {row.asset_class}; it holds {', '.join(unit.asset_classes)}",
            f"{unit.name}不登记{label(row.asset_class)}，只登记{held}。",
        )


def _check_period(row: FileRow, at: datetime) -> None:
    today = at.astimezone(SHANGHAI).date()
    if row.end is not None and row.end < today:
        row.refuse(
            "end",
            f"the control ended on {row.end}: only controls in force are imported",
            f"届满日{chinese_date(row.end)}已过：已到期的措施不再补录。",
        )
    if row.start is not None and row.start > today:
        row.refuse(
            "start",
            f"the period starts on {row.start}, after today: only controls already made are imported",
            f"起始日{chinese_date(row.start)}在今天之后：补录的是已经采取的措施。",
        )


def _from_standard(row: int, problem: Problem) -> ImportProblem:
    """A problem `inspect` found in a row's request, named by the row's column."""
    path, message = problem.path, problem.message
    if "Period" in path:
        key = "end"
    elif "Amount" in path or "<Amount>" in message:
        key = "amount"
    elif "AssetClass" in path:
        key = "asset_class"
    elif "Subject" in path or "IdNumber" in path:
        key = "id_type" if "cannot have IdType" in message else "id_number"
    else:
        key = next((k for k, tag in STANDARD_COLUMNS.items() if tag in path), "")
    return ImportProblem(row, HEADERS.get(key), message)


STANDARD_COLUMNS = {
    "asset_id": "AssetId",
    "description": "Description",
    "case_no": "CaseNo",
    "subject_name": "Name",
    "unit": "Targets",
}


def _listed(problems: list[ImportProblem]) -> list[ImportProblem]:
    if len(problems) <= MAX_LISTED:
        return problems
    more = len(problems) - MAX_LISTED
    return [
        *problems[:MAX_LISTED],
        ImportProblem(
            None,
            None,
            f"{more} more problems not listed: correct these first",
            f"另有 {more} 处问题未列出，请先改正以上问题。",
        ),
    ]


# --- writing the plan ---------------------------------------------------------------------------------


def import_controls(
    session: Session, *, plan: ImportPlan, data: bytes, blobs: BlobStore, actor: str, at: datetime
) -> ImportResult:
    """Write the controls `plan` makes (it must have no problems) with their records (import_records.py);
    `data` is the file planned, kept as a blob. Flushes, never commits; raises Conflict when a concurrent
    import made one of the rows' records meanwhile."""
    if plan.problems:
        raise ValueError("a plan with problems is refused whole: nothing to import")
    blobs.put(session, data)
    importing = Importing(
        plan.court, plan.importer.user_id, plan.importer_name, plan.sha256, blobs, actor, at
    )
    controls = []
    try:
        for planned in plan.new:
            assert planned.officer is not None and planned.record is not None
            controls.append(
                write_record(
                    session,
                    importing,
                    row=planned.row,
                    unit=planned.unit,
                    officer=planned.officer,
                    made=planned.record,
                )
            )
    except IntegrityError:
        raise Conflict(
            "Another import has just made some of these controls: check the file again.",
            code="import_conflict",
        ) from None
    record(
        session,
        actor=actor,
        kind="controls.imported",
        entity="court",
        entity_id=plan.court.code,
        data={
            "file": plan.filename,
            "sha256": plan.sha256,
            "officer": plan.officer.username,
            "controls": {str(p.row.row): c.id for p, c in zip(plan.new, controls, strict=True)},
            "skipped": {str(p.row.row): p.existing.id for p in plan.skipped if p.existing},
        },
    )
    return ImportResult(controls, plan.skipped)
