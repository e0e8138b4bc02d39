"""Crashes: `hub serve` killed with SIGKILL at random moments while clients submit requests and answer them.

Each client retries the same document on a connection error, a timeout or a 5xx until it is acknowledged
(201, or 200: the replay of one already taken). Afterwards, with the server stopped, the database and the
blob store must hold each acknowledged request and receipt exactly once, nothing that was not
acknowledged, every stored file whole under its sha256, and an audit chain that `hub audit verify` accepts.

The moments of the kills follow a seeded random: the seed is printed, HUB_CRASH_SEED=<seed> replays it.
The server runs with its worker (as `hub serve` does by default), ticking fast and mailing a real SMTP
catcher, so inbox notices and alert jobs write beside the clients when the kills come.
"""

import hashlib
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from conftest import edited, example, example_file, multipart
from live import Server
from sqlalchemy import func, select

from hub.db import unit_of_work
from hub.models import (
    AuditEvent,
    Blob,
    FoundAsset,
    QueuedDelivery,
    Receipt,
    ReceiptFile,
    Request,
    RequestFile,
    Task,
)

HUB = Path(sys.executable).parent / "hub"
CLIENTS = 5
UNITS = ("real-estate", "vehicles", "civil-affairs")  # the targets of request-query.xml
RECEIPT_PREFIX = {"real-estate": "RE", "vehicles": "VM", "civil-affairs": "CA"}
ACK_WITHIN_S = 30  # a document not acknowledged by then is a failure, not a retry
RUN_S = 35  # the kills and the clients' work stop by then, whatever the seed drew


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def filler(rng: random.Random, size: int) -> bytes:
    """Bytes no other document has, so each file is a new blob (written, not found stored)."""
    return rng.randbytes(size)


def request_document(request_no: str, rng: random.Random) -> tuple[bytes, dict[str, bytes]]:
    """request-query.xml (to real-estate, vehicles and civil-affairs) as `request_no`, with a notice of its own."""
    notice = example_file("notice.pdf") + filler(rng, rng.randint(16, 256) * 1024)
    document = edited(
        example("request-query.xml"),
        ("AT-2026-000101", request_no),
        (sha256(example_file("notice.pdf")), sha256(notice)),
    )
    return document, {"notice.pdf": notice}


def receipt_document(
    unit: str, request_no: str, receipt_no: str, rng: random.Random
) -> tuple[bytes, dict[str, bytes]]:
    """FOUND (one asset) from real-estate, NOT_FOUND from the others, with a signed scan of its own."""
    scan = example_file("receipt.pdf") + filler(rng, rng.randint(1, 64) * 1024)
    if unit == "real-estate":
        document = edited(example("receipt-found.xml"), ("RE-2026-0301", receipt_no))
    else:
        document = edited(
            example("receipt-not-found.xml"),
            ("VM-2026-0417", receipt_no),
            ("<UnitCode>vehicles</UnitCode>", f"<UnitCode>{unit}</UnitCode>"),
        )
    document = edited(
        document,
        ("AT-2026-000101", request_no),
        (sha256(example_file("receipt.pdf")), sha256(scan)),
    )
    return document, {"receipt.pdf": scan}


@dataclass(repr=False)  # a failed assertion shows its message, not every document sent
class Ledger:
    """What the clients were told, shared by their threads."""

    requests: dict[str, dict] = field(default_factory=dict)  # RequestNo -> the acknowledged body
    # RequestNo -> the document and files sent
    sent: dict[str, tuple[bytes, dict[str, bytes]]] = field(default_factory=dict)
    receipts: dict[tuple[str, str], dict] = field(default_factory=dict)  # (unit, ReceiptNo) -> body
    replays: Counter[str] = field(default_factory=Counter)  # 200s (an earlier attempt was taken) by kind
    transport_errors: int = 0
    server_errors: list[tuple[float, str]] = field(default_factory=list)  # (when, what)
    failures: list[str] = field(default_factory=list)  # refusals, documents never acknowledged, crashes
    changed: threading.Condition = field(default_factory=threading.Condition)

    def acknowledged(self) -> int:
        return len(self.requests) + len(self.receipts)

    def fail(self, message: str) -> None:
        with self.changed:
            self.failures.append(message)
            self.changed.notify_all()

    def wait_for_acks(self, n: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.acknowledged() >= n or self.failures, timeout)


