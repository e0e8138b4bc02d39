"""The audit chain's hash, with nothing but the standard library: the hub (hub/audit.py) and the offline
evidence check (hub/evidence/verify.py) compute it here, the one way."""

import hashlib
import json
from typing import Any

GENESIS = "0" * 64
EVENT_FIELDS = ("seq", "at", "actor", "kind", "entity", "entity_id", "data")


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(
    prev_hash: str, *, seq: int, at: str, actor: str, kind: str, entity: str, entity_id: str, data: str
) -> str:
    """sha256 of the previous event's hash, a newline, and this event's fields as canonical JSON."""
    body = canonical(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "kind": kind,
            "entity": entity,
            "entity_id": entity_id,
            "data": data,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()
