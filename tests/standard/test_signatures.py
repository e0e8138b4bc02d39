"""XML signatures: what verifies, what is refused and why, and how the hub signs what it forwards."""

import datetime as dt

import pytest
from conftest import example
from lxml import etree
from signxml import XMLSigner
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from hub.keys import Identity, self_signed
from hub.standard.documents import DSIG_NS
from hub.standard.signatures import fingerprint, sign_document, verify_signature, without_signature
from hub.standard.xml import DocumentError, parse

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def court() -> Identity:
    return self_signed("安图县人民法院")


@pytest.fixture(scope="module")
def stranger() -> Identity:
    return self_signed("安图县人民法院")  # the same name, another key


def signed(identity: Identity, name: str = "request-freeze.xml") -> bytes:
    return sign_document(example(name), key=identity.key, cert_pem=identity.cert_pem)


def check(data: bytes, *certs: Identity, required: bool = False, at: dt.datetime = NOW):
    return verify_signature(
        parse(data),
        sender="court J2426",
        certificates=[c.cert_pem.decode() for c in certs],
        required=required,
        at=at,
    )


def refused(data: bytes, *certs: Identity, **kw) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        check(data, *certs, **kw)
    return info.value


def test_a_signed_document_verifies_and_names_its_certificate(court, stranger):
    signer = check(signed(court), stranger, court)  # a court may register several (key rotation)
    assert signer.fingerprint == fingerprint(court.certificate)
    assert signer.subject == "CN=安图县人民法院"


def test_signing_splices_the_signature_in_and_keeps_every_other_byte(court):
    for name in ("request-freeze.xml", "request-query-all.xml", "receipt-controlled.xml"):
        data = signed(court, name)
        assert data != example(name) and without_signature(data) == example(name)
    assert sign_document(signed(court), key=court.key, cert_pem=court.cert_pem) == signed(court)


def test_a_gb18030_document_is_signed_in_its_own_encoding(court):
    original = example("request-freeze.xml").decode().replace('encoding="UTF-8"', 'encoding="GB18030"')
    data = sign_document(original.encode("gb18030"), key=court.key, cert_pem=court.cert_pem)
    assert without_signature(data) == original.encode("gb18030")
    assert check(data, court).fingerprint == fingerprint(court.certificate)


def test_unsigned_documents_pass_unless_a_signature_is_required(court):
    assert check(example("request-freeze.xml"), court) is None
    error = refused(example("request-freeze.xml"), court, required=True)
    assert error.code == "signature_required"
    assert "court J2426 must sign its documents" in str(error)
    assert error.problems[0].path == "/AssistanceRequest"


def test_a_changed_byte_after_signing_is_refused(court):
    data = signed(court).replace(b"<CaseNo>", b"<CaseNo>1")
    error = refused(data, court)
    assert error.code == "signature_invalid" and error.problems[0].path == "/AssistanceRequest/Signature"
    assert "does not verify with any certificate of court J2426" in str(error)


def test_a_signature_by_another_key_is_refused_even_with_its_certificate_inside(court, stranger):
    error = refused(signed(stranger), court)  # KeyInfo carries the stranger's certificate: not trusted
    assert error.code == "signature_invalid"


def test_a_signed_document_from_a_sender_without_certificates_cannot_be_verified(court):
    error = refused(signed(court))
    assert error.code == "signature_unverifiable"
    assert "court J2426 has no certificate registered" in str(error)


def test_an_expired_certificate_verifies_nothing(court):
    error = refused(signed(court), court, at=NOW + dt.timedelta(days=3660))
    assert error.code == "signature_unverifiable" and "no certificate valid now" in str(error)


def _sign_tree(identity: Identity, root: etree._Element, **kw) -> bytes:
    out = XMLSigner(**kw).sign(root, key=identity.key, cert=identity.cert_pem)
    return etree.tostring(out, xml_declaration=True, encoding="UTF-8")


class LegacySigner(XMLSigner):
    """A sender's old software that still signs with SHA-1 (signxml refuses to by default)."""

    def check_deprecated_methods(self) -> None:
        pass


def test_sha1_is_refused(court):
    root = parse(example("request-freeze.xml")).getroot()
    out = LegacySigner(
        signature_algorithm=SignatureMethod.RSA_SHA1, digest_algorithm=DigestAlgorithm.SHA1
    ).sign(root, key=court.key, cert=court.cert_pem)
    data = etree.tostring(out, xml_declaration=True, encoding="UTF-8")
    assert refused(data, court).code == "signature_invalid"


def test_a_signature_over_part_of_the_document_is_refused(court):
    """Signature wrapping: a valid signature over one element says nothing of the rest."""
    root = parse(example("request-freeze.xml")).getroot()
    root.find("{*}Subject").set("Id", "part")
    signature = etree.fromstring(
        _sign_tree(
            court,
            root,
            signature_algorithm=SignatureMethod.RSA_SHA256,
            digest_algorithm=DigestAlgorithm.SHA256,
        )
    ).find(f"{{{DSIG_NS}}}Signature")
    reference = signature.find(f"{{{DSIG_NS}}}SignedInfo/{{{DSIG_NS}}}Reference")
    reference.set("URI", "#part")
    root.append(signature)
    error = refused(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), court)
    assert error.code == "signature_invalid" and "cover the whole document" in str(error)
