"""The local certificate authority and the server certificates it issues.

A running acrlink's CA lives in its store, shared by every process on it (``services/key_material.py``);
each process writes it into its own data directory (``ca.pem`` for clients, ``ca.key`` mode 0600). Server
certificates are issued at start-up for the names a face answers to.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from acrlink.atomic import write_file


@dataclass(frozen=True)
class Authority:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_path: Path


def load_or_create_authority(directory: Path) -> Authority:
    """``ca.pem`` (public) and ``ca.key`` (private) in ``directory``; created once. A running acrlink keeps its
    CA in the store instead (``services/key_material.py``); this serves tools and tests that need a CA of
    their own in a directory."""
    cert_path, key_path = directory / "ca.pem", directory / "ca.key"
    if cert_path.exists() and key_path.exists():
        return authority_from_pem(cert_path.read_bytes(), key_path.read_bytes(), cert_path)
    cert_pem, key_pem = new_authority_pem()
    write_authority(cert_pem, key_pem, directory)
    return authority_from_pem(cert_pem, key_pem, cert_path)


def new_authority_pem() -> tuple[bytes, bytes]:
    """A new CA: its certificate and its PKCS#8 private key, both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "acrlink local CA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "acrlink"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def authority_from_pem(cert_pem: bytes, key_pem: bytes, cert_path: Path) -> Authority:
    """The CA of a PEM certificate and key (``ValueError`` when the key is not an EC key or not the
    certificate's), written or to be written at ``cert_path``."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the CA key is not an EC key")
    cert = x509.load_pem_x509_certificate(cert_pem)
    if cert.public_key() != key.public_key():
        raise ValueError("the CA key does not match the CA certificate")
    return Authority(cert, key, cert_path)


def write_authority(cert_pem: bytes, key_pem: bytes, directory: Path) -> None:
    """``ca.key`` (mode 0600) and ``ca.pem`` (0644) in ``directory``, each rewritten only when it differs."""
    for name, data, mode in (("ca.key", key_pem, 0o600), ("ca.pem", cert_pem, 0o644)):
        path = directory / name
        try:
            if path.read_bytes() == data:
                continue
        except FileNotFoundError:
            pass
        write_file(path, data, mode)


def issue_server_certificate(authority: Authority, names: list[str], cert_path: Path, key_path: Path) -> None:
    """A server certificate for DNS names and IP addresses, signed by the authority."""
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(authority.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=397))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False)
        .sign(authority.key, hashes.SHA256())
    )
    write_file(
        key_path,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + authority.cert.public_bytes(serialization.Encoding.PEM)
    write_file(cert_path, chain, 0o644)


def write_trust_bundle(authority: Authority, path: Path) -> None:
    """The system's trusted CAs plus acrlink's, for ``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE`` (which
    replace the default bundle rather than add to it)."""
    system = ssl.get_default_verify_paths().cafile
    existing = Path(system).read_bytes() if system and Path(system).exists() else b""
    ours = authority.cert_path.read_bytes()
    write_file(path, existing.rstrip(b"\n") + b"\n" + ours if existing else ours, 0o644)
