"""Adapters by channel kind: the built-in ones, and third-party ones from the `hub.adapters` entry points.

A broken or missing adapter stops start-up with a message naming it; it is never skipped in silence.
"""

from functools import cache
from importlib.metadata import entry_points

from adapters.base import Adapter
from adapters.ckw import CkwAdapter
from adapters.email import EmailAdapter
from adapters.folder import FolderAdapter
from adapters.http_push import HttpPushAdapter
from adapters.inbox import InboxAdapter

BUILT_IN: dict[str, type[Adapter]] = {
    a.kind: a for a in (InboxAdapter, HttpPushAdapter, EmailAdapter, FolderAdapter, CkwAdapter)
}


class AdapterError(Exception):
    """An adapter cannot be loaded, or no adapter serves a kind."""


@cache
def registry() -> dict[str, type[Adapter]]:
    kinds = dict(BUILT_IN)
    for point in entry_points(group="hub.adapters"):
        if point.name in BUILT_IN:
            continue
        try:
            adapter = point.load()
        except Exception as exc:
            raise AdapterError(f"adapter {point.name!r} ({point.value}) cannot be loaded: {exc}") from exc
        if not (isinstance(adapter, type) and issubclass(adapter, Adapter)) or adapter.kind != point.name:
            raise AdapterError(
                f"adapter {point.name!r} ({point.value}) is not an Adapter of kind {point.name!r}"
            )
        kinds[point.name] = adapter
    return kinds


def adapter_class(kind: str) -> type[Adapter]:
    try:
        return registry()[kind]
    except KeyError:
        known = ", ".join(sorted(registry()))
        raise AdapterError(f"no adapter serves channel kind {kind!r} (known: {known})") from None
