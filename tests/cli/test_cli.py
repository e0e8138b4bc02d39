"""The `hub` command as an administrator runs it against a real database, in the test's process
(cli_support.invoke: the installed entry point's app, its exit code, stdout and stderr).

One test starts `hub` as a process of its own: serve refusing the default secret outside demo mode, where
the point is the installed entry point starting and the process ending with a non-zero status."""

import json
import re
from datetime import date
from pathlib import Path

import pytest
from cli_support import invoke, run_process
from conftest import example, multipart
from sqlalchemy import func, select, text

from hub.auth.service import unit_system_user
from hub.db import make_engine, make_sessionmaker, unit_of_work
from hub.directory.loader import BUNDLED_DIRECTORY
from hub.models import AuditEvent, CalendarDay, User
from schemas import EXAMPLES_DIR

PROBLEM_LINE = re.compile(r"^(\d+):(\d+) (/\S*) (.+)$")


@pytest.fixture
def run_hub(database_url, tmp_path):
    """run_hub(ARGS) -> `hub ARGS` in demo mode against the test's database."""
    env = {"HUB_DATABASE_URL": database_url, "HUB_DATA_DIR": str(tmp_path), "HUB_DEMO": "1"}
    return lambda *args: invoke(*args, env=env)


def without_database(data_dir: Path) -> dict[str, str]:
    """The settings of a command that opens no database (validate, serve refusing to start)."""
    return {"HUB_DATABASE_URL": f"sqlite:///{data_dir / 'unused.db'}", "HUB_DATA_DIR": str(data_dir)}


@pytest.fixture
def validate(tmp_path):
    """validate(FILE) -> `hub validate FILE`, in demo mode."""
    return lambda file: invoke("validate", str(file), env={**without_database(tmp_path), "HUB_DEMO": "1"})


