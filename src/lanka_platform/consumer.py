"""The inbox consumer: SQS batches of bus events, applied once each, failures reported singly.

Each record is an EventBridge event delivered to the service's queue. For every record the
consumer restores the correlation id, acknowledges the service's own outbox entry when the
event is its own, and runs the handler registered for the detail-type inside a unit of work
that also writes a processed-event marker: the handler's effect and the marker commit
together, so a redelivered event (SQS is at-least-once, the sweep may publish twice) finds
the marker and has no second effect. A record that fails is reported in
`batchItemFailures`, so only it is retried and, after `maxReceiveCount`, dead-lettered.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError
from pynamodb.exceptions import PynamoDBException

from lanka_platform import observability, publisher
from lanka_platform.clock import to_iso
from lanka_platform.contracts import registry
from lanka_platform.events import Contract, Envelope, parse_detail
from lanka_platform.problems import Problem
from lanka_platform.storage import ConditionFailed, ProcessedEvent, Store, UnitOfWork

if TYPE_CHECKING:  # a parametrized Envelope is a class built at run time: not at import
    Handler = Callable[[Envelope[Any], UnitOfWork], None]

_MARKER_TAG = "processed-event"
# Tag a handler's conditional write with this prefix when its failing means "already newer".
STALE = "stale:"


# What a handler may fail with; the record is retried and, in the end, dead-lettered.
_HANDLING_FAILURES = (
    PynamoDBException,
    ConditionFailed,
    Problem,
    ValidationError,
    BotoCoreError,
    ClientError,
)


class PoisonMessage(Exception):
    """A record that can never be processed (not an event, unknown contract)."""


@dataclass(frozen=True)
class Outcome:
    message_id: str
    status: str  # applied | duplicate | stale | acknowledged | ignored | failed


class Consumer:
    def __init__(
        self,
        service: str,
        store_factory: Callable[[], Store],
        handlers: Mapping[str, Handler],
        bus_factory: Callable[[], publisher.EventBus],
    ) -> None:
        self.service = service
        self.source = f"lanka.{service}"
        self._store_factory = store_factory
        self._handlers = handlers
        self._bus_factory = bus_factory

    def handle_batch(self, event: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
        """The Lambda SQS handler's answer: the records to retry."""
        failures: list[dict[str, str]] = []
        for record in event.get("Records", []):
            outcome = self.handle_record(record)
            if outcome.status == "failed":
                failures.append({"itemIdentifier": outcome.message_id})
        return {"batchItemFailures": failures}

    def handle_record(self, record: Mapping[str, Any]) -> Outcome:
        message_id = str(record.get("messageId", ""))
        log = observability.logger(self.service)
        try:
            bus_event = json.loads(record["body"])
            detail_type = str(bus_event["detail-type"])
            source = str(bus_event["source"])
            envelope = self._parse(detail_type, bus_event["detail"])
        except (KeyError, TypeError, ValueError, ValidationError, PoisonMessage) as error:
            log.error(
                "Unreadable inbox message", extra={"message_id": message_id, "error": type(error).__name__}
            )
            return Outcome(message_id, "failed")
        metadata = envelope.metadata
        with observability.correlated(
            self.service, metadata.correlation_id, metadata.actor, causation_id=metadata.event_id
        ):
            log.append_keys(event_id=metadata.event_id, detail_type=detail_type)
            try:
                status = self._apply(detail_type, source, envelope)
            except _HANDLING_FAILURES as error:
                log.exception("Event handling failed", extra={"error": type(error).__name__})
                status = "failed"
            finally:
                log.remove_keys(["event_id", "detail_type"])
        return Outcome(message_id, status)

    def _parse(self, detail_type: str, detail: Any) -> Envelope[Any]:
        contract: type[Contract] | None = registry().get(detail_type)
        if contract is None:
            raise PoisonMessage(detail_type)
        return parse_detail(contract, detail)

    def _apply(self, detail_type: str, source: str, envelope: Envelope[Any]) -> str:
        store = self._store_factory()
        status = "ignored"
        handler = self._handlers.get(detail_type)
        if handler is not None:
            status = self._apply_once(store, handler, detail_type, envelope)
        if source == self.source:
            publisher.acknowledge(store, envelope.metadata.event_id)
            if status == "ignored":
                status = "acknowledged"
        return status

    def _apply_once(self, store: Store, handler: Handler, detail_type: str, envelope: Envelope[Any]) -> str:
        unit = store.unit_of_work()
        now = store.clock()
        marker_model = store.model(ProcessedEvent)
        marker = marker_model(
            pk=f"EVENT#{envelope.metadata.event_id}",
            sk="PROCESSED",
            detail_type=detail_type,
            processed_at=to_iso(now),
            expires_at=now + timedelta(days=store.settings.dedup_ttl_days),
        )
        # The marker goes first: when a redelivered event also fails the handler's own
        # guard, the transaction reports it as the duplicate it is.
        unit.put(marker, condition=marker_model.pk.does_not_exist(), tag=_MARKER_TAG)
        handler(envelope, unit)
        try:
            unit.commit()
        except ConditionFailed as failed:
            if failed.tag == _MARKER_TAG:
                return "duplicate"
            if failed.tag.startswith(STALE):
                # The handler's own guard: what the event says is older than what we hold.
                return "stale"
            raise
        publisher.relay(self._bus_factory(), unit.events, self.service)
        return "applied"
