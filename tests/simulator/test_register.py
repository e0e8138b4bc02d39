"""The generated register of a simulated unit: deterministic, fitting the unit, about half the subjects."""

import json
import random
from collections import Counter

import pytest

from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.simulator.register import Register, resident_id, social_credit_code
from hub.standard.codes import AssetClass, AssetStatus
from hub.standard.ids import resident_id_problem, uscc_problem

DIRECTORY = load_directory(BUNDLED_DIRECTORY)
PEOPLE = [resident_id(random.Random(f"people:{i}")) for i in range(200)]


def register(code: str, seed: int = 0) -> Register:
    return Register(DIRECTORY.unit(code), seed=seed)


def test_generated_identity_numbers_are_valid():
    rng = random.Random(1)
    for _ in range(50):
        assert resident_id_problem(resident_id(rng)) is None
        assert uscc_problem(social_credit_code(rng)) is None


def test_the_same_seed_unit_and_subject_give_the_same_record():
    first, again = register("real-estate"), register("real-estate")
    for id_number in PEOPLE[:40]:
        assert first.lookup(id_number) == again.lookup(id_number)


def test_another_seed_or_another_unit_gives_another_register():
    records = [register("housing-fund", seed).lookup(i) for seed in (0, 1) for i in PEOPLE[:40]]
    assert records[:40] != records[40:]
    assert [register("vehicles").lookup(i).holdings != () for i in PEOPLE[:40]] != [
        register("farm-machinery").lookup(i).holdings != () for i in PEOPLE[:40]
    ]


@pytest.mark.parametrize("code", ["real-estate", "vehicles", "housing-fund", "insurer-picc", "civil-affairs"])
def test_about_half_the_subjects_have_something(code):
    unit = register(code)
    having = sum(1 for i in PEOPLE if unit.lookup(i).holdings)
    assert 60 <= having <= 140, having


@pytest.mark.parametrize("unit", DIRECTORY.units, ids=lambda u: u.code)
def test_holdings_are_of_the_units_asset_classes(unit):
    reg = Register(unit)
    classes = set(unit.asset_classes) or {AssetClass.OTHER}
    for id_number in PEOPLE[:60]:
        record = reg.lookup(id_number)
        for holding in record.holdings:
            assert holding.asset_class in classes
            assert holding.description and holding.asset_id
            assert holding.value is None or holding.value >= 0
        if unit.category in ("police", "township"):
            assert record.holdings == ()
        else:
            assert record.residence is None


def test_each_kind_of_unit_keeps_its_own_kind_of_record():
    def holdings(code):
        reg = register(code)
        return [h for i in PEOPLE[:80] for h in reg.lookup(i).holdings]

    assert all(
        h.asset_id.startswith("222426") and "平方米" in h.description for h in holdings("housing-admin")
    )
    assert all(
        h.asset_id.startswith("吉H·") and "车辆识别代号" in h.description for h in holdings("vehicles")
    )
    assert all(h.asset_id.startswith("吉24-") for h in holdings("farm-machinery"))
    assert all(h.value > 0 and "住房公积金" in h.description for h in holdings("housing-fund"))
    assert all(h.value > 0 and h.asset_id.startswith("PPICC") for h in holdings("insurer-picc"))
    assert all("婚姻登记" in h.description and h.status is None for h in holdings("civil-affairs"))
    assert all(uscc_problem(h.asset_id) is None for h in holdings("market-regulation"))
    residences = [register("town-mingyue").lookup(i).residence for i in PEOPLE[:80]]
    located = Counter(r.located for r in residences if r is not None)
    assert located[True] and located[False]
    assert all("明月镇" in r.registered_address for r in residences if r is not None)


def test_some_property_is_already_controlled_by_another_court():
    holdings = [h for i in PEOPLE for h in register("real-estate").lookup(i).holdings]
    statuses = Counter(h.status for h in holdings)
    assert statuses[AssetStatus.NORMAL] and statuses[AssetStatus.SEALED] and statuses[AssetStatus.MORTGAGED]
    assert all(h.prior_controls for h in holdings if h.status is AssetStatus.SEALED)


def test_organizations_have_no_personal_records():
    rng = random.Random(3)
    companies = [social_credit_code(rng) for _ in range(60)]
    assert not any(register("housing-fund").lookup(c, person=False).holdings for c in companies)
    assert not any(register("public-security").lookup(c, person=False).residence for c in companies)
    assert any(register("market-regulation").lookup(c, person=False).holdings for c in companies)


def test_controls_placed_by_the_simulator_queue_up_and_lift():
    reg = register("real-estate")
    assert reg.controls_ahead("X-1", None) == 0
    reg.place("X-1", "RE-CF-000001-1")
    reg.place("X-1", "RE-CF-000002-1")
    assert reg.controls_ahead("X-1", None) == 2
    assert reg.controls_ahead("X-1", None, besides="RE-CF-000002-1") == 1
    assert reg.controls_ahead("X-1", None, besides="RE-CF-000001-1") == 0
    reg.lift("RE-CF-000001-1")
    assert reg.controls_ahead("X-1", None) == 1


def test_the_register_shows_as_json_with_sample_subjects():
    reg = register("rural-bank")
    reg.lookup(PEOPLE[0])
    shown = json.loads(json.dumps(reg.as_json(), ensure_ascii=False))
    assert shown["unit"] == {
        "code": "rural-bank",
        "name": DIRECTORY.unit("rural-bank").name,
        "category": "funds",
    }
    assert len(shown["samples"]) == 6 and all(resident_id_problem(i) is None for i in shown["samples"])
    assert PEOPLE[0] in shown["subjects"] and set(shown["samples"]) <= set(shown["subjects"])
    assert any(s["holdings"] for s in shown["subjects"].values())
