"""/readyz and /metrics as an operator's probes and Prometheus see them, after real traffic through the API."""

import shutil
from datetime import timedelta

import pytest
from alembic.script import ScriptDirectory
from conftest import example, post_receipt, submit
from fastapi.testclient import TestClient
from live import free_port
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import text, update

from hub.alerts.service import run_job
from hub.app import create_app
from hub.clock import now
from hub.config import Settings
from hub.context import Hub
from hub.db import unit_of_work
from hub.migrations import HERE as MIGRATIONS
from hub.models import Task

DOMAIN = (
    "hub_requests",
    "hub_tasks_open",
    "hub_tasks_overdue",
    "hub_delivery_attempts_total",
    "hub_deliveries_failed_total",
    "hub_alerts_total",
)


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """The tests' settings with /metrics served to anyone (HUB_METRICS_OPEN=1): without it or a token, 404."""
    return Settings(database_url=database_url, data_dir=tmp_path / "data", demo=True, metrics_open=True)


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> dict[tuple, float]:
    """/metrics parsed by Prometheus's own parser: (sample name, sorted labels) -> value."""
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, *sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple, float], name: str, **labels: str) -> float | None:
    return samples.get((name, *sorted(labels.items())))


def test_a_migrated_hub_with_a_writable_store_is_ready_without_signing_in(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "failed": [],
        "checks": {"database": "ok", "schema": "ok", "blobs": "ok"},
    }


def test_not_ready_when_the_blob_folder_cannot_be_written(hub, client):
    root = hub.blobs.files.root
    shutil.rmtree(root, ignore_errors=True)
    root.write_bytes(b"")  # a file where the folder should be: as a volume mounted wrong (tests run as root)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["blobs"]
    assert body["checks"]["blobs"].startswith(f"cannot write to {root}")
    assert body["checks"]["database"] == body["checks"]["schema"] == "ok"


def test_not_ready_when_the_schema_is_behind_the_code(hub, client):
    script = ScriptDirectory(str(MIGRATIONS))
    [head] = script.get_heads()
    previous = script.get_revision(head).down_revision
    with unit_of_work(hub.sessions) as session:
        session.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": previous})
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["schema"]
    assert (
        body["checks"]["schema"]
        == f"the database is at {previous}, the code expects {head}: run hub db upgrade"
    )


