"""The supervisor's page: a month's figures per unit, the charts, six months of on-time rates, the CSV.

The scenario, court J2426, made through the API (query requests to real-estate, vehicles and
civil-affairs; receipts from the units' staff), then the instants set with UPDATEs; judged at
Tue 2026-03-24 10:00 (Shanghai):
  AT-2026-000201  real-estate served 03-02, answered 03-03 (1 working day, on time)
                  vehicles served 03-02, answered the same day (0, on time)
                  civil-affairs served 03-16, due 03-19, open: 3 working days overdue
  AT-2026-000202  real-estate served 03-04, answered INFO_MISMATCH 03-09 (3, on time, at the due day)
                  vehicles served 03-04, due 03-09, answered 03-11 (5, late)
                  civil-affairs served 03-05, objected 03-06 (1, on time)
  AT-2026-000203  February: real-estate late, vehicles and civil-affairs on time
So March: real-estate 2/2 on time (median 2), vehicles 1/2 (median 2.5), civil-affairs 1/1 (median 1)
and one overdue; the court 4/5 = 80 %; February 2/3 = 66.7 %; October to January nothing.
"""

import csv
import io
import re
from datetime import datetime

import lxml.etree
import lxml.html
import pytest
from conftest import edit, listed_files, multipart, sign_in
from sqlalchemy import update

import hub.web.supervision_pages as supervision_pages
from hub.calendar.workdays import SHANGHAI
from hub.db import unit_of_work
from hub.models import Task

AT = datetime(2026, 3, 24, 10, 0, tzinfo=SHANGHAI)
NAMES = {
    "civil-affairs": "安图县民政局",
    "real-estate": "安图县不动产登记中心",
    "vehicles": "安图县公安局交通管理大队车辆管理所",
}
NOT_FOUND, MISMATCH, OBJECTED = "receipt-not-found.xml", "receipt-info-mismatch.xml", "receipt-objected.xml"


def sh(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI)


def end_of(month: int, day: int) -> datetime:
    return sh(month, day, 23, 59, 59)


# request no -> unit -> (served, due, closed or None for open, receipt or None)
SCENARIO = {
    "AT-2026-000201": {
        "real-estate": (sh(3, 2), end_of(3, 5), sh(3, 3, 15), NOT_FOUND),
        "vehicles": (sh(3, 2), end_of(3, 5), sh(3, 2, 16), NOT_FOUND),
        "civil-affairs": (sh(3, 16), end_of(3, 19), None, None),
    },
    "AT-2026-000202": {
        "real-estate": (sh(3, 4), end_of(3, 9), sh(3, 9, 16), MISMATCH),
        "vehicles": (sh(3, 4), end_of(3, 9), sh(3, 11, 9), NOT_FOUND),
        "civil-affairs": (sh(3, 5), end_of(3, 10), sh(3, 6), OBJECTED),
    },
    "AT-2026-000203": {
        "real-estate": (sh(2, 2), end_of(2, 5), sh(2, 9), NOT_FOUND),
        "vehicles": (sh(2, 2), end_of(2, 5), sh(2, 3), NOT_FOUND),
        "civil-affairs": (sh(2, 2), end_of(2, 5), sh(2, 4), NOT_FOUND),
    },
}


