"""Refusals added under issue 6 (proof under attack): XML 1.0 only, a byte-order mark that contradicts the
declaration, amounts in CNY only, instants the hub can hold, and a bounded list of problems per document.

Each was found accepted, or crashing the reader, before; each refusal names the element.
"""

import pytest
from conftest import edit, example

from hub.standard.rules import inspect
from hub.standard.xml import MAX_PROBLEMS, DocumentError, Problem, element_path, parse

BOM = b"\xef\xbb\xbf"


def refused(data: bytes, **options) -> list[Problem]:
    with pytest.raises(DocumentError) as caught:
        inspect(data, **options)
    return caught.value.problems


def test_xml_1_1_is_refused_and_says_the_standard_is_xml_1_0():
    [problem] = refused(edit("receipt-controlled.xml", ('<?xml version="1.0"', '<?xml version="1.1"')))
    assert "XML version 1.1 is not allowed" in problem.message
    assert "XML 1.0" in problem.message
    assert problem.line == 1


@pytest.mark.parametrize("declaration", ['<?xml version="1.0" encoding="UTF-8"?>\n', ""])
def test_xml_1_0_declared_or_implied_is_accepted(declaration):
    data = edit("request-freeze.xml", ('<?xml version="1.0" encoding="UTF-8"?>\n', declaration))
    assert inspect(data).request.request_no == "AT-2026-000123"


@pytest.mark.parametrize(
    ("declared", "says"),
    [("GB18030", "byte-order mark but declares encoding GB18030"), ("Shift_JIS", "Shift_JIS is not allowed")],
)
def test_a_utf_8_byte_order_mark_cannot_hide_another_declared_encoding(declared, says):
    """libxml2 reads UTF-8 after the mark whatever the declaration says: the declaration is checked."""
    data = BOM + edit("request-freeze.xml", ('encoding="UTF-8"', f'encoding="{declared}"'))
    [problem] = refused(data)
    assert says in problem.message


def test_a_utf_8_byte_order_mark_with_a_utf_8_declaration_is_accepted():
    assert inspect(BOM + example("request-freeze.xml")).request.subject.name == "李四"


def test_an_amount_in_another_currency_than_cny_is_refused_naming_the_element():
    [problem] = refused(edit("request-freeze.xml", ('currency="CNY"', 'currency="USD"')))
    assert problem.path == "/AssistanceRequest/Items/Item/Amount"
    assert problem.line == 22
    assert 'currency="USD"' in problem.message and "CNY" in problem.message


def test_an_amount_without_currency_is_cny():
    request = inspect(edit("request-freeze.xml", (' currency="CNY"', ""))).request
    assert request.items[0].amount.currency == "CNY"


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("receipt-controlled.xml", "/AssistanceReceipt/Results/Control/Amount"),
        ("receipt-found.xml", "/AssistanceReceipt/Results/Asset/Value"),
    ],
)
def test_a_receipt_amount_or_value_in_another_currency_is_refused(name, path):
    [problem] = refused(edit(name, ('currency="CNY"', 'currency="HKD"')))
    assert problem.path == path
    assert "HKD" in problem.message


@pytest.mark.parametrize(
    "instant",
    [
        "2026-11-27T24:00:00+08:00",  # xs:dateTime's end of day
        "10000-01-01T09:30:00+08:00",  # a year of five digits
        "0001-01-01T00:00:00+08:00",  # before year 1 once in UTC
        "9999-12-31T23:00:00-14:00",  # after 9999 once in UTC
    ],
)
def test_an_instant_the_hub_cannot_hold_is_refused_not_crashed_on(instant):
    [problem] = refused(edit("request-freeze.xml", ("2026-11-27T09:30:00+08:00", instant)))
    assert problem.path == "/AssistanceRequest/IssuedAt"
    assert instant in problem.message


def test_a_receipt_handled_at_hour_24_is_refused():
    [problem] = refused(
        edit("receipt-controlled.xml", ("2026-11-28T10:00:00+08:00", "2026-11-28T24:00:00+08:00"))
    )
    assert problem.path == "/AssistanceReceipt/HandledAt"


def test_a_period_on_the_last_day_of_the_calendar_is_checked_without_overflow():
    data = edit(
        "request-freeze.xml", ('start="2026-11-27" end="2027-11-26"', 'start="9999-12-31" end="9999-12-31"')
    )
    assert inspect(data).request.items[0].period.end.year == 9999


def _items(count: int) -> bytes:
    data = example("request-freeze.xml")
    item = data[data.index(b"<Item>") : data.index(b"</Item>") + len(b"</Item>")]
    return data.replace(item, item * count)


def test_a_rule_breached_once_per_item_lists_the_first_problems_and_says_there_are_more():
    data = _items(5 * MAX_PROBLEMS).replace(b'end="2027-11-26"', b'end="2029-11-26"')
    problems = refused(data)
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[0].path == "/AssistanceRequest/Items/Item[1]/Period"
    assert problems[MAX_PROBLEMS - 1].path == f"/AssistanceRequest/Items/Item[{MAX_PROBLEMS}]/Period"
    assert "more problems" in problems[-1].message


def test_schema_errors_are_listed_up_to_the_limit_with_the_count_of_the_rest():
    data = _items(3 * MAX_PROBLEMS).replace(b"<AssetClass>FUND_ACCOUNT", b"<AssetClass>GOLD")
    problems = refused(data)
    assert len(problems) == MAX_PROBLEMS + 1
    assert all("GOLD" in p.message for p in problems[:-1])
    assert problems[1].path == "/AssistanceRequest/Items/Item[2]/AssetClass"
    assert problems[-1].message.startswith(f"{2 * MAX_PROBLEMS} more problem(s)")


def test_units_listed_twice_are_named_once_each_even_among_thousands():
    units = b'<Unit code="housing-fund"/>' * 20_000 + b'<Unit code="rural-bank"/><Unit code="rural-bank"/>'
    data = example("request-freeze.xml").replace(b'<Unit code="housing-fund"/>', units)
    [problem] = refused(data)
    assert problem.message == "unit(s) listed twice: housing-fund, rural-bank"


def test_element_paths_number_repeated_siblings_only():
    root = parse(example("request-deduct.xml")).getroot()
    ns = "{urn:linkage-hub:enforcement:1.0}"
    first, second = root.iter(f"{ns}Item")
    assert element_path(second.find(f"{ns}Amount")) == "/AssistanceRequest/Items/Item[2]/Amount"
    assert element_path(first) == "/AssistanceRequest/Items/Item[1]"
    assert element_path(root.find(f"{ns}Subject")) == "/AssistanceRequest/Subject"
