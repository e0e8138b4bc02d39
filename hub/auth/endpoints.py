"""The users API, for administrators: an officer's enforcement cards (hub/auth/cards.py)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.auth.cards import (
    CARD_IMAGE_BYTES,
    Card,
    CardNumbers,
    OfficerCards,
    card_holder,
    change_cards,
    officer_cards,
)
from hub.auth.service import Principal
from hub.blobs import blob_response
from hub.deps import HubDep, PrincipalDep, SessionDep
from hub.errors import Conflict, Forbidden, NotFound, TooLarge, UnsupportedMedia

router = APIRouter(prefix="/api/v1", tags=["users"])

SLUGS: dict[Card, str] = {"work_card": "work-card", "credential_card": "credential-card"}
IMAGE_TYPES = ("image/jpeg", "image/png", "application/octet-stream")


def administrator(principal: PrincipalDep) -> Principal:
    """The caller, who must be an administrator: checked before the body is read or validated."""
    if principal.role != "admin":
        raise Forbidden("Only administrators manage officers' cards.")
    return principal


AdminDep = Annotated[Principal, Depends(administrator)]


class CardImageOut(BaseModel):
    sha256: str
    media_type: str = Field(description="image/jpeg or image/png.")
    size: int = Field(description="Bytes.")
    url: str = Field(description="Where to download it (GET, with the same token).")


class CardsOut(BaseModel):
    user_id: int
    username: str
    display_name: str
    court_code: str | None
    work_card_no: str | None = Field(description="工作证号")
    credential_no: str | None = Field(description="执行公务证号")
    work_card_image: CardImageOut | None = Field(description="工作证 image")
    credential_card_image: CardImageOut | None = Field(description="执行公务证 image")

    @classmethod
    def of(cls, cards: OfficerCards) -> "CardsOut":
        def image(card: Card) -> CardImageOut | None:
            found = getattr(cards, card)
            if found is None:
                return None
            url = f"/api/v1/users/{cards.user_id}/cards/{SLUGS[card]}"
            return CardImageOut(
                sha256=found.sha256, media_type=found.media_type, size=len(found.data), url=url
            )

        return cls(
            user_id=cards.user_id,
            username=cards.username,
            display_name=cards.name,
            court_code=cards.court_code,
            work_card_no=cards.work_card_no,
            credential_no=cards.credential_no,
            work_card_image=image("work_card"),
            credential_card_image=image("credential_card"),
        )


class ImageRef(BaseModel):
    sha256: str = Field(description="The image's sha256 as GET answers it: the image is kept.")


class CardsIn(BaseModel):
    """The officer's cards as GET answers them (other fields are ignored, so GET's answer can be sent back
    changed). Both numbers are set (null or "" for none); an image field is optional: absent or naming the
    stored image's sha256 keeps it, null removes it. A new image is sent with PUT .../cards/work-card or
    .../cards/credential-card."""

    model_config = ConfigDict(extra="ignore")

    work_card_no: str | None = Field(description="工作证号: at most 40 characters, on one line.")
    credential_no: str | None = Field(description="执行公务证号: at most 40 characters, on one line.")
    work_card_image: ImageRef | None = None
    credential_card_image: ImageRef | None = None


def _cards(session: SessionDep, hub: HubDep, user_id: int) -> CardsOut:
    return CardsOut.of(officer_cards(session, blobs=hub.blobs, user_id=user_id))


@router.get("/users/{user_id}/cards", response_model=CardsOut)
def get_cards(user_id: int, session: SessionDep, hub: HubDep, _: AdminDep) -> CardsOut:
    """An officer's (or supervisor's) enforcement cards: the 工作证 and 执行公务证 numbers, and their images
    as units' systems fetch them (zjInfo). Administrators only; 409 not_court_user for anyone else's user."""
    card_holder(session, user_id=user_id)
    return _cards(session, hub, user_id)


@router.put("/users/{user_id}/cards", response_model=CardsOut)
def put_cards(user_id: int, body: CardsIn, session: SessionDep, hub: HubDep, principal: AdminDep) -> CardsOut:
    """Set both card numbers, and keep or remove each image (CardsIn). 422 card_number for a number past
    40 characters or with a control character; 409 image_changed when an image's sha256 is not the one
    stored (send the new image to its own URL). Each change is in the audit log."""
    user = card_holder(session, user_id=user_id)
    remove: list[Card] = []
    for card, stored in (
        ("work_card", user.work_card_sha256),
        ("credential_card", user.credential_card_sha256),
    ):
        if f"{card}_image" not in body.model_fields_set:
            continue
        given = getattr(body, f"{card}_image")
        if given is None:
            remove.append(card)
        elif given.sha256 != stored:
            raise Conflict(
                f"{card}_image names {given.sha256}, not the stored image ({stored or 'none'}): send a new "
                f"image with PUT /api/v1/users/{user_id}/cards/{SLUGS[card]}, or null to remove it.",
                code="image_changed",
            )
    change_cards(
        session,
        blobs=hub.blobs,
        user_id=user_id,
        actor=principal.actor,
        numbers=CardNumbers(body.work_card_no, body.credential_no),
        remove=remove,
    )
    return _cards(session, hub, user_id)


async def _image_body(request: Request, _: AdminDep) -> bytes:
    """The request body as an image, read up to CARD_IMAGE_BYTES (413 past it, the rest unread), after
    the caller was found to be an administrator."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES:
        raise UnsupportedMedia(
            f"Send the image's bytes as the body, as image/jpeg or image/png (got {content_type or 'no type'})."
        )
    too_large = TooLarge(f"The image is larger than the limit of {CARD_IMAGE_BYTES} bytes.")
    declared = request.headers.get("content-length", "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) > CARD_IMAGE_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > CARD_IMAGE_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


ImageBody = Annotated[bytes, Depends(_image_body)]
IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in IMAGE_TYPES[:2]},
    }
}


