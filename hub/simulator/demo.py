"""`make demo`: the hub with three member units simulated on loopback, answering a query to all units.

It writes a directory in which 车管所 (vehicles) and 住房公积金 (housing-fund) are reached by http-push at
simulated systems (fallback: e-mail, then the inbox), while 不动产登记中心 (real-estate) keeps its bundled
channel, the 查控 service: its simulated system polls the hub (`hub simulate-unit real-estate --poll`) as
the registry's own client does, with the password both are given in HUB_CKW_REAL_ESTATE_PASSWORD. It
starts `hub serve` (with its worker), the three `hub simulate-unit` processes, and an SMTP server that
keeps every e-mail the hub sends as a file under <data dir>/mail/. Then, as the demo officer, it submits
the example query to all capable units and shows each unit's task until the simulated units have
answered; then it seals the flat the registry found, and shows the registry registering the seal.

`python -m hub.simulator.demo --once` exits when they have (0) or after --timeout (1): the test of it.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated
from xml.sax.saxutils import escape

import httpx
import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from schemas import EXAMPLE_FILES_DIR, EXAMPLES_DIR

PUSHED = ("vehicles", "housing-fund")  # http-push to the simulated systems
POLLING = ("real-estate",)  # its bundled channel: its system polls the hub's 查控 service
SIMULATED = POLLING + PUSHED
BIN = Path(sys.executable).parent
console = Console(stderr=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def switch_channels(channels: dict[str, str]) -> str:
    """The bundled directory's text with each unit of `channels` given those `channel`/`fallback` lines."""
    blocks = BUNDLED_DIRECTORY.read_text(encoding="utf-8").split("[[units]]\n")
    for i, block in enumerate(blocks):
        code = next((c for c in channels if f'\ncode = "{c}"\n' in f"\n{block}"), None)
        if code is not None:
            assert 'channel.kind = "inbox"\nfallback = []\n' in block, code
            blocks[i] = block.replace(
                'channel.kind = "inbox"\nfallback = []\n', channels[code].rstrip() + "\n"
            )
    return "[[units]]\n".join(blocks)


def demo_directory(ports: dict[str, int]) -> str:
    """The bundled directory with each unit of `ports` switched to http-push at 127.0.0.1:<port>."""
    return switch_channels(
        {
            code: f'channel = {{ kind = "http-push", url = "http://127.0.0.1:{port}/tasks", '
            'token_env = "SIMULATOR_SECRET", timeout_s = 5 }\nfallback = ["email", "inbox"]'
            for code, port in ports.items()
        }
    )


