"""The inbox as Lambda's SQS event source runs it: partial failures, dead letters, redrive."""

from __future__ import annotations

import json

import boto3


def queue_url(name: str) -> str:
    return boto3.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def visible(name: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(name), AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_only_the_failing_record_of_a_batch_is_retried(world):
    # given: one good event and one that is not an event at all, in one batch
    world.http.post("/api/clients/clients", json={"name": "Олена"}, headers=world.headers())
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queue_url("lanka-deals-inbox"), MessageBody="not an event")
    messages = sqs.receive_message(QueueUrl=queue_url("lanka-deals-inbox"), MaxNumberOfMessages=10)[
        "Messages"
    ]
    event = {"Records": [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]}
    # when
    result = world.services["deals"].consumer().handle_batch(event)
    # then
    poison = next(m["MessageId"] for m in messages if m["Body"] == "not an event")
    assert result == {"batchItemFailures": [{"itemIdentifier": poison}]}


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue_and_can_be_redriven(world):
    # given
    sqs = boto3.client("sqs")
    inbox = queue_url("lanka-deals-inbox")
    sqs.set_queue_attributes(QueueUrl=inbox, Attributes={"VisibilityTimeout": "0"})
    sqs.send_message(QueueUrl=inbox, MessageBody=json.dumps({"detail-type": "Nonsense"}))
    # when: delivered until SQS gives up (maxReceiveCount 5)
    for _ in range(7):
        world.router.deliver("deals")
    # then
    assert visible("lanka-deals-inbox-dlq") == 1
    assert visible("lanka-deals-inbox") == 0
    assert world.router.redrive("deals") == 1
    assert visible("lanka-deals-inbox") == 1
