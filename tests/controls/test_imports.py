"""Controls made before the hub, imported from a CSV file (hub/controls/imports.py), as an officer follows
them afterwards: listed, watched for expiry, renewed and released through the hub like any other; and a
file with problems refused whole, each named by row and column, with nothing left behind."""

import json
import zipfile
from datetime import date, datetime, time, timedelta

import pytest
from conftest import example_file, frozen_control, multipart, post_receipt
from controls_support import their_freeze
from imports_support import (
    ACCOUNT,
    BL,
    HEADERS,
    REGISTRATION,
    WANG_WU,
    checked,
    csv_of,
    imported,
    row,
    seal_row,
)

from hub.alerts.service import run_job
from hub.calendar.service import load_calendar
from hub.clock import SHANGHAI, now, today_shanghai
from hub.controls.import_file import MAX_IMPORT_BYTES, MAX_ROWS
from hub.db import unit_of_work
from hub.errors import Forbidden
from hub.evidence.service import export_case
from hub.evidence.verify import verify_archive
from hub.standard.codes import period_end
from hub.standard.rules import inspect
from hub.standard.write_receipt import ControlEntry, ReceiptDraft, write_receipt
from hub.standard.write_request import DocumentDraft, ItemDraft, RequestDraft, SubjectDraft, write_request
from hub.supervision.service import period, unit_figures


def controls(client, headers, query: str = "") -> list[dict]:
    return client.get(f"/api/v1/controls{query}", headers=headers).json()["items"]


def problems(hub, data: bytes, **options) -> list[tuple[int | None, str | None, str]]:
    """(row, column, English message) of each problem of the file."""
    return [(p.row, p.column, p.message) for p in checked(hub, data, **options).problems]


def test_an_imported_freeze_is_an_active_control_of_the_court_with_the_record_the_hub_would_have_had(
    hub, client, token
):
    start, end = (date.fromisoformat(d) for d in (row()["起始日"], row()["届满日"]))

    result = imported(hub, csv_of(row(), seal_row(), encoding="gbk"))

    listed = controls(client, token("officer"))
    assert [(c["unit_code"], c["registration_no"], c["status"]) for c in listed] == [
        ("housing-fund", REGISTRATION, "ACTIVE"),
        ("real-estate", "BDC-CF-2025-0099", "ACTIVE"),
    ]
    freeze = listed[0]
    assert (freeze["period_start"], freeze["period_end"]) == (start.isoformat(), end.isoformat())
    assert (freeze["kind"], freeze["asset_class"], freeze["amount"]) == ("FREEZE", "FUND_ACCOUNT", "30000.00")
    assert [c.id for c in result.controls] == [c["id"] for c in listed]
    request = client.get(f"/api/v1/requests/{freeze['request_id']}", headers=token("officer")).json()
    assert (request["request_no"], request["status"], request["action"]) == (BL, "done", "FREEZE")
    [task] = request["tasks"]
    assert (task["status"], task["outcome"], task["served_at"], task["due_at"]) == (
        "completed",
        "CONTROLLED",
        None,
        None,
    )
    assert [(f["type"], f["filename"]) for f in request["files"]] == [
        ("RULING", "裁定书（补录记录）.txt"),
        ("NOTICE", "协助执行通知书（补录记录）.txt"),
    ]
    document = hub.blobs.read(request["document_sha256"])
    recorded = inspect(document, expect="request").request
    assert (recorded.subject.name, recorded.subject.id_number, recorded.case_no) == (
        "王五",
        WANG_WU,
        "（2025）吉2426执17号",
    )
    assert "裁定书文号（2025）吉2426执17号之一" in recorded.remarks and "补录" in recorded.remarks
    ruling = hub.blobs.read(request["files"][0]["sha256"]).decode()
    assert "不是裁定书原件" in ruling and "（2025）吉2426执17号之一" in ruling
    [receipt] = client.get(f"/api/v1/tasks/{task['id']}/receipts", headers=token("officer")).json()
    assert (receipt["outcome"], receipt["receipt_no"]) == ("CONTROLLED", BL)
    history = client.get(f"/api/v1/controls/{freeze['id']}/history", headers=token("officer")).json()
    assert "control.imported" in [e["kind"] for e in history["entries"]]
    assert "补录冻结措施的记录" in [e["what"] for e in history["entries"]]


