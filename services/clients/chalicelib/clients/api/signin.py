"""Staff sign-in: the staff app trades a username and password for the user pool's tokens.

Public routes of the clients service (the owner of staff accounts), so the app signs in the
same way on the local stack and behind API Gateway in AWS, whose authorizer then checks the
ID token on every other request. A new member of staff first replaces the password the
admin gave (`/auth/change-password`, which also serves later changes).

Guessing is limited by failures: after `FAILURES_PER_USERNAME` wrong passwords for one
username in a minute (from anywhere), or `FAILURES_PER_ADDRESS` from one address, further
attempts get 429 until the minute is out, even with the right password; a wrong password
and an unknown user answer alike. Successful sign-ins are not limited (an office behind one
address signs everyone in each morning).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from chalicelib.clients.domain.accounts import password_problems
from chalicelib.clients.service import service
from pydantic import ConfigDict, Field, model_validator

from lanka_platform import aws, throttle
from lanka_platform.api import Call
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

FAILURES_PER_ADDRESS = 20
FAILURES_PER_USERNAME = 5
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
        min_length=1, max_length=256, description="12+ characters, upper- and lowercase, a digit"
    )

    @model_validator(mode="after")
    def _acceptable(self) -> PasswordChange:
        """Every rule the new password breaks, each beside the field (422)."""
        problems = password_problems(self.new_password)
        if self.new_password == self.old_password:
            problems.append("Choose a password other than the old one.")
        if problems:
            raise Problem.invalid([{"field": "new_password", "message": m, "in": "body"} for m in problems])
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
    username = body.username.strip().lower()
    answer = _guarded(call, username, lambda: _initiate(username, body.password))
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
    username = body.username.strip().lower()
    settings = service.settings
    answer = _guarded(call, username, lambda: _initiate(username, body.old_password))
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


def _guarded(call: Call, username: str, attempt: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`attempt` (the user pool's answer to a password) unless too many failed already this
    minute for this username or from this address; a failure (401) is counted for both."""
    store, now = call.store, call.store.clock()
    address = throttle.caller_of(call.request)
    if throttle.spent(store, "sign-in-failed-user", username, FAILURES_PER_USERNAME, now) or throttle.spent(
        store, "sign-in-failed", address, FAILURES_PER_ADDRESS, now
    ):
        raise throttle.refusal(now, "Too many failed sign-ins")
    try:
        return attempt()
    except Problem as problem:
        if problem.status == 401:
            throttle.count(store, "sign-in-failed-user", username, FAILURES_PER_USERNAME, now)
            throttle.count(store, "sign-in-failed", address, FAILURES_PER_ADDRESS, now)
        raise


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
