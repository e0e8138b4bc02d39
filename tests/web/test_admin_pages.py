"""The administrator's pages: units and channels, users and tokens, the calendar, deliveries, alerts."""

import re
from datetime import datetime

import lxml.html
import pytest
from conftest import csrf_of, post_login, sign_in, submit
from sqlalchemy import select, update

from hub.alerts.service import run_job
from hub.calendar.service import load_calendar
from hub.calendar.workdays import SHANGHAI
from hub.db import unit_of_work
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.directory.service import sync_directory
from hub.keys import self_signed
from hub.models import AuditEvent, Task
from hub.standard.notice import chinese_instant
from hub.standard.signatures import fingerprint

PAGES = ("/admin", "/admin/units", "/admin/users", "/admin/calendar", "/admin/deliveries", "/admin/alerts")
EXAMPLE_NOTICE = BUNDLED_DIRECTORY.parents[2] / "docs" / "calendar-2027.example.toml"
PUSH = {"kind": "http-push", "token_env": "HUB_TEST_PUSH_SECRET", "timeout_s": 2}
SECRET = "s3cret-for-tests"


@pytest.fixture
def visitor(visitor, monkeypatch):
    """conftest's visitor, with the secret of the push channels the tests configure."""
    monkeypatch.setenv("HUB_TEST_PUSH_SECRET", SECRET)
    return visitor


def row(html: str, attribute: str, value: str) -> lxml.html.HtmlElement:
    [found] = lxml.html.fromstring(html).xpath(f'//tr[@{attribute}="{value}"]')
    return found


def text(element) -> str:
    """The element's text, its pieces (cells, lines, fields) one space apart."""
    return " ".join(" ".join(piece.split()) for piece in element.itertext() if piece.strip())


def audit_kinds(hub) -> list[str]:
    with unit_of_work(hub.sessions) as session:
        return list(session.execute(select(AuditEvent.kind).order_by(AuditEvent.seq)).scalars())


def test_only_administrators_get_the_admin_pages(visitor):
    for username in ("officer", "supervisor", "staff-vehicles"):
        csrf = sign_in(visitor, username)
        for path in PAGES:
            refused = visitor.get(path)
            assert refused.status_code == 403, (username, path)
            assert "此页面仅供系统管理员使用" in refused.text
        for path in ("/admin/users/1/unlock", "/admin/tokens/1/revoke", "/admin/deliveries/1/serve-again"):
            assert visitor.post(path, data={"csrf": csrf}).status_code == 403
    visitor.cookies.clear()
    assert visitor.get("/admin/users").headers["location"] == "/login?next=/admin/users"


def test_the_overview_links_every_page(visitor):
    sign_in(visitor, "admin")
    overview = visitor.get("/admin")
    assert overview.status_code == 200 and "系统管理" in overview.text
    for path in (*PAGES[1:], "/supervision"):
        assert f'href="{path}"' in overview.text
        assert visitor.get(path).status_code == 200, path


def test_units_show_their_channels_and_contacts_but_no_secret(visitor, hub):
    push = {**PUSH, "url": "http://127.0.0.1:9/tasks?key=abc"}  # a user and password: refused by the loader
    directory = load_directory(BUNDLED_DIRECTORY)
    units = [  # real-estate pushed to, with fallbacks; cppcc left the directory file
        type(u).model_validate({**u.model_dump(), "channel": push, "fallback": ["email", "inbox"]})
        if u.code == "real-estate"
        else u
        for u in directory.units
        if u.code != "cppcc"
    ]
    with unit_of_work(hub.sessions) as session:
        sync_directory(session, directory=directory.model_copy(update={"units": units}))
    sign_in(visitor, "admin")
    page = visitor.get("/admin/units").text

    real_estate = text(row(page, "data-unit", "real-estate"))
    assert "安图县不动产登记中心" in real_estate and "不动产" in real_estate
    assert "查询 3 个工作日" in real_estate and "查封 1 个工作日" in real_estate
    assert "接口推送 地址： http://127.0.0.1:9/tasks?key=***" in real_estate
    assert "令牌环境变量： HUB_TEST_PUSH_SECRET" in real_estate
    assert "电子邮件（备用） 收件人： real-estate.staff@example.org" in real_estate
    assert "平台待办箱（备用）" in real_estate and "在用" in real_estate
    assert "负责人：real-estate.supervisor@example.org" in real_estate
    for secret in (SECRET, "robot", "pw@", "abc"):
        assert secret not in page
    assert "查询 5 个工作日" in text(row(page, "data-unit", "forestry"))
    assert "已停用" in text(row(page, "data-unit", "cppcc"))


