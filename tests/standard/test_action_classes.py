"""Which action applies to which asset class, the classes the law and practice need with their periods,
the amount of money frozen or deducted, and the freeze a DEDUCT names (DOMAIN.md, STANDARD.md)."""

import re

import pytest
from conftest import edit, example
from test_rules import accepted, assert_refused, drop, refused, without

from hub.standard.codes import (
    ACTION_CLASSES,
    FUNDS_CLASSES,
    MAX_PERIOD_YEARS,
    Action,
    AssetClass,
)
from hub.standard.labels import label

NEW_CLASSES = [AssetClass.SECURITIES, AssetClass.PAYMENT_ACCOUNT, AssetClass.INCOME, AssetClass.RECEIVABLE]
CHOSEN = [Action.SEAL, Action.SEIZE, Action.FREEZE, Action.DEDUCT]  # the officer picks the class for these
AMOUNT = r"\n\s*<Amount [^>]*>[^<]*</Amount>"


def item_of(action: Action, asset_class: AssetClass) -> bytes:
    """request-freeze.xml turned into `action` on an item of `asset_class`, with the amount of 50,000.00 and
    (for SEAL, SEIZE, FREEZE) its one-year period, which every class allows."""
    data = edit(
        "request-freeze.xml",
        ("<Action>FREEZE</Action>", f"<Action>{action}</Action>"),
        ("<AssetClass>FUND_ACCOUNT</AssetClass>", f"<AssetClass>{asset_class}</AssetClass>"),
    )
    return data if action is not Action.DEDUCT else without(data, r"\n\s*<Period [^>]*/>")


# --- the table -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "asset_class", "use"),
    [
        (Action.SEIZE, AssetClass.REAL_ESTATE, "use SEAL for REAL_ESTATE"),
        (Action.FREEZE, AssetClass.REAL_ESTATE, "use SEAL for REAL_ESTATE"),
        (Action.SEAL, AssetClass.DEPOSIT, "use FREEZE or DEDUCT for DEPOSIT"),
        (Action.SEIZE, AssetClass.EQUITY, "use FREEZE for EQUITY"),
        (Action.DEDUCT, AssetClass.SECURITIES, "use FREEZE for SECURITIES"),
        (Action.DEDUCT, AssetClass.VEHICLE, "use SEAL or SEIZE for VEHICLE"),
    ],
)
def test_an_action_on_a_class_it_does_not_apply_to_is_refused_naming_both(action, asset_class, use):
    problem = assert_refused(
        item_of(action, asset_class), "/Items/Item/AssetClass", str(action), str(asset_class)
    )
    assert problem.message.startswith(f"{action} does not apply to {asset_class}: {action} is for ")
    assert problem.message.endswith(use)


def test_a_seizure_of_the_flat_of_the_seal_example_is_refused_and_its_seal_accepted():
    accepted(example("request-seal.xml"))
    seizure = edit("request-seal.xml", ("<Action>SEAL</Action>", "<Action>SEIZE</Action>"))
    problem = assert_refused(seizure, "/Items/Item/AssetClass", "SEIZE", "REAL_ESTATE")
    assert "SEIZE is for VEHICLE and MOVABLE" in problem.message


@pytest.mark.parametrize(
    ("action", "asset_class"),
    [(a, c) for a in CHOSEN for c in AssetClass if c in ACTION_CLASSES[a]],
    ids=str,
)
def test_every_combination_of_the_table_is_accepted(action, asset_class):
    accepted(item_of(action, asset_class))


@pytest.mark.parametrize(
    ("action", "asset_class"),
    [(a, c) for a in CHOSEN for c in AssetClass if c not in ACTION_CLASSES[a]],
    ids=str,
)
def test_every_combination_outside_the_table_is_refused(action, asset_class):
    assert_refused(item_of(action, asset_class), "/AssetClass", f"{action} does not apply to {asset_class}")


@pytest.mark.parametrize("action", [Action.RENEW, Action.RELEASE])
@pytest.mark.parametrize("asset_class", list(AssetClass), ids=str)
def test_renew_and_release_take_the_class_of_any_control(action, asset_class):
    """The service holds the class to the control's; the standard allows any class a control can have."""
    name = {Action.RENEW: "request-renew.xml", Action.RELEASE: "request-release.xml"}[action]
    accepted(edit(name, ("<AssetClass>FUND_ACCOUNT</AssetClass>", f"<AssetClass>{asset_class}</AssetClass>")))


def test_the_table_leaves_no_class_without_a_control_and_deducts_only_money():
    controls = ACTION_CLASSES[Action.SEAL] | ACTION_CLASSES[Action.SEIZE] | ACTION_CLASSES[Action.FREEZE]
    assert controls == set(AssetClass) == ACTION_CLASSES[Action.RENEW] == ACTION_CLASSES[Action.RELEASE]
    assert ACTION_CLASSES[Action.DEDUCT] <= FUNDS_CLASSES  # every deduction names its amount
    assert FUNDS_CLASSES.issubset(ACTION_CLASSES[Action.FREEZE])  # all money can be frozen


