"""The simulated unit's HTTP service, and the worker that posts its receipts back to the hub.

The protocol, as the hub's http-push channel speaks it:

- Hub -> unit: `POST /tasks` with the court's AssistanceRequest XML as received, headers
  `X-Hub-Task-Id`, `X-Hub-Request-No` and `Authorization: Bearer <secret>`.
  The unit answers 202 (JSON `{"accepted": true, "task_id": ...}`: its receipt follows through the hub's
  API), or with `sync` 200 and the AssistanceReceipt XML itself. 401 for a wrong bearer (when a secret is
  configured), 400 with a short text when the body is not a request for this unit, 503 for an injected
  fault, 409 when a task id already taken comes with another request. The same task pushed again is
  answered exactly as the first time and never processed twice.
- Unit -> hub: with its API token, the worker fetches the listed documents
  (`GET {hub}/api/v1/tasks/{id}/files/{filename}`, checking each sha256) and posts the receipt
  (`POST {hub}/api/v1/tasks/{id}/receipts`, multipart with its attachment). Connection errors and 5xx
  are retried with a short backoff; a 4xx is logged with the hub's message and not retried.
"""

import asyncio
import hashlib
import hmac
import logging
import queue
import random
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from hub.directory.loader import UnitEntry
from hub.simulator.answers import Answer, answer
from hub.simulator.register import Register
from hub.standard.documents import AssistanceRequest
from hub.standard.rules import inspect
from hub.standard.xml import DocumentError

log = logging.getLogger("hub.simulator")


@dataclass(frozen=True)
class SimulatorConfig:
    """How the simulated unit behaves (the options of `hub simulate-unit`)."""

    unit: UnitEntry
    hub_url: str | None = None  # the hub's base URL, for fetching documents and posting receipts
    token: str | None = None  # the unit's API token for the hub
    secret: str | None = None  # the bearer expected on pushes; None: not checked
    answer_after: float = 1.0  # seconds between a push and posting its receipt
    sync: bool = False  # answer in the push response (200 + receipt) instead of posting later
    fail_rate: float = 0.0  # probability of answering a push with 503
    latency: float = 0.0  # seconds to sleep before answering a push
    seed: int = 0
    attempts: int = 5  # tries per call to the hub on connection errors and 5xx
    backoff: float = 0.5  # seconds before the second try, doubled each time
    timeout: float = 10.0


@dataclass(frozen=True)
class Job:
    task_id: int
    request: AssistanceRequest
    answer: Answer
    due: float  # time.monotonic() after which the receipt is posted


@dataclass
class Taken:
    """A task the simulator has: what came, and what it answered."""

    request_sha256: str
    request: AssistanceRequest
    answer: Answer
    response: dict | None  # the 202 body; None when answered synchronously
    posted: str = "pending"  # "pending", "posted (201)", "refused (422)", "failed", "in response"


def _hub_message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:300]


