"""An officer withdraws a request sent by mistake."""

from conftest import example, multipart


def _submit_query(client, officer):
    response = client.post(
        "/api/v1/requests", files=multipart(example("request-query.xml"), "notice.pdf"), headers=officer
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_cancel_closes_open_tasks_and_refuses_later_receipts(client, token):
    officer = token("officer")
    request = _submit_query(client, officer)
    real_estate = next(t for t in request["tasks"] if t["unit_code"] == "real-estate")
    staff = token("staff-real-estate")
    answered = client.post(
        f"/api/v1/tasks/{real_estate['id']}/receipts",
        files=multipart(example("receipt-found.xml"), "receipt.pdf"),
        headers=staff,
    )
    assert answered.status_code == 201, answered.text

    cancelled = client.post(
        f"/api/v1/requests/{request['id']}/cancel", json={"reason": "案号填写错误"}, headers=officer
    )
    assert cancelled.status_code == 200, cancelled.text
    states = {t["unit_code"]: t["status"] for t in cancelled.json()["tasks"]}
    assert states == {"real-estate": "completed", "vehicles": "cancelled", "civil-affairs": "cancelled"}
    assert cancelled.json()["status"] == "done"
    assert (
        client.get("/api/v1/units/vehicles/tasks?status=open", headers=token("staff-vehicles")).json()[
            "total"
        ]
        == 0
    )

    vehicles = next(t for t in request["tasks"] if t["unit_code"] == "vehicles")
    late = client.post(
        f"/api/v1/tasks/{vehicles['id']}/receipts",
        files=multipart(example("receipt-not-found.xml"), "receipt.pdf"),
        headers=token("staff-vehicles"),
    )
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "task_cancelled"
    again = client.post(f"/api/v1/requests/{request['id']}/cancel", json={"reason": "重复"}, headers=officer)
    assert again.status_code == 409


def test_only_the_courts_officer_can_cancel(client, token):
    request = _submit_query(client, token("officer"))
    for user in ("staff-vehicles", "supervisor"):
        response = client.post(
            f"/api/v1/requests/{request['id']}/cancel", json={"reason": "试试"}, headers=token(user)
        )
        assert response.status_code in (403, 404), user
    assert (
        client.get(f"/api/v1/requests/{request['id']}", headers=token("officer")).json()["status"] == "open"
    )
