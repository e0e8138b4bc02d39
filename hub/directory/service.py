"""The directory in the database: courts and units as loaded from the directory file."""

from datetime import datetime

from lxml import etree
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.audit import record
from hub.auth.service import activate
from hub.clock import now
from hub.config import Settings
from hub.directory.loader import BUNDLED_DIRECTORY, Directory, load_directory
from hub.models import ApiToken, Court, Unit, User, WebSession
from hub.standard.codes import DEFAULT_LIMITS, Action
from hub.standard.signatures import verify_signature


def configured_directory(settings: Settings) -> Directory:
    return load_directory(settings.directory or BUNDLED_DIRECTORY)


def sync_directory(session: Session, *, directory: Directory, actor: str = "system") -> list[str]:
    """Make the courts and units tables say what the file says; units no longer listed become inactive.

    Returns the codes of units that changed, and records the change in the audit log. The users of a unit
    not listed are made inactive with it (deactivate_unit_users). When a unit is listed again its system
    account comes back with it (it has no password or token: the hub acts as it for the unit's channels);
    its staff stay inactive until an administrator reactivates them.
    """
    for entry in directory.courts:
        court = session.get(Court, entry.code) or Court(code=entry.code)
        court.name, court.supervisor_email = entry.name, str(entry.supervisor)
        court.certificates, court.require_signature = entry.certificates, entry.require_signature
        session.add(court)
    existing = {unit.code: unit for unit in session.execute(select(Unit)).scalars()}
    changed, returned = [], []
    for entry in directory.units:
        values = {
            "name": entry.name,
            "category": entry.category,
            "actions": [str(a) for a in entry.actions],
            "asset_classes": [str(a) for a in entry.asset_classes],
            "limits": {str(a): entry.limit(a) for a in entry.actions},
            "contacts": entry.contacts.model_dump(mode="json"),
            "channel": entry.channel.model_dump(mode="json"),
            "fallback": [channel.model_dump(mode="json") for channel in entry.fallback],
            "active": True,
            "certificates": entry.certificates,
            "require_signature": entry.require_signature,
        }
        unit = existing.pop(entry.code, None)
        if unit is None:
            session.add(Unit(code=entry.code, **values))
            changed.append(entry.code)
        elif any(getattr(unit, key) != value for key, value in values.items()):
            if not unit.active:
                returned.append(entry.code)
            for key, value in values.items():
                setattr(unit, key, value)
            changed.append(entry.code)
    for unit in existing.values():
        if unit.active:
            unit.active = False
            changed.append(unit.code)
    session.flush()
    for code in sorted(existing):
        deactivate_unit_users(session, unit_code=code, actor=actor)
    _system_accounts_back(session, codes=returned, actor=actor)
    if changed:
        record(
            session,
            actor=actor,
            kind="directory.synced",
            entity="directory",
            entity_id="units",
            data={"changed": changed},
        )
    return changed


def deactivate_unit_users(
    session: Session, *, unit_code: str, actor: str, at: datetime | None = None
) -> None:
    """Make a unit's active users (staff and its system account) inactive, end their web sessions and
    revoke their API tokens, recorded as "unit.users_deactivated"; nothing if none is active."""
    at = at or now()
    users = list(
        session.execute(
            select(User).where(User.unit_code == unit_code, User.active.is_(True)).order_by(User.username)
        ).scalars()
    )
    if not users:
        return
    ids = [user.id for user in users]
    for user in users:
        user.active = False
    sessions = session.execute(
        update(WebSession)
        .where(WebSession.user_id.in_(ids), WebSession.ended_at.is_(None), WebSession.expires_at > at)
        .values(ended_at=at)
    ).rowcount
    tokens = session.execute(
        update(ApiToken).where(ApiToken.user_id.in_(ids), ApiToken.revoked_at.is_(None)).values(revoked_at=at)
    ).rowcount
    record(
        session,
        actor=actor,
        kind="unit.users_deactivated",
        entity="unit",
        entity_id=unit_code,
        data={
            "usernames": [user.username for user in users],
            "sessions_ended": sessions,
            "tokens_revoked": tokens,
        },
    )


def _system_accounts_back(session: Session, *, codes: list[str], actor: str) -> None:
    """The system accounts of units listed again made active ("user.reactivated"); staff are not."""
    usernames = [f"{code}.system" for code in codes]
    for user in session.execute(
        select(User).where(User.username.in_(usernames), User.active.is_(False)).order_by(User.username)
    ).scalars():
        activate(session, user=user, actor=actor)


def verify_sender(tree: etree._ElementTree, *, sender: Court | Unit, at: datetime) -> str | None:
    """Check a document's signature against what the directory holds for its sender (a court's request, a
    unit's receipt): the fingerprint of the certificate that verified, or None for an unsigned document its
    sender may send. Raises DocumentError when the signature is bad, unverifiable or missing but required."""
    signer = verify_signature(
        tree,
        sender=f"{'court' if isinstance(sender, Court) else 'unit'} {sender.code}",
        certificates=sender.certificates,
        required=sender.require_signature,
        at=at,
    )
    return signer.fingerprint if signer else None


def unit_limit(unit: Unit, action: Action) -> int:
    return int(unit.limits.get(str(action), DEFAULT_LIMITS[action]))
