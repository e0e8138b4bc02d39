"""Every request body bounded before it is read: per route, in the server, and per part of a form.

`BodyLimits` (installed by hub/app.py) gives each request a limit by its path: the submissions of
requests and receipts, through the API or the pages' upload forms, take `max_request_bytes` (the
document and every file together); every other route, /login first, takes SMALL_BODY_BYTES. A
Content-Length past the limit is answered 413 at once, before a byte of the body is read (a client
sending `Expect: 100-continue` never sends it); a body without one (chunked) is counted as it comes
and cut off past the limit. A route added with file uploads must be added to UPLOADS.

`read_form` parses a form as it streams, each part bounded as it comes: a file part past its limit
stops the parsing at once (PartTooLarge), where Starlette's parser would spool it whole to disk first
(its max_part_size bounds plain fields only).
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.errors import TooLarge, error_body

SMALL_BODY_BYTES = 64 * 1024  # a sign-in, a form of text fields, the API's JSON bodies
UPLOADS = re.compile(
    r"/api/v1/requests|/api/v1/tasks/\d+/receipts"  # the API's submissions
    r"|/requests/(?:new|upload|batch)"  # an officer's request, written here or uploaded, and a batch
    r"|/tasks/\d+/(?:receipt|receipt-xml|objection|controls/\d+/report)"  # a unit's receipts, with scans
    r"|/controls/\d+/(?:renew|release)"  # a renewal or release, with its ruling
    r"|/controls/import"  # controls made before the hub, a CSV file
    r"|/admin/calendar"  # a year's calendar notice
    r"|/admin/users/\d+/cards|/api/v1/users/\d+/cards/(?:work|credential)-card"  # an officer's card images
)
CKW = re.compile(r"/ws/ckw/[a-z0-9-]{2,40}")  # a unit system's 查控 call: its envelope_limit


def envelope_limit(settings) -> int:
    """A 查控 call's body: a few documents in base64 inside base64 (feedback of a batch of requests)."""
    return 4 * settings.max_document_bytes


def size_text(limit: int) -> str:
    """A limit as people read it: 50 MB, 64 KB."""
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


class _Exceeded(TooLarge):
    """Raised by the counted `receive`: the body passed the route's limit."""


class BodyLimits:
    """ASGI middleware: each request body within its route's limit (the module's docstring), else 413 in
    the one error shape (a page for the pages), and the connection closed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = scope["app"].state.hub.settings
        path = scope["path"]
        limit = (
            settings.max_request_bytes
            if UPLOADS.fullmatch(path)
            else envelope_limit(settings)
            if CKW.fullmatch(path)
            else SMALL_BODY_BYTES
        )
        declared = Headers(scope=scope).get("content-length", "")
        if declared.strip().isascii() and declared.strip().isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, limit)
            return
        received, started, exceeded = 0, False, False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _Exceeded(f"The request body is larger than the limit of {limit} bytes.")
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if exceeded and not started:  # the route answered the cut-off body its own way: ours instead
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await _refuse(scope, receive, send, limit)


async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    request = Request(scope, receive)
    pages = getattr(scope["app"].state, "error_page", None)
    if CKW.fullmatch(scope["path"]):  # a unit's SOAP client: a Fault it can log
        from hub.ckw import soap

        fault = soap.fault(soap.Fault(f"报文超过 {size_text(limit)} 的上限，未予接收"))
        response = Response(fault, status_code=TooLarge.status, media_type=soap.CONTENT_TYPE)
    elif pages is not None and not scope["path"].startswith("/api/"):
        response = pages(request, TooLarge(f"提交的内容超过 {size_text(limit)} 的上限，未予接收。"))
    else:
        message = f"The request body is larger than the limit of {limit} bytes for {scope['path']}."
        response = JSONResponse(error_body(TooLarge.code, message), status_code=TooLarge.status)
    response.headers["Connection"] = "close"  # the rest of the body is never read
    await response(scope, receive, send)


@dataclass(frozen=True)
class FormLimits:
    """How much one form may carry: file parts of `file_bytes` each (`by_name` for narrower ones), plain
    fields of `field_bytes` each, at most `max_files` files and `max_fields` fields."""

    file_bytes: int
    field_bytes: int
    max_files: int
    max_fields: int
    by_name: Mapping[str, int] = field(default_factory=dict)


class PartTooLarge(Exception):
    """A part of a form passed its limit; `filename` is None for a plain field."""

    def __init__(self, name: str, filename: str | None, limit: int) -> None:
        super().__init__(f"the part {name} is larger than {limit} bytes")
        self.name, self.filename, self.limit = name, filename, limit


class BadToken(Exception):
    """The form's first check (its CSRF token) failed, or a file came before it."""


class _BoundedParser(MultiPartParser):
    """Starlette's multipart parser, counting each part as it comes (file parts too)."""

    def __init__(self, request: Request, limits: FormLimits, check: tuple[str, Callable[[str], bool]] | None):
        super().__init__(
            request.headers,
            request.stream(),
            max_files=limits.max_files,
            max_fields=limits.max_fields,
            max_part_size=limits.field_bytes,
        )
        self.limits, self.check, self.checked = limits, check, check is None
        self.part_size, self.part_limit = 0, 0

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        part = self._current_part
        if part.file is not None and not self.checked:
            raise BadToken(f"a file came before the form's {self.check[0]}")
        default = self.limits.file_bytes if part.file is not None else self.limits.field_bytes
        self.part_size, self.part_limit = 0, self.limits.by_name.get(part.field_name, default)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.part_size += end - start
        if self.part_size > self.part_limit:
            part = self._current_part
            raise PartTooLarge(part.field_name, part.file.filename if part.file else None, self.part_limit)
        super().on_part_data(data, start, end)

    def on_part_end(self) -> None:
        super().on_part_end()
        name, value = self.items[-1]
        if self.check is not None and name == self.check[0] and isinstance(value, str):
            if not self.check[1](value):
                raise BadToken(f"the form's {name} is not valid")
            self.checked = True


async def read_form(
    request: Request, limits: FormLimits, *, check: tuple[str, Callable[[str], bool]] | None = None
) -> FormData:
    """The posted form (multipart or urlencoded), each part within `limits` while it is parsed.

    PartTooLarge for a part past its limit, before the rest is read; HTTPException 400 for a malformed
    form or too many parts, as Starlette answers. `check` = (field, ok): that field is checked as soon as
    it is read, and no file is taken before it (BadToken). The form is kept for request.form()."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    checked = check is None
    try:
        if content_type == "multipart/form-data":
            parser = _BoundedParser(request, limits, check)
            form = await parser.parse()
            checked = parser.checked
        elif content_type == "application/x-www-form-urlencoded":
            parser = FormParser(
                request.headers,
                request.stream(),
                max_fields=limits.max_fields,
                max_part_size=limits.field_bytes,
            )
            form = await parser.parse()
        else:
            form = FormData()
    except MultiPartException as exc:
        if exc.message.startswith("Field exceeded maximum size"):  # a urlencoded field
            raise PartTooLarge("", None, limits.field_bytes) from None
        raise HTTPException(status_code=400, detail=exc.message) from None
    if not checked:
        value = form.get(check[0])
        if not (isinstance(value, str) and check[1](value)):
            raise BadToken(f"the form's {check[0]} is missing or not valid")
    request._form = form  # request.form() answers it from now on
    return form
