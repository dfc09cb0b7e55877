"""Event handlers of the clients service: the timeline projection and the background jobs.

Long jobs (moving a merged client's timeline, scrubbing an erased one, handing a leaving
manager's clients over, importing a CSV) run a bounded chunk per event and publish
`ClientsJobAdvanced` for the next chunk, so no invocation runs long, and a crash repeats
one chunk whose writes are all idempotent.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.clients.domain import clients, timeline
from chalicelib.clients.jobs import JOBS, job
from chalicelib.clients.service import service
from chalicelib.clients.store import ClientStore, FieldWork, TimelineStore

from lanka_platform import aws
from lanka_platform.api import replay_key
from lanka_platform.contracts import booking, deals, notifications
from lanka_platform.contracts import clients as events
from lanka_platform.events import Envelope, envelope
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import IdempotencyRecord

TIMELINE_CHUNK = 40  # a moved entry is a put and a delete: 80 writes in one transaction
HAND_OVER_CHUNK = 10  # each client is its own transaction (its search entries change too)


def _continue(
    unit: UnitOfWork, step: events.ClientsJobAdvanced, last_key: dict[str, Any] | None, done: int
) -> None:
    if last_key:
        unit.emit(
            envelope(
                step.model_copy(update={"cursor": json.dumps(last_key), "position": step.position + done})
            )
        )


def _start(cursor: str | None) -> dict[str, Any] | None:
    return json.loads(cursor) if cursor else None


# ------------------------------------------------------------------------------ timeline


def record_on_timeline(event: Envelope[Any], unit: UnitOfWork) -> None:
    entry = timeline.entry_for(event)
    if entry is None:
        return
    client = ClientStore(service.store).get(entry.client_id)
    if client is not None and client.status == "merged" and client.merged_into:
        entry = entry.model_copy(update={"client_id": client.merged_into})
    elif client is not None and client.status == "erased":
        entry = entry.model_copy(update={"detail": timeline.scrubbed(entry.detail)})
    TimelineStore(service.store).record(unit, entry)


for _contract in timeline.TIMELINE_EVENTS:
    if _contract not in (events.ClientMerged,):
        service.handles(_contract)(record_on_timeline)


@service.handles(events.ClientMerged)
def on_client_merged(event: Envelope[events.ClientMerged], unit: UnitOfWork) -> None:
    record_on_timeline(event, unit)
    step = events.ClientsJobAdvanced(
        job="merge_timeline", job_id=event.data.merged_id, target_id=event.data.survivor_id
    )
    move_timeline(step, unit)


@job("merge_timeline")
def move_timeline(step: events.ClientsJobAdvanced, unit: UnitOfWork) -> None:
    """Entries of the merged client's timeline go to the survivor's, a chunk at a time."""
    assert step.target_id is not None
    store = TimelineStore(service.store)
    items, last = store.raw_page(step.job_id, _start(step.cursor), TIMELINE_CHUNK)
    for item in items:
        store.move(unit, item, step.target_id)
    # The moved items are gone from the partition: the next chunk starts at its beginning.
    _continue(unit, step.model_copy(update={"cursor": None}), last and {"more": True}, len(items))


@service.handles(events.ClientErased)
def on_client_erased(event: Envelope[events.ClientErased], unit: UnitOfWork) -> None:
    forget_replays(event.data.client_id)
    scrub_timeline(events.ClientsJobAdvanced(job="erase_timeline", job_id=event.data.client_id), unit)


def forget_replays(client_id: str) -> None:
    """Idempotency answers about the client hold its data: they go at once."""
    model = service.store.model(IdempotencyRecord)
    for record in model.gsi1.query(replay_key(client_id)):
        record.delete()


@job("erase_timeline")
def scrub_timeline(step: events.ClientsJobAdvanced, unit: UnitOfWork) -> None:
    store = TimelineStore(service.store)
    items, last = store.raw_page(step.job_id, _start(step.cursor), TIMELINE_CHUNK)
    for item in items:
        detail = json.loads(item.detail)
        clean = timeline.scrubbed(detail)
        if clean != detail:
            store.scrub(unit, item, clean)
    _continue(unit, step, last, len(items))


# ------------------------------------------------------------------------------ staff


@service.handles(events.StaffDeactivated)
def on_staff_deactivated(event: Envelope[events.StaffDeactivated], unit: UnitOfWork) -> None:
    data = event.data
    end_sign_in(data.username)
    step = events.ClientsJobAdvanced(job="hand_over", job_id=data.user_id, target_id=data.hand_over_to)
    hand_over(step, unit)


def end_sign_in(username: str) -> None:
    """Disable the account and revoke its refresh tokens (both idempotent)."""
    settings = service.settings
    cognito = aws.client("cognito-idp", settings.region, settings.aws_endpoint_url)
    cognito.admin_disable_user(UserPoolId=settings.user_pool_id, Username=username)
    cognito.admin_user_global_sign_out(UserPoolId=settings.user_pool_id, Username=username)


@job("hand_over")
def hand_over(step: events.ClientsJobAdvanced, unit: UnitOfWork) -> None:
    """The leaving manager's clients go to `target_id`, each in its own transaction."""
    store = ClientStore(service.store)
    ids, last = store.ids_of_owner(step.job_id, HAND_OVER_CHUNK)
    now = service.store.clock()
    for client_id in ids:
        client = store.get(client_id)  # the current version: the index may lag behind
        if client is None or client.owner_id != step.job_id:
            continue
        own = service.store.unit_of_work()
        clients.change_owner(own, store, client, step.target_id, now)
        own.commit()
        service.relay(own.events)
    # Handed-over clients leave the partition: the next chunk reads it from the start.
    _continue(unit, step, last and {"more": True}, len(ids))


# ------------------------------------------------------------------------------ jobs, field work


@service.handles(events.ClientsJobAdvanced)
def on_job_advanced(event: Envelope[events.ClientsJobAdvanced], unit: UnitOfWork) -> None:
    JOBS[event.data.job](event.data, unit)


@service.handles(notifications.RequestReceived)
def on_request_received(event: Envelope[notifications.RequestReceived], unit: UnitOfWork) -> None:
    clients.receive_request(unit, ClientStore(service.store), event.data, event.metadata.occurred_at)


@service.handles(booking.WidgetRequestReceived)
def on_widget_request_received(event: Envelope[booking.WidgetRequestReceived], unit: UnitOfWork) -> None:
    clients.receive_request(unit, ClientStore(service.store), event.data, event.metadata.occurred_at)


@service.handles(deals.FieldJobAssigned)
def on_field_job_assigned(event: Envelope[deals.FieldJobAssigned], unit: UnitOfWork) -> None:
    data = event.data
    FieldWork(service.store).open(unit, data.assignee_id, data.client_id, data.job_id, data.role)


@service.handles(deals.FieldJobClosed)
def on_field_job_closed(event: Envelope[deals.FieldJobClosed], unit: UnitOfWork) -> None:
    data = event.data
    FieldWork(service.store).close(unit, data.assignee_id, data.client_id, data.job_id)
