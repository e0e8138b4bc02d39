"""The request writer alone: what it writes passes the standard's whole check and reads back the same."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from conftest import example_file

from hub.standard import NS
from hub.standard.codes import Action, AssetClass, IdType, SubjectKind
from hub.standard.rules import inspect
from hub.standard.write_request import (
    DocumentDraft,
    ItemDraft,
    RequestDraft,
    SubjectDraft,
    write_request,
)
from hub.standard.xml import DocumentError

ISSUED = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
NOTICE = DocumentDraft.of("NOTICE", "notice.pdf", example_file("notice.pdf"))
RULING = DocumentDraft.of("RULING", "ruling.pdf", example_file("ruling.pdf"))


def draft(**changes) -> RequestDraft:
    values = {
        "request_no": "AT-2026-000201",
        "issued_at": ISSUED,
        "court_code": "J2426",
        "court_name": "安图县人民法院",
        "officer_name": "张三",
        "officer_credential_no": "JL2426-0031",
        "case_no": "（2026）吉2426执301号",
        "action": "QUERY",
        "subject": SubjectDraft("person", "王丽华", "RESIDENT_ID", "222426197508300267"),
        "all_capable": True,
        "documents": (NOTICE,),
    }
    return RequestDraft(**{**values, **changes})


def test_a_query_to_all_capable_units_passes_the_standard():
    document = write_request(draft(remarks="请于三个工作日内回复 <加急> & 核对"))
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    request = inspect(document, expect="request").request
    assert request.request_no == "AT-2026-000201" and request.action is Action.QUERY
    assert request.issued_at.isoformat() == "2026-11-27T09:30:00+08:00"
    assert (request.court_code, request.court_name) == ("J2426", "安图县人民法院")
    assert (request.officer_name, request.officer_credential_no, request.officer_phone) == (
        "张三",
        "JL2426-0031",
        None,
    )
    assert request.all_capable and request.targets == [] and request.items == []
    assert request.subject.kind is SubjectKind.PERSON and request.subject.id_type is IdType.RESIDENT_ID
    assert [(d.type, d.filename, d.sha256) for d in request.documents] == [
        ("NOTICE", "notice.pdf", NOTICE.sha256)
    ]
    assert request.remarks == "请于三个工作日内回复 <加急> & 核对"
    assert f'xmlns="{NS}"'.encode() in document


def test_a_seal_with_its_items_and_ruling_passes_and_reads_back():
    items = (
        ItemDraft(
            "REAL_ESTATE",
            "222426001001GB00012F00010023",
            description="明月镇东山路18号302室",
            period_start=date(2026, 11, 27),
            period_end=date(2029, 11, 26),
            flexible_custodian="赵六",
            flexible_use="继续居住",
        ),
        ItemDraft(
            "LAND_RIGHT",
            "222426001001GB00099",
            period_start=date(2026, 11, 27),
            period_end=date(2029, 11, 26),
        ),
    )
    document = write_request(
        draft(
            action="SEAL",
            all_capable=False,
            targets=("real-estate",),
            items=items,
            documents=(RULING, NOTICE),
            subject=SubjectDraft("organization", "安图县某建材有限公司", "USCC", "91222426MA0Y4KJ589"),
            officer_phone="0433-5551234",
        )
    )
    request = inspect(document, expect="request").request
    assert request.targets == ["real-estate"] and not request.all_capable
    first, second = request.items
    assert first.asset_class is AssetClass.REAL_ESTATE and first.description == "明月镇东山路18号302室"
    assert (first.period.start, first.period.end) == (date(2026, 11, 27), date(2029, 11, 26))
    assert (first.flexible_custodian, first.flexible_use) == ("赵六", "继续居住")
    assert second.description is None and second.original is None and second.amount is None
    assert {d.type for d in request.documents} == {"RULING", "NOTICE"}
    assert request.officer_phone == "0433-5551234"


def test_amounts_and_originals_are_written_as_the_standard_spells_them():
    freeze = write_request(
        draft(
            action="FREEZE",
            all_capable=False,
            targets=("housing-fund",),
            items=(
                ItemDraft(
                    "FUND_ACCOUNT",
                    "220100123456789",
                    amount=Decimal("50000"),
                    period_start=date(2026, 11, 27),
                    period_end=date(2027, 11, 26),
                ),
            ),
            documents=(RULING, NOTICE),
        )
    )
    assert b'<Amount currency="CNY">50000.00</Amount>' in freeze
    inspect(freeze, expect="request")

    release = write_request(
        draft(
            action="RELEASE",
            all_capable=False,
            targets=("real-estate",),
            items=(
                ItemDraft(
                    "REAL_ESTATE",
                    "222426001001GB00012F00010023",
                    original_request_no="AT-2026-000102",
                    original_registration_no="BDC-CF-2026-0088",
                ),
            ),
            documents=(RULING, NOTICE),
        )
    )
    original = inspect(release, expect="request").request.items[0].original
    assert (original.request_no, original.registration_no) == ("AT-2026-000102", "BDC-CF-2026-0088")


def test_it_writes_what_it_is_given_and_leaves_the_judging_to_the_standard():
    # a third decimal is not rounded away: the XSD refuses it, on the Amount's own line
    document = write_request(
        draft(
            action="FREEZE",
            all_capable=False,
            targets=("housing-fund",),
            items=(
                ItemDraft(
                    "FUND_ACCOUNT",
                    "220100123456789",
                    amount=Decimal("1.005"),
                    period_start=date(2026, 11, 27),
                    period_end=date(2027, 11, 26),
                ),
            ),
            documents=(RULING, NOTICE),
        )
    )
    with pytest.raises(DocumentError) as refused:
        inspect(document, expect="request")
    assert refused.value.problems[0].path == "/AssistanceRequest/Items/Item/Amount"

    # a wrong check digit is written as typed and refused by the rules, at the IdNumber
    wrong = write_request(
        draft(subject=SubjectDraft("person", "王丽华", "RESIDENT_ID", "222426197508300268"))
    )
    with pytest.raises(DocumentError) as refused:
        inspect(wrong, expect="request")
    assert refused.value.problems[0].path == "/AssistanceRequest/Subject/IdNumber"


def test_a_naive_issued_at_is_refused():
    with pytest.raises(ValueError):
        write_request(draft(issued_at=datetime(2026, 11, 27, 9, 30)))
