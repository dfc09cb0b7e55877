"""ID tokens are checked as API Gateway's Cognito authorizer checks them."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lanka_platform.auth import TokenVerifier
from lanka_platform.problems import Problem

ISSUER = "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_pool"
AUDIENCE = "app-client"


@pytest.fixture(scope="module")
def pool_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def verifier(pool_key):
    public = jwt.algorithms.RSAAlgorithm.to_jwk(pool_key.public_key(), as_dict=True)
    jwks = {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}
    return TokenVerifier(ISSUER, AUDIENCE, fetch=lambda url: jwks)


def token(key, kid="k1", **overrides):
    now = int(time.time())
    claims = {
        "sub": "user-1",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        "cognito:groups": ["manager"],
        **overrides,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_valid_id_token_gives_its_claims(verifier, pool_key):
    assert verifier.verify(token(pool_key))["sub"] == "user-1"


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": int(time.time()) - 10},
        {"aud": "another-app"},
        {"iss": "https://cognito-idp.eu-central-1.amazonaws.com/another-pool"},
        {"token_use": "access"},
    ],
    ids=["expired", "wrong-audience", "wrong-issuer", "access-token"],
)
def test_token_that_is_not_a_current_id_token_of_this_pool_is_refused(verifier, pool_key, overrides):
    with pytest.raises(Problem) as refused:
        verifier.verify(token(pool_key, **overrides))
    assert refused.value.status == 401


def test_token_signed_by_another_key_is_refused(verifier):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Problem):
        verifier.verify(token(stranger))


def test_token_with_unknown_key_id_is_refused(verifier, pool_key):
    with pytest.raises(Problem):
        verifier.verify(token(pool_key, kid="k2"))


def test_garbage_is_refused(verifier):
    with pytest.raises(Problem):
        verifier.verify("not-a-token")
