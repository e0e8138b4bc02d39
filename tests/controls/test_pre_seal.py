"""A pre-seal (预查封) as an officer follows it: registered, turned into a seal when the debtor is registered as
the owner (its period still counted from the pre-seal, the officer e-mailed), renewed for a year at most while
a pre-seal; and a conversion of anything but a pre-seal refused (DOMAIN.md, "Pre-seals")."""

import json

import pytest
from conftest import edit, edited, example, listed_files, multipart, post_receipt, submit
from sqlalchemy import select

from hub.alerts.service import run_job
from hub.clock import now
from hub.controls.states import Cause, ControlEvent, IllegalTransition, change
from hub.models import AuditEvent, Control

PRE_SEALED = example("receipt-pre-sealed.xml")  # FG-YCF-2026-0021, 2026-12-01 to 2028-11-30
CONVERTED = example("receipt-converted.xml")  # the seal FG-CF-2027-0088, counted from 2026-12-01
OFFICER = "officer@example.org"


def pre_sealed(client, token) -> tuple[dict, dict]:
    """request-pre-seal.xml answered CONTROLLED by the 房产管理中心: the request and its pre-seal."""
    request = submit(client, token("officer"), "request-pre-seal.xml")
    [control] = post_receipt(client, token("staff-housing-admin"), request, PRE_SEALED)["controls"]
    return request, control


def post(client, headers, request: dict, document: bytes):
    [task] = request["tasks"]
    return client.post(
        f"/api/v1/tasks/{task['id']}/receipts",
        files=multipart(document, *listed_files(document)),
        headers=headers,
    )


def test_a_pre_seal_is_registered_as_a_pre_seal_in_force_and_watched(client, token):
    _, control = pre_sealed(client, token)
    assert (control["kind"], control["status"], control["registration_no"]) == (
        "PRE_SEAL",
        "ACTIVE",
        "FG-YCF-2026-0021",
    )
    assert (control["period_start"], control["period_end"]) == ("2026-12-01", "2028-11-30")
    shown = client.get("/api/v1/controls?status=ACTIVE", headers=token("officer")).json()["items"]
    assert [c["id"] for c in shown] == [control["id"]]


def test_the_debtor_registered_as_owner_turns_the_pre_seal_into_a_seal_counted_from_the_pre_seal(
    hub, client, token, smtp
):
    hub.settings.smtp_host, hub.settings.smtp_port = smtp.host, smtp.port
    request, control = pre_sealed(client, token)

    answered = post_receipt(client, token("staff-housing-admin"), request, CONVERTED)

    [seal] = answered["controls"]
    assert seal["id"] == control["id"]
    assert (seal["kind"], seal["status"], seal["registration_no"]) == ("SEAL", "ACTIVE", "FG-CF-2027-0088")
    assert (seal["period_start"], seal["period_end"]) == ("2026-12-01", "2028-11-30")  # from the pre-seal
    with hub.sessions() as session:
        [event] = session.execute(
            select(AuditEvent).where(
                AuditEvent.kind == "control.converted", AuditEvent.entity_id == str(seal["id"])
            )
        ).scalars()
        data = json.loads(event.data)
    assert (data["kind_before"], data["registration_no_before"], data["registration_no"]) == (
        "PRE_SEAL",
        "FG-YCF-2026-0021",
        "FG-CF-2027-0088",
    )
    history = client.get(f"/api/v1/controls/{seal['id']}/history", headers=token("officer")).json()
    assert "预查封转为查封（期限自预查封之日起计算）" in json.dumps(history, ensure_ascii=False)

    run = run_job(hub, "controls")

    assert run.sent == 1
    [told] = [m for m in smtp.wait_for(1) if m["To"] == OFFICER]
    text = told.get_body(("plain",)).get_content()
    assert "预查封已转为查封" in text and "查封期限自预查封之日起计算" in text
    assert "FG-CF-2027-0088" in text and "2026年12月1日至2028年11月30日" in text
    assert run_job(hub, "controls").sent == 0  # told once


def test_a_conversion_reported_by_the_pre_seals_own_number_keeps_it(client, token):
    request, control = pre_sealed(client, token)
    same_number = edited(CONVERTED, ("FG-CF-2027-0088", "FG-YCF-2026-0021"))
    [seal] = post_receipt(client, token("staff-housing-admin"), request, same_number)["controls"]
    assert (seal["id"], seal["kind"], seal["registration_no"]) == (control["id"], "SEAL", "FG-YCF-2026-0021")


def test_a_converted_seals_period_must_start_with_the_pre_seal(client, token):
    request, _ = pre_sealed(client, token)
    later = edited(CONVERTED, ('start="2026-12-01" end="2028-11-30"', 'start="2027-06-18" end="2028-11-30"'))
    response = post(client, token("staff-housing-admin"), request, later)
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["details"]
    assert problem["path"].endswith("/Results/Control/Period")
    assert (
        "the seal's period is counted from the pre-seal, so it starts on 2026-12-01, not 2027-06-18"
        in (problem["message"])
    )