def test_with_the_database_down_readyz_names_it_and_metrics_still_answer(tmp_path):
    nothing_listens = f"postgresql+psycopg://hub@127.0.0.1:{free_port()}/hub"
    hub = Hub.from_settings(
        Settings(database_url=nothing_listens, data_dir=tmp_path, demo=True, metrics_open=True)
    )
    with TestClient(create_app(hub.settings, hub)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["failed"] == ["database", "schema"]
        assert response.json()["checks"]["database"].startswith(
            "the database did not answer: OperationalError"
        )
        samples = scrape(client)
    assert value(samples, "hub_figures_up") == 0
    assert not [key for key in samples if key[0] in DOMAIN]
    hub.engine.dispose()


@pytest.fixture
def traffic(hub, client, token, smtp):
    """A query to three units, a freeze answered, a seal; the vehicle registry's task overdue and alerted."""
    hub.settings.smtp_host, hub.settings.smtp_port = smtp.host, smtp.port
    officer = token("officer")
    query = submit(client, officer, "request-query.xml")
    freeze = submit(client, officer, "request-freeze.xml")
    submit(client, officer, "request-seal.xml")
    post_receipt(client, token("staff-housing-fund"), freeze, example("receipt-controlled.xml"))
    [vehicles] = [t for t in query["tasks"] if t["unit_code"] == "vehicles"]
    with unit_of_work(hub.sessions) as session:
        session.execute(
            update(Task).where(Task.id == vehicles["id"]).values(due_at=now() - timedelta(days=1))
        )
    assert run_job(hub, "overdue").sent == 2  # the vehicle registry's staff and the officer
    return {"query": query, "vehicles": vehicles}


def test_metrics_show_the_domain_as_the_database_has_it(client, traffic):
    samples = scrape(client)
    assert value(samples, "hub_figures_up") == 1
    assert value(samples, "hub_requests", action="QUERY", status="open") == 1
    assert value(samples, "hub_requests", action="FREEZE", status="done") == 1
    assert value(samples, "hub_requests", action="SEAL", status="open") == 1
    assert value(samples, "hub_requests", action="FREEZE", status="open") is None
    assert value(samples, "hub_tasks_open", unit="real-estate") == 2  # the query's and the seal's
    assert value(samples, "hub_tasks_open", unit="vehicles") == 1
    assert value(samples, "hub_tasks_open", unit="housing-fund") == 0  # answered, and still listed
    assert value(samples, "hub_tasks_overdue", unit="vehicles") == 1
    assert value(samples, "hub_tasks_overdue", unit="real-estate") == 0
    attempts = "hub_delivery_attempts_total"
    assert value(samples, attempts, unit="real-estate", channel="ckw", outcome="served") == 2
    assert value(samples, attempts, unit="housing-fund", channel="inbox", outcome="served") == 1
    assert sum(v for k, v in samples.items() if k[0] == attempts) == 5  # one per task
    assert value(samples, "hub_alerts_total", job="overdue", status="sent") == 2


def test_metrics_time_requests_under_their_route_template(client, traffic, token):
    task = traffic["vehicles"]["id"]
    assert client.get(f"/api/v1/tasks/{task}", headers=token("staff-vehicles")).status_code == 200
    assert client.get("/api/v1/tasks/999999", headers=token("staff-vehicles")).status_code == 404
    assert client.get("/no/such/page").status_code == 404
    samples = scrape(client)

    count = "hub_http_request_duration_seconds_count"
    assert value(samples, count, method="POST", route="/api/v1/requests") == 3
    assert value(samples, count, method="POST", route="/api/v1/tasks/{task_id}/receipts") == 1
    assert value(samples, count, method="GET", route="/api/v1/tasks/{task_id}") == 2
    assert (
        value(samples, "hub_http_request_duration_seconds_sum", method="GET", route="/api/v1/tasks/{task_id}")
        > 0
    )
    bucket = "hub_http_request_duration_seconds_bucket"
    assert value(samples, bucket, method="GET", route="/api/v1/tasks/{task_id}", le="+Inf") == 2
    responses = "hub_http_responses_total"
    assert value(samples, responses, method="POST", route="/api/v1/requests", status="201") == 3
    assert value(samples, responses, method="GET", route="/api/v1/tasks/{task_id}", status="200") == 1
    assert value(samples, responses, method="GET", route="/api/v1/tasks/{task_id}", status="404") == 1
    assert value(samples, responses, method="GET", route="unmatched", status="404") == 1
    routes = {dict(key[1:]).get("route") for key in samples if key[0].startswith("hub_http_")}
    assert not [route for route in routes if str(task) in route or "999999" in route or "/no/" in route]


def test_every_process_reports_the_same_domain_figures(hub, client, traffic):
    """A second app over the same database (another `hub serve`) reports the same figures, not its own."""
    other_hub = Hub.from_settings(hub.settings)
    with TestClient(create_app(other_hub.settings, other_hub)) as other:
        theirs = scrape(other)
    ours = scrape(client)
    assert {k: v for k, v in theirs.items() if k[0] in DOMAIN} == {
        k: v for k, v in ours.items() if k[0] in DOMAIN
    }
    assert (
        value(theirs, "hub_http_request_duration_seconds_count", method="POST", route="/api/v1/requests")
        is None
    )
    other_hub.engine.dispose()


def test_metrics_ask_for_the_token_when_one_is_set(hub, client):
    hub.settings.metrics_token = SecretStr("scrape-me")
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.json()["error"]["code"] == "unauthorized"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    samples = scrape(client, {"Authorization": "Bearer scrape-me"})
    assert value(samples, "hub_figures_up") == 1
    assert client.get("/readyz").status_code == 200  # the probe stays open
