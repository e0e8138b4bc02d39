"""The whole flow in a real browser, as people click it: an officer's query and seal, two units' answers,
a waiting-list seal that takes effect, a unit kept out of another unit's task, and the supervisor's figures.

Every person signs in in a browser context of their own. With HUB_SCREENSHOTS=1 (`make screenshots`)
the main pages are kept as docs/screenshots/*.png for the README.
"""

import re
from datetime import date, timedelta
from urllib.parse import quote

from browser_support import screenshot, sign_in
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hub.clock import today_shanghai
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from schemas import EXAMPLE_FILES_DIR

NOTICE = EXAMPLE_FILES_DIR / "notice.pdf"
RULING = EXAMPLE_FILES_DIR / "ruling.pdf"
CASE_NO = "（2026）吉2426执318号"
DEBTOR = "王丽华"
UNIT_NO = "222426001001GB00012F00010023"
REAL_ESTATE = "安图县不动产登记中心"
CIVIL_AFFAIRS = "安图县民政局"
TIMEOUT_MS = 10_000  # a page that does not show what it should within 10 s will not


def resident_id(first17: str) -> str:
    """A resident ID number (GB 11643) with its check digit (ISO 7064 MOD 11-2)."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


ID_NUMBER = resident_id("22242619750830026")


def three_years_from(start: date) -> date:
    """The last day of a three-year period from `start` (DOMAIN.md: the day before the same date 3 years on)."""
    try:
        same = start.replace(year=start.year + 3)
    except ValueError:  # 29 February
        same = date(start.year + 3, 3, 1)
    return same - timedelta(days=1)


def person(chromium: Browser, base: str, username: str) -> tuple[BrowserContext, Page]:
    """A browser context of this person's own (own cookies), signed in."""
    context = chromium.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, base, username)
    expect(page.locator("header")).to_contain_text("退出")
    return context, page


def section(page: Page, heading: str):
    """The card under the heading `heading` (the pages' <section>s have no names of their own)."""
    return page.locator("section").filter(has=page.get_by_role("heading", name=heading, exact=True))


def open_task(page: Page, base: str, request_no: str) -> str:
    """From the unit's inbox, open the task of request `request_no`; its URL."""
    page.goto(f"{base}/inbox")
    row = page.get_by_role("row").filter(has_text=request_no)
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/tasks/\d+$"))
    return page.url


