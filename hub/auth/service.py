"""Passwords (argon2), bearer tokens (only their sha256 is stored) and the principal a request acts as."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.audit import record
from hub.auth import lockout
from hub.clock import now
from hub.config import Settings
from hub.errors import Conflict, Forbidden, NotFound
from hub.models import ApiToken, Unit, User

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
    """The active user a token names, unless revoked or of a unit no longer active in the directory."""
    row = session.execute(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .outerjoin(Unit, Unit.code == User.unit_code)
        .where(
            ApiToken.token_hash == _token_digest(token),
            ApiToken.revoked_at.is_(None),
            User.active.is_(True),
            or_(User.unit_code.is_(None), Unit.active.is_(True)),
        )
    ).scalar_one_or_none()
    return row


def unit_is_active(session: Session, *, unit_code: str | None) -> bool:
    """Whether a user of `unit_code` may act: a court's or the hub's user (None) always may."""
    if unit_code is None:
        return True
    return bool(session.execute(select(Unit.active).where(Unit.code == unit_code)).scalar_one_or_none())


def user_by_name(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def unit_system_user(session: Session, *, unit_code: str, unit_name: str) -> User:
    """The account a unit's own system acts as when a channel brings its receipt (http-push, folder).

    Created on first use; it has no password and no token, so no one can sign in as it. Refused (403)
    while the unit or the account is inactive: a unit that left the directory answers nothing.
    """
    username = f"{unit_code}.system"
    user = user_by_name(session, username)
    if user is not None:
        if not (user.active and unit_is_active(session, unit_code=unit_code)):
            raise Forbidden(f"Unit {unit_code} is not active in the directory.", code="unit_inactive")
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


# --- For administrators: the accounts and their tokens, issuing, revoking, unlocking ----------------


@dataclass(frozen=True)
class Account:
    user: User
    tokens: list[ApiToken]  # oldest first, revoked ones included


def accounts(session: Session) -> list[Account]:
    """Every user with its API tokens, by role then username."""
    order = case({role: i for i, role in enumerate(ROLES)}, value=User.role, else_=len(ROLES))
    users = session.execute(select(User).order_by(order, User.username)).scalars().all()
    tokens: dict[int, list[ApiToken]] = {}
    for token in session.execute(select(ApiToken).order_by(ApiToken.id)).scalars():
        tokens.setdefault(token.user_id, []).append(token)
    return [Account(user, tokens.get(user.id, [])) for user in users]


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


def is_unit_system(user: User) -> bool:
    """The account of a unit's own system (unit_system_user): no one signs in as it, with no token either."""
    return user.unit_code is not None and user.username == f"{user.unit_code}.system"


def grant_token(session: Session, *, user_id: int, label: str, actor: str) -> str:
    """issue_token for an administrator, recorded in the audit log ("token.issued"). Refused (409) for an
    inactive account, one of an inactive unit, and a unit's system account. The plain token is returned once."""
    user = _user(session, user_id)
    if not user.active:
        raise Conflict(f"User {user.username} is not active.", code="user_inactive")
    if not unit_is_active(session, unit_code=user.unit_code):
        raise Conflict(f"The unit {user.unit_code} of {user.username} is not active.", code="unit_inactive")
    if is_unit_system(user):
        raise Conflict(f"{user.username} is a unit's system account: it has no token.", code="system_account")
    token = issue_token(session, user=user, label=label)
    record(
        session,
        actor=actor,
        kind="token.issued",
        entity="user",
        entity_id=user.id,
        data={"username": user.username, "label": label},
    )
    return token


def revoke_token(session: Session, *, token_id: int, actor: str, at: datetime) -> ApiToken:
    """Revoke an API token at `at` ("token.revoked" in the audit log); 409 if it was revoked already."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"There is no token {token_id}.")
    if token.revoked_at is not None:
        raise Conflict(f"Token {token_id} was revoked already.", code="token_revoked")
    token.revoked_at = at
    record(
        session,
        actor=actor,
        kind="token.revoked",
        entity="user",
        entity_id=token.user_id,
        data={"token": token.id, "label": token.label},
    )
    session.flush()
    return token


def unlock_user(session: Session, *, settings: Settings, user_id: int, actor: str, at: datetime) -> User:
    """Lift an account's lock-outs, from every address ("user.unlocked"); 409 if it is locked from none."""
    user = _user(session, user_id)
    held = lockout.locks(session, settings=settings, at=at).accounts.get(user.username, [])
    if not held:
        raise Conflict(f"User {user.username} is not locked.", code="not_locked")
    lockout.lift(session, username=user.username)
    record(
        session,
        actor=actor,
        kind="user.unlocked",
        entity="user",
        entity_id=user.id,
        data={"username": user.username, "sources": sorted(lock.source for lock in held)},
    )
    return user


def unlock_source(session: Session, *, settings: Settings, source: str, actor: str, at: datetime) -> None:
    """Lift the lock-out of an address, for every account ("source.unlocked"); 409 if it is not locked."""
    if source not in {lock.source for lock in lockout.locks(session, settings=settings, at=at).sources}:
        raise Conflict(f"The address {source} is not locked.", code="source_not_locked")
    lockout.lift(session, source=source)
    record(
        session,
        actor=actor,
        kind="source.unlocked",
        entity="source",
        entity_id=source,
        data={"source": source},
    )


def reactivate_user(session: Session, *, user_id: int, actor: str) -> User:
    """Make an inactive account active again ("user.reactivated"): 409 if it is active, or if it is of a
    unit that is not active in the directory (the unit comes back first). Its tokens revoked stay so."""
    user = _user(session, user_id)
    if user.active:
        raise Conflict(f"User {user.username} is active.", code="user_active")
    if not unit_is_active(session, unit_code=user.unit_code):
        raise Conflict(f"The unit {user.unit_code} of {user.username} is not active.", code="unit_inactive")
    activate(session, user=user, actor=actor)
    return user


def activate(session: Session, *, user: User, actor: str) -> None:
    """Make `user` active again, recorded as "user.reactivated" (with its unit, if any)."""
    user.active = True
    record(
        session,
        actor=actor,
        kind="user.reactivated",
        entity="user",
        entity_id=user.id,
        data={"username": user.username, "unit_code": user.unit_code},
    )
