"""The officer's control pages (list, renew, release) and the debtor pages, through the browser's eyes."""

import hashlib
import re
from datetime import date

import pytest
from conftest import (
    csrf_of,
    edit,
    edited,
    example,
    frozen_control,
    multipart,
    post_receipt,
    sign_in,
    submit,
    waitlisted_seal,
)
from controls_support import their_freeze

from hub.web import control_pages

HOUSING_FUND = "延边州住房公积金管理中心安图县管理部"
RULING = "1146414fdc4ba18f80cf749b77f1ea72a79f242b686e944593ec4fb28841c07d"
NOTICE = "a2f300c6c1f9c93b37673c46c19e74d80f2bcce7338e84529da31dd0ebb8a82d"
RENEWAL_RULING = (
    b"%PDF-1.4 (2026)\xe5\x90\x892426\xe6\x89\xa7123\xe5\x8f\xb7\xe4\xb9\x8b\xe4\xb8\x80 renewal ruling"
)
ZHAO_LIU = "22242619790605003X"


def row_of(html: str, control_id: int) -> str:
    return re.search(rf'<tr id="control-{control_id}">(.*?)</tr>', html, re.S).group(1)


def test_the_list_shows_each_control_with_days_left_and_its_actions(visitor, token):
    freeze = frozen_control(visitor, token)
    _, seal = waitlisted_seal(visitor, token)
    sign_in(visitor, "officer")

    page = visitor.get("/controls")

    assert page.status_code == 200
    row = row_of(page.text, freeze["id"])
    assert HOUSING_FUND in row and "住房公积金账户" in row and "220100123456789" in row
    assert "GJJ-DJ-2026-0042" in row and "2026年11月28日至2027年11月27日" in row
    today = control_pages.today_shanghai()
    assert f"{(date(2027, 11, 27) - today).days} 天" in row and "late" not in row
    assert f'href="/requests/{freeze["request_id"]}">AT-2026-000123<' in row
    assert (
        f'href="/controls/{freeze["id"]}/renew"' in row and f'href="/controls/{freeze["id"]}/release"' in row
    )
    row = row_of(page.text, seal["id"])
    assert "轮候第 2 位" in row and "BDC-CF-2026-0117" in row and "不动产" in row
    assert "/renew" not in row and f'href="/controls/{seal["id"]}/release"' in row

    only_waiting = visitor.get("/controls?status=WAITLISTED").text
    assert f"control-{seal['id']}" in only_waiting and f"control-{freeze['id']}" not in only_waiting
    by_unit = visitor.get("/controls?unit=housing-fund").text
    assert f"control-{freeze['id']}" in by_unit and f"control-{seal['id']}" not in by_unit


@pytest.mark.parametrize(
    ("today", "cell"),
    [
        (date(2027, 11, 12), "15 天"),  # 15 days: plain
        (date(2027, 11, 13), '<span class="late">14 天</span>'),  # under 15: red
        (date(2027, 11, 21), '<strong class="late">6 天</strong>'),  # under 7: red and bold
        (date(2027, 11, 27), '<strong class="late">今日届满</strong>'),  # the end date itself
    ],
)
def test_days_left_turn_red_under_15_and_bold_under_7(visitor, token, monkeypatch, today, cell):
    freeze = frozen_control(visitor, token)
    monkeypatch.setattr(control_pages, "today_shanghai", lambda: today)
    sign_in(visitor, "officer")

    row = row_of(visitor.get("/controls").text, freeze["id"])

    assert re.search(r'<td class="days">(.*?)</td>', row, re.S).group(1) == cell


def test_ending_within_n_days_filters_by_the_end_date(visitor, token, monkeypatch):
    freeze = frozen_control(visitor, token)
    monkeypatch.setattr(control_pages, "today_shanghai", lambda: date(2027, 11, 1))
    sign_in(visitor, "officer")

    assert f"control-{freeze['id']}" in visitor.get("/controls?within=26").text  # ends 2027-11-27
    assert f"control-{freeze['id']}" not in visitor.get("/controls?within=25").text


def test_renewal_with_the_uploaded_ruling_creates_a_renew_request(visitor, token, hub):
    freeze = frozen_control(visitor, token)
    sign_in(visitor, "officer")

    form = visitor.get(f"/controls/{freeze['id']}/renew")

    assert form.status_code == 200
    assert "AT-2026-000123-R1" in form.text and "2027年11月28日至2028年11月27日" in form.text
    assert "ruling.pdf" in form.text and "notice.pdf" in form.text and HOUSING_FUND in form.text
    posted = visitor.post(
        f"/controls/{freeze['id']}/renew",
        data={"csrf": csrf_of(form.text), "remarks": "请协助续行冻结。"},
        files={"ruling": ("（2026）吉2426执123号之一.pdf", RENEWAL_RULING, "application/pdf")},
    )

    assert posted.status_code == 303, posted.text
    request_id = int(posted.headers["location"].removeprefix("/requests/"))
    renew = visitor.get(f"/api/v1/requests/{request_id}", headers=token("officer")).json()
    assert (renew["request_no"], renew["action"]) == ("AT-2026-000123-R1", "RENEW")
    assert [t["unit_code"] for t in renew["tasks"]] == ["housing-fund"]
    new_ruling = hashlib.sha256(RENEWAL_RULING).hexdigest()
    assert renew["files"] == [
        {"type": "RULING", "filename": "（2026）吉2426执123号之一.pdf", "sha256": new_ruling},
        {"type": "NOTICE", "filename": "notice.pdf", "sha256": NOTICE},
    ]
    assert hub.blobs.read(new_ruling) == RENEWAL_RULING
    document = hub.blobs.read(renew["document_sha256"]).decode()
    assert "<Remarks>请协助续行冻结。</Remarks>" in document and RULING not in document
    again = visitor.get(f"/controls/{freeze['id']}/renew")  # the renewal now waits for the unit
    assert again.status_code == 409 and "不能续行" in again.text


