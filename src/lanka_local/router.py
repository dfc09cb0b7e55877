"""Event delivery and scheduled jobs, as AWS runs them for the Lambdas.

`EventRouter` is the SQS event source mapping: it receives batches from each service's
inbox queue, hands them to the service's `on_sqs_message` handler as a Lambda SQS event,
deletes what succeeded and leaves the reported failures to reappear after the visibility
timeout; the queue's redrive policy moves a message that keeps failing to its dead-letter
queue. `Scheduler` runs every `@app.schedule` job at its rate.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalice.app import Rate, ScheduledEventConfig, SQSEventConfig

from lanka_local.lambda_context import LambdaContext
from lanka_local.services import LoadedService
from lanka_platform import resources

REGION = "eu-central-1"
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Inbox:
    service: LoadedService
    queue_url: str
    queue_arn: str
    handler_name: str


def inbox_of(loaded: LoadedService, sqs: Any) -> Inbox:
    definition = resources.service(loaded.name)
    sources = [source for source in loaded.app.event_sources if isinstance(source, SQSEventConfig)]
    if len(sources) != 1 or sources[0].queue != definition.queue:
        raise RuntimeError(f"{loaded.name} must consume exactly its own queue {definition.queue}")
    url = sqs.get_queue_url(QueueName=definition.queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Inbox(loaded, url, arn, sources[0].handler_string.split(".", 1)[1])


class EventRouter:
    def __init__(self, services: Mapping[str, LoadedService], sqs: Any, wait_seconds: int = 1) -> None:
        self.sqs = sqs
        self.wait_seconds = wait_seconds
        self.inboxes = {name: inbox_of(loaded, sqs) for name, loaded in services.items()}

    def deliver(self, service: str) -> int:
        """One batch from the service's queue through its handler; how many were received."""
        inbox = self.inboxes[service]
        received = self.sqs.receive_message(
            QueueUrl=inbox.queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            return 0
        event = {"Records": [_record(message, inbox.queue_arn) for message in received]}
        handler = getattr(inbox.service.module, inbox.handler_name)
        result = handler(event, LambdaContext(function_name=f"lanka-{service}-inbox", timeout_seconds=60))
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        done = [message for message in received if message["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=inbox.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(done)
                ],
            )
        return len(received)

    def deliver_all(self, max_rounds: int = 50) -> int:
        """Deliver until every inbox is empty (events may cause more events)."""
        total = 0
        for _ in range(max_rounds):
            delivered = sum(self.deliver(name) for name in self.inboxes)
            total += delivered
            if delivered == 0:
                return total
        return total

    def redrive(self, service: str) -> int:
        """Move the dead-lettered messages of a service back to its inbox."""
        definition = resources.service(service)
        dlq_url = self.sqs.get_queue_url(QueueName=definition.dead_letter_queue)["QueueUrl"]
        moved = 0
        while True:
            messages = self.sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return moved
            for message in messages:
                self.sqs.send_message(QueueUrl=self.inboxes[service].queue_url, MessageBody=message["Body"])
                self.sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1

    def run(self, stop: threading.Event, on_error: Any) -> list[threading.Thread]:
        threads = []
        for name in self.inboxes:
            thread = threading.Thread(
                target=self._loop, args=(name, stop, on_error), name=f"inbox-{name}", daemon=True
            )
            thread.start()
            threads.append(thread)
        return threads

    def _loop(self, service: str, stop: threading.Event, on_error: Any) -> None:
        while not stop.is_set():
            try:
                self.deliver(service)
            except Exception as error:  # noqa: BLE001 - as the Lambda runtime: a failed invocation is reported, delivery goes on
                on_error(service, error)
                stop.wait(1.0)


def _record(message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody")
        or hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    }


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def period_seconds(expression: Any) -> float:
    """Seconds between runs of a Chalice schedule (rates; cron is not run locally)."""
    if isinstance(expression, Rate):
        return float(expression.value * _UNIT_SECONDS[expression.unit.lower().rstrip("s")])
    match = _RATE.match(str(expression))
    if match is None:
        raise ValueError(f"only rate() schedules run locally, not {expression!r}")
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2).rstrip("s")])


@dataclass(frozen=True)
class Job:
    service: LoadedService
    name: str
    handler_name: str
    period: float

    def run_once(self) -> Any:
        handler = getattr(self.service.module, self.handler_name)
        event = {
            "version": "0",
            "id": "local",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": "",
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{self.name}"],
            "detail": {},
        }
        return handler(event, LambdaContext(function_name=f"lanka-{self.service.name}-{self.name}"))


def jobs_of(services: Mapping[str, LoadedService]) -> list[Job]:
    jobs = []
    for loaded in services.values():
        for source in loaded.app.event_sources:
            if isinstance(source, ScheduledEventConfig):
                jobs.append(
                    Job(
                        loaded,
                        source.name,
                        source.handler_string.split(".", 1)[1],
                        period_seconds(source.schedule_expression),
                    )
                )
    return jobs


class Scheduler:
    def __init__(self, jobs: list[Job], speedup: float = 1.0) -> None:
        self.jobs = jobs
        self.speedup = speedup

    def run(self, stop: threading.Event, on_error: Any) -> list[threading.Thread]:
        threads = []
        for job in self.jobs:
            thread = threading.Thread(
                target=self._loop,
                args=(job, stop, on_error),
                name=f"job-{job.service.name}-{job.name}",
                daemon=True,
            )
            thread.start()
            threads.append(thread)
        return threads

    def _loop(self, job: Job, stop: threading.Event, on_error: Any) -> None:
        while not stop.wait(job.period / self.speedup):
            try:
                job.run_once()
            except Exception as error:  # noqa: BLE001 - as EventBridge Scheduler: the next run comes anyway
                on_error(f"{job.service.name}.{job.name}", error)
