"""The inbox: the task waits in the unit's inbox (API and web pages); it is served the moment it is there."""

from adapters.base import Adapter, Delivery, Outcome, Served
from hub.clock import now
from hub.directory.loader import InboxChannel


class InboxAdapter(Adapter):
    kind = "inbox"
    config_model = InboxChannel
    immediate = True

    def serve(self, delivery: Delivery) -> Outcome:
        return Served(at=now())
