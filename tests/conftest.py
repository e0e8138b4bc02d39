"""Real databases built by the migrations: SQLite always, PostgreSQL when HUB_TEST_DATABASE_URL names one.

Each test gets a database of its own, cloned from a template that was migrated and seeded once
(a file copy on SQLite, CREATE DATABASE ... TEMPLATE on PostgreSQL).
"""

import itertools
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text, update

from hub.app import create_app
from hub.auth.seed import DEMO_PASSWORD, seed_demo
from hub.auth.service import issue_token, user_by_name
from hub.clock import now
from hub.config import Settings
from hub.context import Hub
from hub.db import unit_of_work
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.directory.service import sync_directory
from hub.migrations import upgrade
from hub.models import Court, User
from hub.standard.signatures import verify_signature, without_signature
from hub.standard.xml import parse
from schemas import EXAMPLE_FILES_DIR, EXAMPLES_DIR

pytest_plugins = [
    "loopback",  # a unit's endpoint on loopback, a dead address, a switched directory, a worker
    "browser_support",  # hub serve as a process, and Debian's Chromium
]

PG_URL = os.environ.get("HUB_TEST_DATABASE_URL", "")
_counter = itertools.count()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "db: the test uses a database (run again on PostgreSQL)")


CHEAP_DEMO_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(DEMO_PASSWORD)


def _seed(url: str, data_dir: Path) -> None:
    upgrade(url)
    hub = Hub.from_settings(Settings(database_url=url, data_dir=data_dir, demo=True))
    with unit_of_work(hub.sessions) as session:
        sync_directory(session, directory=load_directory(BUNDLED_DIRECTORY))
        seed_demo(session)
        # The demo password stored at argon2id's lowest cost. The hub verifies it as any other (the cost is
        # written in the hash): a sign-in costs a millisecond instead of a tenth of a second, and the suite
        # signs in a thousand times.
        session.execute(
            update(User).where(User.password_hash.is_not(None)).values(password_hash=CHEAP_DEMO_HASH)
        )
    hub.engine.dispose()


def _admin_engine():
    return create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, seeded database to clone: a SQLite file path, or a PostgreSQL database name."""
    data_dir = tmp_path_factory.mktemp("template")
    if not PG_URL:
        path = data_dir / "template.db"
        _seed(f"sqlite:///{path}", data_dir)
        yield str(path)
        return
    name = f"hub_template_{os.getpid()}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    _seed(make_url(PG_URL).set(database=name).render_as_string(hide_password=False), data_dir)
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def cloned_database(template: str, folder: Path) -> Iterator[str]:
    """A database of its own, cloned from the session's template: a SQLite file in `folder`, or a new
    PostgreSQL database, dropped afterwards. For a module that builds its data once, and for each test."""
    if not PG_URL:
        path = folder / "hub.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    name = f"hub_test_{os.getpid()}_{next(_counter)}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_url(template: str, tmp_path: Path) -> Iterator[str]:
    with cloned_database(template, tmp_path) as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data", demo=True)


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    hub = Hub.from_settings(settings)
    yield hub
    hub.engine.dispose()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub.settings, hub)) as client:
        yield client


@pytest.fixture
def token(hub: Hub):
    """token(username) -> a bearer header for that demo user."""
    return token_issuer(hub)


def token_issuer(hub: Hub):
    def issue(username: str) -> dict[str, str]:
        with unit_of_work(hub.sessions) as session:
            user = user_by_name(session, username)
            assert user is not None, username
            return {"Authorization": f"Bearer {issue_token(session, user=user)}"}

    return issue


@pytest.fixture
def other_officer(hub: Hub) -> dict[str, str]:
    """A bearer header for an officer of a second court, J2401 (the bundled directory has one court)."""
    return second_court_officer(hub)


def second_court_officer(hub: Hub) -> dict[str, str]:
    """Court J2401 and its officer added to `hub`'s database: a bearer header for him."""
    with unit_of_work(hub.sessions) as session:
        session.add(
            Court(code="J2401", name="延吉市人民法院", supervisor_email="j2401.supervisor@example.org")
        )
        session.flush()
        user = User(
            username="officer-j2401",
            display_name="韩梅",
            role="officer",
            court_code="J2401",
            created_at=now(),
        )
        session.add(user)
        session.flush()
        return {"Authorization": f"Bearer {issue_token(session, user=user)}"}


