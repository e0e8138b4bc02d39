"""Receipts (回执): each example answers its task, and every receipt the standard refuses leaves nothing behind."""

import re
from decimal import Decimal

import pytest
from conftest import edited, example, listed_files, multipart, submit
from sqlalchemy import select

from hub.models import FoundAsset
from schemas import EXAMPLES_DIR

# receipt example -> (the request it answers, the task's status after it, the request's status after it,
#                     (request, receipt) pairs that must come first)
ANSWERS = {
    "receipt-acknowledged.xml": ("request-credit-notice.xml", "completed", "open", ()),
    "receipt-controlled.xml": ("request-freeze.xml", "completed", "done", ()),
    "receipt-converted.xml": (
        "request-pre-seal.xml",
        "completed",
        "done",
        (("request-pre-seal.xml", "receipt-pre-sealed.xml"),),
    ),
    "receipt-found.xml": ("request-query.xml", "completed", "open", ()),
    "receipt-info-mismatch.xml": ("request-query.xml", "completed", "open", ()),
    "receipt-interim.xml": ("request-query.xml", "acknowledged", "open", ()),
    "receipt-located.xml": ("request-locate-person.xml", "completed", "open", ()),
    "receipt-not-found.xml": ("request-query.xml", "completed", "open", ()),
    "receipt-not-located.xml": ("request-locate-person.xml", "completed", "open", ()),
    "receipt-objected.xml": ("request-deduct.xml", "objected", "open", ()),
    "receipt-partial.xml": ("request-seize.xml", "completed", "done", ()),
    "receipt-pre-sealed.xml": ("request-pre-seal.xml", "completed", "done", ()),
    "receipt-released.xml": (
        "request-release.xml",
        "completed",
        "done",
        (("request-freeze.xml", "receipt-controlled.xml"),),
    ),
    "receipt-transferred.xml": (
        "request-transfer.xml",
        "completed",
        "done",
        (("request-seize.xml", "receipt-partial.xml"),),
    ),
    "receipt-unable.xml": ("request-deduct.xml", "completed", "open", ()),
    "receipt-waitlisted.xml": ("request-seal.xml", "completed", "done", ()),
}
RECEIPTS = sorted(path.name for path in EXAMPLES_DIR.glob("receipt-*.xml"))


def field(document: bytes, tag: str) -> str:
    return re.search(rf"<{tag}>([^<]*)</{tag}>".encode(), document).group(1).decode()


def post_receipt(client, headers, task_id: int, document: bytes, files: list[str] | None = None):
    files = listed_files(document) if files is None else files
    return client.post(
        f"/api/v1/tasks/{task_id}/receipts", files=multipart(document, *files), headers=headers
    )


def task_id(request: dict, unit: str) -> int:
    [task] = [t for t in request["tasks"] if t["unit_code"] == unit]
    return task["id"]


def answer(client, token, request_name: str, receipt_name: str) -> None:
    """Submit a request example as the officer and answer it with a receipt example from its unit."""
    request = submit(client, token("officer"), request_name)
    receipt = example(receipt_name)
    unit = field(receipt, "UnitCode")
    response = post_receipt(client, token(f"staff-{unit}"), task_id(request, unit), receipt)
    assert response.status_code == 201, response.text


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.mark.parametrize("name", RECEIPTS)
def test_each_receipt_example_answers_its_task(client, token, stored, name):
    request_name, task_status, request_status, first = ANSWERS[name]
    for earlier in first:
        answer(client, token, *earlier)
    officer, receipt = token("officer"), example(name)
    unit = field(receipt, "UnitCode")
    if request_name in {earlier for earlier, _ in first}:  # a further receipt, to the task answered first
        again = example(request_name)
        response = client.post(
            "/api/v1/requests", files=multipart(again, *listed_files(again)), headers=officer
        )
        assert response.status_code == 200, response.text  # the same request: answered as the first time
        request = response.json()
    else:
        request = submit(client, officer, request_name)
    assert request["request_no"] == field(receipt, "RequestNo")
    before = stored()

    response = post_receipt(client, token(f"staff-{unit}"), task_id(request, unit), receipt)

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["receipt_no"], body["outcome"]) == (field(receipt, "ReceiptNo"), field(receipt, "Outcome"))
    assert body["final"] is (field(receipt, "Final") == "true")
    after = stored()
    assert after["receipts"] == before["receipts"] + 1
    assert after["receipt_files"] == before["receipt_files"] + len(listed_files(receipt))
    task = client.get(f"/api/v1/tasks/{task_id(request, unit)}", headers=officer).json()
    assert task["status"] == body["task"]["status"] == task_status
    if task_status == "acknowledged":
        assert task["acknowledged_at"] is not None
        assert (task["closed_at"], task["outcome"]) == (None, None)
    else:
        assert task["closed_at"] is not None
        assert task["outcome"] == field(receipt, "Outcome")
    shown = client.get(f"/api/v1/requests/{request['id']}", headers=officer).json()
    assert shown["status"] == request_status
    inbox = client.get(f"/api/v1/units/{unit}/tasks?status=open", headers=token(f"staff-{unit}")).json()
    assert inbox["total"] == (1 if task_status == "acknowledged" else 0)


