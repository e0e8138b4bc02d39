"""Who may do what (issue 6): every route of the application, for every caller, on its own object and on
another court's or unit's.

The routes come from the application's route table, the rules from tests/security/policies.py: a route
with no declared policy fails, so a new endpoint cannot ship open. Each case calls the route once, on
data built once for the module: a freeze answered CONTROLLED, a seal answered WAITLISTED and an open,
overdue freeze of court J2426 (the housing fund's and the real-estate registry's tasks), with the alerts
they caused. The callers are the role's user of that court or unit ("own"), or of court J2401 or of the
vehicle registry ("other"), which own none of it.

- no credentials: 401 from the API, a redirect to /login from a page;
- a role the policy does not name: 403 on its own object; 403 or 404 on another's;
- another court's or unit's object: 403 or 404, and nothing of the object in the answer (its RequestNo,
  case number, debtor's name and ID number, receipt and registration numbers);
- a list: another court's or unit's caller gets an answer without any of it;
- a role the policy names, on its own object: neither 401, 403 nor 404, and never a 5xx (an empty or
  minimal body may well be refused as invalid: that is the body's fault, not the caller's).
"""

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from conftest import (
    MailCatcher,
    cloned_database,
    edited,
    example,
    listed_files,
    login_fields,
    multipart,
    post_receipt,
    submit,
)
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from images import jpeg, png
from policies import (
    ADMIN,
    ANONYMOUS,
    ANY,
    API,
    COURT,
    COURT_ROLES,
    LISTED,
    OFFICER,
    OWNERS,
    POLICIES,
    PUBLIC,
    ROLES,
    SOAP,
    STAFF,
    SUPERVISOR,
    SYSTEM,
    UNIT,
    WEB,
    Policy,
    owns,
)
from sqlalchemy import select, update

from hub.alerts.service import run_job
from hub.app import create_app
from hub.auth.cards import change_cards
from hub.auth.seed import DEMO_PASSWORD
from hub.auth.service import hash_password, issue_token, unit_system_user, user_by_name
from hub.clock import SHANGHAI, now
from hub.config import Settings
from hub.context import Hub
from hub.db import unit_of_work
from hub.models import ApiToken, Court, Task, Unit, User
from hub.web.session import COOKIE, sign_in, signed_in

pytestmark = pytest.mark.db

OWN_COURT, OTHER_COURT, OTHER_UNIT = "J2426", "J2401", "vehicles"
# What identifies the debtor and the cases: the example's debtor of request-freeze.xml in all three requests
# (the pages show request-seal.xml's as a placeholder, so it cannot tell a leak).
DEBTOR, DEBTOR_ID, CASE_NO = "李四", "222426198503120413", "（2026）吉2426执%d号"
SPARE = "spare-clerk"  # the account the administrator's forms act on, and the public sign-in signs in as
ENDS_SESSION = {("POST", "/logout")}  # tried with a session of its own
QUERIES = {("GET", "/debtors"): {"q": DEBTOR_ID}}  # a search that finds the debtor
# The lists whose own callers see the world's objects in them: so that "none of theirs" means something.
SHOW_THEIR_OWN = {
    ("GET", "/api/v1/requests"),
    ("GET", "/api/v1/controls"),
    ("GET", "/api/v1/alerts"),
    ("GET", "/api/v1/supervision/units"),
    ("GET", "/requests"),
    ("GET", "/controls"),
    ("GET", "/debtors"),
    ("GET", "/inbox"),
    ("GET", "/supervision"),
}


# --- the route table ------------------------------------------------------------------------------


