"""Every code of every code list has its Chinese label, worded as DOMAIN.md and STANDARD.md word them."""

import re
from enum import StrEnum

import pytest

from hub.standard import codes
from hub.standard.codes import Action, AssetClass, DocumentType, IdType, SubjectKind
from hub.standard.labels import CODE_LISTS, LABELS, label, label_of

CODE_ENUMS = [
    value
    for value in vars(codes).values()
    if isinstance(value, type) and issubclass(value, StrEnum) and value.__module__ == codes.__name__
]


def test_every_code_list_of_the_standard_has_labels():
    assert {e.__name__ for e in CODE_ENUMS} == {
        "Action", "SubjectKind", "IdType", "AssetClass", "DocumentType",
        "Outcome", "ReasonCode", "AssetStatus", "EncumbranceKind", "AttachmentType",
    }  # fmt: skip
    assert set(LABELS) == set(CODE_ENUMS)


@pytest.mark.parametrize("enum", CODE_ENUMS, ids=lambda e: e.__name__)
def test_every_member_has_a_chinese_label_and_none_is_left_over(enum):
    for member in enum:
        assert re.search(r"[\u4e00-\u9fff]", label(member)), member
    assert set(LABELS[enum]) == set(enum)
    # Labels tell the codes of one list apart (a select box, a table column).
    assert len(set(LABELS[enum].values())) == len(enum)


def test_the_words_of_the_domain():
    assert [label(a) for a in Action] == [
        "查询", "查封", "扣押", "冻结", "扣划", "续行", "解除", "查找被执行人", "失信联合惩戒", "预查封",
        "协助过户",
    ]  # fmt: skip
    assert label(IdType.RESIDENT_ID) == "居民身份证"
    assert label(IdType.USCC) == "统一社会信用代码"
    assert label(DocumentType.RULING) == "裁定书" and label(DocumentType.NOTICE) == "通知书"
    assert label(AssetClass.FUND_ACCOUNT) == "住房公积金账户"
    assert label(SubjectKind.PERSON) == "自然人"
    assert label(codes.Outcome.WAITLISTED) == "轮候"
    assert [label(k) for k in codes.EncumbranceKind] == [
        "抵押",
        "查封",
        "冻结",
        "预告登记",
        "异议登记",
        "其他登记",
    ]


def test_label_of_by_list_name_as_the_notice_asks():
    assert set(CODE_LISTS) == {e.__name__ for e in CODE_ENUMS}
    assert label_of("AssetClass", "VEHICLE") == "机动车"
    assert label_of("AssetClass", "SPACESHIP") == "SPACESHIP"  # unknown codes are shown as they are