def test_an_issued_token_is_shown_once_works_on_the_api_and_stops_when_revoked(visitor, hub):
    sign_in(visitor, "admin")
    users = visitor.get("/admin/users").text
    officer = row(users, "data-user", "officer")
    assert "张三" in text(officer) and "执行法官" in text(officer) and "安图县人民法院" in text(officer)
    [action] = officer.xpath('.//form[@class="issue"]/@action')

    refused = visitor.post(action, data={"label": "对接测试"})
    assert refused.status_code == 403 and "表单已过期" in refused.text
    issued = visitor.post(action, data={"csrf": csrf_of(users), "label": "对接测试"})
    assert issued.status_code == 200 and "此令牌只显示这一次" in issued.text
    assert issued.headers["cache-control"] == "no-store"
    token = re.search(r'<code class="token">(hub_[^<]+)</code>', issued.text).group(1)
    bearer = {"Authorization": f"Bearer {token}"}
    assert visitor.get("/api/v1/units", headers=bearer).status_code == 200
    assert token not in visitor.get("/admin/users").text  # shown once

    listed = visitor.get("/admin/users").text
    [token_row] = row(listed, "data-user", "officer").xpath('.//div[contains(., "对接测试")]')
    assert "签发于" in text(token_row) and "撤销" in text(token_row)
    revoke = f"/admin/tokens/{token_row.get('data-token')}/revoke"
    done = visitor.post(revoke, data={"csrf": csrf_of(listed)})
    assert done.status_code == 303 and done.headers["location"] == "/admin/users?done=revoked"
    assert "令牌已撤销" in visitor.get(done.headers["location"]).text
    assert visitor.get("/api/v1/units", headers=bearer).status_code == 401
    assert "已于" in text(row(visitor.get("/admin/users").text, "data-user", "officer"))
    again = visitor.post(revoke, data={"csrf": csrf_of(listed)})
    assert again.status_code == 409 and "该令牌已被撤销" in again.text
    assert {"token.issued", "token.revoked"} <= set(audit_kinds(hub))


def test_a_locked_account_is_unlocked(visitor, hub):
    for _ in range(hub.settings.login_max_failures):
        post_login(visitor, "officer", "guess")
    assert post_login(visitor, "officer").status_code == 401  # locked from this address
    sign_in(visitor, "admin")
    users = visitor.get("/admin/users").text
    officer = row(users, "data-user", "officer")
    assert "已锁定" in text(officer) and "解除锁定" in text(officer)
    [action] = officer.xpath(".//form/@action[contains(., 'unlock')]")

    done = visitor.post(action, data={"csrf": csrf_of(users)})
    assert done.status_code == 303 and done.headers["location"] == "/admin/users?done=unlocked"
    assert "已锁定" not in text(row(visitor.get("/admin/users").text, "data-user", "officer"))
    again = visitor.post(action, data={"csrf": csrf_of(users)})
    assert again.status_code == 409 and "该账号当前未被锁定" in again.text
    assert post_login(visitor, "officer").status_code == 303
    assert "user.unlocked" in audit_kinds(hub)


