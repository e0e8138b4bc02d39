"""A control's own page (/controls/{id}): its terms, its renewal chain, what the officer can do today and
its whole history as a timeline, through the browser's eyes. Who may read it: test_control_pages.py."""

import re

from conftest import edited, example, post_receipt, renewed_control, sign_in, waitlisted_seal
from controls_support import SEAL_REGISTRATION, released, sealed

ZHAO_LIU = "22242619790605003X"


def section(html: str, name: str) -> str:
    return re.search(rf'<section class="card" id="{name}">(.*?)</section>', html, re.S).group(1)


def timeline(html: str) -> list[str]:
    """The timeline's rows, each as its cells' text without tags."""
    rows = re.findall(r'<tr class="entry">(.*?)</tr>', section(html, "history"), re.S)
    return [" | ".join(text(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)) for row in rows]


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def what(html: str) -> list[str]:
    """What each timeline row says happened, in order."""
    return [row.split(" | ")[1] for row in timeline(html)]


def test_a_released_seal_shows_its_registration_and_release_in_order(visitor, token):
    _, control = sealed(visitor, token)
    released(visitor, token)
    sign_in(visitor, "officer")

    assert f'href="/controls/{control["id"]}"' in visitor.get("/controls").text
    assert f'href="/controls/{control["id"]}"' in visitor.get(f"/debtors/{ZHAO_LIU}").text
    page = visitor.get(f"/controls/{control['id']}")

    assert page.status_code == 200
    terms = section(page.text, "control")
    assert "安图县不动产登记中心" in terms and "222426001001GB00012F00010023" in terms
    assert SEAL_REGISTRATION in terms and "已解除" in terms and "2026年11月27日至2029年11月26日" in terms
    rows = timeline(page.text)
    assert what(page.text) == ["发出查封请求", "登记生效", "发出解除请求", "解除"]
    asked, registered, releasing, freed = rows
    assert "张三（安图县人民法院）" in asked and "请求 AT-2026-000102" in asked
    assert "回执 RE-2026-0302" in registered and "期限 2026年11月27日至2029年11月26日" in registered
    assert "请求 AT-2026-000125" in releasing
    assert "状态 生效中 → 已解除" in freed and "回执 RE-2026-0399" in freed and "本措施" in freed
    actions = section(page.text, "actions")
    assert "/renew" not in actions and "/release" not in actions and "目前不能续行" in actions


def test_a_renewed_control_shows_its_chain_and_the_current_control(visitor, token):
    first, renewal = renewed_control(visitor, token)
    sign_in(visitor, "officer")

    page = visitor.get(f"/controls/{first['id']}").text

    assert f'现行措施为\n  <a href="/controls/{renewal["id"]}">' in page
    chain = section(page, "chain")
    assert "续行链（2 项）" in chain
    old = re.search(rf'<tr id="chain-{first["id"]}">(.*?)</tr>', chain, re.S).group(1)
    new = re.search(rf'<tr id="chain-{renewal["id"]}">(.*?)</tr>', chain, re.S).group(1)
    assert "原措施" in old and "已续行" in old and "本页" in old and "现行" not in old
    assert "2026年11月28日至2027年11月27日" in old
    assert (
        "第 1 次续行" in new and "生效中" in new and "现行" in new and "2027年11月28日至2028年11月27日" in new
    )
    assert f'href="/controls/{renewal["id"]}"' in new
    assert what(page) == [
        "发出冻结请求",
        "登记生效",
        "发出续行请求",
        "登记生效",
        "续行登记，由续行措施接续",
    ]
    assert f"控制措施 {renewal['id']}" in timeline(page)[3]

    current = visitor.get(f"/controls/{renewal['id']}").text
    assert "现行措施为" not in current
    actions = section(current, "actions")
    assert f'href="/controls/{renewal["id"]}/renew"' in actions
    assert f'href="/controls/{renewal["id"]}/release"' in actions
    assert what(current) == what(page)  # one chain, one history, from either of its controls
    assert [row.split(" | ")[2] for row in timeline(current)] == [f"控制措施 {first['id']}"] * 3 + [
        "本措施",
        f"控制措施 {first['id']}",
    ]


def test_a_registration_no_with_markup_shows_as_text(visitor, token):
    markup = "<script>alert(1)</script>"
    escaped_xml = "&lt;script&gt;alert(1)&lt;/script&gt;"
    _, control = sealed(visitor, token, registration_no=escaped_xml)
    released(visitor, token, registration_no=escaped_xml)
    sign_in(visitor, "officer")

    for path in (f"/controls/{control['id']}", "/controls", f"/debtors/{ZHAO_LIU}"):
        page = visitor.get(path).text
        assert markup not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    assert f"登记号 {escaped_xml}" in section(visitor.get(f"/controls/{control['id']}").text, "history")


def test_what_a_unit_wrote_in_its_receipt_shows_as_text(visitor, token):
    request, waiting = waitlisted_seal(visitor, token)
    disposed = edited(
        example("receipt-waitlisted.xml"),
        ("RE-2026-0302", "RE-2026-0360"),
        (
            "<Outcome>WAITLISTED</Outcome>",
            '<Outcome>PARTIAL</Outcome>\n  <Reason code="ALREADY_TRANSFERRED">附属车库已拍卖'
            "&lt;script&gt;alert(2)&lt;/script&gt;</Reason>",
        ),
        ("<QueuePosition>2</QueuePosition>", ""),
    )
    post_receipt(visitor, token("staff-real-estate"), request, disposed)
    sign_in(visitor, "officer")

    page = visitor.get(f"/controls/{waiting['id']}").text

    assert "<script>alert(2)" not in page
    assert "已处置：附属车库已拍卖&lt;script&gt;alert(2)&lt;/script&gt;" in section(page, "history")
    assert what(page)[-1] == "部分财产已被处置，轮候及于其余部分"
