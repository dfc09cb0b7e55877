"""The staff directory over the user pool: members of staff are its users, their roles its
groups; one whose access was ended (`access.revoke`) is inactive even while the pool has
not disabled them yet."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lanka_platform import access, aws
from lanka_platform.ports import StaffMember
from lanka_platform.problems import Problem
from lanka_platform.storage import Store


class UserPool:
    """`ports.StaffDirectory` on Cognito."""

    def __init__(self, store: Store) -> None:
        settings = store.settings
        self._store = store
        self._pool = settings.user_pool_id
        self._cognito = aws.client("cognito-idp", settings.region, settings.aws_endpoint_url)

    def by_username(self, username: str) -> StaffMember | None:
        try:
            user = self._cognito.admin_get_user(UserPoolId=self._pool, Username=username)
        except self._cognito.exceptions.UserNotFoundException:
            return None
        return self._member(username, user.get("UserAttributes", []), bool(user.get("Enabled", True)))

    def page(self, cursor: str | None, limit: int) -> tuple[list[StaffMember], str | None]:
        asked: dict[str, Any] = {"UserPoolId": self._pool, "Limit": limit}
        if cursor:
            asked["PaginationToken"] = cursor
        try:
            found = self._cognito.list_users(**asked)
        except ClientError as error:
            # Cognito says InvalidParameterException of a token not its own (its emulator: InvalidToken).
            if error.response.get("Error", {}).get("Code") not in (
                "InvalidParameterException",
                "InvalidToken",
            ):
                raise
            raise Problem.invalid(
                [{"field": "cursor", "message": "This cursor is not one of ours.", "in": "query"}]
            ) from error
        members = [
            self._member(user["Username"], user.get("Attributes", []), bool(user.get("Enabled", True)))
            for user in found.get("Users", [])
        ]
        return members, found.get("PaginationToken")

    def _member(self, username: str, attributes: list[dict[str, str]], enabled: bool) -> StaffMember:
        values = {attribute["Name"]: attribute["Value"] for attribute in attributes}
        groups = self._cognito.admin_list_groups_for_user(UserPoolId=self._pool, Username=username)
        user_id = values["sub"]
        return StaffMember(
            user_id=user_id,
            username=username,
            name=values.get("name"),
            email=values.get("email"),
            roles=frozenset(group["GroupName"] for group in groups.get("Groups", [])),
            active=enabled and not access.is_revoked(self._store, user_id),
        )
