"""`hub serve` as a log shipper reads it: with HUB_LOG_JSON=1 every line is one JSON object, access log included."""

import json
import os
import sys
import time
from pathlib import Path

import httpx
from conftest import listed_files, multipart
from live import serving

from schemas import EXAMPLES_DIR

HUB = Path(sys.executable).parent / "hub"


def hub_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=database_url,
        HUB_DATA_DIR=str(data_dir),
        HUB_DEMO="1",
        HUB_SMTP_PORT="9",  # nothing listens: the inbox notice fails, and the worker logs it
        **settings,
    )
    return env


def wait_for(log: Path, needle: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while needle not in log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{needle!r} was not logged:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)


def test_every_line_is_a_json_object_with_the_request_fields(database_url, tmp_path, token):
    log = tmp_path / "hub.log"
    officer, staff = token("officer"), token("staff-housing-fund")
    document = (EXAMPLES_DIR / "request-freeze.xml").read_bytes()
    env = hub_env(database_url, tmp_path / "data", HUB_LOG_JSON="1", HUB_TICK_S="0.5")
    with serving([HUB, "serve"], env, log) as base:
        sent = httpx.post(
            f"{base}/api/v1/requests", files=multipart(document, *listed_files(document)), headers=officer
        )
        assert sent.status_code == 201, sent.text
        task = sent.json()["tasks"][0]["id"]
        assert httpx.get(f"{base}/api/v1/tasks/{task}", headers=staff).status_code == 200
        wait_for(log, "inbox notice to housing-fund not sent")  # the worker's own line, in its thread

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert all(
        isinstance(line, dict) and {"time", "level", "logger", "message"} <= line.keys() for line in lines
    )
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    [post] = [line for line in access if line["method"] == "POST"]
    assert post["path"] == post["route"] == "/api/v1/requests"
    assert post["status"] == 201 and post["client"].startswith("127.0.0.1:")
    assert isinstance(post["duration_ms"], float) and post["duration_ms"] > 0
    [get] = [line for line in access if line["path"] == f"/api/v1/tasks/{task}"]
    assert (get["route"], get["status"], get["level"]) == ("/api/v1/tasks/{task_id}", 200, "INFO")
    assert any(line["route"] == "/healthz" for line in access)  # the start-up probe's requests
    assert any(line["message"].startswith("Uvicorn running on") for line in lines)
    [notice] = [line for line in lines if line["logger"] == "hub.worker"]
    assert notice["level"] == "WARNING" and "housing-fund" in notice["message"]
    assert "method" not in notice  # logged outside any request


def test_by_default_the_lines_are_for_people(database_url, tmp_path):
    log = tmp_path / "hub.log"
    with serving([HUB, "serve", "--no-worker"], hub_env(database_url, tmp_path / "data"), log) as base:
        assert httpx.get(f"{base}/readyz").status_code == 200
    text = log.read_text()
    assert " INFO uvicorn.access 127.0.0.1:" in text and '"GET /readyz HTTP/1.1" 200' in text
    assert not [line for line in text.splitlines() if line.startswith("{")]
