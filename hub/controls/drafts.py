"""Drafts an officer finishes in the web pages: a RELEASE request for a control, and the court's own files.

`release_draft` is renewal.py's twin: a ready AssistanceRequest (RELEASE) for a control, built from the
request that created it with derived.py, valid under the XSD and `inspect`. `with_documents` is pure: it puts
the files the officer uploaded (the renewal or release ruling, a new notice) into a draft's <Documents>
in place of the placeholders, and the remarks meant for the unit in <Remarks>.

Choices a reader should know:
- Documents. As in the renewal draft, the release draft lists the documents of the request that created
  the control (already stored, so the draft passes as it is) and its <Remarks> says to replace them:
  the release ruling (解除裁定书) and its notice are the court's to write.
- Which control is named. A renewed control (RENEWED) is carried on by its renewal, so its release names
  the chain's current control. Releasing a control releases its renewals too (controls/receipted.py
  follows renews_id forward), so a release asked on a renewal whose earlier control is still ACTIVE or
  WAITLISTED (a renewal still waiting) names that earlier control: the property is freed, not only the
  later period.
- RequestNo. `<root RequestNo>-X<n>`, the root being the request that made the first control of the
  chain, as renewal.py does with -R<n>; a number the court has used already is skipped.
"""

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy.orm import Session

from hub.config import Settings
from hub.controls.derived import (
    IN_FORCE,
    E,
    chain_head,
    control_name,
    derived_request,
    derived_request_no,
    original_item,
    pending_request_no,
    renewal_chain,
    renewal_in_force,
)
from hub.controls.renewal import flexible_terms
from hub.controls.states import ControlStatus
from hub.errors import Conflict
from hub.models import Control, Request
from hub.standard import DSIG_NS, NS
from hub.standard.codes import Action
from hub.standard.labels import label
from hub.standard.xml import parse

MAX_FILENAME = 120


@dataclass(frozen=True)
class DocumentRef:
    """A file to list in <Documents>: its type (RULING, NOTICE, OTHER), file name and sha256."""

    type: str
    filename: str
    sha256: str


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def with_documents(draft: bytes, documents: Sequence[DocumentRef], *, remarks: str | None = None) -> bytes:
    """`draft` with the documents of each type in `documents` replaced by those given; others kept.

    A replaced type's new entries stand where its first old one stood; a type the draft did not list is
    added at the end. `remarks` replaces the text of <Remarks> (created after <Documents> if missing;
    an empty or blank one removes it); None keeps it. Pure: bytes in, UTF-8 bytes out. Raises ValueError
    for a signed draft (a signature would no longer match) and for text XML cannot hold.
    """
    root = parse(draft).getroot()
    if root.find(f"{{{DSIG_NS}}}Signature") is not None:
        raise ValueError("the draft is signed: change the document before signing it")
    container = root.find(_q("Documents"))
    if container is None:
        raise ValueError("the draft has no <Documents>")
    old = list(container)
    inner = container.text if container.text and container.text.strip() == "" else "\n    "
    closing = old[-1].tail if old and old[-1].tail is not None else "\n  "
    replaced = {ref.type for ref in documents}
    new: list[etree._Element] = []
    placed: set[str] = set()
    for element in old:
        kind = element.get("type")
        if kind not in replaced:
            new.append(element)
        elif kind not in placed:
            new.extend(_document(ref) for ref in documents if ref.type == kind)
            placed.add(kind)
    new.extend(_document(ref) for ref in documents if ref.type not in placed)
    for element in old:
        container.remove(element)
    container.text = inner
    for position, element in enumerate(new):
        element.tail = closing if position == len(new) - 1 else inner
        container.append(element)
    if remarks is not None:
        _set_remarks(container, remarks.strip())
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _document(ref: DocumentRef) -> etree._Element:
    return E.Document(type=ref.type, filename=ref.filename, sha256=ref.sha256)


