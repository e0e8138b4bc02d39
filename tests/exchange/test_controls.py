"""Controls from receipts: waiting lists (轮候), partial and flexible seizures, renewal, release, and the list."""

from conftest import (
    edited,
    example,
    frozen_control,
    listed_files,
    multipart,
    post_receipt,
    renewed_control,
    submit,
    waitlisted_seal,
)

WAITLISTED = example("receipt-waitlisted.xml")


def controls(client, headers, query: str = "") -> list[dict]:
    return client.get(f"/api/v1/controls{query}", headers=headers).json()["items"]


def test_waitlisted_seal_keeps_queue_position_and_requested_period(client, token):
    request, control = waitlisted_seal(client, token)

    assert (control["status"], control["queue_position"]) == ("WAITLISTED", 2)
    assert (control["kind"], control["registration_no"]) == ("SEAL", "BDC-CF-2026-0117")
    assert (control["requested_start"], control["requested_end"]) == ("2026-11-27", "2029-11-26")
    assert control["promoted_at"] is None
    shown = controls(client, token("officer"), "?status=WAITLISTED")
    assert [(c["id"], c["queue_position"]) for c in shown] == [(control["id"], 2)]
    task = client.get(f"/api/v1/requests/{request['id']}", headers=token("officer")).json()["tasks"][0]
    assert (task["status"], task["outcome"]) == ("completed", "WAITLISTED")


def moved_up(client, token, request: dict, position: int, receipt_no: str = "RE-2026-0350") -> dict:
    """The registry's further receipt: the waiting seal is now number `position` in the queue."""
    moved = edited(
        WAITLISTED,
        ("RE-2026-0302", receipt_no),
        ("<QueuePosition>2</QueuePosition>", f"<QueuePosition>{position}</QueuePosition>"),
    )
    [control] = post_receipt(client, token("staff-real-estate"), request, moved)["controls"]
    return control


def took_effect(*changes: tuple[str, str]) -> bytes:
    """The registry's further receipt: the waiting seal took effect (on 1 March 2027)."""
    return edited(
        WAITLISTED,
        ("RE-2026-0302", "RE-2026-0355"),
        ("2026-11-30T14:00:00", "2027-03-01T09:00:00"),
        ("<Outcome>WAITLISTED", "<Outcome>CONTROLLED"),
        *changes,
        ("<QueuePosition>2</QueuePosition>", ""),
    )


def test_a_waiting_control_reports_its_new_place_in_the_queue(client, token):
    request, waiting = waitlisted_seal(client, token)

    control = moved_up(client, token, request, 1)

    assert (control["id"], control["status"], control["queue_position"]) == (waiting["id"], "WAITLISTED", 1)
    shown = controls(client, token("officer"), "?status=WAITLISTED")
    assert [(c["id"], c["queue_position"]) for c in shown] == [(waiting["id"], 1)]


def test_a_waiting_control_not_first_in_the_queue_cannot_take_effect(client, token):
    request, waiting = waitlisted_seal(client, token)
    [task], promoted = request["tasks"], took_effect()

    refused = client.post(
        f"/api/v1/tasks/{task['id']}/receipts",
        files=multipart(promoted, *listed_files(promoted)),
        headers=token("staff-real-estate"),
    )

    assert refused.status_code == 422
    assert "is number 2 in the queue: only the first waiting control takes effect" in refused.text
    [still] = controls(client, token("officer"), "?status=WAITLISTED")
    assert (still["id"], still["queue_position"]) == (waiting["id"], 2)


def test_a_promoted_control_without_a_registered_period_runs_from_when_it_took_effect(client, token):
    request, _ = waitlisted_seal(client, token)
    moved_up(client, token, request, 1)
    unregistered = took_effect(('<Period start="2026-11-27" end="2029-11-26"/>', ""))

    [control] = post_receipt(client, token("staff-real-estate"), request, unregistered)["controls"]

    effective = control["promoted_at"][:10]  # the day the hub learnt it took effect, in +08:00
    assert control["period_start"] == effective
    years_later = str(int(effective[:4]) + 3) + effective[4:]
    assert control["period_end"] < years_later and control["period_end"] > "2029-11-26"


def test_waiting_control_taking_effect_is_promoted(client, token):
    request, waiting = waitlisted_seal(client, token)
    moved_up(client, token, request, 1)

    answer = post_receipt(client, token("staff-real-estate"), request, took_effect())

    [control] = answer["controls"]
    assert control["id"] == waiting["id"]
    assert (control["status"], control["queue_position"]) == ("ACTIVE", None)
    assert control["promoted_at"] is not None
    assert (control["requested_start"], control["requested_end"]) == ("2026-11-27", "2029-11-26")
    assert answer["task"]["status"] == "completed"
    [listed] = controls(client, token("officer"), "?status=ACTIVE")
    assert listed == control
    assert controls(client, token("officer"), "?status=WAITLISTED") == []


