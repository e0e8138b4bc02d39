"""A unit that leaves the directory takes its people with it: their web sessions, API tokens and sign-in stop
working, and its system account answers nothing; when it comes back, only an administrator lets its staff in."""

import json

import pytest
from conftest import csrf_of, example, multipart, post_login, sign_in, submit
from sqlalchemy import select, update

from hub.auth.service import grant_token, unit_system_user
from hub.db import unit_of_work
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.directory.service import sync_directory
from hub.errors import Conflict, Forbidden
from hub.models import ApiToken, AuditEvent, Unit, User, WebSession

UNIT, STAFF = "housing-fund", "staff-housing-fund"


def sync(hub, *, without: str | None = None) -> None:
    """Load the bundled directory, less the unit `without`, as `hub sync` does at start."""
    directory = load_directory(BUNDLED_DIRECTORY)
    units = [u for u in directory.units if u.code != without]
    with unit_of_work(hub.sessions) as session:
        sync_directory(session, directory=directory.model_copy(update={"units": units}))


@pytest.fixture
def working(visitor, token, hub):
    """The housing fund's staff at work: a web session, an API token, a task, and the unit's system account."""
    freeze = submit(visitor, token("officer"), "request-freeze.xml")
    [task] = freeze["tasks"]
    bearer = token(STAFF)
    assert visitor.get(f"/api/v1/tasks/{task['id']}", headers=bearer).status_code == 200
    sign_in(visitor, STAFF)
    assert visitor.get("/inbox").status_code == 200
    with unit_of_work(hub.sessions) as session:
        unit_system_user(session, unit_code=UNIT, unit_name="住房公积金")
    return task, bearer


def assert_shut_out(visitor, hub, task: dict, bearer: dict[str, str]) -> None:
    """The staff's browser is sent to sign in, their token answers 401, the sign-in is refused, and the
    unit's system account is refused."""
    page = visitor.get("/inbox")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    for response in (
        visitor.get(f"/api/v1/tasks/{task['id']}", headers=bearer),
        visitor.get(f"/api/v1/units/{UNIT}/tasks", headers=bearer),
        visitor.post(
            f"/api/v1/tasks/{task['id']}/receipts",
            files=multipart(example("receipt-controlled.xml"), "receipt.pdf"),
            headers=bearer,
        ),
    ):
        assert response.status_code == 401, response.text
    refused = post_login(visitor, STAFF)
    assert refused.status_code == 401 and "用户名或密码不正确" in refused.text
    with unit_of_work(hub.sessions) as session, pytest.raises(Forbidden):
        unit_system_user(session, unit_code=UNIT, unit_name="住房公积金")


def test_a_unit_dropped_from_the_directory_shuts_its_people_out(visitor, hub, working):
    task, bearer = working
    sync(hub, without=UNIT)
    assert_shut_out(visitor, hub, task, bearer)
    with unit_of_work(hub.sessions) as session:
        users = session.execute(select(User).where(User.unit_code == UNIT)).scalars().all()
        assert {u.username for u in users} == {STAFF, f"{UNIT}.system"}
        assert not any(u.active for u in users)
        ids = [u.id for u in users]
        open_sessions = session.execute(
            select(WebSession).where(WebSession.user_id.in_(ids), WebSession.ended_at.is_(None))
        ).all()
        live_tokens = session.execute(
            select(ApiToken).where(ApiToken.user_id.in_(ids), ApiToken.revoked_at.is_(None))
        ).all()
        assert open_sessions == [] and live_tokens == []
        [event] = session.execute(
            select(AuditEvent).where(AuditEvent.kind == "unit.users_deactivated")
        ).scalars()
    assert event.entity_id == UNIT
    assert json.loads(event.data) == {
        "usernames": [f"{UNIT}.system", STAFF],
        "sessions_ended": 1,
        "tokens_revoked": 1,
    }


def test_a_unit_made_inactive_by_hand_shuts_its_people_out(visitor, hub, working):
    task, bearer = working
    with unit_of_work(hub.sessions) as session:  # straight in the database: the users are left active
        session.execute(update(Unit).where(Unit.code == UNIT).values(active=False))
    assert_shut_out(visitor, hub, task, bearer)
    with unit_of_work(hub.sessions) as session, pytest.raises(Conflict, match="not active"):
        staff = session.execute(select(User).where(User.username == STAFF)).scalar_one()
        grant_token(session, user_id=staff.id, label="after", actor="cli")  # no new token either


def test_when_the_unit_comes_back_an_administrator_lets_its_staff_in(visitor, hub, working):
    task, bearer = working
    sync(hub, without=UNIT)
    sync(hub)
    with unit_of_work(hub.sessions) as session:
        assert session.get(Unit, UNIT).active
        system = session.execute(select(User).where(User.username == f"{UNIT}.system")).scalar_one()
        assert system.active  # it has no password or token: the unit's channels work again
        unit_system_user(session, unit_code=UNIT, unit_name="住房公积金")
    assert post_login(visitor, STAFF).status_code == 401  # the staff wait for an administrator

    sign_in(visitor, "admin")
    users = visitor.get("/admin/users").text
    with unit_of_work(hub.sessions) as session:
        staff_id = session.execute(select(User.id).where(User.username == STAFF)).scalar_one()
    action = f"/admin/users/{staff_id}/reactivate"
    assert action in users
    done = visitor.post(action, data={"csrf": csrf_of(users)})
    assert done.status_code == 303 and done.headers["location"] == "/admin/users?done=reactivated"
    assert post_login(visitor, STAFF).status_code == 303
    assert visitor.get(f"/api/v1/tasks/{task['id']}", headers=bearer).status_code == 401  # stays revoked


def test_staff_of_a_unit_still_gone_cannot_be_reactivated(visitor, hub, working):
    sync(hub, without=UNIT)
    sign_in(visitor, "admin")
    users = visitor.get("/admin/users").text
    with unit_of_work(hub.sessions) as session:
        staff_id = session.execute(select(User.id).where(User.username == STAFF)).scalar_one()
    assert f"/admin/users/{staff_id}/reactivate" not in users and "所属单位已停用" in users
    refused = visitor.post(f"/admin/users/{staff_id}/reactivate", data={"csrf": csrf_of(users)})
    assert refused.status_code == 409 and "请先恢复单位" in refused.text
