"""PRE_SEAL (预查封) and TRANSFER (协助过户) in the standard: their examples pass, and each breach of their rules
is refused naming what is wrong and where (STANDARD.md, DOMAIN.md "Pre-seals" and "Transfers")."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from conftest import edit, example, example_file
from lxml import etree
from test_rules import accepted, assert_refused, drop

from hub.standard.codes import Action, IdType, Outcome, SubjectKind
from hub.standard.documents import read_receipt
from hub.standard.notice import render_notice
from hub.standard.rules import receipt_problems
from hub.standard.write_request import (
    DocumentDraft,
    ItemDraft,
    RequestDraft,
    SubjectDraft,
    TransfereeDraft,
    write_request,
)
from hub.standard.xml import parse
from schemas import XSD_PATH

BUYER = "222401199107082037"  # 李明, the buyer of request-transfer.xml
TRANSFEREE = (
    '<Transferee kind="person">\n        <Name>李明</Name>\n        <IdType>RESIDENT_ID</IdType>\n'
    f"        <IdNumber>{BUYER}</IdNumber>\n      </Transferee>"
)
ORIGINAL = '<Original requestNo="AT-2026-000103" registrationNo="CGS-KY-2026-0311"/>'


def transfer(*changes: tuple[str, str]) -> bytes:
    return edit("request-transfer.xml", *changes)


# --- the examples ----------------------------------------------------------------------------------


def test_the_pre_seal_example_asks_two_years_on_a_flat_not_yet_the_debtors():
    request = accepted(example("request-pre-seal.xml")).request
    assert request.action is Action.PRE_SEAL
    [item] = request.items
    assert (str(item.asset_class), item.period.start.isoformat(), item.period.end.isoformat()) == (
        "REAL_ESTATE",
        "2026-12-01",
        "2028-11-30",
    )
    assert item.transferees == ()


def test_the_transfer_example_names_the_buyer():
    request = accepted(example("request-transfer.xml")).request
    assert request.action is Action.TRANSFER
    [item] = request.items
    [buyer] = item.transferees
    assert (buyer.kind, buyer.name, buyer.id_type, buyer.id_number, buyer.share) == (
        SubjectKind.PERSON,
        "李明",
        IdType.RESIDENT_ID,
        BUYER,
        None,
    )
    assert item.original is None  # the hub finds the court's seizure of the lorry itself
    assert item.amount.amount == Decimal("186000.00") and item.period is None


@pytest.mark.parametrize(
    ("name", "action", "outcome"),
    [
        ("receipt-pre-sealed.xml", Action.PRE_SEAL, Outcome.CONTROLLED),
        ("receipt-converted.xml", Action.PRE_SEAL, Outcome.CONTROLLED),
        ("receipt-transferred.xml", Action.TRANSFER, Outcome.TRANSFERRED),
    ],
)
def test_the_receipt_examples_answer_their_action(name, action, outcome):
    receipt = accepted(example(name)).receipt
    assert receipt.outcome is outcome
    assert receipt_problems(receipt, action=action) == []


def test_the_notices_say_what_is_asked():
    pre_seal = render_notice(
        example("request-pre-seal.xml"), unit_name="房产管理中心", court_name="安图县人民法院"
    )
    assert "办理预查封登记" in pre_seal.text and "预查封期限：2026年12月1日至2028年11月30日" in pre_seal.text
    assert "预查封登记自动转为查封登记，查封期限自预查封之日起计算" in pre_seal.text
    transferred = render_notice(
        example("request-transfer.xml"), unit_name="车辆管理所", court_name="安图县人民法院"
    )
    assert "过户（办理转移登记）至受让人名下" in transferred.text
    assert "本院对该财产的查封（扣押、冻结）随之解除" in transferred.text
    assert f"受让人：李明（自然人，居民身份证 {BUYER}）" in transferred.text
    assert "成交或抵债价款：人民币186,000.00元" in transferred.text
    assert "已发生法律效力的拍卖、变卖成交裁定书或以物抵债裁定书" in transferred.text


# --- PRE_SEAL --------------------------------------------------------------------------------------


def test_a_pre_seal_of_a_vehicle_is_refused_naming_what_a_vehicle_takes():
    data = edit(
        "request-pre-seal.xml", ("<AssetClass>REAL_ESTATE</AssetClass>", "<AssetClass>VEHICLE</AssetClass>")
    )
    problem = assert_refused(data, "/Items/Item/AssetClass", "PRE_SEAL does not apply to VEHICLE")
    assert "PRE_SEAL is for REAL_ESTATE and LAND_RIGHT" in problem.message
    assert problem.message.endswith("use SEAL or SEIZE for VEHICLE")


def test_a_pre_seal_of_land_is_accepted():
    accepted(
        edit(
            "request-pre-seal.xml",
            ("<AssetClass>REAL_ESTATE</AssetClass>", "<AssetClass>LAND_RIGHT</AssetClass>"),
        )
    )


def test_a_pre_seal_longer_than_two_years_is_refused_though_a_seal_of_a_flat_may_last_three():
    three_years = ('end="2028-11-30"', 'end="2029-11-30"')
    problem = assert_refused(edit("request-pre-seal.xml", three_years), "/Items/Item/Period", "PRE_SEAL")
    assert problem.message == (
        "a pre-seal (PRE_SEAL) of REAL_ESTATE lasts at most 2 year(s): from 2026-12-01 it must end by "
        "2028-11-30, not 2029-11-30"
    )
    seal = edit(
        "request-pre-seal.xml", three_years, ('end="2029-11-30"', 'end="2029-11-29"'), ("PRE_SEAL<", "SEAL<")
    )
    accepted(seal)


def test_a_pre_seal_needs_its_period_and_its_ruling():
    assert_refused(
        drop("request-pre-seal.xml", r"\n\s*<Period [^>]*/>"), "/Items/Item", "PRE_SEAL needs a <Period"
    )
    assert_refused(
        drop("request-pre-seal.xml", r'\n\s*<Document type="RULING"[^>]*/>'),
        "/Documents",
        "PRE_SEAL needs a document of type RULING",
    )


def test_a_pre_seal_names_no_transferee():
    data = edit("request-pre-seal.xml", ('end="2028-11-30"/>', f'end="2028-11-30"/>\n      {TRANSFEREE}'))
    assert_refused(
        data, "/Items/Item/Transferee/IdNumber", "PRE_SEAL takes no <Transferee>: only TRANSFER does"
    )


# --- TRANSFER --------------------------------------------------------------------------------------


def test_a_transfer_without_a_transferee_is_refused_at_its_item():
    data = drop("request-transfer.xml", r"\n\s*<Transferee .*</Transferee>")
    assert_refused(data, "/Items/Item", "TRANSFER needs a <Transferee> on every item")


def test_a_transfer_needs_the_ruling_that_took_effect():
    data = drop("request-transfer.xml", r'\n\s*<Document type="RULING"[^>]*/>')
    assert_refused(data, "/Documents", "TRANSFER needs a document of type RULING")


def test_a_transferee_with_a_wrong_check_digit_is_refused_at_his_id_number():
    data = transfer((BUYER, BUYER[:-1] + "8"))
    problem = assert_refused(data, "/Items/Item/Transferee/IdNumber", "check digit", "expected 7")
    assert problem.message.startswith(f"IdNumber {BUYER[:-1]}8: ")


def test_an_organization_taking_the_asset_is_named_by_its_social_credit_code():
    company = (
        '<Transferee kind="organization">\n        <Name>延边松江木业有限公司</Name>\n'
        "        <IdType>USCC</IdType>\n        <IdNumber>91222426MA0Y3K7L20</IdNumber>\n      </Transferee>"
    )
    accepted(transfer((TRANSFEREE, company)))
    wrong = transfer((TRANSFEREE, company.replace("<IdType>USCC</IdType>", "<IdType>RESIDENT_ID</IdType>")))
    assert_refused(
        wrong,
        "/Items/Item/Transferee/IdNumber",
        "a transferee of kind organization cannot have IdType RESIDENT_ID",
    )
    bad_code = transfer((TRANSFEREE, company.replace("MA0Y3K7L20", "MA0Y3K7L21")))
    assert_refused(bad_code, "/Items/Item/Transferee/IdNumber", "91222426MA0Y3K7L21")


def test_the_debtor_cannot_be_the_transferee():
    data = transfer((BUYER, "222426198809210470"))
    assert_refused(data, "/Items/Item/Transferee/IdNumber", "is the debtor")


def test_co_buyers_with_shares_are_accepted_and_shares_past_the_whole_refused():
    half = TRANSFEREE.replace('kind="person"', 'kind="person" share="1/2"')
    other = half.replace("李明", "李红").replace(BUYER, "222426198604123015")
    accepted(transfer((TRANSFEREE, f"{half}\n      {other}")))
    too_much = other.replace('share="1/2"', 'share="2/3"')
    assert_refused(
        transfer((TRANSFEREE, f"{half}\n      {too_much}")),
        "/Items/Item/Transferee[2]/IdNumber",
        "add up to 7/6",
    )
    assert_refused(transfer((TRANSFEREE, half.replace("1/2", "3/2"))), "/Transferee/IdNumber", 'share="3/2"')
    huge = "9" * 5000  # past what int() reads: refused, never an error of the hub
    for share in (f"1/{huge}", "1/1234567891"):  # one side too long, never read cut short
        assert_refused(
            transfer((TRANSFEREE, half.replace("1/2", share))), "/Transferee/IdNumber", "not a part"
        )


def test_a_transfer_of_money_is_refused_naming_what_money_takes():
    data = transfer(("<AssetClass>VEHICLE</AssetClass>", "<AssetClass>DEPOSIT</AssetClass>"))
    problem = assert_refused(data, "/Items/Item/AssetClass", "TRANSFER does not apply to DEPOSIT")
    assert problem.message.endswith("use FREEZE or DEDUCT for DEPOSIT")


def test_a_transfer_takes_no_period_and_no_flexible_seal():
    period = transfer((TRANSFEREE, f'<Period start="2027-03-22" end="2028-03-21"/>\n      {TRANSFEREE}'))
    assert_refused(period, "/Items/Item/Period", "TRANSFER takes no <Period>")
    flexible = transfer((TRANSFEREE, f'<Flexible custodian="孙七" permittedUse="运输"/>\n      {TRANSFEREE}'))
    assert_refused(flexible, "/Items/Item", "<Flexible> (活封) is for SEAL and SEIZE only, not TRANSFER")


def test_a_transfer_may_name_the_control_it_ends():
    named = transfer((TRANSFEREE, f"{ORIGINAL}\n      {TRANSFEREE}"))
    [item] = accepted(named).request.items
    assert (item.original.request_no, item.original.registration_no) == ("AT-2026-000103", "CGS-KY-2026-0311")


def test_the_schema_holds_the_transferee_to_its_place_and_its_codes():
    schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    assert schema.validate(parse(example("request-transfer.xml")))
    before_original = transfer((TRANSFEREE, f"{TRANSFEREE}\n      {ORIGINAL}"))
    for wrong in (
        before_original,
        transfer(('<Transferee kind="person">', '<Transferee kind="company">')),
        transfer(('<Transferee kind="person">', '<Transferee kind="person" share="half">')),
        transfer(("<IdType>RESIDENT_ID</IdType>\n        <IdNumber>2224", "<IdNumber>2224")),
    ):
        assert not schema.validate(parse(wrong))


# --- receipts --------------------------------------------------------------------------------------


def _receipt(name: str, *changes: tuple[str, str]):
    return read_receipt(parse(edit(name, *changes)))


def test_transferred_answers_a_transfer_only_and_controlled_does_not():
    transferred = _receipt("receipt-transferred.xml")
    [problem] = receipt_problems(transferred, action=Action.SEAL)
    assert (
        problem.path.endswith("/Outcome")
        and "Outcome TRANSFERRED is not an answer to SEAL" in problem.message
    )
    controlled = _receipt("receipt-transferred.xml", ("<Outcome>TRANSFERRED<", "<Outcome>CONTROLLED<"))
    [problem] = receipt_problems(controlled, action=Action.TRANSFER)
    assert (
        problem.message
        == "Outcome CONTROLLED is not an answer to TRANSFER: use one of INFO_MISMATCH, PARTIAL, TRANSFERRED, UNABLE"
    )


def test_a_transferred_result_names_its_registration_and_no_period():
    bare = drop("receipt-transferred.xml", r"\n\s*<Results>.*</Results>")
    assert_refused(bare, "/Outcome", "Outcome TRANSFERRED needs a <Control>")
    unnumbered = drop("receipt-transferred.xml", r"\n\s*<RegistrationNo>[^<]*</RegistrationNo>")
    assert_refused(unnumbered, "/Results/Control", "needs its <RegistrationNo>")
    dated = edit(
        "receipt-transferred.xml",
        ("</RegistrationNo>", '</RegistrationNo>\n      <Period start="2027-03-23" end="2028-03-22"/>'),
    )
    assert_refused(dated, "/Results/Control/Period", "a transfer has no period")


# --- the request writer ----------------------------------------------------------------------------


def test_the_writer_writes_transferees_after_the_original():
    notice = DocumentDraft.of("NOTICE", "notice.pdf", example_file("notice.pdf"))
    ruling = DocumentDraft.of("RULING", "ruling.pdf", example_file("ruling.pdf"))
    item = ItemDraft(
        "REAL_ESTATE",
        "222426001001GB00012F00010023",
        original_request_no="AT-2026-000102",
        transferees=(
            TransfereeDraft("person", "李明", "RESIDENT_ID", BUYER, share="1/2"),
            TransfereeDraft("person", "李红", "RESIDENT_ID", "222426198604123015", share="1/2"),
        ),
    )
    document = write_request(
        RequestDraft(
            request_no="AT-2026-000301",
            issued_at=datetime(2027, 3, 22, 1, 0, tzinfo=UTC),
            court_code="J2426",
            court_name="安图县人民法院",
            officer_name="张三",
            case_no="（2026）吉2426执156号",
            action="TRANSFER",
            subject=SubjectDraft("person", "赵六", "RESIDENT_ID", "22242619790605003X"),
            targets=("housing-admin",),
            items=(item,),
            documents=(notice, ruling),
        )
    )
    [read] = accepted(document).request.items
    assert [(t.name, t.id_number, t.share) for t in read.transferees] == [
        ("李明", BUYER, "1/2"),
        ("李红", "222426198604123015", "1/2"),
    ]
    assert read.original.request_no == "AT-2026-000102"
