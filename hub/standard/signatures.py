"""XML signatures of the standard's documents (XMLDSig, enveloped, over the whole document), with signxml.

A court or unit may register certificates in the directory and may be required to sign. A signature is valid
when it covers the whole document (one Reference, URI="", the enveloped-signature transform), uses SHA-256 or
stronger, and verifies with one of the sender's certificates valid at the time of receipt. The certificate
inside the signature's KeyInfo is never trusted on its own: only registered ones are.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from lxml import etree
from signxml import InvalidInput, InvalidSignature, SignatureConfiguration, XMLSigner, XMLVerifier
from signxml.algorithms import DigestAlgorithm, SignatureMethod

from hub.standard.documents import DSIG_NS
from hub.standard.xml import (
    MAX_PROBLEMS,
    DocumentError,
    Problem,
    SharedSchema,
    element_path,
    more_problems,
    parse,
    parse_file,
)

# Strong algorithms only: SHA-1 signatures and digests are refused.
_CONFIG = SignatureConfiguration(
    expect_references=1,
    signature_methods=frozenset(
        {
            SignatureMethod.RSA_SHA256,
            SignatureMethod.RSA_SHA384,
            SignatureMethod.RSA_SHA512,
            SignatureMethod.ECDSA_SHA256,
            SignatureMethod.ECDSA_SHA384,
            SignatureMethod.ECDSA_SHA512,
        }
    ),
    digest_algorithms=frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}),
)


# The XML-signature schema signxml checks a signature against (its xmldsig1-schema.xsd and what that
# includes). signxml builds its copy in whichever thread verifies first, outside the hub's BUILD_LOCK, and
# shares it between threads whose validations empty each other's error_log (a thread was told another's
# errors, or none), and lets its DocumentInvalid out (a 500). The hub checks the signature against its own
# SharedSchema of the same file instead, and calls signxml with validate_schema=False.
DSIG_XSD = Path(str(files("signxml.schemas") / "xmldsig1-schema.xsd"))
_DSIG_SCHEMA = SharedSchema(lambda: parse_file(DSIG_XSD))


def dsig_schema() -> SharedSchema:
    """The XML-signature schema, built on first use."""
    return _DSIG_SCHEMA.build()


def _structure_problems(signature: etree._Element) -> list[Problem]:
    """Where the ds:Signature element departs from the XML-signature schema, one problem per error."""
    errors = dsig_schema().errors(signature)
    problems = [
        Problem(
            error.line,
            element_path(signature),
            "the signature is not an XML signature as its W3C schema defines: "
            + error.message.replace("{" + DSIG_NS + "}", "ds:"),
            error.column,
        )
        for error in errors[:MAX_PROBLEMS]
    ]
    return problems + more_problems(len(errors))


@dataclass(frozen=True)
class Signer:
    """Who signed: the sha256 fingerprint (hex) of the registered certificate that verified, and its subject."""

    fingerprint: str
    subject: str


def load_certificate(pem: str | bytes) -> x509.Certificate:
    """One PEM certificate; ValueError says what is wrong."""
    data = pem.encode() if isinstance(pem, str) else pem
    return x509.load_pem_x509_certificate(data)


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def signature_element(tree: etree._ElementTree) -> etree._Element | None:
    return tree.getroot().find(f"{{{DSIG_NS}}}Signature")


def _refused(element: etree._Element, message: str, code: str) -> DocumentError:
    return DocumentError([Problem(element.sourceline, element_path(element), message)], code=code)


def _covers_whole_document(signature: etree._Element) -> bool:
    references = signature.findall(f"{{{DSIG_NS}}}SignedInfo/{{{DSIG_NS}}}Reference")
    return len(references) == 1 and references[0].get("URI") == ""


def verify_signature(
    tree: etree._ElementTree, *, sender: str, certificates: list[str], required: bool, at: datetime
) -> Signer | None:
    """Check the document's signature against the sender's registered certificates.

    Returns the signer, or None for an unsigned document where none is required. Raises DocumentError with
    code signature_required, signature_unverifiable (signed, but the sender has no usable certificate) or
    signature_invalid, naming the sender and the ds:Signature element.
    """
    signature = signature_element(tree)
    root = tree.getroot()
    if signature is None:
        if required:
            raise _refused(
                root,
                f"{sender} must sign its documents: add an enveloped ds:Signature made with a registered key",
                "signature_required",
            )
        return None
    if not _covers_whole_document(signature):
        raise _refused(
            signature,
            'the signature must cover the whole document: one ds:Reference with URI=""',
            "signature_invalid",
        )
    loaded = [load_certificate(pem) for pem in certificates]
    current = [c for c in loaded if c.not_valid_before_utc <= at <= c.not_valid_after_utc]
    if not current:
        reason = "has no certificate registered" if not loaded else "has no certificate valid now"
        raise _refused(
            signature,
            f"the document is signed, but {sender} {reason} in the directory to verify it with",
            "signature_unverifiable",
        )
    if problems := _structure_problems(signature):
        raise DocumentError(problems, code="signature_invalid")
    failures = []
    for certificate in current:
        pem = certificate.public_bytes(serialization.Encoding.PEM)
        try:
            XMLVerifier().verify(root, x509_cert=pem, expect_config=_CONFIG, validate_schema=False)
        except (InvalidSignature, InvalidInput) as exc:
            failures.append(str(exc) or type(exc).__name__)
            continue
        return Signer(fingerprint(certificate), certificate.subject.rfc4514_string())
    raise _refused(
        signature,
        f"the signature does not verify with any certificate of {sender}: {failures[0]}",
        "signature_invalid",
    )


def sign_document(data: bytes, *, key: PrivateKeyTypes | bytes, cert_pem: bytes) -> bytes:
    """The document with an enveloped RSA-SHA256 signature over all of it (the certificate in KeyInfo).

    The signature is spliced in before the root's end tag, so every other byte stays as received. `data` is a
    document the hub holds (validated when it came in); one already signed is returned unchanged, as the
    standard has room for one signature. `key` is best a loaded key: loading a PEM costs ~30 ms.
    """
    tree = parse(data, max_bytes=len(data))
    if signature_element(tree) is not None:
        return data
    root = tree.getroot()
    signed = XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256, digest_algorithm=DigestAlgorithm.SHA256
    ).sign(root, key=key, cert=cert_pem)
    signature = signed.find(f"{{{DSIG_NS}}}Signature")
    end = data.rstrip().rfind(b"</")
    spliced = data[:end] + etree.tostring(signature) + data[end:]
    try:
        # the hub's own signature, checked for the splice only: no schema (signxml's is not for threads)
        XMLVerifier().verify(
            parse(spliced, max_bytes=len(spliced)).getroot(), x509_cert=cert_pem, validate_schema=False
        )
    except (InvalidSignature, InvalidInput, DocumentError):  # e.g. a comment after the root element
        return etree.tostring(signed, xml_declaration=True, encoding=tree.docinfo.encoding or "UTF-8")
    return spliced


def without_signature(data: bytes) -> bytes:
    """The bytes of a document signed by sign_document as they were before (the spliced signature cut out)."""
    start = data.find(b"<ds:Signature")
    end = data.find(b"</ds:Signature>", start)
    return data if start < 0 or end < 0 else data[:start] + data[end + len(b"</ds:Signature>") :]
