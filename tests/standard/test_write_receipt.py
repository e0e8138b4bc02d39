"""Writing receipts from drafts: the examples come out byte for byte, and what is written passes the standard."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from hub.clock import SHANGHAI
from hub.standard.codes import (
    Action,
    AssetClass,
    AssetStatus,
    AttachmentType,
    EncumbranceKind,
    Outcome,
    ReasonCode,
)
from hub.standard.rules import inspect, receipt_problems
from hub.standard.write_receipt import (
    AssetResult,
    Attached,
    ControlEntry,
    EncumbranceEntry,
    OwnerShare,
    ReceiptDraft,
    write_receipt,
)
from schemas import EXAMPLES_DIR

SCAN = Attached(
    AttachmentType.SIGNED_RECEIPT,
    "receipt.pdf",
    "467a3b429fec60b0bdad6fc69f432fde9ed9c797ddb1b7019a7de01b660a67fe",
)
ESTATE = "222426001001GB00012F00010023"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def estate(receipt_no: str, handled: datetime, outcome: Outcome, request_no: str, **more) -> ReceiptDraft:
    return ReceiptDraft(
        request_no=request_no,
        unit_code="real-estate",
        receipt_no=receipt_no,
        handled_at=handled,
        handler_name="刘敏",
        handler_phone="0433-5552210",
        outcome=outcome,
        attachments=(SCAN,),
        **more,
    )


EXAMPLES = {
    "receipt-controlled.xml": ReceiptDraft(
        request_no="AT-2026-000123",
        unit_code="housing-fund",
        receipt_no="HF-2026-8891",
        handled_at=at(2026, 11, 28, 10, 0),
        handler_name="王五",
        handler_phone="0433-5559876",
        outcome=Outcome.CONTROLLED,
        controls=(
            ControlEntry(
                AssetClass.FUND_ACCOUNT,
                "220100123456789",
                "GJJ-DJ-2026-0042",
                date(2026, 11, 28),
                date(2027, 11, 27),
                Decimal("50000.00"),
            ),
        ),
        attachments=(SCAN,),
    ),
    "receipt-found.xml": estate(
        "RE-2026-0301",
        at(2026, 11, 30, 10, 0),
        Outcome.FOUND,
        "AT-2026-000101",
        assets=(
            AssetResult(
                AssetClass.REAL_ESTATE,
                ESTATE,
                "吉(2019)安图县不动产权第0001234号，明月镇东山路18号兴安小区3号楼2单元302室，住宅，建筑面积89.62平方米",
                Decimal("286000.00"),
                status=AssetStatus.MORTGAGED,
                owners=(OwnerShare("赵六", "1/1"),),
                encumbrances=(
                    EncumbranceEntry(
                        kind=EncumbranceKind.MORTGAGE,
                        holder="中国工商银行股份有限公司安图支行",
                        registration_no="BDC-DY-2019-0456",
                        reference="吉(2019)安图县不动产证明第0000456号",
                        amount=Decimal("200000.00"),
                        start=date(2019, 6, 10),
                        end=date(2039, 6, 9),
                    ),
                    EncumbranceEntry(
                        kind=EncumbranceKind.SEAL,
                        holder="延吉市人民法院",
                        registration_no="BDC-CF-2025-0031",
                        reference="(2025)吉2401执123号",
                        start=date(2025, 1, 2),
                        end=date(2028, 1, 1),
                    ),
                ),
            ),
        ),
    ),
    "receipt-waitlisted.xml": estate(
        "RE-2026-0302",
        at(2026, 11, 30, 14, 0),
        Outcome.WAITLISTED,
        "AT-2026-000102",
        controls=(
            ControlEntry(
                AssetClass.REAL_ESTATE,
                ESTATE,
                "BDC-CF-2026-0117",
                date(2026, 11, 27),
                date(2029, 11, 26),
                queue_position=2,
            ),
        ),
    ),
    "receipt-interim.xml": estate(
        "RE-2026-0300", at(2026, 11, 27, 15, 20), Outcome.ACKNOWLEDGED, "AT-2026-000101", final=False
    ),
    "receipt-objected.xml": ReceiptDraft(
        request_no="AT-2026-000104",
        unit_code="insurer-picc",
        receipt_no="PICC-2026-0007",
        handled_at=at(2026, 11, 30, 16, 0),
        handler_name="吴静",
        handler_phone="0433-5556620",
        outcome=Outcome.OBJECTED,
        reason_code=ReasonCode.THIRD_PARTY_PROPERTY,
        reason_text="保单PDAA202622240000001866的投保人为案外人孙丽，被执行人仅为被保险人，保单现金价值不属于被执行人财产，特提出书面异议。",
        attachments=(
            SCAN,
            Attached(
                AttachmentType.OBJECTION,
                "objection.pdf",
                "9acaf8db2933d6227df239e32d8784c97ae27cd42bfdfa1ac7a256d08b9ce938",
            ),
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_the_examples_are_written_byte_for_byte(name):
    assert write_receipt(EXAMPLES[name]) == (EXAMPLES_DIR / name).read_bytes()


def test_a_query_answer_with_two_assets_and_joint_owners_passes_the_standard():
    draft = ReceiptDraft(
        request_no="AT-2026-000101",
        unit_code="real-estate",
        receipt_no="RE-20261130-0001",
        handled_at=datetime(2026, 11, 30, 2, 0, 30, 123456, tzinfo=UTC),
        handler_name="刘敏",
        outcome=Outcome.FOUND,
        assets=(
            AssetResult(
                AssetClass.REAL_ESTATE,
                ESTATE,
                "住宅 <302室> & 车位",
                Decimal("286000"),
                status=AssetStatus.SEALED,
                owners=(OwnerShare("赵六", "1/2"), OwnerShare("钱七", "1/2")),
            ),
            AssetResult(AssetClass.LAND_RIGHT, "222426001001JC00031", owners=(OwnerShare("赵六"),)),
        ),
    )

    receipt = inspect(write_receipt(draft), expect="receipt").receipt

    assert receipt_problems(receipt, action=Action.QUERY) == []
    assert receipt.handled_at == datetime(2026, 11, 30, 10, 0, 30, tzinfo=SHANGHAI)  # written in Shanghai
    assert receipt.handler_phone is None and receipt.reason_code is None and receipt.attachments == []
    first, second = receipt.assets
    assert (first.description, first.value.amount, first.status) == ("住宅 <302室> & 车位", 286000, "SEALED")
    assert [(o.name, o.share) for o in first.owners] == [("赵六", "1/2"), ("钱七", "1/2")]
    assert second.asset_class == "LAND_RIGHT" and second.value is second.status is second.description is None
    assert [(o.name, o.share) for o in second.owners] == [("赵六", None)]


def test_a_flat_with_two_owners_a_mortgage_and_an_earlier_seal_reads_back_as_written():
    draft = ReceiptDraft(
        request_no="AT-2026-000101",
        unit_code="real-estate",
        receipt_no="RE-20261130-0002",
        handled_at=at(2026, 11, 30, 10, 0),
        handler_name="刘敏",
        outcome=Outcome.FOUND,
        assets=(
            AssetResult(
                AssetClass.REAL_ESTATE,
                ESTATE,
                "兴安小区3号楼2单元302室，住宅",
                status=AssetStatus.MORTGAGED,
                owners=(OwnerShare("赵六", "1/2"), OwnerShare("钱七", "1/2")),
                encumbrances=(
                    EncumbranceEntry(
                        kind=EncumbranceKind.MORTGAGE,
                        holder="中国工商银行安图支行",
                        reference="吉(2020)安图县不动产证明第0000789号",
                        amount=Decimal("1200000"),
                        description="最高额抵押 <一般> & 顺位1",
                    ),
                    EncumbranceEntry(
                        kind=EncumbranceKind.SEAL,
                        holder="安图县人民法院",
                        reference="(2025)吉2426执123号",
                        start=date(2025, 1, 2),
                        end=date(2028, 1, 1),
                    ),
                    EncumbranceEntry(kind=EncumbranceKind.OBJECTION),
                ),
            ),
        ),
    )

    receipt = inspect(write_receipt(draft), expect="receipt").receipt

    assert receipt_problems(receipt, action=Action.QUERY) == []
    [asset] = receipt.assets
    assert [(o.name, o.share) for o in asset.owners] == [("赵六", "1/2"), ("钱七", "1/2")]
    mortgage, seal, objection = asset.encumbrances
    assert (mortgage.kind, mortgage.holder, mortgage.registration_no) == (
        "MORTGAGE",
        "中国工商银行安图支行",
        None,
    )
    assert mortgage.reference == "吉(2020)安图县不动产证明第0000789号"
    assert (mortgage.amount.amount, mortgage.amount.currency) == (Decimal("1200000.00"), "CNY")
    assert mortgage.description == "最高额抵押 <一般> & 顺位1" and mortgage.period is None
    assert (seal.kind, seal.holder, seal.reference) == ("SEAL", "安图县人民法院", "(2025)吉2426执123号")
    assert (seal.period.start, seal.period.end, seal.amount) == (date(2025, 1, 2), date(2028, 1, 1), None)
    assert objection.kind == "OBJECTION"
    assert objection.holder is objection.reference is objection.amount is objection.period is None


def test_an_encumbrance_is_written_with_keywords_only():
    with pytest.raises(TypeError):
        EncumbranceEntry(EncumbranceKind.SEAL, "安图县人民法院")  # type: ignore[misc]


def test_a_waiting_control_that_lapsed_is_reported_with_its_reason():
    draft = EXAMPLES["receipt-waitlisted.xml"]
    lapsed = ReceiptDraft(
        **{
            **draft.__dict__,
            "receipt_no": "RE-2026-0356",
            "outcome": Outcome.UNABLE,
            "reason_code": ReasonCode.ALREADY_TRANSFERRED,
            "reason_text": "在先查封法院已拍卖处置该房产。",
            "controls": (ControlEntry(AssetClass.REAL_ESTATE, ESTATE, "BDC-CF-2026-0117"),),
        }
    )

    receipt = inspect(write_receipt(lapsed), expect="receipt").receipt

    assert (receipt.outcome, receipt.reason_code) == ("UNABLE", "ALREADY_TRANSFERRED")
    [control] = receipt.controls
    assert control.registration_no == "BDC-CF-2026-0117" and control.period is control.queue_position is None


def _sealed(encumbrance: EncumbranceEntry) -> AssetResult:
    return AssetResult(AssetClass.DEPOSIT, "6222", encumbrances=(encumbrance,))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"handled_at": datetime(2026, 11, 30, 10, 0)}, "timezone-aware"),
        (
            {"controls": (ControlEntry(AssetClass.DEPOSIT, "6222", "DJ-1", start=date(2026, 11, 30)),)},
            "both its start and its end",
        ),
        (
            {"controls": (ControlEntry(AssetClass.DEPOSIT, "6222", "DJ-1", amount=Decimal("1.005")),)},
            "at most two decimals",
        ),
        (
            {"assets": (_sealed(EncumbranceEntry(kind=EncumbranceKind.SEAL, end=date(2028, 1, 1))),)},
            "the SEAL on 6222 needs both its start and its end",
        ),
        (
            {"assets": (_sealed(EncumbranceEntry(kind=EncumbranceKind.MORTGAGE, amount=Decimal("0.001"))),)},
            "at most two decimals",
        ),
    ],
)
def test_values_xml_cannot_carry_as_given_are_refused(change, message):
    draft = ReceiptDraft(**{**EXAMPLES["receipt-controlled.xml"].__dict__, **change})
    with pytest.raises(ValueError, match=message):
        write_receipt(draft)
