"""`python -m hub.simulator` against a real `hub serve`, over loopback HTTP, as the hub's push channel uses it."""

import hashlib
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import edit, example, listed_files, multipart
from live import free_port, serving

from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.simulator.answers import answer
from hub.simulator.app import Job, ReceiptPoster, SimulatorConfig
from hub.simulator.register import Register
from hub.standard.rules import inspect

ROOT = Path(__file__).resolve().parents[2]
HUB = str(Path(sys.executable).parent / "hub")
DIRECTORY = load_directory(BUNDLED_DIRECTORY)
SECRET = "push-secret-for-tests"


def _env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "SIMULATOR_"))}
    return {**clean, **extra}


def simulator(tmp_path: Path, code: str, *options: str) -> Iterator[str]:
    args = [sys.executable, "-m", "hub.simulator", code, *options]
    return serving(args, _env(), tmp_path / f"simulator-{code}.log")


class ServedHub:
    def __init__(self, base: str, env: dict[str, str]) -> None:
        self.base, self.env = base, env

    def bearer(self, username: str) -> dict[str, str]:
        done = subprocess.run([HUB, "token", "issue", username], env=self.env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return {"Authorization": f"Bearer {done.stdout.strip()}"}

    def submit(self, officer: dict[str, str], document: bytes) -> dict:
        parts = multipart(document, *listed_files(document))
        response = httpx.post(f"{self.base}/api/v1/requests", files=parts, headers=officer)
        assert response.status_code == 201, response.text
        return response.json()

    def get(self, path: str, headers: dict[str, str]) -> httpx.Response:
        response = httpx.get(f"{self.base}{path}", headers=headers)
        assert response.status_code == 200, response.text
        return response

    def completed(self, task_id: int, headers: dict[str, str], timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while (task := self.get(f"/api/v1/tasks/{task_id}", headers).json())["status"] != "completed":
            assert time.monotonic() < deadline, f"task {task_id} is still {task['status']}"
            time.sleep(0.1)
        return task


@pytest.fixture
def served_hub(database_url: str, tmp_path: Path) -> Iterator[ServedHub]:
    env = _env(HUB_DATABASE_URL=database_url, HUB_DATA_DIR=str(tmp_path / "hub"), HUB_DEMO="1")
    subprocess.run([HUB, "db", "upgrade"], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run([HUB, "seed", "--demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    with serving([HUB, "serve"], env, tmp_path / "hub.log") as base:
        yield ServedHub(base, env)


def push(simulator_base: str, hub: ServedHub, task_id: int, staff: dict[str, str], **headers: str):
    """POST the task's request to the simulator as the hub's http-push channel does."""
    document = hub.get(f"/api/v1/tasks/{task_id}/document", staff).content
    request_no = inspect(document, expect="request").request.request_no
    sent = {
        "Authorization": f"Bearer {SECRET}",
        "X-Hub-Task-Id": str(task_id),
        "X-Hub-Request-No": request_no,
    }
    sent |= {"Content-Type": "application/xml", **headers}
    return httpx.post(f"{simulator_base}/tasks", content=document, headers=sent)


def test_a_pushed_task_gets_its_receipt_posted_back_once(served_hub, tmp_path):
    hub = served_hub
    officer, staff = hub.bearer("officer"), hub.bearer("staff-housing-fund")
    freeze = hub.submit(officer, example("request-freeze.xml"))["tasks"][0]["id"]
    query_document = edit(
        "request-query.xml",
        ('<Unit code="real-estate"/>', '<Unit code="housing-fund"/>'),
        ('<Unit code="vehicles"/>', ""),
        ('<Unit code="civil-affairs"/>', ""),
    )
    query = hub.submit(officer, query_document)["tasks"][0]["id"]
    options = ("--hub", hub.base, "--token", staff["Authorization"][7:], "--secret", SECRET)
    with simulator(tmp_path, "housing-fund", *options, "--answer-after", "0.2") as sim:
        first = push(sim, hub, freeze, staff)
        assert first.status_code == 202, first.text
        assert first.json() == {"accepted": True, "task_id": freeze, "request_no": "AT-2026-000123"}
        assert push(sim, hub, freeze, staff).json() == first.json()  # at once again: the same answer
        assert push(sim, hub, query, staff).status_code == 202

        task = hub.completed(freeze, staff)
        assert task["outcome"] == "CONTROLLED"
        again = push(sim, hub, freeze, staff)  # after it was answered: still the same, nothing new
        assert (again.status_code, again.json()) == (202, first.json())
        time.sleep(0.5)
        [receipt] = hub.get(f"/api/v1/tasks/{freeze}/receipts", staff).json()
        assert receipt["receipt_no"] == f"HF-SIM-{freeze:06d}"
        assert [f["filename"] for f in receipt["files"]] == ["receipt.pdf"]
        controls = hub.get("/api/v1/controls?status=ACTIVE", officer).json()["items"]
        assert [(c["registration_no"], c["amount"]) for c in controls] == [
            (f"HF-DJ-{freeze:06d}-1", "50000.00")
        ]

        held = Register(DIRECTORY.unit("housing-fund"), seed=0).lookup("22242619790605003X").holdings
        assert hub.completed(query, staff)["outcome"] == ("FOUND" if held else "NOT_FOUND")
        [receipt] = hub.get(f"/api/v1/tasks/{query}/receipts", staff).json()
        assert [a["asset_id"] for a in receipt["assets"]] == [h.asset_id for h in held]

        shown = httpx.get(f"{sim}/register").json()
        assert shown["tasks"][str(freeze)]["receipt"] == "posted (201)"
        assert "22242619790605003X" in shown["subjects"]
    assert "refused" not in (tmp_path / "simulator-housing-fund.log").read_text()


def test_with_sync_the_push_answer_is_the_receipt_and_the_hub_accepts_it(served_hub, tmp_path):
    hub = served_hub
    officer, staff = hub.bearer("officer"), hub.bearer("staff-town-mingyue")
    tasks = hub.submit(officer, example("request-locate-person.xml"))["tasks"]
    task_id = next(t["id"] for t in tasks if t["unit_code"] == "town-mingyue")
    with simulator(tmp_path, "town-mingyue", "--sync", "--secret", SECRET) as sim:
        answered = push(sim, hub, task_id, staff)
        assert answered.status_code == 200, answered.text
        assert answered.headers["content-type"] == "application/xml"
        receipt = inspect(answered.content, expect="receipt").receipt
        assert (receipt.unit_code, receipt.receipt_no, receipt.attachments) == (
            "town-mingyue",
            f"TM-SIM-{task_id:06d}",
            [],
        )
        assert push(sim, hub, task_id, staff).content == answered.content  # pushed again: the same bytes

    # what the hub's http-push channel does with it: apply it as the unit's receipt
    posted = httpx.post(
        f"{hub.base}/api/v1/tasks/{task_id}/receipts",
        content=answered.content,
        headers={**staff, "Content-Type": "application/xml"},
    )
    assert posted.status_code == 201, posted.text
    residence = Register(DIRECTORY.unit("town-mingyue")).lookup("222426199202140052").residence
    expected = "LOCATED" if residence and residence.located else "NOT_LOCATED"
    assert hub.completed(task_id, staff)["outcome"] == str(receipt.outcome) == expected


def test_pushes_that_are_not_for_the_unit_are_refused(tmp_path):
    freeze, seal = example("request-freeze.xml"), example("request-seal.xml")
    with simulator(tmp_path, "housing-fund", "--sync", "--secret", SECRET) as sim:

        def post(body: bytes, **headers: str) -> httpx.Response:
            sent = {"Authorization": f"Bearer {SECRET}", "X-Hub-Task-Id": "5", **headers}
            return httpx.post(f"{sim}/tasks", content=body, headers=sent)

        wrong = post(freeze, Authorization="Bearer not-the-secret")
        assert (wrong.status_code, wrong.headers["www-authenticate"]) == (401, "Bearer")
        assert httpx.post(f"{sim}/tasks", content=freeze, headers={"X-Hub-Task-Id": "5"}).status_code == 401
        assert post(b"<not-xml").status_code == 400
        other = post(seal, **{"X-Hub-Task-Id": "6"})
        assert (other.status_code, other.text) == (
            400,
            "request AT-2026-000102 does not target unit housing-fund",
        )
        assert post(freeze, **{"X-Hub-Task-Id": "x"}).status_code == 400
        assert post(freeze, **{"X-Hub-Request-No": "AT-2026-999999"}).status_code == 400
        assert post(freeze).status_code == 200
        assert post(edit("request-freeze.xml", ("50000.00", "40000.00"))).status_code == 409
        assert httpx.get(f"{sim}/register").json()["tasks"].keys() == {"5"}


def test_an_injected_fault_answers_503(tmp_path):
    with simulator(tmp_path, "housing-fund", "--sync", "--fail-rate", "1") as sim:
        for _ in range(2):
            response = httpx.post(
                f"{sim}/tasks", content=example("request-freeze.xml"), headers={"X-Hub-Task-Id": "5"}
            )
            assert (response.status_code, response.headers["retry-after"]) == (503, "1")
        assert httpx.get(f"{sim}/register").json()["tasks"] == {}


def test_the_worker_retries_a_failing_hub_and_does_not_retry_a_refusal(caplog):
    """The posting-back worker alone, against a scripted hub (httpx.MockTransport)."""
    unit = DIRECTORY.unit("housing-fund")
    request = inspect(example("request-freeze.xml"), expect="request").request
    calls: list[str] = []
    script = {"receipts": [503, 503, 201], "ruling.pdf": [200], "notice.pdf": [200]}

    def hub(http: httpx.Request) -> httpx.Response:
        name = http.url.path.rsplit("/", 1)[-1]
        calls.append(name)
        status = script[name].pop(0) if script[name] else 422
        if name == "receipts":
            body = {"task": {"status": "completed"}} if status < 400 else {"error": {"message": "nope"}}
            return httpx.Response(status, json=body)
        return httpx.Response(status, content=b"not the listed file")

    config = SimulatorConfig(unit=unit, hub_url="http://hub.test", token="t", backoff=0.01, answer_after=0)
    done: list[tuple[int, str]] = []
    poster = ReceiptPoster(config, transport=httpx.MockTransport(hub), on_done=lambda *a: done.append(a))
    result = answer(request, unit=unit, register=Register(unit), task_id=3)
    with caplog.at_level(logging.INFO, logger="hub.simulator"):
        poster.start()
        poster.submit(Job(3, request, result, time.monotonic()))
        poster.submit(Job(4, request, result, time.monotonic()))
        for _ in range(200):
            if len(done) == 2:
                break
            time.sleep(0.02)
        poster.stop()
    assert done == [(3, "posted (201)"), (4, "refused (422)")]
    retried = ["ruling.pdf", "notice.pdf", "receipts", "receipts", "receipts"]
    assert calls == [*retried, "ruling.pdf", "notice.pdf", "receipts"]  # a refusal is not retried
    bad = hashlib.sha256(b"not the listed file").hexdigest()
    assert f"ruling.pdf has sha256 {bad}, but the request lists" in caplog.text
    assert "refused by the hub (422): nope" in caplog.text


def test_a_receipt_the_hub_never_got_is_posted_again_when_the_task_is_pushed_again(caplog):
    from fastapi.testclient import TestClient

    from hub.simulator.app import create_app

    config = SimulatorConfig(
        unit=DIRECTORY.unit("housing-fund"),
        hub_url=f"http://127.0.0.1:{free_port()}",  # nothing listens there
        token="t",
        answer_after=0,
        attempts=2,
        backoff=0.01,
    )
    headers = {"X-Hub-Task-Id": "8", "Content-Type": "application/xml"}

    def receipt_state(client: TestClient, wanted: str) -> None:
        for _ in range(200):
            if client.get("/register").json()["tasks"]["8"]["receipt"] == wanted:
                return
            time.sleep(0.02)
        pytest.fail(f"the receipt never became {wanted}")

    with caplog.at_level(logging.INFO, logger="hub.simulator"), TestClient(create_app(config)) as client:
        first = client.post("/tasks", content=example("request-freeze.xml"), headers=headers)
        assert first.status_code == 202
        receipt_state(client, "failed")
        again = client.post("/tasks", content=example("request-freeze.xml"), headers=headers)
        assert again.json() == first.json()
        receipt_state(client, "failed")
    assert "push task 8 again: answered as the first time, posting again" in caplog.text
    assert caplog.text.count("giving up after 2 attempts") == 2 * 3  # two documents and the receipt, twice
