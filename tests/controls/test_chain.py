"""Done when (issue 15): tried as an officer would, a freeze renewed twice and then partly deducted shows one
chain with the right amount and end date everywhere: the list (API and page), the debtor page, the
renewal draft, and the evidence export."""

import zipfile

from conftest import (
    edited,
    example,
    listed_files,
    multipart,
    post_receipt,
    renewed_control,
    sign_in,
)

from hub.evidence import layout
from hub.evidence.service import export_case

CONTROLLED = example("receipt-controlled.xml")
LI_SI = "222426198503120413"
CASE = "（2026）吉2426执123号"


def renewed_twice_and_deducted(client, token) -> tuple[dict, dict]:
    """The fund freeze GJJ-DJ-2026-0042 (50,000.00 to 2027-11-27), renewed to 2028-11-27 and then to
    2029-11-27, then 12,345.67 of it deducted: the first control and the current one, as the API answers them."""
    first, renewal = renewed_control(client, token)
    second = edited(
        example("request-renew.xml"),
        ("AT-2026-000124", "AT-2026-000125"),
        ('<Original requestNo="AT-2026-000123"', '<Original requestNo="AT-2026-000124"'),
        ('start="2027-11-28" end="2028-11-27"', 'start="2028-11-28" end="2029-11-27"'),
    )
    response = client.post(
        "/api/v1/requests", files=multipart(second, *listed_files(second)), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    answered = post_receipt(
        client,
        token("staff-housing-fund"),
        response.json(),
        edited(
            CONTROLLED,
            ("AT-2026-000123", "AT-2026-000125"),
            ("HF-2026-8891", "HF-2026-8895"),
            ('start="2026-11-28" end="2027-11-27"', 'start="2028-11-28" end="2029-11-27"'),
        ),
    )["controls"]
    [head] = [c for c in answered if c["renews_id"] == renewal["id"]]
    deduct = edited(
        example("request-deduct.xml"),
        ("AT-2026-000104", "AT-2026-000126"),
        ('<Amount currency="CNY">50000.00</Amount>', '<Amount currency="CNY">12345.67</Amount>'),
    )
    response = client.post(
        "/api/v1/requests", files=multipart(deduct, *listed_files(deduct)), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    taken = edited(
        CONTROLLED,
        ("AT-2026-000123", "AT-2026-000126"),
        ("HF-2026-8891", "HF-2026-8896"),
        ('      <Period start="2026-11-28" end="2027-11-27"/>\n', ""),
        ("GJJ-DJ-2026-0042", "GJJ-KH-2026-0007"),
        ('<Amount currency="CNY">50000.00</Amount>', '<Amount currency="CNY">12345.67</Amount>'),
    )
    [drawn] = post_receipt(client, token("staff-housing-fund"), response.json(), taken, unit="housing-fund")[
        "controls"
    ]
    assert drawn["id"] == head["id"]
    return first, drawn


def test_a_freeze_renewed_twice_and_partly_deducted_is_one_chain_everywhere(hub, visitor, token, tmp_path):
    first, head = renewed_twice_and_deducted(visitor, token)
    officer = token("officer")

    assert (head["status"], head["amount"], head["period_end"]) == ("ACTIVE", "37654.33", "2029-11-27")
    listed = visitor.get("/api/v1/controls", headers=officer).json()
    assert (listed["total"], [c["id"] for c in listed["items"]]) == (1, [head["id"]])
    renewed = visitor.get("/api/v1/controls?status=RENEWED", headers=officer).json()["items"]
    assert sorted(c["id"] for c in renewed) == [first["id"], head["renews_id"]]

    draft = visitor.get(f"/api/v1/controls/{first['id']}/renewal-draft", headers=officer)
    assert draft.status_code == 409 and f"renew the current control {head['id']}" in draft.text
    draft = visitor.get(f"/api/v1/controls/{head['id']}/renewal-draft", headers=officer).text
    assert '<Amount currency="CNY">37654.33</Amount>' in draft and 'start="2029-11-28"' in draft

    sign_in(visitor, "officer")
    for page in (visitor.get("/controls").text, visitor.get(f"/debtors/{LI_SI}").text):
        assert page.count("GJJ-DJ-2026-0042") == 1, "the chain is shown once"
        assert "2029年11月27日" in page and "人民币37,654.33元" in page
        assert "2027年11月27日" not in page and "50,000.00" not in page

    archive = tmp_path / "case.zip"
    export_case(hub, case_no=CASE, court_code="J2426", target=archive, identity=None, actor="user:test")
    with zipfile.ZipFile(archive) as opened:
        summary = opened.read(layout.SUMMARY).decode()
    current = summary.split("控制措施现状", 1)[1].split("\n\n", 1)[0]
    [line] = [row for row in current.splitlines() if "GJJ-DJ-2026-0042" in row]
    assert "经 2 次续行" in line and "2029年11月27日" in line and "人民币37,654.33元" in line
