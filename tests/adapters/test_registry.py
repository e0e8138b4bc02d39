"""Every unit of the directory is reached by a known adapter; a broken adapter stops start-up by name."""

import os
from importlib.metadata import EntryPoint

import pytest

from adapters import registry as adapters_registry
from adapters.base import AdapterContext, Delivery, Served
from adapters.inbox import InboxAdapter
from adapters.registry import AdapterError, adapter_class
from hub.config import Settings
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory


def test_every_bundled_unit_has_an_adapter_that_accepts_its_channel():
    for unit in load_directory(BUNDLED_DIRECTORY).units:
        for channel in unit.channels:
            assert isinstance(channel, adapter_class(channel.kind).config_model), unit.code


def test_inbox_is_registered_through_its_entry_point():
    from importlib.metadata import entry_points

    assert {p.name: p.value for p in entry_points(group="hub.adapters")}[
        "inbox"
    ] == "adapters.inbox:InboxAdapter"


def test_inbox_serves_at_once():
    unit = load_directory(BUNDLED_DIRECTORY).unit("town-mingyue")
    delivery = Delivery(
        1, "town-mingyue", unit.name, "J2426", "安图县人民法院", "AT-2026-000106", "QUERY", b"<x/>"
    )
    outcome = InboxAdapter(unit.channel, AdapterContext(Settings())).serve(delivery)
    assert isinstance(outcome, Served) and outcome.receipt is None


def test_an_unknown_kind_is_named():
    with pytest.raises(AdapterError, match=r"'carrier-pigeon'.*known: ckw, email, folder, http-push, inbox"):
        adapter_class("carrier-pigeon")


@pytest.mark.parametrize(
    ("value", "message"),
    [("no_such_module:Adapter", "cannot be loaded"), ("adapters.base:Delivery", "is not an Adapter")],
)
def test_a_broken_third_party_adapter_stops_loading_by_name(monkeypatch, value, message):
    broken = EntryPoint(name="fax", value=value, group="hub.adapters")
    monkeypatch.setattr(adapters_registry, "entry_points", lambda group: [broken])
    adapters_registry.registry.cache_clear()
    try:
        with pytest.raises(AdapterError, match=rf"adapter 'fax' .*{message}"):
            adapters_registry.registry()
    finally:
        monkeypatch.undo()
        adapters_registry.registry.cache_clear()


FAX_ADAPTER = """
from typing import Literal

from adapters.base import Adapter, ChannelConfig, Served
from hub.clock import now


class FaxChannel(ChannelConfig):
    kind: Literal["fax"]
    number: str


class FaxAdapter(Adapter):
    kind = "fax"
    config_model = FaxChannel

    def serve(self, delivery):
        return Served(at=now())
"""


def test_an_installed_adapters_kind_is_a_directory_kind_with_its_own_keys(tmp_path):
    """A package that registers an adapter: its kind and its channel's keys are the directory's at once."""
    import subprocess
    import sys

    (tmp_path / "fax_adapter.py").write_text(FAX_ADAPTER)
    dist = tmp_path / "fax_adapter-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fax-adapter\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[hub.adapters]\nfax = fax_adapter:FaxAdapter\n")
    bundled = BUNDLED_DIRECTORY.read_text(encoding="utf-8")
    town = 'code = "town-mingyue"'
    assert town in bundled
    script = (
        "import sys; from pathlib import Path; from hub.directory.loader import load_directory, DirectoryError\n"
        "try:\n    print(load_directory(Path(sys.argv[1])).unit('town-mingyue').channel)\n"
        "except DirectoryError as exc:\n    print(exc)\n"
    )
    outputs = []
    for channel in ('{ kind = "fax", number = "0433-5550000" }', '{ kind = "fax", numbr = "0433-5550000" }'):
        head, tail = bundled.split(town, 1)
        before, after = tail.split('channel.kind = "inbox"', 1)
        path = tmp_path / f"units-{len(outputs)}.toml"
        path.write_text(head + town + before + f"channel = {channel}" + after, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        done = subprocess.run(
            [sys.executable, "-c", script, str(path)], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    assert "kind='fax' number='0433-5550000'" in outputs[0]
    assert "town-mingyue" in outputs[1] and "numbr" in outputs[1]
