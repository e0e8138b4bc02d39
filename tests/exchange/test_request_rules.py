"""The request rules that need the hub's state, through the API: units, files, known controls,
idempotency, who may submit, limits, and the due date of the tasks.

Every refusal answers with the one error shape and leaves nothing stored (no row, no file).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from conftest import edit, example, example_file, multipart
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.context import Hub
from hub.db import unit_of_work
from hub.models import Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
REQUESTS = "/api/v1/requests"

# --- helpers -----------------------------------------------------------------------------------


def submit(client, headers, document: bytes, *filenames: str, files: dict[str, bytes] | None = None):
    """POST a request as multipart with the named example files (and any given bytes)."""
    return client.post(REQUESTS, files=multipart(document, *filenames, files=files), headers=headers)


def submit_xml(client, headers, document: bytes, content_type: str = "application/xml"):
    """POST a request as the bare XML, no files."""
    return client.post(REQUESTS, content=document, headers={**headers, "Content-Type": content_type})


def created(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def error_of(response, status: int, code: str | None = None) -> dict:
    """The error of a refusal, after checking the shape {"error": {"code", "message", "details"}}."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert {"line", "path", "message"} <= set(detail), detail
    if code is not None:
        assert error["code"] == code, error
    return error


def detail_at(error: dict, path: str, *words: str) -> dict:
    """The detail whose path holds `path` and whose message holds every word."""
    for detail in error["details"]:
        if path in detail["path"] and all(w in detail["message"] for w in words):
            return detail
    pytest.fail(f"no detail at {path} saying {words}: {error}")


@contextmanager
def nothing_stored(stored) -> Iterator[None]:
    before = stored()
    yield
    assert stored() == before, "a refused request left rows or files behind"


def answer(client, token, request: dict, receipt: bytes) -> dict:
    """The request's only unit answers its task with `receipt` (and the example receipt.pdf)."""
    [task] = request["tasks"]
    staff = token(f"staff-{task['unit_code']}")
    answered = client.post(
        f"/api/v1/tasks/{task['id']}/receipts", files=multipart(receipt, "receipt.pdf"), headers=staff
    )
    assert answered.status_code == 201, answered.text
    return answered.json()


def freeze_controlled(client, token) -> dict:
    """The README flow: FREEZE sent with its files, answered CONTROLLED: control GJJ-DJ-2026-0042, ends 2027-11-27."""
    officer = token("officer")
    request = created(submit(client, officer, example("request-freeze.xml"), "ruling.pdf", "notice.pdf"))
    [control] = answer(client, token, request, example("receipt-controlled.xml"))["controls"]
    assert (control["registration_no"], control["status"], control["period_end"]) == (
        "GJJ-DJ-2026-0042",
        "ACTIVE",
        "2027-11-27",
    )
    return control


def controls(client, headers, status: str) -> list[str]:
    page = client.get(f"/api/v1/controls?status={status}", headers=headers).json()
    return [c["registration_no"] for c in page["items"]]


def deactivate(hub: Hub, code: str) -> None:
    with unit_of_work(hub.sessions) as session:
        session.get(Unit, code).active = False


# --- target units ------------------------------------------------------------------------------


def test_the_listed_units_each_get_a_task(client, token):
    request = created(submit(client, token("officer"), example("request-query.xml"), "notice.pdf"))
    assert sorted(t["unit_code"] for t in request["tasks"]) == ["civil-affairs", "real-estate", "vehicles"]


def test_an_unknown_unit_is_refused(client, token, stored):
    officer = token("officer")
    document = edit("request-query.xml", ('<Unit code="vehicles"/>', '<Unit code="no-such-unit"/>'))
    with nothing_stored(stored):
        error = error_of(submit(client, officer, document, "notice.pdf"), 422)
    detail = detail_at(error, "/AssistanceRequest/Targets", "no-such-unit")
    assert detail["line"] == 14  # <Targets>
    assert "no-such-unit" in error["message"]


def test_an_inactive_unit_is_refused(client, token, stored, hub):
    officer = token("officer")
    deactivate(hub, "vehicles")
    with nothing_stored(stored):
        error = error_of(submit(client, officer, example("request-query.xml"), "notice.pdf"), 422)
    detail_at(error, "/AssistanceRequest/Targets", "vehicles", "active")


