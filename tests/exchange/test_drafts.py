"""Drafts the officer finishes: the court's files put into a draft (pure), and the release draft of a control."""

from datetime import UTC, datetime

import pytest
from conftest import edit, example, frozen_control, multipart, renewed_control
from lxml import etree

from hub.controls.drafts import DocumentRef, document_name, release_draft, release_remarks, with_documents
from hub.db import unit_of_work
from hub.errors import Conflict
from hub.models import Control
from hub.standard import NS
from hub.standard.rules import inspect

AT = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
RULING = "1146414fdc4ba18f80cf749b77f1ea72a79f242b686e944593ec4fb28841c07d"
NOTICE = "a2f300c6c1f9c93b37673c46c19e74d80f2bcce7338e84529da31dd0ebb8a82d"
NEW = "0" * 63 + "1"
NEWER = "f" * 64


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def documents(document: bytes) -> list[tuple[str, str, str]]:
    root = etree.fromstring(document)
    return [(d.get("type"), d.get("filename"), d.get("sha256")) for d in root.find(q("Documents"))]


def test_the_new_ruling_replaces_the_old_one_where_it_stood():
    renew = example("request-renew.xml")

    document = with_documents(renew, [DocumentRef("RULING", "续行裁定书.pdf", NEW)])

    assert documents(document) == [("RULING", "续行裁定书.pdf", NEW), ("NOTICE", "notice.pdf", NOTICE)]
    inspect(document, expect="request")  # still a valid request
    assert document.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert etree.fromstring(document).findtext(q("RequestNo")) == "AT-2026-000124"


def test_every_document_of_a_replaced_type_goes_and_other_types_stay():
    renew = edit(
        "request-renew.xml",
        (
            '<Document type="NOTICE"',
            f'<Document type="RULING" filename="ruling-2.pdf" sha256="{NEWER}"/>\n    <Document type="NOTICE"',
        ),
    )

    document = with_documents(
        renew, [DocumentRef("NOTICE", "n.pdf", NEWER), DocumentRef("RULING", "r.pdf", NEW)]
    )

    assert documents(document) == [("RULING", "r.pdf", NEW), ("NOTICE", "n.pdf", NEWER)]


def test_a_type_the_draft_did_not_list_is_added_at_the_end():
    document = with_documents(example("request-renew.xml"), [DocumentRef("OTHER", "清单.pdf", NEW)])

    assert documents(document) == [
        ("RULING", "ruling.pdf", RULING),
        ("NOTICE", "notice.pdf", NOTICE),
        ("OTHER", "清单.pdf", NEW),
    ]


def test_remarks_are_replaced_created_or_removed():
    release = example("request-release.xml")  # has Remarks
    renew = example("request-renew.xml")  # has none

    replaced = with_documents(release, [], remarks="  解除冻结。 ")
    created = with_documents(renew, [], remarks="续行冻结。")
    removed = with_documents(release, [], remarks=" ")
    kept = with_documents(release, [])

    assert etree.fromstring(replaced).findtext(q("Remarks")) == "解除冻结。"
    root = etree.fromstring(created)
    assert root.findtext(q("Remarks")) == "续行冻结。"
    assert root.find(q("Documents")).getnext().tag == q("Remarks")
    assert etree.fromstring(removed).find(q("Remarks")) is None
    assert etree.fromstring(kept).findtext(q("Remarks")) == "被执行人已履行完毕，解除冻结。"
    for document in (replaced, created, removed, kept):
        inspect(document, expect="request")


def test_a_signed_draft_or_text_xml_cannot_hold_is_refused():
    signed = edit(
        "request-renew.xml",
        (
            "</AssistanceRequest>",
            '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></AssistanceRequest>',
        ),
    )
    with pytest.raises(ValueError, match="signed"):
        with_documents(signed, [DocumentRef("RULING", "r.pdf", NEW)])
    with pytest.raises(ValueError):
        with_documents(example("request-renew.xml"), [], remarks="bell \x07")


@pytest.mark.parametrize(
    ("uploaded", "taken", "expected"),
    [
        ("续行裁定书.pdf", set(), "续行裁定书.pdf"),
        ("C:\\Users\\张三\\裁定.pdf", set(), "裁定.pdf"),
        ("../../etc/passwd", set(), "passwd"),
        (".hidden.pdf", set(), "hidden.pdf"),
        ("", set(), "fallback.pdf"),
        (None, set(), "fallback.pdf"),
        ("notice.pdf", {"notice.pdf"}, "2-notice.pdf"),
        ("notice.pdf", {"notice.pdf", "2-notice.pdf"}, "3-notice.pdf"),
        ("长" * 200 + ".pdf", set(), "长" * 116 + ".pdf"),
    ],
)
def test_an_uploaded_file_gets_a_name_the_standard_accepts(uploaded, taken, expected):
    assert document_name(uploaded, taken=taken, fallback="fallback.pdf") == expected


