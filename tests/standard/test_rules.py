"""The rules of STANDARD.md and DOMAIN.md that need no database: identity numbers, control periods,
the per-action request and receipt rules, and the hardened parser.

Each rule is shown to hold on an example and to be refused, with the element named, when breached.
"""

import re
from datetime import date

import pytest
from conftest import edit, example

from hub.standard.codes import Action, period_end
from hub.standard.documents import read_receipt
from hub.standard.ids import resident_id_problem, uscc_problem
from hub.standard.rules import inspect, receipt_problems
from hub.standard.xml import DocumentError, Problem, parse
from hub.web.officer_messages import in_chinese

# --- helpers -----------------------------------------------------------------------------------


def without(data: bytes, pattern: str) -> bytes:
    """`data` without what the regular expression `pattern` matches (it must match)."""
    kept, n = re.subn(pattern, "", data.decode(), flags=re.S)
    assert n, f"{pattern!r} matched nothing"
    return kept.encode()


def drop(name: str, pattern: str) -> bytes:
    """The example `name` without what the regular expression `pattern` matches."""
    return without(example(name), pattern)


def refused(data: bytes, **options) -> list[Problem]:
    with pytest.raises(DocumentError) as caught:
        inspect(data, **options)
    assert caught.value.problems, "a refusal must say what is wrong"
    return caught.value.problems


def assert_refused(data: bytes, path: str, *words: str, **options) -> Problem:
    """Refused, with a problem whose path ends with `path` (Item or Item[2] alike when `path` has no
    index) and whose message holds every word."""
    problems = refused(data, **options)
    for problem in problems:
        unnumbered = re.sub(r"\[\d+\]", "", problem.path)
        if (problem.path.endswith(path) or unnumbered.endswith(path)) and all(
            w.lower() in problem.message.lower() for w in words
        ):
            return problem
    pytest.fail(f"no problem at {path} saying {words}: {[str(p) for p in problems]}")


def accepted(data: bytes, **options):
    try:
        return inspect(data, **options)
    except DocumentError as exc:
        pytest.fail(f"refused: {[str(p) for p in exc.problems]}")


