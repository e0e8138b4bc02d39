"""The code lists of docs/STANDARD.md and docs/DOMAIN.md, fixed by the standard."""

from datetime import date
from enum import StrEnum


class Action(StrEnum):
    QUERY = "QUERY"
    SEAL = "SEAL"
    SEIZE = "SEIZE"
    FREEZE = "FREEZE"
    DEDUCT = "DEDUCT"
    RENEW = "RENEW"
    RELEASE = "RELEASE"
    LOCATE_PERSON = "LOCATE_PERSON"
    CREDIT_NOTICE = "CREDIT_NOTICE"
    PRE_SEAL = "PRE_SEAL"  # 预查封: property bought or paid for, not yet registered to the debtor
    TRANSFER = "TRANSFER"  # 协助过户: transfer to the buyer after an auction, a sale or 以物抵债


class SubjectKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"


class IdType(StrEnum):
    RESIDENT_ID = "RESIDENT_ID"
    USCC = "USCC"
    PASSPORT = "PASSPORT"
    OTHER = "OTHER"


class AssetClass(StrEnum):
    REAL_ESTATE = "REAL_ESTATE"
    VEHICLE = "VEHICLE"
    FUND_ACCOUNT = "FUND_ACCOUNT"
    INSURANCE_POLICY = "INSURANCE_POLICY"
    EQUITY = "EQUITY"
    DEPOSIT = "DEPOSIT"
    FOREST_RIGHT = "FOREST_RIGHT"
    LAND_RIGHT = "LAND_RIGHT"
    MOVABLE = "MOVABLE"
    SECURITIES = "SECURITIES"  # 证券: shares, bonds, fund units held in a securities account
    PAYMENT_ACCOUNT = "PAYMENT_ACCOUNT"  # 第三方支付账户余额 at a payment institution
    INCOME = "INCOME"  # 收入: wages and other income the employer or payer still holds (扣留、提取)
    RECEIVABLE = "RECEIVABLE"  # 到期债权: money a third party owes the debtor, due
    OTHER = "OTHER"


class DocumentType(StrEnum):
    RULING = "RULING"
    NOTICE = "NOTICE"
    OTHER = "OTHER"


class Outcome(StrEnum):
    FOUND = "FOUND"
    NOT_FOUND = "NOT_FOUND"
    INFO_MISMATCH = "INFO_MISMATCH"
    CONTROLLED = "CONTROLLED"
    TRANSFERRED = "TRANSFERRED"  # a TRANSFER done: the asset is registered to the transferee
    PARTIAL = "PARTIAL"
    WAITLISTED = "WAITLISTED"
    UNABLE = "UNABLE"
    RELEASED = "RELEASED"
    LOCATED = "LOCATED"
    NOT_LOCATED = "NOT_LOCATED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    OBJECTED = "OBJECTED"


class ReasonCode(StrEnum):
    NO_SUCH_PROPERTY = "NO_SUCH_PROPERTY"
    SUBJECT_NOT_FOUND = "SUBJECT_NOT_FOUND"
    INFO_MISMATCH = "INFO_MISMATCH"
    ALREADY_TRANSFERRED = "ALREADY_TRANSFERRED"
    PRIOR_CONTROL_NOT_FOUND = "PRIOR_CONTROL_NOT_FOUND"
    DOCUMENTS_INCOMPLETE = "DOCUMENTS_INCOMPLETE"
    THIRD_PARTY_PROPERTY = "THIRD_PARTY_PROPERTY"
    OUT_OF_JURISDICTION = "OUT_OF_JURISDICTION"
    OTHER = "OTHER"


class AssetStatus(StrEnum):
    NORMAL = "NORMAL"
    SEALED = "SEALED"
    FROZEN = "FROZEN"
    MORTGAGED = "MORTGAGED"
    DISPUTED = "DISPUTED"
    OTHER = "OTHER"


class EncumbranceKind(StrEnum):
    """A right registered on a found asset: a mortgage, a seal (a waiting-list seal too), a freeze, an
    advance notice registration (预告登记), an objection registration (异议登记)."""

    MORTGAGE = "MORTGAGE"
    SEAL = "SEAL"
    FREEZE = "FREEZE"  # an account or fund frozen by another authority (a bank's 在先冻结)
    ADVANCE_NOTICE = "ADVANCE_NOTICE"
    OBJECTION = "OBJECTION"
    OTHER = "OTHER"


class AttachmentType(StrEnum):
    """Receipt attachments. STANDARD.md names SIGNED_RECEIPT; OBJECTION carries a written objection."""

    SIGNED_RECEIPT = "SIGNED_RECEIPT"
    OBJECTION = "OBJECTION"
    OTHER = "OTHER"