class Client:
    """One court's or unit's caller: posts a document until it is acknowledged, the same bytes each time."""

    def __init__(self, base: str, ledger: Ledger) -> None:
        self.http = httpx.Client(base_url=base, timeout=httpx.Timeout(10, connect=2))
        self.ledger = ledger

    def deliver(
        self, path: str, headers: dict[str, str], document: bytes, files: dict[str, bytes]
    ) -> dict | None:
        ledger, deadline = self.ledger, time.monotonic() + ACK_WITHIN_S
        while time.monotonic() < deadline:
            try:
                answer = self.http.post(path, files=multipart(document, files=files), headers=headers)
            except httpx.TransportError:
                with ledger.changed:
                    ledger.transport_errors += 1
            else:
                if answer.status_code in (200, 201):
                    with ledger.changed:
                        ledger.replays[path.rsplit("/", 1)[-1]] += answer.status_code == 200
                    return answer.json()
                if answer.status_code < 500:
                    ledger.fail(f"POST {path}: {answer.status_code} {answer.text[:500]}")
                    return None
                with ledger.changed:
                    ledger.server_errors.append(
                        (time.monotonic(), f"POST {path}: {answer.status_code} {answer.text[:300]}")
                    )
            time.sleep(0.05)  # a retry's pause, while the server is down
        ledger.fail(f"POST {path}: not acknowledged within {ACK_WITHIN_S} s")
        return None

    def run(
        self, index: int, rng: random.Random, tokens: dict[str, dict[str, str]], stop: threading.Event
    ) -> None:
        """Submit requests, each followed by a receipt from every unit it went to, until `stop`."""
        ledger = self.ledger
        try:
            for n in range(1, 10_000):
                if stop.is_set() or ledger.failures:
                    return
                request_no = f"CR-{index}-{n:04d}"
                document, files = request_document(request_no, rng)
                ledger.sent[request_no] = (document, files)
                body = self.deliver("/api/v1/requests", tokens["officer"], document, files)
                if body is None:
                    return
                with ledger.changed:
                    ledger.requests[request_no] = body
                    ledger.changed.notify_all()
                for task in body["tasks"]:
                    unit = task["unit_code"]
                    if task["status"] != "served":  # the inbox serves a task as the request is taken
                        ledger.fail(f"{request_no}: task {task['id']} is {task['status']}")
                        return
                    receipt_no = f"{RECEIPT_PREFIX[unit]}-{index}-{n:04d}"
                    document, files = receipt_document(unit, request_no, receipt_no, rng)
                    answer = self.deliver(
                        f"/api/v1/tasks/{task['id']}/receipts", tokens[unit], document, files
                    )
                    if answer is None:
                        return
                    with ledger.changed:
                        ledger.receipts[(unit, receipt_no)] = {
                            **answer,
                            "task_id": task["id"],
                            "sent": [sha256(document), *map(sha256, files.values())],
                        }
                        ledger.changed.notify_all()
        except Exception as exc:  # a bug of the test itself: fail it, do not hang it
            ledger.fail(f"client {index} crashed: {exc!r}")
        finally:
            self.http.close()
            with ledger.changed:
                ledger.changed.notify_all()


