"""Another's object answers exactly as no object: the same status, code and message, and none of its data.

Before, a unit asking for another unit's receipt was told the id of that unit's task ("There is no task 7
that you can see"), where a receipt id that names nothing answered "There is no receipt 99".
"""

import pytest
from conftest import example, post_receipt, submit

pytestmark = pytest.mark.db


def _same_but_the_id(mine: dict, none: dict, mine_id: int, none_id: int) -> bool:
    return mine["error"] == {
        **none["error"],
        "message": none["error"]["message"].replace(str(none_id), str(mine_id)),
    }


@pytest.mark.parametrize("path", ["/api/v1/receipts/{}/document", "/api/v1/receipts/{}/files/receipt.pdf"])
def test_another_units_receipt_is_as_no_receipt(client, token, path):
    query = submit(client, token("officer"), "request-query.xml")  # to real-estate, vehicles, civil-affairs
    receipt = post_receipt(
        client, token("staff-real-estate"), query, example("receipt-found.xml"), "real-estate"
    )
    theirs, none = receipt["receipt_id"], receipt["receipt_id"] + 1000
    task_id = receipt["task"]["id"]
    vehicles = token("staff-vehicles")

    other = client.get(path.format(theirs), headers=vehicles)
    missing = client.get(path.format(none), headers=vehicles)

    assert (other.status_code, missing.status_code) == (404, 404)
    assert _same_but_the_id(other.json(), missing.json(), theirs, none), (other.text, missing.text)
    assert f"task {task_id}" not in other.text


def test_another_units_task_is_as_no_task(client, token):
    query = submit(client, token("officer"), "request-query.xml")
    theirs = next(t["id"] for t in query["tasks"] if t["unit_code"] == "real-estate")
    none = theirs + 1000
    vehicles = token("staff-vehicles")

    for path in ("/api/v1/tasks/{}", "/api/v1/tasks/{}/document", "/api/v1/tasks/{}/receipts"):
        other = client.get(path.format(theirs), headers=vehicles)
        missing = client.get(path.format(none), headers=vehicles)
        assert (other.status_code, missing.status_code) == (404, 404), path
        assert _same_but_the_id(other.json(), missing.json(), theirs, none), (other.text, missing.text)