def test_a_unit_that_does_not_perform_the_action_is_refused(client, token, stored):
    officer = token("officer")
    document = edit("request-freeze.xml", ('<Unit code="housing-fund"/>', '<Unit code="real-estate"/>'))
    with nothing_stored(stored):
        error = error_of(submit(client, officer, document, "ruling.pdf", "notice.pdf"), 422)
    detail_at(error, "/AssistanceRequest/Targets", "real-estate", "FREEZE")


def test_all_capable_query_goes_to_every_active_unit_that_queries(client, token):
    officer = token("officer")
    units = client.get("/api/v1/units", headers=officer).json()
    expected = sorted(u["code"] for u in units if u["active"] and "QUERY" in u["actions"])
    assert len(expected) > 10
    request = created(submit(client, officer, example("request-query-all.xml"), "notice.pdf"))
    assert sorted(t["unit_code"] for t in request["tasks"]) == expected
    assert {t["status"] for t in request["tasks"]} == {"served"}


def test_all_capable_leaves_out_an_inactive_unit(client, token, hub):
    officer = token("officer")
    deactivate(hub, "vehicles")
    units = client.get("/api/v1/units", headers=officer).json()
    assert next(u for u in units if u["code"] == "vehicles")["active"] is False
    request = created(submit(client, officer, example("request-query-all.xml"), "notice.pdf"))
    codes = {t["unit_code"] for t in request["tasks"]}
    assert "vehicles" not in codes and "real-estate" in codes


# --- files -------------------------------------------------------------------------------------


def test_a_listed_file_not_sent_is_refused(client, token, stored):
    officer = token("officer")
    with nothing_stored(stored):
        error = error_of(submit(client, officer, example("request-freeze.xml"), "ruling.pdf"), 422)
    detail = detail_at(error, "/Documents/Document[2]", "notice.pdf", "not sent")
    assert detail["line"] == 28


def test_a_file_with_the_wrong_sha256_is_refused(client, token, stored):
    officer = token("officer")
    with nothing_stored(stored):
        response = submit(
            client,
            officer,
            example("request-freeze.xml"),
            "ruling.pdf",
            files={"notice.pdf": b"%PDF-1.4 forged"},
        )
        error = error_of(response, 422)
    detail_at(error, "/Documents/Document[2]", "notice.pdf", "sha256")


def test_an_unlisted_extra_file_is_refused(client, token, stored):
    officer = token("officer")
    with nothing_stored(stored):
        response = submit(
            client, officer, example("request-freeze.xml"), "ruling.pdf", "notice.pdf", "receipt.pdf"
        )
        error = error_of(response, 422)
    assert any("receipt.pdf" in d["message"] and "not listed" in d["message"] for d in error["details"])


def test_bare_xml_without_the_files_is_refused_naming_them(client, token, stored):
    officer = token("officer")
    with nothing_stored(stored):
        error = error_of(submit_xml(client, officer, example("request-freeze.xml")), 422)
    detail_at(error, "/Documents/Document[1]", "ruling.pdf")
    detail_at(error, "/Documents/Document[2]", "notice.pdf")
    assert "ruling.pdf" in error["message"]


def test_files_stored_by_an_earlier_request_need_not_be_sent_again(client, token, stored):
    officer = token("officer")
    created(submit(client, officer, example("request-freeze.xml"), "ruling.pdf", "notice.pdf"))
    before = stored()
    request = created(submit_xml(client, officer, example("request-seal.xml")))
    assert [t["unit_code"] for t in request["tasks"]] == ["real-estate"]
    assert {f["filename"] for f in request["files"]} == {"ruling.pdf", "notice.pdf"}
    after = stored()
    assert after["blob_files"] == before["blob_files"] + 1  # only the new XML itself
    staff = token("staff-real-estate")
    ruling = client.get(f"/api/v1/tasks/{request['tasks'][0]['id']}/files/ruling.pdf", headers=staff)
    assert ruling.content == example_file("ruling.pdf")


# --- RequestNo idempotency ---------------------------------------------------------------------


def test_the_same_request_again_is_answered_as_the_first_time(client, token, stored):
    officer = token("officer")
    first = submit(client, officer, example("request-freeze.xml"), "ruling.pdf", "notice.pdf")
    assert first.status_code == 201
    with nothing_stored(stored):
        again = submit(client, officer, example("request-freeze.xml"), "ruling.pdf", "notice.pdf")
        assert again.status_code == 200, again.text
        assert again.json() == first.json()
        bare = submit_xml(client, officer, example("request-freeze.xml"))
        assert bare.status_code == 200, bare.text
        assert bare.json() == first.json()


