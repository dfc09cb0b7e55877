"""Who is calling: a Principal built from the claims the Cognito authorizer verified.

In AWS, API Gateway's Cognito authorizer verifies the ID token and hands its claims to the
Lambda in `requestContext.authorizer.claims`. The local stack's gateway does the same with
`TokenVerifier` (signature against the user pool's JWKS, issuer, audience, expiry, token
use), so the services read claims in one way everywhere and never see an unverified token.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lanka_platform.problems import Problem

if TYPE_CHECKING:
    pass

ADMIN = "admin"
HEAD = "head"
MANAGER = "manager"
FIELD_ROLES = frozenset({"measurer", "designer", "production", "installer"})
ALL_ROLES = frozenset({ADMIN, HEAD, MANAGER}) | FIELD_ROLES
# Roles that see every client and deal and can reassign them.
SUPERVISORS = frozenset({ADMIN, HEAD})
# The office: who works with clients and deals at a desk (the field roles do not).
OFFICE = frozenset({ADMIN, HEAD, MANAGER})


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    email: str | None = None
    name: str | None = None

    def has_any(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def is_supervisor(self) -> bool:
        return self.has_any(SUPERVISORS)

    def require(self, *roles: str) -> None:
        """403 unless the caller holds one of `roles`."""
        if not self.has_any(roles):
            raise Problem.forbidden(f"This needs one of the roles: {', '.join(sorted(roles))}.")

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Principal:
        subject = claims.get("sub")
        if not subject:
            raise Problem.unauthorized("The token carries no subject.")
        return cls(
            user_id=str(subject),
            username=str(claims.get("cognito:username") or claims.get("username") or subject),
            roles=frozenset(parse_groups(claims.get("cognito:groups"))) & ALL_ROLES,
            email=claims.get("email"),
            name=claims.get("name"),
        )


def parse_groups(raw: Any) -> list[str]:
    """Cognito groups as API Gateway passes them: a list, "a,b" or "[a b]"."""
    if raw is None:
        return []
    if isinstance(raw, list):
        return [str(item) for item in raw]
    text = str(raw).strip().strip("[]")
    return [part for part in text.replace(",", " ").split() if part]


def principal_from_request_context(context: Mapping[str, Any] | None) -> Principal:
    claims = ((context or {}).get("authorizer") or {}).get("claims")
    if not claims:
        raise Problem.unauthorized()
    return Principal.from_claims(claims)


JwksFetcher = Callable[[str], dict[str, Any]]


def fetch_jwks_over_http(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - url from settings
        document: dict[str, Any] = json.load(response)
    return document


class TokenVerifier:
    """Verifies Cognito ID tokens as API Gateway's Cognito authorizer does."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        fetch: JwksFetcher = fetch_jwks_over_http,
        refresh_seconds: float = 3600.0,
        leeway_seconds: float = 0.0,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url or f"{issuer}/.well-known/jwks.json"
        self._fetch = fetch
        self._refresh_seconds = refresh_seconds
        self._leeway = leeway_seconds
        self._keys: dict[str, Any] = {}
        self._loaded_at = 0.0

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or 401 when it is not a valid ID token of this pool."""
        import jwt

        try:
            header = jwt.get_unverified_header(token)
            key = self._key(str(header.get("kid", "")))
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise Problem.unauthorized("The token is not valid.") from error
        if claims.get("token_use") != "id":
            raise Problem.unauthorized("An ID token is required.")
        return claims

    def _key(self, kid: str) -> Any:
        stale = time.monotonic() - self._loaded_at > self._refresh_seconds
        if stale or kid not in self._keys:
            self._load()
        if kid not in self._keys:
            import jwt

            raise jwt.InvalidKeyError("unknown signing key")
        return self._keys[kid]

    def _load(self) -> None:
        import jwt

        document = self._fetch(self.jwks_url)
        self._keys = {
            jwk["kid"]: jwt.PyJWK.from_dict(jwk).key for jwk in document.get("keys", []) if "kid" in jwk
        }
        self._loaded_at = time.monotonic()


def cognito_issuer(region: str, user_pool_id: str) -> str:
    """The `iss` of the pool's tokens (the emulator issues the same one as AWS)."""
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