def _card_routes(card: Card, label: str) -> None:
    path = f"/users/{{user_id}}/cards/{SLUGS[card]}"

    def put_image(
        user_id: int, data: ImageBody, session: SessionDep, hub: HubDep, principal: AdminDep
    ) -> Any:
        change_cards(session, blobs=hub.blobs, user_id=user_id, actor=principal.actor, images={card: data})
        return _cards(session, hub, user_id)

    def get_image(user_id: int, session: SessionDep, hub: HubDep, _: AdminDep) -> Response:
        card_holder(session, user_id=user_id)
        cards = officer_cards(session, blobs=hub.blobs, user_id=user_id)
        image = getattr(cards, card)
        if image is None:
            raise NotFound(f"{cards.username} has no {label} image.")
        extension = "png" if image.media_type == "image/png" else "jpg"
        return blob_response(hub.blobs, image.sha256, image.media_type, filename=f"{SLUGS[card]}.{extension}")

    put_image.__doc__ = (
        f"Replace the officer's {label} image: the body is the image itself (image/jpeg or image/png, at most "
        f"{CARD_IMAGE_BYTES // (1024 * 1024)} MiB), recognised by its bytes. 422 image_markup (SVG, HTML), "
        "image_type, image_broken (truncated), image_trailing, image_dimensions: nothing is stored."
    )
    get_image.__doc__ = f"The officer's {label} image, as a download (404 if none was stored)."
    router.add_api_route(
        path,
        put_image,
        methods=["PUT"],
        response_model=CardsOut,
        name=f"put_{card}_image",
        openapi_extra=IMAGE_BODY,
    )
    router.add_api_route(
        path,
        get_image,
        methods=["GET"],
        response_class=Response,
        name=f"get_{card}_image",
        responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}},
    )


for _card, _label in (("work_card", "work card (工作证)"), ("credential_card", "credential (执行公务证)")):
    _card_routes(_card, _label)
