"""The Chalice apps as deployed: event sources, API authorizer, environment, layer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from synthesized_stack import SynthesizedStack

from lanka_platform import resources
from lanka_platform.settings import Settings

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

SERVICES = pytest.mark.parametrize("service", resources.SERVICES, ids=lambda service: service.name)


def _sqs_events(stack: SynthesizedStack, service: resources.Service) -> list[dict[str, Any]]:
    return [
        event
        for function in stack.functions(service).values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "SQS"
    ]


def _pool_id(stack: SynthesizedStack) -> str:
    return stack.logical_id("AWS::Cognito::UserPool", UserPoolName=resources.USER_POOL)


@SERVICES
def test_one_function_polls_the_services_own_inbox(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # when
    queues = [event["Properties"]["Queue"] for event in _sqs_events(stack, service)]

    # then
    assert queues == [
        {"Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{service.queue}"}
    ]


@SERVICES
def test_inbox_event_source_reports_batch_item_failures(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # when
    events = _sqs_events(stack, service)

    # then
    assert [event["Properties"].get("FunctionResponseTypes") for event in events] == [
        ["ReportBatchItemFailures"]
    ]


@SERVICES
def test_staff_routes_accept_only_tokens_of_the_staff_pool(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # given
    api_ids = stack.rest_api_ids(service)

    # when
    authorizers = [
        scheme["x-amazon-apigateway-authorizer"]
        for api_id in api_ids
        for scheme in stack.template["Resources"][api_id]["Properties"]["DefinitionBody"][
            "securityDefinitions"
        ].values()
        if scheme.get("x-amazon-apigateway-authtype") == "cognito_user_pools"
    ]

    # then
    assert api_ids
    assert authorizers, f"{service.name} has no Cognito authorizer"
    for authorizer in authorizers:
        assert authorizer["providerARNs"] == [{"Fn::GetAtt": [_pool_id(stack), "Arn"]}]


@SERVICES
def test_api_is_regional(stack: SynthesizedStack, service: resources.Service) -> None:
    # when
    endpoint_types = {
        stack.template["Resources"][api_id]["Properties"]["EndpointConfiguration"]
        for api_id in stack.rest_api_ids(service)
    }

    # then
    assert endpoint_types == {"REGIONAL"}


@SERVICES
def test_functions_find_their_resources_in_the_environment(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # given
    expected = {
        "LANKA_SERVICE": service.name,
        "LANKA_TABLE_NAME": {"Ref": stack.table_id(service)},
        "LANKA_EVENT_BUS_NAME": {"Ref": stack.logical_id("AWS::Events::EventBus", Name=resources.EVENT_BUS)},
        "LANKA_USER_POOL_ID": {"Ref": _pool_id(stack)},
        "LANKA_USER_POOL_CLIENT_ID": {
            "Ref": stack.logical_id("AWS::Cognito::UserPoolClient", ClientName=resources.USER_POOL_CLIENT)
        },
        "POWERTOOLS_SERVICE_NAME": service.name,
        "POWERTOOLS_METRICS_NAMESPACE": "Lanka",
    }

    for function in stack.functions(service).values():
        # when
        variables = function["Properties"]["Environment"]["Variables"]

        # then
        assert {name: variables.get(name) for name in expected} == expected


@SERVICES
def test_functions_find_their_buckets_in_the_environment(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # given: Settings reads LANKA_<field>, e.g. documents_bucket from LANKA_DOCUMENTS_BUCKET
    expected = {f"{bucket.upper().replace('-', '_')}_BUCKET" for bucket in service.buckets}
    assert {name.removeprefix("LANKA_").lower() for name in expected} <= set(Settings.model_fields)

    for function in stack.functions(service).values():
        # when
        variables = function["Properties"]["Environment"]["Variables"]

        # then
        assert {name for name in variables if name.endswith("_BUCKET")} == expected


@pytest.mark.parametrize("variable", ["LANKA_CURSOR_SECRET", "LANKA_LINK_SECRET"])
def test_signing_secrets_are_resolved_at_deploy_time_not_written_in_the_template(
    stack: SynthesizedStack, variable: str
) -> None:
    for service in resources.SERVICES:
        for function in stack.functions(service).values():
            secret = json.dumps(function["Properties"]["Environment"]["Variables"][variable])
            assert "{{resolve:secretsmanager:" in secret


def test_every_function_uses_the_shared_dependencies_layer(stack: SynthesizedStack) -> None:
    # given (CDK's widget copy function brings its own AWS CLI layer, used by no service)
    (layer,) = [
        logical_id
        for logical_id, definition in stack.resources("AWS::Lambda::LayerVersion").items()
        if "every Lanka service" in definition["Properties"].get("Description", "")
    ]

    # then
    for function in stack.resources("AWS::Serverless::Function").values():
        assert function["Properties"]["Layers"] == [{"Ref": layer}]


def test_every_function_has_a_log_group_with_a_retention(stack: SynthesizedStack) -> None:
    # given
    log_groups = {
        definition["Properties"]["LogGroupName"]: definition["Properties"].get("RetentionInDays")
        for definition in stack.resources("AWS::Logs::LogGroup").values()
    }

    # then
    for function in stack.resources("AWS::Serverless::Function").values():
        assert log_groups[f"/aws/lambda/{function['Properties']['FunctionName']}"]


def test_every_function_is_traced(stack: SynthesizedStack) -> None:
    for function in stack.resources("AWS::Serverless::Function").values():
        assert function["Properties"]["Tracing"] == "Active"
