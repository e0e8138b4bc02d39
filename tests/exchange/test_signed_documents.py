"""Signed requests and receipts on intake: verified against the directory's certificates, refused when bad,
required where the directory says so; documents the hub writes from a signed-in person's form are exempt."""

import pytest
from conftest import csrf_of, example, listed_files, multipart, post_receipt, sign_in, submit

from hub.db import unit_of_work
from hub.directory.loader import BUNDLED_DIRECTORY, load_directory
from hub.directory.service import sync_directory
from hub.keys import Identity, self_signed
from hub.models import AuditEvent
from hub.standard.signatures import fingerprint, sign_document


@pytest.fixture(scope="module")
def court_key() -> Identity:
    return self_signed("安图县人民法院")


@pytest.fixture(scope="module")
def unit_key() -> Identity:
    return self_signed("延边州住房公积金管理中心安图县管理部")


@pytest.fixture
def trust(hub):
    """trust(court=..., unit=..., required=...): register certificates in the directory, as an administrator
    would in the directory file, and load it."""

    def register(*, court: Identity | None = None, unit: Identity | None = None, required: bool = False):
        directory = load_directory(BUNDLED_DIRECTORY)

        def entry(e, identity):
            if identity is None:
                return e
            return e.model_copy(
                update={"certificates": [identity.cert_pem.decode()], "require_signature": required}
            )

        courts = [entry(c, court) for c in directory.courts]
        units = [entry(u, unit if u.code == "housing-fund" else None) for u in directory.units]
        with unit_of_work(hub.sessions) as session:
            sync_directory(session, directory=directory.model_copy(update={"courts": courts, "units": units}))

    return register


def signed(identity: Identity, name: str) -> bytes:
    return sign_document(example(name), key=identity.key, cert_pem=identity.cert_pem)


def post_request(client, headers, document: bytes):
    return client.post(
        "/api/v1/requests", files=multipart(document, *listed_files(document)), headers=headers
    )


def refused_with(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code, body
    return body


def test_a_signed_request_is_accepted_and_names_the_certificate(client, token, trust, court_key, hub):
    trust(court=court_key)
    response = post_request(client, token("officer"), signed(court_key, "request-freeze.xml"))
    assert response.status_code == 201, response.text
    request = response.json()
    assert request["signed_by"] == fingerprint(court_key.certificate)
    with unit_of_work(hub.sessions) as session:
        event = session.query(AuditEvent).filter_by(kind="request.received").one()
        assert fingerprint(court_key.certificate) in event.data
    unsigned = submit(client, token("officer"), "request-query.xml")  # signing is not required here
    assert unsigned["signed_by"] is None


def test_a_request_changed_after_signing_is_refused_and_leaves_nothing(
    client, token, trust, court_key, stored
):
    trust(court=court_key)
    before = stored()
    document = signed(court_key, "request-freeze.xml").replace(b"<CaseNo>", b"<CaseNo>1")
    body = refused_with(post_request(client, token("officer"), document), 422, "signature_invalid")
    assert "court J2426" in body["error"]["message"]
    assert body["error"]["details"][0]["path"] == "/AssistanceRequest/Signature"
    assert stored() == before


def test_a_request_signed_by_another_key_or_an_unregistered_court_is_refused(client, token, trust, court_key):
    stranger = self_signed("安图县人民法院")
    officer = token("officer")
    refused_with(
        post_request(client, officer, signed(stranger, "request-freeze.xml")), 422, "signature_unverifiable"
    )
    trust(court=court_key)
    refused_with(
        post_request(client, officer, signed(stranger, "request-freeze.xml")), 422, "signature_invalid"
    )


def test_a_court_that_must_sign_has_unsigned_requests_refused_but_its_officers_forms_pass(
    client, token, trust, court_key, visitor
):
    trust(court=court_key, required=True)
    body = refused_with(
        post_request(client, token("officer"), example("request-freeze.xml")), 422, "signature_required"
    )
    assert "court J2426 must sign" in body["error"]["message"]

    sign_in(visitor, "officer")
    form = {
        "csrf": csrf_of(visitor.get("/requests/new").text),
        "action": "QUERY",
        "case_no": "（2026）吉2426执301号",
        "subject_kind": "person",
        "subject_name": "王丽华",
        "id_type": "RESIDENT_ID",
        "id_number": "222426197508300267",
        "targets": "civil-affairs",
        "doc-0-type": "NOTICE",
    }
    files = {"doc-0-file": ("notice.pdf", b"%PDF-1.4 notice", "application/pdf")}
    sent = visitor.post("/requests/new", data=form, files=files)
    assert sent.status_code == 303, sent.text  # the hub wrote it for a signed-in officer


def test_signed_receipts_are_verified_against_the_units_certificates(client, token, trust, unit_key):
    trust(unit=unit_key)
    request = submit(client, token("officer"), "request-freeze.xml")
    staff = token("staff-housing-fund")
    receipt = post_receipt(client, staff, request, signed(unit_key, "receipt-controlled.xml"))
    assert receipt["signed_by"] == fingerprint(unit_key.certificate)


def test_a_unit_that_must_sign_has_unsigned_receipts_refused(client, token, trust, unit_key, stored):
    trust(unit=unit_key, required=True)
    request = submit(client, token("officer"), "request-freeze.xml")
    before = stored()
    document = example("receipt-controlled.xml")
    response = client.post(
        f"/api/v1/tasks/{request['tasks'][0]['id']}/receipts",
        files=multipart(document, *listed_files(document)),
        headers=token("staff-housing-fund"),
    )
    body = refused_with(response, 422, "signature_required")
    assert "unit housing-fund must sign" in body["error"]["message"]
    assert stored() == before
