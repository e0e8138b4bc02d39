"""The exchange over HTTP (figures 1 to 3, and 6): the hub against the floor, with one load generator.

For one database kind and a number of server processes: a fresh database for the hub (migrated, the
bundled directory, the demo users, two bearer tokens) and another for the floor (bench/floor.py, its one
table), `hub serve --no-worker` and the floor each run as that many processes on free loopback ports,
and bench/load.py sends, in this order:

1. single-unit requests (request-query.xml addressed to the vehicle registry alone) to the floor, then
   to the hub: the same bytes but for the RequestNo, distinct per call;
2. over one connection, single-unit requests and then queries to all capable units
   (request-query-all.xml: one task for each of the 28 units that answer a QUERY) to the hub, so that
   the two latencies are compared unloaded;
3. receipts (receipt-not-found.xml, final) answering the tasks of 1, one each with a distinct
   ReceiptNo, to the floor and then to the hub.

Documents are sent as application/xml. The files they list (the notice, the signed receipt) are stored
once beforehand by one multipart request and one multipart receipt (the hub takes a listed file it
already holds without it being sent again), which also warm the hub up.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench import floor
from bench.dataset import database, seeded, server_version
from bench.servers import FLOOR, HUB, ROOT, Server, serving
from hub.auth.service import issue_token, user_by_name
from hub.db import unit_of_work
from hub.models import Request, Task
from schemas import EXAMPLE_FILES_DIR, EXAMPLES_DIR

UNIT = "vehicles"
OFFICER, STAFF = "officer", f"staff-{UNIT}"


@dataclass(frozen=True)
class Load:
    calls: int = 2000  # single-unit requests measured, and as many receipts
    fanout: int = 400  # queries to all capable units measured
    concurrency: int = 8  # connections, each one request at a time
    warmup: int = 40  # calls sent before each measured run, not counted


def _example(name: str) -> str:
    return (EXAMPLES_DIR / name).read_text(encoding="utf-8")


SINGLE = re.sub(
    r"<Targets>.*?</Targets>",
    f'<Targets>\n    <Unit code="{UNIT}"/>\n  </Targets>',
    _example("request-query.xml"),
    flags=re.S,
).replace("<RequestNo>AT-2026-000101</RequestNo>", "<RequestNo>{number}</RequestNo>")
FANOUT = _example("request-query-all.xml").replace(
    "<RequestNo>AT-2026-000108</RequestNo>", "<RequestNo>{number}</RequestNo>"
)
RECEIPT = (
    _example("receipt-not-found.xml")
    .replace("<RequestNo>AT-2026-000101</RequestNo>", "<RequestNo>{request}</RequestNo>")
    .replace("<ReceiptNo>VM-2026-0417</ReceiptNo>", "<ReceiptNo>{number}</ReceiptNo>")
)
assert "{number}" in SINGLE and "{number}" in FANOUT and "{request}" in RECEIPT and f'"{UNIT}"' in SINGLE


def _tokens(hub) -> dict[str, str]:
    with unit_of_work(hub.sessions) as session:
        return {
            name: issue_token(session, user=user_by_name(session, name), label="bench")
            for name in (OFFICER, STAFF)
        }


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _prime(server: Server, tokens: dict[str, str]) -> None:
    """Store the listed files with one multipart request and one multipart receipt (warming the hub up)."""
    with httpx.Client(base_url=server.base, timeout=60) as client:
        notice = ("notice.pdf", (EXAMPLE_FILES_DIR / "notice.pdf").read_bytes(), "application/pdf")
        answer = client.post(
            "/api/v1/requests",
            files=[
                ("document", ("r.xml", SINGLE.replace("{number}", "BP-0000001").encode())),
                ("files", notice),
            ],
            headers=_bearer(tokens[OFFICER]),
        )
        answer.raise_for_status()
        [task] = answer.json()["tasks"]
        scan = ("receipt.pdf", (EXAMPLE_FILES_DIR / "receipt.pdf").read_bytes(), "application/pdf")
        document = RECEIPT.replace("{request}", "BP-0000001").replace("{number}", "BP-R-0000001").encode()
        answer = client.post(
            f"/api/v1/tasks/{task['id']}/receipts",
            files=[("document", ("r.xml", document)), ("files", scan)],
            headers=_bearer(tokens[STAFF]),
        )
        answer.raise_for_status()


def _open_tasks(hub, prefix: str) -> list[tuple[int, str]]:
    """(task id, RequestNo) of the open tasks of the requests numbered `prefix`..., in order."""
    with hub.sessions() as session:
        rows = session.execute(
            select(Task.id, Request.request_no)
            .join(Request, Request.id == Task.request_id)
            .where(Request.request_no.startswith(prefix), Task.unit_code == UNIT, Task.status == "served")
            .order_by(Task.id)
        )
        return [(task_id, number) for task_id, number in rows]


def _task_count(hub, request_no: str) -> int:
    with hub.sessions() as session:
        query = select(func.count()).select_from(Task).join(Request).where(Request.request_no == request_no)
        return session.execute(query).scalar_one()


def generate_load(spec: dict, workdir: Path, name: str, servers: Sequence[Server] = ()) -> dict:
    """Run bench/load.py in a process of its own on `spec`; its result, with the CPU milliseconds the
    `servers` used per call (warm-up included; None where /proc cannot tell)."""
    path = workdir / f"{name}.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    before = [server.cpu_seconds() for server in servers]
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", str(path)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    after = [server.cpu_seconds() for server in servers]
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed ({name}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout)
    known = servers and None not in before and None not in after
    used = sum(after) - sum(before) if known else None
    result["server_cpu_ms"] = used / len(spec["params"]) * 1000 if used is not None else None
    return result


def _spec(servers: list[Server], load: Load, path: str, body: str, token: str, params: list[dict]) -> dict:
    return {
        "targets": [["127.0.0.1", s.port] for s in servers],
        "concurrency": load.concurrency,
        "method": "POST",
        "path": path,
        "headers": {"Content-Type": "application/xml", **_bearer(token)},
        "body": body,
        "expect": 201,
        "warmup": load.warmup,
        "params": params,
    }


def _hub_env(url: str, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return env | {"HUB_DATABASE_URL": url, "HUB_DATA_DIR": data_dir, "HUB_DEMO": "1"}


def exchange(*, admin_url: str | None, processes: int, load: Load, workdir: Path, status=None) -> dict:
    """The loads of the module docstring on one database kind with `processes` servers of each.

    Returns {"version": the database's, "requests": {"hub": result, "floor": result}, "sequential": {"hub":
    result}, "fanout": {"hub": result}, "receipts": {"hub": ..., "floor": ...}, "fanout_tasks": tasks per
    query to all capable units}; each result is bench/load.py's, with the servers' CPU per call."""
    tag = f"{'pg' if admin_url else 'sqlite'}{processes}"
    say = status or (lambda text: None)
    logs = workdir / tag
    logs.mkdir(parents=True, exist_ok=True)
    with (
        database(admin_url, f"{tag}_hub") as hub_url,
        database(admin_url, f"{tag}_floor") as floor_url,
        tempfile.TemporaryDirectory(prefix="hub-bench-data-") as data_dir,
    ):
        say(f"{tag}: migrating and seeding")
        hub = seeded(hub_url, Path(data_dir))
        try:
            tokens, version = _tokens(hub), server_version(hub)
            floor.prepare(floor_url)
            env = _hub_env(hub_url, data_dir)
            with (
                serving(HUB, env, logs, "hub", processes) as hubs,
                serving([*FLOOR, "--database-url", floor_url], env, logs, "floor", processes) as floors,
            ):
                _prime(hubs[0], tokens)
                total = load.warmup + load.calls
                numbers = [{"number": f"BQ-{i:07d}"} for i in range(total)]
                results: dict = {
                    "version": version,
                    "requests": {},
                    "sequential": {},
                    "fanout": {},
                    "receipts": {},
                }
                for side, servers in (("floor", floors), ("hub", hubs)):
                    say(f"{tag}: {total:,} single-unit requests to the {side}")
                    spec = _spec(servers, load, "/api/v1/requests", SINGLE, tokens[OFFICER], numbers)
                    results["requests"][side] = generate_load(spec, logs, f"requests-{side}", servers)
                one_by_one = replace(load, concurrency=1)
                for name, document, prefix in (("sequential", SINGLE, "BS"), ("fanout", FANOUT, "BA")):
                    params = [{"number": f"{prefix}-{i:07d}"} for i in range(load.warmup + load.fanout)]
                    say(f"{tag}: {len(params):,} {name} requests to the hub, one at a time")
                    spec = _spec(hubs, one_by_one, "/api/v1/requests", document, tokens[OFFICER], params)
                    results[name]["hub"] = generate_load(spec, logs, f"{name}-hub", hubs)
                results["fanout_tasks"] = _task_count(hub, "BA-0000000")
                tasks = _open_tasks(hub, "BQ-")
                if len(tasks) < total:
                    raise RuntimeError(f"{tag}: {len(tasks)} open tasks to answer, not {total}")
                answers = [
                    {"task": task_id, "request": number, "number": f"BR-{i:07d}"}
                    for i, (task_id, number) in enumerate(tasks[:total])
                ]
                for side, servers in (("floor", floors), ("hub", hubs)):
                    say(f"{tag}: {total:,} receipts to the {side}")
                    path = "/api/v1/tasks/{task}/receipts"
                    spec = _spec(servers, load, path, RECEIPT, tokens[STAFF], answers)
                    results["receipts"][side] = generate_load(spec, logs, f"receipts-{side}", servers)
            return results
        finally:
            hub.engine.dispose()
