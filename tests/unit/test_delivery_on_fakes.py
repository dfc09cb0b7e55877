"""Delivering a message (domain.delivery's Courier) on the in-memory stores, with a fake
channel per provider: the fallback, quiet hours, retries, parking and suppression rules in
milliseconds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chalicelib.notifications.domain.contacts import ContactCard
from chalicelib.notifications.domain.delivery import Courier, Delivery, DeliveryResult
from chalicelib.notifications.domain.messages import OutgoingMessage
from chalicelib.notifications.domain.quiet import QuietHours

from lanka_platform.memory import MemoryUnitOfWork
from tests.fakes.notifications import InMemoryContacts, InMemoryMailings, InMemoryMessages, InMemoryTemplates

DAY = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)  # 10:00 in Kyiv
NIGHT = datetime(2026, 12, 9, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv


@dataclass
class Channel:
    """A provider that answers as told, and keeps what it was sent."""

    answers: list[DeliveryResult] = field(default_factory=list)
    sent: list[Delivery] = field(default_factory=list)

    def send(self, delivery: Delivery) -> DeliveryResult:
        self.sent.append(delivery)
        return self.answers.pop(0) if self.answers else DeliveryResult(ok=True, provider_message_id="p1")


@dataclass
class Office:
    now: datetime = DAY
    box: InMemoryMessages = field(default_factory=InMemoryMessages)
    cards: InMemoryContacts = field(default_factory=InMemoryContacts)
    channels: dict[str, Channel] = field(
        default_factory=lambda: {c: Channel() for c in ("email", "sms", "telegram", "viber")}
    )
    contacted: list[str] = field(default_factory=list)

    def client(self, **fields: object) -> ContactCard:
        card = ContactCard(client_id="c1", name="Олена", **fields)  # type: ignore[arg-type]
        self.cards.cards["c1"] = card
        return card

    def queue(self, **fields: object) -> OutgoingMessage:
        values: dict[str, object] = {
            "id": "m1",
            "client_id": "c1",
            "template": None,
            "text": "Ваше замовлення готове",
            "requested_at": self.now,
            "due_at": self.now,
        }
        values.update(fields)
        message = OutgoingMessage(**values)  # type: ignore[arg-type]
        unit = MemoryUnitOfWork()
        self.box.add(unit, message)
        unit.commit()
        return message

    def courier(self) -> Courier:
        return Courier(
            box=self.box,
            cards=self.cards,
            templates=InMemoryTemplates(),
            mailings=InMemoryMailings(),
            sender=lambda channel: self.channels[channel],
            quiet=QuietHours(),
            time_zone="Europe/Kyiv",
            link_secret="test-link-secret",
            public_base_url="https://crm.example",
            now=self.now,
            contacted=self.contacted.append,
        )


def test_a_message_goes_on_the_clients_first_channel_and_counts_as_a_contact():
    # given
    office = Office()
    office.client(phones=["+380671234567"], emails=["olena@example.com"], preferred_channel="email")
    message = office.queue()
    # when
    outcome = office.courier().deliver(message)
    # then
    assert outcome == "sent"
    assert [d.to for d in office.channels["email"].sent] == ["olena@example.com"]
    assert office.box.get("m1").status == "sent"
    assert office.contacted == ["c1"]


def test_a_provider_that_fails_hands_the_message_to_the_next_channel():
    # given e-mail refuses it
    office = Office()
    office.client(phones=["+380671234567"], emails=["olena@example.com"], preferred_channel="email")
    office.channels["email"].answers = [DeliveryResult(ok=False, error="SES throttled")]
    # when
    outcome = office.courier().deliver(office.queue())
    # then it went by SMS, and the log tells both attempts
    sent = office.box.get("m1")
    assert (outcome, sent.channel_used) == ("sent", "sms")
    assert [(a.channel, a.outcome) for a in sent.log] == [("email", "failed"), ("sms", "sent")]


def test_a_text_message_to_a_client_waits_for_the_morning_in_quiet_hours():
    # given it is 23:30 in Kyiv and the client is reached by SMS
    office = Office(now=NIGHT)
    office.client(phones=["+380671234567"])
    # when
    outcome = office.courier().deliver(office.queue())
    # then nothing was sent, and it is due at 08:00 Kyiv
    assert outcome == "deferred"
    assert office.channels["sms"].sent == []
    assert office.box.get("m1").due_at == datetime(2026, 12, 10, 6, 0, tzinfo=UTC)


def test_an_email_is_not_held_by_quiet_hours():
    # given
    office = Office(now=NIGHT)
    office.client(emails=["olena@example.com"])
    # when / then
    assert office.courier().deliver(office.queue()) == "sent"


def test_a_message_every_channel_failed_for_a_while_is_tried_again_later():
    # given
    office = Office()
    office.client(emails=["olena@example.com"])
    office.channels["email"].answers = [DeliveryResult(ok=False, error="timeout", retryable=True)]
    # when
    outcome = office.courier().deliver(office.queue())
    # then
    again = office.box.get("m1")
    assert (outcome, again.status, again.last_error) == ("retrying", "retrying", "timeout")
    assert again.due_at > DAY


def test_a_message_no_channel_can_ever_take_is_parked():
    # given an address the provider refuses for good
    office = Office()
    office.client(emails=["olena@example.com"])
    office.channels["email"].answers = [DeliveryResult(ok=False, error="bad address", retryable=False)]
    # when
    outcome = office.courier().deliver(office.queue())
    # then
    assert (outcome, office.box.get("m1").status) == ("parked", "parked")
    assert office.contacted == []


def test_a_bounced_address_gets_no_email_and_the_next_channel_is_tried():
    # given the client's e-mail bounced for good
    office = Office()
    office.client(emails=["Olena@Example.com"], phones=["+380671234567"], preferred_channel="email")
    unit = MemoryUnitOfWork()
    office.box.suppress(unit, "olena@example.com", "bounce", DAY - timedelta(days=1))
    unit.commit()
    # when
    outcome = office.courier().deliver(office.queue())
    # then
    assert (outcome, office.box.get("m1").channel_used) == ("sent", "sms")
    assert office.channels["email"].sent == []


def test_a_mailings_message_to_a_client_who_withdrew_consent_is_dropped():
    # given
    office = Office()
    office.client(emails=["olena@example.com"], marketing_consent=False)
    message = office.queue(mailing_id="ml1")
    # when
    outcome = office.courier().deliver(message, "sending")
    # then
    assert (outcome, office.box.get("m1").status) == ("cancelled", "cancelled")
    assert office.channels["email"].sent == []


def test_an_email_to_a_client_carries_a_signed_unsubscribe_link():
    # given
    office = Office()
    office.client(emails=["olena@example.com"])
    # when
    office.courier().deliver(office.queue())
    # then
    link = office.channels["email"].sent[0].unsubscribe_url or ""
    assert link.startswith("https://crm.example/api/clients/public/unsubscribe?client=c1&signature=")