class ReceiptPoster:
    """Posts receipts to the hub from one background thread, each `answer_after` seconds after its push.

    `start()` before submitting, `stop()` at shutdown: jobs not yet posted are dropped (and logged).
    `on_done(task_id, status)` is called with what came of each job.
    """

    def __init__(
        self, config: SimulatorConfig, *, on_done=None, transport: httpx.BaseTransport | None = None
    ) -> None:
        if not config.hub_url:
            raise ValueError("posting receipts needs the hub's URL")
        self.config = config
        self.base = config.hub_url.rstrip("/")
        self.on_done = on_done or (lambda task_id, status: None)
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._stop = threading.Event()
        self._pending = 0  # submitted, not yet done
        self._count = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="receipt-poster", daemon=True)
        headers = {"Authorization": f"Bearer {config.token}"} if config.token else {}
        self._client = httpx.Client(headers=headers, timeout=config.timeout, transport=transport)

    def start(self) -> None:
        self._thread.start()

    def submit(self, job: Job) -> None:
        with self._count:
            self._pending += 1
        self._jobs.put(job)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._jobs.put(None)
        self._thread.join(timeout)
        self._client.close()
        if self._pending:
            log.warning("stopped with %d receipt(s) not posted", self._pending)

    def _run(self) -> None:
        while not self._stop.is_set():
            job = self._jobs.get()
            if job is None or self._stop.wait(max(0.0, job.due - time.monotonic())):
                return
            try:
                status = self._deliver(job)
            except Exception:  # a bug must not stop the worker: log it, go on with the next task
                log.exception("task %d: posting the receipt failed", job.task_id)
                status = "failed"
            with self._count:
                self._pending -= 1
            self.on_done(job.task_id, status)

    def _call(self, what: str, method: str, url: str, **kwargs) -> httpx.Response | None:
        """The hub's answer: after retries on connection errors and 5xx; None when it never came."""
        delay = self.config.backoff
        for attempt in range(1, self.config.attempts + 1):
            try:
                response = self._client.request(method, url, **kwargs)
                if response.status_code < 500:
                    return response
                why = f"the hub answered {response.status_code}: {_hub_message(response)}"
            except httpx.TransportError as exc:
                why = f"{type(exc).__name__}: {exc}"
            if attempt == self.config.attempts:
                log.error("%s: giving up after %d attempts (%s)", what, attempt, why)
                return None
            log.warning("%s: %s; trying again in %.1f s", what, why, delay)
            if self._stop.wait(delay):
                return None
            delay *= 2
        return None

    def _fetch_documents(self, job: Job) -> None:
        for ref in job.request.documents:
            url = f"{self.base}/api/v1/tasks/{job.task_id}/files/{quote(ref.filename)}"
            response = self._call(f"task {job.task_id}: fetching {ref.filename}", "GET", url)
            if response is None:
                continue
            if response.status_code != 200:
                log.error(
                    "task %d: fetching %s: the hub answered %d: %s",
                    job.task_id,
                    ref.filename,
                    response.status_code,
                    _hub_message(response),
                )
            elif (actual := hashlib.sha256(response.content).hexdigest()) != ref.sha256:
                log.error(
                    "task %d: %s has sha256 %s, but the request lists %s",
                    job.task_id,
                    ref.filename,
                    actual,
                    ref.sha256,
                )

    def _deliver(self, job: Job) -> str:
        self._fetch_documents(job)
        url = f"{self.base}/api/v1/tasks/{job.task_id}/receipts"
        receipt = job.answer
        what = f"task {job.task_id}: posting receipt {receipt.receipt_no}"
        if receipt.files:
            parts = [("document", ("receipt.xml", receipt.document, "application/xml"))]
            parts += [("files", (name, data, "application/pdf")) for name, data in receipt.files.items()]
            response = self._call(what, "POST", url, files=parts)
        else:
            headers = {"Content-Type": "application/xml"}
            response = self._call(what, "POST", url, content=receipt.document, headers=headers)
        if response is None:
            return "failed"
        if response.status_code >= 400:
            log.error("%s: refused by the hub (%d): %s", what, response.status_code, _hub_message(response))
            return f"refused ({response.status_code})"
        status = response.json().get("task", {}).get("status", "?")
        log.info(
            "task %d: receipt %s (%s) posted: the hub answered %d, task %s",
            job.task_id,
            receipt.receipt_no,
            receipt.outcome,
            response.status_code,
            status,
        )
        return f"posted ({response.status_code})"


def _refuse(status: int, text: str, **headers: str) -> PlainTextResponse:
    return PlainTextResponse(text, status_code=status, headers=headers)


def _for_this_unit(request: AssistanceRequest, unit: UnitEntry) -> str | None:
    """Why the request is not a task for `unit`, or None."""
    if unit.code not in request.targets and not request.all_capable:
        return f"request {request.request_no} does not target unit {unit.code}"
    if request.action not in unit.actions:
        return f"unit {unit.code} does not perform {request.action}"
    return None