def test_renewal_without_the_ruling_is_shown_again_with_the_problem(visitor, token, stored):
    freeze = frozen_control(visitor, token)
    sign_in(visitor, "officer")
    form = visitor.get(f"/controls/{freeze['id']}/renew")
    before = stored()

    posted = visitor.post(
        f"/controls/{freeze['id']}/renew",
        data={"csrf": csrf_of(form.text), "remarks": "备注保留"},
        files={"notice": ("new-notice.pdf", b"%PDF notice", "application/pdf")},
    )

    assert posted.status_code == 422
    assert "请上传续行裁定书" in posted.text and "备注保留" in posted.text
    assert stored() == before


def test_release_of_a_waiting_control_creates_a_release_request(visitor, token):
    _, seal = waitlisted_seal(visitor, token)
    sign_in(visitor, "officer")
    form = visitor.get(f"/controls/{seal['id']}/release")
    assert form.status_code == 200
    assert "AT-2026-000102-X1" in form.text and "BDC-CF-2026-0117" in form.text

    posted = visitor.post(
        f"/controls/{seal['id']}/release",
        data={"csrf": csrf_of(form.text), "remarks": "被执行人已履行完毕，解除查封。"},
        files={
            "ruling": ("解除裁定书.pdf", b"%PDF release ruling", "application/pdf"),
            "notice": ("解除通知书.pdf", b"%PDF release notice", "application/pdf"),
        },
    )

    assert posted.status_code == 303, posted.text
    release = visitor.get(
        posted.headers["location"].replace("/requests/", "/api/v1/requests/"), headers=token("officer")
    )
    release = release.json()
    assert (release["request_no"], release["action"]) == ("AT-2026-000102-X1", "RELEASE")
    assert [t["unit_code"] for t in release["tasks"]] == ["real-estate"]
    assert [(f["type"], f["filename"]) for f in release["files"]] == [
        ("RULING", "解除裁定书.pdf"),
        ("NOTICE", "解除通知书.pdf"),
    ]
    released = edited(
        example("receipt-waitlisted.xml"),
        ("AT-2026-000102", "AT-2026-000102-X1"),
        ("RE-2026-0302", "RE-2026-0399"),
        ("<Outcome>WAITLISTED", "<Outcome>RELEASED"),
        ("<QueuePosition>2</QueuePosition>", ""),
    )
    post_receipt(visitor, token("staff-real-estate"), release, released)
    assert "已解除" in row_of(visitor.get("/controls").text, seal["id"])


def test_release_needs_both_files(visitor, token):
    freeze = frozen_control(visitor, token)
    sign_in(visitor, "officer")
    form = visitor.get(f"/controls/{freeze['id']}/release")

    posted = visitor.post(
        f"/controls/{freeze['id']}/release",
        data={"csrf": csrf_of(form.text)},
        files={"ruling": ("解除裁定书.pdf", b"%PDF release ruling", "application/pdf")},
    )

    assert posted.status_code == 422 and "请上传协助执行通知书" in posted.text


