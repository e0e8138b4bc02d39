"""`make demo`, run as a new user would: a query to all units is answered by the three simulated units, the
registry's by polling the hub's 查控 service; then the flat it found is sealed, and the registry registers it."""

import email
import os
import subprocess
import sys
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_make_demo_answers_a_query_to_all_units_over_loopback(tmp_path):
    """On the demo's own embedded database, as `make demo` runs it (so once, not again on PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "SIMULATOR_"))}
    port = subprocess.run(
        [
            sys.executable,
            "-c",
            "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hub.simulator.demo",
            "--once",
            "--timeout",
            "60",
            "--data-dir",
            str(tmp_path / "demo"),
            "--port",
            port,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stderr.splitlines()
    for unit in ("real-estate", "vehicles", "housing-fund"):
        assert any(unit in line and "completed" in line for line in lines), unit
    assert any("real-estate" in line and "查控轮询" in line and "CONTROLLED" in line for line in lines)
    assert "real-estate registered the seal by polling: RE-CF-" in done.stderr
    assert "feedkzBdcQL" in (tmp_path / "demo" / "logs" / "real-estate.log").read_text(encoding="utf-8")
    # the inbox units' staff were told, one e-mail each, and kept by the demo's mail server
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)
        for p in (tmp_path / "demo" / "mail").iterdir()
    ]
    recipients = [m["To"] for m in mails]
    assert "civil-affairs.staff@example.org" in recipients and len(recipients) == len(set(recipients))
    assert "real-estate.staff@example.org" not in recipients  # served by its own system, not the inbox
