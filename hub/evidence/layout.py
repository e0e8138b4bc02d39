"""The archive's names and its signature, shared by the export and the offline check. Pure: no database.

manifest.sig is a plain detached signature over the bytes of manifest.json, so that anyone can also check it
without the hub, e.g. for an RSA or EC key:

    openssl x509 -in hub-cert.pem -pubkey -noout > hub.pub
    openssl dgst -sha256 -verify hub.pub -signature manifest.sig manifest.json
"""

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

FORMAT = "linkage-hub-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
CERTIFICATE = "hub-cert.pem"
AUDIT = "audit.jsonl"
SUMMARY = "summary.txt"
# The members that the manifest cannot list: itself, and what proves who wrote it.
UNLISTED = (MANIFEST, SIGNATURE, CERTIFICATE)

# Member kinds, as the manifest names them.
REQUEST, REQUEST_FILE, RECEIPT, RECEIPT_FILE = "request", "request-file", "receipt", "receipt-file"
AUDIT_EVENTS, SUMMARY_TEXT = "audit", "summary"
DOCUMENTS = (REQUEST, RECEIPT)  # each is linked to the audit event that recorded its sha256
FILES = (REQUEST_FILE, RECEIPT_FILE)  # each is listed with its sha256 in the document it belongs to

# What the offline check takes, at most. Until it is checked an archive is its sender's word, sizes included:
# the check refuses a member whose declared size passes these, and counts what is inflated as it comes.
MAX_MEMBERS = 100_000
# A member read whole: the manifest, the signature, the certificate, the audit events, a document.
MAX_READ_BYTES = 32 * 1024 * 1024
# Any member, hashed in pieces (the hub takes files of 50 MiB by default), and all members together.
MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 8 * 1024 * 1024 * 1024


def request_dir(request_no: str) -> str:
    return f"requests/{request_no}"


def receipt_dir(request_no: str, unit_code: str, receipt_no: str) -> str:
    return f"{request_dir(request_no)}/receipts/{unit_code}/{receipt_no}"


class SigningError(Exception):
    """The key cannot sign, or does not belong to the certificate."""


def _private_key(key_pem: bytes) -> PrivateKeyTypes:
    try:
        return serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as e:
        raise SigningError(f"the signing key cannot be read: {e}") from e


def sign(key_pem: bytes, data: bytes) -> bytes:
    """The detached signature of `data` with the PEM private key: PKCS#1 v1.5 for RSA, ECDSA for EC (both over
    SHA-256), or Ed25519. The key's type fixes the algorithm, so the archive need not (and cannot) name another."""
    key = _private_key(key_pem)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    raise SigningError(f"a {type(key).__name__} cannot sign evidence: use an RSA, EC or Ed25519 key")


def signature_holds(certificate: x509.Certificate, data: bytes, signature: bytes) -> bool:
    """Whether `signature` over `data` was made, as `sign` makes it, with the key of `certificate`."""
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            return False
    except InvalidSignature:
        return False
    return True
