"""What the hub serves, in Chromium, under its content policies (issue 13).

A stored document that carries a script is saved, and never runs. A receipt whose ds:Object held an XHTML
script was once accepted and stored; served inline on the hub's origin, the script ran as whoever opened
it: the administrator, who opened the receipt from the request's page, issued the script an administrator
API token. The standard now refuses such a receipt at intake, but receipts stored before stay in the store:
this one is put there as they were.

And the pages work under their policy, which allows the hub's own scripts and styles and nothing inline:
no violation is reported, the styles apply, the scripts run, the notice shows in its frame.
"""

import re
import time
from pathlib import Path

import httpx
from browser_support import sign_in
from conftest import example, listed_files, multipart, token_issuer
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import func, select, update

from hub.db import unit_of_work
from hub.models import ApiToken, Receipt, User

RECEIPT = "receipt-controlled.xml"
# What an attacker's script does with the administrator's session: mark that it ran, then fetch the
# users page for its form token and issue itself a token for the administrator's account.
SCRIPT = """
document.cookie = "stored-script=ran; path=/";
console.log("stored-script-ran");
fetch("/admin/users").then(function (answer) { return answer.text(); }).then(function (page) {
  var csrf = /name="csrf" value="([^"]+)"/.exec(page)[1];
  var form = new URLSearchParams({csrf: csrf, label: "stored-script"});
  return fetch("/admin/users/ADMIN_ID/tokens", {method: "POST", body: form});
}).then(function () { console.log("stored-script-issued-a-token"); });
alert("stored-script");
"""


def with_script(document: bytes, script: str) -> bytes:
    """`document` with a ds:Object holding an XHTML script before the root element's end tag."""
    carrier = (
        '<ds:Object xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        f'<h:script xmlns:h="http://www.w3.org/1999/xhtml"><![CDATA[{script}]]></h:script></ds:Object>\n'
    )
    end = document.rindex(b"</")
    return document[:end] + carrier.encode() + document[end:]