def test_query_answers_seal_waitlist_privacy_and_supervision(live_hub, chromium, browser):
    base = live_hub
    contexts: list[BrowserContext] = [browser]
    browser.set_default_timeout(TIMEOUT_MS)
    query_units = [u.name for u in load_directory(BUNDLED_DIRECTORY).units if "QUERY" in u.actions]
    try:
        # --- 1. The officer sends a query to all capable units, with the notice --------------------
        officer = browser.new_page()
        officer.goto(f"{base}/login")
        screenshot(officer, "login")
        sign_in(officer, base, "officer")
        officer.get_by_role("navigation").get_by_role("link", name="发起协助").click()
        expect(officer.get_by_role("heading", name="发起协助", level=1)).to_be_visible()
        officer.get_by_label("请求类型").select_option(label="查询")
        officer.get_by_label("案号").fill(CASE_NO)
        officer.get_by_label("姓名或名称", exact=True).fill(DEBTOR)
        officer.get_by_label("证件号码", exact=True).fill(ID_NUMBER)
        expect(officer.get_by_text("✓ 校验位正确")).to_be_visible()
        officer.get_by_label("全部有此职能的单位").check()
        officer.get_by_label("文件", exact=True).first.set_input_files(NOTICE)
        expect(officer.get_by_label("文书类型").first).to_have_value("NOTICE")
        screenshot(officer, "officer-new-request")
        officer.get_by_role("button", name="提交请求").click()
        officer.wait_for_url(re.compile(r"/requests/\d+$"))
        heading = officer.get_by_role("heading", level=1)
        expect(heading).to_contain_text("查询请求")
        query_no = re.search(r"请求 (\S+)", heading.inner_text())[1]
        expect(
            officer.get_by_role("heading", name=f"各单位办理情况（{len(query_units)} 个单位）")
        ).to_be_visible()
        # one row per unit, each with the notice addressed to that unit
        answers = officer.get_by_role("row").filter(has=officer.get_by_role("link", name="致该单位的通知书"))
        expect(answers).to_have_count(len(query_units))
        for name in (REAL_ESTATE, CIVIL_AFFAIRS):
            expect(answers.filter(has_text=name)).to_contain_text("尚未答复")
        expect(officer.get_by_role("link", name="通知书 notice.pdf")).to_be_visible()

        # --- 2. Two units answer, each in its own browser -------------------------------------------
        estate_context, estate = person(chromium, base, "staff-real-estate")
        contexts.append(estate_context)
        estate.get_by_role("navigation").get_by_role("link", name="待办任务").click()
        expect(estate.get_by_role("row").filter(has_text=query_no)).to_contain_text("查询")
        screenshot(estate, "unit-inbox")
        query_task_url = open_task(estate, base, query_no)
        expect(estate.get_by_role("heading", level=1)).to_contain_text("查询 · 任务")
        form = section(estate, "填写回执")
        form.get_by_label("已查到").check()
        asset = form.get_by_role("group", name="第 1 项财产")
        asset.get_by_label("类别").select_option(label="不动产")
        asset.get_by_label("财产标识").fill(UNIT_NO)
        asset.get_by_label("价值（元）").fill("286000.00")
        asset.get_by_label("状态").select_option(label="正常")
        asset.get_by_label("说明").fill("安图县明月镇长兴街 12 号 3 单元 201 室，住宅，89.6 平方米")
        asset.get_by_label("权利人").first.fill(DEBTOR)
        asset.get_by_label("份额").first.fill("1/1")
        form.get_by_label("经办人").fill("李明")
        form.get_by_label("联系电话").fill("0433-5552210")
        screenshot(estate, "unit-task-receipt-form")
        form.get_by_role("button", name="提交回执").click()
        estate.wait_for_load_state()
        expect(estate.get_by_role("status")).to_contain_text("已提交")
        expect(section(estate, "已提交的回执")).to_contain_text(UNIT_NO)

        civil_context, civil = person(chromium, base, "staff-civil-affairs")
        contexts.append(civil_context)
        open_task(civil, base, query_no)
        form = section(civil, "填写回执")
        form.get_by_label("未查到").check()
        form.get_by_role("combobox", name=re.compile(r"^原因")).select_option(label="查无此被执行人")
        form.get_by_label("原因说明").fill("本局婚姻登记系统中无该被执行人的登记记录。")
        form.get_by_label("经办人").fill("赵敏")
        form.get_by_role("button", name="提交回执").click()
        civil.wait_for_load_state()
        expect(civil.get_by_role("status")).to_contain_text("已提交")

        officer.reload()
        found = answers.filter(has_text=REAL_ESTATE)
        expect(found).to_contain_text("已查到")
        expect(found).to_contain_text(f"不动产 {UNIT_NO}")
        expect(found).to_contain_text("286,000.00")
        expect(found).to_contain_text(f"权利人{DEBTOR}")
        not_found = answers.filter(has_text=CIVIL_AFFAIRS)
        expect(not_found).to_contain_text("未查到")
        expect(not_found).to_contain_text("查无此被执行人")
        screenshot(officer, "officer-request-answers")

        # --- 3. A seal of the flat found: waitlisted, then in effect --------------------------------
        start = today_shanghai()
        end = three_years_from(start)
        officer.get_by_role("navigation").get_by_role("link", name="发起协助").click()
        officer.get_by_label("请求类型").select_option(label="查封")
        officer.get_by_label("案号").fill(CASE_NO)
        officer.get_by_label("姓名或名称", exact=True).fill(DEBTOR)
        officer.get_by_label("证件号码", exact=True).fill(ID_NUMBER)
        expect(officer.get_by_label("全部有此职能的单位")).to_be_hidden()
        officer.get_by_label(REAL_ESTATE).check()
        item = officer.get_by_role("group", name="第 1 项财产")
        item.get_by_label("财产类别").select_option(label="不动产")
        item.get_by_label("财产标识").fill(UNIT_NO)
        item.get_by_label("说明").fill("安图县明月镇长兴街 12 号 3 单元 201 室")
        item.get_by_label("期限起始日").fill(start.isoformat())
        item.get_by_label("期限届满日").fill(end.isoformat())
        kinds, files = officer.get_by_label("文书类型"), officer.get_by_label("文件", exact=True)
        kinds.nth(0).select_option(label="通知书")
        files.nth(0).set_input_files(NOTICE)
        kinds.nth(1).select_option(label="裁定书")
        files.nth(1).set_input_files(RULING)
        officer.get_by_role("button", name="提交请求").click()
        officer.wait_for_url(re.compile(r"/requests/\d+$"))
        heading = officer.get_by_role("heading", level=1)
        expect(heading).to_contain_text("查封请求")
        seal_no = re.search(r"请求 (\S+)", heading.inner_text())[1]
        expect(officer.get_by_role("heading", name="各单位办理情况（1 个单位）")).to_be_visible()
        expect(officer.get_by_role("link", name="裁定书 ruling.pdf")).to_be_visible()

        seal_task_url = open_task(estate, base, seal_no)
        form = section(estate, "填写回执")
        form.get_by_label("轮候").check()
        form.get_by_label("第 1 项已办理").check()
        row = form.get_by_role("row").filter(has_text=UNIT_NO)
        row.get_by_role("textbox").first.fill("安不动产查字 2026-0417")
        row.get_by_placeholder("仅轮候时填写").fill("2")
        form.get_by_label("经办人").fill("李明")
        form.get_by_role("button", name="提交回执").click()
        estate.wait_for_load_state()
        expect(estate.get_by_role("status")).to_contain_text("已提交")
        controls = section(estate, "控制措施")
        expect(controls).to_contain_text("轮候")
        waitlisted = controls.get_by_role("row").filter(has_text=UNIT_NO)
        expect(waitlisted.get_by_role("cell").last).to_have_text("2")  # the queue position

        officer.get_by_role("navigation").get_by_role("link", name="控制措施").click()
        waiting = officer.get_by_role("row").filter(has_text=UNIT_NO)
        expect(waiting).to_contain_text("轮候第 2 位")

        # The seal ahead of it ends: the unit reports the waiting seal first in the queue, then taking effect.
        report = estate.locator("form").filter(has=estate.get_by_role("button", name="提交变化回执"))
        report.get_by_label("轮候顺位变化", exact=True).check()
        report.get_by_role("spinbutton", name="新的轮候顺位").fill("1")
        report.get_by_label("经办人").fill("李明")
        report.get_by_role("button", name="提交变化回执").click()
        estate.wait_for_load_state()
        expect(estate.get_by_role("status")).to_contain_text("已提交")
        expect(estate.get_by_text("当前轮候顺位：第 1 位")).to_be_visible()
        report.get_by_label("轮候已生效").check()
        report.get_by_label("生效后实际登记的起始日期").fill(start.isoformat())
        report.get_by_label("截止日期").fill(end.isoformat())
        report.get_by_label("经办人").fill("李明")
        report.get_by_role("button", name="提交变化回执").click()
        estate.wait_for_load_state()
        expect(estate.get_by_role("status")).to_contain_text("已提交")
        expect(section(estate, "控制措施")).to_contain_text("生效")

        officer.reload()
        active = officer.get_by_role("row").filter(has_text=UNIT_NO)
        expect(active).to_have_count(1)
        expect(active).to_contain_text("生效中")
        expect(active).to_contain_text("安不动产查字 2026-0417")
        expect(active).to_contain_text(
            f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
        )
        expect(active.get_by_role("cell").filter(has_text=re.compile(r"^\d+ 天$"))).to_have_text(
            f"{(end - start).days} 天"
        )
        expect(active.get_by_role("link", name="续行")).to_be_visible()
        screenshot(officer, "controls")

        active.get_by_role("link", name=seal_no).click()  # the seal's own page: the item and the answer
        officer.wait_for_url(re.compile(r"/requests/\d+$"))
        seal = officer.get_by_role("row").filter(has=officer.get_by_role("link", name="致该单位的通知书"))
        expect(seal).to_have_count(1)
        expect(seal).to_contain_text(REAL_ESTATE)
        expect(seal).to_contain_text("轮候")
        expect(seal).to_contain_text("已控制")  # the report that the waiting seal took effect
        expect(seal).to_contain_text("已办结")
        screenshot(officer, "officer-seal-request")

        officer.get_by_role("navigation").get_by_role("link", name="被执行人").click()
        officer.get_by_label("证件号码或姓名（名称）").fill(ID_NUMBER)
        officer.get_by_role("button", name="查找").click()
        officer.get_by_role("link", name=DEBTOR).click()
        officer.wait_for_url(f"{base}/debtors/{ID_NUMBER}")
        expect(officer.get_by_role("heading", name=DEBTOR, level=1)).to_be_visible()
        expect(officer.get_by_role("heading", name="本院请求（2 件）")).to_be_visible()
        expect(officer.get_by_role("heading", name=re.compile(REAL_ESTATE))).to_contain_text("已查到")
        expect(officer.get_by_text(UNIT_NO, exact=True).first).to_be_visible()
        screenshot(officer, "debtor")

        # --- 4. Another unit cannot open the real-estate task, its notice or its files by URL ---------
        for url in (f"{query_task_url}/notice", f"{query_task_url}/files/notice.pdf"):
            assert estate_context.request.get(url).status == 200, url  # there for its own unit
        vehicles_context, vehicles = person(chromium, base, "staff-vehicles")
        contexts.append(vehicles_context)
        for url in (
            query_task_url,
            f"{query_task_url}/notice",
            f"{query_task_url}/files/notice.pdf",
            seal_task_url,
            f"{seal_task_url}/files/{quote('ruling.pdf')}",
        ):
            response = vehicles.goto(url)
            assert response is not None and response.status == 404, url
            expect(vehicles.get_by_role("heading", name="无法完成")).to_be_visible()
            expect(vehicles.get_by_role("alert")).to_be_visible()
            assert DEBTOR not in vehicles.content() and UNIT_NO not in vehicles.content(), url

        # --- 5. The supervisor reads the month's figures ---------------------------------------------
        supervisor_context, supervisor = person(chromium, base, "supervisor")
        contexts.append(supervisor_context)
        supervisor.get_by_role("navigation").get_by_role("link", name="督办统计").click()
        expect(supervisor.get_by_role("heading", level=1)).to_contain_text("督办统计")
        totals = supervisor.get_by_role("region", name="合计")
        expect(totals).to_contain_text(f"收到任务{len(query_units) + 1}")
        expect(totals).to_contain_text("已答复3")  # two queries and the seal (WAITLISTED is an answer)
        estate_row = supervisor.get_by_role("row").filter(has_text=REAL_ESTATE)
        expect(estate_row).to_contain_text("已查到 1")
        civil_row = supervisor.get_by_role("row").filter(has_text=CIVIL_AFFAIRS)
        expect(civil_row).to_contain_text("未查到 1")
        screenshot(supervisor, "supervision")

        admin_context, admin = person(chromium, base, "admin")
        contexts.append(admin_context)
        admin.goto(f"{base}/admin/deliveries")
        expect(admin.get_by_role("heading", name="送达队列")).to_be_visible()
        expect(admin.get_by_role("row").filter(has_text=REAL_ESTATE).first).to_contain_text("已送达")
        screenshot(admin, "admin-deliveries")
    finally:
        for context in contexts[1:]:
            context.close()
