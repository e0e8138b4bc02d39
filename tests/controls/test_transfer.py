"""A transfer (协助过户) as an officer follows it: the unit registers the property to the buyer, and the court's
controls on it at that unit end (DISPOSED), in force or waiting, named or not; other courts' controls and the
court's controls elsewhere stay (DOMAIN.md, "Transfers")."""

import json

from conftest import edit, edited, example, multipart, post_receipt, submit
from controls_support import sealed

FLAT = "222426001001GB00012F00010023"  # the flat of request-seal.xml


def seal_at_housing_admin(client, token) -> dict:
    """request-seal.xml sent to the 房产管理中心 as AT-2026-000142 and answered CONTROLLED (FG-CF-2026-0007):
    its seal."""
    document = edit(
        "request-seal.xml",
        ("AT-2026-000102", "AT-2026-000142"),
        ('<Unit code="real-estate"/>', '<Unit code="housing-admin"/>'),
    )
    response = client.post(
        "/api/v1/requests", files=multipart(document, "ruling.pdf", "notice.pdf"), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    receipt = edited(
        example("receipt-waitlisted.xml"),
        ("AT-2026-000102", "AT-2026-000142"),
        ("<UnitCode>real-estate</UnitCode>", "<UnitCode>housing-admin</UnitCode>"),
        ("RE-2026-0302", "HA-2026-0302"),
        ("<Outcome>WAITLISTED", "<Outcome>CONTROLLED"),
        ("<QueuePosition>2</QueuePosition>", ""),
        ("BDC-CF-2026-0117", "FG-CF-2026-0007"),
    )
    [control] = post_receipt(client, token("staff-housing-admin"), response.json(), receipt)["controls"]
    return control


def transfer_of_the_flat(client, token, *changes: tuple[str, str]) -> dict:
    """request-transfer.xml turned to the flat of request-seal.xml at the 房产管理中心 (AT-2026-000133)."""
    document = edit(
        "request-transfer.xml",
        ("AT-2026-000132", "AT-2026-000133"),
        ("（2026）吉2426执171号", "（2026）吉2426执156号"),
        ("孙七", "赵六"),
        ("222426198809210470", "22242619790605003X"),
        ('<Unit code="vehicles"/>', '<Unit code="housing-admin"/>'),
        ("<AssetClass>VEHICLE</AssetClass>", "<AssetClass>REAL_ESTATE</AssetClass>"),
        ("<AssetId>吉H·A1234</AssetId>", f"<AssetId>{FLAT}</AssetId>"),
        (
            "重型厢式货车，车辆识别代号LFWSRXRJ1M1A12345，经网络司法拍卖成交",
            "兴安小区3号楼2单元302室，经网络司法拍卖成交",
        ),
        *changes,
    )
    response = client.post(
        "/api/v1/requests", files=multipart(document, "ruling.pdf", "notice.pdf"), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    return response.json()


def transferred(request: dict) -> bytes:
    """The 房产管理中心's TRANSFERRED receipt for the transfer of the flat (FG-ZY-2027-0012)."""
    return edited(
        example("receipt-transferred.xml"),
        ("AT-2026-000132", request["request_no"]),
        ("<UnitCode>vehicles</UnitCode>", "<UnitCode>housing-admin</UnitCode>"),
        ("VM-2027-0322", "HA-2027-0322"),
        ("<AssetClass>VEHICLE</AssetClass>", "<AssetClass>REAL_ESTATE</AssetClass>"),
        ("<AssetId>吉H·A1234</AssetId>", f"<AssetId>{FLAT}</AssetId>"),
        ("CGS-ZY-2027-0056", "FG-ZY-2027-0012"),
    )


def control(client, headers, control_id: int) -> dict:
    return client.get(f"/api/v1/controls/{control_id}/history", headers=headers).json()["control"]


def test_a_transfer_done_ends_the_courts_seal_on_that_flat(client, token):
    seal = seal_at_housing_admin(client, token)
    elsewhere = sealed(client, token)[1]  # the same flat sealed at the 不动产登记中心 too
    request = transfer_of_the_flat(client, token)

    answered = post_receipt(client, token("staff-housing-admin"), request, transferred(request))

    assert [(c["id"], c["status"]) for c in answered["controls"]] == [(seal["id"], "DISPOSED")]
    assert control(client, token("officer"), seal["id"])["status"] == "DISPOSED"
    assert control(client, token("officer"), elsewhere["id"])["status"] == "ACTIVE"  # another unit's register
    history = client.get(f"/api/v1/controls/{seal['id']}/history", headers=token("officer")).json()
    [entry] = [e for e in history["entries"] if e["kind"] == "control.transferred"]
    assert entry["what"] == "财产已协助过户，措施随之终止"
    assert "过户请求 AT-2026-000133，转移登记号 FG-ZY-2027-0012" in entry["details"]
    assert entry["request_no"] == "AT-2026-000133"
    listed = client.get("/api/v1/controls?status=ACTIVE", headers=token("officer")).json()["items"]
    assert [c["id"] for c in listed] == [elsewhere["id"]]


def test_a_transfer_naming_the_seal_ends_it_and_one_naming_an_ended_control_is_refused(client, token):
    seal = seal_at_housing_admin(client, token)
    original = '<Original requestNo="AT-2026-000142" registrationNo="FG-CF-2026-0007"/>\n      <Transferee'
    request = transfer_of_the_flat(client, token, ("<Transferee", original))
    [done] = post_receipt(client, token("staff-housing-admin"), request, transferred(request))["controls"]
    assert (done["id"], done["status"]) == (seal["id"], "DISPOSED")

    again = edit(
        "request-transfer.xml",
        ("AT-2026-000132", "AT-2026-000134"),
        ('<Unit code="vehicles"/>', '<Unit code="housing-admin"/>'),
        ("<AssetClass>VEHICLE</AssetClass>", "<AssetClass>REAL_ESTATE</AssetClass>"),
        ("<AssetId>吉H·A1234</AssetId>", f"<AssetId>{FLAT}</AssetId>"),
        ("<Transferee", original),
    )
    response = client.post(
        "/api/v1/requests", files=multipart(again, "ruling.pdf", "notice.pdf"), headers=token("officer")
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["details"]
    assert problem["path"].endswith("/Items/Item/Original")
    assert "is DISPOSED: a TRANSFER names the court's control in force on the property" in problem["message"]


def test_a_waiting_seal_of_the_court_ends_with_the_transfer_and_another_courts_stays(
    client, token, other_officer
):
    seal = seal_at_housing_admin(client, token)
    theirs = edit(
        "request-seal.xml",
        ("AT-2026-000102", "YJ-2026-000102"),
        ('<Court code="J2426">安图县人民法院</Court>', '<Court code="J2401">延吉市人民法院</Court>'),
        ('<Unit code="real-estate"/>', '<Unit code="housing-admin"/>'),
    )
    response = client.post(
        "/api/v1/requests", files=multipart(theirs, "ruling.pdf", "notice.pdf"), headers=other_officer
    )
    assert response.status_code == 201, response.text
    waiting = edited(
        example("receipt-waitlisted.xml"),
        ("AT-2026-000102", "YJ-2026-000102"),
        ("<UnitCode>real-estate</UnitCode>", "<UnitCode>housing-admin</UnitCode>"),
        ("RE-2026-0302", "HA-2026-0303"),
        ("BDC-CF-2026-0117", "FG-CF-2026-0008"),
    )
    [their_waiting] = post_receipt(client, token("staff-housing-admin"), response.json(), waiting)["controls"]
    request = transfer_of_the_flat(client, token)

    answered = post_receipt(client, token("staff-housing-admin"), request, transferred(request))

    assert [(c["id"], c["status"]) for c in answered["controls"]] == [(seal["id"], "DISPOSED")]
    assert (
        control(client, other_officer, their_waiting["id"])["status"] == "WAITLISTED"
    )  # its unit reports it lapsed on its own task


def test_the_transfer_example_ends_the_seizure_of_the_lorry(client, token):
    seize = submit(client, token("officer"), "request-seize.xml")
    [seizure] = post_receipt(client, token("staff-vehicles"), seize, example("receipt-partial.xml"))[
        "controls"
    ]
    transfer = submit(client, token("officer"), "request-transfer.xml")
    answered = post_receipt(client, token("staff-vehicles"), transfer, example("receipt-transferred.xml"))
    assert [(c["id"], c["asset_id"], c["status"]) for c in answered["controls"]] == [
        (seizure["id"], "吉H·A1234", "DISPOSED")
    ]
    data = json.dumps(
        client.get(f"/api/v1/controls/{seizure['id']}/history", headers=token("officer")).json()
    )
    assert "CGS-ZY-2027-0056" in data


def test_an_unable_transfer_ends_nothing(client, token):
    seal = seal_at_housing_admin(client, token)
    request = transfer_of_the_flat(client, token)
    unable = edited(
        transferred(request),
        (
            "<Outcome>TRANSFERRED</Outcome>",
            '<Outcome>UNABLE</Outcome>\n  <Reason code="OTHER">买受人未缴清税费。</Reason>',
        ),
    )
    post_receipt(client, token("staff-housing-admin"), request, unable)
    assert control(client, token("officer"), seal["id"])["status"] == "ACTIVE"