def test_query_stays_open_until_every_unit_answered_finally(client, token, stored, hub):
    officer = token("officer")
    request = submit(client, officer, "request-query.xml")

    def status() -> str:
        return client.get(f"/api/v1/requests/{request['id']}", headers=officer).json()["status"]

    real_estate = task_id(request, "real-estate")

    interim = post_receipt(client, token("staff-real-estate"), real_estate, example("receipt-interim.xml"))
    assert interim.status_code == 201, interim.text
    assert interim.json()["task"]["status"] == "acknowledged"
    assert status() == "open"

    before = stored()
    found = post_receipt(client, token("staff-real-estate"), real_estate, example("receipt-found.xml"))
    assert found.status_code == 201, found.text
    assert found.json()["task"]["status"] == "completed"
    # The API shows no found assets (no endpoint); what the receipt reported is checked where it is stored.
    assert stored()["found_assets"] == before["found_assets"] + 1
    with hub.sessions() as session:
        [asset] = session.execute(select(FoundAsset).where(FoundAsset.task_id == real_estate)).scalars()
        assert (asset.asset_class, asset.asset_id) == ("REAL_ESTATE", "222426001001GB00012F00010023")
        assert (asset.value, asset.currency, asset.status) == (Decimal("286000.00"), "CNY", "MORTGAGED")
        assert asset.owners == [{"name": "赵六", "share": "1/1"}]
        assert asset.encumbrances == [
            {
                "kind": "MORTGAGE",
                "holder": "中国工商银行股份有限公司安图支行",
                "registration_no": "BDC-DY-2019-0456",
                "reference": "吉(2019)安图县不动产证明第0000456号",
                "amount": "200000.00",
                "currency": "CNY",
                "start": "2019-06-10",
                "end": "2039-06-09",
            },
            {
                "kind": "SEAL",
                "holder": "延吉市人民法院",
                "registration_no": "BDC-CF-2025-0031",
                "reference": "(2025)吉2401执123号",
                "start": "2025-01-02",
                "end": "2028-01-01",
            },
        ]
    assert status() == "open"

    for unit, name in (("vehicles", "receipt-not-found.xml"), ("civil-affairs", "receipt-info-mismatch.xml")):
        assert status() == "open"
        response = post_receipt(client, token(f"staff-{unit}"), task_id(request, unit), example(name))
        assert response.status_code == 201, response.text
    assert status() == "done"
    done = client.get("/api/v1/requests?status=done", headers=officer).json()
    assert [r["id"] for r in done["items"]] == [request["id"]]


def test_deduct_is_done_when_one_unit_cannot_and_the_other_objects(client, token):
    officer = token("officer")
    request = submit(client, officer, "request-deduct.xml")
    for unit, name in (("insurer-picc", "receipt-objected.xml"), ("housing-fund", "receipt-unable.xml")):
        response = post_receipt(client, token(f"staff-{unit}"), task_id(request, unit), example(name))
        assert response.status_code == 201, response.text
    shown = client.get(f"/api/v1/requests/{request['id']}", headers=officer).json()
    assert {t["unit_code"]: t["status"] for t in shown["tasks"]} == {
        "housing-fund": "completed",
        "insurer-picc": "objected",
    }
    assert shown["status"] == "done"


def test_same_receipt_again_is_answered_as_the_first_time(client, token, stored):
    request = submit(client, token("officer"), "request-freeze.xml")
    staff, task = token("staff-housing-fund"), task_id(request, "housing-fund")
    first = post_receipt(client, staff, task, example("receipt-controlled.xml"))
    assert first.status_code == 201, first.text
    before = stored()

    again = post_receipt(client, staff, task, example("receipt-controlled.xml"))

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert stored() == before


def test_same_receipt_no_with_other_content_is_a_conflict(client, token, stored):
    request = submit(client, token("officer"), "request-freeze.xml")
    staff, task = token("staff-housing-fund"), task_id(request, "housing-fund")
    assert post_receipt(client, staff, task, example("receipt-controlled.xml")).status_code == 201
    before = stored()
    other = edited(example("receipt-controlled.xml"), ("2026-11-28T10:00:00", "2026-11-28T11:00:00"))

    error = error_of(post_receipt(client, staff, task, other), 409)

    assert error["code"] == "receipt_no_conflict"
    assert "HF-2026-8891" in error["message"]
    assert stored() == before


CONTROLLED = example("receipt-controlled.xml")


