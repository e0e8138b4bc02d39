"""A control's history through the API (GET /api/v1/controls/{id}/history): what happened to it and its
renewal chain, oldest first, as the audit chain recorded it, and only for those who may see the control."""

from datetime import datetime

from conftest import (
    edited,
    example,
    frozen_control,
    post_receipt,
    renewed_control,
    submit,
    waitlisted_seal,
)
from controls_support import SEAL_REGISTRATION, released, sealed, their_freeze

from hub.alerts.service import run_job
from hub.clock import SHANGHAI


def history(client, headers, control_id: int):
    return client.get(f"/api/v1/controls/{control_id}/history", headers=headers)


def test_a_seal_registered_then_released_in_order(client, token):
    seal, control = sealed(client, token)
    release = released(client, token)

    answer = history(client, token("officer"), control["id"])

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["control"]["status"] == "RELEASED" and body["current_id"] == control["id"]
    assert [c["id"] for c in body["chain"]] == [control["id"]]
    steps = [(e["kind"], e["what"], e["request_no"], e["receipt_no"]) for e in body["entries"]]
    assert steps == [
        ("request.received", "发出查封请求", "AT-2026-000102", None),
        ("control.registered", "登记生效", "AT-2026-000102", "RE-2026-0302"),
        ("request.received", "发出解除请求", "AT-2026-000125", None),
        ("control.released", "解除", "AT-2026-000125", "RE-2026-0399"),
    ]
    asked, registered, releasing, freed = body["entries"]
    assert [e["at"] for e in body["entries"]] == sorted(e["at"] for e in body["entries"])
    assert {e["control_id"] for e in body["entries"]} == {control["id"]}
    assert asked["request_id"] == seal["id"] and releasing["request_id"] == release["id"]
    assert asked["who"] == "张三（安图县人民法院）" and asked["actor"] == "user:officer"
    assert (registered["status_from"], registered["status_to"]) == (None, "ACTIVE")
    assert "期限 2026年11月27日至2029年11月26日" in registered["details"]
    assert f"登记号 {SEAL_REGISTRATION}" in registered["details"]
    assert registered["actor"] == "user:staff-real-estate" and "安图县不动产登记中心" in registered["who"]
    assert (freed["status_from"], freed["status_to"]) == ("ACTIVE", "RELEASED")
    assert "状态 生效中 → 已解除" in freed["details"] and "回执 RE-2026-0399" in freed["details"]
    assert "请求状态 已完成" in releasing["details"]


def test_a_renewed_control_has_one_chain_whichever_control_is_asked(client, token):
    first, renewal = renewed_control(client, token)

    by_first = history(client, token("officer"), first["id"]).json()
    by_renewal = history(client, token("officer"), renewal["id"]).json()

    assert [c["id"] for c in by_first["chain"]] == [first["id"], renewal["id"]]
    assert by_first["chain"] == by_renewal["chain"] and by_first["entries"] == by_renewal["entries"]
    assert by_first["control"]["id"] == first["id"] and by_renewal["control"]["id"] == renewal["id"]
    assert by_first["current_id"] == renewal["id"] == by_renewal["current_id"]
    steps = [(e["kind"], e["control_id"], e["request_no"]) for e in by_first["entries"]]
    assert steps == [
        ("request.received", first["id"], "AT-2026-000123"),
        ("control.registered", first["id"], "AT-2026-000123"),
        ("request.received", first["id"], "AT-2026-000124"),  # the RENEW acts on the first control
        ("control.registered", renewal["id"], "AT-2026-000124"),
        ("control.renewed", first["id"], "AT-2026-000124"),
    ]
    renewed = by_first["entries"][-1]
    assert renewed["what"] == "续行登记，由续行措施接续" and renewed["data"]["renewal"] == renewal["id"]
    assert "状态 生效中 → 已续行" in renewed["details"]
    assert "期限 2027年11月28日至2028年11月27日" in by_first["entries"][3]["details"]


def test_another_courts_or_units_control_is_404_and_its_own_unit_reads_it(client, token, other_officer):
    theirs = their_freeze(client, token, other_officer)
    _, seal = sealed(client, token)

    for headers in (token("officer"), token("supervisor")):
        answer = history(client, headers, theirs["id"])
        assert answer.status_code == 404 and "YJ-2026-000123" not in answer.text
    assert history(client, other_officer, seal["id"]).status_code == 404
    assert history(client, token("staff-housing-fund"), seal["id"]).status_code == 404
    assert history(client, token("officer"), 999999).status_code == 404

    theirs_read = history(client, other_officer, theirs["id"]).json()
    assert [e["request_no"] for e in theirs_read["entries"]] == ["YJ-2026-000123"] * 2
    unit = history(client, token("staff-real-estate"), seal["id"])
    assert unit.status_code == 200
    assert [e["kind"] for e in unit.json()["entries"]] == ["request.received", "control.registered"]
    assert history(client, token("admin"), theirs["id"]).status_code == 200


