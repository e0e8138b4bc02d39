"""The renewal draft of a control: its fields, posting it unchanged, renewing a renewal, refusals, scope."""

from datetime import UTC, datetime

import pytest
from conftest import edited, example, frozen_control, post_receipt, submit
from lxml import etree

from hub.controls.renewal import renewal_draft
from hub.errors import Conflict
from hub.models import Control
from hub.standard import NS
from hub.standard.rules import inspect

FREEZE_DOCUMENTS = [
    ("RULING", "ruling.pdf", "1146414fdc4ba18f80cf749b77f1ea72a79f242b686e944593ec4fb28841c07d"),
    ("NOTICE", "notice.pdf", "a2f300c6c1f9c93b37673c46c19e74d80f2bcce7338e84529da31dd0ebb8a82d"),
]


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def draft_of(client, headers, control_id: int) -> tuple[bytes, etree._Element]:
    response = client.get(f"/api/v1/controls/{control_id}/renewal-draft", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    request_no = etree.fromstring(response.content).findtext(q("RequestNo"))
    assert response.headers["content-disposition"] == f"attachment; filename={request_no}.xml"
    inspect(response.content, expect="request")
    return response.content, etree.fromstring(response.content)


def post_document(client, headers, document: bytes) -> dict:
    response = client.post(
        "/api/v1/requests", content=document, headers={**headers, "Content-Type": "application/xml"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def renewal_answered(client, token, renew: dict, receipt_no: str, period: str) -> dict:
    """The housing fund answers the RENEW `renew` CONTROLLED for `period` (start="..." end="...")."""
    receipt = edited(
        example("receipt-controlled.xml"),
        ("AT-2026-000123", renew["request_no"]),
        ("HF-2026-8891", receipt_no),
        ('start="2026-11-28" end="2027-11-27"', period),
    )
    answered = post_receipt(client, token("staff-housing-fund"), renew, receipt)["controls"]
    [control] = [c for c in answered if c["renews_id"] is not None]  # beside it, the control it renews
    return control


def item_of(draft: etree._Element) -> etree._Element:
    [item] = draft.iterfind(f"{q('Items')}/{q('Item')}")
    return item


def test_draft_renews_the_control_from_the_day_after_its_end(client, token):
    control = frozen_control(client, token)
    assert (control["period_start"], control["period_end"]) == ("2026-11-28", "2027-11-27")

    document, draft = draft_of(client, token("officer"), control["id"])

    assert draft.findtext(q("RequestNo")) == "AT-2026-000123-R1"
    assert draft.findtext(q("IssuedAt")).endswith("+08:00")
    assert draft.findtext(q("Action")) == "RENEW"
    court = draft.find(q("Court"))
    assert (court.get("code"), court.text) == ("J2426", "安图县人民法院")
    officer = draft.find(q("Officer"))
    assert (officer.text, officer.get("credentialNo")) == ("张三", "JL2426-0031")
    assert draft.findtext(q("CaseNo")) == "（2026）吉2426执123号"
    subject = draft.find(q("Subject"))
    assert subject.get("kind") == "person"
    assert [c.text for c in subject] == ["李四", "RESIDENT_ID", "222426198503120413"]
    assert [u.get("code") for u in draft.find(q("Targets"))] == ["housing-fund"]
    item = item_of(draft)
    assert (item.findtext(q("AssetClass")), item.findtext(q("AssetId"))) == (
        "FUND_ACCOUNT",
        "220100123456789",
    )
    amount = item.find(q("Amount"))
    assert (amount.text, amount.get("currency")) == ("50000.00", "CNY")
    period = item.find(q("Period"))
    assert (period.get("start"), period.get("end")) == ("2027-11-28", "2028-11-27")  # 1 year, FUND_ACCOUNT
    original = item.find(q("Original"))
    assert (original.get("requestNo"), original.get("registrationNo")) == (
        "AT-2026-000123",
        "GJJ-DJ-2026-0042",
    )
    assert item.find(q("Flexible")) is None
    documents = [(d.get("type"), d.get("filename"), d.get("sha256")) for d in draft.find(q("Documents"))]
    assert documents == FREEZE_DOCUMENTS
    assert "续行冻结裁定书" in draft.findtext(q("Remarks"))

    renew = post_document(client, token("officer"), document)

    assert (renew["request_no"], renew["action"]) == ("AT-2026-000123-R1", "RENEW")
    assert [t["unit_code"] for t in renew["tasks"]] == ["housing-fund"]
    inbox = client.get("/api/v1/units/housing-fund/tasks", headers=token("staff-housing-fund")).json()
    assert renew["tasks"][0]["id"] in [t["id"] for t in inbox["items"]]
    # while the unit has not answered, a second draft would renew twice
    pending = client.get(f"/api/v1/controls/{control['id']}/renewal-draft", headers=token("officer"))
    assert pending.status_code == 409, pending.text
    assert "AT-2026-000123-R1" in pending.json()["error"]["message"]


def test_draft_of_a_renewal_renews_the_renewal(client, token):
    first = frozen_control(client, token)
    document, _ = draft_of(client, token("officer"), first["id"])
    renew = post_document(client, token("officer"), document)
    renewal = renewal_answered(client, token, renew, "HF-2026-8895", 'start="2027-11-28" end="2028-11-27"')
    assert (renewal["renews_id"], renewal["status"]) == (first["id"], "ACTIVE")

    refused = client.get(f"/api/v1/controls/{first['id']}/renewal-draft", headers=token("officer"))
    assert refused.status_code == 409, refused.text
    assert "already renewed" in refused.json()["error"]["message"]

    document, draft = draft_of(client, token("officer"), renewal["id"])

    assert draft.findtext(q("RequestNo")) == "AT-2026-000123-R2"
    item = item_of(draft)
    period = item.find(q("Period"))
    assert (period.get("start"), period.get("end")) == ("2028-11-28", "2029-11-27")
    original = item.find(q("Original"))
    assert (original.get("requestNo"), original.get("registrationNo")) == (
        "AT-2026-000123-R1",
        "GJJ-DJ-2026-0042",
    )
    again = post_document(client, token("officer"), document)
    assert (again["request_no"], again["action"]) == ("AT-2026-000123-R2", "RENEW")


def test_draft_skips_a_request_no_already_used(client, token):
    """A renewal answered INFO_MISMATCH made no control: the next draft takes the next number."""
    first = frozen_control(client, token)
    document, _ = draft_of(client, token("officer"), first["id"])
    renew = post_document(client, token("officer"), document)
    mismatch = edited(
        example("receipt-info-mismatch.xml"),
        ("AT-2026-000101", renew["request_no"]),
        ("civil-affairs", "housing-fund"),
        ("CA-2026-0052", "HF-2026-8899"),
    )
    post_receipt(client, token("staff-housing-fund"), renew, mismatch)

    _, draft = draft_of(client, token("officer"), first["id"])

    assert draft.findtext(q("RequestNo")) == "AT-2026-000123-R2"


def test_draft_of_a_seal_lasts_three_years(client, token):
    seal = submit(client, token("officer"), "request-seal.xml")
    controlled = edited(
        example("receipt-waitlisted.xml"),
        ("<Outcome>WAITLISTED", "<Outcome>CONTROLLED"),
        ("<QueuePosition>2</QueuePosition>", ""),
    )
    [control] = post_receipt(client, token("staff-real-estate"), seal, controlled)["controls"]

    document, draft = draft_of(client, token("supervisor"), control["id"])

    assert draft.findtext(q("RequestNo")) == "AT-2026-000102-R1"
    item = item_of(draft)
    assert item.findtext(q("AssetClass")) == "REAL_ESTATE"
    assert item.find(q("Amount")) is None
    period = item.find(q("Period"))
    assert (period.get("start"), period.get("end")) == ("2029-11-27", "2032-11-26")
    assert item.find(q("Original")).get("registrationNo") == "BDC-CF-2026-0117"
    assert "续行查封裁定书" in draft.findtext(q("Remarks"))
    assert post_document(client, token("officer"), document)["action"] == "RENEW"


def test_draft_of_a_flexible_seizure_states_its_terms_and_keeps_them(client, token):
    """<Flexible> is for SEAL and SEIZE only: the draft says it in Remarks, the hub carries it over."""
    seize = submit(client, token("officer"), "request-seize.xml")
    [control] = post_receipt(client, token("staff-vehicles"), seize, example("receipt-partial.xml"))[
        "controls"
    ]

    document, draft = draft_of(client, token("officer"), control["id"])

    item = item_of(draft)
    assert item.find(q("Flexible")) is None
    period = item.find(q("Period"))
    assert (period.get("start"), period.get("end")) == ("2028-11-27", "2030-11-26")  # 2 years, VEHICLE
    remarks = draft.findtext(q("Remarks"))
    assert "活扣" in remarks and "孙七" in remarks and "继续用于货物运输经营" in remarks
    renew = post_document(client, token("officer"), document)
    receipt = edited(
        example("receipt-partial.xml"),
        ("AT-2026-000103", renew["request_no"]),
        ("VM-2026-0418", "VM-2026-0501"),
        ("<Outcome>PARTIAL", "<Outcome>CONTROLLED"),
        ('start="2026-11-27" end="2028-11-26"', 'start="2028-11-27" end="2030-11-26"'),
    )
    receipt = receipt.replace(receipt[receipt.index(b"  <Reason") : receipt.index(b"<Results>")], b"")
    answered = post_receipt(client, token("staff-vehicles"), renew, receipt)["controls"]
    [renewal] = [c for c in answered if c["renews_id"] is not None]
    assert renewal["renews_id"] == control["id"]
    assert (renewal["flexible_custodian"], renewal["flexible_use"]) == (
        control["flexible_custodian"],
        control["flexible_use"],
    )


def test_draft_of_a_released_control_is_refused(client, token):
    control = frozen_control(client, token)
    release = submit(client, token("officer"), "request-release.xml")
    post_receipt(client, token("staff-housing-fund"), release, example("receipt-released.xml"))

    refused = client.get(f"/api/v1/controls/{control['id']}/renewal-draft", headers=token("officer"))

    assert refused.status_code == 409, refused.text
    assert "RELEASED" in refused.json()["error"]["message"]


def test_draft_is_for_the_controls_court_only(client, token, other_officer):
    control = frozen_control(client, token)
    url = f"/api/v1/controls/{control['id']}/renewal-draft"

    for headers in (other_officer, token("staff-real-estate")):
        refused = client.get(url, headers=headers)
        assert refused.status_code in (403, 404), refused.text
        for secret in ("AT-2026-000123", "李四", "220100123456789", "GJJ-DJ-2026-0042"):
            assert secret not in refused.text
    assert client.get(url, headers=other_officer).status_code == 404
    assert client.get(url, headers=token("staff-housing-fund")).status_code == 403
    assert client.get("/api/v1/controls/999999/renewal-draft", headers=token("officer")).status_code == 404
    assert client.get(url).status_code == 401
    for user in ("officer", "supervisor", "admin"):
        assert client.get(url, headers=token(user)).status_code == 200, user


def test_renewal_draft_function(client, token, hub):
    """The interface the expiry alert calls: its clock, a given RequestNo, the configured FUND_ACCOUNT period."""
    made = frozen_control(client, token)
    settings = hub.settings.model_copy(update={"fund_account_period_years": 2})
    with hub.sessions() as session:
        control = session.get_one(Control, made["id"])
        at = datetime(2027, 10, 28, 1, 30, tzinfo=UTC)

        document = renewal_draft(
            session, control=control, settings=settings, at=at, request_no="AT-2027-R-0001"
        )

        draft = etree.fromstring(document)
        assert draft.findtext(q("RequestNo")) == "AT-2027-R-0001"
        assert draft.findtext(q("IssuedAt")) == "2027-10-28T09:30:00+08:00"
        period = item_of(draft).find(q("Period"))
        assert (period.get("start"), period.get("end")) == ("2027-11-28", "2029-11-27")
        inspect(document, expect="request", fund_account_years=2)
        # the last day of the control may still renew it; the day after may not
        renewal_draft(
            session, control=control, settings=settings, at=datetime(2027, 11, 27, 15, 59, tzinfo=UTC)
        )
        with pytest.raises(Conflict, match="ended on 2027-11-27"):
            renewal_draft(
                session, control=control, settings=settings, at=datetime(2027, 11, 27, 16, 0, tzinfo=UTC)
            )
        with pytest.raises(ValueError):
            renewal_draft(session, control=control, settings=settings, at=datetime(2027, 10, 28))
        control.period_end = None
        with pytest.raises(Conflict, match="no registered end date"):
            renewal_draft(session, control=control, settings=settings, at=at)
        session.rollback()
