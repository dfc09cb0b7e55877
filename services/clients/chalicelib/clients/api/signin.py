"""Staff sign-in: the staff app trades a username and password for the user pool's tokens.

Public routes of the clients service (the owner of staff accounts), so the app signs in the
same way on the local stack and behind API Gateway in AWS, whose authorizer then checks the
ID token on every other request. A new member of staff first replaces the password the
admin gave (`/auth/change-password`, which also serves later changes). Guessing is limited
twice: per address (`PER_ADDRESS` a minute) and per username (`PER_USERNAME`, whatever the
address), and a wrong password and an unknown user answer alike.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from chalicelib.clients.domain.accounts import MAX_PASSWORD, MIN_PASSWORD, strong_password
from chalicelib.clients.service import service
from pydantic import ConfigDict, Field, field_validator, model_validator

from lanka_platform import aws, throttle
from lanka_platform.api import Call
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

PER_ADDRESS = 10
PER_USERNAME = 5
FIRST_SIGN_IN = "NEW_PASSWORD_REQUIRED"  # the challenge of a user with the admin's password
_REFUSED = ("NotAuthorizedException", "UserNotFoundException", "PasswordResetRequiredException")


class SignIn(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=256)


class PasswordChange(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    username: str = Field(min_length=1, max_length=128)
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(
        min_length=MIN_PASSWORD,
        max_length=MAX_PASSWORD,
        description="12+ characters, upper- and lowercase, a digit",
    )

    @field_validator("new_password")
    @classmethod
    def _strong(cls, value: str) -> str:
        return strong_password(value)

    @model_validator(mode="after")
    def _new(self) -> PasswordChange:
        if self.new_password == self.old_password:
            raise Problem.invalid(
                [
                    {
                        "field": "new_password",
                        "message": "Choose a password other than the old one.",
                        "in": "body",
                    }
                ]
            )
        return self


class Tokens(Schema):
    id_token: str = Field(description="Send as `Authorization: Bearer <id_token>`")
    access_token: str
    refresh_token: str | None = None
    expires_in: int = Field(description="Seconds the tokens stay valid")
    token_type: str = "Bearer"  # noqa: S105 - the scheme's name, not a secret


@service.route("/auth/login", "POST", body=SignIn, response=Tokens, public=True, problems=[401, 403, 429])
def sign_in(call: Call, body: SignIn) -> Tokens:
    """Sign a member of staff in: the tokens of the user pool (USER_PASSWORD_AUTH); 401 for
    a wrong username or password; 403 `password-change-required` while the user still has
    the first password the admin gave."""
    username = _limited(call, body.username)
    answer = _initiate(username, body.password)
    if answer.get("ChallengeName") == FIRST_SIGN_IN:
        raise Problem(
            403,
            "Password change required",
            "Choose your own password before the first sign-in.",
            kind="password-change-required",
        )
    return _tokens(answer["AuthenticationResult"])


@service.route(
    "/auth/change-password", "POST", body=PasswordChange, response=Tokens, public=True, problems=[401, 429]
)
def change_password(call: Call, body: PasswordChange) -> Tokens:
    """Set one's own password in place of the old one and sign in with it: the first
    sign-in's change, or any later one."""
    username = _limited(call, body.username)
    settings = service.settings
    answer = _initiate(username, body.old_password)
    cognito = _cognito()
    if answer.get("ChallengeName") == FIRST_SIGN_IN:
        answer = cognito.respond_to_auth_challenge(
            ClientId=settings.user_pool_client_id,
            ChallengeName=FIRST_SIGN_IN,
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": body.new_password},
        )
        return _tokens(answer["AuthenticationResult"])
    cognito.change_password(
        PreviousPassword=body.old_password,
        ProposedPassword=body.new_password,
        AccessToken=answer["AuthenticationResult"]["AccessToken"],
    )
    return _tokens(_initiate(username, body.new_password)["AuthenticationResult"])


def _limited(call: Call, username: str) -> str:
    """The username as the pool keeps it, once the caller is within both limits."""
    throttle.limit(call.store, call.request, "sign-in", PER_ADDRESS)
    username = username.strip().lower()
    if not throttle.count(call.store, "sign-in-user", username, PER_USERNAME, call.store.clock()):
        raise Problem(429, "Too many requests", "Too many sign-in attempts for this user; wait a minute.")
    return username


def _cognito() -> Any:
    settings = service.settings
    return aws.client("cognito-idp", settings.region, settings.aws_endpoint_url)


def _initiate(username: str, password: str) -> dict[str, Any]:
    try:
        answer: dict[str, Any] = _cognito().initiate_auth(
            ClientId=service.settings.user_pool_client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] in _REFUSED:
            raise Problem.unauthorized("Wrong username or password.") from error
        raise
    return answer


def _tokens(result: dict[str, Any]) -> Tokens:
    return Tokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken"),
        expires_in=result["ExpiresIn"],
    )