def test_the_calendar_of_a_year_and_where_it_comes_from(visitor):
    sign_in(visitor, "admin")
    official = visitor.get("/admin/calendar?year=2026").text
    assert "官方日历（平台内置数据）" in official
    days = [text(r) for r in lxml.html.fromstring(official).xpath('//table[@id="days"]/tbody/tr')]
    assert "2026年2月14日 星期六 上班 春节调休上班 内置数据" in days
    assert "2026年2月16日 星期一 休息 春节 内置数据" in days
    assert "2026年10月10日 星期六 上班 国庆节调休上班 内置数据" in days
    by_rule = visitor.get("/admin/calendar?year=2027").text
    assert "暂无官方数据，按规则推算" in by_rule and "按规则推算" in by_rule
    assert visitor.get("/admin/calendar").text.count("工作日历 · 2026年") == 1  # this year by default
    bad = visitor.get("/admin/calendar?year=27")
    assert bad.status_code == 422 and "例如 2027" in bad.text


def test_a_notice_uploaded_through_the_form_moves_the_due_dates(visitor, client, token, hub):
    request = submit(client, token("officer"), "request-query.xml")
    task_id = next(t["id"] for t in request["tasks"] if t["unit_code"] == "real-estate")
    served = datetime(2027, 2, 4, 10, tzinfo=SHANGHAI)  # a Thursday before the Spring Festival
    with unit_of_work(hub.sessions) as session:
        by_rule = load_calendar(session).due(served, 3)
        assert by_rule.provisional
        session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(served_at=served, due_at=by_rule.at, due_provisional=True)
        )
    sign_in(visitor, "admin")
    form = visitor.get("/admin/calendar").text

    def upload(content: bytes, name: str = "calendar-2027.toml", **data):
        return visitor.post(
            "/admin/calendar", data=data, files={"notice": (name, content, "application/toml")}
        )

    assert upload(EXAMPLE_NOTICE.read_bytes()).status_code == 403  # no CSRF token
    imported = upload(EXAMPLE_NOTICE.read_bytes(), csrf=csrf_of(form))
    assert imported.status_code == 200, imported.text
    assert "已导入2027年日历" in imported.text and "工作日历 · 2027年" in imported.text
    assert "官方日历（已导入）" in imported.text
    moved = text(row(imported.text, "data-task", str(task_id)))
    # Served Thu 4 Feb: off 5-13 Feb, the Sunday 14 Feb works: 14, 15, 16 February.
    assert (
        moved
        == f"#{task_id} AT-2026-000101 安图县不动产登记中心 {chinese_instant(by_rule.at)} 2027年2月16日 23:59"
    )
    with unit_of_work(hub.sessions) as session:
        task = session.get(Task, task_id)
        assert task.due_at == datetime(2027, 2, 16, 23, 59, 59, tzinfo=SHANGHAI) and not task.due_provisional

    same = upload(EXAMPLE_NOTICE.read_bytes(), csrf=csrf_of(form))
    assert "此前已经导入，本次没有任何改动" in same.text
    wrong = EXAMPLE_NOTICE.read_bytes().replace(b"day = 2027-02-14", b"day = 2027-02-15")
    refused = upload(wrong, "bad notice.toml", csrf=csrf_of(form))
    assert refused.status_code == 422 and "通知文件未能导入" in refused.text
    assert "bad_notice.toml: working day 2027-02-15" in refused.text and "/tmp" not in refused.text


