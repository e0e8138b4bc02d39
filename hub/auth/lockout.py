"""Sign-in lock-out by address as well as by account, shared by every hub process (table login_failures).

A failed sign-in is a row: the name as typed (an account or not) and the source address. A sign-in is
refused, whatever the password, while within the last HUB_LOGIN_LOCK_MINUTES
- that name failed HUB_LOGIN_MAX_FAILURES times from that address, or
- that address failed HUB_LOGIN_MAX_FAILURES_PER_SOURCE times, whatever the names.
No account is ever locked for everyone: its owner signing in from another address is not held back by
someone else's failures. A refusal while locked is not counted, so a lock ends on time however often it
is tried and a locked address adds no rows; rows older than the window are deleted on every failure and
sign-in, and a sign-in clears its own (name, address) failures.

The source is the address the HTTP server gives (request.client.host; source_of), an IPv6 address taken
as its /64 network (one machine or household holds a whole /64). `hub serve` believes X-Forwarded-For
only from the proxies HUB_TRUSTED_PROXIES names (none by default: a client could otherwise name any address
and so step around the limits, or spend another's). Behind a reverse proxy, name it there: otherwise every
user comes from the proxy's address, and shares one per-source limit.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from hub.audit import record
from hub.config import Settings
from hub.models import LoginFailure, User

USERNAME_WIDTH, SOURCE_WIDTH = 80, 64


@dataclass(frozen=True)
class Lock:
    source: str
    until: datetime


@dataclass(frozen=True)
class Locks:
    """The locks in force: per account name, the addresses it is locked from; and the locked addresses."""

    accounts: dict[str, list[Lock]]
    sources: list[Lock]


def source_of(host: str | None) -> str:
    """What failures are counted by: an IPv4 address, an IPv6 address's /64 network, or the host as given."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return (host or "unknown")[:SOURCE_WIDTH]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _since(settings: Settings, at: datetime) -> datetime:
    return at - timedelta(minutes=settings.login_lock_minutes)


def _counts(session: Session, *, settings: Settings, username: str, source: str, at: datetime):
    """(failures of the name from the source, failures from the source, the oldest of them) in the window."""
    return session.execute(
        select(
            func.coalesce(func.sum(case((LoginFailure.username == username, 1), else_=0)), 0),
            func.count(),
            func.min(LoginFailure.at),
        ).where(LoginFailure.source == source, LoginFailure.at > _since(settings, at))
    ).one()


def locked(session: Session, *, settings: Settings, username: str, source: str, at: datetime) -> bool:
    """Whether a sign-in of `username` from `source` is refused now, whatever its password."""
    username, source = username[:USERNAME_WIDTH], source[:SOURCE_WIDTH]
    by_name, by_source, _ = _counts(session, settings=settings, username=username, source=source, at=at)
    return by_name >= settings.login_max_failures or by_source >= settings.login_max_failures_per_source


def _forget_expired(session: Session, *, settings: Settings, at: datetime) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.at <= _since(settings, at)))


def count_failure(
    session: Session, *, settings: Settings, username: str, source: str, at: datetime, account: User | None
) -> None:
    """Note a failed sign-in. The failure that locks the account `account` from this address records
    "user.locked", the one that locks the address "source.locked" (each with the address and the end)."""
    username, source = username[:USERNAME_WIDTH], source[:SOURCE_WIDTH]
    _forget_expired(session, settings=settings, at=at)
    session.add(LoginFailure(username=username, source=source, at=at))
    session.flush()
    by_name, by_source, oldest = _counts(session, settings=settings, username=username, source=source, at=at)
    window = timedelta(minutes=settings.login_lock_minutes)
    if account is not None and by_name == settings.login_max_failures:
        first = session.execute(
            select(func.min(LoginFailure.at)).where(
                LoginFailure.source == source,
                LoginFailure.username == username,
                LoginFailure.at > _since(settings, at),
            )
        ).scalar_one()
        record(
            session,
            actor="hub",
            kind="user.locked",
            entity="user",
            entity_id=account.id,
            data={"username": account.username, "source": source, "until": (first + window).isoformat()},
        )
    if by_source == settings.login_max_failures_per_source:
        record(
            session,
            actor="hub",
            kind="source.locked",
            entity="source",
            entity_id=source,
            data={"source": source, "until": (oldest + window).isoformat()},
        )


def signed_in_from(session: Session, *, settings: Settings, username: str, source: str, at: datetime) -> None:
    """A sign-in succeeded: its (name, address) failures are forgotten, and so are expired ones."""
    _forget_expired(session, settings=settings, at=at)
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.username == username[:USERNAME_WIDTH], LoginFailure.source == source[:SOURCE_WIDTH]
        )
    )


def _until(times: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """When failures at `times` (oldest first) stop reaching `limit` in the window, or None if they do not."""
    return times[len(times) - limit] + window if len(times) >= limit else None


def locks(session: Session, *, settings: Settings, at: datetime) -> Locks:
    """The locks in force at `at` (a few hundred rows at most: what one window holds)."""
    window = timedelta(minutes=settings.login_lock_minutes)
    by_pair: dict[tuple[str, str], list[datetime]] = {}
    by_source: dict[str, list[datetime]] = {}
    rows = session.execute(
        select(LoginFailure.username, LoginFailure.source, LoginFailure.at)
        .where(LoginFailure.at > _since(settings, at))
        .order_by(LoginFailure.at)
    )
    for username, source, failed_at in rows:
        by_pair.setdefault((username, source), []).append(failed_at)
        by_source.setdefault(source, []).append(failed_at)
    accounts: dict[str, list[Lock]] = {}
    for (username, source), times in by_pair.items():
        if (until := _until(times, settings.login_max_failures, window)) is not None:
            accounts.setdefault(username, []).append(Lock(source, until))
    sources = [
        Lock(source, until)
        for source, times in sorted(by_source.items())
        if (until := _until(times, settings.login_max_failures_per_source, window)) is not None
    ]
    return Locks(accounts, sources)


def lift(session: Session, *, username: str | None = None, source: str | None = None) -> None:
    """Forget the failures of a name (from every address) or of an address (for every name)."""
    if username is not None:
        session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    if source is not None:
        session.execute(delete(LoginFailure).where(LoginFailure.source == source))
