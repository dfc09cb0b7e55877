"""Staff sign-in: the staff app trades a username and password for the user pool's tokens.

A public route of the clients service (the owner of staff accounts), so the app signs in
the same way on the local stack and behind API Gateway in AWS: the gateway's authorizer
then checks the ID token on every other request. Guessing is limited twice: per address
(`PER_ADDRESS` a minute) and per username (`PER_USERNAME`, whatever the address), and a
wrong password and an unknown user answer alike.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from chalicelib.clients.service import service
from pydantic import ConfigDict, Field

from lanka_platform import aws, throttle
from lanka_platform.api import Call
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

PER_ADDRESS = 10
PER_USERNAME = 5
_REFUSED = ("NotAuthorizedException", "UserNotFoundException", "PasswordResetRequiredException")


class SignIn(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class Tokens(Schema):
    id_token: str = Field(description="Send as `Authorization: Bearer <id_token>`")
    access_token: str
    refresh_token: str | None = None
    expires_in: int = Field(description="Seconds the tokens stay valid")
    token_type: str = "Bearer"  # noqa: S105 - the scheme's name, not a secret


@service.route("/auth/login", "POST", body=SignIn, response=Tokens, public=True, problems=[401, 429])
def sign_in(call: Call, body: SignIn) -> Tokens:
    """Sign a member of staff in: the tokens of the user pool (USER_PASSWORD_AUTH), or 401."""
    throttle.limit(call.store, call.request, "sign-in", PER_ADDRESS)
    username = body.username.strip().lower()
    if not throttle.count(call.store, "sign-in-user", username, PER_USERNAME, call.store.clock()):
        raise Problem(429, "Too many requests", "Too many sign-in attempts for this user; wait a minute.")
    settings = service.settings
    cognito = aws.client("cognito-idp", settings.region, settings.aws_endpoint_url)
    try:
        answer: dict[str, Any] = cognito.initiate_auth(
            ClientId=settings.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": body.password},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] in _REFUSED:
            raise Problem.unauthorized("Wrong username or password.") from error
        raise
    result = answer["AuthenticationResult"]
    return Tokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken"),
        expires_in=result["ExpiresIn"],
    )
