"""Least privilege: each service's functions reach their own resources and nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from synthesized_stack import SynthesizedStack

from lanka_platform import resources

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

SERVICES = pytest.mark.parametrize("service", resources.SERVICES, ids=lambda service: service.name)
# AWS offers no resource-level permissions for these actions: "*" is the only valid resource.
WILDCARD_ONLY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _statements(stack: SynthesizedStack, service: resources.Service) -> list[dict[str, Any]]:
    return [statement for role in stack.role_ids(service) for statement in stack.policy_statements(role)]


def _actions(statement: dict[str, Any]) -> set[str]:
    actions = statement["Action"]
    return {actions} if isinstance(actions, str) else set(actions)


def _resources(statement: dict[str, Any]) -> list[Any]:
    granted = statement["Resource"]
    return granted if isinstance(granted, list) else [granted]


@SERVICES
def test_functions_of_a_service_share_one_role_of_their_own(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # when
    roles = stack.role_ids(service)
    others = {role for other in resources.SERVICES if other != service for role in stack.role_ids(other)}

    # then
    assert len(roles) == 1
    assert not roles & others


@SERVICES
def test_role_reaches_its_own_table_and_indexes(stack: SynthesizedStack, service: resources.Service) -> None:
    # given
    table_arn = {"Fn::GetAtt": [stack.table_id(service), "Arn"]}

    # when
    granted = [
        resource
        for statement in _statements(stack, service)
        if "dynamodb:Query" in _actions(statement)
        for resource in _resources(statement)
    ]

    # then
    assert granted == [table_arn, {"Fn::Join": ["", [table_arn, "/index/*"]]}]


@SERVICES
def test_role_never_names_another_services_table_or_queues(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # given: by reference (logical id) or spelled out (physical name)
    others = [other for other in resources.SERVICES if other != service]
    foreign = {
        f'"{logical_id}"'
        for other in others
        for logical_id in (
            stack.table_id(other),
            stack.queue_id(other.queue),
            stack.queue_id(other.dead_letter_queue),
        )
    }
    foreign |= {
        f"{separator}{name}"
        for other in others
        for name in (other.table.name, other.queue, other.dead_letter_queue)
        for separator in ("/", ":")
    }

    # when
    policy = json.dumps(_statements(stack, service))

    # then
    assert [reference for reference in foreign if reference in policy] == []


@SERVICES
def test_role_consumes_only_its_own_inbox(stack: SynthesizedStack, service: resources.Service) -> None:
    # when
    granted = [
        resource
        for statement in _statements(stack, service)
        if any(action.startswith("sqs:") for action in _actions(statement))
        for resource in _resources(statement)
    ]

    # then
    assert granted == [{"Fn::GetAtt": [stack.queue_id(service.queue), "Arn"]}]


@SERVICES
def test_role_publishes_only_to_the_lanka_bus(stack: SynthesizedStack, service: resources.Service) -> None:
    # when
    granted = [
        resource
        for statement in _statements(stack, service)
        if any(action.startswith("events:") for action in _actions(statement))
        for resource in _resources(statement)
    ]

    # then
    bus = stack.logical_id("AWS::Events::EventBus", Name=resources.EVENT_BUS)
    assert granted == [{"Fn::GetAtt": [bus, "Arn"]}]


@SERVICES
def test_role_reaches_only_the_buckets_the_service_declares(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # given
    bucket_ids = {
        logical_id
        for logical_id, definition in stack.resources("AWS::S3::Bucket").items()
        if definition["Properties"]["BucketName"]["Fn::Join"][1][0].removesuffix("-") in service.buckets
    }

    # when
    granted = {
        resource["Fn::Join"][1][0]["Fn::GetAtt"][0]
        for statement in _statements(stack, service)
        if any(action.startswith("s3:") for action in _actions(statement))
        for resource in _resources(statement)
    }

    # then
    assert granted == bucket_ids
    assert len(bucket_ids) == len(service.buckets)


@SERVICES
def test_only_the_clients_service_manages_staff_accounts(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # when
    granted = [
        resource
        for statement in _statements(stack, service)
        if any(action.startswith("cognito-idp:") for action in _actions(statement))
        for resource in _resources(statement)
    ]

    # then
    pool = stack.logical_id("AWS::Cognito::UserPool", UserPoolName=resources.USER_POOL)
    assert granted == ([{"Fn::GetAtt": [pool, "Arn"]}] if service.name == "clients" else [])


@SERVICES
def test_role_cannot_scan_tables(stack: SynthesizedStack, service: resources.Service) -> None:
    # The design allows GetItem, Query, BatchGet and TransactWrite on request paths: never Scan.
    actions = {action for statement in _statements(stack, service) for action in _actions(statement)}
    assert "dynamodb:Scan" not in actions
    assert not any(action.endswith("*") for action in actions)


@SERVICES
def test_wildcard_resources_only_where_aws_requires_them(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # when
    wildcard_actions = {
        action
        for statement in _statements(stack, service)
        if "*" in _resources(statement)
        for action in _actions(statement)
    }

    # then
    assert wildcard_actions <= WILDCARD_ONLY_ACTIONS


@SERVICES
def test_role_writes_only_its_own_functions_logs(stack: SynthesizedStack, service: resources.Service) -> None:
    # given
    own_log_groups = {
        logical_id
        for logical_id, definition in stack.resources("AWS::Logs::LogGroup").items()
        if definition["Properties"]["LogGroupName"].startswith(
            f"/aws/lambda/{resources.PREFIX}-{service.name}-"
        )
    }

    # when
    granted = {
        resource["Fn::GetAtt"][0]
        for statement in _statements(stack, service)
        if any(action.startswith("logs:") for action in _actions(statement))
        for resource in _resources(statement)
    }

    # then
    assert granted == own_log_groups
    assert len(granted) == len(stack.functions(service))