def example(name: str) -> bytes:
    return (EXAMPLES_DIR / name).read_bytes()


def example_file(name: str) -> bytes:
    return (EXAMPLE_FILES_DIR / name).read_bytes()


def multipart(
    document: bytes, *filenames: str, files: dict[str, bytes] | None = None
) -> list[tuple[str, tuple]]:
    """The parts of a multipart submission: the document and the named example files (or given bytes)."""
    parts: list[tuple[str, tuple]] = [("document", ("document.xml", document, "application/xml"))]
    for name in filenames:
        parts.append(("files", (name, example_file(name), "application/pdf")))
    for name, data in (files or {}).items():
        parts.append(("files", (name, data, "application/octet-stream")))
    return parts


EXCHANGE_TABLES = (
    "requests",
    "request_files",
    "items",
    "tasks",
    "receipts",
    "receipt_files",
    "found_assets",
    "controls",
    "blobs",
    "blob_owners",
    "audit_events",
)


@pytest.fixture
def stored(hub: Hub):
    """stored() -> rows per exchange table and the number of files in the blob store: to show nothing was left."""
    return stored_counter(hub)


def stored_counter(hub: Hub):
    def count() -> dict[str, int]:
        with hub.engine.connect() as conn:
            rows = {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in EXCHANGE_TABLES
            }
        root = hub.blobs.files.root
        rows["blob_files"] = sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0
        return rows

    return count


def edited(document: bytes, *changes: tuple[str, str]) -> bytes:
    """`document` with each (old, new) text replacement applied; `old` must be in it."""
    text = document.decode()
    for old, new in changes:
        assert old in text, f"{old!r} is not in the document"
        text = text.replace(old, new)
    return text.encode()


def edit(name: str, *changes: tuple[str, str]) -> bytes:
    """The example `name` with each (old, new) text replacement applied."""
    return edited(example(name), *changes)


def listed_files(document: bytes) -> list[str]:
    """The file names a document lists (Document and Attachment filename attributes)."""
    return [name.decode() for name in re.findall(rb'filename="([^"]+)"', document)]


def sent_by_hub(hub: Hub, sent: bytes) -> bytes:
    """What the hub forwarded, checked to carry the hub's own signature; returned without it (byte for byte
    what the court sent, when the court did not sign)."""
    identity = hub.identity
    assert identity is not None, "the test hub runs in demo mode, which signs with a demo key"
    verify_signature(
        parse(sent), sender="the hub", certificates=[identity.cert_pem.decode()], required=True, at=now()
    )
    return without_signature(sent)


