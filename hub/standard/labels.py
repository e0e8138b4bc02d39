"""Simplified-Chinese labels of the code lists (hub.standard.codes), worded as DOMAIN.md and STANDARD.md do.

Notices, e-mails and web pages show codes through `label`; the codes themselves never change.
"""

from enum import StrEnum

from hub.standard.codes import (
    Action,
    AssetClass,
    AssetStatus,
    AttachmentType,
    DocumentType,
    EncumbranceKind,
    IdType,
    Outcome,
    ReasonCode,
    SubjectKind,
)

ACTION_LABELS: dict[Action, str] = {
    Action.QUERY: "查询",
    Action.SEAL: "查封",
    Action.SEIZE: "扣押",
    Action.FREEZE: "冻结",
    Action.DEDUCT: "扣划",
    Action.RENEW: "续行",
    Action.RELEASE: "解除",
    Action.LOCATE_PERSON: "查找被执行人",
    Action.CREDIT_NOTICE: "失信联合惩戒",
    Action.PRE_SEAL: "预查封",
    Action.TRANSFER: "协助过户",
}

SUBJECT_KIND_LABELS: dict[SubjectKind, str] = {
    SubjectKind.PERSON: "自然人",
    SubjectKind.ORGANIZATION: "法人或其他组织",
}

ID_TYPE_LABELS: dict[IdType, str] = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.USCC: "统一社会信用代码",
    IdType.PASSPORT: "护照",
    IdType.OTHER: "其他证件",
}

ASSET_CLASS_LABELS: dict[AssetClass, str] = {
    AssetClass.REAL_ESTATE: "不动产",
    AssetClass.VEHICLE: "机动车",
    AssetClass.FUND_ACCOUNT: "住房公积金账户",
    AssetClass.INSURANCE_POLICY: "保险单",
    AssetClass.EQUITY: "股权",
    AssetClass.DEPOSIT: "存款",
    AssetClass.FOREST_RIGHT: "林权",
    AssetClass.LAND_RIGHT: "土地权利",
    AssetClass.MOVABLE: "动产",
    AssetClass.SECURITIES: "证券",
    AssetClass.PAYMENT_ACCOUNT: "第三方支付账户余额",
    AssetClass.INCOME: "收入",
    AssetClass.RECEIVABLE: "到期债权",
    AssetClass.OTHER: "其他财产",
}

DOCUMENT_TYPE_LABELS: dict[DocumentType, str] = {
    DocumentType.RULING: "裁定书",
    DocumentType.NOTICE: "通知书",
    DocumentType.OTHER: "其他文书",
}

OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.FOUND: "已查到",
    Outcome.NOT_FOUND: "未查到",
    Outcome.INFO_MISMATCH: "信息不符",
    Outcome.CONTROLLED: "已控制",
    Outcome.TRANSFERRED: "已过户",
    Outcome.PARTIAL: "部分办理",
    Outcome.WAITLISTED: "轮候",
    Outcome.UNABLE: "无法协助",
    Outcome.RELEASED: "已解除",
    Outcome.LOCATED: "已找到",
    Outcome.NOT_LOCATED: "未找到",
    Outcome.ACKNOWLEDGED: "已收悉",
    Outcome.OBJECTED: "提出异议",
}

REASON_CODE_LABELS: dict[ReasonCode, str] = {
    ReasonCode.NO_SUCH_PROPERTY: "无此财产",
    ReasonCode.SUBJECT_NOT_FOUND: "查无此被执行人",
    ReasonCode.INFO_MISMATCH: "信息不符",
    ReasonCode.ALREADY_TRANSFERRED: "财产已转移",
    ReasonCode.PRIOR_CONTROL_NOT_FOUND: "未找到原控制措施",
    ReasonCode.DOCUMENTS_INCOMPLETE: "法律文书不全",
    ReasonCode.THIRD_PARTY_PROPERTY: "属案外人财产",
    ReasonCode.OUT_OF_JURISDICTION: "不属本单位办理范围",
    ReasonCode.OTHER: "其他",
}

ASSET_STATUS_LABELS: dict[AssetStatus, str] = {
    AssetStatus.NORMAL: "正常",
    AssetStatus.SEALED: "已查封",
    AssetStatus.FROZEN: "已冻结",
    AssetStatus.MORTGAGED: "已抵押",
    AssetStatus.DISPUTED: "有争议",
    AssetStatus.OTHER: "其他",
}

ENCUMBRANCE_KIND_LABELS: dict[EncumbranceKind, str] = {
    EncumbranceKind.MORTGAGE: "抵押",
    EncumbranceKind.SEAL: "查封",
    EncumbranceKind.FREEZE: "冻结",
    EncumbranceKind.ADVANCE_NOTICE: "预告登记",
    EncumbranceKind.OBJECTION: "异议登记",
    EncumbranceKind.OTHER: "其他登记",
}

ATTACHMENT_TYPE_LABELS: dict[AttachmentType, str] = {
    AttachmentType.SIGNED_RECEIPT: "签章回执",
    AttachmentType.OBJECTION: "书面异议",
    AttachmentType.OTHER: "其他附件",
}

# Every code list and its labels, keyed by the enum (and by its name, as the notice stylesheet asks).
LABELS: dict[type[StrEnum], dict] = {
    Action: ACTION_LABELS,
    SubjectKind: SUBJECT_KIND_LABELS,
    IdType: ID_TYPE_LABELS,
    AssetClass: ASSET_CLASS_LABELS,
    DocumentType: DOCUMENT_TYPE_LABELS,
    Outcome: OUTCOME_LABELS,
    ReasonCode: REASON_CODE_LABELS,
    AssetStatus: ASSET_STATUS_LABELS,
    EncumbranceKind: ENCUMBRANCE_KIND_LABELS,
    AttachmentType: ATTACHMENT_TYPE_LABELS,
}
CODE_LISTS: dict[str, type[StrEnum]] = {enum.__name__: enum for enum in LABELS}


def label(code: StrEnum) -> str:
    """The Chinese label of a member of one of the code lists, e.g. label(Action.FREEZE) == "冻结"."""
    return LABELS[type(code)][code]


def label_of(code_list: str, value: str) -> str:
    """The label of `value` in the code list named `code_list` ("AssetClass"); the value itself if unknown."""
    enum = CODE_LISTS[code_list]
    try:
        return label(enum(value))
    except ValueError:
        return value


# The hub's own states and channels (not code lists of the standard), one name each on every page,
# e-mail and evidence summary.
STATUS_NAMES = {
    "created": "待送达",
    "served": "已送达",
    "acknowledged": "已签收",
    "completed": "已办结",
    "objected": "已提出异议",
    "cancelled": "已撤回",
    "open": "办理中",
    "done": "已完成",
}
CHANNEL_NAMES = {
    "inbox": "平台待办箱",
    "http-push": "接口推送",
    "ckw": "查控接口（点对点）",
    "email": "电子邮件",
    "folder": "文件交换目录",
}
DELIVERY_STATES = {
    "failed": "送达失败",
    "waiting": "等待送达",
    "running": "正在送达",
    "served": "已送达",
    "cancelled": "已取消",
}
