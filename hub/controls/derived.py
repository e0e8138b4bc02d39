"""What the requests the hub drafts from a control (renewal.py: RENEW, drafts.py: RELEASE) share.

Both take the court, officer, case, subject and documents from the request that created the control,
target the control's unit with one item that names the control in <Original>, number the draft after
the first request of the control's renewal chain, and check it with `inspect` before handing it out.
Each draft says only what differs: its action, refusals, item terms (a RENEW's <Period>) and remarks.
"""

from datetime import datetime

from lxml import etree
from lxml.builder import ElementMaker
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.clock import SHANGHAI
from hub.config import Settings
from hub.controls.states import IN_FORCE
from hub.models import Control, Court, Item, Request
from hub.standard import NS
from hub.standard.codes import Action
from hub.standard.rules import inspect
from hub.standard.xml import DocumentError

E = ElementMaker(namespace=NS, nsmap={None: NS})
MAX_REQUEST_NO = 40


def control_name(control: Control) -> str:
    """How refusals name a control: `Control 12 (BDC-CF-2026-0117)`, the registration no. when known."""
    return f"Control {control.id}" + (f" ({control.registration_no})" if control.registration_no else "")


def renewal_chain(session: Session, *, control: Control) -> list[Control]:
    """`control`, then the control it renews, and so on back to the first (at most 1,000: bad data may loop)."""
    chain = [control]
    while chain[-1].renews_id is not None and len(chain) < 1000:
        chain.append(session.get_one(Control, chain[-1].renews_id))
    return chain


def chain_head(session: Session, *, control: Control) -> Control:
    """The latest control of `control`'s renewal chain: `control` itself when nothing renews it, else
    the renewal in force, else the latest renewal (at most 1,000 steps: bad data may loop)."""
    head = control
    for _ in range(1000):
        renewals = list(
            session.execute(
                select(Control).where(Control.renews_id == head.id).order_by(Control.id)
            ).scalars()
        )
        if not renewals:
            break
        head = next((c for c in renewals if c.status in IN_FORCE), renewals[-1])
    return head


def renewals_of(session: Session, *, control: Control, lock: bool = False) -> list[Control]:
    """Every control that renews `control`, and those that renew them, oldest first: a renewal withdrawn
    and asked again leaves two renewals of one control, each with its own (at most 1,000: bad data may
    loop). `lock`: read afresh and locked until the transaction ends (FOR UPDATE on PostgreSQL)."""
    found: list[Control] = []
    parents = [control.id]
    while parents and len(found) < 1000:
        query = select(Control).where(Control.renews_id.in_(parents)).order_by(Control.id)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        children = [c for c in session.execute(query).scalars() if c not in found]
        found += children
        parents = [c.id for c in children]
    return found


def renewal_in_force(session: Session, *, control: Control) -> Control | None:
    """An ACTIVE or WAITLISTED control that renews `control`, if there is one."""
    return (
        session.execute(select(Control).where(Control.renews_id == control.id, Control.status.in_(IN_FORCE)))
        .scalars()
        .first()
    )


def pending_request_no(session: Session, *, control: Control, action: Action) -> str | None:
    """The RequestNo of an open `action` request whose item names `control` as its original, if any."""
    return session.execute(
        select(Request.request_no)
        .join(Item, Item.request_id == Request.id)
        .where(
            Item.original_control_id == control.id,
            Request.action == str(action),
            Request.status == "open",
        )
    ).scalar()


def derived_request_no(session: Session, *, chain: list[Control], mark: str, start: int) -> str:
    """`<root RequestNo>-<mark><n>`: the root made the chain's first control, n counts up from `start`.

    The root number is cut so that the whole stays within 40 characters; an n whose number the court
    of chain[0] has used already (a request answered UNABLE, say) is skipped.
    """
    root = session.get_one(Request, chain[-1].request_id)
    n = start
    while True:
        suffix = f"-{mark}{n}"
        candidate = root.request_no[: MAX_REQUEST_NO - len(suffix)] + suffix
        taken = session.execute(
            select(Request.id).where(
                Request.court_code == chain[0].court_code, Request.request_no == candidate
            )
        ).first()
        if taken is None:
            return candidate
        n += 1


def original_item(control: Control, request: Request, *terms: etree._Element) -> etree._Element:
    """The <Item> for `control`: its asset (with the description `request` gave it), `terms`, <Original>."""
    item = E.Item(E.AssetClass(control.asset_class), E.AssetId(control.asset_id))
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
    item.extend(terms)
    original = E.Original(requestNo=request.request_no)
    if control.registration_no:
        original.set("registrationNo", control.registration_no)
    item.append(original)
    return item


def derived_request(
    session: Session,
    *,
    control: Control,
    request: Request,
    action: Action,
    request_no: str,
    item: etree._Element,
    remarks: str,
    settings: Settings,
    at: datetime,
) -> bytes:
    """The `action` request for `control` as UTF-8 XML bytes, valid under the XSD and `inspect`.

    Court, officer, case, subject and <Documents> (as placeholders) come from `request`, the request
    that created `control`; the target is its unit, with `item`. IssuedAt is `at` (timezone-aware) in
    +08:00. A draft that breaks the standard is the hub's bug, not the caller's: RuntimeError.
    """
    court = session.get_one(Court, control.court_code)
    officer = E.Officer(request.officer_name)
    if request.officer_credential_no:
        officer.set("credentialNo", request.officer_credential_no)
    root = E.AssistanceRequest(
        E.RequestNo(request_no),
        E.IssuedAt(at.astimezone(SHANGHAI).isoformat(timespec="seconds")),
        E.Court(court.name, code=court.code),
        officer,
        E.CaseNo(request.case_no),
        E.Action(str(action)),
        E.Subject(
            E.Name(request.subject_name),
            E.IdType(request.subject_id_type),
            E.IdNumber(request.subject_id_number),
            kind=request.subject_kind,
        ),
        E.Targets(E.Unit(code=control.unit_code)),
        E.Items(item),
        E.Documents(*(E.Document(type=f.type, filename=f.filename, sha256=f.sha256) for f in request.files)),
        E.Remarks(remarks),
        version="1.0",
    )
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    try:
        inspect(document, expect="request", fund_account_years=settings.fund_account_period_years)
    except DocumentError as exc:
        raise RuntimeError(f"the {action} draft for control {control.id} breaks the standard: {exc}") from exc
    return document