def resident_id(first17: str) -> str:
    """A resident ID with its ISO 7064 MOD 11-2 check digit, computed here independently of the hub."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


ITEMS_BLOCK = r"\n\s*<Items>.*</Items>"
REQUESTS = {
    Action.QUERY: "request-query.xml",
    Action.SEAL: "request-seal.xml",
    Action.SEIZE: "request-seize.xml",
    Action.FREEZE: "request-freeze.xml",
    Action.DEDUCT: "request-deduct.xml",
    Action.RENEW: "request-renew.xml",
    Action.RELEASE: "request-release.xml",
    Action.LOCATE_PERSON: "request-locate-person.xml",
    Action.CREDIT_NOTICE: "request-credit-notice.xml",
}


# --- identity numbers (DOMAIN.md, "Identity numbers") ------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "222426198503120413",
        "22242619790605003X",
        "222426199202140052",
        "222426197508300267",
        "222426198809210470",
    ],
)
def test_resident_ids_of_the_examples_are_valid(number):
    assert resident_id(number[:17]) == number  # the helper below agrees with the examples
    assert resident_id_problem(number) is None


def test_resident_id_accepts_lower_case_x():
    assert resident_id_problem("22242619790605003x") is None


def test_resident_id_with_a_wrong_check_digit_is_refused():
    why = resident_id_problem("222426198503120414")
    assert why is not None and "check digit" in why and "expected 3" in why


def test_resident_id_with_feb_30_is_refused_even_with_a_right_check_digit():
    number = resident_id("22242619850230041")
    why = resident_id_problem(number)
    assert why is not None and "19850230" in why and "birth date" in why


def test_resident_id_born_in_the_future_is_refused():
    why = resident_id_problem(resident_id(f"222426{date.today().year + 1}0101041"))
    assert why is not None and "birth date" in why


@pytest.mark.parametrize("number", ["22242619850312041", "2224261985031204130", "", "22242619850312041Y"])
def test_resident_id_of_the_wrong_shape_is_refused(number):
    why = resident_id_problem(number)
    assert why is not None and "17 digits" in why


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("222426198503120413".translate(FULL_WIDTH), "'２' (U+FF12)"),  # as a Chinese input method types it
        ("2224261985031204١٣", "'١' (U+0661)"),  # Arabic-Indic digits: Python's int() reads them too
    ],
)
def test_a_resident_id_in_digits_other_than_ascii_is_refused_naming_the_character(number, shown):
    why = resident_id_problem(number)
    assert why is not None and shown in why and "half-width digits 0-9" in why


def test_a_subject_whose_id_is_typed_full_width_is_refused_where_it_stands():
    data = example("request-query.xml").replace(
        b"22242619790605003X", "22242619790605003X".translate(FULL_WIDTH).encode()
    )
    problem = assert_refused(data, "/Subject/IdNumber", "U+FF12")
    assert "IdNumber" in problem.message


def test_uscc_of_the_example_is_valid():
    assert uscc_problem("91222426MA17C3K22E") is None


def test_uscc_with_a_wrong_check_character_is_refused():
    why = uscc_problem("91222426MA17C3K22F")
    assert why is not None and "check character" in why and "expected E" in why


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_uscc_with_a_forbidden_letter_is_refused(letter):
    why = uscc_problem("91222426M" + letter + "17C3K22E")
    assert why is not None and "without I, O, Z, S, V" in why


def test_uscc_of_the_wrong_length_is_refused():
    assert uscc_problem("91222426MA17C3K22") is not None


def test_a_wrong_id_number_in_a_request_is_refused_at_idnumber():
    data = edit("request-freeze.xml", ("222426198503120413", "222426198503120414"))
    assert_refused(data, "/Subject/IdNumber", "222426198503120414", "check digit")


def test_a_wrong_uscc_in_a_request_is_refused_at_idnumber():
    data = edit("request-credit-notice.xml", ("91222426MA17C3K22E", "91222426MA17C3K22F"))
    assert_refused(data, "/Subject/IdNumber", "check character")


def test_a_lower_case_x_in_a_request_is_accepted_and_read_upper_case():
    data = edit("request-query.xml", ("22242619790605003X", "22242619790605003x"))
    assert accepted(data).request.subject.id_number == "22242619790605003X"


# --- periods (DOMAIN.md, "Control periods") ----------------------------------------------------


def test_one_year_from_27_november_ends_26_november_next_year():
    assert period_end(date(2026, 11, 27), 1) == date(2027, 11, 26)


@pytest.mark.parametrize(
    ("start", "years", "end"),
    [
        (date(2028, 2, 29), 1, date(2029, 2, 28)),
        (date(2024, 2, 29), 3, date(2027, 2, 28)),
        (date(2028, 2, 29), 4, date(2032, 2, 28)),
        (date(2026, 3, 1), 2, date(2028, 2, 29)),
        (date(2026, 1, 1), 3, date(2028, 12, 31)),
    ],
)
def test_period_end_around_29_february(start, years, end):
    assert period_end(start, years) == end


# --- request rules -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*sorted(REQUESTS.values()), "request-query-all.xml"])
def test_every_example_request_passes(name):
    assert accepted(example(name)).kind == "request"


@pytest.mark.parametrize(
    "name", ["request-query-all.xml", "request-locate-person.xml", "request-credit-notice.xml"]
)
def test_all_capable_is_allowed_for_query_locate_and_credit_notice(name):
    data = re.sub(
        r"<Targets>.*</Targets>", "<Targets><AllCapable/></Targets>", example(name).decode(), flags=re.S
    )
    assert accepted(data.encode()).request.all_capable


@pytest.mark.parametrize("action", [Action.SEAL, Action.FREEZE, Action.DEDUCT, Action.RELEASE])
def test_all_capable_is_refused_for_other_actions(action):
    name = REQUESTS[action]
    data = re.sub(
        r"<Targets>.*</Targets>", "<Targets><AllCapable/></Targets>", example(name).decode(), flags=re.S
    )
    assert_refused(data.encode(), "/AssistanceRequest/Targets", "AllCapable", str(action))


def test_a_unit_listed_twice_is_refused():
    data = edit("request-query.xml", ('<Unit code="vehicles"/>', '<Unit code="real-estate"/>'))
    assert_refused(data, "/AssistanceRequest/Targets", "real-estate", "twice")


@pytest.mark.parametrize(
    "action", [Action.SEAL, Action.SEIZE, Action.FREEZE, Action.DEDUCT, Action.RENEW, Action.RELEASE]
)
def test_items_are_required_for_actions_on_property(action):
    data = drop(REQUESTS[action], ITEMS_BLOCK)
    problem = assert_refused(data, "/AssistanceRequest/Action", "Items")
    assert str(action) in problem.message


ITEM = """<Items><Item><AssetClass>REAL_ESTATE</AssetClass><AssetId>222426001001GB00012F00010023</AssetId></Item></Items>
  <Documents>"""


@pytest.mark.parametrize("action", [Action.QUERY, Action.LOCATE_PERSON, Action.CREDIT_NOTICE])
def test_items_are_refused_for_query_locate_and_credit_notice(action):
    data = edit(REQUESTS[action], ("<Documents>", ITEM))
    assert_refused(data, "/AssistanceRequest/Items", "takes no <Items>")


@pytest.mark.parametrize("action", [Action.SEAL, Action.SEIZE, Action.FREEZE, Action.RENEW])
def test_a_period_is_required_for_seal_seize_freeze_renew(action):
    data = drop(REQUESTS[action], r"\n\s*<Period [^>]*/>")
    assert_refused(data, "/Items/Item", "Period", str(action))


PERIOD = '<Period start="2026-11-27" end="2027-11-26"/>'


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        (Action.DEDUCT, "</Amount>", "</Amount>" + PERIOD),
        (Action.RELEASE, "<Original ", PERIOD + "<Original "),
    ],
)
def test_a_period_is_refused_for_deduct_and_release(action, before, after):
    data = edit(REQUESTS[action], (before, after))
    assert_refused(data, "/Period", "takes no <Period>", str(action))


def test_a_period_that_ends_before_it_starts_is_refused():
    data = edit("request-freeze.xml", ('end="2027-11-26"', 'end="2026-11-26"'))
    assert_refused(data, "/Items/Item/Period", "ends", "2026-11-26", "before")


def test_a_period_of_one_day_is_accepted():
    accepted(edit("request-freeze.xml", ('end="2027-11-26"', 'end="2026-11-27"')))


# (example, its asset class, class to test, start, the last allowed end, one day more)
LIMITS = [
    ("request-freeze.xml", "FUND_ACCOUNT", "DEPOSIT", "2027-11-26", "2027-11-27"),
    ("request-freeze.xml", "FUND_ACCOUNT", "FUND_ACCOUNT", "2027-11-26", "2027-11-27"),
    ("request-seize.xml", "VEHICLE", "VEHICLE", "2028-11-26", "2028-11-27"),
    ("request-seize.xml", "VEHICLE", "MOVABLE", "2028-11-26", "2028-11-27"),
    ("request-seal.xml", "REAL_ESTATE", "REAL_ESTATE", "2029-11-26", "2029-11-27"),
    ("request-seal.xml", "REAL_ESTATE", "LAND_RIGHT", "2029-11-26", "2029-11-27"),
]


def _with_end(name: str, own_class: str, asset_class: str, end: str) -> bytes:
    text = example(name).decode()
    text = text.replace(f"<AssetClass>{own_class}</AssetClass>", f"<AssetClass>{asset_class}</AssetClass>")
    return re.sub(r'(<Period start="2026-11-27") end="[0-9-]+"', rf'\1 end="{end}"', text).encode()


@pytest.mark.parametrize(("name", "own", "asset_class", "last", "_"), LIMITS)
def test_a_period_of_exactly_the_longest_allowed_is_accepted(name, own, asset_class, last, _):
    accepted(_with_end(name, own, asset_class, last))


@pytest.mark.parametrize(("name", "own", "asset_class", "last", "over"), LIMITS)
def test_a_period_one_day_longer_than_allowed_is_refused(name, own, asset_class, last, over):
    problem = assert_refused(_with_end(name, own, asset_class, over), "/Period", asset_class, last, over)
    assert "/Items/Item" in problem.path


def test_fund_account_limit_follows_the_setting():
    two_years = edit("request-freeze.xml", ('end="2027-11-26"', 'end="2028-11-26"'))
    assert_refused(two_years, "/Period", "FUND_ACCOUNT", "2027-11-26")
    accepted(two_years, fund_account_years=2)
    one_day_more = edit("request-freeze.xml", ('end="2027-11-26"', 'end="2028-11-27"'))
    assert_refused(one_day_more, "/Period", "FUND_ACCOUNT", "2028-11-26", fund_account_years=2)


def test_a_renewal_is_held_to_the_same_longest_period():
    data = edit("request-renew.xml", ('end="2028-11-27"', 'end="2028-11-28"'))
    assert_refused(data, "/Items/Item/Period", "FUND_ACCOUNT", "2028-11-27")


@pytest.mark.parametrize(
    ("name", "action"), [("request-freeze.xml", "FREEZE"), ("request-deduct.xml", "DEDUCT")]
)
def test_an_amount_is_required_to_freeze_or_deduct_funds(name, action):
    data = drop(name, r"\n\s*<Amount [^>]*>50000\.00</Amount>")
    problem = assert_refused(data, "/Items/Item", "Amount", "FUND_ACCOUNT")
    assert action in problem.message


def test_freezing_equity_needs_no_amount():
    data = edit("request-freeze.xml", ("FUND_ACCOUNT", "EQUITY"))
    accepted(without(data, r"\n\s*<Amount [^>]*>[^<]*</Amount>"))


@pytest.mark.parametrize("amount", ["0.00", "0", "-5.00"])
def test_an_amount_must_be_more_than_zero(amount):
    data = edit("request-freeze.xml", (">50000.00<", f">{amount}<"))
    assert_refused(data, "/Items/Item/Amount", amount)


@pytest.mark.parametrize("action", [Action.RENEW, Action.RELEASE])
def test_an_original_is_required_for_renew_and_release(action):
    data = drop(REQUESTS[action], r"\n\s*<Original [^>]*/>")
    assert_refused(data, "/Items/Item", "Original", str(action))


@pytest.mark.parametrize("action", [Action.FREEZE, Action.SEAL])
def test_an_original_is_refused_for_other_actions(action):
    original = '<Original requestNo="AT-2026-000077" registrationNo="GJJ-DJ-2026-0042"/>'
    data = re.sub(r"(<Period [^>]*/>)", rf"\1{original}", example(REQUESTS[action]).decode())
    assert_refused(data.encode(), "/Items/Item/Original", "takes no <Original>", str(action))


def test_flexible_is_accepted_for_seize_and_seal():
    accepted(example("request-seize.xml"))
    flexible = '<Flexible custodian="赵六" permittedUse="继续居住"/>'
    accepted(re.sub(r"(<Period [^>]*/>)", rf"\1{flexible}", example("request-seal.xml").decode()).encode())


def test_flexible_is_refused_for_freeze():
    flexible = '<Flexible custodian="李四" permittedUse="继续使用"/>'
    data = re.sub(r"(<Period [^>]*/>)", rf"\1{flexible}", example("request-freeze.xml").decode())
    assert_refused(data.encode(), "/Items/Item", "Flexible", "FREEZE")


def test_seal_without_a_ruling_is_refused():
    data = drop("request-seal.xml", r'\n\s*<Document type="RULING"[^>]*/>')
    assert_refused(data, "/AssistanceRequest/Documents", "SEAL", "RULING")


def test_freeze_with_the_ruling_typed_other_is_refused():
    data = edit("request-freeze.xml", ('type="RULING"', 'type="OTHER"'))
    assert_refused(data, "/AssistanceRequest/Documents", "RULING")


def test_query_with_only_a_notice_is_accepted():
    request = accepted(example("request-query.xml")).request
    assert [d.type for d in request.documents] == ["NOTICE"]


def test_query_without_a_notice_is_refused():
    data = edit("request-query.xml", ('type="NOTICE"', 'type="OTHER"'))
    assert_refused(data, "/AssistanceRequest/Documents", "NOTICE")


def test_a_document_filename_listed_twice_is_refused():
    data = edit("request-freeze.xml", ('filename="ruling.pdf"', 'filename="notice.pdf"'))
    assert_refused(data, "/Documents/Document[2]", "notice.pdf", "twice")


def test_a_person_with_a_uscc_is_refused():
    data = edit("request-credit-notice.xml", ('kind="organization"', 'kind="person"'))
    assert_refused(data, "/Subject/IdNumber", "person", "USCC")


def test_an_organization_with_a_resident_id_is_refused():
    data = edit("request-freeze.xml", ('kind="person"', 'kind="organization"'))
    assert_refused(data, "/Subject/IdNumber", "organization", "RESIDENT_ID")


@pytest.mark.parametrize(
    ("kind", "id_type"), [("person", "PASSPORT"), ("person", "OTHER"), ("organization", "OTHER")]
)
def test_other_identity_documents_are_accepted(kind, id_type):
    data = edit(
        "request-freeze.xml",
        ('kind="person"', f'kind="{kind}"'),
        ("<IdType>RESIDENT_ID</IdType>", f"<IdType>{id_type}</IdType>"),
        ("222426198503120413", "E12345678"),
    )
    accepted(data)


# --- receipt rules -----------------------------------------------------------------------------

RECEIPTS = [
    "receipt-acknowledged.xml",
    "receipt-controlled.xml",
    "receipt-found.xml",
    "receipt-info-mismatch.xml",
    "receipt-interim.xml",
    "receipt-located.xml",
    "receipt-not-found.xml",
    "receipt-not-located.xml",
    "receipt-objected.xml",
    "receipt-partial.xml",
    "receipt-released.xml",
    "receipt-unable.xml",
    "receipt-waitlisted.xml",
]


@pytest.mark.parametrize("name", RECEIPTS)
def test_every_example_receipt_passes(name):
    assert accepted(example(name)).kind == "receipt"


def test_an_interim_receipt_must_be_acknowledged():
    data = edit("receipt-interim.xml", ("<Outcome>ACKNOWLEDGED</Outcome>", "<Outcome>NOT_FOUND</Outcome>"))
    assert_refused(data, "/AssistanceReceipt/Outcome", "interim", "ACKNOWLEDGED", "NOT_FOUND")


@pytest.mark.parametrize(
    ("name", "outcome"),
    [
        ("receipt-unable.xml", "UNABLE"),
        ("receipt-info-mismatch.xml", "INFO_MISMATCH"),
        ("receipt-objected.xml", "OBJECTED"),
    ],
)
def test_a_reason_is_required_for_unable_info_mismatch_objected(name, outcome):
    data = drop(name, r"\n\s*<Reason [^>]*>[^<]*</Reason>")
    assert_refused(data, "/AssistanceReceipt/Outcome", outcome, "Reason")


def test_found_needs_an_asset():
    data = drop("receipt-found.xml", r"\n\s*<Results>.*</Results>")
    assert_refused(data, "/AssistanceReceipt/Outcome", "FOUND", "Asset")


def test_not_found_cannot_list_assets():
    results = re.search(r"\n\s*<Results>.*</Results>", example("receipt-found.xml").decode(), re.S)[0]
    data = edit("receipt-not-found.xml", ("\n  <Attachments>", results + "\n  <Attachments>"))
    assert_refused(data, "/AssistanceReceipt/Results", "NOT_FOUND", "assets")


@pytest.mark.parametrize(
    ("name", "outcome"), [("receipt-controlled.xml", "CONTROLLED"), ("receipt-waitlisted.xml", "WAITLISTED")]
)
def test_a_control_outcome_needs_a_control(name, outcome):
    data = drop(name, r"\n\s*<Results>.*</Results>")
    assert_refused(data, "/AssistanceReceipt/Outcome", outcome, "<Control>")


def test_a_control_period_that_ends_before_it_starts_is_refused():
    data = edit("receipt-controlled.xml", ('end="2027-11-27"', 'end="2026-11-27"'))
    assert_refused(data, "/Results/Control/Period", "ends before it starts")


def test_waitlisted_needs_a_queue_position():
    data = drop("receipt-waitlisted.xml", r"\n\s*<QueuePosition>2</QueuePosition>")
    assert_refused(data, "/Results/Control", "WAITLISTED", "QueuePosition")


def test_a_queue_position_is_refused_unless_waitlisted():
    data = edit("receipt-controlled.xml", ("</Amount>", "</Amount><QueuePosition>1</QueuePosition>"))
    assert_refused(data, "/Results/Control", "QueuePosition", "CONTROLLED")


@pytest.mark.parametrize("name", ["receipt-controlled.xml", "receipt-released.xml", "receipt-waitlisted.xml"])
def test_a_control_result_needs_its_registration_no(name):
    data = drop(name, r"\n\s*<RegistrationNo>[^<]*</RegistrationNo>")
    assert_refused(data, "/Results/Control", "RegistrationNo")


def test_an_attachment_filename_listed_twice_is_refused():
    data = edit("receipt-objected.xml", ('filename="objection.pdf"', 'filename="receipt.pdf"'))
    assert_refused(data, "/Attachments/Attachment[2]", "receipt.pdf", "twice")


# The table "Outcomes allowed per action" of STANDARD.md, written out here; OBJECTED (final) is
# allowed for any action. Each example receipt carries one outcome.
ALLOWED = {
    "QUERY": {"FOUND", "NOT_FOUND", "INFO_MISMATCH"},
    "SEAL": {"CONTROLLED", "PARTIAL", "WAITLISTED", "UNABLE", "INFO_MISMATCH"},
    "SEIZE": {"CONTROLLED", "PARTIAL", "WAITLISTED", "UNABLE", "INFO_MISMATCH"},
    "FREEZE": {"CONTROLLED", "PARTIAL", "WAITLISTED", "UNABLE", "INFO_MISMATCH"},
    "DEDUCT": {"CONTROLLED", "PARTIAL", "UNABLE", "INFO_MISMATCH"},
    "RENEW": {"CONTROLLED", "PARTIAL", "UNABLE", "INFO_MISMATCH"},
    "RELEASE": {"RELEASED", "UNABLE"},
    "LOCATE_PERSON": {"LOCATED", "NOT_LOCATED"},
    "CREDIT_NOTICE": {"ACKNOWLEDGED"},
}
FINAL_RECEIPTS = [name for name in RECEIPTS if name != "receipt-interim.xml"]


def _outcome_problems(name: str, action: str) -> list[Problem]:
    receipt = read_receipt(parse(example(name)))
    return [p for p in receipt_problems(receipt, action=Action(action)) if p.path.endswith("/Outcome")]


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("name", FINAL_RECEIPTS)
def test_outcomes_allowed_per_action(name, action):
    outcome = read_receipt(parse(example(name))).outcome
    problems = _outcome_problems(name, action)
    if outcome in ALLOWED[action] or outcome == "OBJECTED":
        assert problems == []
    else:
        [problem] = problems
        assert outcome in problem.message and action in problem.message


def test_found_is_no_answer_to_a_freeze():
    [problem] = _outcome_problems("receipt-found.xml", "FREEZE")
    assert "FOUND" in problem.message and "FREEZE" in problem.message


@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_an_interim_acknowledgment_is_allowed_for_any_action(action):
    assert _outcome_problems("receipt-interim.xml", action) == []


# --- the hardened parser -----------------------------------------------------------------------

FREEZE = example("request-freeze.xml").decode()
DOCTYPES = {
    "internal entity": '<!DOCTYPE AssistanceRequest [<!ENTITY court "安图县人民法院">]>',
    "billion laughs": (
        '<!DOCTYPE AssistanceRequest [<!ENTITY lol "lol">'
        '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
        '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
        '<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">'
        '<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">]>'
    ),
    "external entity": '<!DOCTYPE AssistanceRequest [<!ENTITY court SYSTEM "file:///etc/passwd">]>',
    "external DTD": '<!DOCTYPE AssistanceRequest SYSTEM "file:///etc/passwd">',
}
ENTITY_USE = {
    "internal entity": "&court;",
    "billion laughs": "&lol6;",
    "external entity": "&court;",
    "external DTD": "",
}


@pytest.mark.parametrize("kind", sorted(DOCTYPES))
def test_a_doctype_is_refused_and_no_entity_is_expanded(kind):
    text = FREEZE.replace("<AssistanceRequest ", DOCTYPES[kind] + "\n<AssistanceRequest ", 1)
    text = text.replace("</Documents>", f"</Documents>\n  <Remarks>{ENTITY_USE[kind]}</Remarks>")
    with pytest.raises(DocumentError) as caught:
        inspect(text.encode())
    # refused for the DOCTYPE, or (billion laughs) by libxml2's entity amplification guard before
    assert any("DOCTYPE" in p.message or "entity" in p.message for p in caught.value.problems)
    shown = str(caught.value) + " ".join(str(p) for p in caught.value.problems)
    assert "root:" not in shown and "lollol" not in shown


def test_a_document_over_the_size_limit_is_refused():
    data = example("request-freeze.xml")
    accepted(data, max_bytes=len(data))
    with pytest.raises(DocumentError) as caught:
        inspect(data, max_bytes=len(data) - 1)
    assert caught.value.code == "document_too_large"
    assert str(len(data) - 1) in caught.value.problems[0].message


def test_a_document_that_is_not_well_formed_says_the_line():
    data = edit("request-freeze.xml", ("</CaseNo>", "</Case>"))
    [problem] = refused(data)
    assert problem.line == 7
    assert "not well-formed" in problem.message


def test_an_empty_document_is_refused():
    assert "empty" in refused(b"  \n")[0].message


def test_iso_8859_1_is_refused():
    data = edit("request-freeze.xml", ('encoding="UTF-8"', 'encoding="ISO-8859-1"'))
    assert_refused(data, "/", "ISO-8859-1", "UTF-8 or GB18030")


def test_utf_16_without_a_declaration_is_refused():
    """STANDARD.md: UTF-8 or GB18030 only. A UTF-16 document with a byte-order mark needs no declaration."""
    data = FREEZE.replace('<?xml version="1.0" encoding="UTF-8"?>\n', "").encode("utf-16")
    assert data.startswith(b"\xff\xfe<\x00A\x00")  # a byte-order mark, then <AssistanceRequest
    assert_refused(data, "/", "UTF-16")


def test_gb18030_is_accepted_and_reads_back_the_chinese_names():
    data = FREEZE.replace('encoding="UTF-8"', 'encoding="GB18030"').encode("gb18030")
    assert data != FREEZE.encode()
    request = accepted(data).request
    assert request.subject.name == "李四"
    assert request.court_name == "安图县人民法院"
    assert request.officer_name == "张三"
    assert request.case_no == "（2026）吉2426执123号"
    assert request.items[0].description == "住房公积金账户"


def test_gb18030_bytes_declared_as_utf_8_are_refused():
    data = FREEZE.encode("gb18030")
    assert "not well-formed" in refused(data)[0].message


def test_a_wrong_root_element_is_refused():
    data = edit("request-freeze.xml", ("AssistanceRequest", "AssistanceDemand"))
    assert_refused(data, "/AssistanceDemand", "AssistanceRequest")


def test_a_receipt_where_a_request_is_expected_is_refused():
    assert_refused(
        example("receipt-controlled.xml"),
        "/AssistanceReceipt",
        "expected AssistanceRequest",
        expect="request",
    )


def test_a_wrong_namespace_is_refused():
    data = edit("request-freeze.xml", ("urn:linkage-hub:enforcement:1.0", "urn:linkage-hub:enforcement:2.0"))
    assert_refused(data, "/AssistanceRequest", "urn:linkage-hub:enforcement:1.0")


def test_no_namespace_is_refused():
    data = edit("request-freeze.xml", (' xmlns="urn:linkage-hub:enforcement:1.0"', ""))
    assert_refused(data, "/AssistanceRequest", "namespace")


def test_a_schema_error_carries_the_line_and_a_readable_path():
    problem = assert_refused(
        edit("request-freeze.xml", ("<Action>FREEZE</Action>", "<Action>FREEZ</Action>")), "", "FREEZ"
    )
    assert problem.line == 8
    assert problem.path == "/AssistanceRequest/Action"
    assert "{urn:" not in problem.message


def test_a_schema_error_in_the_second_item_names_that_item():
    data = example("request-seize.xml").decode()
    lines = data.splitlines()
    index = [i for i, line in enumerate(lines) if "<Period " in line][1]
    lines[index] = lines[index].replace('end="2028-11-26"', 'end="2028-13-26"')
    problems = refused("\n".join(lines).encode())
    assert any(
        p.line == index + 1 and p.path == "/AssistanceRequest/Items/Item[2]/Period" for p in problems
    ), problems


def test_the_officers_pages_say_a_full_width_id_in_chinese():
    problem = assert_refused(
        example("request-query.xml").replace(
            b"22242619790605003X", "２２２４２６１９７９０６０５００３Ｘ".encode()
        ),
        "/Subject/IdNumber",
        "U+FF12",
    )
    assert in_chinese(problem.message) == (
        "证件号码中的“２”不是半角字符：请用半角数字 0-9 和大写字母 A-Z 填写（可关闭输入法的全角模式）。"
    )