def test_the_same_request_no_with_other_content_is_a_conflict(client, token, stored):
    officer = token("officer")
    created(submit(client, officer, example("request-freeze.xml"), "ruling.pdf", "notice.pdf"))
    other = edit("request-freeze.xml", (">50000.00<", ">40000.00<"))
    with nothing_stored(stored):
        error = error_of(
            submit(client, officer, other, "ruling.pdf", "notice.pdf"), 409, "request_no_conflict"
        )
    assert "AT-2026-000123" in error["message"]


# --- who may submit ----------------------------------------------------------------------------


def test_an_officer_cannot_submit_for_another_court(client, token, stored):
    officer = token("officer")
    document = edit("request-freeze.xml", ('<Court code="J2426">', '<Court code="J2401">'))
    with nothing_stored(stored):
        error = error_of(submit(client, officer, document, "ruling.pdf", "notice.pdf"), 403, "forbidden")
    assert "J2401" in error["message"] and "J2426" in error["message"]


@pytest.mark.parametrize("username", ["staff-housing-fund", "supervisor"])
def test_only_an_officer_can_submit(client, token, stored, username):
    headers = token(username)
    with nothing_stored(stored):
        error_of(submit(client, headers, example("request-freeze.xml"), "ruling.pdf", "notice.pdf"), 403)


