"""Every action of every kind of unit gets a receipt the standard accepts, decided from the register."""

import hashlib
import random
from datetime import date, datetime
from decimal import Decimal

import pytest
from conftest import example
from lxml import etree
from lxml.builder import ElementMaker

from hub.clock import SHANGHAI
from hub.directory.loader import BUNDLED_DIRECTORY, UnitEntry, load_directory
from hub.simulator.answers import answer, receipt_no
from hub.simulator.register import Register, resident_id
from hub.standard import NS
from hub.standard.codes import (
    FUNDS_CLASSES,
    ITEM_ACTIONS,
    ORIGINAL_ACTIONS,
    PERIOD_ACTIONS,
    TRANSFEREE_ACTIONS,
    Action,
    AssetClass,
    Outcome,
    period_end,
)
from hub.standard.documents import AssistanceRequest
from hub.standard.rules import inspect, max_years, receipt_problems

DIRECTORY = load_directory(BUNDLED_DIRECTORY)
E = ElementMaker(namespace=NS, nsmap={None: NS})
PEOPLE = [resident_id(random.Random(f"answers:{i}")) for i in range(40)]
AT = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
START = date(2026, 12, 1)


def request(
    unit: UnitEntry,
    action: Action,
    id_number: str,
    *,
    assets: list[tuple[AssetClass, str]] | None = None,
    amount: str = "1000.00",
) -> AssistanceRequest:
    """A valid request of `action` to `unit` about the person `id_number`, on `assets` (class, id)."""
    items = []
    for asset_class, asset_id in assets or (
        [(unit.asset_classes[0], "UNLISTED-1")] if unit.asset_classes else []
    ):
        item = E.Item(E.AssetClass(str(asset_class)), E.AssetId(asset_id))
        if action in (Action.FREEZE, Action.DEDUCT) and asset_class in FUNDS_CLASSES:
            item.append(E.Amount(amount, currency="CNY"))
        if action in PERIOD_ACTIONS:
            end = period_end(START, max_years(asset_class, kind=action))
            item.append(E.Period(start=START.isoformat(), end=end.isoformat()))
        if action in ORIGINAL_ACTIONS:
            item.append(E.Original(requestNo="AT-2026-000001", registrationNo="ORIG-CF-1"))
        if action in TRANSFEREE_ACTIONS:
            buyer = E.Name("李明"), E.IdType("RESIDENT_ID"), E.IdNumber("222401199107082037")
            item.append(E.Transferee(*buyer, kind="person"))
        items.append(item)
    documents = [E.Document(type="NOTICE", filename="notice.pdf", sha256="0" * 64)]
    if action in ITEM_ACTIONS:
        documents.append(E.Document(type="RULING", filename="ruling.pdf", sha256="1" * 64))
    root = E.AssistanceRequest(
        E.RequestNo("AT-2026-000900"),
        E.IssuedAt("2026-11-30T09:00:00+08:00"),
        E.Court("安图县人民法院", code="J2426"),
        E.Officer("张三"),
        E.CaseNo("（2026）吉2426执900号"),
        E.Action(str(action)),
        E.Subject(E.Name("李四"), E.IdType("RESIDENT_ID"), E.IdNumber(id_number), kind="person"),
        E.Targets(E.Unit(code=unit.code)),
        *([E.Items(*items)] if action in ITEM_ACTIONS else []),
        E.Documents(*documents),
        version="1.0",
    )
    return inspect(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), expect="request").request


def accepted(document: bytes, action: Action):
    """The receipt as the hub reads it, after checking it as the hub does."""
    receipt = inspect(document, expect="receipt").receipt
    assert receipt_problems(receipt, action=action) == []
    assert receipt.final
    return receipt


@pytest.mark.parametrize("unit", DIRECTORY.units, ids=lambda u: u.code)
def test_every_action_of_every_unit_gets_a_receipt_the_standard_accepts(unit):
    register = Register(unit)
    for task_id, (action, id_number) in enumerate(
        ((a, p) for a in unit.actions for p in PEOPLE[:4]), start=1
    ):
        holdings = [h for h in register.lookup(id_number).holdings if h.asset_class in unit.asset_classes]
        assets = [(h.asset_class, h.asset_id) for h in holdings] or None
        req = request(unit, action, id_number, assets=assets if action in ITEM_ACTIONS else None)
        result = answer(req, unit=unit, register=register, task_id=task_id, handled_at=AT)
        receipt = accepted(result.document, action)
        assert (receipt.unit_code, receipt.request_no) == (unit.code, req.request_no)
        assert receipt.receipt_no == result.receipt_no == receipt_no(unit.code, task_id)
        assert receipt.outcome is result.outcome
        if action in ITEM_ACTIONS:  # one control per item acted on, each an item of the request
            items = {(i.asset_class, i.asset_id) for i in req.items}
            assert {(c.asset_class, c.asset_id) for c in receipt.controls} <= items
        [attachment] = receipt.attachments
        assert hashlib.sha256(result.files[attachment.filename]).hexdigest() == attachment.sha256
        assert result.files[attachment.filename].startswith(b"%PDF-")