class MailToFiles:
    """An aiosmtpd handler that keeps each message as <folder>/<n>.eml."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope) -> str:
        path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}.eml"
        path.write_bytes(envelope.content)
        return "250 kept"


def _wait_for(url: str, *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:g} s")


def _table(request: dict, channels: dict[str, str]) -> Table:
    title = f"request {request['request_no']} ({request['action']})"
    table = Table("unit", "channel", "status", "outcome", title=title)
    for task in sorted(request["tasks"], key=lambda t: (t["unit_code"] not in SIMULATED, t["unit_code"])):
        style = "green" if task["status"] == "completed" else ""
        table.add_row(
            task["unit_code"],
            channels.get(task["unit_code"], "inbox"),
            task["status"],
            task["outcome"] or "",
            style=style,
        )
    return table


def main(
    data_dir: Annotated[Path, typer.Option(help="State of the demo hub (SQLite, documents, mail).")] = Path(
        "var/demo"
    ),
    port: Annotated[int, typer.Option(help="The hub's port; the simulated units take free ports.")] = 8000,
    database_url: Annotated[str, typer.Option(envvar="HUB_DATABASE_URL", help="Default: SQLite.")] = "",
    once: Annotated[
        bool, typer.Option("--once", help="Exit when the simulated units have answered.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="With --once: seconds to wait for the answers.")] = 60,
) -> None:
    """Run the hub and three simulated units on loopback, and send them a query to all units."""
    from aiosmtpd.controller import Controller

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    ports = {code: _free_port() for code in SIMULATED}
    directory = data_dir / "units.toml"
    directory.write_text(demo_directory({code: ports[code] for code in PUSHED}), encoding="utf-8")
    units = load_directory(directory)  # refuses a broken file here, naming the entry
    channels = {unit.code: unit.channel.kind for unit in units.units}
    channels.update({code: "查控轮询" for code in POLLING})
    smtp_port = _free_port()
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(data_dir),
        "HUB_DIRECTORY": str(directory),
        "HUB_DEMO": "1",
        "HUB_TICK_S": "2",
        "HUB_SMTP_HOST": "127.0.0.1",
        "HUB_SMTP_PORT": str(smtp_port),
        "HUB_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SIMULATOR_SECRET": secrets.token_urlsafe(24),
        # the registry's password, for the hub and for its system (hub simulate-unit --poll reads it)
        "HUB_CKW_REAL_ESTATE_PASSWORD": secrets.token_urlsafe(18),
    }
    if database_url:
        env["HUB_DATABASE_URL"] = database_url
    hub = str(BIN / "hub")

    def run(*args: str) -> str:
        return subprocess.run(
            [hub, *args], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

    run("db", "upgrade")
    run("seed", "--demo", "--if-empty")
    base = f"http://127.0.0.1:{port}"
    officer = run("token", "issue", "officer", "--label", "demo")
    with ExitStack() as stack:
        mail = Controller(MailToFiles(data_dir / "mail"), hostname="127.0.0.1", port=smtp_port)
        mail.start()
        stack.callback(mail.stop)
        logs = data_dir / "logs"
        logs.mkdir(exist_ok=True)

        def start(name: str, *args: str) -> None:
            log = stack.enter_context(open(logs / f"{name}.log", "ab"))
            process = subprocess.Popen([hub, *args], env=env, stdout=log, stderr=log)
            stack.callback(_stop, process)

        start("hub", "serve", "--port", str(port))
        for code in PUSHED:
            token = run("token", "issue", f"staff-{code}", "--label", "simulator")
            start(code, "simulate-unit", code, "--port", str(ports[code]), "--hub", base, "--token", token)
        for code in POLLING:
            start(code, "simulate-unit", code, "--poll", "--port", str(ports[code]), "--hub", base)
        _wait_for(f"{base}/healthz")
        for unit_port in ports.values():
            _wait_for(f"http://127.0.0.1:{unit_port}/healthz")

        request = _submit(base, officer)
        answered = _watch(base, officer, request, channels, seconds=timeout)
        sealed = answered and _seal(base, officer, request, channels, seconds=timeout)
        if once:
            raise typer.Exit(0 if answered and sealed else 1)
        console.print(
            f"\nThe hub: {base}/docs   officer token: {officer}\n"
            f"Simulated units: {', '.join(f'{c} http://127.0.0.1:{p}/register' for c, p in ports.items())}\n"
            f"E-mails the hub sent: {data_dir / 'mail'}   logs: {logs}\nCtrl-C stops everything."
        )
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def _submit(base: str, officer: str, document: bytes | None = None, *files: str) -> dict:
    """A request (by default the example query to all capable units, under a RequestNo of its own)."""
    if document is None:
        document = (EXAMPLES_DIR / "request-query-all.xml").read_bytes()
        document = document.replace(b"AT-2026-000108", f"AT-DEMO-{int(time.time())}".encode())
        files = ("notice.pdf",)
    response = httpx.post(
        f"{base}/api/v1/requests",
        headers={"Authorization": f"Bearer {officer}"},
        files=[
            ("document", ("request.xml", document, "application/xml")),
            *(
                ("files", (name, (EXAMPLE_FILES_DIR / name).read_bytes(), "application/pdf"))
                for name in files
            ),
        ],
        timeout=30,
    )
    if response.status_code != 201:
        raise SystemExit(f"the demo request was refused: {json.dumps(response.json(), ensure_ascii=False)}")
    return response.json()


def _seal(base: str, officer: str, query: dict, channels: dict[str, str], *, seconds: float) -> bool:
    """Seal the flat real-estate found for the query's subject, and show the registry registering it by
    polling: whether it did in time (True when it found no flat: nothing to seal)."""
    headers = {"Authorization": f"Bearer {officer}"}
    [task] = [t for t in query["tasks"] if t["unit_code"] == "real-estate"]
    receipts = httpx.get(f"{base}/api/v1/tasks/{task['id']}/receipts", headers=headers, timeout=10).json()
    flats = [a for r in receipts for a in r["assets"] if a["asset_class"] == "REAL_ESTATE"]
    if not flats:
        console.print("real-estate found no flat of the subject: nothing to seal")
        return True
    flat, subject = flats[0], (query["subject_name"], query["subject_id_number"])
    document = (EXAMPLES_DIR / "request-seal.xml").read_text(encoding="utf-8")
    for old, new in (
        ("AT-2026-000102", f"{query['request_no']}-CF"),
        ("赵六", subject[0]),
        ("22242619790605003X", subject[1]),
        ("222426001001GB00012F00010023", flat["asset_id"]),
        (
            "安图县明月镇东山路18号兴安小区3号楼2单元302室，住宅，吉(2019)安图县不动产权第0001234号",
            flat["description"][:200],
        ),
    ):
        document = document.replace(old, escape(new))
    request = _submit(base, officer, document.encode("utf-8"), "ruling.pdf", "notice.pdf")
    if not _watch(base, officer, request, channels, seconds=seconds):
        return False
    controls = httpx.get(
        f"{base}/api/v1/controls", params={"unit": "real-estate"}, headers=headers, timeout=10
    )
    for control in controls.json()["items"]:
        if control["request_id"] == request["id"]:
            console.print(
                f"real-estate registered the seal by polling: {control['registration_no']}, "
                f"{control['status']}, {control['period_start']} to {control['period_end']}"
            )
    return True


def _watch(base: str, officer: str, request: dict, channels: dict[str, str], *, seconds: float) -> bool:
    """Show the request's tasks until the simulated units have answered; whether they did in time."""
    deadline = time.monotonic() + seconds
    url = f"{base}/api/v1/requests/{request['id']}"
    with Live(_table(request, channels), console=console, refresh_per_second=4) as live:
        while time.monotonic() < deadline:
            request = httpx.get(url, headers={"Authorization": f"Bearer {officer}"}, timeout=10).json()
            live.update(_table(request, channels))
            if all(t["status"] == "completed" for t in request["tasks"] if t["unit_code"] in SIMULATED):
                return True
            time.sleep(0.5)
    return False


if __name__ == "__main__":
    typer.run(main)
