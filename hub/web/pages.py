"""Signing in and out, the home page of each role, and errors shown as pages."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hub.clock import now
from hub.db import unit_of_work
from hub.deps import HubDep
from hub.errors import HubError
from hub.web.deps import FormDep, SignInNeeded, WebUserDep
from hub.web.session import COOKIE, SignInRefused, sign_in, sign_out, signed_in
from hub.web.templating import page

router = APIRouter(include_in_schema=False)

HOMES = {"officer": "/requests", "supervisor": "/supervision", "admin": "/admin", "unit_staff": "/inbox"}


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never another host (browsers read "/\\host" as "//host")."""
    if not target or not target.startswith("/") or target[1:2] in ("/", "\\") or urlsplit(target).netloc:
        return None
    return target


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, hub: HubDep, next: str | None = None) -> Response:
    with unit_of_work(hub.sessions) as session:  # already signed in: the frame says as whom
        request.state.user = signed_in(session, token=request.cookies.get(COOKIE), at=now())
    return page(request, "login.html", next=_safe_next(next), error=None, username="")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    hub: HubDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str | None, Form()] = None,
) -> Response:
    with unit_of_work(hub.sessions) as session:  # a refusal commits too: it counts towards the lock-out
        try:
            token = sign_in(session, settings=hub.settings, username=username, password=password, at=now())
        except SignInRefused as exc:
            refusal = str(exc)
        else:
            refusal = None
    if refusal is not None:
        return page(
            request, "login.html", status_code=401, next=_safe_next(next), error=refusal, username=username
        )
    with unit_of_work(hub.sessions) as session:
        user = signed_in(session, token=token, at=now())
    response = RedirectResponse(_safe_next(next) or HOMES[user.principal.role], status_code=303)
    secure = request.url.scheme == "https" or hub.settings.public_url.startswith("https://")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=int(hub.settings.session_hours * 3600),
    )
    return response


@router.post("/logout")
def logout(request: Request, hub: HubDep, _: FormDep) -> Response:
    with unit_of_work(hub.sessions) as session:
        sign_out(session, token=request.cookies.get(COOKIE), at=now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(user: WebUserDep) -> Response:
    return RedirectResponse(HOMES[user.principal.role], status_code=303)


def error_page(request: Request, exc: HubError) -> Response:
    """A HubError raised by a page, shown as a page in the site's frame (hub/errors.py calls it)."""
    return page(request, "error.html", status_code=exc.status, message=exc.message, details=exc.details)


def sign_in_needed(request: Request, exc: SignInNeeded) -> Response:
    return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)
