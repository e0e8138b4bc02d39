"""`hub serve --workers N`: several API processes on one port over PostgreSQL, refused on SQLite."""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from conftest import edited, example, example_file, listed_files
from live import Server

from hub.db import unit_of_work
from hub.requests.service import keep_files

HUB = Path(sys.executable).parent / "hub"


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(p) for p in (task / "children").read_text().split()}
    return found


def serving_processes(pid: int) -> set[int]:
    """The processes under `pid` that run `hub.app:served_app`'s server (uvicorn's spawned workers)."""
    return {
        child
        for child in children(pid)
        if b"multiprocessing" in Path(f"/proc/{child}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
    }


def test_workers_share_one_port_and_take_requests_together(database_url, settings, hub, token, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=database_url, HUB_DATA_DIR=str(settings.data_dir), HUB_DEMO="1")
    args = [HUB, "serve", "--workers", "2", "--no-worker"]
    if not database_url.startswith("postgresql"):
        refused = subprocess.run(
            [*map(str, args), "--port", "8000"], env=env, capture_output=True, text=True, timeout=60
        )
        assert refused.returncode == 2
        assert "need PostgreSQL" in refused.stdout + refused.stderr
        return

    officer = token("officer")
    with unit_of_work(hub.sessions) as session:  # the court's notice, so that the XML alone can be sent
        files = {name: example_file(name) for name in listed_files(example("request-query.xml"))}
        keep_files(session, blobs=hub.blobs, court_code="J2426", files=files)
    server = Server(args, env, tmp_path / "hub.log")
    server.start(timeout=60)
    try:
        processes = serving_processes(server.process.pid)
        assert len(processes) == 2
        documents = [
            edited(example("request-query.xml"), ("AT-2026-000101", f"AT-2026-{900 + n:06d}"))
            for n in range(24)
        ]
        headers = {**officer, "Content-Type": "application/xml"}

        def submit(document: bytes) -> httpx.Response:
            return httpx.post(f"{server.base}/api/v1/requests", content=document, headers=headers, timeout=30)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(submit, documents))
        assert [a.status_code for a in answers] == [201] * len(documents)
        listed = httpx.get(f"{server.base}/api/v1/requests", params={"limit": 100}, headers=officer).json()
        assert {r["request_no"] for r in listed["items"]} >= {f"AT-2026-{900 + n:06d}" for n in range(24)}
    finally:
        server.stop()
    started = set(map(int, re.findall(r"Started server process \[(\d+)\]", server.log.read_text())))
    assert started == processes