def test_two_items_each_refused_are_each_named_at_their_class():
    second = (
        "<Item><AssetClass>LAND_RIGHT</AssetClass><AssetId>222426001001JC00031</AssetId>"
        '<Period start="2026-11-27" end="2027-11-26"/></Item></Items>'
    )
    data = edit("request-freeze.xml", ("FUND_ACCOUNT", "REAL_ESTATE"), ("</Items>", second))
    problems = [p for p in refused(data) if "does not apply" in p.message]
    assert [(p.path.rsplit("/", 2)[-2], p.message.split(":")[0]) for p in problems] == [
        ("Item[1]", "FREEZE does not apply to REAL_ESTATE"),
        ("Item[2]", "FREEZE does not apply to LAND_RIGHT"),
    ]


# --- the new classes -----------------------------------------------------------------------------


def test_the_new_classes_have_their_chinese_names():
    assert [label(c) for c in NEW_CLASSES] == ["证券", "第三方支付账户余额", "收入", "到期债权"]


@pytest.mark.parametrize(
    ("asset_class", "years", "last", "over"),
    [
        (AssetClass.PAYMENT_ACCOUNT, 1, "2027-11-26", "2027-11-27"),
        (AssetClass.INCOME, 1, "2027-11-26", "2027-11-27"),
        (AssetClass.SECURITIES, 3, "2029-11-26", "2029-11-27"),
        (AssetClass.RECEIVABLE, 3, "2029-11-26", "2029-11-27"),
    ],
)
def test_the_new_classes_are_frozen_for_their_longest_period_and_no_day_more(asset_class, years, last, over):
    assert MAX_PERIOD_YEARS[asset_class] == years

    def frozen_until(end: str) -> bytes:
        data = item_of(Action.FREEZE, asset_class).decode()
        return re.sub(r'end="2027-11-26"', f'end="{end}"', data).encode()

    accepted(frozen_until(last))
    assert_refused(
        frozen_until(over), "/Items/Item/Period", str(asset_class), f"at most {years} year", last, over
    )


@pytest.mark.parametrize("action", [Action.FREEZE, Action.DEDUCT])
@pytest.mark.parametrize(
    "asset_class", [AssetClass.PAYMENT_ACCOUNT, AssetClass.INCOME, AssetClass.RECEIVABLE], ids=str
)
def test_money_of_the_new_classes_is_frozen_or_deducted_by_its_amount(action, asset_class):
    problem = assert_refused(without(item_of(action, asset_class), AMOUNT), "/Items/Item", "<Amount>")
    assert problem.message == f"{action} of {asset_class} needs an <Amount>"


def test_securities_are_frozen_by_the_security_and_need_no_amount():
    accepted(without(item_of(Action.FREEZE, AssetClass.SECURITIES), AMOUNT))


# --- DEDUCT and the freeze it takes from ---------------------------------------------------------

ORIGINAL = '<Original requestNo="AT-2026-000123" registrationNo="GJJ-DJ-2026-0042"/>'


def test_a_deduction_without_an_original_is_valid_as_before():
    request = accepted(example("request-deduct.xml")).request
    assert [i.original for i in request.items] == [None, None]


def test_a_deduction_may_name_the_freeze_it_takes_from():
    data = edit("request-deduct.xml", ("50000.00</Amount>", f"50000.00</Amount>{ORIGINAL}"))
    first, second = accepted(data).request.items
    assert (first.original.request_no, first.original.registration_no) == (
        "AT-2026-000123",
        "GJJ-DJ-2026-0042",
    )
    assert second.original is None


def test_the_deduction_example_takes_part_of_the_freeze_of_the_freeze_example():
    freeze = accepted(example("request-freeze.xml")).request
    [deduction] = accepted(example("request-deduct-from-freeze.xml")).request.items
    [frozen] = freeze.items
    registered = re.search(rb"<RegistrationNo>([^<]+)<", example("receipt-controlled.xml")).group(1).decode()
    assert (deduction.original.request_no, deduction.original.registration_no) == (
        freeze.request_no,
        registered,
    )
    assert (deduction.asset_class, deduction.asset_id) == (frozen.asset_class, frozen.asset_id)
    assert deduction.amount.amount < frozen.amount.amount


@pytest.mark.parametrize("name", ["request-renew.xml", "request-release.xml"])
def test_renew_and_release_still_need_their_original(name):
    assert_refused(drop(name, r"\n\s*<Original [^>]*/>"), "/Items/Item", "needs <Original")


def test_an_original_on_a_freeze_is_refused_saying_who_takes_one():
    data = edit("request-freeze.xml", ('end="2027-11-26"/>', f'end="2027-11-26"/>{ORIGINAL}'))
    problem = assert_refused(data, "/Items/Item/Original", "takes no <Original>")
    assert problem.message == "FREEZE takes no <Original>: only DEDUCT, RENEW, RELEASE and TRANSFER do"