def send(api: httpx.Client, path: str, document: bytes, headers: dict[str, str]) -> dict:
    """POST a document with the files it lists through the live hub's API; it must be accepted."""
    answer = api.post(path, files=multipart(document, *listed_files(document)), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def freeze_answered(base: str, issue) -> tuple[dict, dict]:
    """request-freeze.xml, answered by the housing fund with receipt-controlled.xml: (request, receipt)."""
    with httpx.Client(base_url=base, timeout=30) as api:
        sent = send(api, "/api/v1/requests", example("request-freeze.xml"), issue("officer"))
        [task] = sent["tasks"]
        answered = send(
            api, f"/api/v1/tasks/{task['id']}/receipts", example(RECEIPT), issue("staff-housing-fund")
        )
    return sent, answered


def test_a_script_stored_in_a_receipt_never_runs_for_the_administrator(live_hub, hub, browser):
    sent, answered = freeze_answered(live_hub, token_issuer(hub))
    receipt_id, receipt_no = answered["receipt_id"], answered["receipt_no"]
    answer = example(RECEIPT)

    with unit_of_work(hub.sessions) as session:
        admin_id = session.execute(select(User.id).where(User.username == "admin")).scalar_one()
        hostile = with_script(answer, SCRIPT.replace("ADMIN_ID", str(admin_id)))
        stored = hub.blobs.put(
            session, hostile
        )  # the receipt as it was stored before the standard refused it
        session.execute(update(Receipt).where(Receipt.id == receipt_id).values(document_sha256=stored))

    def admin_tokens() -> int:
        with hub.engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(ApiToken).where(ApiToken.user_id == admin_id)
            ).scalar_one()

    before = admin_tokens()
    page = browser.new_page()
    page.set_default_timeout(10_000)
    heard: list[str] = []
    page.on("console", lambda message: heard.append(message.text))
    page.on("dialog", lambda dialog: (heard.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_hub, "admin")
    page.goto(f"{live_hub}/requests/{sent['id']}")
    try:
        with page.expect_download(timeout=5_000) as arrival:
            page.get_by_role("link", name="回执 XML").click()
        download = arrival.value
    except PlaywrightTimeout:
        download = None  # the browser showed it instead

    deadline = time.monotonic() + 2  # the script's calls take milliseconds on loopback
    while admin_tokens() == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert admin_tokens() == before, "the stored script issued an administrator token"
    assert not [m for m in heard if "stored-script" in m], heard
    assert not [c for c in browser.cookies() if c["name"] == "stored-script"]
    assert download is not None, "the receipt XML was shown in the browser, not saved"
    assert download.suggested_filename == f"{receipt_no}.xml"
    assert Path(download.path()).read_bytes() == hostile  # saved byte for byte as stored


# Each violation of a page's policy, in any of its frames, as the browser reports it to the page.
LISTEN = """
window.violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.violations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + location.pathname);
});
"""


def violations(page: Page) -> list[str]:
    return [v for frame in page.frames for v in (frame.evaluate("window.violations || []"))]


def test_every_page_works_under_its_policy_with_nothing_refused(live_hub, hub, chromium):
    issue = token_issuer(hub)
    sent, _ = freeze_answered(live_hub, issue)
    with httpx.Client(base_url=live_hub, timeout=30) as api:  # an open task, with its receipt form
        query = send(api, "/api/v1/requests", example("request-query.xml"), issue("officer"))
    [open_task] = [t["id"] for t in query["tasks"] if t["unit_code"] == "real-estate"]
    visits = {
        None: ["/login"],
        "officer": [
            "/requests/new",
            f"/requests/{sent['id']}",
            f"/requests/{sent['id']}/notice",
            "/controls",
            "/requests/999999",
        ],
        "staff-real-estate": ["/inbox", f"/tasks/{open_task}"],
        "supervisor": ["/supervision"],
        "admin": ["/admin", "/admin/users", "/admin/units", "/admin/deliveries"],
    }
    for username, paths in visits.items():
        context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(10_000)
        context.add_init_script(LISTEN)
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda m, refused=refused: "Content Security Policy" in m.text and refused.append(m.text),
        )
        if username:
            sign_in(page, live_hub, username)
        for path in paths:
            answer = page.goto(f"{live_hub}{path}")
            policy = answer.headers.get("content-security-policy", "")
            assert "default-src 'none'" in policy, f"{path}: {policy!r}"
            page.wait_for_load_state("load")
            shown(page, path)
            assert not violations(page) and not refused, f"{path}: {violations(page)} {refused}"
        context.close()


def shown(page: Page, path: str) -> None:
    """What shows that a page's own styles and scripts, and the notice's, took effect."""
    if path.endswith("/notice"):  # the notice's own <style>
        expect(page.locator("body")).to_contain_text("协助执行通知书")
        expect(page.locator("body")).to_have_css("background-color", "rgb(238, 238, 238)")
        return
    header = page.locator("header.top")  # hub.css
    expect(header).to_have_css("background-color", "rgb(155, 28, 28)")
    if path == "/requests/new":  # request-form.js
        expect(page.locator("#add-document")).to_be_visible()
        page.get_by_label("证件号码", exact=True).fill("22242619750830026")
        expect(page.locator("#id-check")).to_contain_text("已输入 17 位")
    if re.fullmatch(r"/tasks/\d+", path):  # the notice in its frame, and receipt-form.js
        frame = page.frame_locator("iframe.notice-frame")
        expect(frame.locator("body")).to_contain_text("协助查询通知书")
        expect(frame.locator("body")).to_have_css("background-color", "rgb(238, 238, 238)")
        expect(page.locator("iframe.notice-frame")).to_have_css("height", re.compile(r"[1-9]\d+px"))
        expect(page.locator("[data-add-asset]")).to_be_visible()
    if path == "/supervision":
        expect(page.locator("svg.chart").first).to_be_visible()
    if path == "/requests/999999":  # back.js
        expect(page.get_by_role("button", name="返回上一页")).to_be_visible()
    if path == "/admin":
        expect(page.locator("a.figure b").first).to_have_css("font-size", "20px")
