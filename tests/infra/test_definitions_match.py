"""Local and cloud definitions never drift apart.

The local stack provisions straight from `lanka_platform.resources`; the cloud gets whatever
the CDK app synthesizes. Each test rebuilds one kind of definition from the synthesized
template and compares it, as a whole set, with what resources.py declares: a resource that is
missing, extra or different on either side fails.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from synthesized_stack import SynthesizedStack

from lanka_platform import resources

pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

MAX_RECEIVES = resources.MAX_RECEIVE_COUNT
TableDefinition = tuple[str, tuple[str, str], frozenset[tuple[str, str, str]], str]


def _keys(key_schema: list[dict[str, str]]) -> tuple[str, str]:
    by_type = {key["KeyType"]: key["AttributeName"] for key in key_schema}
    return by_type["HASH"], by_type["RANGE"]


def _pattern(pattern: dict[str, Any]) -> str:
    return json.dumps(pattern, sort_keys=True)


def test_tables_match(stack: SynthesizedStack) -> None:
    # given
    declared: set[TableDefinition] = {
        (
            service.table.name,
            (service.table.partition_key, service.table.sort_key),
            frozenset((index.name, index.partition_key, index.sort_key) for index in service.table.indexes),
            service.table.ttl_attribute,
        )
        for service in resources.SERVICES
    }

    # when
    synthesized: set[TableDefinition] = {
        (
            table["TableName"],
            _keys(table["KeySchema"]),
            frozenset(
                (index["IndexName"], *_keys(index["KeySchema"]))
                for index in table.get("GlobalSecondaryIndexes", [])
            ),
            table["TimeToLiveSpecification"]["AttributeName"],
        )
        for table in stack.properties("AWS::DynamoDB::Table")
    }

    # then
    assert synthesized == declared


def test_queues_match(stack: SynthesizedStack) -> None:
    # given
    declared = {
        (service.queue, service.dead_letter_queue, MAX_RECEIVES, resources.VISIBILITY_TIMEOUT_SECONDS)
        for service in resources.SERVICES
    }
    queues = {
        logical_id: queue["Properties"] for logical_id, queue in stack.resources("AWS::SQS::Queue").items()
    }

    # when
    synthesized = {
        (
            queue["QueueName"],
            queues[queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]]["QueueName"],
            queue["RedrivePolicy"]["maxReceiveCount"],
            queue["VisibilityTimeout"],
        )
        for queue in queues.values()
        if "RedrivePolicy" in queue
    }

    # then
    assert synthesized == declared


def test_dead_letter_queues_match(stack: SynthesizedStack) -> None:
    # given
    declared = {
        (service.dead_letter_queue, resources.DLQ_RETENTION_SECONDS) for service in resources.SERVICES
    }

    # when
    synthesized = {
        (queue["QueueName"], queue["MessageRetentionPeriod"])
        for queue in stack.properties("AWS::SQS::Queue")
        if "RedrivePolicy" not in queue
    }

    # then
    assert synthesized == declared


def test_rules_match(stack: SynthesizedStack) -> None:
    # given: EventBridge refuses a pattern with an empty list, so such a service has no rule
    declared = {
        (service.rule, _pattern(service.event_pattern()), service.queue)
        for service in resources.SERVICES
        if all(service.event_pattern().values())
    }
    queue_names = {
        logical_id: definition["Properties"]["QueueName"]
        for logical_id, definition in stack.resources("AWS::SQS::Queue").items()
    }

    feeds = {feed.name for feed in resources.FEEDS}

    # when: the rules on Lanka's own bus (the feeds' rules on the default bus: below)
    synthesized = {
        (rule["Name"], _pattern(rule["EventPattern"]), queue_names[target["Arn"]["Fn::GetAtt"][0]])
        for rule in stack.properties("AWS::Events::Rule")
        if rule["Name"] not in feeds
        for target in rule["Targets"]
    }

    # then
    assert synthesized == declared


def test_feeds_match(stack: SynthesizedStack) -> None:
    # given: AWS services' events on the default bus, reshaped for a service's inbox
    declared = {
        (
            feed.name,
            feed.source,
            tuple(feed.detail_types),
            resources.service(feed.service).queue,
            json.dumps(feed.input_paths, sort_keys=True),
            feed.input_template,
        )
        for feed in resources.FEEDS
    }
    queue_names = {
        logical_id: definition["Properties"]["QueueName"]
        for logical_id, definition in stack.resources("AWS::SQS::Queue").items()
    }

    # when
    synthesized = {
        (
            rule["Name"],
            rule["EventPattern"]["source"][0],
            tuple(rule["EventPattern"]["detail-type"]),
            queue_names[target["Arn"]["Fn::GetAtt"][0]],
            json.dumps(target["InputTransformer"]["InputPathsMap"], sort_keys=True),
            target["InputTransformer"]["InputTemplate"],
        )
        for rule in stack.properties("AWS::Events::Rule")
        if rule.get("EventBusName") == "default"
        for target in rule["Targets"]
    }

    # then
    assert synthesized == declared


def test_the_inbound_mail_feed_takes_only_new_mail_of_its_bucket(stack: SynthesizedStack) -> None:
    # when
    rule = next(r for r in stack.properties("AWS::Events::Rule") if r["Name"] == resources.INBOUND_MAIL.name)
    bucket_id = next(
        logical_id
        for logical_id, definition in stack.resources("AWS::S3::Bucket").items()
        if definition["Properties"]["BucketName"]["Fn::Join"][1][0] == f"{resources.INBOUND_MAIL.bucket}-"
    )

    # then
    assert rule["EventPattern"]["detail"]["bucket"]["name"] == [{"Ref": bucket_id}]
    assert rule["EventPattern"]["detail"]["object"]["key"] == [{"prefix": resources.INBOUND_MAIL_PREFIX}]
    assert stack.template["Resources"][bucket_id]["Properties"]["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }


def test_inbox_consumers_match(stack: SynthesizedStack) -> None:
    # given
    declared = {(service.name, service.queue) for service in resources.SERVICES}

    # when: the queue each app's on_sqs_message names, as Chalice wrote it
    synthesized = {
        (service.name, event["Properties"]["Queue"]["Fn::Sub"].rsplit(":", 1)[1])
        for service in resources.SERVICES
        for function in stack.functions(service).values()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] == "SQS"
    }

    # then
    assert synthesized == declared


def test_groups_match(stack: SynthesizedStack) -> None:
    # when
    synthesized = {properties["GroupName"] for properties in stack.properties("AWS::Cognito::UserPoolGroup")}

    # then
    assert synthesized == set(resources.STAFF_GROUPS)


def test_bus_and_user_pool_names_match(stack: SynthesizedStack) -> None:
    # when
    synthesized = (
        {properties["Name"] for properties in stack.properties("AWS::Events::EventBus")},
        {properties["UserPoolName"] for properties in stack.properties("AWS::Cognito::UserPool")},
        {
            definition["Properties"]["ClientName"]
            for definition in stack.resources("AWS::Cognito::UserPoolClient").values()
        },
    )

    # then
    assert synthesized == ({resources.EVENT_BUS}, {resources.USER_POOL}, {resources.USER_POOL_CLIENT})
