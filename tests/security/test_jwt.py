"""Token format and rejection rules (simplejwt 5.4.0 layout)."""

from __future__ import annotations

from pathlib import Path

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from citygraph.config import Settings
from citygraph.domain.messages import render
from citygraph.security import jwt
from tests.support.tokens import simplejwt_token

SECRET = "test-secret-key-for-citygraph-tests-0123456789"


def hs256() -> Settings:
    return Settings(CITYGRAPH_SECRET_KEY=SECRET)


def test_simplejwt_tokens_decode() -> None:
    token = simplejwt_token(7, token_type="access")
    assert pyjwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(hs256(), token, "access")
    assert claims.user_id == 7
    assert claims.token_type == "access"


def test_our_tokens_have_the_simplejwt_layout() -> None:
    token = jwt.encode(hs256(), "refresh", 3)
    assert pyjwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    payload = pyjwt.decode(token, SECRET, algorithms=["HS256"])
    assert list(payload) == ["token_type", "exp", "iat", "jti", "user_id"]
    assert payload["exp"] - payload["iat"] == 86400
    assert len(payload["jti"]) == 32


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: simplejwt_token(1, token_type="refresh"), jwt.WRONG_TYPE),
        (lambda: simplejwt_token(1, token_type="access", ttl=-5), jwt.INVALID),
        (
            lambda: simplejwt_token(1, token_type="access", key="another-key" * 4),
            jwt.INVALID,
        ),
        (
            lambda: pyjwt.encode(
                {"token_type": "access", "exp": 2**40, "jti": "x", "user_id": 1},
                None,  # type: ignore[arg-type]
                algorithm="none",
            ),
            jwt.INVALID,
        ),
        (lambda: "garbage", jwt.INVALID),
        (
            lambda: pyjwt.encode(
                {"token_type": "access", "exp": 2**40, "jti": "x"}, SECRET, algorithm="HS256"
            ),
            jwt.INVALID,
        ),
    ],
)
def test_rejections(token: object, reason: str) -> None:
    with pytest.raises(jwt.BadToken) as caught:
        jwt.decode(hs256(), token(), "access")  # type: ignore[operator]
    assert caught.value.reason == reason


def test_rejection_reasons_are_simplejwts_messages() -> None:
    assert render(jwt.INVALID) == "Token is invalid or expired"
    assert render(jwt.WRONG_TYPE) == "Token has wrong type"


def test_es256_with_key_files(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    private = tmp_path / "jwt.pem"
    public = tmp_path / "jwt.pub"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings = Settings(
        CITYGRAPH_JWT_ALGORITHM="ES256",
        CITYGRAPH_JWT_PRIVATE_KEY_FILE=private,
        CITYGRAPH_JWT_PUBLIC_KEY_FILE=public,
    )
    token = jwt.encode(settings, "access", 5)
    assert jwt.decode(settings, token, "access").user_id == 5
    # An HS256 token signed with the secret is refused when ES256 is configured.
    with pytest.raises(jwt.BadToken):
        jwt.decode(settings, simplejwt_token(5, token_type="access"), "access")


def test_untyped_decode_accepts_both_types() -> None:
    for token_type in ("access", "refresh"):
        assert (
            jwt.decode_untyped(hs256(), simplejwt_token(1, token_type=token_type))["user_id"] == 1
        )
    with pytest.raises(jwt.BadToken):
        jwt.decode_untyped(hs256(), simplejwt_token(1, token_type="access", ttl=-1))
