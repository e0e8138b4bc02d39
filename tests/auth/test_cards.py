"""An officer's enforcement cards (issue 14): the images taken as an attacker would send them, the users
API for administrators, the audit log, and the getter the 查控 service's zjInfo reads."""

import hashlib
import json

import pytest
from images import jpeg, png
from sqlalchemy import select

from hub.auth.cards import CARD_IMAGE_BYTES, check_image, officer_cards
from hub.auth.service import user_by_name
from hub.db import unit_of_work
from hub.errors import Invalid
from hub.models import AuditEvent

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"\xef\xbb\xbf\n<!DOCTYPE html><html><body><script>fetch('/admin/users')</script></body></html>"
HOSTILE = {  # what a file named card.png may hold, and the code it is refused with
    "svg": (SVG, "image_markup"),
    "html": (HTML, "image_markup"),
    "truncated png": (png()[:-30], "image_broken"),
    "png cut inside its pixel data": (png(200, 120)[:90] + png()[-12:], "image_broken"),
    "truncated jpeg": (jpeg()[:-2], "image_broken"),
    "png then html": (png() + b"<script>alert(1)</script>", "image_trailing"),
    "jpeg then html": (jpeg() + b"<html><script>alert(1)</script>", "image_trailing"),
    "gif": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image_type"),
    "pdf": (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "image_type"),
    "png signature alone": (b"\x89PNG\r\n\x1a\n", "image_broken"),
    "empty": (b"", "image_empty"),
    "too large": (b"\xff\xd8\xff" + b"\x00" * CARD_IMAGE_BYTES, "image_too_large"),
}


def user_id(hub, username: str) -> int:
    with unit_of_work(hub.sessions) as session:
        return user_by_name(session, username).id


def card_events(hub) -> list[tuple[str, str, dict]]:
    with unit_of_work(hub.sessions) as session:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.kind.like("card.%")).order_by(AuditEvent.seq)
        ).scalars()
        return [(e.kind, e.actor, json.loads(e.data)) for e in rows]


def test_png_and_jpeg_are_recognised_by_their_bytes_with_their_size():
    for data, media_type, size in (
        (png(64, 40), "image/png", (64, 40)),
        (png(13, 7, interlaced=True), "image/png", (13, 7)),
        (jpeg(17, 9), "image/jpeg", (17, 9)),
    ):
        image = check_image(data)
        assert (image.media_type, (image.width, image.height)) == (media_type, size)


@pytest.mark.parametrize("name", HOSTILE)
def test_anything_but_a_whole_png_or_jpeg_is_refused(name):
    data, code = HOSTILE[name]
    with pytest.raises(Invalid) as refused:
        check_image(data)
    assert refused.value.code == code, refused.value.message


def test_a_png_declaring_more_pixels_than_allowed_is_refused_before_inflating():
    huge = png(1, 1).replace(b"\x00\x00\x00\x01\x00\x00\x00\x01", b"\x00\x00\x27\x10\x00\x00\x27\x10", 1)
    with pytest.raises(Invalid) as refused:
        check_image(huge)
    assert refused.value.code in ("image_dimensions", "image_broken")  # its CRC no longer holds either


def test_an_administrator_sets_an_officers_cards_through_the_api(client, token, hub):
    admin, officer = token("admin"), user_id(hub, "officer")
    base = f"/api/v1/users/{officer}/cards"
    empty = client.get(base, headers=admin)
    assert empty.status_code == 200, empty.text
    assert empty.json() | {"credential_no": None} == {
        "user_id": officer,
        "username": "officer",
        "display_name": "张三",
        "court_code": "J2426",
        "work_card_no": None,
        "credential_no": None,
        "work_card_image": None,
        "credential_card_image": None,
    }

    numbers = client.put(
        base, json={"work_card_no": " GZ-2426-0031 ", "credential_no": "（2026）吉执证0031号"}, headers=admin
    )
    assert numbers.status_code == 200, numbers.text
    assert (numbers.json()["work_card_no"], numbers.json()["credential_no"]) == (
        "GZ-2426-0031",
        "（2026）吉执证0031号",
    )

    work, credential = png(), jpeg()
    put = client.put(f"{base}/work-card", content=work, headers={**admin, "Content-Type": "image/png"})
    assert put.status_code == 200, put.text
    put = client.put(
        f"{base}/credential-card",
        content=credential,
        headers={**admin, "Content-Type": "application/octet-stream"},
    )
    assert put.status_code == 200, put.text
    cards = client.get(base, headers=admin).json()
    assert cards["work_card_image"] == {
        "sha256": hashlib.sha256(work).hexdigest(),
        "media_type": "image/png",
        "size": len(work),
        "url": f"{base}/work-card",
    }
    assert cards["credential_card_image"]["media_type"] == "image/jpeg"

    for url, data, media_type in (
        (f"{base}/work-card", work, "image/png"),
        (f"{base}/credential-card", credential, "image/jpeg"),
    ):
        got = client.get(url, headers=admin)
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"] == media_type
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["x-content-sha256"] == hashlib.sha256(data).hexdigest()
        assert got.headers["content-disposition"].startswith("attachment;")
        assert "sandbox" in got.headers["content-security-policy"]

    assert card_events(hub) == [
        (
            "card.numbers_set",
            "user:admin",
            {"username": "officer", "work_card_no": "GZ-2426-0031", "credential_no": "（2026）吉执证0031号"},
        ),
        (
            "card.image_set",
            "user:admin",
            {
                "username": "officer",
                "card": "work_card",
                "sha256": hashlib.sha256(work).hexdigest(),
                "media_type": "image/png",
                "size": len(work),
                "width": 64,
                "height": 40,
            },
        ),
        (
            "card.image_set",
            "user:admin",
            {
                "username": "officer",
                "card": "credential_card",
                "sha256": hashlib.sha256(credential).hexdigest(),
                "media_type": "image/jpeg",
                "size": len(credential),
                "width": 64,
                "height": 40,
            },
        ),
    ]