@pytest.fixture
def db(database_url):
    """A session factory on the test database, for setting up and inspecting rows as an administrator would."""
    engine = make_engine(database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def line_of(document: str, needle: str) -> int:
    """The 1-based line of the first occurrence of needle."""
    return document[: document.index(needle)].count("\n") + 1


def problems(stdout: str) -> list[tuple[int, str, str]]:
    """Each stdout line as (line, path, message); every line must have the documented shape."""
    found = []
    for row in stdout.splitlines():
        match = PROBLEM_LINE.match(row)
        assert match, f"not a 'line:column path message' line: {row!r}"
        found.append((int(match[1]), match[3], match[4]))
    return found


# --- hub validate


def test_validate_accepts_every_example(validate):
    names = sorted(p.name for p in EXAMPLES_DIR.glob("*.xml"))
    assert any(n.startswith("request-") for n in names) and any(n.startswith("receipt-") for n in names)
    failed = {}
    for name in names:
        result = validate(EXAMPLES_DIR / name)
        if result.exit_code != 0 or result.stdout.strip():
            failed[name] = (result.exit_code, result.stdout, result.stderr)
    assert failed == {}


def broken(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> tuple[Path, str]:
    document = example("request-freeze.xml").decode()
    for old, new in replacements:
        assert old in document
        document = document.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(document, encoding="utf-8")
    return path, document


def test_validate_wrong_check_digit(validate, tmp_path):
    path, document = broken(tmp_path, "id.xml", ("222426198503120413", "222426198503120414"))
    result = validate(path)
    assert result.exit_code == 1
    [(line, where, message)] = problems(result.stdout)
    assert line == line_of(document, "<IdNumber>")
    assert where == "/AssistanceRequest/Subject/IdNumber"
    assert "222426198503120414" in message and "check digit" in message


def test_validate_unknown_action(validate, tmp_path):
    path, document = broken(tmp_path, "action.xml", ("<Action>FREEZE", "<Action>CONFISCATE"))
    result = validate(path)
    assert result.exit_code == 1
    [(line, where, message)] = problems(result.stdout)
    assert (line, where) == (line_of(document, "<Action>"), "/AssistanceRequest/Action")
    assert "CONFISCATE" in message


def test_validate_not_well_formed(validate, tmp_path):
    path, document = broken(tmp_path, "tags.xml", ("</CaseNo>", "</CaseNumber>"))
    result = validate(path)
    assert result.exit_code == 1
    [(line, where, message)] = problems(result.stdout)
    assert (line, where) == (line_of(document, "<CaseNo>"), "/")
    assert "well-formed" in message


def test_validate_prints_each_problem_on_its_own_line(validate, tmp_path):
    # Two breaches of the rules past the schema: a wrong check digit and a fund account frozen 2 years.
    path, document = broken(
        tmp_path,
        "two.xml",
        ("222426198503120413", "222426198503120414"),
        ('end="2027-11-26"', 'end="2028-11-26"'),
    )
    result = validate(path)
    assert result.exit_code == 1
    found = problems(result.stdout)
    assert [(line, where) for line, where, _ in found] == [
        (line_of(document, "<IdNumber>"), "/AssistanceRequest/Subject/IdNumber"),
        (line_of(document, "<Period "), "/AssistanceRequest/Items/Item/Period"),
    ]
    assert "2028-11-26" in found[1][2]


def test_validate_missing_file(validate, tmp_path):
    result = validate(tmp_path / "no-such-request.xml")
    assert result.exit_code == 1
    [(_, _, message)] = problems(result.stdout)
    assert "no-such-request.xml" in message


# --- hub calendar due


def test_calendar_due_after_national_day(run_hub):
    # Wed 2026-09-30, 1 working day: 10-01..10-07 are the National Day holiday, Thu 10-08 is working.
    result = run_hub("calendar", "due", "2026-09-30", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "2026-10-08T23:59:59+08:00\n"


def test_calendar_due_on_adjusted_working_saturday(run_hub):
    # Fri 2026-02-13: Sat 02-14 is a working day adjusted for the Spring Festival.
    assert date(2026, 2, 14).weekday() == 5
    result = run_hub("calendar", "due", "2026-02-13", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "2026-02-14T23:59:59+08:00"


def test_calendar_due_in_year_without_official_data_is_provisional(run_hub):
    # 2027-01-01 (Friday) is New Year's Day, 01-02/01-03 the weekend: the first working day is Mon 01-04.
    assert [date(2027, 1, d).weekday() for d in (1, 2, 3, 4)] == [4, 5, 6, 0]
    result = run_hub("calendar", "due", "2026-12-31", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "2027-01-04T23:59:59+08:00 provisional"


def test_calendar_override_changes_the_answer(run_hub, db):
    with unit_of_work(db) as session:
        session.add(CalendarDay(day=date(2026, 10, 8), working=False, note="test: closed"))
    result = run_hub("calendar", "due", "2026-09-30", "1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "2026-10-09T23:59:59+08:00"


def test_calendar_set_by_the_administrator_moves_a_due_date(run_hub):
    assert run_hub("calendar", "set", "2026-10-08", "off", "--note", "本地调整").exit_code == 0
    assert run_hub("calendar", "due", "2026-09-30", "1").stdout.strip() == "2026-10-09T23:59:59+08:00"
    # a working Saturday declared in a year without official data; 2027-01-01 is still off by rule
    assert run_hub("calendar", "set", "2027-01-02", "working").exit_code == 0
    due = run_hub("calendar", "due", "2026-12-31", "1").stdout.strip()
    assert due == "2027-01-02T23:59:59+08:00 provisional"
    refused = run_hub("calendar", "set", "2027-01-03", "holiday")
    assert refused.exit_code == 2 and "working or off" in refused.stderr


# --- hub token issue


def test_token_issue_prints_a_working_token(run_hub, client):
    result = run_hub("token", "issue", "officer")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hub_") and " " not in lines[0]
    ok = client.get("/api/v1/requests", headers={"Authorization": f"Bearer {lines[0]}"})
    assert ok.status_code == 200, ok.text
    forged = client.get("/api/v1/requests", headers={"Authorization": f"Bearer {lines[0]}x"})
    assert forged.status_code == 401


def test_token_issue_unknown_user(run_hub):
    result = run_hub("token", "issue", "nobody")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "nobody" in result.stderr


def test_token_issue_is_audited_and_refused_as_on_the_administrators_page(run_hub, db):
    issued = run_hub("token", "issue", "staff-vehicles", "--label", "registry front-end")
    assert issued.exit_code == 0, issued.stderr
    with unit_of_work(db) as session:
        event = session.execute(select(AuditEvent).where(AuditEvent.kind == "token.issued")).scalar_one()
        system = unit_system_user(session, unit_code="vehicles", unit_name="车辆登记")
        inactive = session.execute(select(User).where(User.username == "supervisor")).scalar_one()
        inactive.active = False
    assert (event.actor, json.loads(event.data)) == (
        "cli",
        {"username": "staff-vehicles", "label": "registry front-end"},
    )

    for username, reason in ((system.username, "system account"), ("supervisor", "not active")):
        refused = run_hub("token", "issue", username)
        assert refused.exit_code == 1 and refused.stdout == ""
        assert username in refused.stderr and reason in refused.stderr
    with unit_of_work(db) as session:
        assert (
            session.execute(select(func.count()).where(AuditEvent.kind == "token.issued")).scalar_one() == 1
        )


# --- hub units


def test_units_list_json(run_hub):
    result = run_hub("units", "list", "--json")
    assert result.exit_code == 0, result.stderr
    units = json.loads(result.stdout)
    assert len(units) == 41
    codes = [u["code"] for u in units]
    assert all(codes) and len(set(codes)) == 41
    real_estate = next(u for u in units if u["code"] == "real-estate")
    assert real_estate["name"] == "安图县不动产登记中心"


def test_units_list_table(run_hub):
    result = run_hub("units", "list")
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "安图县不动产登记中心" in rows["real-estate"] and "ckw" in rows["real-estate"]  # its system polls
    assert "inbox" in rows["forestry"]


def test_units_list_table_shows_every_code_in_full(run_hub):
    """Piped to a file or grep (no terminal), each unit's code must still be readable in full."""
    codes = [u["code"] for u in json.loads(run_hub("units", "list", "--json").stdout)]
    listing = run_hub("units", "list").stdout
    shown = set(re.findall(r"[a-z0-9][a-z0-9-]+", listing))
    assert [code for code in codes if code not in shown] == []


def test_units_check(run_hub, tmp_path):
    good = run_hub("units", "check", str(BUNDLED_DIRECTORY))
    assert good.exit_code == 0, good.stdout + good.stderr
    assert "41 unit(s)" in good.stdout

    source = BUNDLED_DIRECTORY.read_text(encoding="utf-8")
    start = source.index('code = "forestry"')
    kind = source.index('channel.kind = "inbox"', start)
    assert kind < source.index("[[units]]", start)  # forestry's own channel
    broken_file = tmp_path / "units.toml"
    broken_file.write_text(
        source[:kind] + 'channel.kind = "carrier-pigeon"' + source[kind + len('channel.kind = "inbox"') :],
        encoding="utf-8",
    )
    bad = run_hub("units", "check", str(broken_file))
    assert bad.exit_code == 1
    assert "forestry" in bad.stdout + bad.stderr
    assert "valid" not in bad.stdout


# --- hub seed


def test_seed_demo_is_idempotent(run_hub, db):
    with unit_of_work(db) as session:
        before = set(session.execute(select(User.username)).scalars())
        session.execute(text("DELETE FROM users WHERE username IN ('admin', 'staff-forestry')"))
    assert {"admin", "staff-forestry"} <= before

    first = run_hub("seed", "--demo")
    assert first.exit_code == 0, first.stderr
    with unit_of_work(db) as session:
        after_first = {u.username: u.id for u in session.execute(select(User)).scalars()}
        events = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert set(after_first) == before  # the two missing accounts are back, nothing else added

    second = run_hub("seed", "--demo")
    assert second.exit_code == 0, second.stderr
    with unit_of_work(db) as session:
        after_second = {u.username: u.id for u in session.execute(select(User)).scalars()}
        assert session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == events
    assert after_second == after_first


# --- hub serve


def test_serve_refuses_the_default_secret_outside_demo_mode(tmp_path):
    result = run_process("serve", "--port", "18765", env=without_database(tmp_path), timeout=30)
    assert result.returncode != 0
    assert "HUB_SECRET_KEY" in result.stderr + result.stdout


# --- hub audit verify


def test_audit_verify(run_hub, db, client, token):
    fresh = run_hub("audit", "verify")
    assert fresh.exit_code == 0, fresh.stdout + fresh.stderr

    submitted = client.post(
        "/api/v1/requests",
        files=multipart(example("request-freeze.xml"), "ruling.pdf", "notice.pdf"),
        headers=token("officer"),
    )
    assert submitted.status_code == 201, submitted.text
    with unit_of_work(db) as session:
        events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
    assert [e.kind for e in events[-2:]] == ["request.received", "task.served"]
    intact = run_hub("audit", "verify")
    assert intact.exit_code == 0, intact.stdout + intact.stderr
    assert str(len(events)) in intact.stdout

    received = events[-2]
    with unit_of_work(db) as session:
        session.execute(
            text("UPDATE audit_events SET data = :data WHERE seq = :seq"),
            {"data": received.data.replace("AT-2026-000123", "AT-2026-000999"), "seq": received.seq},
        )
    tampered = run_hub("audit", "verify")
    assert tampered.exit_code == 1
    assert re.search(rf"\bevent {received.seq}\b", tampered.stdout), tampered.stdout

    with unit_of_work(db) as session:
        session.execute(
            text("UPDATE audit_events SET data = :data WHERE seq = :seq"),
            {"data": received.data, "seq": received.seq},
        )
        session.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": events[-1].seq})
    truncated = run_hub("audit", "verify")
    assert truncated.exit_code == 1
    assert re.search(rf"\bevent {events[-1].seq}\b", truncated.stdout), truncated.stdout
