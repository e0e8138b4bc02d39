"""Dependencies of the web pages: the signed-in user (else to the sign-in page), and forms checked for CSRF."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData

from hub.clock import now
from hub.db import unit_of_work
from hub.deps import HubDep
from hub.errors import Forbidden, HubError, TooLarge
from hub.limits import SMALL_BODY_BYTES, BadToken, FormLimits, PartTooLarge, read_form, size_text
from hub.web.session import COOKIE, SignedIn, csrf_ok, signed_in


class SignInNeeded(Exception):
    """No open session: the page answers with a redirect to /login?next=<this page>."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def web_user(request: Request, hub: HubDep) -> SignedIn:
    with unit_of_work(hub.sessions) as session:
        user = signed_in(session, token=request.cookies.get(COOKIE), at=now())
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(quote(target, safe="/?=&"))
    request.state.user = user
    return user


WebUserDep = Annotated[SignedIn, Depends(web_user)]


async def checked_form(request: Request, user: WebUserDep, hub: HubDep) -> FormData:
    """The posted form, refused unless it carries the session's CSRF token. The token is checked as soon as
    it is read, before any file part is taken (the pages' forms put it first), and each part is refused
    (413) as soon as it passes its limit: a file max_file_bytes, a field SMALL_BODY_BYTES (hub/limits.py).
    Narrower limits (a document, a calendar notice) are the routes' own."""
    limits = FormLimits(
        file_bytes=hub.settings.max_file_bytes, field_bytes=SMALL_BODY_BYTES, max_files=200, max_fields=2000
    )
    return await read_checked_form(request, user, limits)


async def read_checked_form(
    request: Request, user: SignedIn, limits: FormLimits, *, part: str = "文件"
) -> FormData:
    """The posted form within `limits`, its CSRF token checked first; a file past its limit is named as a
    `part` (文件, 图片)."""
    try:
        return await read_form(request, limits, check=("csrf", lambda given: csrf_ok(user.csrf_token, given)))
    except BadToken:
        raise Forbidden("表单已过期或来源不明，请返回上一页刷新后重新提交。", code="csrf") from None
    except PartTooLarge as exc:
        what = f"{part} {exc.filename} " if exc.filename else "表单中的一项"
        raise TooLarge(f"{what}超过 {size_text(exc.limit)} 的上限，未予接收。") from None


@contextmanager
def in_chinese(messages: Mapping[str, str]) -> Iterator[None]:
    """A service's refusal, said again in Chinese when `messages` knows its code."""
    try:
        yield
    except HubError as exc:
        if exc.code not in messages:
            raise
        raise type(exc)(messages[exc.code], code=exc.code) from exc


FormDep = Annotated[FormData, Depends(checked_form)]
