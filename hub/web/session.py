"""Signing in with a password, the session cookie behind it, and the CSRF token of its forms.

The cookie holds a random token; only its sha256 is stored, with the session's CSRF token. After
HUB_LOGIN_MAX_FAILURES wrong passwords in a row an account is locked for HUB_LOGIN_LOCK_MINUTES, and a
sign-in to it is refused without checking the password. A wrong username costs the same argon2 work as a
wrong password, so the answer does not tell which one was wrong.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.audit import record
from hub.auth.service import Principal, check_password, hash_password, principal, user_by_name
from hub.config import Settings
from hub.models import User, WebSession

COOKIE = "hub_session"


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


class SignInRefused(Exception):
    """The username and password do not match, or the account is locked; the message is for the page."""


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    display_name: str
    csrf_token: str
    session_id: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(session: Session, *, settings: Settings, username: str, password: str, at: datetime) -> str:
    """Check the password and open a session; returns the cookie's token. Raises SignInRefused."""
    user = user_by_name(session, username.strip())
    if user is None or not user.active or user.password_hash is None:
        check_password(_dummy_hash(), password)  # the same work as for a real account
        raise SignInRefused("用户名或密码不正确。")
    if user.locked_until is not None and user.locked_until > at:
        raise SignInRefused("该账号因多次密码错误已被暂时锁定，请稍后再试或联系系统管理员。")
    if not check_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until, user.failed_logins = at + timedelta(minutes=settings.login_lock_minutes), 0
            record(
                session,
                actor="hub",
                kind="user.locked",
                entity="user",
                entity_id=user.id,
                data={"username": user.username, "until": user.locked_until.isoformat()},
            )
            raise SignInRefused("密码错误次数过多，该账号已被暂时锁定，请稍后再试或联系系统管理员。")
        raise SignInRefused("用户名或密码不正确。")
    user.failed_logins, user.locked_until = 0, None
    token = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=at,
            expires_at=at + timedelta(hours=settings.session_hours),
        )
    )
    session.flush()
    return token


def signed_in(session: Session, *, token: str | None, at: datetime) -> SignedIn | None:
    """The session a cookie names, if it is open and its user active."""
    if not token:
        return None
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.token_hash == _digest(token),
            WebSession.ended_at.is_(None),
            WebSession.expires_at > at,
            User.active.is_(True),
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
    return bool(given) and hmac.compare_digest(expected, given or "")
