"""The inbox: the task waits in the unit's inbox (API and web pages); it is served the moment it is there."""

from typing import Literal

from adapters.base import Adapter, ChannelConfig, Delivery, Outcome, Served
from hub.clock import now


class InboxChannel(ChannelConfig):
    kind: Literal["inbox"] = "inbox"


class InboxAdapter(Adapter):
    kind = "inbox"
    config_model = InboxChannel
    immediate = True

    def serve(self, delivery: Delivery) -> Outcome:
        return Served(at=now())