def test_importing_the_same_file_again_makes_no_second_control_and_says_which_it_is(hub, client, token):
    data = csv_of(row(), seal_row())
    [first, second] = imported(hub, data).controls

    again = checked(hub, data)

    assert again.problems == [] and again.new == []
    assert [(p.row.row, p.existing.id) for p in again.skipped] == [(2, first.id), (3, second.id)]
    assert imported(hub, data).controls == []
    assert len(controls(client, token("officer"))) == 2


def test_a_control_made_through_the_hub_is_not_imported_again(hub, client, token):
    made = frozen_control(client, token)  # housing-fund GJJ-DJ-2026-0042 on 220100123456789

    plan = checked(hub, csv_of(row(registration_no="GJJ-DJ-2026-0042", asset_id="220100123456789")))

    assert [p.existing.id for p in plan.skipped] == [made["id"]] and plan.new == []


def test_a_file_with_problems_is_refused_whole_each_named_by_row_and_column_and_nothing_is_left(hub, stored):
    today = today_shanghai()
    data = csv_of(
        row(),  # line 2: good, and not imported either
        row(registration_no="R3", id_number="22242619790605003"),  # 17 characters
        row(registration_no="R4", id_number="222426197906050030"),  # wrong check digit
        row(registration_no="R5", unit="no-such-unit"),
        seal_row(registration_no="R6", action="扣押"),  # a flat cannot be seized
        row(registration_no="R7", amount=""),  # a freeze of money names its amount
        row(registration_no="R8", end=period_end(today - timedelta(days=300), 2).isoformat()),  # 2 years
        row(registration_no="R9", subject_name='=HYPERLINK("http://x")'),
        row(registration_no="R10", description="长" * 501),
        row(),  # line 11: the same as line 2
        row(registration_no="R12", end=(today - timedelta(days=1)).isoformat()),  # ended yesterday
        row(registration_no="R13", officer="supervisor"),
        row(registration_no="R14", start="2026/02/30"),
        row(registration_no="R15", action="扣划"),
    )
    before = stored()

    found = problems(hub, data)

    assert [(r, c) for r, c, _ in found] == [
        (3, "证件号码"),
        (4, "证件号码"),
        (5, "协助单位"),
        (6, "措施"),
        (6, "财产类别"),
        (7, "金额"),
        (8, "届满日"),
        (9, "被执行人"),
        (10, "财产描述"),
        (11, "登记编号"),
        (12, "届满日"),
        (13, "承办法官"),
        (14, "起始日"),
        (15, "措施"),
    ]
    messages = dict(((r, c), m) for r, c, m in found)
    assert "wrong check digit: 0, expected X" in messages[(4, "证件号码")]
    assert "unit real-estate does not perform SEIZE" in messages[(6, "措施")]
    assert "SEIZE does not apply to REAL_ESTATE" in messages[(6, "财产类别")]
    assert "FREEZE of FUND_ACCOUNT needs an <Amount>" in messages[(7, "金额")]
    assert "lasts at most 1 year(s)" in messages[(8, "届满日")]
    assert "begins with '='" in messages[(9, "被执行人")]
    assert "line 2 names the same unit" in messages[(11, "登记编号")]
    assert "'supervisor' is not an active officer of court J2426" in messages[(13, "承办法官")]
    assert stored() == before


