"""Models of the member-unit directory and its loader (TOML, validated with pydantic; no database)."""

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from adapters.base import ChannelConfig
from adapters.ckw import CkwChannel
from adapters.inbox import InboxChannel
from adapters.registry import registry
from hub.standard.codes import ACTION_CLASSES, DEFAULT_LIMITS, ITEM_ACTIONS, Action, AssetClass
from hub.standard.signatures import load_certificate
from hub.tomlfile import got_of, load_model, message_of

BUNDLED_DIRECTORY = Path(__file__).with_name("units.toml")

Code = Annotated[str, Field(pattern=r"^[a-z0-9-]{2,40}$")]
Category = Literal[
    "property", "vehicles", "funds", "insurance", "civil", "market", "tax",
    "police", "social-security", "township", "oversight", "other",
]  # fmt: skip


class DirectoryError(Exception):
    """The directory file cannot be read or is invalid; the message names file, entry and key."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signing(_Entry):
    """What a court or unit signs with: its certificates (PEM), and whether its documents must be signed.

    Each certificate is written as a file path (relative to the directory file) or as the PEM text itself;
    once loaded, the entry holds the PEM text.
    """

    certificates: list[str] = Field(
        [], title="Certificates", description="PEM certificates its signatures are verified with."
    )
    require_signature: bool = Field(
        False, title="Signature required", description="Refuse its documents that carry no valid signature."
    )

    @field_validator("certificates", mode="after")
    @classmethod
    def _read_certificates(cls, values: list[str], info: ValidationInfo) -> list[str]:
        base = (info.context or {}).get("base", Path("."))
        pems = []
        for value in values:
            data = value.encode()
            if not value.lstrip().startswith("-----BEGIN"):
                try:
                    data = (base / value).read_bytes()
                except OSError as exc:
                    raise ValueError(f"cannot read certificate file {value!r}: {exc.strerror}") from None
            try:
                load_certificate(data)
            except ValueError as exc:
                raise ValueError(f"{value[:40]!r} is not a PEM certificate: {exc}") from None
            pems.append(data.decode("ascii"))
        return pems

    @model_validator(mode="after")
    def _can_sign(self) -> "Signing":
        if self.require_signature and not self.certificates:
            raise ValueError("require_signature: needs at least one certificate to verify with")
        return self


# Each adapter's own model, by its `kind`: the built-in adapters' and those of the installed packages.
_CONFIGS = tuple(adapter.config_model for adapter in registry().values())
Channel = Annotated[Union[_CONFIGS], Field(discriminator="kind")]  # noqa: UP007 (a tuple of types)


class Contacts(_Entry):
    staff: list[EmailStr] = Field(min_length=1)
    supervisor: EmailStr


class UnitEntry(Signing):
    code: Code
    name: str = Field(min_length=1)
    category: Category
    actions: list[Action] = Field(min_length=1)
    asset_classes: list[AssetClass] = []
    limits: dict[Action, Annotated[int, Field(ge=1)]] = {}
    contacts: Contacts
    channel: Channel = Field(default_factory=InboxChannel)
    fallback: list[Channel] = []

    @model_validator(mode="before")
    @classmethod
    def _bare_fallback_kinds(cls, data: Any) -> Any:
        """A fallback written as a bare kind: "inbox", or "email" to the staff contacts."""
        if not isinstance(data, dict) or not isinstance(data.get("fallback"), list):
            return data
        staff = (data.get("contacts") or {}).get("staff") if isinstance(data.get("contacts"), dict) else None
        fallback = []
        for entry in data["fallback"]:
            if entry == "inbox":
                entry = {"kind": "inbox"}
            elif entry == "email" and staff:
                entry = {"kind": "email", "to": staff}
            elif isinstance(entry, str) and entry in registry():
                raise ValueError(
                    f"fallback: {entry!r} needs its keys: write it as a table, e.g. {{ kind = {entry!r}, ... }}"
                )
            fallback.append(entry)
        return {**data, "fallback": fallback}

    @model_validator(mode="after")
    def _consistent(self) -> "UnitEntry":
        for key in ("actions", "asset_classes"):
            values = getattr(self, key)
            if dupes := sorted({str(v) for v in values if values.count(v) > 1}):
                raise ValueError(f"{key}: duplicate {', '.join(dupes)}")
        kinds = [c.kind for c in self.channels]
        if dupes := sorted({k for k in kinds[1:] if kinds.count(k) > 1}):
            raise ValueError(f"fallback: repeats the channel kind {', '.join(map(repr, dupes))}")
        if extra := [str(a) for a in self.limits if a not in self.actions]:
            raise ValueError(f"limits: {', '.join(extra)} not among the unit's actions")
        if ITEM_ACTIONS & set(self.actions) and not self.asset_classes:
            raise ValueError("asset_classes: required for a unit that controls property")
        for action in self.actions:  # RENEW and RELEASE act on any class a control can have
            if action in ACTION_CLASSES and not ACTION_CLASSES[action] & set(self.asset_classes):
                fitting = ", ".join(c for c in AssetClass if c in ACTION_CLASSES[action])
                raise ValueError(f"asset_classes: {action} needs one of {fitting}")
        for key, channel in (
            ("channel", self.channel),
            *((f"fallback[{i}]", c) for i, c in enumerate(self.fallback)),
        ):
            if problem := channel.unit_problem([str(a) for a in self.actions]):
                raise ValueError(f"{key}: {problem}")
        return self

    @property
    def channels(self) -> list[ChannelConfig]:
        """The channel, then the fallback channels, in the order they are tried."""
        return [self.channel, *self.fallback]

    def limit(self, action: Action) -> int:
        """Working days the unit has for `action`: its own limit, else the default."""
        if action not in self.actions:
            raise ValueError(f"unit {self.code!r} does not perform {action}")
        return self.limits.get(action, DEFAULT_LIMITS[action])


class CourtEntry(Signing):
    code: str = Field(pattern=r"^[A-Z0-9]{2,16}$")
    name: str = Field(min_length=1)
    supervisor: EmailStr


class Directory(_Entry):
    courts: list[CourtEntry] = Field(min_length=1)
    units: list[UnitEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> "Directory":
        for section in ("courts", "units"):
            seen: dict[str, int] = {}
            for i, entry in enumerate(getattr(self, section)):
                if (first := seen.setdefault(entry.code, i)) != i:
                    where = f"{section[:-1]} {entry.code!r} ({section}[{i}])"
                    raise ValueError(f"{where}: code: duplicate of {section}[{first}]")
        names: dict[str, str] = {}
        for unit in self.units:  # a usermarker names one unit: two could each use the other's address
            for channel in unit.channels:
                if (
                    isinstance(channel, CkwChannel)
                    and (other := names.setdefault(channel.username, unit.code)) != unit.code
                ):
                    raise ValueError(
                        f"unit {unit.code!r}: channel username {channel.username!r} is unit {other!r}'s too"
                    )
        return self

    def unit(self, code: str) -> UnitEntry | None:
        return next((u for u in self.units if u.code == code), None)

    def capable(self, action: Action) -> list[UnitEntry]:
        return [u for u in self.units if action in u.actions]


def _describe(data: Any, error: Any) -> str:
    """One error as "unit 'code' (units[i]): key.path: message (got value)"."""
    loc, where = error["loc"], ""
    if len(loc) >= 2 and loc[0] in ("units", "courts") and isinstance(loc[1], int):
        entries = data.get(loc[0])
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        code = entry.get("code") if isinstance(entry, dict) else None
        where = f"{loc[0][:-1]} {code!r} ({loc[0]}[{loc[1]}]): " if code else f"{loc[0]}[{loc[1]}]: "
        loc = loc[2:]
    # Drop the tag pydantic inserts after a discriminated union and the marker of a bad dict key.
    tags = set(registry())
    parts = [
        p for i, p in enumerate(loc) if p != "[key]" and not (i and loc[i - 1] == "channel" and p in tags)
    ]
    key = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in parts).replace(".[", "[")
    return f"{where}{key + ': ' if key else ''}{message_of(error)}{got_of(error)}"


def load_directory(path: Path) -> Directory:
    """Read and validate a directory file; any problem raises DirectoryError."""
    return load_model(
        path,
        Directory,
        describe=lambda data, error: [_describe(data, error)],
        error=DirectoryError,
        context={"base": path.parent},
    )
