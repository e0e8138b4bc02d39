"""The renewal draft: a ready AssistanceRequest (RENEW) for an ACTIVE control, for its officer to review.

The alert for an expiring control attaches it, and GET /api/v1/controls/{id}/renewal-draft serves it.
The draft takes the court, case, officer and subject from the request that created the control, targets
the control's unit, and renews for the longest period the asset class allows from the day after the
control's current end (DOMAIN.md, control periods).

Choices a reader should know:
- Documents. The XSD requires <Documents> and the rules require a RULING and a NOTICE for RENEW, but the
  renewal ruling (续行裁定书) is the court's to write. The draft lists the documents of the request that
  created the control (same type, file name and sha256: the hub stores them already, so the draft can
  be posted as application/xml as it is), and its <Remarks> says that they are the original ones and
  that the ruling should be replaced by the renewal ruling before submitting.
- Flexible controls. The rules allow <Flexible> on SEAL and SEIZE only, so a RENEW item cannot carry it;
  the hub carries the custodian and permitted use over to the renewed control by itself, and the draft
  states them in <Remarks> so that the unit sees them.
- RequestNo. `<root RequestNo>-R<n>`, where the root is the request that made the first control of the
  renewal chain and n the number of that chain's controls (renewals so far + 1), the root number cut so
  that the whole stays within 40 characters. A number the court has used already (a renewal answered
  UNABLE, say) is skipped for the next n, so the draft is the same for the same state of the hub.
"""

import re
from datetime import date, datetime, timedelta

from lxml import etree
from lxml.builder import ElementMaker
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.clock import SHANGHAI
from hub.config import Settings
from hub.errors import Conflict, Invalid
from hub.models import Control, Court, Item, Request
from hub.standard import NS
from hub.standard.codes import Action, AssetClass, period_end
from hub.standard.labels import label
from hub.standard.rules import inspect, max_years
from hub.standard.xml import DocumentError

E = ElementMaker(namespace=NS, nsmap={None: NS})
REQUEST_NO = re.compile(r"[A-Za-z0-9-]{6,40}")
MAX_REQUEST_NO = 40


def renewal_draft(
    session: Session, *, control: Control, settings: Settings, at: datetime, request_no: str | None = None
) -> bytes:
    """The RENEW request for `control` as UTF-8 XML bytes, valid under the XSD and `inspect`.

    `at` (timezone-aware) is written as IssuedAt in +08:00 and decides whether the control has ended;
    `request_no` replaces the derived RequestNo (see `renewal_request_no`). Raises Conflict when the
    control cannot be renewed: not ACTIVE, no end date, ended before `at`, already renewed, or a RENEW
    request for it still waiting for the unit's answer; Invalid for a `request_no` outside the standard's
    pattern. Reads only: nothing is stored.
    """
    if at.tzinfo is None:
        raise ValueError("renewal_draft needs a timezone-aware `at`")
    _check_renewable(session, control=control, on=at.astimezone(SHANGHAI).date())
    number = request_no if request_no is not None else renewal_request_no(session, control=control)
    if not REQUEST_NO.fullmatch(number):
        raise Invalid(f"RequestNo {number!r} must be 6 to 40 characters from A-Z, a-z, 0-9 and '-'.")
    request = session.get_one(Request, control.request_id)
    court = session.get_one(Court, control.court_code)
    officer = E.Officer(request.officer_name)
    if request.officer_credential_no:
        officer.set("credentialNo", request.officer_credential_no)
    root = E.AssistanceRequest(
        E.RequestNo(number),
        E.IssuedAt(at.astimezone(SHANGHAI).isoformat(timespec="seconds")),
        E.Court(court.name, code=court.code),
        officer,
        E.CaseNo(request.case_no),
        E.Action(str(Action.RENEW)),
        E.Subject(
            E.Name(request.subject_name),
            E.IdType(request.subject_id_type),
            E.IdNumber(request.subject_id_number),
            kind=request.subject_kind,
        ),
        E.Targets(E.Unit(code=control.unit_code)),
        E.Items(_item(control, request, settings)),
        E.Documents(*(E.Document(type=f.type, filename=f.filename, sha256=f.sha256) for f in request.files)),
        E.Remarks(_remarks(control, request)),
        version="1.0",
    )
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    try:
        inspect(document, expect="request", fund_account_years=settings.fund_account_period_years)
    except DocumentError as exc:  # the hub's own draft must always pass: this is a bug, not the caller's
        raise RuntimeError(f"the renewal draft for control {control.id} breaks the standard: {exc}") from exc
    return document


