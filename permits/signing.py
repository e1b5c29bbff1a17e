"""Signed permits: the approval as a JWS compact token (Ed25519, "EdDSA") that a checkpoint can
verify with no network, the keys that sign and verify it, and its QR code. docs/SIGNED_PERMITS.md
says how keys are kept and rotated.

The private key is a PEM file (settings.PERMIT_SIGNING_KEY_FILE); its public key is named by its
RFC 7638 thumbprint, the token's `kid`. Keys retired by a rotation stay accepted for verification
in a JWKS file (settings.PERMIT_PUBLIC_KEYS_FILE) until removed from it."""

import base64
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jwt
import segno
import shapely
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from airspace.geometry import polygon_from_boundary

ALGORITHM = "EdDSA"
# A QR code holds at most 2,953 bytes (version 40, low error correction): a token longer than this
# carries its volume simplified (see volume_claim).
QR_MAX_TOKEN_CHARS = 2_900
# Degrees: about 1 m, then coarser, until a many-vertex volume fits the QR code.
SIMPLIFY_STEPS = (0.0, 0.00001, 0.00005, 0.0002, 0.001, 0.005)


class KeyUnavailable(ImproperlyConfigured):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(public_key: Ed25519PublicKey) -> dict:
    """The public key as a JWK with its `kid`: the RFC 7638 thumbprint, so the same key always has
    the same name wherever it is listed."""
    x = _b64(public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    thumbprint = _b64(
        hashlib.sha256(json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":")).encode()).digest()
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumbprint, "alg": ALGORITHM, "use": "sig"}


def _key_path() -> Path:
    return Path(settings.PERMIT_SIGNING_KEY_FILE or settings.BASE_DIR / ".permit_signing_key")


def write_private_key(path: Path, key: Ed25519PrivateKey, *, replace: bool = True) -> None:
    """Write a key file readable by its owner only, in one step (never half a key). replace=False
    keeps a key another process wrote first (two processes starting at once agree on one key)."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".permit-key-")
    with os.fdopen(handle, "wb") as file:
        file.write(pem)
    os.chmod(temporary, 0o600)
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def signing_key() -> Ed25519PrivateKey:
    """The current private key. Read at each use, so a rotation takes effect in every process at
    once. The embedded demo (no PERMIT_SIGNING_KEY_FILE) makes its own the first time."""
    path = _key_path()
    if not path.exists():
        if settings.PERMIT_SIGNING_KEY_FILE:
            raise KeyUnavailable(f"PERMIT_SIGNING_KEY_FILE names {path}, which does not exist.")
        write_private_key(path, Ed25519PrivateKey.generate(), replace=False)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyUnavailable(f"{path} does not hold an Ed25519 private key.")
    return key


def retired_public_keys() -> list[dict]:
    """The JWKs of keys retired by rotations and still accepted."""
    path = Path(settings.PERMIT_PUBLIC_KEYS_FILE)
    if not path.exists():
        return []
    return json.loads(path.read_text()).get("keys", [])


def accepted_public_keys() -> dict[str, dict]:
    """Every public key a token may be signed with, by kid: the current one first."""
    current = public_jwk(signing_key().public_key())
    keys = {current["kid"]: current}
    for jwk in retired_public_keys():
        keys.setdefault(jwk["kid"], jwk)
    return keys


def key_set_version() -> str:
    """A short name of the accepted keys: the verification page's offline copy is renewed when it changes."""
    return hashlib.sha256(",".join(sorted(accepted_public_keys())).encode()).hexdigest()[:12]


def rotate_key() -> tuple[dict, dict]:
    """Retire the current key (its public half stays accepted) and start signing with a new one.
    Returns (retired, new) public JWKs."""
    retired = public_jwk(signing_key().public_key())
    keys = [jwk for jwk in retired_public_keys() if jwk["kid"] != retired["kid"]] + [retired]
    path = Path(settings.PERMIT_PUBLIC_KEYS_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".permit-keys-")
    with os.fdopen(handle, "w") as file:
        json.dump({"keys": keys}, file, indent=2)
    os.replace(temporary, path)
    new_key = Ed25519PrivateKey.generate()
    write_private_key(_key_path(), new_key)
    return retired, public_jwk(new_key.public_key())


# --- the token ------------------------------------------------------------------------------------