def test_query_answers_found_with_the_register_or_not_found():
    unit = DIRECTORY.unit("real-estate")
    register = Register(unit)
    outcomes = set()
    for task_id, id_number in enumerate(PEOPLE, start=1):
        receipt = accepted(
            answer(
                request(unit, Action.QUERY, id_number), unit=unit, register=register, task_id=task_id
            ).document,
            Action.QUERY,
        )
        outcomes.add(receipt.outcome)
        held = register.lookup(id_number).holdings
        assert [a.asset_id for a in receipt.assets] == [h.asset_id for h in held]
        assert receipt.outcome is (Outcome.FOUND if held else Outcome.NOT_FOUND)
        for asset, holding in zip(receipt.assets, held, strict=True):
            assert (asset.description, asset.status, asset.owners[0].name) == (
                holding.description,
                holding.status,
                "李四",
            )
    assert outcomes == {Outcome.FOUND, Outcome.NOT_FOUND}


def test_the_police_answer_a_query_with_the_household_register():
    unit = DIRECTORY.unit("public-security")
    register = Register(unit)
    id_number = next(p for p in PEOPLE if register.lookup(p).residence)
    receipt = accepted(
        answer(request(unit, Action.QUERY, id_number), unit=unit, register=register, task_id=1).document,
        Action.QUERY,
    )
    assert receipt.outcome is Outcome.FOUND
    assert receipt.assets[0].asset_id == register.lookup(id_number).residence.household_no


def test_locate_person_answers_located_or_not_located():
    unit = DIRECTORY.unit("town-songjiang")
    register = Register(unit)
    seen = set()
    for task_id, id_number in enumerate(PEOPLE, start=1):
        result = answer(
            request(unit, Action.LOCATE_PERSON, id_number), unit=unit, register=register, task_id=task_id
        )
        residence = register.lookup(id_number).residence
        assert result.outcome is (Outcome.LOCATED if residence and residence.located else Outcome.NOT_LOCATED)
        seen.add(result.outcome)
    assert seen == {Outcome.LOCATED, Outcome.NOT_LOCATED}


def test_a_seal_is_controlled_for_the_requested_period_with_a_registration_no():
    unit = DIRECTORY.unit("real-estate")
    result = answer(request(unit, Action.SEAL, PEOPLE[0]), unit=unit, register=Register(unit), task_id=42)
    receipt = accepted(result.document, Action.SEAL)
    assert receipt.outcome is Outcome.CONTROLLED
    [control] = receipt.controls
    assert (control.registration_no, control.asset_id) == ("RE-CF-000042-1", "UNLISTED-1")
    assert (control.period.start, control.period.end) == (START, date(2029, 11, 30))


def test_property_sealed_by_another_court_is_waitlisted_behind_it():
    unit = DIRECTORY.unit("real-estate")
    register = Register(unit)
    people = [resident_id(random.Random(i)) for i in range(300)]
    id_number, holding = next((p, h) for p in people for h in register.lookup(p).holdings if h.prior_controls)
    req = request(unit, Action.SEAL, id_number, assets=[(holding.asset_class, holding.asset_id)])
    receipt = accepted(answer(req, unit=unit, register=register, task_id=7).document, Action.SEAL)
    assert receipt.outcome is Outcome.WAITLISTED
    assert receipt.controls[0].queue_position == len(holding.prior_controls) + 1


def test_a_second_seal_of_the_same_property_waits_behind_the_first_and_a_task_answers_the_same_again():
    unit = DIRECTORY.unit("vehicles")
    register = Register(unit)
    req = request(unit, Action.SEAL, PEOPLE[0], assets=[(AssetClass.VEHICLE, "吉H·Z0001")])
    first = answer(req, unit=unit, register=register, task_id=1, handled_at=AT)
    assert first.outcome is Outcome.CONTROLLED
    assert answer(req, unit=unit, register=register, task_id=1, handled_at=AT) == first
    second = accepted(answer(req, unit=unit, register=register, task_id=2).document, Action.SEAL)
    assert (second.outcome, second.controls[0].queue_position) == (Outcome.WAITLISTED, 2)
    release = request(unit, Action.RELEASE, PEOPLE[0], assets=[(AssetClass.VEHICLE, "吉H·Z0001")])
    released = accepted(answer(release, unit=unit, register=register, task_id=3).document, Action.RELEASE)
    assert (released.outcome, released.controls[0].registration_no) == (Outcome.RELEASED, "ORIG-CF-1")


