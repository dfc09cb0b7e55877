"""Event delivery: the bus, each service's rule, inbox queue, dead-letter queue and alarm."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from synthesized_stack import SynthesizedStack

from lanka_platform import resources

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

SERVICES = pytest.mark.parametrize("service", resources.SERVICES, ids=lambda service: service.name)
# EventBridge refuses a pattern with an empty list; a service that neither publishes nor
# consumes anything has no rule (see DeployedService._rule).
ROUTED = [service for service in resources.SERVICES if all(service.event_pattern().values())]
UNROUTED = [service for service in resources.SERVICES if service not in ROUTED]


def test_the_custom_event_bus_exists(stack: SynthesizedStack) -> None:
    stack.assertions.resource_properties_count_is("AWS::Events::EventBus", {"Name": resources.EVENT_BUS}, 1)


@SERVICES
def test_inbox_moves_a_message_to_its_dead_letter_queue_after_max_receives(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # given
    dead_letters = stack.queue_id(service.dead_letter_queue)

    # then
    stack.assertions.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": service.queue,
            "VisibilityTimeout": resources.VISIBILITY_TIMEOUT_SECONDS,
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dead_letters, "Arn"]},
                "maxReceiveCount": resources.MAX_RECEIVE_COUNT,
            },
        },
    )


@SERVICES
def test_dead_letter_queue_keeps_messages_for_the_declared_retention(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    stack.assertions.has_resource_properties(
        "AWS::SQS::Queue",
        {"QueueName": service.dead_letter_queue, "MessageRetentionPeriod": resources.DLQ_RETENTION_SECONDS},
    )


@SERVICES
def test_inbox_and_dead_letter_queue_are_encrypted(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    for name in (service.queue, service.dead_letter_queue):
        stack.assertions.has_resource_properties(
            "AWS::SQS::Queue", {"QueueName": name, "SqsManagedSseEnabled": True}
        )


@SERVICES
def test_alarm_fires_when_anything_reaches_the_dead_letter_queue(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    stack.assertions.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [
                {
                    "Name": "QueueName",
                    "Value": {"Fn::GetAtt": [stack.queue_id(service.dead_letter_queue), "QueueName"]},
                }
            ],
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": resources.DLQ_ALARM_THRESHOLD,
            "TreatMissingData": "notBreaching",
        },
    )


@pytest.mark.parametrize("service", ROUTED, ids=lambda service: service.name)
def test_rule_sends_the_services_events_to_its_inbox(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    stack.assertions.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": service.rule,
            "EventBusName": {"Ref": stack.logical_id("AWS::Events::EventBus", Name=resources.EVENT_BUS)},
            "EventPattern": service.event_pattern(),
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [stack.queue_id(service.queue), "Arn"]}})],
        },
    )


@pytest.mark.parametrize("service", UNROUTED, ids=lambda service: service.name)
def test_service_with_nothing_to_receive_has_no_rule(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    stack.assertions.resource_properties_count_is("AWS::Events::Rule", {"Name": service.rule}, 0)


@pytest.mark.parametrize("service", ROUTED, ids=lambda service: service.name)
def test_only_the_services_rule_may_send_to_its_inbox(
    stack: SynthesizedStack, service: resources.Service
) -> None:
    # given
    inbox = stack.queue_id(service.queue)
    rule = stack.logical_id("AWS::Events::Rule", Name=service.rule)

    # when
    policies = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in stack.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": inbox} in policy["Properties"]["Queues"]
    ]
    grants = [
        statement for statements in policies for statement in statements if statement["Effect"] == "Allow"
    ]

    feeds = [
        stack.logical_id("AWS::Events::Rule", Name=f.name)
        for f in resources.FEEDS
        if f.service == service.name
    ]

    # then: its own rule, and the rules that feed it AWS services' events (default bus)
    assert grants == [
        {
            "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}},
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Resource": {"Fn::GetAtt": [inbox, "Arn"]},
        },
        *(
            {
                "Action": "sqs:SendMessage",
                "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [feed, "Arn"]}}},
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Resource": {"Fn::GetAtt": [inbox, "Arn"]},
                "Sid": f"From{feed}",
            }
            for feed in feeds
        ),
    ]


@SERVICES
def test_inbox_refuses_unencrypted_connections(stack: SynthesizedStack, service: resources.Service) -> None:
    # given
    inbox = stack.queue_id(service.queue)

    # then
    stack.assertions.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": inbox}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
                        )
                    ]
                )
            },
        },
    )