@pytest.fixture
def crash_seed() -> int:
    seed = int(os.environ.get("HUB_CRASH_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"crash seed {seed}: HUB_CRASH_SEED={seed} replays these kills")
    return seed


def test_acknowledged_work_survives_kills(database_url, settings, hub, token, smtp, tmp_path, crash_seed):
    started = time.monotonic()
    rng = random.Random(crash_seed)
    tokens = {"officer": token("officer"), **{unit: token(f"staff-{unit}") for unit in UNITS}}
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATABASE_URL=database_url,
        HUB_DATA_DIR=str(settings.data_dir),
        HUB_DEMO="1",
        HUB_TICK_S="0.2",
        HUB_SMTP_PORT=str(smtp.port),
    )
    server = Server([HUB, "serve"], env, tmp_path / "hub.log")
    server.start()
    ledger, stop = Ledger(), threading.Event()
    clients = [
        threading.Thread(
            target=Client(server.base, ledger).run,
            args=(i, random.Random(f"{crash_seed}-{i}"), tokens, stop),
            name=f"client-{i}",
        )
        for i in range(1, CLIENTS + 1)
    ]
    for thread in clients:
        thread.start()

    windows: list[tuple[float, float]] = []  # from each kill to the restarted server's first 200 on /healthz
    kills = rng.randint(3, 5)
    try:
        for _ in range(kills):
            wanted = ledger.acknowledged() + rng.randint(2, 10)
            if not ledger.wait_for_acks(wanted, timeout=RUN_S / kills) or ledger.failures:
                break
            time.sleep(rng.uniform(0, 0.3))  # the random moment of the kill, inside the clients' work
            killed = time.monotonic()
            server.kill()
            server.start()
            windows.append((killed, time.monotonic()))
        # the restarted server takes work again before the clients stop
        worked_on = ledger.wait_for_acks(ledger.acknowledged() + 2 * CLIENTS, timeout=10)
    finally:
        stop.set()
        for thread in clients:
            thread.join(timeout=ACK_WITHIN_S + 15)
        server.stop()
    elapsed = time.monotonic() - started
    print(
        f"{len(windows)} kills; acknowledged {len(ledger.requests)} requests and {len(ledger.receipts)} "
        f"receipts ({ledger.replays['requests']} + {ledger.replays['receipts']} replays, "
        f"{ledger.transport_errors} connection errors) in {elapsed:.1f} s"
    )

    seed = f"(HUB_CRASH_SEED={crash_seed}; server log {server.log}{server_errors(server.log)})"
    assert not [t.name for t in clients if t.is_alive()], f"clients still running {seed}"
    assert not ledger.failures, f"{ledger.failures[:5]} {seed}"
    assert len(windows) == kills, f"{len(windows)} of {kills} kills made {seed}"
    assert worked_on, f"the server took no work after its last restart {seed}"
    outside = [what for at, what in ledger.server_errors if not any(a <= at <= b for a, b in windows)]
    assert not outside, f"5xx answers while the server was up: {outside[:5]} {seed}"
    assert ledger.requests and ledger.receipts, seed

    check_requests(hub, ledger, seed)
    check_receipts(hub, ledger, seed)
    check_blobs(hub, seed)
    verified = subprocess.run([HUB, "audit", "verify"], env=env, capture_output=True, text=True)
    assert verified.returncode == 0, f"{verified.stdout}{verified.stderr} {seed}"


def server_errors(log: Path) -> str:
    """The distinct exceptions the server logged, last lines of their tracebacks: to say why at once."""
    found = re.findall(r"^(?:[\w.]+)(?:Error|Exception)\b.*$", log.read_text(errors="replace"), re.MULTILINE)
    return "".join(f"\n  {line}" for line in dict.fromkeys(found))


def check_requests(hub, ledger: Ledger, seed: str) -> None:
    """Each acknowledged RequestNo once, as sent, with a task per target unit, each served once; no others."""
    with unit_of_work(hub.sessions) as session:
        stored = {r.request_no: r for r in session.execute(select(Request)).scalars()}
        assert set(stored) == set(ledger.requests), f"stored vs acknowledged requests differ {seed}"
        received = Counter(
            session.execute(
                select(AuditEvent.entity_id).where(AuditEvent.kind == "request.received")
            ).scalars()
        )
        served = Counter(
            session.execute(select(AuditEvent.entity_id).where(AuditEvent.kind == "task.served")).scalars()
        )
        deliveries = Counter(session.execute(select(QueuedDelivery.task_id)).scalars())
        for request_no, body in ledger.requests.items():
            request = stored[request_no]
            document, files = ledger.sent[request_no]
            assert request.id == body["id"], (
                f"{request_no}: acknowledged as {body['id']}, stored as {request.id}"
            )
            assert request.document_sha256 == sha256(document), request_no
            assert [(f.filename, f.sha256) for f in request.files] == [
                (name, sha256(data)) for name, data in files.items()
            ], request_no
            tasks = {t.unit_code: t.id for t in request.tasks}
            assert sorted(tasks) == sorted(UNITS), f"{request_no}: tasks for {sorted(tasks)}"
            assert tasks == {t["unit_code"]: t["id"] for t in body["tasks"]}, request_no
            assert received[str(request.id)] == 1, f"{request_no}: {received[str(request.id)]} audit events"
            for task_id in tasks.values():
                assert (served[str(task_id)], deliveries[task_id]) == (1, 1), f"{request_no}: task {task_id}"


def check_receipts(hub, ledger: Ledger, seed: str) -> None:
    """Each acknowledged ReceiptNo applied once: one receipt row, its task completed, its assets once."""
    with unit_of_work(hub.sessions) as session:
        rows = Counter(session.execute(select(Receipt.unit_code, Receipt.receipt_no)).all())
        assert set(rows) == set(ledger.receipts), f"stored vs acknowledged receipts differ {seed}"
        assert max(rows.values()) == 1, f"receipts stored twice: {[k for k, n in rows.items() if n > 1]}"
        applied = Counter(
            session.execute(
                select(AuditEvent.entity_id).where(AuditEvent.kind == "receipt.received")
            ).scalars()
        )
        assets = dict(
            session.execute(select(FoundAsset.receipt_id, func.count()).group_by(FoundAsset.receipt_id)).all()
        )
        for (unit, receipt_no), body in ledger.receipts.items():
            receipt = session.execute(
                select(Receipt).where(Receipt.unit_code == unit, Receipt.receipt_no == receipt_no)
            ).scalar_one()
            task = session.get_one(Task, receipt.task_id)
            assert receipt.id == body["receipt_id"] and task.id == body["task_id"], receipt_no
            assert [receipt.document_sha256, *(f.sha256 for f in receipt.files)] == body["sent"], receipt_no
            assert (task.status, task.outcome) == ("completed", receipt.outcome), receipt_no
            assert applied[str(task.id)] == 1, f"{receipt_no}: {applied[str(task.id)]} audit events"
            assert assets.get(receipt.id, 0) == int(unit == "real-estate"), f"{receipt_no}: assets {assets}"


def check_blobs(hub, seed: str) -> None:
    """Every stored document and file has its blob row and its file, whole: the bytes hash to the name."""
    with unit_of_work(hub.sessions) as session:
        sizes = dict(session.execute(select(Blob.sha256, Blob.size)).all())
        referred = set()
        for column in (
            Request.document_sha256,
            RequestFile.sha256,
            Receipt.document_sha256,
            ReceiptFile.sha256,
        ):
            referred |= set(session.execute(select(column)).scalars())
    assert referred <= set(sizes), f"documents refer to blobs without a row {seed}"
    for digest, size in sizes.items():
        path = hub.blobs.files.path(digest)
        assert path.is_file(), f"blob {digest} has a row but no file {seed}"
        data = path.read_bytes()
        assert (len(data), sha256(data)) == (size, digest), f"blob {digest} is not whole {seed}"
    # what killed transactions left: files without a row, and unfinished writes (harmless, only space)
    left = [p for p in hub.blobs.files.root.rglob("*") if p.is_file() and p.name not in sizes]
    unfinished = sum(p.name.startswith(".") for p in left)
    print(
        f"blob store: {len(sizes)} blobs, {len(left) - unfinished} files without a row, {unfinished} unfinished"
    )
