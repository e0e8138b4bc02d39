"""The notice rendered from each example request: what the paper notice says, escaped, self-contained."""

import re

import pytest
from conftest import edit, example
from lxml import etree

from hub.standard.codes import Action
from hub.standard.documents import read_request
from hub.standard.notice import chinese_date, chinese_money, render_notice
from hub.standard.xml import DocumentError, parse
from schemas import EXAMPLES_DIR

REQUESTS = sorted(p.name for p in EXAMPLES_DIR.glob("request-*.xml"))
UNIT = "安图县住房公积金管理中心"
COURT = "安图县人民法院"  # as the directory names J2426


def test_every_action_has_an_example():
    actions = {read_request(parse(example(name))).action for name in REQUESTS}
    assert actions == set(Action)


@pytest.mark.parametrize("name", REQUESTS)
def test_each_example_renders_as_the_paper_notice(name):
    document = example(name)
    request = read_request(parse(document))
    notice = render_notice(document, unit_name=UNIT, court_name=COURT)
    assert notice.request.request_no == request.request_no

    words = [
        UNIT + "：",
        request.court_name,
        request.case_no,
        request.request_no,
        request.subject.name,
        request.subject.id_number,
        request.officer_name,
        request.officer_credential_no,
        notice.title,
        chinese_date(request.issued_at),
        "法律依据",
    ]
    for item in request.items:
        words += [item.asset_id, item.description or item.asset_id]
        if item.period:
            words.append(f"{chinese_date(item.period.start)}至{chinese_date(item.period.end)}")
        if item.amount:
            words.append(chinese_money(item.amount.amount))
        if item.original:
            words.append(item.original.request_no)
    for ref in request.documents:
        words.append(ref.filename)
    for word in words:
        assert word in notice.text, word
        assert word in notice.html, word

    page = notice.html
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<meta charset="utf-8">' in page
    # Self-contained: nothing fetched from elsewhere.
    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=|@import|url\(", page, re.I)
    assert not re.search(r"https?://", page)
    assert notice.text.endswith("\n") and "<" not in notice.text


TITLES = {
    "request-query.xml": "协助查询通知书",
    "request-query-all.xml": "协助查询通知书",
    "request-seal.xml": "协助执行通知书",
    "request-seize.xml": "协助执行通知书",
    "request-freeze.xml": "协助执行通知书",
    "request-deduct.xml": "协助执行通知书",
    "request-renew.xml": "协助执行通知书",
    "request-release.xml": "协助执行通知书",
    "request-locate-person.xml": "协助查找被执行人通知书",
    "request-credit-notice.xml": "失信被执行人联合惩戒通报",
}


@pytest.mark.parametrize(("name", "title"), TITLES.items())
def test_titles_per_action(name, title):
    notice = render_notice(example(name), unit_name=UNIT, court_name=COURT)
    assert notice.title == title
    assert f"<h2>{title}</h2>" in notice.html
    assert f"<title>{title} " in notice.html


def test_what_is_asked_reads_per_action():
    freeze = render_notice(example("request-freeze.xml"), unit_name=UNIT, court_name=COURT).text
    assert "请你单位协助冻结被执行人李四名下的财产" in freeze
    assert "账号：220100123456789" in freeze and "冻结金额：人民币50,000.00元" in freeze
    seize = render_notice(example("request-seize.xml"), unit_name=UNIT, court_name=COURT).text
    assert "号牌号码：吉H·A1234" in seize and "活封保管人：孙七" in seize and "第2项" in seize
    renew = render_notice(example("request-renew.xml"), unit_name=UNIT, court_name=COURT).text
    assert "续行期限：2027年11月28日至2028年11月27日" in renew
    assert "原请求编号：AT-2026-000123" in renew and "原登记编号：GJJ-DJ-2026-0042" in renew
    release = render_notice(example("request-release.xml"), unit_name=UNIT, court_name=COURT).text
    assert "协助解除" in release and "原登记编号：GJJ-DJ-2026-0042" in release
    query = render_notice(example("request-query.xml"), unit_name=UNIT, court_name=COURT).text
    assert "协助事项" not in query and "协助查询被执行人赵六" in query
    credit = render_notice(example("request-credit-notice.xml"), unit_name=UNIT, court_name=COURT).text
    assert "特此通报。" in credit and "法人或其他组织" in credit and "统一社会信用代码" in credit


def test_dates_are_written_as_people_write_them():
    assert chinese_date("2026-11-27") == "2026年11月27日"
    assert chinese_date("2026-12-01T09:00:00+08:00") == "2026年12月1日"
    # An instant counts in Asia/Shanghai: 20:00 UTC is already the next day there.
    late = edit("request-freeze.xml", ("2026-11-27T09:30:00+08:00", "2026-11-27T20:00:00Z"))
    text = render_notice(late, unit_name=UNIT, court_name=COURT).text
    assert "安图县人民法院\n2026年11月28日" in text
    assert "冻结期限：2026年11月27日至2027年11月26日" in text


HOSTILE = "<script>alert(1)</script> & \"x\" 'y' <b>"
ESCAPED_NAME = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"x\" 'y' &lt;b&gt;"


def test_hostile_text_is_escaped_in_the_html():
    document = edit(
        "request-query.xml",
        ("<Name>赵六</Name>", "<Name>&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"x\" 'y' &lt;b&gt;</Name>"),
        ("<Remarks>", "<Remarks>&lt;img src=x onerror=alert(2)&gt;"),
    )
    notice = render_notice(document, unit_name='<a href="javascript:alert(3)">单位</a>', court_name=COURT)
    page = notice.html
    assert ESCAPED_NAME in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert '&lt;a href="javascript:alert(3)"&gt;单位&lt;/a&gt;：' in page
    tree = etree.HTML(page)
    assert tree.xpath("//script | //img | //a | //b") == []
    # The plain text says it as it is.
    assert HOSTILE in notice.text and "<img src=x onerror=alert(2)>" in notice.text


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b'<AssistanceRequest xmlns="urn:linkage-hub:enforcement:1.0">&e;</AssistanceRequest>',
            "DOCTYPE",
        ),
        (example("receipt-controlled.xml"), "AssistanceRequest"),
        (edit("request-freeze.xml", ("<Action>FREEZE</Action>", "<Action>BURN</Action>")), "Action"),
    ],
    ids=["doctype", "receipt", "invalid"],
)
def test_only_a_valid_request_is_rendered_through_the_hardened_parser(document, words):
    with pytest.raises(DocumentError, match=words):
        render_notice(document, unit_name=UNIT, court_name=COURT)


def test_the_notice_names_the_court_as_the_directory_does():
    """A court's document may call itself anything in <Court>: the unit reads the name the directory
    gives its code, and the document's own name nowhere."""
    document = edit("request-freeze.xml", ('code="J2426">安图县人民法院', 'code="J2426">某某市中级人民法院'))

    notice = render_notice(document, unit_name=UNIT, court_name=COURT)

    assert "某某市中级人民法院" not in notice.html and "某某市中级人民法院" not in notice.text
    assert notice.text.count(COURT) >= 2  # the heading and the court's sign at the foot
