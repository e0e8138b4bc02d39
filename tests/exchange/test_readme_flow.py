"""The README's example end to end: an officer freezes a housing-fund account, the unit answers."""

from conftest import example, multipart


def test_freeze_request_answered_and_control_listed(client, token):
    officer, staff = token("officer"), token("staff-housing-fund")

    submitted = client.post(
        "/api/v1/requests",
        files=multipart(example("request-freeze.xml"), "ruling.pdf", "notice.pdf"),
        headers=officer,
    )
    assert submitted.status_code == 201, submitted.text
    request = submitted.json()
    assert request["request_no"] == "AT-2026-000123"
    assert request["status"] == "open"
    [task] = request["tasks"]
    assert task["unit_code"] == "housing-fund"
    assert task["status"] == "served"
    assert task["due_at"].endswith("T23:59:59+08:00")  # FREEZE: 1 working day, at the end of the day

    inbox = client.get("/api/v1/units/housing-fund/tasks?status=open", headers=staff).json()
    assert [t["id"] for t in inbox["items"]] == [task["id"]]
    document = client.get(f"/api/v1/tasks/{task['id']}/document", headers=staff)
    assert document.content == example("request-freeze.xml")
    ruling = client.get(f"/api/v1/tasks/{task['id']}/files/ruling.pdf", headers=staff)
    assert ruling.status_code == 200 and ruling.content.startswith(b"%PDF")

    answered = client.post(
        f"/api/v1/tasks/{task['id']}/receipts",
        files=multipart(example("receipt-controlled.xml"), "receipt.pdf"),
        headers=staff,
    )
    assert answered.status_code == 201, answered.text
    body = answered.json()
    assert body["task"]["status"] == "completed"
    [control] = body["controls"]
    assert (control["status"], control["registration_no"]) == ("ACTIVE", "GJJ-DJ-2026-0042")
    assert (control["period_start"], control["period_end"]) == ("2026-11-28", "2027-11-27")

    done = client.get(f"/api/v1/requests/{request['id']}", headers=officer).json()
    assert done["status"] == "done"
    controls = client.get("/api/v1/controls?status=ACTIVE", headers=officer).json()
    assert [c["registration_no"] for c in controls["items"]] == ["GJJ-DJ-2026-0042"]
    assert client.get("/api/v1/units/housing-fund/tasks?status=open", headers=staff).json()["total"] == 0
