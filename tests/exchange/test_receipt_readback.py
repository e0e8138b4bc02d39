"""What a unit answered, read back by the officer: outcome, reason, assets found, the files as sent."""

from conftest import example, example_file, multipart


def test_officer_reads_found_assets_and_the_signed_scan(client, token):
    officer, staff = token("officer"), token("staff-real-estate")
    request = client.post(
        "/api/v1/requests", files=multipart(example("request-query.xml"), "notice.pdf"), headers=officer
    ).json()
    task = next(t for t in request["tasks"] if t["unit_code"] == "real-estate")
    posted = client.post(
        f"/api/v1/tasks/{task['id']}/receipts",
        files=multipart(example("receipt-found.xml"), "receipt.pdf"),
        headers=staff,
    )
    assert posted.status_code == 201, posted.text

    [receipt] = client.get(f"/api/v1/tasks/{task['id']}/receipts", headers=officer).json()
    assert (receipt["outcome"], receipt["final"], receipt["unit_code"]) == ("FOUND", True, "real-estate")
    [asset] = receipt["assets"]
    assert asset["asset_class"] == "REAL_ESTATE" and asset["status"] == "MORTGAGED"
    assert asset["owners"][0]["share"] == "1/1"

    document = client.get(f"/api/v1/receipts/{receipt['id']}/document", headers=officer)
    assert document.content == example("receipt-found.xml")
    scan = client.get(f"/api/v1/receipts/{receipt['id']}/files/receipt.pdf", headers=officer)
    assert scan.content == example_file("receipt.pdf")

    other_unit = token("staff-vehicles")
    assert client.get(f"/api/v1/tasks/{task['id']}/receipts", headers=other_unit).status_code == 404
    refused = client.get(f"/api/v1/receipts/{receipt['id']}/document", headers=other_unit)
    assert refused.status_code == 404 and b"AssistanceReceipt" not in refused.content


def test_objection_reason_is_shown(client, token):
    officer = token("officer")
    request = client.post(
        "/api/v1/requests",
        files=multipart(example("request-deduct.xml"), "ruling.pdf", "notice.pdf"),
        headers=officer,
    ).json()
    task = next(t for t in request["tasks"] if t["unit_code"] == "insurer-picc")
    posted = client.post(
        f"/api/v1/tasks/{task['id']}/receipts",
        files=multipart(example("receipt-objected.xml"), "receipt.pdf", "objection.pdf"),
        headers=token("staff-insurer-picc"),
    )
    assert posted.status_code == 201, posted.text
    [receipt] = client.get(f"/api/v1/tasks/{task['id']}/receipts", headers=officer).json()
    assert receipt["outcome"] == "OBJECTED" and receipt["reason_code"] == "THIRD_PARTY_PROPERTY"
    assert receipt["reason_text"]
    assert {f["type"] for f in receipt["files"]} == {"SIGNED_RECEIPT", "OBJECTION"}
