"""An officer's enforcement cards on the pages (issue 14): the administrator enters the numbers and uploads
the two images with the real form; a hostile file named .png is refused in Chinese and nothing is kept;
the thumbnails are the images as stored, typed, never sniffed; the officer sees his own and no one else's."""

import hashlib
import json
import re

import lxml.html
import pytest
from conftest import csrf_of, sign_in
from images import jpeg, png
from sqlalchemy import select

from hub.auth.cards import CARD_IMAGE_BYTES
from hub.auth.service import user_by_name
from hub.db import unit_of_work
from hub.headers import PAGE_CSP
from hub.models import AuditEvent

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>'
HTML = b"<!DOCTYPE html><html><script>fetch('/admin/users')</script></html>"


def user_id(hub, username: str) -> int:
    with unit_of_work(hub.sessions) as session:
        return user_by_name(session, username).id


def card_events(hub) -> list[tuple[str, dict]]:
    with unit_of_work(hub.sessions) as session:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.kind.like("card.%")).order_by(AuditEvent.seq)
        ).scalars()
        return [(e.kind, json.loads(e.data)) for e in rows]


def cards_form(html: str) -> tuple[str, dict[str, str]]:
    """The cards form's action and its fields as the page fills them (the CSRF token first)."""
    [form] = lxml.html.fromstring(html).xpath('//form[@id="cards-form"]')
    fields = {i.get("name"): i.get("value") or "" for i in form.xpath(".//input") if i.get("type") != "file"}
    fields = {k: v for k, v in fields.items() if not k.startswith("remove_")}  # unticked boxes send nothing
    assert next(iter(fields)) == "csrf"
    return form.get("action"), fields


def post_cards(visitor, action: str, fields: dict[str, str], **files: tuple[str, bytes, str]):
    """The form posted as a browser posts it: every field, an empty file part for each image not chosen."""
    parts = [(name, (None, value)) for name, value in fields.items()]
    for card in ("work_card_image", "credential_card_image"):
        parts.append((card, files.get(card, ("", b"", "application/octet-stream"))))
    return visitor.post(action, files=parts)


def test_the_administrator_enters_the_numbers_and_uploads_both_cards(visitor, hub, stored):
    officer = user_id(hub, "officer")
    sign_in(visitor, "admin")
    users = visitor.get("/admin/users").text
    [link] = lxml.html.fromstring(users).xpath('//tr[@data-user="officer"]//td[@class="cards"]//a/@href')
    assert link == f"/admin/users/{officer}/cards"
    blank = visitor.get(link)
    assert blank.status_code == 200 and "执行证件：张三" in blank.text and "未上传" in blank.text
    action, fields = cards_form(blank.text)
    assert fields["credential_no"] == "JL2426-0031"  # the seeded account's

    saved = post_cards(
        visitor,
        action,
        fields | {"work_card_no": "吉2426工0031", "credential_no": "（2026）吉执证字第0031号"},
        work_card_image=("工作证.png", png(), "image/png"),
        credential_card_image=("scan.JPG", jpeg(), "image/jpeg"),
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{link}?done=saved"
    shown = visitor.get(saved.headers["location"])
    assert "执行证件已保存" in shown.text
    page = lxml.html.fromstring(shown.text)
    work, credential = (page.xpath(f'//tr[@data-card="{c}"]')[0] for c in ("work_card", "credential_card"))
    assert "吉2426工0031" in work.text_content() and "（2026）吉执证字第0031号" in credential.text_content()
    for row, data, media_type in ((work, png(), "image/png"), (credential, jpeg(), "image/jpeg")):
        [src] = row.xpath(".//img/@src")
        image = visitor.get(src)
        assert image.status_code == 200 and image.content == data
        assert image.headers["content-type"] == media_type
        assert image.headers["x-content-type-options"] == "nosniff"
        assert image.headers["content-disposition"].startswith("inline;")
        assert "sandbox" in image.headers["content-security-policy"]
        assert image.headers["cache-control"] == "private, no-store"
    assert "img-src 'self'" in shown.headers["content-security-policy"] == PAGE_CSP

    listed = lxml.html.fromstring(visitor.get("/admin/users").text)
    [cell] = listed.xpath('//tr[@data-user="officer"]//td[@class="cards"]')
    assert "工作证号 吉2426工0031 · 公务证号 （2026）吉执证字第0031号 · 图片 2/2" in " ".join(
        cell.text_content().split()
    )
    assert [kind for kind, _ in card_events(hub)] == ["card.numbers_set", "card.image_set", "card.image_set"]
    assert card_events(hub)[1][1]["sha256"] == hashlib.sha256(png()).hexdigest()

    again = post_cards(visitor, action, cards_form(shown.text)[1])  # nothing chosen, nothing typed anew
    assert again.headers["location"] == f"{link}?done=unchanged" and len(card_events(hub)) == 3

    removed = post_cards(visitor, action, cards_form(shown.text)[1] | {"remove_credential_card_image": "1"})
    assert removed.status_code == 303
    after = visitor.get(link).text
    assert len(lxml.html.fromstring(after).xpath('//tr[@data-card="credential_card"]//img')) == 0
    assert card_events(hub)[-1] == (
        "card.image_removed",
        {"username": "officer", "card": "credential_card", "sha256": hashlib.sha256(jpeg()).hexdigest()},
    )


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("card.png", SVG, "这是 SVG、HTML 等文本文件，不是图片"),
        ("card.png", HTML, "这是 SVG、HTML 等文本文件，不是图片"),
        ("card.png", png()[:-40], "图片文件不完整或已损坏"),
        ("card.jpg", jpeg()[:-30], "图片文件不完整或已损坏"),
        ("card.png", png() + HTML, "图片结束之后还附有其他内容"),
        ("card.png", b"GIF89a" + b"\0" * 20, "这不是 JPEG 或 PNG 图片"),
    ],
)
def test_a_hostile_file_named_as_an_image_is_refused_in_chinese_and_nothing_is_kept(
    visitor, hub, stored, name, data, said
):
    officer = user_id(hub, "officer")
    sign_in(visitor, "admin")
    action, fields = cards_form(visitor.get(f"/admin/users/{officer}/cards").text)
    before = stored()
    refused = post_cards(
        visitor,
        action,
        fields | {"work_card_no": "GZ-0031"},
        work_card_image=("ok.png", png(), "image/png"),
        credential_card_image=(name, data, "image/png"),
    )
    assert refused.status_code == 422
    [error] = lxml.html.fromstring(refused.text).xpath('//p[@class="error"]')
    assert error.text_content().startswith(f"执行公务证图片（文件 {name}）：{said}")
    assert cards_form(refused.text)[1]["work_card_no"] == "GZ-0031"  # kept in the form to correct
    assert stored() == before and card_events(hub) == []
    page = visitor.get(f"/admin/users/{officer}/cards").text
    assert "GZ-0031" not in page and "<img" not in page