def test_the_chinese_of_each_problem_is_there_for_the_page(hub):
    plan = checked(hub, csv_of(row(unit="no-such-unit"), row(registration_no="R3", action="扣划")))

    assert [p.chinese for p in plan.problems] == [
        "协助单位“no-such-unit”不在联动单位名录中，请填写单位代码或名称。",
        "“扣划”不是可以补录的措施：只补录查封、扣押、冻结。",
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_utf8_with_or_without_bom_and_gbk_read_alike(hub, encoding):
    plan = checked(hub, csv_of(row(), seal_row(), encoding=encoding))

    assert plan.problems == []
    assert [(p.unit.code, p.row.subject_name, p.row.asset_class) for p in plan.new] == [
        ("housing-fund", "王五", "FUND_ACCOUNT"),
        ("real-estate", "王五", "REAL_ESTATE"),
    ]


def test_the_header_must_be_the_templates(hub):
    unknown = [*HEADERS[:-1], "承办人"]  # 承办法官 mistyped: not read as absent

    found = problems(hub, csv_of(row(), headers=unknown)) + problems(hub, csv_of(headers=HEADERS[1:]))

    assert found == [
        (1, None, "unknown column '承办人': the columns are those of the template"),
        (1, None, "columns missing from the header: 协助单位"),
    ]


def test_a_file_too_large_or_too_long_is_refused_before_its_rows_are_read(hub):
    long = csv_of(*(row(registration_no=f"R{n}") for n in range(MAX_ROWS + 1)))
    large = csv_of(row()) + b" " * MAX_IMPORT_BYTES

    assert problems(hub, long) == [(None, None, f"more than {MAX_ROWS} rows: split the file")]
    assert problems(hub, large) == [(None, None, "the file is larger than 2 MB: split it")]
    assert problems(hub, b"\xff\xfe\x00garbage\x81") == [
        (None, None, "the file is neither UTF-8 nor GBK: save it from Excel as CSV (or CSV UTF-8)")
    ]


def test_an_officer_imports_for_his_own_court_only_and_names_officers_of_it(hub, other_officer):
    with pytest.raises(Forbidden):
        checked(hub, csv_of(row()), as_user="officer-j2401")
    assert problems(hub, csv_of(row(officer="officer-j2401"))) == [
        (2, "承办法官", "'officer-j2401' is not an active officer of court J2426")
    ]


def test_another_courts_registration_is_refused(hub, client, token, other_officer):
    their_freeze(client, token, other_officer)  # J2401's freeze GJJ-DJ-2026-0042 of 220100123456789

    found = problems(hub, csv_of(row(registration_no="GJJ-DJ-2026-0042", asset_id="220100123456789")))

    assert found == [
        (
            2,
            "登记编号",
            "this registration number of the unit cannot be imported for this court: check it with the unit",
        )
    ]


def test_imported_tasks_are_in_no_figures_and_no_deadline_alerts(hub):
    imported(hub, csv_of(row(), seal_row()))
    at = now()
    start, end = period(today_shanghai() - timedelta(days=400), today_shanghai())

    with unit_of_work(hub.sessions) as session:
        figures = unit_figures(session, calendar=load_calendar(session), start=start, end=end, at=at)

    assert figures == []
    for job in ("due-soon", "overdue", "escalation"):
        assert run_job(hub, job, at=at + timedelta(days=30)).derived == 0


def test_an_imported_control_ending_soon_is_told_to_its_officer_by_email(hub, client, token, smtp):
    hub.settings.smtp_host, hub.settings.smtp_port = smtp.host, smtp.port
    [control] = imported(hub, csv_of(row())).controls
    thirty_days_before = control.period_end - timedelta(days=30)

    sent = run_job(hub, "controls", at=_morning(thirty_days_before)).sent

    assert sent == 1
    [message] = smtp.wait_for(1)
    assert message["To"] == "officer@example.org" and "控制措施提醒：1 项" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert REGISTRATION in body and "剩余天数：30" in body and BL in body
    assert [part.get_filename() for part in message.iter_attachments()] == []  # no draft to post


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=SHANGHAI)


def test_the_api_renewal_draft_of_an_imported_control_says_to_renew_it_on_its_page(hub, client, token):
    [control] = imported(hub, csv_of(row())).controls

    answer = client.get(f"/api/v1/controls/{control.id}/renewal-draft", headers=token("officer"))

    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "documents_needed"
    assert (
        f"Control {control.id} was imported" in error["message"]
        and f"/controls/{control.id}" in error["message"]
    )


