"""An officer's enforcement cards on the pages (hub/auth/cards.py): the administrator enters the 工作证 and
执行公务证 numbers and uploads their images; the officer (or supervisor) sees his own. The images are
shown inline, for <img>, as the stored bytes with their own type, nosniff and a sandbox that runs nothing.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from hub.auth.cards import CARD_IMAGE_BYTES, CARDS, Card, CardImage, CardNumbers, card_holder, change_cards
from hub.auth.cards import officer_cards as cards_of
from hub.deps import HubDep, SessionDep
from hub.errors import Forbidden, Invalid, NotFound
from hub.headers import NOTHING_HEADERS
from hub.limits import SMALL_BODY_BYTES, FormLimits, size_text
from hub.models import Court, User
from hub.web.deps import WebUserDep, in_chinese, read_checked_form
from hub.web.session import SignedIn
from hub.web.templating import page

router = APIRouter(include_in_schema=False)

NAMES: dict[Card, str] = {"work_card": "工作证", "credential_card": "执行公务证"}
SLUGS: dict[Card, str] = {"work_card": "work-card", "credential_card": "credential-card"}
LIMIT = size_text(CARD_IMAGE_BYTES)
MESSAGES = {  # service error code -> what the administrator reads
    "not_court_user": "该账号不是法院的执行人员或督办人，没有执行证件。",
    "not_found": "没有找到该用户，可能已被删除。",
    "card_number": "证件号码最多 40 个字，只能写在一行内，不能含控制字符。",
    "image_too_large": f"图片超过 {LIMIT} 的上限：请以 300 dpi 扫描，或另存为 JPEG 后再上传。",
    "image_empty": "上传的文件是空的。",
    "image_markup": "这是 SVG、HTML 等文本文件，不是图片：只接受 JPEG 或 PNG 图片。",
    "image_type": "这不是 JPEG 或 PNG 图片（按文件内容识别，与文件名无关）：请另存为 JPEG 或 PNG 后上传。",
    "image_broken": "图片文件不完整或已损坏（可能被截断），请重新扫描或另存后上传。",
    "image_trailing": "图片结束之后还附有其他内容，不予接收：请用看图或扫描软件重新另存后上传。",
    "image_dimensions": "图片尺寸不合要求：每边 1 至 10000 像素，总计不超过 2500 万像素。",
}
DONE = {"saved": "执行证件已保存。", "unchanged": "没有需要保存的更改。"}


def _admin(user: SignedIn) -> None:
    if user.principal.role != "admin":
        raise Forbidden("此页面仅供系统管理员使用。")


async def card_form(request: Request, user: WebUserDep) -> FormData:
    """The posted cards form, for administrators only (checked before a byte of it is read): its CSRF
    token first, each image refused (413) as soon as it passes CARD_IMAGE_BYTES."""
    _admin(user)
    limits = FormLimits(file_bytes=CARD_IMAGE_BYTES, field_bytes=SMALL_BODY_BYTES, max_files=2, max_fields=20)
    return await read_checked_form(request, user, limits, part="图片")


CardFormDep = Annotated[FormData, Depends(card_form)]


def _cards_page(
    request: Request,
    session: Session,
    hub: HubDep,
    holder: User,
    *,
    status_code: int = 200,
    numbers: CardNumbers | None = None,
    error: str | None = None,
    done: str | None = None,
) -> Response:
    cards = cards_of(session, blobs=hub.blobs, user_id=holder.id)
    court = session.get(Court, holder.court_code) if holder.court_code else None
    return page(
        request,
        "admin/cards.html",
        status_code=status_code,
        holder=holder,
        court=court.name if court else holder.court_code,
        cards=cards,
        numbers=numbers or CardNumbers(cards.work_card_no, cards.credential_no),
        names=NAMES,
        slugs=SLUGS,
        limit=LIMIT,
        error=error,
        done=DONE.get(done or ""),
    )


@router.get("/admin/users/{user_id}/cards", response_class=HTMLResponse)
def cards_page(
    request: Request,
    user_id: int,
    user: WebUserDep,
    session: SessionDep,
    hub: HubDep,
    done: str | None = None,
) -> Response:
    _admin(user)
    with in_chinese(MESSAGES):
        holder = card_holder(session, user_id=user_id)
    return _cards_page(request, session, hub, holder, done=done)


@router.post("/admin/users/{user_id}/cards", response_class=HTMLResponse)
def save_cards(
    request: Request, user_id: int, user: WebUserDep, session: SessionDep, hub: HubDep, form: CardFormDep
) -> Response:
    """Both numbers as typed, each image chosen replacing the stored one (an empty choice keeps it), and
    the images ticked for removal removed. A refused number or image: the form again (422), nothing saved."""
    with in_chinese(MESSAGES):
        holder = card_holder(session, user_id=user_id)
    typed = [form.get("work_card_no"), form.get("credential_no")]
    if not all(isinstance(value, str) for value in typed):
        raise Invalid("表单不完整：请返回证件页面刷新后重新填写。", code="invalid_parameters")
    numbers = CardNumbers(*typed)
    images: dict[Card, bytes] = {}
    names: dict[Card, str] = {}
    for card in CARDS:
        upload = form.get(f"{card}_image")
        if isinstance(upload, UploadFile) and upload.filename:
            images[card], names[card] = upload.file.read(), upload.filename
    remove = [card for card in CARDS if form.get(f"remove_{card}_image") and card not in images]
    try:
        changed = change_cards(
            session,
            blobs=hub.blobs,
            user_id=holder.id,
            actor=user.principal.actor,
            numbers=numbers,
            images=images,
            remove=remove,
        )
    except Invalid as exc:
        if exc.code not in MESSAGES:
            raise
        error = MESSAGES[exc.code]
        card = next((c for c in CARDS if exc.details and exc.details[0].path == f"{c}_image"), None)
        if card is not None:
            error = f"{NAMES[card]}图片（文件 {names[card]}）：{error}"
        return _cards_page(request, session, hub, holder, status_code=422, numbers=numbers, error=error)
    done = "saved" if changed else "unchanged"
    return RedirectResponse(f"/admin/users/{holder.id}/cards?done={done}", status_code=303)


def _inline(image: CardImage, name: str) -> Response:
    """The image as stored, for <img> and for opening in a tab: its own type, never sniffed, running
    nothing (NOTHING_HEADERS), kept by no cache."""
    extension = "png" if image.media_type == "image/png" else "jpg"
    headers = {
        "X-Content-SHA256": image.sha256,
        "Content-Disposition": f'inline; filename="{name}.{extension}"',
        "Cache-Control": "private, no-store",
        **NOTHING_HEADERS,
    }
    return Response(image.data, media_type=image.media_type, headers=headers)


def _image_route(card: Card) -> None:
    def card_image(user_id: int, user: WebUserDep, session: SessionDep, hub: HubDep) -> Response:
        if user.principal.role != "admin" and user.principal.user_id != user_id:
            raise Forbidden("执行证件图片仅供系统管理员和本人查看。")
        with in_chinese(MESSAGES):
            holder = card_holder(session, user_id=user_id)
        image = getattr(cards_of(session, blobs=hub.blobs, user_id=holder.id), card)
        if image is None:
            raise NotFound(f"尚未上传{NAMES[card]}图片。")
        return _inline(image, SLUGS[card])

    router.add_api_route(
        f"/users/{{user_id}}/cards/{SLUGS[card]}", card_image, methods=["GET"], name=f"{card}_image"
    )


for _card in CARDS:
    _image_route(_card)


@router.get("/me/cards", response_class=HTMLResponse)
def my_cards(request: Request, user: WebUserDep, session: SessionDep, hub: HubDep) -> Response:
    """The signed-in officer's (or supervisor's) own cards, as units' systems are given them."""
    if user.principal.role not in ("officer", "supervisor"):
        raise Forbidden("只有法院的执行人员和督办人有执行证件。")
    with in_chinese(MESSAGES):
        holder = card_holder(session, user_id=user.principal.user_id)
    cards = cards_of(session, blobs=hub.blobs, user_id=holder.id)
    return page(request, "my_cards.html", holder=holder, cards=cards, names=NAMES, slugs=SLUGS)