def query(client, headers, request_no: str) -> dict:
    document = edit("request-query.xml", ("AT-2026-000101", request_no))
    response = client.post(
        "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return {"id": body["id"]} | {t["unit_code"]: t["id"] for t in body["tasks"]}


def answer(client, token, task_id: int, request_no: str, unit: str, receipt: str) -> None:
    document = edit(receipt)
    for tag, value in (
        ("RequestNo", request_no),
        ("UnitCode", unit),
        ("ReceiptNo", f"SP-2026-{task_id:04d}"),
    ):
        document = re.sub(rf"<{tag}>[^<]*</{tag}>".encode(), f"<{tag}>{value}</{tag}>".encode(), document)
    response = client.post(
        f"/api/v1/tasks/{task_id}/receipts",
        files=multipart(document, *listed_files(document)),
        headers=token(f"staff-{unit}"),
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def march(client, token, hub, monkeypatch) -> dict[str, dict]:
    """The scenario, with the page's clock stopped at AT; request no -> {"id": .., unit: task id}."""
    monkeypatch.setattr(supervision_pages, "now", lambda: AT)
    monkeypatch.setattr(supervision_pages, "today_shanghai", lambda: AT.date())
    officer, made = token("officer"), {}
    for request_no, tasks in SCENARIO.items():
        made[request_no] = ids = query(client, officer, request_no)
        for unit, (served, due, closed, receipt) in tasks.items():
            if receipt:
                answer(client, token, ids[unit], request_no, unit, receipt)
            values = {"served_at": served, "due_at": due} | ({"closed_at": closed} if closed else {})
            with unit_of_work(hub.sessions) as session:
                session.execute(update(Task).where(Task.id == ids[unit]).values(**values))
    client.follow_redirects = False
    return made


def table(html: str, table_id: str, key: str | None = None) -> list[list[str]] | dict[str, list[str]]:
    rows = lxml.html.fromstring(html).xpath(f'//table[@id="{table_id}"]/tbody/tr')
    cells = [[" ".join(td.text_content().split()) for td in tr.findall("td")] for tr in rows]
    return {tr.get(key): c for tr, c in zip(rows, cells, strict=True)} if key else cells


def charts(html: str) -> list[lxml.etree._Element]:
    """Every inline SVG of the page, parsed as XML on its own (so it must be well-formed)."""
    return [lxml.etree.fromstring(svg.encode()) for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def test_the_supervisor_sees_the_months_figures_per_unit(client, token, march):
    sign_in(client, "supervisor")
    page = client.get("/supervision?month=2026-03")
    assert page.status_code == 200, page.text
    assert "督办统计 · 安图县人民法院 · 2026年3月" in page.text
    assert "2026年3月1日至2026年3月31日" in page.text

    assert table(page.text, "units", "data-unit") == {
        "civil-affairs": [NAMES["civil-affairs"], "2", "1", "1", "100%", "1 个工作日", "提出异议 1", "1"],
        "real-estate": [
            NAMES["real-estate"],
            "2",
            "2",
            "2",
            "100%",
            "2 个工作日",
            "信息不符 1、未查到 1",
            "0",
        ],
        "vehicles": [NAMES["vehicles"], "2", "2", "1", "50%", "2.5 个工作日", "未查到 2", "0"],
    }
    figures = [
        " ".join(b.split()) for b in lxml.html.fromstring(page.text).xpath('//div[@class="figure"]//text()')
    ]
    assert "".join(figures) == "收到任务6已答复5按期答复率80%逾期未办1"

    [late] = table(page.text, "overdue")
    late_request = march["AT-2026-000201"]["id"]
    assert late == [
        NAMES["civil-affairs"],
        "AT-2026-000201",
        "（2026）吉2426执156号",
        "查询",
        "2026年3月19日 23:59",
        "3 个工作日",
    ]
    assert f'href="/requests/{late_request}"' in page.text

    assert table(page.text, "months") == [
        [f"{label}", "0", "0", "0", "—"] for label in ("2025年10月", "2025年11月", "2025年12月", "2026年1月")
    ] + [["2026年2月", "3", "3", "2", "66.7%"], ["2026年3月", "6", "5", "4", "80%"]]


def test_the_charts_are_svg_drawn_on_the_server_and_name_each_unit(client, march):
    sign_in(client, "supervisor")
    page = client.get("/supervision?month=2026-03").text
    assert "<script" not in page and "http://" not in page.split("<main>")[1].replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    on_time, mix, months = charts(page)
    for chart in (on_time, mix, months):
        assert chart.tag == "{http://www.w3.org/2000/svg}svg" and chart.get("role") == "img"
    on_time_text, mix_text = "".join(on_time.itertext()), "".join(mix.itertext())
    for name in NAMES.values():
        assert name in on_time_text and name in mix_text
    assert "各单位按期答复率" in on_time_text and "100%" in on_time_text and "50%" in on_time_text
    assert all(word in mix_text for word in ("未查到", "信息不符", "提出异议", "共 2 件"))
    months_text = "".join(months.itertext())
    assert "近6个月按期答复率（2025年10月至2026年3月）" in months_text
    assert "80%" in months_text and "66.7%" in months_text and "3月" in months_text


def test_the_month_defaults_to_the_current_one_and_a_bad_month_is_explained(client, march):
    sign_in(client, "supervisor")
    default = client.get("/supervision")
    assert default.status_code == 200 and "督办统计 · 安图县人民法院 · 2026年3月" in default.text
    assert 'value="2026-03"' in default.text
    bad = client.get("/supervision?month=2026-13")
    assert bad.status_code == 422 and "2026-13" in bad.text and "例如 2026-03" in bad.text
    quiet = client.get("/supervision?month=2025-11")
    assert quiet.status_code == 200 and "2025年11月没有送达给联动单位的任务" in quiet.text
    assert len(charts(quiet.text)) == 1  # nothing answered: only the six months
    assert table(quiet.text, "overdue")[0][1] == "AT-2026-000201"  # overdue now, whatever the month


def test_the_csv_downloads_for_the_month(client, march):
    sign_in(client, "supervisor")
    page = client.get("/supervision?month=2026-03")
    assert 'href="/supervision.csv?month=2026-03"' in page.text
    response = client.get("/supervision.csv?month=2026-03")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="supervision-units-2026-03-01-2026-03-31.csv"' in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["单位代码", "单位名称", "收到"]
    assert rows[1:] == [
        ["civil-affairs", NAMES["civil-affairs"], "2", "1", "1", "100.0", "1", "1"],
        ["real-estate", NAMES["real-estate"], "2", "2", "2", "100.0", "2", "0"],
        ["vehicles", NAMES["vehicles"], "2", "2", "1", "50.0", "2.5", "0"],
    ]


def test_an_administrator_picks_the_court(client, march):
    sign_in(client, "admin")
    every = client.get("/supervision?month=2026-03")
    assert every.status_code == 200 and "督办统计 · 全部法院 · 2026年3月" in every.text
    assert '<option value="J2426">安图县人民法院（J2426）</option>' in every.text
    one = client.get("/supervision?month=2026-03&court=J2426")
    assert "督办统计 · 安图县人民法院" in one.text
    assert table(one.text, "units", "data-unit") == table(every.text, "units", "data-unit")
    assert 'href="/supervision.csv?month=2026-03&amp;court=J2426"' in one.text
    assert client.get("/supervision.csv?month=2026-03&court=J2426").status_code == 200
    unknown = client.get("/supervision?court=J9999")
    assert unknown.status_code == 404 and "没有代码为 J9999 的法院" in unknown.text


def test_officers_and_unit_staff_are_refused(client, march):
    for username in ("officer", "staff-vehicles"):
        sign_in(client, username)
        for path in ("/supervision", "/supervision.csv?month=2026-03"):
            refused = client.get(path)
            assert refused.status_code == 403, (username, path)
            assert "督办统计仅供法院督办人和系统管理员查看" in refused.text
    client.cookies.clear()
    assert client.get("/supervision").headers["location"] == "/login?next=/supervision"