# Actions that put a control on property, and those that act on an existing one.
CONTROL_ACTIONS = frozenset({Action.SEAL, Action.SEIZE, Action.FREEZE, Action.PRE_SEAL})
ITEM_ACTIONS = frozenset(
    {
        Action.SEAL,
        Action.SEIZE,
        Action.FREEZE,
        Action.DEDUCT,
        Action.RENEW,
        Action.RELEASE,
        Action.PRE_SEAL,
        Action.TRANSFER,
    }
)
PERIOD_ACTIONS = frozenset({Action.SEAL, Action.SEIZE, Action.FREEZE, Action.RENEW, Action.PRE_SEAL})
# Items of these actions may name the control they act on (<Original>); RENEW and RELEASE must. A DEDUCT
# names the freeze it takes the money from, or leaves the hub to find the court's freeze of the asset; a
# TRANSFER may name the court's control on the asset sold (the transfer ends it whether named or not).
ORIGINAL_ACTIONS = frozenset({Action.RENEW, Action.RELEASE, Action.DEDUCT, Action.TRANSFER})
ORIGINAL_REQUIRED = frozenset({Action.RENEW, Action.RELEASE})
# Items of these actions name who the asset goes to (<Transferee>, one or more); no other action takes one.
TRANSFEREE_ACTIONS = frozenset({Action.TRANSFER})
ALL_CAPABLE_ACTIONS = frozenset({Action.QUERY, Action.LOCATE_PERSON, Action.CREDIT_NOTICE})
# Money, or a claim to money, that is frozen or deducted by amount: FREEZE and DEDUCT of these name an
# <Amount>, so that no more than is owed is blocked (DOMAIN.md). Securities are frozen by the security
# and its quantity, whose value moves: an amount is theirs to give or not.
FUNDS_CLASSES = frozenset(
    {
        AssetClass.DEPOSIT,
        AssetClass.FUND_ACCOUNT,
        AssetClass.INSURANCE_POLICY,
        AssetClass.PAYMENT_ACCOUNT,
        AssetClass.INCOME,
        AssetClass.RECEIVABLE,
    }
)

# Which asset classes each action that puts or takes a control applies to (DOMAIN.md says why, with the
# sources). RENEW and RELEASE act on a control, whose class the service checks: here any class a control
# can have.
ACTION_CLASSES: dict[Action, frozenset[AssetClass]] = {
    Action.SEAL: frozenset(
        {
            AssetClass.REAL_ESTATE,
            AssetClass.LAND_RIGHT,
            AssetClass.FOREST_RIGHT,
            AssetClass.VEHICLE,
            AssetClass.MOVABLE,
            AssetClass.OTHER,
        }
    ),
    Action.SEIZE: frozenset({AssetClass.MOVABLE, AssetClass.VEHICLE}),
    Action.FREEZE: frozenset(
        {
            AssetClass.DEPOSIT,
            AssetClass.FUND_ACCOUNT,
            AssetClass.SECURITIES,
            AssetClass.EQUITY,
            AssetClass.PAYMENT_ACCOUNT,
            AssetClass.INCOME,
            AssetClass.RECEIVABLE,
            AssetClass.INSURANCE_POLICY,
            AssetClass.OTHER,
        }
    ),
    Action.DEDUCT: frozenset(
        {
            AssetClass.DEPOSIT,
            AssetClass.FUND_ACCOUNT,
            AssetClass.PAYMENT_ACCOUNT,
            AssetClass.INCOME,
            AssetClass.RECEIVABLE,
            AssetClass.INSURANCE_POLICY,
        }
    ),
}
# 预查封: land use rights and houses bought or paid for but not yet registered to the debtor (the 2004
# 最高法、国土资源部、建设部 notice, 法发〔2004〕5号, Arts. 13-15†): no other class has a pre-seal.
ACTION_CLASSES[Action.PRE_SEAL] = frozenset({AssetClass.REAL_ESTATE, AssetClass.LAND_RIGHT})
# 协助过户: property whose owner is changed on a register, at the unit that keeps it (real estate, land,
# forest rights, vehicles, registered movables such as ships, equity at market regulation, securities at
# the registrar, other registered rights). Money is deducted, not transferred; a policy, income or a
# receivable has no register of owners to change.
ACTION_CLASSES[Action.TRANSFER] = frozenset(
    {
        AssetClass.REAL_ESTATE,
        AssetClass.LAND_RIGHT,
        AssetClass.FOREST_RIGHT,
        AssetClass.VEHICLE,
        AssetClass.MOVABLE,
        AssetClass.EQUITY,
        AssetClass.SECURITIES,
        AssetClass.OTHER,
    }
)
ACTION_CLASSES[Action.RENEW] = (
    ACTION_CLASSES[Action.SEAL]
    | ACTION_CLASSES[Action.SEIZE]
    | ACTION_CLASSES[Action.FREEZE]
    | ACTION_CLASSES[Action.PRE_SEAL]
)
ACTION_CLASSES[Action.RELEASE] = ACTION_CLASSES[Action.RENEW]

REQUIRED_DOCUMENTS: dict[Action, frozenset[DocumentType]] = {
    action: frozenset({DocumentType.NOTICE})
    if action in {Action.QUERY, Action.LOCATE_PERSON, Action.CREDIT_NOTICE}
    else frozenset({DocumentType.RULING, DocumentType.NOTICE})
    for action in Action
}

