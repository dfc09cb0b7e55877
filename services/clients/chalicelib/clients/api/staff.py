"""Routes about members of staff: who they are (for the staff app's settings and reports),
the admin adds a user and changes roles, and a manager who leaves is deactivated and
handed over. Users and their roles live in the user pool (roles are its groups); every
change is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.clients.domain.accounts import MAX_PASSWORD, MIN_PASSWORD, strong_password
from chalicelib.clients.domain.clients import audit_entry
from chalicelib.clients.domain.visibility import SUPERVISOR_ROLES
from chalicelib.clients.service import service
from chalicelib.clients.store import AuditLog
from chalicelib.clients.store.staff import UserPool
from pydantic import ConfigDict, Field, field_validator

from lanka_platform import access, aws
from lanka_platform.api import Call
from lanka_platform.contracts.clients import StaffDeactivated
from lanka_platform.events import envelope
from lanka_platform.problems import Problem
from lanka_platform.resources import STAFF_GROUPS
from lanka_platform.schema import Schema

ADMIN = ("admin",)
USERNAME = r"^[a-z][a-z0-9._-]{2,39}$"


class Deactivation(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    hand_over_to: str | None = Field(
        max_length=128, description="Username of whoever takes over; null leaves the clients unassigned"
    )


def _roles(value: list[str]) -> list[str]:
    unknown = [role for role in value if role not in STAFF_GROUPS]
    if unknown:
        raise ValueError(f"Unknown role {unknown[0]!r}; choose from: {', '.join(STAFF_GROUPS)}.")
    return sorted(set(value))


class RoleChange(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    roles: list[str] = Field(
        min_length=1, max_length=len(STAFF_GROUPS), description=f"Any of: {', '.join(STAFF_GROUPS)}"
    )

    @field_validator("roles")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        return _roles(value)


class NewStaffUser(RoleChange):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    username: str = Field(
        pattern=USERNAME, description="What they sign in with: 3-40 lowercase latin letters"
    )
    name: str = Field(min_length=1, max_length=120)
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str = Field(
        min_length=MIN_PASSWORD,
        max_length=MAX_PASSWORD,
        description="The first password, which the admin hands over",
    )

    @field_validator("password")
    @classmethod
    def _strong(cls, value: str) -> str:
        return strong_password(value)


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
    members, cursor = UserPool(call.store).page(query.cursor, query.limit)
    items = [
        StaffUser(
            user_id=member.user_id,
            username=member.username,
            name=member.name,
            email=member.email,
            roles=sorted(member.roles),
            active=member.active,
        )
        for member in members
    ]
    return StaffPage(items=items, next_cursor=cursor)


@service.route(
    "/staff", "POST", body=NewStaffUser, response=StaffUser, status=201, roles=ADMIN, problems=[409]
)
def add_staff(call: Call, body: NewStaffUser) -> StaffUser:
    """Give a new member of staff access: a user with the roles and the first password the
    admin hands over, which the user must change at the first sign-in (the user pool keeps
    the account in FORCE_CHANGE_PASSWORD until he does). A failure half way (the user
    made, a role not given) takes the user back out: the admin can simply try again."""
    settings = service.settings
    cognito = aws.client("cognito-idp", settings.region, settings.aws_endpoint_url)
    try:
        created = cognito.admin_create_user(
            UserPoolId=settings.user_pool_id,
            Username=body.username,
            UserAttributes=[
                {"Name": "name", "Value": body.name},
                {"Name": "email", "Value": body.email},
                {"Name": "email_verified", "Value": "true"},
            ],
            TemporaryPassword=body.password,
            MessageAction="SUPPRESS",
        )
    except cognito.exceptions.UsernameExistsException as error:
        raise Problem.conflict("Someone already signs in with this username.") from error
    try:
        for role in body.roles:
            cognito.admin_add_user_to_group(
                UserPoolId=settings.user_pool_id, Username=body.username, GroupName=role
            )
    except Exception:
        cognito.admin_delete_user(UserPoolId=settings.user_pool_id, Username=body.username)
        raise
    attributes = {a["Name"]: a["Value"] for a in created["User"].get("Attributes", [])}
    now = call.store.clock()
    AuditLog(call.store).add(
        call.unit, audit_entry("staff_created", call.user, now, None, detail=attributes["sub"])
    )
    return StaffUser(
        user_id=attributes["sub"],
        username=body.username,
        name=body.name,
        email=body.email,
        roles=body.roles,
        active=True,
    )


@service.route("/staff/{username}/roles", "PUT", body=RoleChange, response=StaffUser, roles=ADMIN)
def change_roles(call: Call, username: str, body: RoleChange) -> StaffUser:
    """Set a member of staff's roles (they apply from the next sign-in). An admin cannot
    take the admin role from himself: someone must be left to manage the company."""
    user = _user(username)
    if user["sub"] == call.user.user_id and "admin" not in body.roles:
        raise Problem.invalid(
            [{"field": "roles", "message": "You cannot take the admin role from yourself.", "in": "body"}]
        )
    settings = service.settings
    cognito = aws.client("cognito-idp", settings.region, settings.aws_endpoint_url)
    had = {
        group["GroupName"]
        for group in cognito.admin_list_groups_for_user(UserPoolId=settings.user_pool_id, Username=username)[
            "Groups"
        ]
    }
    for role in set(body.roles) - had:
        cognito.admin_add_user_to_group(UserPoolId=settings.user_pool_id, Username=username, GroupName=role)
    for role in had - set(body.roles):
        cognito.admin_remove_user_from_group(
            UserPoolId=settings.user_pool_id, Username=username, GroupName=role
        )
    now = call.store.clock()
    AuditLog(call.store).add(
        call.unit,
        audit_entry(
            "staff_roles_changed", call.user, now, None, detail=f"{user['sub']}:{','.join(body.roles)}"
        ),
    )
    return StaffUser(
        user_id=user["sub"],
        username=username,
        name=user["attributes"].get("name"),
        email=user["attributes"].get("email"),
        roles=body.roles,
        active=user["enabled"] and not access.is_revoked(call.store, user["sub"]),
    )


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
    return {"sub": attributes["sub"], "enabled": bool(user.get("Enabled", True)), "attributes": attributes}