def test_an_image_past_the_limit_is_refused_as_it_comes(visitor, hub, stored):
    officer = user_id(hub, "officer")
    sign_in(visitor, "admin")
    action, fields = cards_form(visitor.get(f"/admin/users/{officer}/cards").text)
    before = stored()
    large = post_cards(
        visitor,
        action,
        fields,
        work_card_image=("photo.jpg", jpeg() + b"\0" * CARD_IMAGE_BYTES, "image/jpeg"),
    )
    assert large.status_code == 413 and "图片 photo.jpg 超过 2 MB 的上限，未予接收" in large.text
    assert stored() == before


def test_the_form_needs_its_token_and_an_administrator(visitor, hub, stored):
    officer = user_id(hub, "officer")
    sign_in(visitor, "admin")
    action, fields = cards_form(visitor.get(f"/admin/users/{officer}/cards").text)
    before = stored()
    forged = post_cards(
        visitor, action, fields | {"csrf": "forged"}, work_card_image=("a.png", png(), "image/png")
    )
    assert forged.status_code == 403 and "表单已过期或来源不明" in forged.text

    for username in ("officer", "supervisor", "staff-real-estate"):
        csrf = sign_in(visitor, username)
        assert visitor.get(f"/admin/users/{officer}/cards").status_code == 403
        refused = post_cards(
            visitor, action, fields | {"csrf": csrf}, work_card_image=("a.png", png(), "image/png")
        )
        assert refused.status_code == 403 and "此页面仅供系统管理员使用" in refused.text
    assert stored() == before and card_events(hub) == []

    sign_in(visitor, "admin")
    staff = visitor.get(f"/admin/users/{user_id(hub, 'staff-real-estate')}/cards")
    assert staff.status_code == 409 and "不是法院的执行人员或督办人" in staff.text


def test_the_officer_sees_his_own_cards_and_no_one_elses(visitor, hub):
    officer, supervisor = user_id(hub, "officer"), user_id(hub, "supervisor")
    csrf_admin = sign_in(visitor, "admin")
    for holder in (officer, supervisor):
        action = f"/admin/users/{holder}/cards"
        fields = {"csrf": csrf_admin, "work_card_no": f"GZ-{holder}", "credential_no": ""}
        assert (
            post_cards(
                visitor, action, fields, work_card_image=("c.png", png(shade=holder), "image/png")
            ).status_code
            == 303
        )

    sign_in(visitor, "officer")
    mine = visitor.get("/me/cards")
    assert mine.status_code == 200 and f"GZ-{officer}" in mine.text and f"GZ-{supervisor}" not in mine.text
    [src] = re.findall(r'<img src="([^"]+)"', mine.text)
    assert src == f"/users/{officer}/cards/work-card"
    assert visitor.get(src).content == png(shade=officer)
    other = visitor.get(f"/users/{supervisor}/cards/work-card")
    assert other.status_code == 403 and other.headers["content-type"].startswith("text/html")
    assert visitor.get(f"/users/{officer}/cards/credential-card").status_code == 404  # none uploaded

    sign_in(visitor, "staff-real-estate")
    assert visitor.get("/me/cards").status_code == 403
    assert visitor.get(f"/users/{officer}/cards/work-card").status_code == 403
    visitor.cookies.clear()
    assert visitor.get(f"/users/{officer}/cards/work-card").headers["location"].startswith("/login?next=")


def test_csrf_of_the_cards_page_is_the_sessions(visitor, hub):
    """The page's form carries the session's token, as every other admin form."""
    sign_in(visitor, "admin")
    page = visitor.get(f"/admin/users/{user_id(hub, 'officer')}/cards").text
    assert cards_form(page)[1]["csrf"] == csrf_of(visitor.get("/admin/users").text)