def test_a_failed_delivery_is_served_again_from_the_queue(visitor, client, token, switch, dead_url, worker):
    switch("real-estate", {**PUSH, "url": dead_url})
    request = submit(client, token("officer"), "request-query.xml")
    task_id = next(t["id"] for t in request["tasks"] if t["unit_code"] == "real-estate")
    worker.run_deliveries()
    sign_in(visitor, "admin")
    queue = visitor.get("/admin/deliveries").text
    failed = lxml.html.fromstring(queue).xpath('//table[@id="deliveries-failed"]/tbody/tr')
    [push] = [r for r in failed if f"#{task_id}" in text(r)]
    assert "安图县不动产登记中心" in text(push) and "接口推送" in text(push) and "ConnectError" in text(push)
    assert text(push).split()[5] == "2"  # attempts
    [action] = push.xpath(".//form/@action")

    assert visitor.post(action).status_code == 403
    again = visitor.post(action, data={"csrf": csrf_of(queue)})
    assert again.status_code == 303 and again.headers["location"] == "/admin/deliveries?done=again"
    after = visitor.get(again.headers["location"]).text
    assert "已重新排入送达队列" in after
    [waiting] = lxml.html.fromstring(after).xpath('//table[@id="deliveries-waiting"]/tbody/tr')
    assert f"#{task_id}" in text(waiting) and "由 user:admin 发起" in text(waiting)
    twice = visitor.post(action, data={"csrf": csrf_of(queue)})
    assert twice.status_code == 409 and "已有等待或正在进行的送达" in twice.text


def test_the_alerts_sent_are_listed(visitor, client, token, hub, smtp):
    hub.settings.smtp_host, hub.settings.smtp_port = smtp.host, smtp.port
    request = submit(client, token("officer"), "request-query.xml")
    task_id = next(t["id"] for t in request["tasks"] if t["unit_code"] == "vehicles")
    with unit_of_work(hub.sessions) as session:  # only this task is overdue on 3 December
        session.execute(update(Task).values(due_at=datetime(2030, 1, 2, 23, 59, 59, tzinfo=SHANGHAI)))
        session.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(
                served_at=datetime(2026, 12, 1, 10, tzinfo=SHANGHAI),
                due_at=datetime(2026, 12, 2, 23, 59, 59, tzinfo=SHANGHAI),
            )
        )
    assert run_job(hub, "overdue", at=datetime(2026, 12, 3, 9, tzinfo=SHANGHAI)).sent == 2
    sign_in(visitor, "admin")
    page = visitor.get("/admin/alerts").text
    rows = [text(r) for r in lxml.html.fromstring(page).xpath('//table[@id="alerts"]/tbody/tr')]
    assert len(rows) == 2 and "共 2 封" in page
    for recipient in ("vehicles.staff@example.org", "officer@example.org"):
        [sent] = [r for r in rows if recipient in r]
        assert "逾期" in sent and "逾期提醒：1 件" in sent and "已发送" in sent
        assert f"逾期 · 任务 #{task_id}" in sent
    assert len(lxml.html.fromstring(visitor.get("/admin/alerts?job=overdue").text).xpath("//tbody/tr")) == 2
    assert "还没有发送过提醒邮件" in visitor.get("/admin/alerts?job=digest").text


def test_units_and_courts_show_their_signing_certificates(visitor, hub):
    identity = self_signed("安图县不动产登记中心")
    directory = load_directory(BUNDLED_DIRECTORY)
    trusted = {"certificates": [identity.cert_pem.decode()], "require_signature": True}
    units = [u.model_copy(update=trusted) if u.code == "real-estate" else u for u in directory.units]
    courts = [c.model_copy(update={"certificates": trusted["certificates"]}) for c in directory.courts]
    with unit_of_work(hub.sessions) as session:
        sync_directory(session, directory=directory.model_copy(update={"units": units, "courts": courts}))
    sign_in(visitor, "admin")
    page = visitor.get("/admin/units").text

    real_estate = text(row(page, "data-unit", "real-estate"))
    assert "必须签名" in real_estate and "CN=安图县不动产登记中心" in real_estate
    assert fingerprint(identity.certificate)[:16] in real_estate
    assert "未登记证书" in text(row(page, "data-unit", "vehicles"))
    court = text(row(page, "data-court", "J2426"))
    assert "可签名" in court and "必须签名" not in court
