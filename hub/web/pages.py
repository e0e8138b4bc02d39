"""Signing in and out, the home page of each role, and errors shown as pages."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.auth.lockout import source_of
from hub.clock import now
from hub.db import unit_of_work
from hub.deps import HubDep
from hub.errors import HubError
from hub.web.deps import FormDep, SignInNeeded, WebUserDep
from hub.web.session import (
    COOKIE,
    LOGIN_COOKIE,
    SignInRefused,
    from_elsewhere,
    login_csrf,
    login_form_ok,
    login_nonce,
    sign_in,
    sign_out,
    signed_in,
)
from hub.web.templating import page

router = APIRouter(include_in_schema=False)

HOMES = {"officer": "/requests", "supervisor": "/supervision", "admin": "/admin", "unit_staff": "/inbox"}
STALE_FORM = "表单已过期，请刷新页面后重新登录。"


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (browsers read "/\\host" as "//host")."""
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\") or urlsplit(target).netloc:
        return None
    return target


def _secure(request: Request, hub: HubDep) -> bool:
    """Cookies are Secure when the browser reaches the hub over https (itself, or its public URL)."""
    return request.url.scheme == "https" or hub.settings.public_url.startswith("https://")


def _login_page(
    request: Request,
    hub: HubDep,
    *,
    status_code: int = 200,
    error: str | None,
    username: str,
    next: str | None,
) -> Response:
    """The sign-in form, with the token bound to this browser's LOGIN_COOKIE (given or renewed here)."""
    nonce = login_nonce(request.cookies.get(LOGIN_COOKIE))
    response = page(
        request,
        "login.html",
        status_code=status_code,
        next=_safe_next(next),
        error=error,
        username=username,
        login_csrf=login_csrf(hub.settings, nonce),
    )
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        LOGIN_COOKIE, nonce, httponly=True, samesite="strict", secure=_secure(request, hub), path="/login"
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, hub: HubDep, next: str | None = None) -> Response:
    with unit_of_work(hub.sessions) as session:  # already signed in: the frame says as whom
        request.state.user = signed_in(session, token=request.cookies.get(COOKIE), at=now())
    return _login_page(request, hub, error=None, username="", next=next)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    hub: HubDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str | None, Form()] = None,
    login_csrf: Annotated[str, Form()] = "",
) -> Response:
    """Sign in. A form posted from another site (its Origin or Referer), or without the token of this
    browser's sign-in form, is refused (403) before any password is looked at."""
    foreign = from_elsewhere(
        origin=request.headers.get("origin"),
        referer=request.headers.get("referer"),
        host=request.headers.get("host"),
        public_url=hub.settings.public_url,
    )
    if foreign or not login_form_ok(hub.settings, nonce=request.cookies.get(LOGIN_COOKIE), given=login_csrf):
        return _login_page(request, hub, status_code=403, error=STALE_FORM, username="", next=next)
    source = source_of(request.client.host if request.client else None)
    with unit_of_work(hub.sessions) as session:  # a refusal commits too: it counts towards a lock-out
        try:
            token = sign_in(
                session, settings=hub.settings, username=username, password=password, at=now(), source=source
            )
        except SignInRefused as exc:
            refusal = str(exc)
        else:
            refusal = None
    if refusal is not None:
        return _login_page(request, hub, status_code=401, error=refusal, username=username, next=next)
    with unit_of_work(hub.sessions) as session:
        user = signed_in(session, token=token, at=now())
    response = RedirectResponse(_safe_next(next) or HOMES[user.principal.role], status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",  # not strict: a link from an alert e-mail opens the page signed in
        secure=_secure(request, hub),
        max_age=int(hub.settings.session_hours * 3600),
    )
    response.delete_cookie(
        LOGIN_COOKIE, path="/login", httponly=True, samesite="strict", secure=_secure(request, hub)
    )
    return response


@router.post("/logout")
def logout(request: Request, hub: HubDep, _: FormDep) -> Response:
    with unit_of_work(hub.sessions) as session:
        sign_out(session, token=request.cookies.get(COOKIE), at=now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, httponly=True, samesite="lax", secure=_secure(request, hub))
    return response


@router.get("/", response_class=HTMLResponse)
def home(user: WebUserDep) -> Response:
    return RedirectResponse(HOMES[user.principal.role], status_code=303)


def error_page(request: Request, exc: HubError) -> Response:
    """A HubError raised by a page, shown as a page in the site's frame (hub/errors.py calls it)."""
    return page(request, "error.html", status_code=exc.status, message=exc.message, details=exc.details)


def sign_in_needed(request: Request, exc: SignInNeeded) -> Response:
    return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)
