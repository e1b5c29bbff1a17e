"""Signed permits: an approval signs the permit (Ed25519 JWS) in its own transaction; the token
verifies with the service's public key, survives a key rotation, and is checked by the public
revocation endpoint and `manage.py verify_permit`."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import shapely
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from airspace.geometry import circle_polygon, polygon_from_boundary
from permits import services, signing
from permits.models import FlightPermit, PermitSignature, State


def public_key_of(token):
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.PyJWK(signing.accepted_public_keys()[kid]).key


def tampered(token):
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["alt"] = [0, 5000]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_an_approval_signs_the_permit_with_its_claims(make_permit):
    permit = make_permit(State.APPROVED, max_altitude_m=90)
    signature = PermitSignature.objects.get(permit=permit)
    claims = jwt.decode(
        signature.token, public_key_of(signature.token), algorithms=["EdDSA"], options={"verify_nbf": False}
    )
    assert jwt.get_unverified_header(signature.token) == {"alg": "EdDSA", "kid": signature.kid, "typ": "JWT"}
    assert claims["ref"] == permit.reference
    assert claims["op"] == permit.operator.name
    assert claims["ac"] == permit.aircraft.serial_number
    assert claims["rid"] == permit.aircraft.remote_id
    assert claims["alt"] == [0, 90]
    assert claims["vol"] == {"area": permit.area, "radius_m": None}
    assert claims["nbf"] == int(permit.starts_at.timestamp())
    assert claims["exp"] == int(permit.ends_at.timestamp())
    assert claims["by"] == permit.decided_by.username


def test_applications_are_not_signed_and_their_code_is_not_found(make_permit, client_for):
    permit = make_permit(State.UNDER_REVIEW)
    assert not PermitSignature.objects.filter(permit=permit).exists()
    answer = client_for(permit.created_by).get(f"/api/v1/permits/{permit.pk}/signed/")
    assert answer.status_code == 404
    assert "only approved permits are signed" in answer.json()["detail"]


def test_without_its_key_an_approval_approves_nothing(make_permit, senior_officer, settings, tmp_path):
    permit = make_permit(State.UNDER_REVIEW)
    settings.PERMIT_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    with pytest.raises(signing.KeyUnavailable):
        services.approve_permit(permit_id=permit.pk, officer=senior_officer)
    permit.refresh_from_db()
    assert permit.state == State.UNDER_REVIEW
    assert not permit.history.filter(transition="approve").exists()


def test_the_signed_code_is_read_by_who_reads_the_permit(
    make_permit, client_for, other_operator_user, air_defense_user
):
    permit = make_permit(State.APPROVED)
    answer = client_for(permit.created_by).get(f"/api/v1/permits/{permit.pk}/signed/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["token"] == permit.signature.token
    assert body["reference"] == permit.reference
    assert body["qr_svg"].startswith("<svg")
    assert base64.b64decode(body["qr_png"])[:8] == b"\x89PNG\r\n\x1a\n"
    assert client_for(air_defense_user).get(f"/api/v1/permits/{permit.pk}/signed/").status_code == 200
    assert client_for(other_operator_user).get(f"/api/v1/permits/{permit.pk}/signed/").status_code == 404


def test_the_public_check_says_valid_then_revoked_and_nothing_more(make_permit, senior_officer):
    permit = make_permit(State.APPROVED)
    anyone = APIClient()
    token = permit.signature.token
    answer = anyone.get("/api/v1/permits/verify/", {"token": token})
    assert answer.status_code == 200
    assert answer.json() == {"reference": permit.reference, "status": "valid"}
    assert anyone.get("/api/v1/permits/verify/", {"reference": permit.reference}).json()["status"] == "valid"
    services.revoke_permit(permit_id=permit.pk, officer=senior_officer, reason="Airspace closed")
    assert anyone.get("/api/v1/permits/verify/", {"token": token}).json() == {
        "reference": permit.reference,
        "status": "revoked",
    }


def test_the_public_check_refuses_a_forged_token_and_an_unknown_reference(make_permit):
    permit = make_permit(State.APPROVED)
    anyone = APIClient()
    forged = anyone.get("/api/v1/permits/verify/", {"token": tampered(permit.signature.token)})
    assert forged.status_code == 400
    assert "altered or forged" in forged.json()["token"][0]
    assert anyone.get("/api/v1/permits/verify/", {"reference": "FP-000000-XXXXX"}).status_code == 404
    assert anyone.get("/api/v1/permits/verify/").status_code == 400


def test_the_public_check_is_rate_limited(make_permit, settings):
    settings.PERMIT_VERIFY_RATE = "3/min"
    permit = make_permit(State.APPROVED)
    anyone = APIClient()
    codes = [anyone.get("/api/v1/permits/verify/", {"reference": permit.reference}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_verification_says_expired_and_not_yet_valid_by_the_window(make_permit):
    permit = make_permit(State.APPROVED)
    token = permit.signature.token
    assert signing.verify_token(token, now=permit.starts_at + timedelta(minutes=1)).status == signing.VALID
    assert signing.verify_token(token, now=permit.starts_at - timedelta(minutes=1)).status == signing.NOT_YET_VALID
    assert signing.verify_token(token, now=permit.ends_at + timedelta(seconds=1)).status == signing.EXPIRED
    assert signing.verify_token(tampered(token)).status == signing.INVALID
    assert signing.verify_token("not a token").status == signing.INVALID


def test_a_rotation_keeps_old_codes_valid_and_signs_new_ones_with_the_new_key(make_permit, settings, tmp_path):
    settings.PERMIT_SIGNING_KEY_FILE = str(tmp_path / "signing.pem")
    settings.PERMIT_PUBLIC_KEYS_FILE = str(tmp_path / "public.json")
    signing.write_private_key(tmp_path / "signing.pem", signing.Ed25519PrivateKey.generate())
    before = make_permit(State.APPROVED, starts_in=timedelta(minutes=-2))
    call_command("rotate_permit_key")
    after = make_permit(State.APPROVED, starts_in=timedelta(minutes=-2))
    assert before.signature.kid != after.signature.kid
    assert set(signing.accepted_public_keys()) == {before.signature.kid, after.signature.kid}
    assert signing.verify_token(before.signature.token).status == signing.VALID
    assert signing.verify_token(after.signature.token).status == signing.VALID
    # A compromised key: rotated with --resign, then removed from the accepted list.
    old_token = before.signature.token
    call_command("rotate_permit_key", "--resign")
    (tmp_path / "public.json").write_text(json.dumps({"keys": []}))
    assert signing.verify_token(old_token).status == signing.INVALID
    before.signature.refresh_from_db()
    assert signing.verify_token(before.signature.token).status == signing.VALID


def test_verify_permit_command(make_permit, senior_officer, capsys):
    permit = make_permit(State.APPROVED, starts_in=timedelta(minutes=-2))
    call_command("verify_permit", permit.signature.token)
    output = capsys.readouterr().out
    assert output.startswith("VALID")
    assert permit.reference in output
    with pytest.raises(CommandError, match="INVALID"):
        call_command("verify_permit", tampered(permit.signature.token))
    services.revoke_permit(permit_id=permit.pk, officer=senior_officer, reason="Airspace closed")
    with pytest.raises(CommandError, match="REVOKED"):
        call_command("verify_permit", permit.signature.token)
    call_command("verify_permit", permit.signature.token, "--offline")  # offline, the signature still holds


def test_a_volume_of_many_vertices_is_signed_simplified_and_still_covering(make_permit):
    ring = circle_polygon(44.3, 33.25, 2000, vertices=900)
    area = {"type": "Polygon", "coordinates": [[list(point) for point in ring.exterior.coords]]}
    permit = make_permit(State.APPROVED, area=area)
    token = permit.signature.token
    assert len(token) <= signing.QR_MAX_TOKEN_CHARS
    claims = signing.verify_token(token, now=permit.starts_at).claims
    assert claims["vol"]["simplified"] is True
    signed = shapely.Polygon(claims["vol"]["area"]["coordinates"][0])
    assert signed.covers(polygon_from_boundary(permit.boundary))
    signing.qr_code(token)  # fits one QR code


def test_the_approvals_token_is_stored_with_the_permit_in_effect(make_permit):
    permit = make_permit(State.ACTIVE)
    assert FlightPermit.objects.get(pk=permit.pk).signature.token.count(".") == 2
    assert datetime.now(UTC) - permit.signature.signed_at < timedelta(minutes=5)


def test_two_processes_making_the_first_key_at_once_agree_on_one(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from permits.signing import public_jwk, write_private_key

    path = tmp_path / "signing-key.pem"
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    write_private_key(path, first, replace=False)
    write_private_key(path, second, replace=False)  # the slower process keeps the first one's key

    from cryptography.hazmat.primitives import serialization

    kept = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert public_jwk(kept.public_key())["kid"] == public_jwk(first.public_key())["kid"]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
