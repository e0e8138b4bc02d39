"""补录控制措施 through the browser's eyes: the officer (or an administrator, for a court he chooses) uploads a CSV
file, reads what it will import or every problem by row and column in Chinese, confirms, and then renews and
releases an imported control on its page with the ruling and notice uploaded."""

import hashlib
import re

from conftest import csrf_of, second_court_officer, sign_in
from imports_support import BL, REGISTRATION, WANG_WU, csv_of, imported, row, seal_row
from sqlalchemy import update

from hub.auth.seed import DEMO_PASSWORD
from hub.auth.service import hash_password
from hub.controls.import_file import MAX_IMPORT_BYTES
from hub.db import unit_of_work
from hub.models import User

RULING = b"%PDF-1.4 renewal ruling"
NOTICE = b"%PDF-1.4 notice"


def upload(visitor, csrf: str, data: bytes, **fields: str):
    return visitor.post(
        "/controls/import",
        data={"csrf": csrf, **fields},
        files={"file": ("补录.csv", data, "text/csv")},
    )


def confirm(visitor, preview: str):
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', preview))
    return visitor.post("/controls/import/confirm", data=fields)


def test_the_controls_list_leads_to_the_import_and_its_template(visitor):
    sign_in(visitor, "officer")

    assert 'href="/controls/import"' in visitor.get("/controls").text
    form = visitor.get("/controls/import")
    template = visitor.get("/controls/import/template.csv")

    assert form.status_code == 200 and "补录控制措施" in form.text and "裁定书文号" in form.text
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    assert template.content.decode("utf-8-sig").splitlines() == [
        "协助单位,措施,财产类别,财产标识,财产描述,登记编号,起始日,届满日,金额,案号,被执行人,主体类型,证件类型,证件号码,裁定书文号,承办法官"
    ]


def test_a_file_is_checked_shown_and_imported_only_when_confirmed(visitor, token):
    csrf = sign_in(visitor, "officer")
    data = csv_of(row(subject_name="王五<b>"), seal_row(), encoding="gbk")

    preview = upload(visitor, csrf, data)

    assert preview.status_code == 200, preview.text
    assert "检查通过" in preview.text and "确认导入 2 项" in preview.text
    assert "王五&lt;b&gt;" in preview.text and "王五<b>" not in preview.text
    assert REGISTRATION in preview.text and "延边州住房公积金管理中心安图县管理部" in preview.text
    assert visitor.get("/api/v1/controls", headers=token("officer")).json()["items"] == []

    done = confirm(visitor, preview.text)

    assert done.status_code == 200, done.text
    listed = visitor.get("/api/v1/controls", headers=token("officer")).json()["items"]
    assert [(c["registration_no"], c["status"]) for c in listed] == [
        (REGISTRATION, "ACTIVE"),
        ("BDC-CF-2025-0099", "ACTIVE"),
    ]
    assert "已补录 2 项控制措施" in done.text
    assert all(f'href="/controls/{c["id"]}"' in done.text for c in listed)

    again = upload(visitor, csrf, data)
    assert "2 行已在平台中" in again.text and "确认导入" not in again.text
    assert f'已是<a href="/controls/{listed[0]["id"]}">' in again.text
    # the officer's requests mark the import's records as such, and the API says where they came from
    assert visitor.get("/requests").text.count(">补录</span>") == 2
    record = visitor.get(f"/api/v1/requests/{listed[0]['request_id']}", headers=token("officer")).json()
    assert record["origin"] == "imported"
    assert "补录记录：未经平台发送" in visitor.get(f"/requests/{record['id']}").text


def test_a_file_with_problems_is_listed_in_chinese_by_row_and_column_and_nothing_is_kept(visitor, stored):
    csrf = sign_in(visitor, "officer")
    data = csv_of(
        row(),
        row(registration_no="R3", id_number="222426197906050030"),
        row(registration_no="R4", end="2099-01-01"),
        row(registration_no="R5", asset_id="@SUM(A1)"),
    )
    before = stored()

    refused = upload(visitor, csrf, data)

    assert refused.status_code == 422
    items = re.findall(r"<li>(.*?)</li>", refused.text)
    assert items == [
        "第 3 行“证件号码”：身份证号码校验位不正确：末位是 0，按前 17 位应为 X，请核对。",
        f"第 4 行“届满日”：住房公积金账户的控制期限最长 1 年：自{_cn(row()['起始日'])}起，"
        f"届满日最晚为{_cn(row()['届满日'])}，不能是2099年1月1日。",
        "第 5 行“财产标识”：“财产标识”以“@”开头，会被电子表格当作公式，请填写内容本身。",
    ]
    assert "确认导入" not in refused.text
    assert stored() == before


def _cn(iso: str) -> str:
    year, month, day = (int(part) for part in iso.split("-"))
    return f"{year}年{month}月{day}日"


def test_forms_without_the_sessions_token_are_refused(visitor):
    sign_in(visitor, "officer")

    assert upload(visitor, "forged", csv_of(row())).status_code == 403
    assert visitor.post("/controls/import/confirm", data={"sha256": "0" * 64}).status_code == 403


