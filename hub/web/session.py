"""Signing in with a password, the session cookie behind it, and the CSRF tokens of the sign-in form and
of a session's forms.

The cookie holds a random token; only its sha256 is stored, with the session's CSRF token. A sign-in is
refused with one answer whether the account is unknown, inactive (or of an inactive unit), locked, or the
password wrong, after the same argon2 work; lock-outs are per (account, address) and per address
(hub/auth/lockout.py).

The sign-in form is posted before there is a session, so its CSRF token is bound to the browser instead:
GET /login gives it a random cookie (LOGIN_COOKIE) and the form an HMAC of it under HUB_SECRET_KEY; a
posted form must carry the HMAC of the cookie it comes with, and an Origin (or Referer) that is the hub's.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hub.auth import lockout
from hub.auth.service import Principal, check_password, hash_password, principal, unit_is_active, user_by_name
from hub.config import Settings
from hub.models import Unit, User, WebSession

COOKIE = "hub_session"
LOGIN_COOKIE = "hub_login"  # the sign-in form's browser binding, before there is a session
REFUSED = "用户名或密码不正确。多次输错后将暂时无法登录，请稍后再试或联系系统管理员。"


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


class SignInRefused(Exception):
    """The sign-in is refused (the same for every reason); the message is for the page."""


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    display_name: str
    csrf_token: str
    session_id: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(
    session: Session,
    *,
    settings: Settings,
    username: str,
    password: str,
    at: datetime,
    source: str = "local",
) -> str:
    """Check the password and open a session; returns the cookie's token. Raises SignInRefused, with the
    same message after the same work whatever the reason. `source` is the caller's address."""
    name = username.strip()
    account = user_by_name(session, name)
    usable = (
        account
        if account is not None
        and account.active
        and account.password_hash is not None
        and unit_is_active(session, unit_code=account.unit_code)
        else None
    )
    right = check_password(usable.password_hash if usable else _dummy_hash(), password)
    if lockout.locked(session, settings=settings, username=name, source=source, at=at):
        raise SignInRefused(REFUSED)  # not counted: the lock ends on time
    if usable is None or not right:
        lockout.count_failure(
            session, settings=settings, username=name, source=source, at=at, account=account
        )
        raise SignInRefused(REFUSED)
    lockout.signed_in_from(session, settings=settings, username=name, source=source, at=at)
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=usable.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=at,
            expires_at=at + timedelta(hours=settings.session_hours),
        )
    )
    session.flush()
    return token


def signed_in(session: Session, *, token: str | None, at: datetime) -> SignedIn | None:
    """The session a cookie names, if it is open and its user active (and the user's unit, if any)."""
    if not token:
        return None
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .outerjoin(Unit, Unit.code == User.unit_code)
        .where(
            WebSession.token_hash == _digest(token),
            WebSession.ended_at.is_(None),
            WebSession.expires_at > at,
            User.active.is_(True),
            or_(User.unit_code.is_(None), Unit.active.is_(True)),
        )
    ).first()
    if row is None:
        return None
    web, user = row
    return SignedIn(principal(user), user.display_name, web.csrf_token, web.id)


def sign_out(session: Session, *, token: str | None, at: datetime) -> None:
    if token:
        session.execute(update(WebSession).where(WebSession.token_hash == _digest(token)).values(ended_at=at))


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())


def login_nonce(cookie: str | None) -> str:
    """The browser's sign-in binding: the one its LOGIN_COOKIE holds (several open forms stay valid), or new."""
    if cookie and re.fullmatch(r"[A-Za-z0-9_-]{32,64}", cookie):
        return cookie
    return secrets.token_urlsafe(32)


def login_csrf(settings: Settings, nonce: str) -> str:
    """The sign-in form's token for a browser whose LOGIN_COOKIE is `nonce`."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"login-form:" + nonce.encode(), hashlib.sha256).hexdigest()


def login_form_ok(settings: Settings, *, nonce: str | None, given: str | None) -> bool:
    """Whether a posted sign-in form carries the token of the browser's own LOGIN_COOKIE."""
    return bool(nonce) and csrf_ok(login_csrf(settings, nonce or ""), given)


def from_elsewhere(*, origin: str | None, referer: str | None, host: str | None, public_url: str) -> bool:
    """Whether a browser says the form was posted from a page of another site: its Origin (else its
    Referer) is neither the hub's public URL nor the host it called. A browser that sends neither is judged
    by the form's token alone; Origin "null" (a sandboxed or opaque page) is another site."""
    claimed = origin if origin is not None else referer
    if claimed is None:
        return False
    parts = urlsplit(claimed.strip())
    if not parts.scheme or not parts.netloc:
        return True
    public = urlsplit(public_url)
    if (parts.scheme.lower(), parts.netloc.lower()) == (public.scheme.lower(), public.netloc.lower()):
        return False
    return not host or parts.netloc.lower() != host.strip().lower()
