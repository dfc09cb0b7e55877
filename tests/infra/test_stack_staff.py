"""The staff user pool: who can sign in, how, and the groups roles come from."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from synthesized_stack import SynthesizedStack

from lanka_platform import resources

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def test_only_an_admin_can_create_staff_accounts(stack: SynthesizedStack) -> None:
    stack.assertions.has_resource_properties(
        "AWS::Cognito::UserPool",
        {"UserPoolName": resources.USER_POOL, "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}},
    )


def test_staff_sign_in_with_username_or_email(stack: SynthesizedStack) -> None:
    stack.assertions.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UserPoolName": resources.USER_POOL,
            "AliasAttributes": ["email"],
            "UsernameAttributes": Match.absent(),
        },
    )


def test_passwords_must_be_long_and_mixed(stack: SynthesizedStack) -> None:
    stack.assertions.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UserPoolName": resources.USER_POOL,
            "Policies": {
                "PasswordPolicy": {
                    "MinimumLength": Match.any_value(),
                    "RequireLowercase": True,
                    "RequireUppercase": True,
                    "RequireNumbers": True,
                    "RequireSymbols": True,
                }
            },
        },
    )
    pool = stack.resources("AWS::Cognito::UserPool")[
        stack.logical_id("AWS::Cognito::UserPool", UserPoolName=resources.USER_POOL)
    ]
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12


def test_user_pool_outlives_the_stack(stack: SynthesizedStack) -> None:
    # given
    pool = stack.resources("AWS::Cognito::UserPool")[
        stack.logical_id("AWS::Cognito::UserPool", UserPoolName=resources.USER_POOL)
    ]

    # then
    assert pool["DeletionPolicy"] == "Retain"
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


def test_app_client_signs_in_with_password_or_srp_and_has_no_secret(stack: SynthesizedStack) -> None:
    stack.assertions.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "ClientName": resources.USER_POOL_CLIENT,
            "UserPoolId": {
                "Ref": stack.logical_id("AWS::Cognito::UserPool", UserPoolName=resources.USER_POOL)
            },
            "ExplicitAuthFlows": Match.array_equals(
                ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
            ),
            "GenerateSecret": False,
        },
    )


@pytest.mark.parametrize("group", resources.STAFF_GROUPS)
def test_each_staff_group_exists_in_the_pool(stack: SynthesizedStack, group: str) -> None:
    stack.assertions.has_resource_properties(
        "AWS::Cognito::UserPoolGroup",
        {
            "GroupName": group,
            "UserPoolId": {
                "Ref": stack.logical_id("AWS::Cognito::UserPool", UserPoolName=resources.USER_POOL)
            },
        },
    )


def test_pool_has_no_group_resources_py_does_not_declare(stack: SynthesizedStack) -> None:
    stack.assertions.resource_count_is("AWS::Cognito::UserPoolGroup", len(resources.STAFF_GROUPS))
