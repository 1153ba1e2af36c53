"""JWTs minted independently of citygraph, as djangorestframework-simplejwt 5.4.0 mints them."""

from __future__ import annotations

import time
import uuid

import jwt as pyjwt

from tests.conftest import TEST_SECRET


def simplejwt_token(
    user_id: object,
    *,
    token_type: str = "access",  # noqa: S107 - a claim value, not a password
    ttl: int = 300,
    key: str = TEST_SECRET,
    algorithm: str = "HS256",
) -> str:
    """simplejwt's layout: a ``{"alg", "typ": "JWT"}`` header and five claims in its order."""
    now = int(time.time())
    payload = {
        "token_type": token_type,
        "exp": now + ttl,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": user_id,
    }
    return pyjwt.encode(payload, key, algorithm=algorithm, headers={"typ": "JWT"})