@pytest.mark.parametrize(
    ("request_name", "first", "late"),
    [
        (
            "request-query.xml",
            example("receipt-not-found.xml"),
            edited(example("receipt-not-found.xml"), ("VM-2026-0417", "VM-2026-0420")),
        ),
        (
            "request-query.xml",
            example("receipt-not-found.xml"),
            edited(
                example("receipt-interim.xml"), ("real-estate", "vehicles"), ("RE-2026-0300", "VM-2026-0421")
            ),
        ),
        ("request-freeze.xml", CONTROLLED, edited(CONTROLLED, ("HF-2026-8891", "HF-2026-8899"))),
    ],
    ids=["final-again", "interim-after-final", "controlled-again"],
)
def test_receipt_for_a_closed_task_is_refused(client, token, stored, request_name, first, late):
    unit = field(first, "UnitCode")
    request = submit(client, token("officer"), request_name)
    staff, task = token(f"staff-{unit}"), task_id(request, unit)
    assert post_receipt(client, staff, task, first).status_code == 201
    before = stored()

    error = error_of(post_receipt(client, staff, task, late), 409)

    assert error["code"] == "task_closed"
    assert "it cannot become ACTIVE" not in error["message"]  # a control already ACTIVE is said to be so
    assert stored() == before
    assert client.get(f"/api/v1/tasks/{task}", headers=staff).json()["outcome"] == field(first, "Outcome")


@pytest.mark.parametrize(
    ("request_name", "receipt", "earlier"),
    [
        (
            "request-deduct.xml",
            edited(CONTROLLED, ("AT-2026-000123", "AT-2026-000104"), ("220100123456789", "220100999999999")),
            (),
        ),
        (
            "request-release.xml",
            edited(example("receipt-released.xml"), ("220100123456789", "220100999999999")),
            (("request-freeze.xml", "receipt-controlled.xml"),),
        ),
    ],
    ids=["DEDUCT", "RELEASE"],
)
def test_control_for_an_asset_not_in_the_request_is_refused(
    client, token, stored, request_name, receipt, earlier
):
    for pair in earlier:
        answer(client, token, *pair)
    request = submit(client, token("officer"), request_name)
    task = task_id(request, "housing-fund")
    before = stored()

    error = error_of(post_receipt(client, token("staff-housing-fund"), task, receipt), 422)

    assert "220100999999999" in error["message"]
    assert stored() == before
    controls = client.get("/api/v1/controls", headers=token("officer")).json()["items"]
    assert [c["status"] for c in controls] == ["ACTIVE"] * len(earlier)


@pytest.mark.parametrize(
    ("user", "document", "files", "status", "named"),
    [
        ("staff-vehicles", CONTROLLED, None, 404, None),
        ("officer", CONTROLLED, None, 403, None),
        ("admin", CONTROLLED, None, 403, None),
        (
            "staff-housing-fund",
            edited(CONTROLLED, ("<UnitCode>housing-fund", "<UnitCode>vehicles")),
            None,
            422,
            "UnitCode",
        ),
        (
            "staff-housing-fund",
            edited(CONTROLLED, ("<RequestNo>AT-2026-000123", "<RequestNo>AT-2026-000999")),
            None,
            422,
            "RequestNo",
        ),
        (
            "staff-housing-fund",
            edited(
                example("receipt-found.xml"),
                ("AT-2026-000101", "AT-2026-000123"),
                ("<UnitCode>real-estate", "<UnitCode>housing-fund"),
            ),
            None,
            422,
            "Outcome",
        ),
        (
            "staff-housing-fund",
            edited(CONTROLLED, ("<AssetId>220100123456789", "<AssetId>220100999999999")),
            None,
            422,
            "220100999999999",
        ),
        ("staff-housing-fund", CONTROLLED, [], 422, "receipt.pdf"),
    ],
    ids=[
        "another-unit",
        "officer",
        "admin",
        "unit-code",
        "request-no",
        "outcome-not-for-action",
        "control-not-an-item",
        "attachment-not-sent",
    ],
)
def test_refused_receipt_leaves_nothing(client, token, stored, user, document, files, status, named):
    request = submit(client, token("officer"), "request-freeze.xml")
    task = task_id(request, "housing-fund")
    before = stored()

    error = error_of(post_receipt(client, token(user), task, document, files), status)

    assert stored() == before
    if named:
        assert named in error["message"]
        assert any(named in f"{d['path']} {d['message']}" for d in error["details"])
    if status in (403, 404):
        assert "AT-2026-000123" not in str(error) and "李四" not in str(error)
    shown = client.get(f"/api/v1/tasks/{task}", headers=token("officer")).json()
    assert (shown["status"], shown["outcome"]) == ("served", None)
    # The task still takes the right receipt.
    assert post_receipt(client, token("staff-housing-fund"), task, CONTROLLED).status_code == 201