def test_a_file_past_the_limit_is_refused_as_it_is_read(visitor, stored):
    csrf = sign_in(visitor, "officer")
    before = stored()

    refused = upload(visitor, csrf, b"x" * (MAX_IMPORT_BYTES + 1))

    assert refused.status_code == 413 and "2 MB" in refused.text
    assert stored() == before


def test_the_administrator_chooses_the_court_and_its_officer(visitor, token, hub):
    second_court_officer(hub)
    csrf = sign_in(visitor, "admin")
    form = visitor.get("/controls/import")
    assert 'name="court"' in form.text and 'value="officer-j2401"' in form.text

    wrong = upload(visitor, csrf, csv_of(row()), court="J2426", officer="officer-j2401")
    assert wrong.status_code == 422 and "所选承办法官不是该法院在职的执行法官" in wrong.text
    preview = upload(visitor, csrf, csv_of(row()), court="J2426", officer="officer")
    assert preview.status_code == 200, preview.text
    done = confirm(visitor, preview.text)

    assert done.status_code == 200, done.text
    [control] = visitor.get("/api/v1/controls", headers=token("officer")).json()["items"]
    request = visitor.get(f"/api/v1/requests/{control['request_id']}", headers=token("officer")).json()
    assert request["request_no"] == BL  # the court's own, its officer told when it ends


def test_a_confirmation_names_only_a_file_checked_for_the_court(visitor, hub):
    second_court_officer(hub)
    csrf = sign_in(visitor, "officer")
    preview = upload(visitor, csrf, csv_of(row()))
    digest = hashlib.sha256(csv_of(row())).hexdigest()
    assert f'value="{digest}"' in preview.text

    with unit_of_work(hub.sessions) as session:
        session.execute(
            update(User)
            .where(User.username == "officer-j2401")
            .values(password_hash=hash_password(DEMO_PASSWORD))
        )
    their_csrf = sign_in(visitor, "officer-j2401")
    theirs = visitor.post(
        "/controls/import/confirm", data={"csrf": their_csrf, "sha256": digest, "filename": "补录.csv"}
    )

    assert theirs.status_code == 422 and "找不到已检查的文件" in theirs.text


def test_an_imported_control_is_renewed_on_its_page_with_the_ruling_and_the_notice(visitor, token, hub):
    [control] = imported(hub, csv_of(row())).controls
    sign_in(visitor, "officer")
    form = visitor.get(f"/controls/{control.id}/renew")
    assert form.status_code == 200
    assert "必传：补录的措施在平台中没有原通知书" in form.text and f"{BL}-R1" in form.text

    only_ruling = visitor.post(
        f"/controls/{control.id}/renew",
        data={"csrf": csrf_of(form.text)},
        files={"ruling": ("续行裁定书.pdf", RULING, "application/pdf")},
    )
    assert only_ruling.status_code == 422 and "请上传协助执行通知书" in only_ruling.text

    posted = visitor.post(
        f"/controls/{control.id}/renew",
        data={"csrf": csrf_of(form.text)},
        files={
            "ruling": ("续行裁定书.pdf", RULING, "application/pdf"),
            "notice": ("协助执行通知书.pdf", NOTICE, "application/pdf"),
        },
    )

    assert posted.status_code == 303, posted.text
    request_id = int(posted.headers["location"].removeprefix("/requests/"))
    renew = visitor.get(f"/api/v1/requests/{request_id}", headers=token("officer")).json()
    assert (renew["request_no"], renew["action"]) == (f"{BL}-R1", "RENEW")
    assert [(f["type"], f["sha256"]) for f in renew["files"]] == [
        ("RULING", hashlib.sha256(RULING).hexdigest()),
        ("NOTICE", hashlib.sha256(NOTICE).hexdigest()),
    ]
    document = hub.blobs.read(renew["document_sha256"]).decode()
    assert f'<Original requestNo="{BL}" registrationNo="{REGISTRATION}"/>' in document
    assert WANG_WU in document and "补录记录" not in document


def test_an_imported_control_is_released_on_its_page(visitor, token, hub):
    [control] = imported(hub, csv_of(seal_row())).controls
    sign_in(visitor, "officer")
    form = visitor.get(f"/controls/{control.id}/release")
    assert form.status_code == 200

    posted = visitor.post(
        f"/controls/{control.id}/release",
        data={"csrf": csrf_of(form.text)},
        files={
            "ruling": ("解除裁定书.pdf", RULING, "application/pdf"),
            "notice": ("协助执行通知书.pdf", NOTICE, "application/pdf"),
        },
    )

    assert posted.status_code == 303, posted.text
    request_id = int(posted.headers["location"].removeprefix("/requests/"))
    release = visitor.get(f"/api/v1/requests/{request_id}", headers=token("officer")).json()
    assert release["action"] == "RELEASE" and [t["unit_code"] for t in release["tasks"]] == ["real-estate"]
