"""Routes about members of staff: who they are (for the staff app's settings and reports),
and a manager who leaves is deactivated and handed over."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from chalicelib.clients.domain.clients import audit_entry
from chalicelib.clients.domain.visibility import SUPERVISOR_ROLES
from chalicelib.clients.service import service
from chalicelib.clients.store import AuditLog
from pydantic import ConfigDict, Field

from lanka_platform import access, aws
from lanka_platform.api import Call
from lanka_platform.contracts.clients import StaffDeactivated
from lanka_platform.events import envelope
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema


class Deactivation(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    hand_over_to: str | None = Field(
        max_length=128, description="Username of whoever takes over; null leaves the clients unassigned"
    )


class StaffQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    limit: int = Field(default=25, ge=1, le=60)
    cursor: str | None = Field(default=None, max_length=2048, description="`next_cursor` of the page before")


class StaffUser(Schema):
    user_id: str
    username: str
    name: str | None = None
    email: str | None = None
    roles: list[str]
    active: bool = Field(description="False once deactivated (or disabled in the user pool)")


class StaffPage(Schema):
    items: list[StaffUser]
    next_cursor: str | None = None


class Deactivated(Schema):
    user_id: str
    username: str
    hand_over_to: str | None
    deactivated_at: datetime


@service.route("/staff", query=StaffQuery, response=StaffPage, roles=SUPERVISOR_ROLES)
def list_staff(call: Call, query: StaffQuery) -> StaffPage:
    """A page of the members of staff from the user pool, with their roles and whether they
    still have access (the head and an admin: to hand work over and to read the reports)."""
    settings = service.settings
    cognito = aws.client("cognito-idp", settings.region, settings.aws_endpoint_url)
    asked: dict[str, Any] = {"UserPoolId": settings.user_pool_id, "Limit": query.limit}
    if query.cursor:
        asked["PaginationToken"] = query.cursor
    try:
        found = cognito.list_users(**asked)
    except ClientError as error:
        # Cognito says InvalidParameterException of a token not its own (its emulator: InvalidToken).
        if error.response.get("Error", {}).get("Code") not in ("InvalidParameterException", "InvalidToken"):
            raise
        raise Problem.invalid(
            [{"field": "cursor", "message": "This cursor is not one of ours.", "in": "query"}]
        ) from error
    items = []
    for user in found.get("Users", []):
        attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
        groups = cognito.admin_list_groups_for_user(
            UserPoolId=settings.user_pool_id, Username=user["Username"]
        )
        items.append(
            StaffUser(
                user_id=attributes["sub"],
                username=user["Username"],
                name=attributes.get("name"),
                email=attributes.get("email"),
                roles=sorted(group["GroupName"] for group in groups.get("Groups", [])),
                active=bool(user.get("Enabled", True))
                and not access.is_revoked(call.store, attributes["sub"]),
            )
        )
    return StaffPage(items=items, next_cursor=found.get("PaginationToken"))


@service.route(
    "/staff/{username}/deactivate", "POST", body=Deactivation, response=Deactivated, roles=SUPERVISOR_ROLES
)
def deactivate(call: Call, username: str, body: Deactivation) -> Deactivated:
    """End a member of staff's access at once (their tokens included) and hand their
    clients, deals, open tasks and future bookings to someone else."""
    leaving = _user(username)
    if leaving["sub"] == call.user.user_id:
        raise Problem.forbidden("You cannot deactivate yourself.")
    heir = _user(body.hand_over_to) if body.hand_over_to else None
    if heir is not None and (not heir["enabled"] or heir["sub"] == leaving["sub"]):
        raise Problem.invalid(
            [
                {
                    "field": "hand_over_to",
                    "message": "Hand over to another active member of staff.",
                    "in": "body",
                }
            ]
        )
    now = call.store.clock()
    heir_id = heir["sub"] if heir else None
    access.revoke(call.store, call.unit, leaving["sub"], now, heir_id)
    AuditLog(call.store).add(
        call.unit, audit_entry("staff_deactivated", call.user, now, None, detail=leaving["sub"])
    )
    call.unit.emit(
        envelope(
            StaffDeactivated(
                user_id=leaving["sub"], username=username, hand_over_to=heir_id, deactivated_at=now
            ),
            occurred_at=now,
        )
    )
    return Deactivated(user_id=leaving["sub"], username=username, hand_over_to=heir_id, deactivated_at=now)


def _user(username: str) -> dict[str, Any]:
    settings = service.settings
    cognito = aws.client("cognito-idp", settings.region, settings.aws_endpoint_url)
    try:
        user = cognito.admin_get_user(UserPoolId=settings.user_pool_id, Username=username)
    except cognito.exceptions.UserNotFoundException as error:
        raise Problem.not_found("The member of staff") from error
    attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
    return {"sub": attributes["sub"], "enabled": bool(user.get("Enabled", True))}