def test_a_fund_frozen_or_deducted_beyond_its_balance_gives_the_balance():
    unit = DIRECTORY.unit("housing-fund")
    register = Register(unit)
    id_number, holding = next(
        (p, h) for p in PEOPLE for h in register.lookup(p).holdings[:1] if not h.prior_controls
    )
    for task_id, action in enumerate((Action.FREEZE, Action.DEDUCT), start=1):
        req = request(
            unit, action, id_number, assets=[(holding.asset_class, holding.asset_id)], amount="999999.00"
        )
        receipt = accepted(answer(req, unit=unit, register=register, task_id=task_id).document, action)
        assert receipt.outcome is Outcome.PARTIAL and receipt.reason_text
        assert receipt.controls[0].amount.amount == holding.value
    small = request(
        unit, Action.DEDUCT, id_number, assets=[(holding.asset_class, holding.asset_id)], amount="1.00"
    )
    receipt = accepted(answer(small, unit=unit, register=register, task_id=3).document, Action.DEDUCT)
    assert (receipt.outcome, receipt.controls[0].amount.amount) == (Outcome.CONTROLLED, Decimal("1.00"))


def test_renew_keeps_the_registration_no_for_the_new_period_and_credit_notices_are_acknowledged():
    unit = DIRECTORY.unit("housing-fund")
    renewed = accepted(
        answer(
            request(unit, Action.RENEW, PEOPLE[0]), unit=unit, register=Register(unit), task_id=5
        ).document,
        Action.RENEW,
    )
    assert (renewed.outcome, renewed.controls[0].registration_no) == (Outcome.CONTROLLED, "ORIG-CF-1")
    assert renewed.controls[0].period.start == START
    unit = DIRECTORY.unit("cppcc")
    notice = accepted(
        answer(
            request(unit, Action.CREDIT_NOTICE, PEOPLE[0]), unit=unit, register=Register(unit), task_id=5
        ).document,
        Action.CREDIT_NOTICE,
    )
    assert notice.outcome is Outcome.ACKNOWLEDGED and notice.final


def test_a_transferred_vehicle_leaves_the_simulated_register_of_controls_and_a_pre_seal_is_a_seal():
    unit = DIRECTORY.unit("vehicles")
    register = Register(unit)
    assets = [(AssetClass.VEHICLE, "吉H·T0001")]  # not on record: taken as the court identified it
    seal = accepted(
        answer(
            request(unit, Action.SEAL, PEOPLE[0], assets=assets), unit=unit, register=register, task_id=1
        ).document,
        Action.SEAL,
    )
    assert seal.outcome is Outcome.CONTROLLED
    transfer = request(unit, Action.TRANSFER, PEOPLE[0], assets=assets)
    transferred = accepted(
        answer(transfer, unit=unit, register=register, task_id=2).document, Action.TRANSFER
    )
    assert (transferred.outcome, transferred.controls[0].registration_no) == (
        Outcome.TRANSFERRED,
        "VEH-GH-000002-1",
    )
    assert transferred.controls[0].period is None
    again = answer(
        request(unit, Action.SEAL, PEOPLE[0], assets=assets), unit=unit, register=register, task_id=3
    )
    assert (
        again.outcome is Outcome.CONTROLLED
    )  # the simulator's own seal ended with the transfer: nothing ahead
    houses = DIRECTORY.unit("housing-admin")
    pre_seal = request(houses, Action.PRE_SEAL, PEOPLE[0], assets=[(AssetClass.REAL_ESTATE, "UNLISTED-1")])
    pre_sealed = accepted(
        answer(pre_seal, unit=houses, register=Register(houses), task_id=4).document, Action.PRE_SEAL
    )
    assert (pre_sealed.outcome, pre_sealed.controls[0].registration_no) == (
        Outcome.CONTROLLED,
        "HA-YCF-000004-1",
    )
    assert pre_sealed.controls[0].period.end == period_end(START, 2)


def test_answers_are_deterministic_by_seed():
    unit = DIRECTORY.unit("insurer-picc")

    def answers(seed: int) -> list[bytes]:
        register = Register(unit, seed=seed)
        return [
            answer(
                request(unit, Action.QUERY, p), unit=unit, register=register, task_id=i, handled_at=AT
            ).document
            for i, p in enumerate(PEOPLE[:20])
        ]

    assert answers(0) == answers(0)
    assert answers(0) != answers(1)


def test_an_answer_for_the_push_response_lists_no_attachment():
    unit = DIRECTORY.unit("housing-fund")
    req = inspect(example("request-freeze.xml"), expect="request").request
    result = answer(req, unit=unit, register=Register(unit), task_id=9, attach=False)
    assert result.files == {} and b"Attachments" not in result.document
    assert accepted(result.document, Action.FREEZE).controls[0].amount.amount == Decimal("50000.00")


def test_receipt_numbers_are_unique_per_unit_and_stable_per_task():
    for unit in DIRECTORY.units:
        assert len({receipt_no(unit.code, task) for task in range(1, 500)}) == 499
    assert receipt_no("housing-fund", 42) == receipt_no("housing-fund", 42) == "HF-SIM-000042"
    assert receipt_no("tax", 1) == "TAX-SIM-000001"
