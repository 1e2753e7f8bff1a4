"""Signing keys for local use: generate, describe as JWK/JWKS, name by thumbprint."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
# RFC 7638: the members that define a key, per key type.
_THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}


def algorithm_for(key: PublicKey | PrivateKey) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if key.curve.name not in _EC_ALGORITHMS:
            raise ValueError(f"unsupported EC curve {key.curve.name}")
        return _EC_ALGORITHMS[key.curve.name]
    return "RS256"


def load_private_key(pem: bytes | str) -> PrivateKey:
    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("private key must be EC or RSA")
    return key


def load_public_key(pem: bytes | str) -> PublicKey:
    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError("public key must be EC or RSA")
    return key


def public_jwk(key: PublicKey, key_id: str | None = None) -> dict[str, Any]:
    """The public JWK with `alg`, `use` and `kid` (the RFC 7638 thumbprint unless given)."""
    raw: dict[str, Any] = (
        dict(ECAlgorithm.to_jwk(key, as_dict=True))
        if isinstance(key, ec.EllipticCurvePublicKey)
        else dict(RSAAlgorithm.to_jwk(key, as_dict=True))
    )
    members = _THUMBPRINT_MEMBERS[raw["kty"]]
    canonical = json.dumps({m: raw[m] for m in members}, separators=(",", ":"), sort_keys=True)
    thumbprint = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return {
        **{m: raw[m] for m in members},
        "alg": algorithm_for(key),
        "use": "sig",
        "kid": key_id or thumbprint,
    }


def key_id_of(key: PublicKey | PrivateKey) -> str:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) else key
    return str(public_jwk(public)["kid"])


@dataclass(frozen=True)
class KeyFiles:
    private_key: Path
    public_key: Path
    jwks: Path
    key_id: str


def write_key_pair(directory: Path, *, overwrite: bool = False) -> KeyFiles:
    """An EC P-256 key pair as `private.pem` (0600), `public.pem` and `jwks.json` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key()
    jwk = public_jwk(public)
    files = KeyFiles(directory / "private.pem", directory / "public.pem", directory / "jwks.json", jwk["kid"])
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    # Created 0600 from the first byte: a chmod afterwards would leave a readable window.
    fd = os.open(files.private_key, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    files.private_key.chmod(0o600)  # an overwritten file keeps its old mode otherwise
    files.public_key.write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    files.jwks.write_text(json.dumps({"keys": [jwk]}, indent=2) + "\n", encoding="utf-8")
    return files