def create_app(config: SimulatorConfig) -> FastAPI:
    """The simulated unit: POST /tasks (the push), GET /register, GET /healthz."""
    unit = config.unit
    register = Register(unit, seed=config.seed)
    taken: dict[int, Taken] = {}
    lock = threading.Lock()
    faults = random.Random(f"{config.seed}:faults")

    def done(task_id: int, status: str) -> None:
        with lock:
            taken[task_id].posted = status

    poster = ReceiptPoster(config, on_done=done) if config.hub_url and not config.sync else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if poster is not None:
            poster.start()
        mode = "answers in the push response" if config.sync else f"posts receipts to {config.hub_url}"
        log.info("simulating %s (%s, %s): %s", unit.code, unit.name, unit.category, mode)
        try:
            yield
        finally:
            if poster is not None:
                poster.stop()

    app = FastAPI(title=f"Simulated unit {unit.code}", lifespan=lifespan)
    app.state.register, app.state.taken = register, taken

    def _again(task_id: int, digest: str) -> Response | None:
        """The answer to a task pushed before: the same as the first time; None for a new task.

        Nothing is decided again; only a receipt whose posting failed (the hub was unreachable) is
        posted once more, the same bytes.
        """
        with lock:
            entry = taken.get(task_id)
            if entry is None:
                return None
            if entry.request_sha256 != digest:
                log.warning("push task %d refused: it came before with another request", task_id)
                return _refuse(409, f"task {task_id} was pushed before with another request")
            retry = entry.posted == "failed" and poster is not None
            if retry:
                entry.posted = "pending"
        log.info(
            "push task %d again: answered as the first time%s", task_id, ", posting again" if retry else ""
        )
        if retry:
            poster.submit(Job(task_id, entry.request, entry.answer, time.monotonic() + config.answer_after))
        if entry.response is None:
            return Response(entry.answer.document, media_type="application/xml")
        return JSONResponse(entry.response, status_code=202)

    @app.post("/tasks")
    async def push(http: Request) -> Response:
        """A task pushed by the hub: the request XML, X-Hub-Task-Id, X-Hub-Request-No, the bearer secret."""
        if config.secret is not None:
            given = http.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, f"Bearer {config.secret}".encode()):
                log.warning("push refused: wrong or missing bearer secret")
                return _refuse(401, "wrong or missing bearer secret", **{"WWW-Authenticate": "Bearer"})
        if config.latency:
            await asyncio.sleep(config.latency)
        if config.fail_rate and faults.random() < config.fail_rate:
            log.warning("push task %s: injected fault, answered 503", http.headers.get("x-hub-task-id"))
            return _refuse(503, "injected fault: try again later", **{"Retry-After": "1"})
        try:
            task_id = int(http.headers.get("x-hub-task-id", ""))
        except ValueError:
            return _refuse(400, "the X-Hub-Task-Id header is missing or not an integer")
        body = await http.body()
        digest = hashlib.sha256(body).hexdigest()
        if (repeated := _again(task_id, digest)) is not None:
            return repeated
        try:
            request = inspect(body, expect="request").request
        except DocumentError as exc:
            problem = exc.problems[0]
            log.warning("push task %d refused: %s", task_id, problem)
            return _refuse(
                400, f"not a valid AssistanceRequest: line {problem.line}, {problem.path}: {problem.message}"
            )
        header_no = http.headers.get("x-hub-request-no")
        why = _for_this_unit(request, unit)
        if header_no is not None and header_no != request.request_no:
            why = f"X-Hub-Request-No is {header_no}, but the request is {request.request_no}"
        if why:
            log.warning("push task %d refused: %s", task_id, why)
            return _refuse(400, why)
        # no await from the look-up in _again to here: two pushes of one task cannot both pass
        result = answer(request, unit=unit, register=register, task_id=task_id, attach=not config.sync)
        body_202 = None
        if not config.sync:
            body_202 = {"accepted": True, "task_id": task_id, "request_no": request.request_no}
        with lock:
            taken[task_id] = Taken(
                digest, request, result, body_202, "in response" if config.sync else "pending"
            )
        what = f"push task {task_id} {request.request_no} {request.action}"
        if config.sync:
            log.info("%s: 200 with receipt %s (%s)", what, result.receipt_no, result.outcome)
            return Response(result.document, media_type="application/xml")
        if poster is None:
            log.warning(
                "%s: 202, but no hub is configured: receipt %s is not posted", what, result.receipt_no
            )
        else:
            poster.submit(Job(task_id, request, result, time.monotonic() + config.answer_after))
            log.info(
                "%s: 202, receipt %s (%s) in %.1f s",
                what,
                result.receipt_no,
                result.outcome,
                config.answer_after,
            )
        return JSONResponse(body_202, status_code=202)

    @app.get("/register")
    def get_register() -> dict:
        """The generated register (invented data), and the tasks answered so far."""
        with lock:
            tasks = {
                str(task_id): {
                    "request_no": t.request.request_no,
                    "receipt_no": t.answer.receipt_no,
                    "outcome": str(t.answer.outcome),
                    "receipt": t.posted,
                }
                for task_id, t in taken.items()
            }
        return {**register.as_json(), "tasks": tasks}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "unit": unit.code}

    return app