def _renew(control_end: date, *, documents: dict[str, bytes]) -> bytes:
    start = control_end + timedelta(days=1)
    return write_request(
        RequestDraft(
            request_no="AT-2026-000201",
            issued_at=now(),
            court_code="J2426",
            court_name="安图县人民法院",
            officer_name="张三",
            case_no="（2025）吉2426执17号",
            action="RENEW",
            subject=SubjectDraft("person", "王五", "RESIDENT_ID", WANG_WU),
            targets=("housing-fund",),
            items=(
                ItemDraft(
                    "FUND_ACCOUNT",
                    ACCOUNT,
                    period_start=start,
                    period_end=period_end(start, 1),
                    original_request_no=BL,
                    original_registration_no=REGISTRATION,
                ),
            ),
            documents=tuple(DocumentDraft.of(kind, name, data) for (kind, name), data in documents.items()),
        )
    )


def test_an_imported_control_is_renewed_through_the_hub_and_its_renewal_carries_it_on(hub, client, token):
    [control] = imported(hub, csv_of(row())).controls
    document = _renew(
        control.period_end,
        documents={
            ("RULING", "ruling.pdf"): example_file("ruling.pdf"),
            ("NOTICE", "notice.pdf"): example_file("notice.pdf"),
        },
    )
    response = client.post(
        "/api/v1/requests", files=multipart(document, "ruling.pdf", "notice.pdf"), headers=token("officer")
    )
    assert response.status_code == 201, response.text
    renew = response.json()
    start = control.period_end + timedelta(days=1)
    receipt = write_receipt(
        ReceiptDraft(
            request_no="AT-2026-000201",
            unit_code="housing-fund",
            receipt_no="HF-2026-9001",
            handled_at=now(),
            handler_name="王五",
            outcome="CONTROLLED",
            controls=(
                ControlEntry("FUND_ACCOUNT", ACCOUNT, REGISTRATION, start, period_end(start, 1), None),
            ),
        )
    )

    answered = post_receipt(client, token("staff-housing-fund"), renew, receipt)["controls"]

    [renewed] = [c for c in answered if c["id"] == control.id]
    [renewal] = [c for c in answered if c["renews_id"] == control.id]
    assert renewed["status"] == "RENEWED" and renewal["status"] == "ACTIVE"
    assert renewal["period_start"] == start.isoformat()
    assert [c["id"] for c in controls(client, token("officer"), "?status=ACTIVE")] == [renewal["id"]]


def test_the_import_records_cannot_be_sent_again_as_a_ruling_and_notice(hub, client, token):
    [control] = imported(hub, csv_of(row())).controls
    request_id = control.request_id
    files = client.get(f"/api/v1/requests/{request_id}", headers=token("officer")).json()["files"]
    document = _renew(
        control.period_end,
        documents={(f["type"], f["filename"]): hub.blobs.read(f["sha256"]) for f in files},
    )

    response = client.post("/api/v1/requests", files=multipart(document), headers=token("officer"))

    assert response.status_code == 422
    assert "裁定书（补录记录）.txt is listed but was not sent" in response.text


def test_an_imported_case_is_exported_as_evidence_that_verifies(hub, tmp_path):
    imported(hub, csv_of(row()))
    target = tmp_path / "case.zip"

    exported = export_case(
        hub, case_no="（2025）吉2426执17号", court_code="J2426", target=target, identity=None, actor="test"
    )

    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        summary = archive.read("summary.txt").decode()
        manifest = json.loads(archive.read("manifest.json"))
    folder = f"requests/{BL}"
    assert f"{folder}/files/裁定书（补录记录）.txt" in names and f"{folder}/request.xml" in names
    assert f"{folder}/receipts/housing-fund/{BL}/receipt.xml" in names
    assert BL in summary and REGISTRATION in summary
    listed = {m["path"]: m for m in manifest["members"]}
    assert "audit_seq" in listed[f"{folder}/request.xml"]  # the request.received event that recorded it
    assert verify_archive(target, allow_unsigned=True).ok, exported