def test_a_conversion_of_an_ordinary_seal_is_refused(hub, client, token):
    seal_request = submit(
        client,
        token("officer"),
        "request-seal.xml",
    )
    answer = edited(
        example("receipt-waitlisted.xml"),
        ("<Outcome>WAITLISTED", "<Outcome>CONTROLLED"),
        ("<QueuePosition>2</QueuePosition>", ""),
    )
    [seal] = post_receipt(client, token("staff-real-estate"), seal_request, answer)["controls"]
    again = edited(answer, ("RE-2026-0302", "RE-2026-0360"))

    response = post(client, token("staff-real-estate"), seal_request, again)

    assert response.status_code == 409, response.text
    message = response.json()["error"]["message"]
    assert (
        "control BDC-CF-2026-0117 is a SEAL in force: only a pre-seal (PRE_SEAL) turns into a seal" in message
    )
    with hub.sessions() as session:
        control = session.get_one(Control, seal["id"])
        with pytest.raises(IllegalTransition) as refused:
            change(session, control, ControlEvent.CONVERTED, cause=Cause.UNIT_RECEIPT, at=now(), actor="test")
        assert str(refused.value).startswith(
            f"control {seal['id']} is a SEAL: only a PRE_SEAL can be converted"
        )
        assert (control.kind, control.status) == ("SEAL", "ACTIVE")
        session.rollback()


def test_a_waiting_pre_seal_takes_effect_first_and_is_converted_after(client, token):
    request = submit(client, token("officer"), "request-pre-seal.xml")
    staff = token("staff-housing-admin")
    waiting = edited(
        PRE_SEALED,
        ("<Outcome>CONTROLLED", "<Outcome>WAITLISTED"),
        ('end="2028-11-30"/>', 'end="2028-11-30"/>\n      <QueuePosition>1</QueuePosition>'),
    )
    [control] = post_receipt(client, staff, request, waiting)["controls"]
    assert (control["kind"], control["status"]) == ("PRE_SEAL", "WAITLISTED")
    took_effect = edited(PRE_SEALED, ("HA-2026-0131", "HA-2027-0101"))
    [effective] = post_receipt(client, staff, request, took_effect)["controls"]
    assert (effective["kind"], effective["status"]) == ("PRE_SEAL", "ACTIVE")  # promoted, not converted
    [seal] = post_receipt(client, staff, request, CONVERTED)["controls"]
    assert (seal["kind"], seal["status"]) == ("SEAL", "ACTIVE")


def renewal_of_pre_seal(end: str) -> bytes:
    """A RENEW (续封) of the pre-seal FG-YCF-2026-0021 from the day after its end, to `end`."""
    return edit(
        "request-pre-seal.xml",
        ("AT-2026-000131", "AT-2026-000141"),
        ("<Action>PRE_SEAL</Action>", "<Action>RENEW</Action>"),
        (
            'end="2028-11-30"/>',
            'end="2028-11-30"/>\n      <Original requestNo="AT-2026-000131" registrationNo="FG-YCF-2026-0021"/>',
        ),
        ('start="2026-12-01" end="2028-11-30"', f'start="2028-12-01" end="{end}"'),
    )


def test_a_pre_seal_is_renewed_for_a_year_at_most_and_its_draft_asks_a_year(client, token):
    pre_sealed(client, token)
    officer = token("officer")
    two_years = renewal_of_pre_seal("2030-11-30")
    response = client.post(
        "/api/v1/requests", files=multipart(two_years, "ruling.pdf", "notice.pdf"), headers=officer
    )
    assert response.status_code == 422, response.text
    [problem] = response.json()["error"]["details"]
    assert problem["path"].endswith("/Items/Item/Period")
    assert problem["message"] == (
        "a renewal of a pre-seal (PRE_SEAL) of REAL_ESTATE lasts at most 1 year(s): from 2028-12-01 it must end "
        "by 2029-11-30, not 2030-11-30"
    )
    one_year = renewal_of_pre_seal("2029-11-30")
    response = client.post(
        "/api/v1/requests", files=multipart(one_year, "ruling.pdf", "notice.pdf"), headers=officer
    )
    assert response.status_code == 201, response.text


def test_the_renewal_draft_of_a_pre_seal_asks_one_year(client, token):
    _, control = pre_sealed(client, token)
    draft = client.get(f"/api/v1/controls/{control['id']}/renewal-draft", headers=token("officer"))
    assert draft.status_code == 200, draft.text
    assert b'<Period start="2028-12-01" end="2029-11-30"/>' in draft.content
