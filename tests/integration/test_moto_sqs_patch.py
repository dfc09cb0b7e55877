"""moto's SQS with `moto_patches` in force answers as moto does: the same visible messages
and the same counts of delayed and in-flight ones, read with one clock read per walk."""

from __future__ import annotations

import time

import boto3
import time_machine
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sqs.models import Queue, sqs_backends

from lanka_local import moto_patches

PROPERTIES = (
    "messages",
    "approximate_number_of_messages",
    "approximate_number_of_messages_delayed",
    "approximate_number_of_messages_not_visible",
)


def answers(properties: dict[str, property], queue: object) -> dict[str, object]:
    return {name: properties[name].fget(queue) for name in PROPERTIES}  # type: ignore[misc]


def test_visible_delayed_and_in_flight_messages_are_counted_as_moto_counts_them():
    moto = {name: Queue.__dict__[name] for name in PROPERTIES}
    with moto_patches.installed(), mock_aws():
        patched = {name: Queue.__dict__[name] for name in PROPERTIES}
        sqs = boto3.client("sqs", region_name="eu-central-1")
        url = sqs.create_queue(QueueName="mixed", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
        # given visible messages, delayed ones, and some received (in flight)
        for number in range(12):
            sqs.send_message(
                QueueUrl=url, MessageBody=f"m{number}", DelaySeconds=60 if number % 4 == 0 else 0
            )
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=4)["Messages"]
        queue = sqs_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"].queues["mixed"]
        # when each is asked at one instant, and again once the delays and timeouts have run out
        with time_machine.travel(time.time(), tick=False) as traveller:
            now = (answers(moto, queue), answers(patched, queue))
            traveller.shift(61)
            later = (answers(moto, queue), answers(patched, queue))
    # then the answers are moto's own
    assert patched["messages"] is not moto["messages"]
    assert len(received) == 4
    assert now[0] == now[1]
    assert (
        now[1]["approximate_number_of_messages_delayed"],
        now[1]["approximate_number_of_messages_not_visible"],
    ) == (
        3,
        4,
    )
    assert later[0] == later[1]
    assert later[1]["approximate_number_of_messages"] == 12