def test_the_debtor_page_shows_what_units_found_and_the_controls(visitor, token, other_officer):
    officer = token("officer")
    query = submit(visitor, officer, "request-query.xml")
    post_receipt(visitor, token("staff-real-estate"), query, example("receipt-found.xml"), unit="real-estate")
    _, seal = waitlisted_seal(visitor, token)
    theirs = edit(
        "request-query.xml",
        ("AT-2026-000101", "YJ-2026-000009"),
        ('<Court code="J2426">安图县人民法院</Court>', '<Court code="J2401">延吉市人民法院</Court>'),
        ("（2026）吉2426执156号", "（2026）吉2401执9号"),
    )
    response = visitor.post("/api/v1/requests", files=multipart(theirs, "notice.pdf"), headers=other_officer)
    assert response.status_code == 201, response.text
    sign_in(visitor, "officer")

    found = visitor.get("/debtors?q=赵六")
    assert found.status_code == 200 and f'href="/debtors/{ZHAO_LIU}"' in found.text
    assert f'href="/debtors/{ZHAO_LIU}"' in visitor.get(f"/debtors?q={ZHAO_LIU.lower()}").text
    page = visitor.get(f"/debtors/{ZHAO_LIU.lower()}")

    assert page.status_code == 200
    text = page.text
    assert f'href="/requests/{query["id"]}">AT-2026-000101<' in text
    assert "安图县不动产登记中心" in text and "222426001001GB00012F00010023" in text
    assert "人民币286,000.00元" in text and "已抵押" in text and "赵六（1/1）" in text and "已查到" in text
    assert "<th>抵押、查封等</th>" in text
    assert "抵押 · 抵押权人 中国工商银行股份有限公司安图支行 · 被担保债权 人民币200,000.00元" in text
    assert (
        "查封 · 延吉市人民法院 · 登记号 BDC-CF-2025-0031 · (2025)吉2401执123号 · 2025年1月2日至2028年1月1日"
        in text
    )
    row = row_of(text, seal["id"])
    assert "BDC-CF-2026-0117" in row and "轮候" in row
    assert (
        "YJ-2026-000009" not in text and "（2026）吉2401执9号" not in text
    )  # the other court's query is not shown


def test_a_debtor_only_another_court_asked_about_shows_nothing(visitor, other_officer):
    theirs = edit(
        "request-query.xml",
        ('<Court code="J2426">安图县人民法院</Court>', '<Court code="J2401">延吉市人民法院</Court>'),
    )
    response = visitor.post("/api/v1/requests", files=multipart(theirs, "notice.pdf"), headers=other_officer)
    assert response.status_code == 201, response.text
    sign_in(visitor, "officer")

    page = visitor.get(f"/debtors/{ZHAO_LIU}")

    assert page.status_code == 404 and "本院没有涉及" in page.text and "AT-2026-000101" not in page.text
    search = visitor.get("/debtors?q=赵六").text
    assert "没有找到" in search and f'href="/debtors/{ZHAO_LIU}"' not in search


def test_another_courts_control_is_a_404_page(visitor, token, other_officer):
    control = their_freeze(visitor, token, other_officer)
    sign_in(visitor, "officer")

    for path in (
        f"/controls/{control['id']}",
        f"/controls/{control['id']}/renew",
        f"/controls/{control['id']}/release",
    ):
        page = visitor.get(path)
        assert page.status_code == 404 and "不属于本院" in page.text and "YJ-2026-000123" not in page.text
    assert f"control-{control['id']}" not in visitor.get("/controls").text
    assert visitor.get("/controls/999999").status_code == 404


def test_a_form_without_its_csrf_token_is_refused(visitor, token, stored):
    freeze = frozen_control(visitor, token)
    sign_in(visitor, "officer")
    before = stored()

    for action in ("renew", "release"):
        posted = visitor.post(
            f"/controls/{freeze['id']}/{action}",
            files={
                "ruling": ("ruling.pdf", b"%PDF forged ruling", "application/pdf"),
                "notice": ("notice-2.pdf", b"%PDF forged notice", "application/pdf"),
            },
        )
        assert posted.status_code == 403 and "表单已过期" in posted.text

    assert stored() == before


def test_unit_staff_get_403_and_the_supervisor_reads_without_acting(visitor, token):
    freeze = frozen_control(visitor, token)
    sign_in(visitor, "staff-housing-fund")
    for path in (
        "/controls",
        "/debtors",
        f"/debtors/{ZHAO_LIU}",
        f"/controls/{freeze['id']}",
        f"/controls/{freeze['id']}/renew",
    ):
        assert visitor.get(path).status_code == 403, path

    sign_in(visitor, "supervisor")
    page = visitor.get("/controls")
    assert page.status_code == 200 and f"control-{freeze['id']}" in page.text
    assert "/renew" not in page.text and "/release" not in page.text
    assert visitor.get(f"/controls/{freeze['id']}/renew").status_code == 403
    own = visitor.get(f"/controls/{freeze['id']}")
    assert own.status_code == 200 and "登记生效" in own.text
    assert "/renew" not in own.text and "/release" not in own.text
    assert visitor.get("/debtors/222426198503120413").status_code == 200


def test_pages_ask_for_sign_in_first(visitor):
    assert visitor.get("/controls").headers["location"] == "/login?next=/controls"


def test_a_flexible_seizure_shows_its_custodian_and_keeps_its_terms_in_the_renewal(visitor, token):
    seize = submit(visitor, token("officer"), "request-seize.xml")
    [control] = post_receipt(visitor, token("staff-vehicles"), seize, example("receipt-partial.xml"))[
        "controls"
    ]
    sign_in(visitor, "officer")

    row = row_of(visitor.get("/controls").text, control["id"])
    form = visitor.get(f"/controls/{control['id']}/renew").text

    assert "活扣：保管人孙七" in row and "继续用于货物运输经营，不得转让、抵押" in row
    assert "原措施为活扣：保管人孙七，准许使用：继续用于货物运输经营，不得转让、抵押" in form  # for the unit