def test_what_zjinfo_reads_is_the_numbers_and_the_images_bytes(client, token, hub):
    admin, officer = token("admin"), user_id(hub, "officer")
    base = f"/api/v1/users/{officer}/cards"
    client.put(base, json={"work_card_no": "GZ-1", "credential_no": "JL2426-0031"}, headers=admin)
    client.put(f"{base}/work-card", content=jpeg(), headers={**admin, "Content-Type": "image/jpeg"})
    with unit_of_work(hub.sessions) as session:
        cards = officer_cards(session, blobs=hub.blobs, user_id=officer)
    assert (cards.name, cards.court_code, cards.work_card_no, cards.credential_no) == (
        "张三",
        "J2426",
        "GZ-1",
        "JL2426-0031",
    )
    assert (cards.work_card.data, cards.work_card.media_type) == (jpeg(), "image/jpeg")
    assert cards.credential_card is None


def test_sending_back_what_get_answers_keeps_the_images_and_null_removes_one(client, token, hub):
    admin, officer = token("admin"), user_id(hub, "officer")
    base = f"/api/v1/users/{officer}/cards"
    client.put(f"{base}/work-card", content=png(), headers={**admin, "Content-Type": "image/png"})
    client.put(f"{base}/credential-card", content=jpeg(), headers={**admin, "Content-Type": "image/jpeg"})
    cards = client.get(base, headers=admin).json()

    kept = client.put(base, json=cards | {"work_card_no": "GZ-9"}, headers=admin).json()
    assert kept["work_card_no"] == "GZ-9"
    assert (
        kept["work_card_image"] == cards["work_card_image"]
        and kept["credential_card_image"] == cards["credential_card_image"]
    )

    stale = client.put(base, json=cards | {"work_card_image": {"sha256": "0" * 64}}, headers=admin)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "image_changed"

    removed = client.put(base, json=kept | {"credential_card_image": None}, headers=admin)
    assert removed.status_code == 200 and removed.json()["credential_card_image"] is None
    assert client.get(f"{base}/credential-card", headers=admin).status_code == 404
    assert [kind for kind, _, _ in card_events(hub)][-1] == "card.image_removed"


@pytest.mark.parametrize("name", ["svg", "html", "truncated png", "png then html"])
def test_a_hostile_file_sent_as_a_png_is_422_and_nothing_is_stored(client, token, hub, stored, name):
    admin, officer = token("admin"), user_id(hub, "officer")
    before = stored()
    refused = client.put(
        f"/api/v1/users/{officer}/cards/work-card",
        content=HOSTILE[name][0],
        headers={**admin, "Content-Type": "image/png"},
    )
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == HOSTILE[name][1]
    assert error["details"][0]["path"] == "work_card_image" and error["message"].startswith(
        "work_card_image: "
    )
    assert stored() == before
    assert client.get(f"/api/v1/users/{officer}/cards", headers=admin).json()["work_card_image"] is None


def test_an_image_past_the_limit_or_of_another_type_is_refused(client, token, hub):
    admin, officer = token("admin"), user_id(hub, "officer")
    url = f"/api/v1/users/{officer}/cards/work-card"
    large = client.put(
        url,
        content=b"\xff\xd8\xff" + b"\0" * CARD_IMAGE_BYTES,
        headers={**admin, "Content-Type": "image/jpeg"},
    )
    assert large.status_code == 413 and large.json()["error"]["code"] == "too_large"
    typed = client.put(url, content=SVG, headers={**admin, "Content-Type": "image/svg+xml"})
    assert typed.status_code == 415 and typed.json()["error"]["code"] == "unsupported_media_type"


def test_a_number_with_a_line_break_or_past_40_characters_is_refused(client, token, hub):
    admin, officer = token("admin"), user_id(hub, "officer")
    base = f"/api/v1/users/{officer}/cards"
    for bad in ("GZ-1\nGZ-2", "GZ\x00", "9" * 41):
        refused = client.put(base, json={"work_card_no": bad, "credential_no": None}, headers=admin)
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["error"]["code"] in ("card_number", "invalid_parameters")
    assert card_events(hub) == []


def test_only_administrators_use_the_cards_api_and_only_for_court_people(client, token, hub):
    officer = user_id(hub, "officer")
    base = f"/api/v1/users/{officer}/cards"
    for username in ("officer", "supervisor", "staff-real-estate"):
        bearer = token(username)
        assert client.get(base, headers=bearer).status_code == 403
        assert (
            client.put(base, json={"work_card_no": "X", "credential_no": None}, headers=bearer).status_code
            == 403
        )
        refused = client.put(
            f"{base}/work-card", content=png(), headers={**bearer, "Content-Type": "image/png"}
        )
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    staff = user_id(hub, "staff-real-estate")
    other = client.get(f"/api/v1/users/{staff}/cards", headers=token("admin"))
    assert other.status_code == 409 and other.json()["error"]["code"] == "not_court_user"
    assert client.get("/api/v1/users/999999/cards", headers=token("admin")).status_code == 404
    assert card_events(hub) == []
