"""A control's life as an officer follows it through the API: renewals that supersede, renewals only while
in force, deductions that draw down their freeze, registered periods no longer than the law and the court
allow. Each test is a hole the hub had before hub/controls/receipted.py."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

from conftest import (
    edited,
    example,
    frozen_control,
    listed_files,
    multipart,
    post_receipt,
    renewed_control,
    sign_in,
    submit,
    waitlisted_seal,
)
from sqlalchemy import select

from hub.alerts.service import run_job
from hub.clock import SHANGHAI, today_shanghai
from hub.models import AuditEvent
from hub.standard.codes import period_end

CONTROLLED = example("receipt-controlled.xml")  # GJJ-DJ-2026-0042, 2026-11-28 to 2027-11-27, 50,000.00


def controls(client, headers, query: str = "") -> list[dict]:
    return client.get(f"/api/v1/controls{query}", headers=headers).json()["items"]


def refused(client, headers, request: dict, document: bytes) -> str:
    """Post the receipt to the request's only task; it must be refused (422): the answer's text."""
    [task] = request["tasks"]
    response = client.post(
        f"/api/v1/tasks/{task['id']}/receipts",
        files=multipart(document, *listed_files(document)),
        headers=headers,
    )
    assert response.status_code == 422, response.text
    return response.json()["error"]["message"]


def renew_answer(renew: dict, receipt_no: str, *changes: tuple[str, str]) -> bytes:
    """The housing fund's receipt for the RENEW `renew`, registered 2027-11-28 to 2028-11-27."""
    return edited(
        CONTROLLED,
        ("AT-2026-000123", renew["request_no"]),
        ("HF-2026-8891", receipt_no),
        ('start="2026-11-28" end="2027-11-27"', 'start="2027-11-28" end="2028-11-27"'),
        *changes,
    )


def test_a_renewed_freeze_is_counted_once(client, token):
    first, renewal = renewed_control(client, token)

    in_force = controls(client, token("officer"), "?status=ACTIVE")

    assert [(c["id"], c["period_end"]) for c in in_force] == [(renewal["id"], "2028-11-27")]
    assert first["status"] == "RENEWED"
    draft = client.get(f"/api/v1/controls/{first['id']}/renewal-draft", headers=token("officer"))
    assert draft.status_code == 409 and f"renew the current control {renewal['id']}" in draft.text


def test_a_renewal_handled_after_the_control_ended_is_refused_and_nothing_renewed(client, token):
    control = frozen_control(client, token)
    renew = submit(client, token("officer"), "request-renew.xml")
    late = renew_answer(renew, "HF-2026-8894", ("2026-11-28T10:00:00", "2027-11-29T10:00:00"))

    message = refused(client, token("staff-housing-fund"), renew, late)

    assert "Control" in message and "GJJ-DJ-2026-0042" in message
    assert "ended on 2027-11-27: a renewal handled on 2027-11-29 comes after its end" in message
    assert [(c["id"], c["status"]) for c in controls(client, token("officer"))] == [(control["id"], "ACTIVE")]


def test_a_renewal_registered_with_a_gap_after_the_end_is_refused(client, token):
    frozen_control(client, token)
    renew = submit(client, token("officer"), "request-renew.xml")
    gap = renew_answer(renew, "HF-2026-8894", ('start="2027-11-28"', 'start="2027-12-01"'))

    message = refused(client, token("staff-housing-fund"), renew, gap)

    assert "its renewal must start by 2027-11-28, not 2027-12-01" in message


def test_a_renew_of_another_asset_class_is_refused_naming_both(client, token):
    frozen_control(client, token)  # a FUND_ACCOUNT freeze: one year at most
    as_equity = edited(
        example("request-renew.xml"),
        ("<AssetClass>FUND_ACCOUNT</AssetClass>", "<AssetClass>EQUITY</AssetClass>"),
        ('end="2028-11-27"', 'end="2030-11-27"'),  # three years, as equity would allow
    )

    response = client.post(
        "/api/v1/requests", files=multipart(as_equity, *listed_files(as_equity)), headers=token("officer")
    )

    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert "FUND_ACCOUNT 220100123456789" in message and "not EQUITY" in message


