"""Delivering one due message: the channel chosen, the text rendered, the fallback to the
next channel when a provider fails, quiet hours, retries with backoff and the parking of
what no channel could take.

The `deliveries` schedule (api/sending.py) finds the messages due and hands each to a
`Courier` built with the service's stores and the channels' adapters; everything the courier
decides is here, and it reaches the outside world only through the ports below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any, Literal, Protocol
from urllib.parse import urlencode

from chalicelib.notifications.domain import messages as outbox
from chalicelib.notifications.domain import templates
from chalicelib.notifications.domain.contacts import ContactCard, channel_order
from chalicelib.notifications.domain.mailings import TEST_SUBJECT
from chalicelib.notifications.domain.messages import Attachment, Attempt, OutgoingMessage
from chalicelib.notifications.domain.quiet import LOUD_CHANNELS, QuietHours, morning_after

from lanka_platform import links
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem

Outcome = Literal["sent", "retrying", "parked", "deferred", "overtaken", "cancelled"]
UNSUBSCRIBE = "unsubscribe"  # the purpose the clients service signs unsubscribe links for
FOOTER = "Відписатися від розсилки / Unsubscribe"


@dataclass(frozen=True)
class Delivery:
    """One message, rendered for one channel, to one address."""

    message_id: str
    to: str
    text: str
    subject: str | None = None
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    unsubscribe_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    """What the provider said: accepted (with its message id), or an error; an error that is
    not `retryable` (a bad address, no credentials) will not get better by waiting."""

    ok: bool
    provider_message_id: str | None = None
    error: str | None = None
    retryable: bool = True


class Sender(Protocol):
    """A channel's adapter (SES, the SMS provider, Telegram, Viber)."""

    def send(self, delivery: Delivery) -> DeliveryResult: ...


class Box(Protocol):
    """The outgoing messages: a due one is claimed for one attempt, then settled."""

    def claim(self, message: OutgoingMessage, now: datetime) -> OutgoingMessage | None: ...
    def settle(
        self, message: OutgoingMessage, now: datetime, also: Callable[[UnitOfWork], None] | None = None
    ) -> bool: ...
    def defer(self, message: OutgoingMessage, until: datetime) -> bool: ...
    def suppressed(self, addresses: list[str]) -> set[str]: ...
    def remember_provider_id(self, unit: UnitOfWork, provider_id: str, message_id: str) -> None: ...


class Cards(Protocol):
    def get(self, client_id: str) -> ContactCard | None: ...


class MailingCounters(Protocol):
    def add_to(self, unit: UnitOfWork, mailing_id: str, counter: str) -> None: ...