def submit(client: TestClient, headers: dict[str, str], name: str) -> dict:
    """Submit the example request `name` with the files it lists; it must be accepted."""
    document = example(name)
    response = client.post(
        "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


# --- a real SMTP server --------------------------------------------------------------------------


class MailCatcher:
    """An SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives: `messages` parsed with
    email.policy.default, `envelopes` as (mail_from, rcpt_tos). It can refuse recipients, and be
    stopped and started again on the same port."""

    def __init__(self) -> None:
        import socket
        import threading

        self.host = "127.0.0.1"
        with socket.socket() as probe:
            probe.bind((self.host, 0))
            self.port = probe.getsockname()[1]
        self.messages: list = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._refusal: tuple[str, frozenset[str] | None] | None = None
        self._arrived = threading.Condition()
        self._controller = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        if self._controller is None:
            self._controller = Controller(self, hostname=self.host, port=self.port)
            self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def reject_recipients(
        self, code: int = 550, text: str = "5.1.1 mailbox unavailable", *, only: list[str] | None = None
    ) -> None:
        """Answer RCPT with `code text` (for the addresses `only`, or for all)."""
        self._refusal = (f"{code} {text}", frozenset(only) if only is not None else None)

    def wait_for(self, n: int, timeout: float = 5) -> list:
        """The messages once at least `n` have arrived; fails after `timeout` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= n, timeout):
                pytest.fail(f"{len(self.messages)} message(s) arrived within {timeout} s, not {n}")
            return list(self.messages)

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self._refusal is not None and (self._refusal[1] is None or address in self._refusal[1]):
            return self._refusal[0]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        from email import policy
        from email.parser import BytesParser

        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        with self._arrived:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher()
    catcher.start()
    yield catcher
    catcher.stop()


# --- controls made through the API, and the web pages' browser ------------------------------------


def post_receipt(
    client: TestClient, headers: dict[str, str], request: dict, document: bytes, unit: str = ""
) -> dict:
    """Post the receipt `document` to the request's task (of `unit`, or its only one); it must be accepted."""
    [task] = [t for t in request["tasks"] if not unit or t["unit_code"] == unit]
    response = client.post(
        f"/api/v1/tasks/{task['id']}/receipts",
        files=multipart(document, *listed_files(document)),
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def frozen_control(client: TestClient, token) -> dict:
    """request-freeze.xml answered CONTROLLED: an ACTIVE FUND_ACCOUNT control, 2026-11-28 to 2027-11-27."""
    freeze = submit(client, token("officer"), "request-freeze.xml")
    [control] = post_receipt(client, token("staff-housing-fund"), freeze, example("receipt-controlled.xml"))[
        "controls"
    ]
    return control


def renewed_control(client: TestClient, token) -> tuple[dict, dict]:
    """The frozen control, then request-renew.xml answered CONTROLLED: the first control (now RENEWED)
    and its renewal."""
    first = frozen_control(client, token)
    renew = submit(client, token("officer"), "request-renew.xml")
    receipt = edited(
        example("receipt-controlled.xml"),
        ("AT-2026-000123", "AT-2026-000124"),
        ("HF-2026-8891", "HF-2026-8894"),
        ('start="2026-11-28" end="2027-11-27"', 'start="2027-11-28" end="2028-11-27"'),
    )
    answered = post_receipt(client, token("staff-housing-fund"), renew, receipt)["controls"]
    [renewed] = [c for c in answered if c["id"] == first["id"]]  # the renewal carries it on: RENEWED
    [renewal] = [c for c in answered if c["renews_id"] == first["id"]]
    return renewed, renewal


def waitlisted_seal(client: TestClient, token) -> tuple[dict, dict]:
    """request-seal.xml answered WAITLISTED (queue position 2) by the real-estate registry: request, control."""
    seal = submit(client, token("officer"), "request-seal.xml")
    [control] = post_receipt(client, token("staff-real-estate"), seal, example("receipt-waitlisted.xml"))[
        "controls"
    ]
    return seal, control


@pytest.fixture
def visitor(client: TestClient) -> TestClient:
    """The client as a person's browser on the web pages (not named browser: that is Chromium's, in
    browser_support): its cookies are the session, and a redirect is an answer to look at, not to follow."""
    client.follow_redirects = False
    return client


def post_login(client: TestClient, username: str, password: str = DEMO_PASSWORD, **extra: str):
    """The sign-in form fetched and posted by a fresh browser (no cookie of an earlier session); the answer."""
    client.cookies.clear()
    fields = login_fields(client)
    return client.post("/login", data={**fields, "username": username, "password": password, **extra})


def login_fields(client: TestClient) -> dict[str, str]:
    """The sign-in form's hidden token, as a browser gets it: GET /login also sets the cookie it is bound to."""
    found = re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text)
    assert found, "the sign-in form carries no login_csrf token"
    return {"login_csrf": found.group(1)}


def sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Sign in as `username` (it must succeed); the CSRF token of the session's forms."""
    answer = post_login(client, username, password)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/login").text)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)
