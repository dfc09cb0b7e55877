"""The `deliveries` schedule: every minute, send the messages that are due.

Event handlers only write due messages (`domain.messages.queue_message`); this sweep claims
each one (a conditional write, see `store.messages`), renders it for the first channel that
has an address, sends it through that channel's adapter and falls back to the next channel
when the provider fails. A message none could take is tried again with backoff and, after
the last attempt, parked for an admin to redrive. Quiet hours hold SMS and messenger
messages to clients until the morning.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from chalice.app import Rate
from chalicelib.notifications.api import mailings as mailing_routes
from chalicelib.notifications.channels import Delivery, DeliveryResult, sender
from chalicelib.notifications.domain import messages as outbox
from chalicelib.notifications.domain import templates
from chalicelib.notifications.domain.contacts import ContactCard, channel_order
from chalicelib.notifications.domain.mailings import TEST_SUBJECT
from chalicelib.notifications.domain.messages import Attempt, OutgoingMessage
from chalicelib.notifications.domain.quiet import LOUD_CHANNELS, QuietHours, morning_after
from chalicelib.notifications.service import service
from chalicelib.notifications.store import (
    ContactStore,
    MailingStore,
    MessageStore,
    PaceStore,
    SettingsStore,
    TemplateStore,
)

from lanka_platform import links, observability
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem

if TYPE_CHECKING:
    from chalicelib.notifications.channels.settings import ChannelSettings

# One-to-one messages a run sends at most (mailings: see the company's `MailingPace`).
SWEEP_BATCH = 50
UNSUBSCRIBE = "unsubscribe"  # the purpose the clients service signs unsubscribe links for
FOOTER = "Відписатися від розсилки / Unsubscribe"


def send_due() -> dict[str, int]:
    """Send every message due by now (up to a batch); counts of what became of them."""
    store = service.store
    now = store.clock()
    box = MessageStore(store)
    quiet = SettingsStore(store).quiet_hours()
    # pydantic-settings is imported when the sweep runs, not at cold start.
    from chalicelib.notifications.channels.settings import ChannelSettings

    settings = ChannelSettings()
    counts = {"sent": 0, "retrying": 0, "parked": 0, "deferred": 0, "overtaken": 0, "cancelled": 0}
    mailings: dict[str, str] = {}
    pace = PaceStore(store)
    # Mailings go at the company's pace per minute, however often this runs.
    allowed = max(0, SettingsStore(store).mailing_pace().per_minute - pace.used(now))
    bulk_sent = 0
    for message in box.due(now, SWEEP_BATCH, bulk_limit=allowed):
        if message.mailing_id:
            if message.mailing_id not in mailings:
                found = MailingStore(store).get(message.mailing_id)
                mailings[message.mailing_id] = found.status if found else "cancelled"
            outcome = _deliver(box, message, now, quiet, settings, mailings[message.mailing_id])
            bulk_sent += outcome == "sent"
            counts[outcome] += 1
        else:
            counts[_deliver(box, message, now, quiet, settings)] += 1
    if bulk_sent:
        pace.add(now, bulk_sent)
    return counts


def _deliver(
    box: MessageStore,
    message: OutgoingMessage,
    now: datetime,
    quiet: QuietHours,
    settings: ChannelSettings,
    mailing_status: str | None = None,
) -> str:
    store = service.store
    card = ContactStore(store).get(message.client_id) if message.client_id else None
    if message.mailing_id and (mailing_status == "cancelled" or card is None or not card.marketing_consent):
        # The mailing was cancelled, or the client withdrew consent after it was queued.
        return _drop(box, message, now)
    addresses = _addresses(message, card)
    suppressed = box.suppressed([address for channel, address in addresses if channel == "email"])
    # An address that bounced for good or complained gets no e-mail: the next channel is tried.
    addresses = [(c, a) for c, a in addresses if c != "email" or a.casefold() not in suppressed]
    if message.client_id and addresses and addresses[0][0] in LOUD_CHANNELS:
        morning = morning_after(quiet, now, store.settings.timezone)
        if morning is not None:
            return "deferred" if box.defer(message, morning) else "overtaken"
    claimed = box.claim(message, now)
    if claimed is None:
        return "overtaken"
    log = list(claimed.log)
    result = DeliveryResult(ok=False, error="No address on any channel", retryable=False)
    retryable = False
    for channel, address in addresses:
        try:
            delivery = _render(claimed, card, channel, address, settings)
        except Problem as problem:
            reasons = "; ".join(str(e.get("message", "")) for e in problem.errors)
            result = DeliveryResult(
                ok=False, error=f"Template: {reasons or problem.detail}"[:300], retryable=False
            )
        else:
            result = sender(channel, settings, store.settings.region, store.settings.aws_endpoint_url).send(
                delivery
            )
        log.append(
            Attempt(
                at=now,
                channel=channel,
                outcome="sent" if result.ok else "failed",
                provider_message_id=result.provider_message_id,
                error=result.error,
            )
        )
        if result.ok:
            break
        retryable = retryable or result.retryable
    if result.ok:
        settled = claimed.model_copy(
            update={
                "status": "sent",
                "channel_used": log[-1].channel,
                "provider_message_id": result.provider_message_id,
                "last_error": None,
                "log": log,
            }
        )
    else:
        retry_at = outbox.next_attempt(claimed.attempts, now) if retryable else None
        settled = claimed.model_copy(
            update={
                "status": "retrying" if retry_at else "parked",
                "due_at": retry_at or claimed.due_at,
                "last_error": result.error,
                "log": log,
            }
        )
    if not box.settle(settled, now, _with_settle(box, settled)):
        return "overtaken"
    if result.ok and settled.client_id and not settled.mailing_id:
        # A message to the client is a contact (a mailing is not: "no contact for 90 days"
        # is the segment a newsletter is for).
        mailing_routes.note_contact(settled.client_id, now)
    if settled.status == "parked":
        observability.logger(service.name).warning(
            "A message was parked", extra={"message_id": settled.id, "attempts": settled.attempts}
        )
    return "sent" if result.ok else settled.status


def _with_settle(box: MessageStore, message: OutgoingMessage) -> Callable[[UnitOfWork], None] | None:
    """Writes that go with a settled message: its mailing's counters, and for an e-mail the
    pointer from SES's message id that SES's reports will name it by."""
    count = _count_in_mailing(message)
    provider_id = message.provider_message_id if message.channel_used == "email" else None
    if provider_id is None:
        return count

    def both(unit: UnitOfWork) -> None:
        box.remember_provider_id(unit, provider_id, message.id)
        if count is not None:
            count(unit)

    return both


def _count_in_mailing(message: OutgoingMessage) -> Callable[[UnitOfWork], None] | None:
    """A mailing's message, settled for good, adds to the mailing's counters with it."""
    counter = {"sent": "sent", "parked": "failed", "cancelled": "cancelled_messages"}.get(message.status)
    if message.mailing_id is None or counter is None:
        return None
    mailing_id = message.mailing_id
    return lambda unit: MailingStore(service.store).add_to(unit, mailing_id, counter)


def _drop(box: MessageStore, message: OutgoingMessage, now: datetime) -> str:
    claimed = box.claim(message, now)
    if claimed is None:
        return "overtaken"
    dropped = claimed.model_copy(update={"status": "cancelled", "last_error": "Not sent: mailing stopped"})
    return "cancelled" if box.settle(dropped, now, _count_in_mailing(dropped)) else "overtaken"


def _addresses(message: OutgoingMessage, card: ContactCard | None) -> list[tuple[str, str]]:
    if message.client_id is None:
        return [(channel, address) for channel, address in message.to.items() if address]
    if card is None:
        return []
    # A reply goes back to the very chat or address the client wrote from (`to`), before
    # what their card says for that channel.
    return [
        (channel, message.to.get(channel) or card.address(channel) or "")
        for channel in channel_order(card, message.channel)
    ]


def _render(
    message: OutgoingMessage, card: ContactCard | None, channel: str, to: str, settings: ChannelSettings
) -> Delivery:
    variables: dict[str, Any] = {"client_name": card.name if card else "", **message.variables}
    if message.template is not None:
        found = templates.find(
            TemplateStore(service.store), message.template, channel, card.locale if card else "uk"
        )
        if found is None:
            raise Problem.not_found(f"The template {message.template}")
        rendered = templates.render(found.subject, found.body, channel, variables)
    else:
        # A reply written by staff is sent as written: it is not a template.
        rendered = templates.as_written(message.subject, message.text or "", channel)
    unsubscribe = None
    text, html, subject = rendered.text, rendered.html, rendered.subject
    if (channel == "email" or message.mailing_id) and message.client_id:
        signature = links.sign(service.store.settings.link_secret, UNSUBSCRIBE, message.client_id)
        query = urlencode({"client": message.client_id, "signature": signature})
        unsubscribe = f"{settings.public_base_url.rstrip('/')}/api/clients/public/unsubscribe?{query}"
    if message.test_of:
        # A test copy shows where the link goes, but it is no client's: it withdraws nothing.
        unsubscribe = f"{settings.public_base_url.rstrip('/')}/api/clients/public/unsubscribe?test=1"
        subject = f"{TEST_SUBJECT} {subject or ''}".strip()
    if (message.mailing_id or message.test_of) and unsubscribe:
        # A mailing says in its body how to stop it, not only in the List-Unsubscribe header.
        text = f"{text}\n\n{FOOTER}: {unsubscribe}"
        if html:
            link = f'<p style="font-size:small"><a href="{escape(unsubscribe)}">{FOOTER}</a></p>'
            html = html.replace("</body>", f"{link}</body>", 1)
    headers = {}
    if channel == "email" and message.template is None:
        # A reply from the CRM: its Message-ID is the one the conversation remembered, and
        # it answers the client's last e-mail, so both sides see one thread.
        if message.variables.get("mail_id"):
            headers["Message-ID"] = message.variables["mail_id"]
        if message.variables.get("in_reply_to"):
            headers["In-Reply-To"] = headers["References"] = message.variables["in_reply_to"]
    return Delivery(
        message_id=message.id,
        to=to,
        text=text,
        headers=headers,
        subject=subject,
        html=html,
        attachments=tuple(message.attachments),
        unsubscribe_url=unsubscribe,
    )


def deliveries(event: Any) -> dict[str, int]:
    with observability.correlated(service.name, None):
        return send_due()


# Lambda finds it as `app.deliveries` (services/notifications/app.py re-exports it).
delivery_schedule = service.app.schedule(Rate(1, unit=Rate.MINUTES), name="deliveries")(deliveries)