def test_a_registered_period_longer_than_the_law_allows_is_refused(client, token):
    freeze = submit(client, token("officer"), "request-freeze.xml")  # asks 2026-11-27 to 2027-11-26
    too_long = edited(
        CONTROLLED, ('start="2026-11-28" end="2027-11-27"', 'start="2026-11-28" end="2027-11-28"')
    )

    message = refused(client, token("staff-housing-fund"), freeze, too_long)

    assert (
        "a control on FUND_ACCOUNT lasts at most 1 year(s): from 2026-11-28 it must end by 2027-11-27"
        in message
    )


def test_a_registered_period_longer_than_asked_but_lawful_is_refused(client, token):
    seal = submit(client, token("officer"), "request-seal.xml")  # asks 2026-11-27 to 2029-11-26
    asked_less = edited(
        example("request-seal.xml"),
        ("AT-2026-000102", "AT-2026-000140"),
        ('end="2029-11-26"', 'end="2027-11-26"'),
    )
    response = client.post(
        "/api/v1/requests", files=multipart(asked_less, *listed_files(asked_less)), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    three_years = edited(
        example("receipt-waitlisted.xml"),
        ("AT-2026-000102", "AT-2026-000140"),
        ("<Outcome>WAITLISTED", "<Outcome>CONTROLLED"),
        ("<QueuePosition>2</QueuePosition>", ""),
    )

    message = refused(client, token("staff-real-estate"), response.json(), three_years)

    assert message.endswith(
        "the registered period 2026-11-27 to 2029-11-26 is longer than the one the court asked for, "
        "2026-11-27 to 2027-11-26: register at most that long"
    )
    assert seal["status"] == "open"


def deduct(client, token, amount: str, request_no: str, *changes: tuple[str, str]) -> dict:
    """request-deduct.xml of `amount` from the fund account (the insurer's item left out)."""
    document = edited(
        example("request-deduct.xml"),
        ("AT-2026-000104", request_no),
        ('<Amount currency="CNY">50000.00</Amount>', f'<Amount currency="CNY">{amount}</Amount>'),
        ('    <Unit code="insurer-picc"/>\n', ""),
        *changes,
    )
    start = document.index(b"    <Item>", document.index(b"</Item>"))
    document = document[:start] + document[document.index(b"</Item>", start) + len(b"</Item>\n") :]
    response = client.post(
        "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    return response.json()


def deducted(client, token, request: dict, amount: str, receipt_no: str, outcome: str = "CONTROLLED") -> list:
    receipt = edited(
        CONTROLLED,
        ("AT-2026-000123", request["request_no"]),
        ("HF-2026-8891", receipt_no),
        ('      <Period start="2026-11-28" end="2027-11-27"/>\n', ""),
        ("GJJ-DJ-2026-0042", f"GJJ-KH-{receipt_no}"),
        ('<Amount currency="CNY">50000.00</Amount>', f'<Amount currency="CNY">{amount}</Amount>'),
        ("<Outcome>CONTROLLED", f"<Outcome>{outcome}"),
    )
    if outcome == "PARTIAL":
        receipt = receipt.replace(
            b"<Results>", '<Reason code="OTHER">账户余额不足。</Reason>\n  <Results>'.encode()
        )
    return post_receipt(client, token("staff-housing-fund"), request, receipt)["controls"]


def test_a_deduction_draws_down_the_freeze_it_names_and_ends_it_when_all_is_taken(client, token):
    freeze = frozen_control(client, token)
    original = '<Original requestNo="AT-2026-000123" registrationNo="GJJ-DJ-2026-0042"/>\n    </Item>'

    first = deduct(client, token, "20000.00", "AT-2026-000150", ("    </Item>", "      " + original))
    [drawn] = deducted(client, token, first, "20000.00", "HF-2026-9001")

    assert (drawn["id"], drawn["status"], drawn["amount"]) == (freeze["id"], "ACTIVE", "30000.00")
    draft = client.get(f"/api/v1/controls/{freeze['id']}/renewal-draft", headers=token("officer"))
    assert 'currency="CNY">30000.00</Amount>' in draft.text  # the renewal freezes what is left

    second = deduct(client, token, "30000.00", "AT-2026-000151")  # names none: the court's freeze of it
    [ended] = deducted(client, token, second, "30000.00", "HF-2026-9002")

    assert (ended["id"], ended["status"]) == (freeze["id"], "DEDUCTED")
    assert controls(client, token("officer"), "?status=ACTIVE") == []
    draft = client.get(f"/api/v1/controls/{freeze['id']}/renewal-draft", headers=token("officer"))
    assert draft.status_code == 409 and "DEDUCTED" in draft.text


def test_a_deduction_that_took_part_of_what_was_asked_leaves_the_rest_frozen(client, token):
    freeze = frozen_control(client, token)
    request = deduct(client, token, "50000.00", "AT-2026-000152")

    [drawn] = deducted(client, token, request, "31234.56", "HF-2026-9003", outcome="PARTIAL")

    assert (drawn["id"], drawn["status"]) == (freeze["id"], "ACTIVE")
    assert Decimal(drawn["amount"]) == Decimal("50000.00") - Decimal("31234.56")


def test_a_deduction_naming_a_control_that_is_no_freeze_is_refused(client, token):
    seal = submit(client, token("officer"), "request-seal.xml")
    controlled = edited(
        example("receipt-waitlisted.xml"),
        ("<Outcome>WAITLISTED", "<Outcome>CONTROLLED"),
        ("<QueuePosition>2</QueuePosition>", ""),
    )
    post_receipt(client, token("staff-real-estate"), seal, controlled)
    frozen_control(client, token)
    naming_the_seal = '<Original requestNo="AT-2026-000102" registrationNo="BDC-CF-2026-0117"/>\n    </Item>'
    document = edited(
        example("request-deduct.xml"),
        ('<Unit code="insurer-picc"/>', '<Unit code="real-estate"/>'),
        ("    </Item>", "      " + naming_the_seal),
    )

    response = client.post(
        "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=token("officer")
    )

    assert response.status_code == 422, response.text
    assert (
        "no control on 220100123456789" in response.text
        or "a DEDUCT takes money from a FREEZE" in response.text
    )


def test_a_renew_due_after_the_control_ends_warns_the_officer(visitor, token):
    client = visitor
    today = today_shanghai()
    start = period_end(today, -1) + timedelta(days=2)  # a one-year freeze that ends today
    freeze = edited(
        example("request-freeze.xml"),
        ('start="2026-11-27" end="2027-11-26"', f'start="{start}" end="{today}"'),
    )
    request = client.post(
        "/api/v1/requests", files=multipart(freeze, *listed_files(freeze)), headers=token("officer")
    )
    assert request.status_code == 201, request.text
    registered = edited(CONTROLLED, ('start="2026-11-28" end="2027-11-27"', f'start="{start}" end="{today}"'))
    post_receipt(client, token("staff-housing-fund"), request.json(), registered)
    tomorrow = today + timedelta(days=1)
    renew = edited(
        example("request-renew.xml"),
        ('start="2027-11-28" end="2028-11-27"', f'start="{tomorrow}" end="{period_end(tomorrow, 1)}"'),
    )

    response = client.post(
        "/api/v1/requests", files=multipart(renew, *listed_files(renew)), headers=token("officer")
    )

    assert response.status_code == 201, response.text  # the request stands: the unit may still act today
    [warning] = response.json()["warnings"]
    assert (warning["code"], warning["unit_code"], warning["control_end"]) == (
        "renewal_due_after_end",
        "housing-fund",
        today.isoformat(),
    )
    assert warning["due_date"] > today.isoformat()
    shown = client.get(f"/api/v1/requests/{response.json()['id']}", headers=token("officer")).json()
    assert shown["warnings"] == [warning]
    sign_in(client, "officer")
    page = client.get(f"/requests/{response.json()['id']}").text
    assert f"晚于所续行措施的到期日 {today}" in page


def test_a_part_disposed_of_by_the_court_ahead_keeps_the_waiting_seal_on_the_rest(client, token, hub):
    request, waiting = waitlisted_seal(client, token)
    disposed = edited(
        example("receipt-waitlisted.xml"),
        ("RE-2026-0302", "RE-2026-0360"),
        (
            "<Outcome>WAITLISTED</Outcome>",
            '<Outcome>PARTIAL</Outcome>\n  <Reason code="ALREADY_TRANSFERRED">在先查封法院已拍卖该房产附属车库。</Reason>',
        ),
        ("<QueuePosition>2</QueuePosition>", ""),
    )
    unexplained = disposed.replace("在先查封法院已拍卖该房产附属车库。".encode(), b"").replace(
        b"RE-2026-0360", b"RE-2026-0361"
    )

    assert "say in <Reason> which part of the property was disposed of" in refused(
        client, token("staff-real-estate"), request, unexplained
    )
    [control] = post_receipt(client, token("staff-real-estate"), request, disposed)["controls"]

    assert (control["id"], control["status"], control["queue_position"]) == (waiting["id"], "WAITLISTED", 2)
    with hub.sessions() as session:
        [event] = session.execute(
            select(AuditEvent.data).where(
                AuditEvent.kind == "control.part_disposed", AuditEvent.entity_id == str(control["id"])
            )
        ).scalars()
    assert "在先查封法院已拍卖该房产附属车库。" in json.loads(event)["disposed"]


def test_a_renewal_made_in_time_but_reported_after_the_hub_expired_the_control_renews_it(
    hub, client, token, smtp
):
    hub.settings.smtp_host, hub.settings.smtp_port = smtp.host, smtp.port
    control = frozen_control(client, token)  # ends 2027-11-27
    renew = submit(client, token("officer"), "request-renew.xml")
    run_job(hub, "controls", at=datetime(2027, 11, 29, 9, tzinfo=SHANGHAI))
    [expired] = controls(client, token("officer"), "?status=EXPIRED")
    assert expired["id"] == control["id"]
    in_time = renew_answer(renew, "HF-2026-8894", ("2026-11-28T10:00:00", "2027-11-27T16:00:00"))

    answered = post_receipt(client, token("staff-housing-fund"), renew, in_time)["controls"]

    assert {c["id"]: c["status"] for c in answered} == {control["id"]: "RENEWED", control["id"] + 1: "ACTIVE"}


# --- found in review: each failed before its fix ----------------------------------------------------------


def test_a_deduction_answered_after_its_freeze_was_renewed_draws_down_the_renewal(client, token):
    frozen_control(client, token)
    request = deduct(client, token, "12345.67", "AT-2026-000153")  # links the freeze, not yet renewed
    renew = submit(client, token("officer"), "request-renew.xml")
    renewal = next(
        c
        for c in post_receipt(
            client, token("staff-housing-fund"), renew, renew_answer(renew, "HF-2026-8894")
        )["controls"]
        if c["renews_id"]
    )

    [drawn] = deducted(client, token, request, "12345.67", "HF-2026-9004")

    assert (drawn["id"], drawn["status"], drawn["amount"]) == (renewal["id"], "ACTIVE", "37654.33")


def test_a_renewal_that_states_no_amount_freezes_what_the_control_held(client, token):
    frozen_control(client, token)
    renew = submit(client, token("officer"), "request-renew.xml")
    unstated = renew_answer(renew, "HF-2026-8894", ('      <Amount currency="CNY">50000.00</Amount>\n', ""))

    answered = post_receipt(client, token("staff-housing-fund"), renew, unstated)["controls"]

    [renewal] = [c for c in answered if c["renews_id"]]
    assert (renewal["amount"], renewal["currency"]) == ("50000.00", "CNY")


def withdraw_renewal(client, token, renewal: dict) -> list[dict]:
    """The housing fund undoes the renewal's registration (a further receipt UNABLE): the controls changed."""
    withdrawn = edited(
        CONTROLLED,
        ("AT-2026-000123", "AT-2026-000124"),
        ("HF-2026-8891", "HF-2026-8897"),
        (
            "<Outcome>CONTROLLED</Outcome>",
            '<Outcome>UNABLE</Outcome>\n  <Reason code="OTHER">续行登记有误，已撤销。</Reason>',
        ),
        ('      <Period start="2026-11-28" end="2027-11-27"/>\n', ""),
        ('      <Amount currency="CNY">50000.00</Amount>\n', ""),
    )
    renew_request = client.get(f"/api/v1/requests/{renewal['request_id']}", headers=token("officer")).json()
    return post_receipt(client, token("staff-housing-fund"), renew_request, withdrawn)["controls"]


def test_a_renewal_its_unit_withdrew_puts_the_control_it_renewed_back_in_force(client, token):
    first, renewal = renewed_control(client, token)

    answered = withdraw_renewal(client, token, renewal)

    assert {c["id"]: c["status"] for c in answered} == {renewal["id"]: "WITHDRAWN", first["id"]: "ACTIVE"}
    assert [c["id"] for c in controls(client, token("officer"), "?status=ACTIVE")] == [first["id"]]
    draft = client.get(f"/api/v1/controls/{first['id']}/renewal-draft", headers=token("officer"))
    assert draft.status_code == 200, draft.text


def test_a_receipt_listing_one_item_twice_is_refused_not_counted_twice(client, token):
    freeze = submit(client, token("officer"), "request-freeze.xml")
    control = CONTROLLED[
        CONTROLLED.index(b"    <Control>") : CONTROLLED.index(b"</Control>") + len(b"</Control>\n")
    ]
    twice = CONTROLLED.replace(control, control + control.replace(b"GJJ-DJ-2026-0042", b"GJJ-DJ-2026-0043"))

    message = refused(client, token("staff-housing-fund"), freeze, twice)

    assert "FUND_ACCOUNT 220100123456789 has a <Control> already: one per item" in message
    assert controls(client, token("officer")) == []


def test_a_period_of_whole_years_registered_later_is_as_long_across_29_february(client, token):
    asked = edited(
        example("request-freeze.xml"),
        ('start="2026-11-27" end="2027-11-26"', 'start="2027-02-01" end="2028-01-31"'),
    )
    response = client.post(
        "/api/v1/requests", files=multipart(asked, *listed_files(asked)), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    later = edited(CONTROLLED, ('start="2026-11-28" end="2027-11-27"', 'start="2027-03-02" end="2028-03-01"'))

    [control] = post_receipt(client, token("staff-housing-fund"), response.json(), later)["controls"]

    assert (control["period_start"], control["period_end"]) == ("2027-03-02", "2028-03-01")


def test_another_units_deduction_leaves_a_units_freeze_alone(client, token):
    freeze = frozen_control(client, token)
    document = edited(
        example("request-deduct.xml"),
        ("AT-2026-000104", "AT-2026-000154"),
    )
    response = client.post(
        "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    by_the_insurer = edited(
        CONTROLLED,
        ("AT-2026-000123", "AT-2026-000154"),
        ("<UnitCode>housing-fund</UnitCode>", "<UnitCode>insurer-picc</UnitCode>"),
        ("HF-2026-8891", "PI-2026-0001"),
        ('      <Period start="2026-11-28" end="2027-11-27"/>\n', ""),
    )

    post_receipt(client, token("staff-insurer-picc"), response.json(), by_the_insurer, unit="insurer-picc")

    [still] = controls(client, token("officer"))
    assert (still["id"], still["status"], still["amount"]) == (freeze["id"], "ACTIVE", "50000.00")


def test_the_hubs_own_renewal_draft_of_a_fund_freeze_passes_where_funds_freeze_for_two_years(
    hub, client, token
):
    hub.settings.fund_account_period_years = 2  # HUB_FUND_ACCOUNT_PERIOD_YEARS=2
    control = frozen_control(client, token)
    draft = client.get(f"/api/v1/controls/{control['id']}/renewal-draft", headers=token("officer"))
    assert draft.status_code == 200 and 'start="2027-11-28" end="2029-11-27"' in draft.text

    response = client.post(
        "/api/v1/requests",
        content=draft.content,
        headers={**token("officer"), "Content-Type": "application/xml"},
    )

    assert response.status_code == 201, response.text


def test_a_release_after_a_renewal_was_withdrawn_and_asked_again_releases_the_second_renewal(client, token):
    first, renewal = renewed_control(client, token)
    withdraw_renewal(client, token, renewal)
    again = edited(example("request-renew.xml"), ("AT-2026-000124", "AT-2026-000127"))
    response = client.post(
        "/api/v1/requests", files=multipart(again, *listed_files(again)), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    answered = post_receipt(
        client,
        token("staff-housing-fund"),
        response.json(),
        renew_answer(response.json(), "HF-2026-8898"),
    )["controls"]
    [second] = [c for c in answered if c["renews_id"] == first["id"]]
    release = submit(client, token("officer"), "request-release.xml")  # names the first request

    released = post_receipt(client, token("staff-housing-fund"), release, example("receipt-released.xml"))[
        "controls"
    ]

    assert [c["id"] for c in released] == [second["id"]]
    assert controls(client, token("officer"), "?status=ACTIVE") == []