@dataclass
class Courier:
    """Delivers due messages as of `now`, for one run of the schedule."""

    box: Box
    cards: Cards
    templates: templates.Templates
    mailings: MailingCounters
    sender: Callable[[str], Sender]
    quiet: QuietHours
    time_zone: str
    link_secret: str
    public_base_url: str
    now: datetime
    # Called with the client of a message just sent to them (a contact, for the segments).
    contacted: Callable[[str], None] = lambda client_id: None

    def deliver(self, message: OutgoingMessage, mailing_status: str | None = None) -> Outcome:
        """One attempt at `message`: what became of it."""
        card = self.cards.get(message.client_id) if message.client_id else None
        if message.mailing_id and (
            mailing_status == "cancelled" or card is None or not card.marketing_consent
        ):
            # The mailing was cancelled, or the client withdrew consent after it was queued.
            return self._drop(message)
        addresses = _addresses(message, card)
        suppressed = self.box.suppressed([address for channel, address in addresses if channel == "email"])
        # An address that bounced for good or complained gets no e-mail: the next channel is tried.
        addresses = [(c, a) for c, a in addresses if c != "email" or a.casefold() not in suppressed]
        if message.client_id and addresses and addresses[0][0] in LOUD_CHANNELS:
            morning = morning_after(self.quiet, self.now, self.time_zone)
            if morning is not None:
                return "deferred" if self.box.defer(message, morning) else "overtaken"
        claimed = self.box.claim(message, self.now)
        if claimed is None:
            return "overtaken"
        log = list(claimed.log)
        result = DeliveryResult(ok=False, error="No address on any channel", retryable=False)
        retryable = False
        for channel, address in addresses:
            try:
                delivery = self.render(claimed, card, channel, address)
            except Problem as problem:
                reasons = "; ".join(str(e.get("message", "")) for e in problem.errors)
                result = DeliveryResult(
                    ok=False, error=f"Template: {reasons or problem.detail}"[:300], retryable=False
                )
            else:
                result = self.sender(channel).send(delivery)
            log.append(
                Attempt(
                    at=self.now,
                    channel=channel,
                    outcome="sent" if result.ok else "failed",
                    provider_message_id=result.provider_message_id,
                    error=result.error,
                )
            )
            if result.ok:
                break
            retryable = retryable or result.retryable
        settled = _settled(claimed, result, log, retryable, self.now)
        if not self.box.settle(settled, self.now, self._with_settle(settled)):
            return "overtaken"
        if result.ok and settled.client_id and not settled.mailing_id:
            # A message to the client is a contact (a mailing is not: "no contact for 90 days"
            # is the segment a newsletter is for).
            self.contacted(settled.client_id)
        if result.ok:
            return "sent"
        return "retrying" if settled.status == "retrying" else "parked"

    def render(self, message: OutgoingMessage, card: ContactCard | None, channel: str, to: str) -> Delivery:
        """`message` as it goes out on `channel` to `to`: its template in the client's
        language (or the text as staff wrote it), the unsubscribe link and footer of a
        mailing, and the headers that keep an e-mail reply in its thread."""
        variables: dict[str, Any] = {"client_name": card.name if card else "", **message.variables}
        if message.template is not None:
            found = templates.find(self.templates, message.template, channel, card.locale if card else "uk")
            if found is None:
                raise Problem.not_found(f"The template {message.template}")
            rendered = templates.render(found.subject, found.body, channel, variables)
        else:
            # A reply written by staff is sent as written: it is not a template.
            rendered = templates.as_written(message.subject, message.text or "", channel)
        unsubscribe = None
        text, html, subject = rendered.text, rendered.html, rendered.subject
        base = self.public_base_url.rstrip("/")
        if (channel == "email" or message.mailing_id) and message.client_id:
            signature = links.sign(self.link_secret, UNSUBSCRIBE, message.client_id)
            query = urlencode({"client": message.client_id, "signature": signature})
            unsubscribe = f"{base}/api/clients/public/unsubscribe?{query}"
        if message.test_of:
            # A test copy shows where the link goes, but it is no client's: it withdraws nothing.
            unsubscribe = f"{base}/api/clients/public/unsubscribe?test=1"
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

    def _drop(self, message: OutgoingMessage) -> Outcome:
        claimed = self.box.claim(message, self.now)
        if claimed is None:
            return "overtaken"
        dropped = claimed.model_copy(
            update={"status": "cancelled", "last_error": "Not sent: mailing stopped"}
        )
        return (
            "cancelled"
            if self.box.settle(dropped, self.now, self._count_in_mailing(dropped))
            else "overtaken"
        )

    def _with_settle(self, message: OutgoingMessage) -> Callable[[UnitOfWork], None] | None:
        """Writes that go with a settled message: its mailing's counters, and for an e-mail the
        pointer from SES's message id that SES's reports will name it by."""
        count = self._count_in_mailing(message)
        provider_id = message.provider_message_id if message.channel_used == "email" else None
        if provider_id is None:
            return count
        box = self.box

        def both(unit: UnitOfWork) -> None:
            box.remember_provider_id(unit, provider_id, message.id)
            if count is not None:
                count(unit)

        return both

    def _count_in_mailing(self, message: OutgoingMessage) -> Callable[[UnitOfWork], None] | None:
        """A mailing's message, settled for good, adds to the mailing's counters with it."""
        counter = {"sent": "sent", "parked": "failed", "cancelled": "cancelled_messages"}.get(message.status)
        if message.mailing_id is None or counter is None:
            return None
        mailing_id, mailings = message.mailing_id, self.mailings
        return lambda unit: mailings.add_to(unit, mailing_id, counter)


def _settled(
    claimed: OutgoingMessage, result: DeliveryResult, log: list[Attempt], retryable: bool, now: datetime
) -> OutgoingMessage:
    """The claimed message after its attempt: sent, due again later, or parked."""
    if result.ok:
        return claimed.model_copy(
            update={
                "status": "sent",
                "channel_used": log[-1].channel,
                "provider_message_id": result.provider_message_id,
                "last_error": None,
                "log": log,
            }
        )
    retry_at = outbox.next_attempt(claimed.attempts, now) if retryable else None
    return claimed.model_copy(
        update={
            "status": "retrying" if retry_at else "parked",
            "due_at": retry_at or claimed.due_at,
            "last_error": result.error,
            "log": log,
        }
    )


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
