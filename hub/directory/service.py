"""The directory in the database: courts and units as loaded from the directory file."""

from datetime import datetime

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit import record
from hub.config import Settings
from hub.directory.loader import BUNDLED_DIRECTORY, Directory, load_directory
from hub.models import Court, Unit
from hub.standard.codes import DEFAULT_LIMITS, Action
from hub.standard.signatures import verify_signature


def configured_directory(settings: Settings) -> Directory:
    return load_directory(settings.directory or BUNDLED_DIRECTORY)


def sync_directory(session: Session, *, directory: Directory, actor: str = "system") -> list[str]:
    """Make the courts and units tables say what the file says; units no longer listed become inactive.

    Returns the codes of units that changed, and records the change in the audit log.
    """
    for entry in directory.courts:
        court = session.get(Court, entry.code) or Court(code=entry.code)
        court.name, court.supervisor_email = entry.name, str(entry.supervisor)
        court.certificates, court.require_signature = entry.certificates, entry.require_signature
        session.add(court)
    existing = {unit.code: unit for unit in session.execute(select(Unit)).scalars()}
    changed = []
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
            for key, value in values.items():
                setattr(unit, key, value)
            changed.append(entry.code)
    for unit in existing.values():
        if unit.active:
            unit.active = False
            changed.append(unit.code)
    session.flush()
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
