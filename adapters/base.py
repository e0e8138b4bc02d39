"""The contract every channel adapter implements: serve one task, say what happened.

An adapter knows its channel and the standard, never a route or a page. The hub calls `serve` from
its delivery worker, once per attempt, outside any database transaction, and records the outcome:

- `Served`: the unit has the task now; its clock starts at `at`. `receipt` carries an
  AssistanceReceipt when the unit answered at once (a registry that answers queries automatically).
- `RetryLater`: a passing failure (a 503, a timeout); try again after `delay_s` seconds.
- `Refused`: this channel will never take this task (a 4xx for the document, a mailbox that does not
  exist); the hub goes on to the unit's fallback channels.

`Misconfigured` is raised, not returned: the unit's directory entry is wrong, and no retry helps.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from hub.config import Settings


class ChannelConfig(BaseModel):
    """A channel's entry in the directory (`channel = { kind = "...", ... }`): each adapter's own model,
    which declares `kind` as the Literal of its kind. The directory learns the kinds from the registry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def unit_problem(self, actions: list[str]) -> str | None:
        """What makes this channel unfit for a unit performing `actions`, if anything (the directory asks)."""
        return None


@dataclass(frozen=True)
class Delivery:
    """What an adapter needs to serve one task: the request exactly as received, and its files."""

    task_id: int
    unit_code: str
    unit_name: str
    court_code: str
    court_name: str  # as the directory names the court
    request_no: str
    action: str
    document: bytes
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class AdapterContext:
    """What the hub lends every adapter: its settings (SMTP server, public URL, limits)."""

    settings: Settings


@dataclass(frozen=True)
class Served:
    at: datetime
    receipt: bytes | None = None
    note: str | None = None  # a remark kept with the attempt (an answer that could not be read)


@dataclass(frozen=True)
class RetryLater:
    delay_s: float
    error: str


@dataclass(frozen=True)
class Refused:
    error: str


Outcome = Served | RetryLater | Refused


@dataclass(frozen=True)
class Dropped:
    """A receipt a unit left on a channel the hub reads (a folder), with the files that came beside it."""

    name: str
    document: bytes
    files: dict[str, bytes]
    handle: object  # the adapter's own reference to it (a path)


class Misconfigured(Exception):
    """The unit's channel configuration cannot work (a missing secret, an unusable address)."""


class Adapter(ABC):
    """One way of reaching member units; `kind` is the directory's `channel.kind`."""

    kind: ClassVar[str]
    config_model: ClassVar[type[ChannelConfig]]
    # True for a channel that needs no network (the inbox): `serve` is then called inside the
    # transaction that queues the task, instead of by the worker.
    immediate: ClassVar[bool] = False

    def __init__(self, config: ChannelConfig, context: AdapterContext) -> None:
        self.config = config
        self.context = context

    @abstractmethod
    def serve(self, delivery: Delivery) -> Outcome:
        """Hand `delivery` to the unit through this channel; never raise for a channel failure."""

    def collect(self) -> list[Dropped]:
        """Receipts the unit left on this channel since the last call (a channel the hub reads)."""
        return []

    def file_away(self, dropped: Dropped, *, error: str | None) -> None:  # noqa: B027 (optional hook)
        """After the hub applied `dropped` (error None) or refused it (error says why)."""