def volume_claim(permit, tolerance: float) -> dict:
    """The volume as it is signed: the area as submitted (a Polygon, or a Point with its radius);
    a polygon too large for a QR code is simplified by `tolerance` degrees and then grown by as much,
    so that the signed area still covers the approved one (marked `simplified`)."""
    if permit.radius_m or tolerance == 0:
        return {"area": permit.area, "radius_m": permit.radius_m}
    polygon = polygon_from_boundary(permit.boundary)
    simpler = shapely.simplify(polygon, tolerance).buffer(tolerance, join_style="mitre")
    ring = [[round(x, 5), round(y, 5)] for x, y in simpler.exterior.coords]
    return {"area": {"type": "Polygon", "coordinates": [ring]}, "radius_m": None, "simplified": True}


def permit_claims(permit, *, approver, tolerance=0.0) -> dict:
    return {
        "iss": settings.PERMIT_TOKEN_ISSUER,
        "jti": permit.reference,
        "ref": permit.reference,
        "op": permit.operator.name,
        "ac": permit.aircraft.serial_number,
        "rid": permit.aircraft.remote_id,
        "purpose": permit.get_purpose_display(),
        "vol": volume_claim(permit, tolerance),
        "alt": [permit.min_altitude_m, permit.max_altitude_m],  # metres above ground
        "nbf": int(permit.starts_at.timestamp()),
        "exp": int(permit.ends_at.timestamp()),
        "iat": int(datetime.now(UTC).timestamp()),
        "by": approver.get_full_name() or approver.username,
    }


def sign_permit_token(permit, *, approver) -> tuple[str, str]:
    """The approved permit as a signed token, short enough for one QR code. Returns (kid, token)."""
    key = signing_key()
    kid = public_jwk(key.public_key())["kid"]
    for tolerance in SIMPLIFY_STEPS:
        token = jwt.encode(
            permit_claims(permit, approver=approver, tolerance=tolerance),
            key,
            algorithm=ALGORITHM,
            headers={"kid": kid},
        )
        if len(token) <= QR_MAX_TOKEN_CHARS:
            return kid, token
    raise ValueError(f"Permit {permit.reference} does not fit a QR code even simplified.")


# --- verification -----------------------------------------------------------------------------------

VALID, INVALID, EXPIRED, NOT_YET_VALID = "VALID", "INVALID", "EXPIRED", "NOT YET VALID"


@dataclass(frozen=True)
class Verification:
    status: str
    claims: dict | None = None
    reason: str = ""


def verify_token(token: str, *, now: datetime | None = None) -> Verification:
    """What a checkpoint sees: the signature checked against the accepted keys, then the window."""
    token = (token or "").strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return Verification(INVALID, reason="This is not a signed permit.")
    kid = header.get("kid")
    jwk = accepted_public_keys().get(kid) if isinstance(kid, str) else None
    if jwk is None or header.get("alg") != ALGORITHM:
        return Verification(INVALID, reason="Signed with a key this service does not know.")
    try:
        claims = jwt.decode(
            token,
            jwt.PyJWK(jwk).key,
            algorithms=[ALGORITHM],
            issuer=settings.PERMIT_TOKEN_ISSUER,
            options={"verify_exp": False, "verify_nbf": False, "require": ["ref", "nbf", "exp"]},
        )
    except jwt.PyJWTError:
        return Verification(INVALID, reason="The signature does not match: the code was altered or forged.")
    moment = (now or datetime.now(UTC)).timestamp()
    if moment < claims["nbf"]:
        return Verification(NOT_YET_VALID, claims, "The permitted window has not started.")
    if moment >= claims["exp"]:
        return Verification(EXPIRED, claims, "The permitted window has ended.")
    return Verification(VALID, claims)


# --- the QR code ----------------------------------------------------------------------------------


def qr_code(token: str):
    # Low error correction leaves room for a large volume; segno raises it where the room allows.
    return segno.make(token, error="l", micro=False)


def qr_svg(token: str) -> str:
    return qr_code(token).svg_inline(scale=4, dark="#000", light="#fff", omitsize=True)


def qr_png_base64(token: str) -> str:
    """The QR code as a PNG, base64 (a data URI's payload)."""
    return qr_code(token).png_data_uri(scale=6).split(",", 1)[1]
