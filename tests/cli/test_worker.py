"""`hub worker` as its own process: it serves queued tasks through their channels and stops on SIGTERM."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import example, submit
from sqlalchemy import select

from hub.db import unit_of_work
from hub.models import QueuedDelivery, Unit
from hub.simulator.demo import switch_channels

HUB = Path(sys.executable).parent / "hub"


def _until(check, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_hub_worker_serves_a_folder_unit_and_stops_on_sigterm(hub, client, token, tmp_path):
    outbox, inbox = tmp_path / "outbox", tmp_path / "inbox"
    outbox.mkdir()
    inbox.mkdir()
    directory = tmp_path / "units.toml"
    directory.write_text(
        switch_channels(
            {
                "housing-fund": f'channel = {{ kind = "folder", outbox = "{outbox}", inbox = "{inbox}" }}\nfallback = []'
            }
        ),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=hub.settings.database_url,
        HUB_DATA_DIR=str(hub.settings.data_dir),
        HUB_DIRECTORY=str(directory),
        HUB_TICK_S="0.3",
    )
    worker = subprocess.Popen([str(HUB), "worker"], env=env, stderr=subprocess.PIPE, text=True)
    try:

        def switched() -> bool:
            with unit_of_work(hub.sessions) as session:
                return session.get(Unit, "housing-fund").channel["kind"] == "folder"

        assert _until(switched), "the worker did not load its directory"
        request = submit(client, token("officer"), "request-freeze.xml")
        assert request["tasks"][0]["status"] == "created"
        written = outbox / "AT-2026-000123" / "AT-2026-000123.xml"
        assert _until(written.exists), "the worker did not serve the task"
        assert written.read_bytes() == example("request-freeze.xml")

        def served() -> bool:
            with unit_of_work(hub.sessions) as session:
                return session.execute(select(QueuedDelivery.status)).scalar_one() == "served"

        assert _until(served)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=15)
    assert worker.returncode == 0, stderr