# Final outcomes allowed per action; OBJECTED is allowed for any final receipt,
# ACKNOWLEDGED for any interim one (Final=false).
FINAL_OUTCOMES: dict[Action, frozenset[Outcome]] = {
    Action.QUERY: frozenset({Outcome.FOUND, Outcome.NOT_FOUND, Outcome.INFO_MISMATCH}),
    Action.SEAL: frozenset(
        {Outcome.CONTROLLED, Outcome.PARTIAL, Outcome.WAITLISTED, Outcome.UNABLE, Outcome.INFO_MISMATCH}
    ),
    Action.DEDUCT: frozenset({Outcome.CONTROLLED, Outcome.PARTIAL, Outcome.UNABLE, Outcome.INFO_MISMATCH}),
    Action.RELEASE: frozenset({Outcome.RELEASED, Outcome.UNABLE}),
    Action.LOCATE_PERSON: frozenset({Outcome.LOCATED, Outcome.NOT_LOCATED}),
    Action.CREDIT_NOTICE: frozenset({Outcome.ACKNOWLEDGED}),
    # PARTIAL: some items transferred (each named by a <Control>), the Reason saying why not the others
    Action.TRANSFER: frozenset({Outcome.TRANSFERRED, Outcome.PARTIAL, Outcome.UNABLE, Outcome.INFO_MISMATCH}),
}
FINAL_OUTCOMES[Action.SEIZE] = FINAL_OUTCOMES[Action.SEAL]
FINAL_OUTCOMES[Action.FREEZE] = FINAL_OUTCOMES[Action.SEAL]
FINAL_OUTCOMES[Action.PRE_SEAL] = FINAL_OUTCOMES[Action.SEAL]
FINAL_OUTCOMES[Action.RENEW] = FINAL_OUTCOMES[Action.DEDUCT]

REASON_REQUIRED = frozenset({Outcome.UNABLE, Outcome.INFO_MISMATCH, Outcome.OBJECTED})

# Default time limits in working days (DOMAIN.md), overridden per unit by the directory.
DEFAULT_LIMITS: dict[Action, int] = {
    Action.QUERY: 3,
    Action.SEAL: 1,
    Action.SEIZE: 1,
    Action.FREEZE: 1,
    Action.DEDUCT: 1,
    Action.RENEW: 1,
    Action.RELEASE: 1,
    Action.LOCATE_PERSON: 5,
    Action.CREDIT_NOTICE: 5,
    Action.PRE_SEAL: 1,  # registered as a seal is, on the notice (DOMAIN.md)
    Action.TRANSFER: 5,  # a transfer registration: 国办发〔2019〕8号 brought them within 5 working days†
}

# Longest control period (and each renewal) in years per asset class (民诉法解释 2022 Art. 485).
# FUND_ACCOUNT is configurable (HUB_FUND_ACCOUNT_PERIOD_YEARS), default 1 year; PAYMENT_ACCOUNT and
# INCOME are money held for the debtor and kept to the bank deposits' year; SECURITIES, RECEIVABLE and
# OTHER are "other property rights" (DOMAIN.md).
MAX_PERIOD_YEARS: dict[AssetClass, int] = {
    AssetClass.DEPOSIT: 1,
    AssetClass.FUND_ACCOUNT: 1,
    AssetClass.PAYMENT_ACCOUNT: 1,
    AssetClass.INCOME: 1,
    AssetClass.VEHICLE: 2,
    AssetClass.MOVABLE: 2,
    AssetClass.REAL_ESTATE: 3,
    AssetClass.EQUITY: 3,
    AssetClass.FOREST_RIGHT: 3,
    AssetClass.LAND_RIGHT: 3,
    AssetClass.INSURANCE_POLICY: 3,
    AssetClass.SECURITIES: 3,
    AssetClass.RECEIVABLE: 3,
    AssetClass.OTHER: 3,
}


# 预查封 lasts at most 2 years, and each renewal (续封) of a pre-seal at most 1 year (法发〔2004〕5号 Art.
# 17†), though Art. 485 lets a seal of real estate last 3: DOMAIN.md says why the hub takes the shorter.
# Once converted into a seal, the control renews as a seal of its class does.
PRE_SEAL_YEARS = 2
PRE_SEAL_RENEWAL_YEARS = 1


def same_length(start: date, end: date, new_start: date) -> date:
    """The end of a period as long as `start`..`end` that starts on `new_start`: whole years stay whole
    years (2027-02-01..2028-01-31 from 2027-03-02 ends 2028-03-01, across 29 February), else in days."""
    years = next((n for n in range(1, 10) if period_end(start, n) == end), None)
    return period_end(new_start, years) if years else new_start + (end - start)


def period_end(start: date, years: int) -> date:
    """The last day of a period of `years` years from `start`: the day before the same date N years on.

    Start 2026-11-27 for 1 year ends 2027-11-26; a start on 29 February counts from 1 March.
    """
    from datetime import timedelta

    try:
        same_day = start.replace(year=start.year + years)
    except ValueError:  # 29 February into a common year
        same_day = date(start.year + years, 3, 1)
    return same_day - timedelta(days=1)