def test_no_token_is_unauthorized(client, stored):
    with nothing_stored(stored):
        response = submit(client, {}, example("request-freeze.xml"), "ruling.pdf", "notice.pdf")
        error_of(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_bad_token_is_unauthorized(client, stored):
    with nothing_stored(stored):
        headers = {"Authorization": "Bearer lh_not-a-token"}
        error_of(submit(client, headers, example("request-freeze.xml"), "ruling.pdf", "notice.pdf"), 401)


# --- the body ----------------------------------------------------------------------------------


def test_an_unsupported_content_type_is_refused(client, token, stored):
    officer = token("officer")
    with nothing_stored(stored):
        response = submit_xml(client, officer, example("request-freeze.xml"), content_type="text/plain")
        error = error_of(response, 415, "unsupported_media_type")
    assert "application/xml" in error["message"] and "multipart/form-data" in error["message"]


def test_text_xml_is_accepted_like_application_xml(client, token):
    officer = token("officer")
    created(submit(client, officer, example("request-freeze.xml"), "ruling.pdf", "notice.pdf"))
    assert (
        submit_xml(client, officer, example("request-seal.xml"), content_type="text/xml").status_code == 201
    )


@pytest.fixture
def small_hub(settings) -> Iterator[tuple[TestClient, int]]:
    """A hub on the same database and data directory that takes documents up to 2000 bytes and files
    up to 1000 bytes (the example XML is about 1200 bytes, each example PDF about 700)."""
    small = settings.model_copy(update={"max_document_bytes": 2000, "max_file_bytes": 1000})
    hub = Hub.from_settings(small)
    with TestClient(create_app(small, hub)) as client:
        yield client, small.max_document_bytes
    hub.engine.dispose()


def _padded_freeze(size: int) -> bytes:
    document = example("request-freeze.xml")
    remarks = "<Remarks>" + "x" * (size - len(document) + 10) + "</Remarks>\n</AssistanceRequest>"
    padded = document.replace(b"</AssistanceRequest>", remarks.encode())
    assert len(padded) > size
    return padded


def test_a_document_over_the_hubs_limit_is_refused_as_too_large(small_hub, token, stored):
    client, limit = small_hub
    officer = token("officer")
    padded = _padded_freeze(limit)
    with nothing_stored(stored):
        error = error_of(submit(client, officer, padded, "ruling.pdf", "notice.pdf"), 413)
        assert str(limit) in error["message"]
        error = error_of(submit_xml(client, officer, padded), 413)
        assert str(limit) in error["message"]
    created(submit(client, officer, example("request-freeze.xml"), "ruling.pdf", "notice.pdf"))


def test_a_file_over_the_hubs_limit_is_refused_as_too_large(small_hub, token, stored):
    client, _ = small_hub
    officer = token("officer")
    big = b"%PDF-1.4\n" + b"0" * 1200
    with nothing_stored(stored):
        error_of(
            submit(client, officer, example("request-freeze.xml"), "ruling.pdf", files={"notice.pdf": big}),
            413,
        )


# --- RENEW and RELEASE of known controls -------------------------------------------------------


def test_renewal_of_a_known_active_control_is_accepted(client, token):
    freeze_controlled(client, token)
    officer = token("officer")
    request = created(submit(client, officer, example("request-renew.xml"), "ruling.pdf", "notice.pdf"))
    assert request["action"] == "RENEW"
    assert [t["unit_code"] for t in request["tasks"]] == ["housing-fund"]


def test_renewal_must_start_the_day_after_the_old_end(client, token, stored):
    freeze_controlled(client, token)
    officer = token("officer")
    document = edit("request-renew.xml", ('start="2027-11-28"', 'start="2027-11-29"'))
    with nothing_stored(stored):
        error = error_of(submit(client, officer, document, "ruling.pdf", "notice.pdf"), 422)
    detail = detail_at(error, "/Items/Item/Period", "2027-11-28")
    assert detail["line"] == 22


def test_renewal_of_an_unknown_registration_no_is_refused(client, token, stored):
    freeze_controlled(client, token)
    officer = token("officer")
    document = edit(
        "request-renew.xml", ('registrationNo="GJJ-DJ-2026-0042"', 'registrationNo="GJJ-DJ-2026-9999"')
    )
    with nothing_stored(stored):
        error = error_of(submit(client, officer, document, "ruling.pdf", "notice.pdf"), 422)
    detail_at(error, "/Items/Item/Original", "GJJ-DJ-2026-9999")


def test_renewal_of_a_control_from_an_unknown_request_is_refused(client, token, stored):
    officer = token("officer")
    with nothing_stored(stored):
        error = error_of(
            submit(client, officer, example("request-renew.xml"), "ruling.pdf", "notice.pdf"), 422
        )
    detail_at(error, "/Items/Item/Original", "AT-2026-000123")


def test_release_of_the_active_control_then_of_the_released_one(client, token, stored):
    freeze_controlled(client, token)
    officer = token("officer")
    release = created(submit(client, officer, example("request-release.xml"), "ruling.pdf", "notice.pdf"))
    answer(client, token, release, example("receipt-released.xml"))
    assert controls(client, officer, "RELEASED") == ["GJJ-DJ-2026-0042"]
    assert controls(client, officer, "ACTIVE") == []

    again = edit("request-release.xml", ("AT-2026-000125", "AT-2026-000126"))
    renew = edit("request-renew.xml", ("AT-2026-000124", "AT-2026-000127"))
    with nothing_stored(stored):
        error = error_of(submit(client, officer, again, "ruling.pdf", "notice.pdf"), 422)
        detail_at(error, "/Items/Item/Original", "RELEASED")
        error = error_of(submit(client, officer, renew, "ruling.pdf", "notice.pdf"), 422)
        detail_at(error, "/Items/Item/Original", "RELEASED")


def test_a_control_already_renewed_cannot_be_renewed_again_for_the_same_period(client, token, stored):
    """The renewal of GJJ-DJ-2026-0042 took effect to 2028-11-27; renewing the original again would ask the
    unit to freeze 2027-11-28..2028-11-27 a second time."""
    freeze_controlled(client, token)
    officer = token("officer")
    renewal = created(submit(client, officer, example("request-renew.xml"), "ruling.pdf", "notice.pdf"))
    receipt = edit(
        "receipt-controlled.xml",
        ("AT-2026-000123", "AT-2026-000124"),
        ("HF-2026-8891", "HF-2026-8894"),
        ('start="2026-11-28" end="2027-11-27"', 'start="2027-11-28" end="2028-11-27"'),
    )
    answered = answer(client, token, renewal, receipt)["controls"]
    assert [(c["status"], c["period_end"]) for c in answered] == [
        ("ACTIVE", "2028-11-27"),
        ("RENEWED", "2027-11-27"),
    ]

    again = edit("request-renew.xml", ("AT-2026-000124", "AT-2026-000128"))
    with nothing_stored(stored):
        error = error_of(submit(client, officer, again, "ruling.pdf", "notice.pdf"), 422)
    detail_at(error, "/Items/Item/", "GJJ-DJ-2026-0042")


def _freeze_controlled_until(client, token, end: date) -> None:
    """FREEZE answered CONTROLLED with a registered period of one year ending on `end`."""
    request = created(
        submit(client, token("officer"), example("request-freeze.xml"), "ruling.pdf", "notice.pdf")
    )
    start = (end + timedelta(days=1)).replace(year=end.year - 1)
    receipt = edit(
        "receipt-controlled.xml", ('start="2026-11-28" end="2027-11-27"', f'start="{start}" end="{end}"')
    )
    [control] = answer(client, token, request, receipt)["controls"]
    assert (control["status"], control["period_end"]) == ("ACTIVE", end.isoformat())


def _renewal_after(end: date) -> bytes:
    start = end + timedelta(days=1)
    last = start.replace(year=start.year + 1) - timedelta(days=1)
    return edit("request-renew.xml", ('start="2027-11-28" end="2028-11-27"', f'start="{start}" end="{last}"'))


def test_a_renewal_filed_on_the_last_day_of_the_control_is_accepted(client, token):
    today = datetime.now(SHANGHAI).date()
    _freeze_controlled_until(client, token, today)
    created(submit(client, token("officer"), _renewal_after(today), "ruling.pdf", "notice.pdf"))


def test_a_renewal_filed_after_the_control_ended_is_refused(client, token, stored):
    yesterday = datetime.now(SHANGHAI).date() - timedelta(days=1)
    _freeze_controlled_until(client, token, yesterday)
    officer = token("officer")
    with nothing_stored(stored):
        error = error_of(submit(client, officer, _renewal_after(yesterday), "ruling.pdf", "notice.pdf"), 422)
    detail_at(error, "/Items/Item/Original", yesterday.isoformat())


def _on_the_waitlisted_seal(name: str, request_no: str) -> bytes:
    """request-renew or request-release rewritten to act on the seal of request-seal answered WAITLISTED."""
    document = edit(
        name,
        ('<Unit code="housing-fund"/>', '<Unit code="real-estate"/>'),
        ("<AssetClass>FUND_ACCOUNT</AssetClass>", "<AssetClass>REAL_ESTATE</AssetClass>"),
        ("<AssetId>220100123456789</AssetId>", "<AssetId>222426001001GB00012F00010023</AssetId>"),
        (
            'requestNo="AT-2026-000123" registrationNo="GJJ-DJ-2026-0042"',
            'requestNo="AT-2026-000102" registrationNo="BDC-CF-2026-0117"',
        ),
    )
    return re.sub(rb"<RequestNo>[^<]*</RequestNo>", f"<RequestNo>{request_no}</RequestNo>".encode(), document)


@pytest.fixture
def waitlisted_seal(client, token) -> dict:
    request = created(
        submit(client, token("officer"), example("request-seal.xml"), "ruling.pdf", "notice.pdf")
    )
    [control] = answer(client, token, request, example("receipt-waitlisted.xml"))["controls"]
    assert (control["status"], control["registration_no"]) == ("WAITLISTED", "BDC-CF-2026-0117")
    return control


def test_release_of_a_waitlisted_control_is_accepted(client, token, waitlisted_seal):
    document = _on_the_waitlisted_seal("request-release.xml", "AT-2026-000130")
    request = created(submit(client, token("officer"), document, "ruling.pdf", "notice.pdf"))
    assert [t["unit_code"] for t in request["tasks"]] == ["real-estate"]


def test_renewal_of_a_waitlisted_control_is_refused(client, token, stored, waitlisted_seal):
    officer = token("officer")
    document = _on_the_waitlisted_seal("request-renew.xml", "AT-2026-000131").replace(
        b'start="2027-11-28" end="2028-11-27"', b'start="2029-11-27" end="2032-11-26"'
    )
    with nothing_stored(stored):
        error = error_of(submit(client, officer, document, "ruling.pdf", "notice.pdf"), 422)
    detail_at(error, "/Items/Item/Original", "WAITLISTED")


# --- the due date ------------------------------------------------------------------------------


def next_working_day(day: date) -> date:
    """The first working day after `day` in China's official calendar (with 调休), via chinese_calendar."""
    while True:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            return day


def test_a_freeze_served_today_is_due_at_the_end_of_the_next_working_day(client, token):
    request = created(
        submit(client, token("officer"), example("request-freeze.xml"), "ruling.pdf", "notice.pdf")
    )
    [task] = request["tasks"]
    served = datetime.fromisoformat(task["served_at"])
    assert abs(datetime.now(SHANGHAI) - served) < timedelta(minutes=5)
    try:
        due_day = next_working_day(served.astimezone(SHANGHAI).date())
    except NotImplementedError:  # chinese_calendar has no data for the next year yet
        pytest.skip("chinese_calendar does not cover the next working day")
    expected = datetime.combine(due_day, time(23, 59, 59), tzinfo=SHANGHAI)
    assert task["limit_days"] == 1
    assert task["due_at"] == expected.isoformat()
    assert task["due_at"].endswith("T23:59:59+08:00")
    assert task["due_provisional"] is False
