"""The README's example, run as written against `hub serve` over real HTTP."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _readme_flow() -> str:
    text = (ROOT / "README.md").read_text()
    return re.search(r"<!-- readme-flow -->\n```sh\n(.*?)```", text, re.S).group(1)


def test_readme_flow_runs_against_a_served_hub(database_url, tmp_path):
    port = _free_port()
    env = {**os.environ, "HUB_DATABASE_URL": database_url, "HUB_DATA_DIR": str(tmp_path), "HUB_DEMO": "1"}
    hub = str(BIN / "hub")
    subprocess.run([hub, "db", "upgrade"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run([hub, "seed", "--demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    server = subprocess.Popen([hub, "serve", "--port", str(port)], env=env, cwd=ROOT, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        script = _readme_flow().replace("http://127.0.0.1:8000", base).replace(".venv/bin/hub", hub)
        script += '\necho; echo "OFFICER=$OFFICER"\n'
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert '"status":"done"' in done.stdout
        officer = re.search(r"^OFFICER=(\S+)$", done.stdout, re.M).group(1)
        controls = httpx.get(
            f"{base}/api/v1/controls?status=ACTIVE", headers={"Authorization": f"Bearer {officer}"}
        ).json()
        assert [(c["unit_code"], c["registration_no"]) for c in controls["items"]] == [
            ("housing-fund", "GJJ-DJ-2026-0042")
        ]
        requests = httpx.get(f"{base}/api/v1/requests", headers={"Authorization": f"Bearer {officer}"}).json()
        assert [(r["request_no"], r["status"]) for r in requests["items"]] == [("AT-2026-000123", "done")]
    finally:
        server.terminate()
        server.wait(timeout=10)
