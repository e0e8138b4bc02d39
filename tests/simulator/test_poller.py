"""`hub simulate-unit CODE --poll` against a served hub: the registry's and a bank's systems fetch their tasks
from the hub's 查控 service and feed back, as their own clients do; the officer sees the outcome in the API.

One hub per module (`hub serve` over a cloned database) and one polling process per unit, every 0.2 s.
"""

import base64
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import cloned_database, edit, multipart, token_issuer
from images import png
from live import Server, hub_env
from sqlalchemy import select

from hub.config import Settings
from hub.context import Hub
from hub.db import unit_of_work
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.models import User
from hub.simulator.poll_real_estate import (
    MORTGAGEES,
    argument,
    control_result,
    element,
    feedback,
    usermarker,
    wsbhinfo,
)
from hub.simulator.poller import Soap
from hub.simulator.register import Holding, Register, resident_id
from hub.standard.codes import AssetClass, AssetStatus

pytestmark = pytest.mark.db
HUB = Path(sys.executable).parent / "hub"
UNITS = load_directory(BUNDLED_DIRECTORY)
PASSWORDS = {"HUB_CKW_REAL_ESTATE_PASSWORD": "registry-pw-7", "HUB_CKW_RURAL_BANK_PASSWORD": "bank-pw-9"}


def subject_with(code: str, wanted) -> tuple[str, Holding]:
    """An ID number whose record at unit `code` (the simulator's register, seed 0) holds a `wanted` holding."""
    register, rng = Register(UNITS.unit(code), seed=0), random.Random("test_poller")
    for _ in range(5000):
        id_number = resident_id(rng)
        for holding in register.lookup(id_number).holdings:
            if wanted(holding):
                return id_number, holding
    raise AssertionError(f"no such subject at {code}")


# a flat of two owners, mortgaged, in the registry; a deposit in the bank, no earlier freeze
OWNER, FLAT = subject_with(
    "real-estate",
    lambda h: (
        h.asset_class is AssetClass.REAL_ESTATE and h.share == "1/2" and h.status is AssetStatus.MORTGAGED
    ),
)
DEPOSITOR, ACCOUNT = subject_with("rural-bank", lambda h: h.status is AssetStatus.NORMAL and h.value > 60000)


RECORDED = Path(__file__).resolve().parents[1] / "ckw" / "recorded" / "real-estate"


def test_the_registry_system_sends_the_bytes_the_registrys_client_sends():
    """The captures of the registry's own client (tests/ckw/recorded/real-estate/README.md), rebuilt."""

    def recorded(name: str) -> bytes:
        return (RECORDED / name).read_bytes().strip()

    assert base64.b64decode(usermarker("username", "password")) == recorded("01_kzBdcQL.usermarker.xml")
    assert base64.b64decode(wsbhinfo("2021123100001")) == recorded("03_kzwsInfo.wsbhinfo.xml")
    registered = {
        "BDCQLLX": "3",
        "BDCDYH": "320402002001GB00573F47370001",
        "BDCQZH": "苏(2022)常州市不动产权第0000001号",
        "KZZT": "1",
        "CSKSRQ": "2023/01/04",
        "CSJSRQ": "2026/01/03",
        "YWH": "XMID001",
        "CFYWH": "XMID001",
    }
    sent = argument(feedback(control_result("2021123100001", [registered]), created="2023/01/04 10:20:30"))
    assert base64.b64decode(sent) == recorded("05_feedkzBdcQL.feedbackinfo.xml")
    failed = element("BDCCXJG", {"CXQQDH": "2021123100002", "RESULT": "2040", "MESSAGE": "zjzl不能为空!"})
    assert base64.b64decode(argument(feedback(failed, created="2023/01/04"))) == recorded(
        "08_feedBdcQL.feedbackinfo.xml"
    )
    # the envelope Axis 1.4 puts on the wire, byte for byte
    soap = Soap(
        "http://127.0.0.1/ws/ckw/real-estate",
        namespace="http://ip.service.webService.ckw.tdh/",
        rpc=True,
        client=None,
    )
    envelope = soap.envelope(
        "feedkzBdcQL", [("usermarker", usermarker("username", "password")), ("feedbackinfo", sent)]
    )
    wire = (RECORDED / "wire.05_feedkzBdcQL.request.txt").read_bytes().splitlines()
    assert envelope == next(line for line in wire if line.startswith(b"<?xml"))


