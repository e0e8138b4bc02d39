"""The hub's own signing identity: a private key and its certificate, both PEM.

They come from HUB_SIGNING_KEY_FILE and HUB_SIGNING_CERT_FILE. In demo mode without them, a self-signed pair is
made once under data_dir/keys/ so that signing can be tried; outside demo mode the hub then signs nothing.
"""

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID

from hub.config import Settings


@dataclass(frozen=True)
class Identity:
    key_pem: bytes
    cert_pem: bytes

    @cached_property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    @cached_property
    def key(self) -> PrivateKeyTypes:
        """The loaded private key: loading checks it, which costs ~30 ms, so it is done once."""
        return serialization.load_pem_private_key(self.key_pem, password=None)


class SigningKeyError(Exception):
    """A configured key or certificate that cannot be used; the message names the file."""


def self_signed(common_name: str, *, days: int = 3650) -> Identity:
    """A new RSA-2048 key and a self-signed certificate for it (demo mode and tests)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Identity(key_pem, cert.public_bytes(serialization.Encoding.PEM))


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise SigningKeyError(f"{what} {path}: {e.strerror}") from e


def hub_identity(settings: Settings) -> Identity | None:
    """The identity the hub signs with, or None when it has none (outside demo mode, nothing configured)."""
    if settings.signing_key_file or settings.signing_cert_file:
        if not (settings.signing_key_file and settings.signing_cert_file):
            raise SigningKeyError("HUB_SIGNING_KEY_FILE and HUB_SIGNING_CERT_FILE must be set together")
        identity = Identity(
            _read(settings.signing_key_file, "HUB_SIGNING_KEY_FILE"),
            _read(settings.signing_cert_file, "HUB_SIGNING_CERT_FILE"),
        )
        try:
            identity.key  # noqa: B018 - load both now, so a bad file is named at start
            identity.certificate  # noqa: B018
        except ValueError as e:
            raise SigningKeyError(f"signing key or certificate is not PEM: {e}") from e
        return identity
    if not settings.demo:
        return None
    folder = settings.data_dir / "keys"
    key_file, cert_file = folder / "hub-key.pem", folder / "hub-cert.pem"
    if not (key_file.is_file() and cert_file.is_file()):
        folder.mkdir(parents=True, exist_ok=True)
        made = self_signed("Linkage Hub (demo)")
        key_file.write_bytes(made.key_pem)
        key_file.chmod(0o600)
        cert_file.write_bytes(made.cert_pem)
    return Identity(key_file.read_bytes(), cert_file.read_bytes())
