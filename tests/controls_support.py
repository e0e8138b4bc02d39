"""Controls made through the API for the control history tests (tests/controls, tests/web): a seal that
takes effect and is released, and another court's freeze."""

from conftest import edit, edited, example, multipart, post_receipt, submit
from fastapi.testclient import TestClient

SEAL_REGISTRATION = "BDC-CF-2026-0117"


def sealed(client: TestClient, token, registration_no: str = SEAL_REGISTRATION) -> tuple[dict, dict]:
    """request-seal.xml answered CONTROLLED by the real-estate registry: the request and its ACTIVE seal,
    2026-11-27 to 2029-11-26, with `registration_no`."""
    seal = submit(client, token("officer"), "request-seal.xml")
    receipt = edited(
        example("receipt-waitlisted.xml"),
        ("<Outcome>WAITLISTED", "<Outcome>CONTROLLED"),
        ("<QueuePosition>2</QueuePosition>", ""),
        (SEAL_REGISTRATION, registration_no),
    )
    [control] = post_receipt(client, token("staff-real-estate"), seal, receipt)["controls"]
    return seal, control


def released(client: TestClient, token, registration_no: str = SEAL_REGISTRATION) -> dict:
    """The sealed property released: RELEASE request AT-2026-000125 naming the seal, answered RELEASED by
    the registry (receipt RE-2026-0399); the release request."""
    document = edit(
        "request-release.xml",
        ("（2026）吉2426执123号", "（2026）吉2426执156号"),
        ("李四", "赵六"),
        ("222426198503120413", "22242619790605003X"),
        ('<Unit code="housing-fund"/>', '<Unit code="real-estate"/>'),
        ("FUND_ACCOUNT", "REAL_ESTATE"),
        ("220100123456789", "222426001001GB00012F00010023"),
        ("住房公积金账户，解除冻结", "兴安小区3号楼2单元302室，解除查封"),
        (
            'requestNo="AT-2026-000123" registrationNo="GJJ-DJ-2026-0042"',
            f'requestNo="AT-2026-000102" registrationNo="{registration_no}"',
        ),
    )
    response = client.post(
        "/api/v1/requests",
        files=multipart(document, "ruling.pdf", "notice.pdf"),
        headers=token("officer"),
    )
    assert response.status_code == 201, response.text
    release = response.json()
    receipt = edited(
        example("receipt-waitlisted.xml"),
        ("AT-2026-000102", "AT-2026-000125"),
        ("RE-2026-0302", "RE-2026-0399"),
        ("<Outcome>WAITLISTED", "<Outcome>RELEASED"),
        ("<QueuePosition>2</QueuePosition>", ""),
        (SEAL_REGISTRATION, registration_no),
    )
    post_receipt(client, token("staff-real-estate"), release, receipt)
    return release


def their_freeze(client: TestClient, token, other_officer: dict[str, str]) -> dict:
    """request-freeze.xml of court J2401 (YJ-2026-000123) answered CONTROLLED: that court's control."""
    theirs = edit(
        "request-freeze.xml",
        ("AT-2026-000123", "YJ-2026-000123"),
        ('<Court code="J2426">安图县人民法院</Court>', '<Court code="J2401">延吉市人民法院</Court>'),
    )
    response = client.post(
        "/api/v1/requests", files=multipart(theirs, "ruling.pdf", "notice.pdf"), headers=other_officer
    )
    assert response.status_code == 201, response.text
    receipt = edited(example("receipt-controlled.xml"), ("AT-2026-000123", "YJ-2026-000123"))
    [control] = post_receipt(client, token("staff-housing-fund"), response.json(), receipt)["controls"]
    return control