class Served:
    def __init__(self, base: str, hub: Hub, logs: Path) -> None:
        self.base, self.hub, self.logs = base, hub, logs
        self.officer = token_issuer(hub)("officer")

    def submit(self, document: bytes, *files: str) -> dict:
        response = httpx.post(
            f"{self.base}/api/v1/requests", files=multipart(document, *files), headers=self.officer
        )
        assert response.status_code == 201, response.text
        return response.json()

    def get(self, path: str):
        response = httpx.get(f"{self.base}{path}", headers=self.officer)
        assert response.status_code == 200, response.text
        return response.json()

    def closed(self, request: dict, timeout: float = 20) -> dict:
        """The request's one task once its unit's system has answered it."""
        [task] = request["tasks"]
        deadline = time.monotonic() + timeout
        while (task := self.get(f"/api/v1/tasks/{task['id']}"))["closed_at"] is None:
            assert time.monotonic() < deadline, (
                f"task {task['id']} is still {task['status']}:\n{self.log(task)}"
            )
            time.sleep(0.1)
        return task

    def log(self, task: dict) -> str:
        return (self.logs / f"{task['unit_code']}.log").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def served(template: str, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("poller")
    with cloned_database(template, folder) as url:
        env = hub_env(url, folder / "data", **PASSWORDS)
        hub = Hub.from_settings(Settings(database_url=url, data_dir=folder / "data", demo=True))
        server = Server([HUB, "serve", "--no-worker"], env, folder / "hub.log")
        server.start()
        pollers = [
            Server(
                [HUB, "simulate-unit", code, "--poll", "--hub", server.base, "--every", "0.2"],
                env,
                folder / f"{code}.log",
            )
            for code in ("real-estate", "rural-bank")
        ]
        try:
            for poller in pollers:
                poller.start()
            yield Served(server.base, hub, folder)
        finally:
            for poller in pollers:
                poller.stop()
            server.stop()
            hub.engine.dispose()


@pytest.fixture(scope="module")
def sealed(served: Served) -> dict:
    """The officer's seal of the flat, fetched and registered by the registry's system."""
    request = served.submit(
        edit(
            "request-seal.xml",
            ("AT-2026-000102", "AT-POLL-SEAL-1"),
            ("赵六", "钱七"),
            ("22242619790605003X", OWNER),
            ("222426001001GB00012F00010023", FLAT.asset_id),
        ),
        "ruling.pdf",
        "notice.pdf",
    )
    return served.closed(request)


def test_the_registry_polls_a_seal_and_the_officer_sees_the_control_in_force(served, sealed):
    assert (sealed["status"], sealed["outcome"]) == ("completed", "CONTROLLED")
    controls = served.get("/api/v1/controls?unit=real-estate")["items"]
    [control] = [c for c in controls if c["request_id"] == sealed["request_id"]]
    assert (control["kind"], control["status"], control["unit_code"]) == ("SEAL", "ACTIVE", "real-estate")
    assert control["registration_no"].startswith("RE-CF-")  # the registry's project no. (CFYWH)
    assert (control["period_start"], control["period_end"]) == ("2026-11-27", "2029-11-26")
    log = served.log(sealed)
    assert "kzwsInfo AT-POLL-SEAL-1: 2 document(s): ruling.pdf (688 bytes), notice.pdf (711 bytes)" in log
    assert f"feedkzBdcQL AT-POLL-SEAL-1: KZZT 1 (查封), CFYWH {control['registration_no']}" in log
    assert "success" in log.split("feedkzBdcQL AT-POLL-SEAL-1")[1].splitlines()[0]
    assert "WARNING" not in log  # nothing the registry's client would choke on


def test_a_seal_of_a_flat_not_in_the_subjects_name_comes_back_unable_in_the_registrys_words(served):
    request = served.submit(
        edit(
            "request-seal.xml",
            ("AT-2026-000102", "AT-POLL-SEAL-2"),
            ("22242619790605003X", OWNER),
            ("222426001001GB00012F00010023", "222426009009GB00000F00000001"),
        ),
        "ruling.pdf",
        "notice.pdf",
    )
    task = served.closed(request)
    assert (task["status"], task["outcome"]) == ("completed", "UNABLE")
    [receipt] = served.get(f"/api/v1/tasks/{task['id']}/receipts")
    assert "222426009009GB00000F00000001不在被执行人" in receipt["reason_text"]


def test_a_query_finds_the_flat_its_two_owners_the_mortgage_and_the_seal(served, sealed):
    request = served.submit(
        edit(
            "request-query.xml",
            ("AT-2026-000101", "AT-POLL-QUERY-1"),
            ("22242619790605003X", OWNER),
            ('<Unit code="vehicles"/>\n', ""),
            ('<Unit code="civil-affairs"/>\n', ""),
        ),
        "notice.pdf",
    )
    task = served.closed(request)
    assert task["outcome"] == "FOUND"
    [receipt] = served.get(f"/api/v1/tasks/{task['id']}/receipts")
    [flat] = receipt["assets"]
    assert (flat["asset_class"], flat["asset_id"]) == ("REAL_ESTATE", FLAT.asset_id)
    assert FLAT.description.split("，")[1] in flat["description"]  # the flat's location
    owners = {owner["name"]: owner["share"] for owner in flat["owners"]}
    assert len(owners) == 2 and owners["赵六"] is not None
    kinds = {e["kind"]: e for e in flat["encumbrances"]}
    assert kinds["MORTGAGE"]["holder"] in MORTGAGEES and kinds["MORTGAGE"]["amount"]
    seal = kinds["SEAL"]  # the seal registered above, by polling
    assert (seal["holder"], seal["start"], seal["end"]) == ("安图县人民法院", "2026-11-27", "2029-11-26")
    assert seal["registration_no"].startswith("RE-CF-")


def test_the_bank_polls_a_freeze_and_answers_it_with_the_amount_frozen(served):
    with unit_of_work(served.hub.sessions) as session:
        officer_id = session.execute(select(User.id).where(User.username == "officer")).scalar_one()
    admin = token_issuer(served.hub)("admin")
    card = httpx.put(
        f"{served.base}/api/v1/users/{officer_id}/cards/work-card",
        content=png(),
        headers={**admin, "Content-Type": "image/png"},
    )
    assert card.status_code == 200, (
        card.text
    )  # the bank's system refuses a request without the officer's card
    request = served.submit(
        edit(
            "request-freeze.xml",
            ("AT-2026-000123", "AT-POLL-FREEZE-1"),
            ("222426198503120413", DEPOSITOR),
            ('<Unit code="housing-fund"/>', '<Unit code="rural-bank"/>'),
            ("<AssetClass>FUND_ACCOUNT</AssetClass>", "<AssetClass>DEPOSIT</AssetClass>"),
            ("220100123456789", ACCOUNT.asset_id),
        ),
        "ruling.pdf",
        "notice.pdf",
    )
    task = served.closed(request)
    assert (task["status"], task["outcome"]) == ("completed", "CONTROLLED")
    [control] = served.get("/api/v1/controls?unit=rural-bank")["items"]
    assert (control["kind"], control["status"], control["amount"]) == ("FREEZE", "ACTIVE", "50000.00")
    assert (control["period_start"], control["period_end"]) == ("2026-11-27", "2027-11-26")
    log = served.log(task)
    assert "zjInfo AT-POLL-FREEZE-1: 工作证 (png, " in log
    assert (
        "shfeedXzkzInfo AT-POLL-FREEZE-1: kzzh 1: KZZT 1 (冻结 SKJE 50000.00, 2026/11/27-2027/11/26)" in log
    )


def test_the_registry_releases_the_seal_it_registered(served, sealed):
    """Last in the module: the seal the query above found is lifted."""
    [control] = [
        c
        for c in served.get("/api/v1/controls?unit=real-estate")["items"]
        if c["request_id"] == sealed["request_id"]
    ]
    request = served.submit(
        edit(
            "request-release.xml",
            ("AT-2026-000125", "AT-POLL-RELEASE-1"),
            ("222426198503120413", OWNER),
            ('<Unit code="housing-fund"/>', '<Unit code="real-estate"/>'),
            ("<AssetClass>FUND_ACCOUNT</AssetClass>", "<AssetClass>REAL_ESTATE</AssetClass>"),
            ("220100123456789", FLAT.asset_id),
            ('requestNo="AT-2026-000123" registrationNo="GJJ-DJ-2026-0042"', 'requestNo="AT-POLL-SEAL-1"'),
        ),
        "ruling.pdf",
        "notice.pdf",
    )
    task = served.closed(request)
    assert (task["status"], task["outcome"]) == ("completed", "RELEASED")
    [control] = [
        c for c in served.get("/api/v1/controls?unit=real-estate")["items"] if c["id"] == control["id"]
    ]
    assert control["status"] == "RELEASED"
    # the registry's system was told which registration to lift: its own project no. (YCFYWH)
    assert "feedkzBdcQL AT-POLL-RELEASE-1: KZZT 1 (解封), CFYWH RE-JF-" in served.log(task)


def test_poll_refuses_a_unit_not_reached_by_the_ckw_service_and_a_missing_password():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "SIMULATOR_"))}
    pushed = subprocess.run(
        [HUB, "simulate-unit", "vehicles", "--poll", "--hub", "http://127.0.0.1:9"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert pushed.returncode == 2
    assert "unit vehicles is reached by inbox, not by the 查控 service" in pushed.stderr
    no_password = subprocess.run(
        [HUB, "simulate-unit", "real-estate", "--poll", "--hub", "http://127.0.0.1:9"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert no_password.returncode == 2
    assert "--password, SIMULATOR_PASSWORD or HUB_CKW_REAL_ESTATE_PASSWORD" in no_password.stderr
