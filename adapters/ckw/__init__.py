"""查控 web service (点对点): the unit's own front-end system polls the hub's SOAP service (hub/ckw).

A task for such a unit is served the moment it is put on the unit's list, as in the inbox; the unit's
system fetches the list, the request's documents and the officer's cards, and feeds the results back.
Its directory entry names the family of clients it runs (`profile`) and the credentials its usermarker
carries:

    channel = { kind = "ckw", profile = "real-estate", username = "bdc-antu", password_env = "HUB_CKW_BDC" }

`encode_values` (default true, as the clients default) says whether each text value inside the
documents is base64 once more.
"""

import os
from importlib import import_module
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from adapters.base import Adapter, ChannelConfig, Delivery, Misconfigured, Outcome, Served
from hub.clock import now

if TYPE_CHECKING:
    from adapters.ckw.profile import Profile

ProfileName = Literal["real-estate", "bank"]
PROFILES = {
    "real-estate": "adapters.ckw.real_estate:RealEstateProfile",
    "bank": "adapters.ckw.bank:BankProfile",
}


class CkwChannel(ChannelConfig):
    kind: Literal["ckw"]
    profile: ProfileName = Field(
        title="Clients", description="The family of clients the unit runs: real-estate registry or bank."
    )
    username: str = Field(
        min_length=1, max_length=80, title="User name", description="The USERNAME its usermarker carries."
    )
    password_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        title="Password variable",
        description="Name of the environment variable holding its password (never the password itself).",
    )
    encode_values: bool = Field(
        True,
        title="Values encoded",
        description="Each text value inside the documents is base64 (UTF-8/GBK).",
    )

    def unit_problem(self, actions: list[str]) -> str | None:
        profile = profile_class(self.profile)
        listed = {str(a) for role in profile.actions.values() for a in role}
        if missing := sorted(set(actions) - listed):
            return (
                f"the {self.profile} clients never fetch {', '.join(missing)} tasks (they list "
                f"{', '.join(sorted(listed))}): such tasks would wait unseen; use another channel for this unit"
            )
        return None

    def password(self) -> str:
        """The unit's password; Misconfigured when its variable is not set (no one may then sign in)."""
        secret = os.environ.get(self.password_env, "").strip()
        if not secret:
            raise Misconfigured(
                f"the environment variable {self.password_env} (the unit's password) is not set"
            )
        return secret


class CkwAdapter(Adapter):
    kind = "ckw"
    config_model = CkwChannel
    immediate = True

    def serve(self, delivery: Delivery) -> Outcome:
        return Served(at=now())


def profile_class(name: str) -> type["Profile"]:
    module, attribute = PROFILES[name].split(":")
    return getattr(import_module(module), attribute)


def profile_for(channel: CkwChannel) -> "Profile":
    """The profile of the unit's clients, set as its channel says."""
    return profile_class(channel.profile)(encode_values=channel.encode_values)