def test_waiting_control_lapses_when_the_unit_reports_unable(client, token):
    request, waiting = waitlisted_seal(client, token)
    lapsed = edited(
        WAITLISTED,
        ("RE-2026-0302", "RE-2026-0356"),
        (
            "<Outcome>WAITLISTED</Outcome>",
            '<Outcome>UNABLE</Outcome>\n  <Reason code="ALREADY_TRANSFERRED">在先查封法院已拍卖处置该房产。</Reason>',
        ),
        ("<QueuePosition>2</QueuePosition>", ""),
    )

    [control] = post_receipt(client, token("staff-real-estate"), request, lapsed)["controls"]

    assert (control["id"], control["status"]) == (waiting["id"], "LAPSED")
    assert [c["id"] for c in controls(client, token("officer"), "?status=LAPSED")] == [waiting["id"]]
    assert controls(client, token("officer"), "?status=WAITLISTED") == []


def test_partial_seizure_controls_the_seized_vehicle_only_with_its_flexible_use(client, token):
    request = submit(client, token("officer"), "request-seize.xml")

    answer = post_receipt(client, token("staff-vehicles"), request, example("receipt-partial.xml"))

    [control] = answer["controls"]
    assert (control["kind"], control["status"]) == ("SEIZE", "ACTIVE")
    assert (control["asset_id"], control["registration_no"]) == ("吉H·A1234", "CGS-KY-2026-0311")
    assert (control["period_start"], control["period_end"]) == ("2026-11-27", "2028-11-26")
    assert control["flexible_custodian"] == "孙七"
    assert control["flexible_use"] == "继续用于货物运输经营，不得转让、抵押"
    assert [c["asset_id"] for c in controls(client, token("officer"))] == ["吉H·A1234"]


def test_renewal_is_a_new_active_control_renewing_the_first(client, token):
    first, renewal = renewed_control(client, token)

    assert renewal["id"] != first["id"]
    assert renewal["renews_id"] == first["id"]
    assert (renewal["status"], renewal["kind"]) == ("ACTIVE", "FREEZE")
    assert renewal["registration_no"] == "GJJ-DJ-2026-0042"
    assert (renewal["period_start"], renewal["period_end"]) == ("2027-11-28", "2028-11-27")
    # one freeze, not two: the renewed control is listed when asked for by its status
    assert [c["id"] for c in controls(client, token("officer"))] == [renewal["id"]]
    assert [c["id"] for c in controls(client, token("officer"), "?status=ACTIVE")] == [renewal["id"]]
    assert [c["id"] for c in controls(client, token("officer"), "?status=RENEWED")] == [first["id"]]


def test_release_naming_the_renewed_control_releases_its_renewal(client, token):
    first, renewal = renewed_control(client, token)
    release = submit(client, token("officer"), "request-release.xml")  # names the first request

    answer = post_receipt(client, token("staff-housing-fund"), release, example("receipt-released.xml"))

    assert {c["id"]: c["status"] for c in answer["controls"]} == {renewal["id"]: "RELEASED"}
    assert controls(client, token("officer"), "?status=ACTIVE") == []
    listed = {c["id"]: c["status"] for c in controls(client, token("officer"))}
    assert listed == {renewal["id"]: "RELEASED"}
    assert [c["id"] for c in controls(client, token("officer"), "?status=RENEWED")] == [first["id"]]


def test_release_receipt_sent_again_is_answered_as_the_first_time(client, token, stored):
    renewed_control(client, token)
    release = submit(client, token("officer"), "request-release.xml")
    staff, released = token("staff-housing-fund"), example("receipt-released.xml")
    first = post_receipt(client, staff, release, released)
    before = stored()

    [task] = release["tasks"]
    again = client.post(
        f"/api/v1/tasks/{task['id']}/receipts", files=multipart(released, "receipt.pdf"), headers=staff
    )

    assert again.status_code == 200, again.text
    assert again.json() == first
    assert stored() == before


def test_waiting_control_released_by_a_further_receipt(client, token):
    """STANDARD.md: a further receipt with the same RegistrationNo reports a change of state, or RELEASED."""
    request, waiting = waitlisted_seal(client, token)
    released = edited(
        WAITLISTED,
        ("RE-2026-0302", "RE-2026-0357"),
        ("<Outcome>WAITLISTED", "<Outcome>RELEASED"),
        ("<QueuePosition>2</QueuePosition>", ""),
    )

    [control] = post_receipt(client, token("staff-real-estate"), request, released)["controls"]

    assert (control["id"], control["status"]) == (waiting["id"], "RELEASED")
    assert controls(client, token("officer"), "?status=WAITLISTED") == []


def test_controls_filtered_by_status_unit_and_end(client, token):
    officer = token("officer")
    frozen = frozen_control(client, token)
    _, sealed = waitlisted_seal(client, token)
    assert frozen["period_end"] == "2027-11-27"

    def ids(query: str) -> list[int]:
        return [c["id"] for c in controls(client, officer, query)]

    assert ids("") == [frozen["id"], sealed["id"]]  # soonest ending first
    assert ids("?status=ACTIVE") == [frozen["id"]]
    assert ids("?status=WAITLISTED") == [sealed["id"]]
    assert ids("?unit=real-estate") == [sealed["id"]]
    assert ids("?unit=housing-fund") == [frozen["id"]]
    assert ids("?expiring_before=2027-12-01") == [frozen["id"]]
    assert ids("?expiring_before=2027-11-01") == []
    assert ids("?status=WAITLISTED&expiring_before=2027-12-01") == []
    assert ids("?unit=housing-fund&status=ACTIVE&expiring_before=2030-01-01") == [frozen["id"]]
