"""Dependencies of the web pages: the signed-in user (else to the sign-in page), and forms checked for CSRF."""

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData

from hub.clock import now
from hub.db import unit_of_work
from hub.deps import HubDep
from hub.errors import Forbidden
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


async def checked_form(request: Request, user: WebUserDep) -> FormData:
    """The posted form, refused unless it carries the session's CSRF token."""
    form = await request.form()
    given = form.get("csrf")
    if not csrf_ok(user.csrf_token, given if isinstance(given, str) else None):
        raise Forbidden("表单已过期或来源不明，请返回上一页刷新后重新提交。", code="csrf")
    return form


FormDep = Annotated[FormData, Depends(checked_form)]