def test_the_id_is_a_number(client, token):
    assert history(client, token("officer"), "1%20OR%201=1").status_code == 422


def test_a_partial_deduction_shows_what_was_taken_and_what_is_left(client, token):
    freeze = frozen_control(client, token)  # 50,000.00 frozen
    deduct = submit(client, token("officer"), "request-deduct.xml")
    receipt = edited(
        example("receipt-controlled.xml"),
        ("AT-2026-000123", "AT-2026-000104"),
        ("HF-2026-8891", "HF-2026-9001"),
        ('      <Period start="2026-11-28" end="2027-11-27"/>\n', ""),
        ("GJJ-DJ-2026-0042", "GJJ-KH-2026-0001"),
        ('<Amount currency="CNY">50000.00</Amount>', '<Amount currency="CNY">20000.00</Amount>'),
    )
    post_receipt(client, token("staff-housing-fund"), deduct, receipt, unit="housing-fund")

    entries = history(client, token("officer"), freeze["id"]).json()["entries"]

    assert [(e["what"], e["request_no"]) for e in entries] == [
        ("发出冻结请求", "AT-2026-000123"),
        ("登记生效", "AT-2026-000123"),
        ("发出扣划请求", "AT-2026-000104"),
        ("部分扣划", "AT-2026-000104"),
    ]
    registered, drawn = entries[1], entries[3]
    assert "金额 人民币50,000.00元" in registered["details"]  # as registered, not what is left today
    assert "扣划 人民币20,000.00元" in drawn["details"] and "尚冻结 人民币30,000.00元" in drawn["details"]
    assert (drawn["status_from"], drawn["status_to"]) == ("ACTIVE", "ACTIVE")


def test_a_control_the_hub_expired_says_so_and_who_did_it(client, token, hub):
    freeze = frozen_control(client, token)  # ends 2027-11-27
    run_job(hub, "controls", at=datetime(2027, 11, 28, 0, 30, tzinfo=SHANGHAI))

    expired = history(client, token("officer"), freeze["id"]).json()["entries"][-1]

    assert (expired["kind"], expired["what"]) == ("control.expired", "到期失效")
    assert (expired["actor"], expired["who"]) == ("hub", "平台（自动处理）")
    assert "状态 生效中 → 已到期" in expired["details"] and "届满日 2027年11月27日" in expired["details"]
    assert expired["receipt_no"] is None and expired["request_id"] is None


def test_a_waiting_seal_that_took_effect_shows_its_new_period_on_the_promotion(client, token):
    seal, control = waitlisted_seal(client, token)
    first = edited(
        example("receipt-waitlisted.xml"),
        ("RE-2026-0302", "RE-2026-0350"),
        ("<QueuePosition>2</QueuePosition>", "<QueuePosition>1</QueuePosition>"),
    )
    post_receipt(client, token("staff-real-estate"), seal, first)
    effective = edited(
        example("receipt-waitlisted.xml"),
        ("RE-2026-0302", "RE-2026-0351"),
        ("<Outcome>WAITLISTED", "<Outcome>CONTROLLED"),
        ('<Period start="2026-11-27" end="2029-11-26"/>', '<Period start="2027-03-01" end="2030-02-28"/>'),
        ("<QueuePosition>2</QueuePosition>", ""),
    )
    post_receipt(client, token("staff-real-estate"), seal, effective)

    entries = history(client, token("officer"), control["id"]).json()["entries"]

    assert [(e["what"], e["receipt_no"]) for e in entries] == [
        ("发出查封请求", None),
        ("轮候登记", "RE-2026-0302"),
        ("轮候顺位变更", "RE-2026-0350"),
        ("轮候转为正式", "RE-2026-0351"),
    ]
    assert "状态 轮候中 → 生效中" in entries[3]["details"]
    assert "期限 2027年3月1日至2030年2月28日" in entries[3]["details"]
    assert not any(line.startswith("期限") for line in entries[1]["details"])  # that period no longer runs
