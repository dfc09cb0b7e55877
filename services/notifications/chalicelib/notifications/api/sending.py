"""The `deliveries` schedule: every minute, send the messages that are due.

Event handlers only write due messages (`domain.messages.queue_message`); this sweep claims
each one (a conditional write, see `store.messages`), renders it for the first channel that
has an address, sends it through that channel's adapter and falls back to the next channel
when the provider fails. A message none could take is tried again with backoff and, after
the last attempt, parked for an admin to redrive. Quiet hours hold SMS and messenger
messages to clients until the morning.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.notifications.channels import sender
from chalicelib.notifications.domain import mailings as mass
from chalicelib.notifications.domain.delivery import Courier
from chalicelib.notifications.service import service
from chalicelib.notifications.store import (
    AudienceStore,
    ContactStore,
    MailingStore,
    MessageStore,
    PaceStore,
    SettingsStore,
    TemplateStore,
)

from lanka_platform import observability
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import ConditionFailed

if TYPE_CHECKING:
    pass

# One-to-one messages a run sends at most (mailings: see the company's `MailingPace`).
SWEEP_BATCH = 50


def send_due() -> dict[str, int]:
    """Send every message due by now (up to a batch); counts of what became of them."""
    store = service.store
    now = store.clock()
    box = MessageStore(store)
    # pydantic-settings is imported when the sweep runs, not at cold start.
    from chalicelib.notifications.channels.settings import ChannelSettings

    settings = ChannelSettings()
    courier = Courier(
        box=box,
        cards=ContactStore(store),
        templates=TemplateStore(store),
        mailings=MailingStore(store),
        sender=lambda channel: sender(
            channel, settings, store.settings.region, store.settings.aws_endpoint_url
        ),
        quiet=SettingsStore(store).quiet_hours(),
        time_zone=store.settings.timezone,
        link_secret=store.settings.link_secret,
        public_base_url=settings.public_base_url,
        now=now,
        contacted=lambda client_id: _note_contact(client_id, now),
    )
    counts = {"sent": 0, "retrying": 0, "parked": 0, "deferred": 0, "overtaken": 0, "cancelled": 0}
    mailings: dict[str, str] = {}
    pace = PaceStore(store)
    # Mailings go at the company's pace per minute, however often this runs.
    allowed = max(0, SettingsStore(store).mailing_pace().per_minute - pace.used(now))
    bulk_sent = 0
    for message in box.due(now, SWEEP_BATCH, bulk_limit=allowed):
        status = None
        if message.mailing_id:
            if message.mailing_id not in mailings:
                found = MailingStore(store).get(message.mailing_id)
                mailings[message.mailing_id] = found.status if found else "cancelled"
            status = mailings[message.mailing_id]
        outcome = courier.deliver(message, status)
        bulk_sent += bool(message.mailing_id) and outcome == "sent"
        counts[outcome] += 1
        if outcome == "parked":
            observability.logger(service.name).warning(
                "A message was parked", extra={"message_id": message.id}
            )
    if bulk_sent:
        pace.add(now, bulk_sent)
    return counts


def _note_contact(client_id: str, at: datetime) -> None:
    """Outside an event's unit (a message just sent): the client's last contact, in a unit
    of its own, read again when another change of the client came first; a client changed
    over and over meanwhile keeps the contact the next change of theirs notes."""
    contacts, audience = ContactStore(service.store), AudienceStore(service.store)
    day = mass.contact_day(at, service.store.settings.timezone)

    def build(unit: UnitOfWork) -> None:
        card = contacts.own(client_id)
        mass.resegment(unit, audience, client_id, card, card, lambda profile: profile.contacted(day))

    try:
        service.commit(build, (mass.PROFILE_CHANGED,))
    except ConditionFailed:
        observability.logger(service.name).warning(
            "The last contact was not noted", extra={"client_id": client_id}
        )


def deliveries(event: Any) -> dict[str, int]:
    with observability.correlated(service.name, None):
        return send_due()


# Lambda finds it as `app.<its name>` (services/<service>/app.py re-exports it).
service.every_minute("deliveries")(deliveries)