def renewal_request_no(session: Session, *, control: Control) -> str:
    """The derived RequestNo of `control`'s renewal, e.g. AT-2026-000123-R1, then -R2 for that renewal's."""
    chain = [control]
    while chain[-1].renews_id is not None and len(chain) < 1000:  # guard against a cycle in bad data
        chain.append(session.get_one(Control, chain[-1].renews_id))
    root = session.get_one(Request, chain[-1].request_id)
    n = len(chain)
    while True:
        suffix = f"-R{n}"
        candidate = root.request_no[: MAX_REQUEST_NO - len(suffix)] + suffix
        taken = session.execute(
            select(Request.id).where(
                Request.court_code == control.court_code, Request.request_no == candidate
            )
        ).first()
        if taken is None:
            return candidate
        n += 1


def _check_renewable(session: Session, *, control: Control, on: date) -> None:
    what = f"Control {control.id}" + (f" ({control.registration_no})" if control.registration_no else "")
    if control.status != "ACTIVE":
        raise Conflict(
            f"{what} is {control.status}: only an ACTIVE control can be renewed.", code="not_renewable"
        )
    if control.period_end is None:
        raise Conflict(
            f"{what} has no registered end date to renew from: ask the unit {control.unit_code} for it.",
            code="not_renewable",
        )
    if on > control.period_end:
        raise Conflict(
            f"{what} ended on {control.period_end}: a renewal must be filed before the end date.",
            code="not_renewable",
        )
    renewal = (
        session.execute(
            select(Control).where(
                Control.renews_id == control.id, Control.status.in_(("ACTIVE", "WAITLISTED"))
            )
        )
        .scalars()
        .first()
    )
    if renewal is not None:
        raise Conflict(
            f"{what} was already renewed until {renewal.period_end}: draft the renewal of control "
            f"{renewal.id} instead.",
            code="not_renewable",
        )
    pending = session.execute(
        select(Request.request_no)
        .join(Item, Item.request_id == Request.id)
        .where(
            Item.original_control_id == control.id,
            Request.action == str(Action.RENEW),
            Request.status == "open",
        )
    ).scalar()
    if pending is not None:
        raise Conflict(
            f"{what} has a renewal request {pending} waiting for the unit's answer: follow that one.",
            code="not_renewable",
        )


def _item(control: Control, request: Request, settings: Settings) -> etree._Element:
    asset_class = AssetClass(control.asset_class)
    assert control.period_end is not None  # checked by _check_renewable
    start = control.period_end + timedelta(days=1)
    end = period_end(start, max_years(asset_class, fund_account_years=settings.fund_account_period_years))
    item = E.Item(E.AssetClass(str(asset_class)), E.AssetId(control.asset_id))
    described = next(
        (
            i.description
            for i in request.items
            if i.asset_class == control.asset_class and i.asset_id == control.asset_id and i.description
        ),
        None,
    )
    if described:
        item.append(E.Description(described))
    if control.amount is not None and control.amount > 0:
        item.append(E.Amount(f"{control.amount:.2f}", currency=control.currency or "CNY"))
    item.append(E.Period(start=start.isoformat(), end=end.isoformat()))
    original = E.Original(requestNo=request.request_no)
    if control.registration_no:
        original.set("registrationNo", control.registration_no)
    item.append(original)
    return item


def _remarks(control: Control, request: Request) -> str:
    kind = label(Action(control.kind))
    text = (
        f"本续行{kind}请求由系统起草。所附文书为原请求{request.request_no}的文书，"
        f"提交前请将裁定书替换为本次续行{kind}裁定书（续行裁定），并核对协助执行通知书。"
    )
    if control.flexible_custodian:
        flexible = "活扣" if control.kind == str(Action.SEIZE) else "活封"
        text += (
            f"原措施为{flexible}：保管人{control.flexible_custodian}"
            f"，准许使用：{control.flexible_use or '未载明'}；续行期间维持原条件。"
        )
    return text
