"""Passwords (argon2), bearer tokens (only their sha256 is stored) and the principal a request acts as."""

import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.clock import now
from hub.models import ApiToken, User

ROLES = ("officer", "supervisor", "admin", "unit_staff")
TOKEN_PREFIX = "hub_"
_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """The user a call acts as, with the court or unit that scopes what it may see."""

    user_id: int
    username: str
    role: str
    court_code: str | None
    unit_code: str | None

    @property
    def actor(self) -> str:
        return f"user:{self.username}"

    @property
    def is_court(self) -> bool:
        return self.role in ("officer", "supervisor") and self.court_code is not None

    @property
    def is_unit(self) -> bool:
        return self.role == "unit_staff" and self.unit_code is not None


def principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.role, user.court_code, user.unit_code)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, *, user: User, label: str = "") -> str:
    """A new bearer token for `user`; the plain token is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_digest(token), label=label, created_at=now()))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == _token_digest(token), ApiToken.revoked_at.is_(None), User.active.is_(True)
        )
    ).scalar_one_or_none()
    return row


def user_by_name(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def unit_system_user(session: Session, *, unit_code: str, unit_name: str) -> User:
    """The account a unit's own system acts as when a channel brings its receipt (http-push, folder).

    Created on first use; it has no password and no token, so no one can sign in as it.
    """
    username = f"{unit_code}.system"
    user = user_by_name(session, username)
    if user is not None:
        return user
    user = User(
        username=username,
        display_name=f"{unit_name}（系统）",
        role="unit_staff",
        unit_code=unit_code,
        created_at=now(),
    )
    try:
        with session.begin_nested():  # another worker may create it at the same moment
            session.add(user)
            session.flush()
    except IntegrityError:
        user = user_by_name(session, username)
        assert user is not None
    return user
