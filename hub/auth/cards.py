"""An officer's enforcement cards: the numbers and images of his 工作证 (work card) and 执行公务证 (official
enforcement credential), which units' systems fetch with the court-side 查控 service's zjInfo.

Administrators set them (the users page and the users API); the officer sees his own. Only the court's
people (officers and supervisors) hold cards. An image is taken as an attacker would send it: only PNG or
JPEG, recognised by its bytes (never by a file name or a declared type), walked to its end (every PNG chunk
and its CRC, the pixel data inflated to the size its header declares; every JPEG segment up to its end
marker), with nothing after that end, and its width and height read from its header. SVG, HTML, a PDF or
a truncated file named card.png is refused with a code (Invalid, 422) the pages say again in Chinese.

The images are kept in the blob store and never owned by a court or unit (hub/blobs.py `own`): no court
sent them, and no document may list them by their hash. A replaced or removed image's bytes stay in the
store (the audit log names them).
"""

import unicodedata
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from sqlalchemy.orm import Session

from hub.audit import record
from hub.blobs import BlobStore
from hub.errors import Conflict, Invalid, NotFound
from hub.models import User
from hub.standard.xml import Problem

Card = Literal["work_card", "credential_card"]
CARDS: tuple[Card, ...] = get_args(Card)
CARD_ROLES = ("officer", "supervisor")
NUMBER_CHARS = 40  # users.work_card_no and users.credential_no

# 2 MiB per image. A card (85.6 x 54 mm) scanned at 300 dpi is about 1,000 x 640 pixels: 100-400 KB as a
# JPEG, about 1 MB as a PNG. zjInfo sends both images in one answer, base64 inside an XML document that is
# itself base64 (and, by the clients' default, each value base64 once more): two 2 MiB images make an
# answer of about 7.5 MB, which the units' Axis clients hold whole in memory as strings.
CARD_IMAGE_BYTES = 2 * 1024 * 1024
MAX_SIDE = 10_000  # pixels, either way
MAX_PIXELS = 25_000_000  # bounds the inflated PNG data walked (at most 8 bytes a pixel): 200 MB, < 1 s

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_START = b"\xff\xd8\xff"
_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG"}


@dataclass(frozen=True)
class CheckedImage:
    """Bytes that `check_image` found to be a whole PNG or JPEG."""

    data: bytes
    media_type: str  # image/png or image/jpeg
    width: int
    height: int


@dataclass(frozen=True)
class CardImage:
    sha256: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class OfficerCards:
    """What a unit's system is given of an officer's cards (zjInfo), and what his profile shows."""

    user_id: int
    username: str
    name: str  # display_name
    court_code: str | None
    work_card_no: str | None  # 工作证号
    credential_no: str | None  # 执行公务证号
    work_card: CardImage | None  # 工作证 image
    credential_card: CardImage | None  # 执行公务证 image


@dataclass(frozen=True)
class CardNumbers:
    work_card_no: str | None
    credential_no: str | None


# --- images ---------------------------------------------------------------------------------------


class _Broken(Exception):
    """The image is cut short or malformed: `args[0]` says where."""


def media_type_of(data: bytes) -> str:
    """image/png or image/jpeg by the first bytes of a stored card image (checked when it was stored)."""
    return "image/png" if data.startswith(PNG_SIGNATURE) else "image/jpeg"