def _set_remarks(documents: etree._Element, text: str) -> None:
    element = documents.getnext()
    existing = element if element is not None and element.tag == _q("Remarks") else None
    if not text:
        if existing is not None:
            documents.tail = existing.tail
            documents.getparent().remove(existing)
        return
    if existing is None:
        existing = E.Remarks()
        existing.tail = documents.tail
        documents.addnext(existing)
        previous = documents.getprevious()  # indent it as its siblings are
        documents.tail = previous.tail if previous is not None else documents.tail
    existing.text = text


def document_name(uploaded: str | None, *, taken: set[str], fallback: str) -> str:
    """A file name the standard accepts for an upload: its base name, else `fallback`; unique in `taken`.

    The XSD's FileName: 1 to 120 characters, no slash or backslash, not starting with a dot or a blank.
    A name already in `taken` gets a numbered prefix (2-ruling.pdf).
    """
    name = posixpath.basename((uploaded or "").replace("\\", "/")).strip().lstrip(".").strip()
    if not name:
        name = fallback
    if len(name) > MAX_FILENAME:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[: MAX_FILENAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) < 10 else name
        name = name[:MAX_FILENAME]
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{n}-{name}"[:MAX_FILENAME]
    return candidate


def renewal_remarks(control: Control) -> str:
    """What the unit should read in a renewal the officer finishes: the renewal, and a flexible seal's terms."""
    kind = label(Action(control.kind))
    return f"请协助续行{kind}，所附裁定书为本院续行{kind}裁定书。" + flexible_terms(control)


def release_remarks(session: Session, *, control: Control) -> str:
    """What the unit should read in a release: which control, and that its renewals go with it."""
    target = release_target(session, control=control)
    kind = label(Action(target.kind))
    text = f"请协助解除{kind}，所附裁定书为本院解除{kind}裁定书。"
    if target.status == ControlStatus.WAITLISTED:
        text += "该措施为轮候查封，请一并撤销轮候登记。"
    if renewal_in_force(session, control=target) is not None:
        text += "其续行措施一并解除。"
    return text


def release_target(session: Session, *, control: Control) -> Control:
    """The control a release of `control` names: the earliest of its renewal chain still in force."""
    target = control
    while target.renews_id is not None:
        previous = session.get_one(Control, target.renews_id)
        if previous.status not in IN_FORCE or previous.unit_code != control.unit_code:
            break
        target = previous
    return target


def release_request_no(session: Session, *, control: Control) -> str:
    """The derived RequestNo of `control`'s release, e.g. AT-2026-000123-X1 (X2 if X1 was used)."""
    return derived_request_no(session, chain=renewal_chain(session, control=control), mark="X", start=1)


def release_draft(session: Session, *, control: Control, settings: Settings, at: datetime) -> bytes:
    """The RELEASE request for `control` as UTF-8 XML bytes, valid under the XSD and `inspect`.

    The control's unit, asset and <Original> (the request that created the control named, see
    `release_target`, and its registration no.); court, officer, case and subject from that request;
    the documents of that request as placeholders. Raises Conflict when the control is not ACTIVE or
    WAITLISTED, or a release of it is still waiting for the unit's answer. Reads only.
    """
    if at.tzinfo is None:
        raise ValueError("release_draft needs a timezone-aware `at`")
    if control.status == ControlStatus.RENEWED:  # carried on by its renewal: release that
        control = chain_head(session, control=control)
    what = control_name(control)
    if control.status not in IN_FORCE:
        raise Conflict(
            f"{what} is {control.status}: only an ACTIVE or WAITLISTED control can be released.",
            code="not_releasable",
        )
    target = release_target(session, control=control)
    pending = pending_request_no(session, control=target, action=Action.RELEASE)
    if pending is not None:
        raise Conflict(
            f"{what} has a release request {pending} waiting for the unit's answer: follow that one.",
            code="not_releasable",
        )
    request = session.get_one(Request, target.request_id)
    kind = label(Action(target.kind))
    return derived_request(
        session,
        control=target,
        request=request,
        action=Action.RELEASE,
        request_no=release_request_no(session, control=control),
        item=original_item(target, request),
        remarks=(
            f"本解除{kind}请求由系统起草。所附文书为原请求{request.request_no}的文书，"
            f"提交前请替换为解除{kind}裁定书和协助执行通知书。"
        ),
        settings=settings,
        at=at,
    )