def app_routes() -> list[tuple[str, str]]:
    """(method, path template) of every route the application answers, HEAD aside; a mount answers GET."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/routes.db", data_dir=Path(folder), demo=True)
        app = create_app(settings)
        try:
            found = {
                (method, route.path_format)
                for route in iter_route_contexts(app.routes)
                for method in (route.methods or {"GET"}) - {"HEAD"}
            }
        finally:
            app.state.hub.engine.dispose()
    return sorted(found, key=lambda key: (key[1], key[0]))


ROUTES = app_routes()


def test_every_route_has_a_declared_policy():
    missing = [f"{method} {path}" for method, path in ROUTES if (method, path) not in POLICIES]
    assert not missing, "routes with no policy in tests/security/policies.py: " + ", ".join(missing)


def test_every_policy_names_a_route():
    stale = [f"{method} {path}" for method, path in POLICIES if (method, path) not in ROUTES]
    assert not stale, "policies in tests/security/policies.py for no route: " + ", ".join(stale)


# --- the cases ----------------------------------------------------------------------------------


def test_policies_are_consistent():
    problems = []
    for (method, path), policy in POLICIES.items():
        where = f"{method} {path}"
        if policy.on is not None and policy.on not in OWNERS:
            problems.append(f"{where}: unknown object {policy.on!r}")
        for role, scope in policy.may.items():
            if role not in ROLES or role == ANONYMOUS:
                problems.append(f"{where}: {role!r} is not a role that signs in")
            if policy.face == WEB and role == SYSTEM:
                problems.append(f"{where}: a unit's system has no session for the pages")
            if scope in (COURT, UNIT) and not (
                owns(policy.on, role) and (role in COURT_ROLES) == (scope == COURT)
            ):
                problems.append(f"{where}: {role} cannot own a {policy.on} by {scope}")
            if scope == LISTED and policy.on is not None:
                problems.append(f"{where}: a list names no object")
            if scope not in (ANY, COURT, UNIT, LISTED):
                problems.append(f"{where}: unknown scope {scope!r}")
    assert not problems, "\n".join(problems)


ALLOWED, REFUSED, HIDDEN, NONE_OF_THEIRS, SIGN_IN = (
    "allowed",
    "refused",
    "hidden",
    "none-of-theirs",
    "sign-in",
)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    policy: Policy
    role: str
    whose: str  # own, other, any
    expect: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}-{self.role}-{self.whose}"


def cases_of(method: str, path: str, policy: Policy) -> Iterator[Case]:
    def case(role: str, whose: str, expect: str) -> Case:
        return Case(method, path, policy, role, whose, expect)

    if policy.face == PUBLIC:
        yield case(ANONYMOUS, "any", ALLOWED)
        return
    if policy.face == SOAP:
        return  # the usermarker in the body decides (tests/ckw)
    yield case(ANONYMOUS, "any", SIGN_IN)
    for role in (OFFICER, SUPERVISOR, STAFF, SYSTEM, ADMIN):
        scope = policy.may.get(role)
        if policy.face == WEB and role == SYSTEM:
            yield case(role, "any", SIGN_IN)  # its token opens no page
        elif role != ADMIN and (scope in (COURT, UNIT, LISTED) or (scope is None and owns(policy.on, role))):
            yield case(role, "own", ALLOWED if scope else REFUSED)
            yield case(role, "other", NONE_OF_THEIRS if scope == LISTED else HIDDEN)
        else:
            yield case(role, "any", ALLOWED if scope else REFUSED)


CASES = [
    case
    for method, path in ROUTES
    if (method, path) in POLICIES
    for case in cases_of(method, path, POLICIES[(method, path)])
]


# --- the data, built once ------------------------------------------------------------------------


@dataclass
class Bundle:
    """Objects of court J2426 as a path names them, the unit they concern, and what identifies them."""

    unit: str
    params: dict[str, str]
    secrets: tuple[str, ...]


@dataclass
class Web:
    cookie: str
    csrf: str


@dataclass
class World:
    client: TestClient
    hub: Hub
    bundles: dict[str, Bundle]
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)  # username -> bearer header
    sessions: dict[str, Web] = field(default_factory=dict)  # username -> signed-in browser

    @property
    def secrets(self) -> set[str]:
        return {s for bundle in self.bundles.values() for s in bundle.secrets}

    def open_session(self, username: str) -> Web:
        with unit_of_work(self.hub.sessions) as session:
            cookie = sign_in(
                session, settings=self.hub.settings, username=username, password=DEMO_PASSWORD, at=now()
            )
        with unit_of_work(self.hub.sessions) as session:
            user = signed_in(session, token=cookie, at=now())
        assert user is not None, username
        return Web(cookie, user.csrf_token)


def cst(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)


def add_accounts(hub: Hub) -> list[str]:
    """Court J2401 with an officer and a supervisor, the spare account, and the system accounts of the
    units the cases act as; the usernames that call with a token."""
    with unit_of_work(hub.sessions) as session:
        session.add(Court(code=OTHER_COURT, name="延吉市人民法院", supervisor_email="j2401@example.org"))
        session.flush()
        password = hash_password(DEMO_PASSWORD)
        for username, role, court in (
            ("officer-j2401", "officer", OTHER_COURT),
            ("supervisor-j2401", "supervisor", OTHER_COURT),
            (SPARE, "officer", OWN_COURT),
        ):
            user = User(
                username=username,
                display_name=username,
                role=role,
                court_code=court,
                password_hash=password,
                created_at=now(),
            )
            session.add(user)
        session.flush()
        systems = []
        for code in ("housing-fund", "real-estate", OTHER_UNIT):
            unit = session.get_one(Unit, code)
            systems.append(unit_system_user(session, unit_code=code, unit_name=unit.name).username)
    return [
        "officer",
        "supervisor",
        "admin",
        "officer-j2401",
        "supervisor-j2401",
        "staff-housing-fund",
        "staff-real-estate",
        f"staff-{OTHER_UNIT}",
        *systems,
    ]


def send(client: TestClient, headers: dict[str, str], document: bytes) -> dict:
    """Submit a request with the files it lists; it must be accepted."""
    files = multipart(document, *listed_files(document))
    response = client.post("/api/v1/requests", files=files, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def build(hub: Hub, client: TestClient) -> World:
    world = World(client, hub, {})
    for username in add_accounts(hub):
        with unit_of_work(hub.sessions) as session:
            user = user_by_name(session, username)
            world.tokens[username] = {"Authorization": f"Bearer {issue_token(session, user=user)}"}
    for username in (u for u in world.tokens if not u.endswith(".system")):
        world.sessions[username] = world.open_session(username)
    with unit_of_work(hub.sessions) as session:
        spare = user_by_name(session, SPARE)
        issue_token(session, user=spare, label="revoked by a case")
        cards = {"work_card": png(), "credential_card": jpeg()}  # the card images an administrator gets
        change_cards(session, blobs=hub.blobs, user_id=spare.id, actor="user:admin", images=cards)
        spare_token = session.execute(select(ApiToken).where(ApiToken.user_id == spare.id)).scalar_one()
        accounts = {"user_id": str(spare.id), "token_id": str(spare_token.id)}

    officer, admin = world.tokens["officer"], world.tokens["admin"]
    freeze = submit(client, officer, "request-freeze.xml")
    answered = post_receipt(
        client, world.tokens["staff-housing-fund"], freeze, example("receipt-controlled.xml")
    )
    [freeze_task] = freeze["tasks"]
    [delivery] = client.get(f"/api/v1/tasks/{freeze_task['id']}/deliveries", headers=admin).json()
    world.bundles["freeze"] = Bundle(
        "housing-fund",
        {
            "request_id": str(freeze["id"]),
            "task_id": str(freeze_task["id"]),
            "receipt_id": str(answered["receipt_id"]),
            "control_id": str(answered["controls"][0]["id"]),
            "delivery_id": str(delivery["id"]),
            "unit_code": "housing-fund",
            "id_number": DEBTOR_ID,
            "request_file": "ruling.pdf",
            "receipt_file": "receipt.pdf",
        },
        ("AT-2026-000123", CASE_NO % 123, DEBTOR, DEBTOR_ID, "HF-2026-8891", "GJJ-DJ-2026-0042"),
    )

    seal = send(
        client,
        officer,
        edited(example("request-seal.xml"), ("赵六", DEBTOR), ("22242619790605003X", DEBTOR_ID)),
    )
    waitlisted = post_receipt(
        client, world.tokens["staff-real-estate"], seal, example("receipt-waitlisted.xml")
    )
    world.bundles["waitlisted control"] = Bundle(
        "real-estate",
        {"task_id": str(seal["tasks"][0]["id"]), "control_id": str(waitlisted["controls"][0]["id"])},
        ("AT-2026-000102", CASE_NO % 156, DEBTOR, DEBTOR_ID, "RE-2026-0302", "BDC-CF-2026-0117"),
    )

    # An open freeze, overdue: the alerts of the housing fund's staff and of the officer, and a line
    # in the supervisor's list of overdue tasks.
    document = edited(
        example("request-freeze.xml"), ("AT-2026-000123", "AT-2026-000124"), ("执123号", "执124号")
    )
    overdue = send(client, officer, document)["tasks"][0]["id"]
    with unit_of_work(hub.sessions) as session:
        session.execute(
            update(Task)
            .where(Task.id == overdue)
            .values(served_at=cst("2026-11-20T10:00:00"), due_at=cst("2026-11-23T23:59:59"))
        )
    smtp = MailCatcher()
    smtp.start()
    try:
        hub.settings.smtp_host, hub.settings.smtp_port = smtp.host, smtp.port
        assert run_job(hub, "overdue", at=cst("2026-11-24T09:00:00")).sent == 2
    finally:
        smtp.stop()
    recipients = ("officer@example.org", "housing-fund.staff@example.org")  # whom the alerts went to
    world.bundles["overdue"] = Bundle("housing-fund", {}, ("AT-2026-000124", CASE_NO % 124, *recipients))
    world.bundles["accounts"] = Bundle("housing-fund", accounts, ())  # nobody's: the callers are the freeze's
    return world


@pytest.fixture(scope="module")
def world(template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("authorization")
    with cloned_database(template, folder) as url:
        settings = Settings(database_url=url, data_dir=folder / "data", demo=True, metrics_open=True)
        hub = Hub.from_settings(settings)
        try:
            with TestClient(create_app(settings, hub), follow_redirects=False) as client:
                yield build(hub, client)
        finally:
            hub.engine.dispose()


# --- one case ------------------------------------------------------------------------------------


def bundle_of(world: World, case: Case) -> Bundle:
    """The objects a case's path names: the waitlisted seal's, the spare account's, else the freeze's."""
    name = {"user": "accounts", "token": "accounts", "waitlisted control": "waitlisted control"}
    return world.bundles[name.get(case.policy.on or "", "freeze")]


def url_of(world: World, case: Case) -> str:
    params = bundle_of(world, case).params | {"path": "hub.css"}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "filename":
            return params["receipt_file" if "{receipt_id}" in case.path else "request_file"]
        return params[name]

    return re.sub(r"\{(\w+)\}", fill, case.path)


def caller(world: World, case: Case) -> str | None:
    """The username a case calls as: the role's user of the object's court or unit, or of another."""
    if case.role == ANONYMOUS:
        return None
    other = case.whose == "other"
    if case.role in COURT_ROLES:
        return f"{case.role}-j2401" if other else case.role
    unit = OTHER_UNIT if other else bundle_of(world, case).unit
    return f"staff-{unit}" if case.role == STAFF else f"{unit}.system" if case.role == SYSTEM else "admin"


def call(world: World, case: Case) -> httpx.Response:
    username, headers, data = caller(world, case), {}, None
    if username is not None and (case.policy.face == API or case.role == SYSTEM):
        headers = world.tokens[username]
    elif username is not None:
        fresh = (case.method, case.path) in ENDS_SESSION
        browser = world.open_session(username) if fresh else world.sessions[username]
        headers = {"Cookie": f"{COOKIE}={browser.cookie}"}
        data = {"csrf": browser.csrf} if case.method == "POST" else None
    world.client.cookies.clear()
    if (case.method, case.path) == ("POST", "/login"):  # the form as fetched: its token and cookie
        data = {**login_fields(world.client), "username": SPARE, "password": DEMO_PASSWORD}
    query = QUERIES.get((case.method, case.path))
    return world.client.request(case.method, url_of(world, case), params=query, headers=headers, data=data)


def shown(response: httpx.Response) -> str:
    return f"{response.status_code} {response.headers.get('location', '')} {response.text[:400]}"


def leaked(world: World, case: Case, response: httpx.Response) -> list[str]:
    """What identifies another court's or unit's objects in the answer (not what the caller wrote in the address)."""
    secrets = world.secrets if case.expect == NONE_OF_THEIRS else bundle_of(world, case).secrets
    written = url_of(world, case) + " ".join(QUERIES.get((case.method, case.path), {}).values())
    return [s for s in secrets if s in response.text and s not in written]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_who_may_do_what(world: World, case: Case):
    response = call(world, case)
    status, location = response.status_code, response.headers.get("location", "")
    signed_out = status in (302, 303) and location.startswith("/login?")

    assert status < 500, shown(response)
    if case.expect == SIGN_IN:
        if case.policy.face == API:
            assert status == 401, shown(response)
        else:
            assert signed_out, shown(response)
    elif case.expect in (ALLOWED, NONE_OF_THEIRS):
        assert status not in (401, 403, 404) and not signed_out, shown(response)
    elif case.expect == REFUSED:
        assert status == 403, shown(response)
    else:
        assert status in (403, 404), shown(response)
    if case.expect != ALLOWED:
        assert not leaked(world, case, response), shown(response)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if (c.method, c.path) in SHOW_THEIR_OWN and c.whose == "own" and c.expect == ALLOWED],
    ids=str,
)
def test_a_list_shows_its_own_callers_their_objects(world: World, case: Case):
    """The lists do show the world's objects to their own court or unit: a list another caller gets
    without them was filtered, not empty for want of data."""
    response = call(world, case)
    assert response.status_code == 200, shown(response)
    assert any(secret in response.text for secret in world.secrets), shown(response)