def check_image(data: bytes) -> CheckedImage:
    """`data` as a card image, or Invalid (422) with one of the codes image_too_large, image_empty,
    image_markup (SVG, HTML, XML: text, not an image), image_type (not PNG or JPEG), image_broken
    (truncated or malformed), image_trailing (bytes after the image's end), image_dimensions."""
    if len(data) > CARD_IMAGE_BYTES:
        raise Invalid(
            f"The image is {len(data)} bytes, past the limit of {CARD_IMAGE_BYTES} bytes: scan the card at "
            "300 dpi or save it as a JPEG.",
            code="image_too_large",
        )
    if not data:
        raise Invalid("The image is empty.", code="image_empty")
    if data.startswith(PNG_SIGNATURE):
        media_type, walk = "image/png", _png
    elif data.startswith(JPEG_START):
        media_type, walk = "image/jpeg", _jpeg
    elif data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise Invalid(
            "This is markup (SVG, HTML or XML), not an image: send a JPEG or PNG.", code="image_markup"
        )
    else:
        raise Invalid(
            f"This is {_what(data)}, not a JPEG or PNG image (recognised by its bytes, whatever its name).",
            code="image_type",
        )
    try:
        width, height, end = walk(data)
    except _Broken as exc:
        raise Invalid(
            f"The {_NAMES[media_type]} image is cut short or broken: {exc}.", code="image_broken"
        ) from None
    if data[end:].strip(b"\x00"):
        raise Invalid(
            f"{len(data) - end} bytes follow the end of the {_NAMES[media_type]} image: save the image again.",
            code="image_trailing",
        )
    return CheckedImage(data, media_type, width, height)


def _what(data: bytes) -> str:
    known = {b"GIF8": "a GIF", b"%PDF": "a PDF", b"BM": "a BMP", b"II*\x00": "a TIFF", b"MM\x00*": "a TIFF"}
    for magic, name in known.items():
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP"
    if data[4:8] == b"ftyp":
        return "an HEIF or MP4"
    return "a file of another kind"


def _size(width: int, height: int) -> None:
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE and width * height <= MAX_PIXELS):
        raise Invalid(
            f"The image is {width} x {height} pixels: each side must be 1 to {MAX_SIDE} pixels, and the "
            f"image at most {MAX_PIXELS} pixels.",
            code="image_dimensions",
        )


_PNG_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_INFLATE_STEP = 1024 * 1024