# --- release_draft ---------------------------------------------------------------------------------


def draft_for(hub, control_id: int) -> bytes:
    with unit_of_work(hub.sessions) as session:
        control = session.get_one(Control, control_id)
        return release_draft(session, control=control, settings=hub.settings, at=AT)


def test_release_draft_names_the_control_and_passes_the_standard(client, token, hub):
    control = frozen_control(client, token)

    document = draft_for(hub, control["id"])

    request = inspect(document, expect="request").request
    assert (request.request_no, request.action) == ("AT-2026-000123-X1", "RELEASE")
    assert request.issued_at.isoformat() == "2026-12-01T09:00:00+08:00"
    assert (request.court_code, request.officer_name, request.officer_credential_no) == (
        "J2426",
        "张三",
        "JL2426-0031",
    )
    assert (request.case_no, request.subject.name, request.subject.id_number) == (
        "（2026）吉2426执123号",
        "李四",
        "222426198503120413",
    )
    assert request.targets == ["housing-fund"]
    [item] = request.items
    assert (item.asset_class, item.asset_id, item.description) == (
        "FUND_ACCOUNT",
        "220100123456789",
        "住房公积金账户",
    )
    assert item.period is None and item.amount is None and item.flexible_custodian is None
    assert (item.original.request_no, item.original.registration_no) == ("AT-2026-000123", "GJJ-DJ-2026-0042")
    assert [(d.type, d.filename, d.sha256) for d in request.documents] == [
        ("RULING", "ruling.pdf", RULING),
        ("NOTICE", "notice.pdf", NOTICE),
    ]
    assert "解除冻结裁定书" in request.remarks

    response = client.post(  # the hub accepts the draft as it is (its files are stored already)
        "/api/v1/requests", content=document, headers={**token("officer"), "Content-Type": "application/xml"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["action"] == "RELEASE"


def test_release_of_a_renewed_control_names_the_renewal_in_force(client, token, hub):
    first, renewal = renewed_control(client, token)

    for named in (first, renewal):  # the renewed control's draft releases the chain's current control
        request = inspect(draft_for(hub, named["id"]), expect="request").request
        assert request.request_no == "AT-2026-000123-X1"  # numbered after the chain's root request
        [item] = request.items
        assert item.original.request_no == "AT-2026-000124"
    with unit_of_work(hub.sessions) as session:
        remarks = release_remarks(session, control=session.get_one(Control, renewal["id"]))
    assert remarks == "请协助解除冻结，所附裁定书为本院解除冻结裁定书。"
    assert first["status"] == "RENEWED"


def test_a_used_number_is_skipped_and_a_pending_release_refused(client, token, hub):
    control = frozen_control(client, token)
    taken = edit("request-query.xml", ("AT-2026-000101", "AT-2026-000123-X1"))
    response = client.post("/api/v1/requests", files=multipart(taken, "notice.pdf"), headers=token("officer"))
    assert response.status_code == 201, response.text

    document = draft_for(hub, control["id"])

    assert etree.fromstring(document).findtext(q("RequestNo")) == "AT-2026-000123-X2"
    response = client.post(
        "/api/v1/requests", content=document, headers={**token("officer"), "Content-Type": "application/xml"}
    )
    assert response.status_code == 201, response.text
    with pytest.raises(Conflict, match="AT-2026-000123-X2 waiting"):
        draft_for(hub, control["id"])


def test_only_an_active_or_waiting_control_can_be_released(client, token, hub):
    control = frozen_control(client, token)
    with unit_of_work(hub.sessions) as session:
        session.get_one(Control, control["id"]).status = "EXPIRED"

    with pytest.raises(Conflict, match="EXPIRED"):
        draft_for(hub, control["id"])


def test_release_draft_needs_an_aware_instant(client, token, hub):
    control = frozen_control(client, token)
    with unit_of_work(hub.sessions) as session, pytest.raises(ValueError):
        release_draft(
            session,
            control=session.get_one(Control, control["id"]),
            settings=hub.settings,
            at=datetime(2026, 12, 1),
        )
