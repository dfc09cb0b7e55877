"""The outbox relay and sweep: events reach the bus at least once, and are never lost.

1. A state change and its outbox entries are committed in one transaction (`UnitOfWork`).
2. Right after the commit the relay puts the events on the bus (one PutEvents per ten).
3. Every service's inbox rule also routes its own events back to it; when an event comes
   back, the consumer deletes its outbox entry: delivery is confirmed, off the request path.
4. A periodic sweep re-publishes entries older than the grace period: whatever the relay
   could not publish (a crash, a lost connection, an EventBridge failure) goes out then.
   Consumers are idempotent by event id, so an event published twice has one effect.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import UpdateError

from lanka_platform import aws, observability
from lanka_platform.clock import to_iso
from lanka_platform.ids import lowest_id_at
from lanka_platform.storage import OUTBOX_PK, OutboxEntry, Store

if TYPE_CHECKING:
    from lanka_platform.settings import Settings

PUT_EVENTS_BATCH = 10


@dataclass(frozen=True)
class BusEntry:
    event_id: str
    source: str
    detail_type: str
    detail: str


class EventBus(Protocol):
    """Port: where events are published. Returns the ids that did not get on the bus."""

    def put(self, entries: Sequence[BusEntry]) -> list[str]: ...


class EventBridgeBus:
    def __init__(self, settings: Settings, client_factory: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self._client_factory = client_factory or (
            lambda: aws.client("events", settings.region, settings.aws_endpoint_url)
        )

    def put(self, entries: Sequence[BusEntry]) -> list[str]:
        failed: list[str] = []
        for start in range(0, len(entries), PUT_EVENTS_BATCH):
            batch = entries[start : start + PUT_EVENTS_BATCH]
            try:
                response = self._client_factory().put_events(
                    Entries=[
                        {
                            "Source": entry.source,
                            "DetailType": entry.detail_type,
                            "Detail": entry.detail,
                            "EventBusName": self.settings.event_bus_name,
                        }
                        for entry in batch
                    ]
                )
            except (ClientError, BotoCoreError) as error:
                observability.logger(self.settings.service).warning(
                    "PutEvents failed; the sweep will retry", extra={"error": type(error).__name__}
                )
                failed.extend(entry.event_id for entry in batch)
                continue
            for entry, result in zip(batch, response.get("Entries", []), strict=False):
                if result.get("ErrorCode"):
                    failed.append(entry.event_id)
        return failed


def relay(bus: EventBus, envelopes: Sequence[Any], service: str) -> None:
    """Publish just-committed events; a failure here is left to the sweep."""
    if not envelopes:
        return
    failed = bus.put(
        [
            BusEntry(
                event_id=envelope.metadata.event_id,
                source=envelope.source,
                detail_type=envelope.detail_type,
                detail=envelope.detail_json(),
            )
            for envelope in envelopes
        ]
    )
    if failed:
        observability.metrics(service).add_metric(name="OutboxRelayFailed", unit="Count", value=len(failed))


def sweep(store: Store, bus: EventBus, limit: int = 100) -> int:
    """Re-publish outbox entries that have waited longer than the grace period.

    A Query on the outbox partition by event id (ULIDs sort by time), never a Scan.
    Returns how many entries were published again.
    """
    now = store.clock()
    grace = timedelta(seconds=store.settings.outbox_grace_seconds)
    cutoff = to_iso(now - grace)
    model = store.model(OutboxEntry)
    stuck = [
        entry
        for entry in model.query(OUTBOX_PK, model.sk < lowest_id_at(now - grace), limit=limit)
        if entry.last_attempt_at is None or entry.last_attempt_at < cutoff
    ]
    if not stuck:
        return 0
    failed = set(
        bus.put([BusEntry(entry.sk, entry.source, entry.detail_type, entry.detail) for entry in stuck])
    )
    attempted_at = to_iso(now)
    for entry in stuck:
        if entry.sk in failed:
            continue
        try:
            entry.update(
                actions=[model.attempts.add(1), model.last_attempt_at.set(attempted_at)],
                condition=model.pk.exists(),
            )
        except UpdateError as error:
            # Acknowledged meanwhile: the event came back while we were publishing it again.
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    published = len(stuck) - len(failed)
    observability.metrics(store.settings.service).add_metric(
        name="OutboxRepublished", unit="Count", value=published
    )
    return published


def acknowledge(store: Store, event_id: str) -> None:
    """The event came back through the bus: its outbox entry has done its job."""
    store.model(OutboxEntry)(pk=OUTBOX_PK, sk=event_id).delete()