def _png(data: bytes) -> tuple[int, int, int]:
    """Width, height and end offset of a PNG: its chunks walked with their CRCs to IEND, its pixel data
    inflated to exactly the size its header declares."""
    pos, header, idat, idat_ended, palette = len(PNG_SIGNATURE), None, [], False, False
    while True:
        if pos + 12 > len(data):
            raise _Broken(f"the file ends at byte {len(data)}, inside a chunk, before IEND")
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if length > 2**31 - 1 or pos + 12 + length > len(data):
            raise _Broken(f"the chunk {kind.decode('latin-1')!r} at byte {pos} runs past the end of the file")
        if not (kind.isascii() and kind.isalpha()):
            raise _Broken(f"no chunk type at byte {pos}")
        body = data[pos + 8 : pos + 8 + length]
        if zlib.crc32(kind + body) != int.from_bytes(data[pos + 8 + length : pos + 12 + length], "big"):
            raise _Broken(f"the chunk {kind.decode()} at byte {pos} fails its CRC")
        pos += 12 + length
        if header is None:
            if kind != b"IHDR" or length != 13:
                raise _Broken("it does not begin with its header (IHDR)")
            header = _png_header(body)
        elif kind == b"IDAT":
            if idat_ended:
                raise _Broken("its image data (IDAT) is not in one run")
            idat.append(body)
        elif kind == b"IEND":
            break
        else:
            idat_ended = bool(idat)
            palette = palette or kind == b"PLTE"
            if kind[0:1].isupper() and kind not in (b"PLTE",):  # a critical chunk no decoder may skip
                raise _Broken(f"it holds a critical chunk {kind.decode()} where PNG allows none")
    width, height, depth, colour, interlaced = header
    if not idat:
        raise _Broken("it holds no image data (IDAT)")
    if colour == 3 and not palette:
        raise _Broken("its colours are from a palette, and it has none (PLTE)")
    _size(width, height)
    channels = _PNG_CHANNELS[colour]

    def rows(w: int, h: int) -> int:
        return h * (1 + (w * channels * depth + 7) // 8) if w and h else 0

    passes = _ADAM7 if interlaced else ((0, 0, 1, 1),)
    expected = sum(rows((width - x + dx - 1) // dx, (height - y + dy - 1) // dy) for x, y, dx, dy in passes)
    inflater, pending, inflated = zlib.decompressobj(), b"".join(idat), 0
    try:
        while not inflater.eof:
            out = inflater.decompress(pending, _INFLATE_STEP)
            inflated += len(out)
            if inflated > expected:
                raise _Broken(f"it holds more pixel data than {width} x {height} pixels")
            pending = inflater.unconsumed_tail
            if not pending and len(out) < _INFLATE_STEP:
                break
    except zlib.error as exc:
        raise _Broken(f"its pixel data do not inflate ({exc})") from None
    if not inflater.eof or inflated != expected:
        raise _Broken(f"its pixel data end after {inflated} of {expected} bytes")
    return width, height, pos


def _png_header(body: bytes) -> tuple[int, int, int, int, bool]:
    width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
    depth, colour, compression, filtering, interlace = body[8:13]
    if depth not in _PNG_DEPTHS.get(colour, ()) or compression or filtering or interlace > 1:
        raise _Broken(f"its header declares no PNG format (bit depth {depth}, colour type {colour})")
    _size(width, height)
    return width, height, depth, colour, interlace == 1


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data: bytes) -> tuple[int, int, int]:
    """Width, height and end offset of a JPEG: every segment walked, each scan's data to its next marker,
    up to the end marker (EOI); one frame header (SOF) before the first scan (SOS)."""
    pos, size, scans, n = 2, None, 0, len(data)
    while True:
        if pos >= n or data[pos] != 0xFF:
            raise _Broken(f"no marker at byte {pos}" if pos < n else "the file ends before its end marker")
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            raise _Broken("the file ends before its end marker")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            continue
        if marker in (0x00, 0xD8):
            raise _Broken(f"a misplaced marker at byte {pos - 1}")
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > n:
            raise _Broken(f"the segment at byte {pos - 2} runs past the end of the file")
        segment = data[pos + 2 : pos + length]
        pos += length
        if marker in _SOF:
            if size is not None:
                raise _Broken("it has two frame headers")
            if len(segment) < 6 or len(segment) != 6 + 3 * segment[5] or not 1 <= segment[5] <= 4:
                raise _Broken("its frame header (SOF) is malformed")
            height, width = int.from_bytes(segment[1:3], "big"), int.from_bytes(segment[3:5], "big")
            _size(width, height)
            size = (width, height)
        elif marker == 0xDA:  # SOS: the scan's entropy-coded data follow, up to the next true marker
            if size is None:
                raise _Broken("its image data come before its frame header")
            if not segment or len(segment) != 4 + 2 * segment[0]:
                raise _Broken("its scan header (SOS) is malformed")
            scans += 1
            while True:
                found = data.find(b"\xff", pos)
                if found < 0 or found + 1 >= n:
                    raise _Broken("the file ends inside its image data")
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:  # a stuffed 0xFF, a restart marker
                    pos = found + 2
                    continue
                pos = found
                break
    if size is None or not scans:
        raise _Broken("it has no frame header or no image data")
    return size[0], size[1], pos


# --- the cards ------------------------------------------------------------------------------------


def card_holder(session: Session, *, user_id: int) -> User:
    """The user `user_id`, who must be a court's officer or supervisor: NotFound, else Conflict (409,
    not_court_user) for anyone else (an administrator or a unit's staff holds no enforcement card)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    if user.role not in CARD_ROLES or user.court_code is None:
        raise Conflict(
            f"{user.username} is not a court's officer or supervisor: only they hold enforcement cards.",
            code="not_court_user",
        )
    return user


_NOT_IN_A_NUMBER = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def card_number(value: str | None, field: str) -> str | None:
    """A card number as typed: trimmed, None when empty; Invalid (card_number) past 40 characters or with
    a control character or line break."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > NUMBER_CHARS or any(unicodedata.category(c) in _NOT_IN_A_NUMBER for c in text):
        raise Invalid(
            f"{field} must be at most {NUMBER_CHARS} characters on one line, without control characters.",
            code="card_number",
        )
    return text


def sha256_of(user: User, card: Card) -> str | None:
    return user.work_card_sha256 if card == "work_card" else user.credential_card_sha256


def _set_sha256(user: User, card: Card, value: str | None) -> None:
    if card == "work_card":
        user.work_card_sha256 = value
    else:
        user.credential_card_sha256 = value


def change_cards(
    session: Session,
    *,
    blobs: BlobStore,
    user_id: int,
    actor: str,
    numbers: CardNumbers | None = None,
    images: Mapping[Card, bytes] | None = None,
    remove: Iterable[Card] = (),
) -> list[str]:
    """Set an officer's card numbers (`numbers`: both, None or "" for none), replace card images
    (`images`) and remove others (`remove`; an image given for the same card wins).

    Everything is checked before anything is written: an invalid number or image (Invalid, codes from
    `card_number` and `check_image`) leaves the officer, the blob store and the audit log as they were.
    Each change is an audit event on the user: card.numbers_set, card.image_set, card.image_removed.
    Returns the kinds recorded (empty when nothing changed). Flushes, never commits."""
    user = card_holder(session, user_id=user_id)
    images = dict(images or {})
    new_numbers = (
        CardNumbers(
            card_number(numbers.work_card_no, "work_card_no"),
            card_number(numbers.credential_no, "credential_no"),
        )
        if numbers is not None
        else None
    )
    checked = {card: _checked(card, data) for card, data in images.items()}
    recorded: list[str] = []

    def event(kind: str, **data: object) -> None:
        record(
            session,
            actor=actor,
            kind=kind,
            entity="user",
            entity_id=user.id,
            data={"username": user.username, **data},
        )
        recorded.append(kind)

    if new_numbers is not None and new_numbers != CardNumbers(user.work_card_no, user.credential_no):
        user.work_card_no, user.credential_no = new_numbers.work_card_no, new_numbers.credential_no
        event("card.numbers_set", work_card_no=user.work_card_no, credential_no=user.credential_no)
    for card, image in checked.items():
        digest = blobs.put(session, image.data)
        if digest == sha256_of(user, card):
            continue
        _set_sha256(user, card, digest)
        event(
            "card.image_set",
            card=card,
            sha256=digest,
            media_type=image.media_type,
            size=len(image.data),
            width=image.width,
            height=image.height,
        )
    for card in dict.fromkeys(remove):
        if card in checked or sha256_of(user, card) is None:
            continue
        event("card.image_removed", card=card, sha256=sha256_of(user, card))
        _set_sha256(user, card, None)
    session.flush()
    return recorded


def _checked(card: Card, data: bytes) -> CheckedImage:
    """check_image, its refusal naming the card (in its message, and as the path of its one detail)."""
    try:
        return check_image(data)
    except Invalid as exc:
        message = f"{card}_image: {exc.message}"
        raise Invalid(message, code=exc.code, details=[Problem(None, f"{card}_image", exc.message)]) from None


def officer_cards(session: Session, *, blobs: BlobStore, user_id: int) -> OfficerCards:
    """An officer's card numbers and images (bytes and media type), for zjInfo and the pages. NotFound if
    there is no such user; any user's answer is given (a user without cards has None in every field)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")

    def image(card: Card) -> CardImage | None:
        digest = sha256_of(user, card)
        if digest is None:
            return None
        data = blobs.read(digest)
        return CardImage(digest, media_type_of(data), data)

    return OfficerCards(
        user_id=user.id,
        username=user.username,
        name=user.display_name,
        court_code=user.court_code,
        work_card_no=user.work_card_no,
        credential_no=user.credential_no,
        work_card=image("work_card"),
        credential_card=image("credential_card"),
    )
