"""The notifications service's stores and their in-memory fakes (tests/fakes/notifications.py)
hold to one contract: every behaviour below runs on both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from chalicelib.notifications.domain.alerts import StaffAlert, Subscription
from chalicelib.notifications.domain.contacts import ContactCard
from chalicelib.notifications.domain.digest import DayStats
from chalicelib.notifications.domain.inbound import (
    Attachment as InboundAttachment,
)
from chalicelib.notifications.domain.inbound import (
    CallDetails,
    ConversationEntry,
    ConversationSummary,
    InboundMessage,
    KnownClient,
    Sender,
)
from chalicelib.notifications.domain.mailings import Audience, Mailing, MailingPace, Profile, Segment
from chalicelib.notifications.domain.messages import Attachment, Attempt, OutgoingMessage
from chalicelib.notifications.domain.quiet import QuietHours
from chalicelib.notifications.domain.templates import Template, template_id
from chalicelib.notifications.store.conversations import ALL, owner_inbox
from chalicelib.notifications.store.messages import CLAIM_LEASE
from store_contract import NOW, Subject, on_memory, on_moto

from lanka_platform.clock import to_iso
from lanka_platform.problems import Problem
from lanka_platform.storage import ConditionFailed
from tests.fakes import notifications as fakes

SERVICE = "notifications"
TODAY = date(2026, 12, 9)


def _collect(
    read: Callable[[str | None, int], tuple[list[Any], str | None]], limit: int, ident: str = "id"
) -> list[str]:
    """Every page of a paged read, the ids in order."""
    seen: list[str] = []
    cursor = None
    while True:
        items, cursor = read(cursor, limit)
        seen += [getattr(item, ident) for item in items]
        if cursor is None:
            return seen


# ------------------------------------------------------------------------------ reminders


class ReminderContract:
    """`ReminderStore`: the ids of the reminders still due, kept per booking."""

    @pytest.fixture
    def reminders(self) -> Subject[Any]:
        raise NotImplementedError

    def test_the_reminders_kept_for_a_booking_read_back_in_their_order(self, reminders):
        # when
        reminders.commit(lambda unit: reminders.store.keep(unit, "b1", ["b1.remind1440.0", "b1.remind120.0"]))
        # then
        assert reminders.store.of_booking("b1") == ["b1.remind1440.0", "b1.remind120.0"]
        assert reminders.store.of_booking("b2") == []

    def test_keeping_again_replaces_the_list(self, reminders):
        # given
        reminders.commit(lambda unit: reminders.store.keep(unit, "b1", ["a", "b"]))
        # when
        reminders.commit(lambda unit: reminders.store.keep(unit, "b1", []))
        # then
        assert reminders.store.of_booking("b1") == []


class TestRemindersInMemory(ReminderContract):
    @pytest.fixture
    def reminders(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryReminders())


class TestRemindersOnMoto(ReminderContract):
    @pytest.fixture
    def reminders(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import ReminderStore

        return on_moto(world, SERVICE, ReminderStore)


# ------------------------------------------------------------------------------ contacts


def _card(client_id: str, **fields: Any) -> ContactCard:
    values: dict[str, Any] = {
        "client_id": client_id,
        "name": f"Client {client_id}",
        "phones": ["+380671234567"],
    }
    values.update(fields)
    return ContactCard(**values)


class ContactContract:
    """`ContactStore`: a client's contact card with its version; a merged client points at
    the survivor's card."""

    @pytest.fixture
    def contacts(self) -> Subject[Any]:
        raise NotImplementedError

    def test_a_card_reads_back_as_put_with_its_version(self, contacts):
        # given
        card = _card("c1", emails=["olena@example.com"], tags=["vip"], marketing_consent=True, version=3)
        # when
        contacts.commit(lambda unit: contacts.store.put(unit, card))
        # then
        assert contacts.store.get("c1") == card
        assert contacts.store.own("c1") == card
        assert contacts.store.version("c1") == 3

    def test_an_unknown_client_has_no_card_and_version_zero(self, contacts):
        # when / then
        assert contacts.store.get("nobody") is None
        assert contacts.store.own("nobody") is None
        assert contacts.store.version("nobody") == 0

    def test_a_put_with_the_version_read_replaces_the_card(self, contacts):
        # given
        contacts.commit(lambda unit: contacts.store.put(unit, _card("c1", version=1)))
        # when
        contacts.commit(lambda unit: contacts.store.put(unit, _card("c1", name="Renamed", version=2), 1))
        # then
        after = contacts.store.get("c1")
        assert (after.name, after.version) == ("Renamed", 2)

    def test_a_put_with_a_stale_version_fails_and_changes_nothing(self, contacts):
        # given
        contacts.commit(lambda unit: contacts.store.put(unit, _card("c1", version=1)))
        contacts.commit(lambda unit: contacts.store.put(unit, _card("c1", name="Second", version=2), 1))
        # when
        with pytest.raises(ConditionFailed) as failed:
            contacts.commit(lambda unit: contacts.store.put(unit, _card("c1", name="Late", version=2), 1))
        # then
        assert failed.value.tag == "contact-card-changed"
        assert (contacts.store.get("c1").name, contacts.store.version("c1")) == ("Second", 2)

    def test_a_put_with_a_read_version_for_a_client_not_yet_known_writes_the_card(self, contacts):
        # when
        contacts.commit(lambda unit: contacts.store.put(unit, _card("c1", version=4), 3))
        # then
        assert contacts.store.version("c1") == 4

    def test_a_merged_clients_card_is_the_survivors_and_it_has_none_of_its_own(self, contacts):
        # given
        def write(unit: Any) -> None:
            contacts.store.put(unit, _card("merged", version=2))
            contacts.store.put(unit, _card("survivor", version=5))

        contacts.commit(write)
        # when
        contacts.commit(lambda unit: contacts.store.merged(unit, "merged", "survivor"))
        # then
        assert contacts.store.get("merged").client_id == "survivor"
        assert contacts.store.own("merged") is None
        assert contacts.store.version("merged") == 0
        assert list(contacts.store.many(["merged", "survivor"])) == ["survivor"]

    def test_a_merged_client_whose_survivor_has_no_card_has_none(self, contacts):
        # when
        contacts.commit(lambda unit: contacts.store.merged(unit, "merged", "unknown"))
        # then
        assert contacts.store.get("merged") is None

    def test_many_gives_the_cards_of_the_known_clients_by_id(self, contacts):
        # given
        def write(unit: Any) -> None:
            contacts.store.put(unit, _card("a"))
            contacts.store.put(unit, _card("b"))

        contacts.commit(write)
        # when
        found = contacts.store.many(["b", "missing", "a", "a"])
        # then
        assert sorted(found) == ["a", "b"]
        assert found["a"] == _card("a")
        assert contacts.store.many([]) == {}

    def test_a_forgotten_client_has_no_card(self, contacts):
        # given
        contacts.commit(lambda unit: contacts.store.put(unit, _card("c1", version=2)))
        # when
        contacts.commit(lambda unit: contacts.store.forget(unit, "c1"))
        # then
        assert contacts.store.get("c1") is None
        assert contacts.store.version("c1") == 0


class TestContactsInMemory(ContactContract):
    @pytest.fixture
    def contacts(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryContacts())


class TestContactsOnMoto(ContactContract):
    @pytest.fixture
    def contacts(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import ContactStore

        return on_moto(world, SERVICE, ContactStore)


# ------------------------------------------------------------------------------ settings


class SettingsContract:
    """`SettingsStore`: the company's quiet hours and mailing pace, defaults until saved."""

    @pytest.fixture
    def settings(self) -> Subject[Any]:
        raise NotImplementedError

    def test_without_saved_settings_the_defaults_apply(self, settings):
        # when / then
        assert settings.store.quiet_hours() == QuietHours()
        assert settings.store.mailing_pace() == MailingPace()

    def test_saved_quiet_hours_read_back_and_a_second_save_replaces_them(self, settings):
        # given
        settings.commit(lambda unit: settings.store.save_quiet_hours(unit, QuietHours(start="22:00")))
        # when
        settings.commit(lambda unit: settings.store.save_quiet_hours(unit, QuietHours(enabled=False)))
        # then
        assert settings.store.quiet_hours() == QuietHours(enabled=False)
        assert settings.store.mailing_pace() == MailingPace()

    def test_a_saved_mailing_pace_reads_back(self, settings):
        # when
        settings.commit(lambda unit: settings.store.save_mailing_pace(unit, MailingPace(per_minute=42)))
        # then
        assert settings.store.mailing_pace().per_minute == 42
        assert settings.store.quiet_hours() == QuietHours()


class TestSettingsInMemory(SettingsContract):
    @pytest.fixture
    def settings(self) -> Subject[Any]:
        return on_memory(fakes.InMemorySettings())


class TestSettingsOnMoto(SettingsContract):
    @pytest.fixture
    def settings(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import SettingsStore

        return on_moto(world, SERVICE, SettingsStore)


# ------------------------------------------------------------------------------ pace


class PaceContract:
    """`PaceStore`: messages of mailings sent per minute (written at once, not in a unit)."""

    @pytest.fixture
    def pace(self) -> Subject[Any]:
        raise NotImplementedError

    def test_a_minute_without_mailings_used_nothing(self, pace):
        # when / then
        assert pace.store.used(NOW) == 0

    def test_what_is_sent_within_one_minute_adds_up(self, pace):
        # when
        pace.store.add(NOW, 3)
        pace.store.add(NOW + timedelta(seconds=30), 4)
        # then
        assert pace.store.used(NOW + timedelta(seconds=59)) == 7

    def test_each_minute_counts_on_its_own(self, pace):
        # when
        pace.store.add(NOW, 5)
        # then
        assert pace.store.used(NOW + timedelta(minutes=1)) == 0
        assert pace.store.used(NOW - timedelta(seconds=1)) == 0


class TestPaceInMemory(PaceContract):
    @pytest.fixture
    def pace(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryPace())


class TestPaceOnMoto(PaceContract):
    @pytest.fixture
    def pace(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import PaceStore

        return on_moto(world, SERVICE, PaceStore)


# ------------------------------------------------------------------------------ inbound


def _inbound(message_id: str, **fields: Any) -> InboundMessage:
    values: dict[str, Any] = {
        "id": message_id,
        "channel": "telegram",
        "sender": Sender(name="Олена", telegram="olena", telegram_chat="42"),
        "text": "Добрий день",
        "received_at": NOW,
    }
    values.update(fields)
    return InboundMessage(**values)


def _call(provider: str = "binotel") -> CallDetails:
    return CallDetails(provider=provider, direction="in", state="answered", answered=True, started_at=NOW)


class InboundContract:
    """`InboundStore`: inbound messages by id (filed once to a client), calls under way,
    website forms' Idempotency-Keys."""

    @pytest.fixture
    def inbound(self) -> Subject[Any]:
        raise NotImplementedError

    def test_a_message_reads_back_as_added(self, inbound):
        # given
        message = _inbound("tg-1", subject="Кухня")
        # when
        inbound.commit(lambda unit: inbound.store.add(unit, message))
        # then
        assert inbound.store.get("tg-1") == message
        assert inbound.store.get("tg-2") is None

    def test_the_same_message_added_twice_is_a_409_and_the_first_stays(self, inbound):
        # given
        inbound.commit(lambda unit: inbound.store.add(unit, _inbound("tg-1", text="First")))
        # when
        with pytest.raises(Problem) as conflict:
            inbound.commit(lambda unit: inbound.store.add(unit, _inbound("tg-1", text="Second")))
        # then
        assert conflict.value.status == 409
        assert inbound.store.get("tg-1").text == "First"

    def test_a_message_is_attached_to_its_client(self, inbound):
        # given
        message = _inbound("tg-1")
        inbound.commit(lambda unit: inbound.store.add(unit, message))
        # when
        inbound.commit(lambda unit: inbound.store.attach(unit, message, "c1"))
        # then
        assert inbound.store.get("tg-1") == message.model_copy(update={"client_id": "c1"})

    def test_a_second_attachment_is_stale_and_the_first_client_stays(self, inbound):
        # given
        message = _inbound("tg-1")
        inbound.commit(lambda unit: inbound.store.add(unit, message))
        inbound.commit(lambda unit: inbound.store.attach(unit, message, "c1"))
        # when
        with pytest.raises(ConditionFailed) as failed:
            inbound.commit(lambda unit: inbound.store.attach(unit, message, "c2"))
        # then
        assert failed.value.tag == "stale:attached"
        assert inbound.store.get("tg-1").client_id == "c1"

    def test_scrubbing_forgets_who_wrote_and_what_they_said(self, inbound):
        # given
        message = _inbound(
            "mail-1",
            channel="email",
            sender=Sender(name="Олена", email="olena@example.com"),
            subject="Кухня",
            text="Мій телефон +380671234567",
            attachments=[
                InboundAttachment(name="plan.pdf", content_type="application/pdf", size=10, key="k")
            ],
            mail_id="<abc@example.com>",
        )
        inbound.commit(lambda unit: inbound.store.add(unit, message))
        inbound.commit(lambda unit: inbound.store.attach(unit, message, "c1"))
        # when
        inbound.store.scrub(["mail-1", "missing"])
        # then
        after = inbound.store.get("mail-1")
        assert (after.sender, after.text, after.subject, after.attachments, after.mail_id) == (
            Sender(),
            "",
            None,
            [],
            None,
        )
        assert (after.client_id, after.channel, after.received_at) == ("c1", "email", NOW)
        assert inbound.store.get("missing") is None

    def test_a_call_under_way_reads_back_with_the_other_partys_number(self, inbound):
        # given
        details = _call("binotel")
        # when
        inbound.commit(lambda unit: inbound.store.save_call(unit, "call-1", details, "+380671234567"))
        # then
        assert inbound.store.call("binotel", "call-1") == (details, "+380671234567")
        assert inbound.store.call("ringostat", "call-1") == (None, None)

    def test_a_call_saved_again_replaces_what_was_known(self, inbound):
        # given
        inbound.commit(lambda unit: inbound.store.save_call(unit, "call-1", _call(), None))
        ended = _call().model_copy(update={"state": "ended", "duration_seconds": 65})
        # when
        inbound.commit(lambda unit: inbound.store.save_call(unit, "call-1", ended, "+380671234567"))
        # then
        assert inbound.store.call("binotel", "call-1") == (ended, "+380671234567")

    def test_a_form_key_is_claimed_with_its_request_for_a_day(self, inbound):
        # when
        inbound.commit(lambda unit: inbound.store.claim_form_key(unit, "key-12345", "hash-1", "r1", NOW))
        # then
        kept = inbound.store.form_key("key-12345")
        assert (kept.request_hash, kept.request_id, kept.expires_at) == (
            "hash-1",
            "r1",
            NOW + timedelta(days=1),
        )
        assert inbound.store.form_key("key-other") is None

    def test_a_form_key_is_kept_until_a_whole_second(self, inbound):
        # when
        claimed_at = NOW + timedelta(milliseconds=750)
        inbound.commit(
            lambda unit: inbound.store.claim_form_key(unit, "key-12345", "hash-1", "r1", claimed_at)
        )
        # then
        assert inbound.store.form_key("key-12345").expires_at == NOW + timedelta(days=1)

    def test_a_form_key_claimed_twice_is_a_409_and_the_first_request_stays(self, inbound):
        # given
        inbound.commit(lambda unit: inbound.store.claim_form_key(unit, "key-12345", "hash-1", "r1", NOW))
        # when
        with pytest.raises(Problem) as conflict:
            inbound.commit(lambda unit: inbound.store.claim_form_key(unit, "key-12345", "hash-2", "r2", NOW))
        # then
        assert conflict.value.status == 409
        assert inbound.store.form_key("key-12345").request_id == "r1"


class TestInboundInMemory(InboundContract):
    @pytest.fixture
    def inbound(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryInbound())


class TestInboundOnMoto(InboundContract):
    @pytest.fixture
    def inbound(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import InboundStore

        return on_moto(world, SERVICE, InboundStore)


# ------------------------------------------------------------------------------ conversations


def _entry(entry_id: str, client_id: str = "c1", minutes: int = 0, **fields: Any) -> ConversationEntry:
    values: dict[str, Any] = {
        "id": entry_id,
        "client_id": client_id,
        "direction": "in",
        "channel": "telegram",
        "kind": "message",
        "at": NOW + timedelta(minutes=minutes),
        "text": f"Text {entry_id}",
    }
    values.update(fields)
    return ConversationEntry(**values)


def _summary(client_id: str, minutes: int = 0, **fields: Any) -> ConversationSummary:
    values: dict[str, Any] = {
        "client_id": client_id,
        "client_name": f"Client {client_id}",
        "last_at": NOW + timedelta(minutes=minutes),
        "last_direction": "in",
        "last_channel": "telegram",
        "preview": f"Last of {client_id}",
    }
    values.update(fields)
    return ConversationSummary(**values)


def _ids(items: list[Any], ident: str = "id") -> list[str]:
    return [getattr(item, ident) for item in items]


class ConversationContract:
    """`ConversationStore`: clients' conversations newest first, the inbox (all and each
    owner's), the clients notifications knows, e-mail threads; a merge's move and an
    erasure's scrub."""

    @pytest.fixture
    def conversations(self) -> Subject[Any]:
        raise NotImplementedError

    def test_a_conversation_reads_newest_first(self, conversations):
        # given
        def write(unit: Any) -> None:
            conversations.store.add_entry(unit, _entry("old", minutes=-60))
            conversations.store.add_entry(unit, _entry("new", minutes=5, direction="out", kind="reply"))
            conversations.store.add_entry(unit, _entry("mid", minutes=0))
            conversations.store.add_entry(unit, _entry("other", client_id="c2"))

        conversations.commit(write)
        # when
        entries, _ = conversations.store.page("c1", None, 10)
        # then
        assert _ids(entries) == ["new", "mid", "old"]
        assert entries[0] == _entry("new", minutes=5, direction="out", kind="reply")

    def test_an_entry_written_again_is_one_entry(self, conversations):
        # given
        conversations.commit(lambda unit: conversations.store.add_entry(unit, _entry("e1")))
        # when
        conversations.commit(lambda unit: conversations.store.add_entry(unit, _entry("e1", status="sent")))
        # then
        entries, _ = conversations.store.page("c1", None, 10)
        assert [(entry.id, entry.status) for entry in entries] == [("e1", "sent")]

    def test_pages_of_a_conversation_hold_each_entry_once_in_order(self, conversations):
        # given
        def write(unit: Any) -> None:
            for number in range(7):
                conversations.store.add_entry(unit, _entry(f"e{number}", minutes=number))

        conversations.commit(write)
        # when
        seen = _collect(lambda cursor, limit: conversations.store.page("c1", cursor, limit), 3)
        # then
        assert seen == [f"e{number}" for number in reversed(range(7))]

    def test_a_summary_reads_back_with_its_reply_address(self, conversations):
        # given
        summary = _summary(
            "c1", owner_id="o1", reply_channel="telegram", reply_address="42", last_mail_id="<m>"
        )
        # when
        conversations.commit(lambda unit: conversations.store.put_summary(unit, summary))
        # then
        found = conversations.store.summary("c1")
        assert found == summary
        assert found.reply_address == "42"
        assert conversations.store.summary("c2") is None

    def test_the_inbox_of_all_is_newest_first_and_an_owners_holds_only_their_clients(self, conversations):
        # given
        def write(unit: Any) -> None:
            conversations.store.put_summary(unit, _summary("a", minutes=1, owner_id="olena"))
            conversations.store.put_summary(unit, _summary("b", minutes=3, owner_id="petro"))
            conversations.store.put_summary(unit, _summary("c", minutes=2, owner_id="olena"))
            conversations.store.put_summary(unit, _summary("d", minutes=4))

        conversations.commit(write)
        # when
        everyone, _ = conversations.store.inbox(ALL, None, 10)
        olenas, _ = conversations.store.inbox(owner_inbox("olena"), None, 10)
        nobodys, _ = conversations.store.inbox(owner_inbox(None), None, 10)
        # then
        assert _ids(everyone, "client_id") == ["d", "b", "c", "a"]
        assert _ids(olenas, "client_id") == ["c", "a"]
        assert _ids(nobodys, "client_id") == ["d"]
        assert conversations.store.inbox(owner_inbox("ivan"), None, 10)[0] == []

    def test_a_new_line_of_a_client_replaces_theirs_and_a_new_owner_takes_it(self, conversations):
        # given
        conversations.commit(
            lambda unit: conversations.store.put_summary(unit, _summary("a", owner_id="olena"))
        )
        # when
        conversations.commit(
            lambda unit: conversations.store.put_summary(unit, _summary("a", minutes=1, owner_id="petro"))
        )
        # then
        assert _ids(conversations.store.inbox(ALL, None, 10)[0], "client_id") == ["a"]
        assert conversations.store.inbox(owner_inbox("olena"), None, 10)[0] == []
        assert _ids(conversations.store.inbox(owner_inbox("petro"), None, 10)[0], "client_id") == ["a"]

    def test_the_inbox_carries_each_lines_reply_address(self, conversations):
        # given
        summary = _summary("a", reply_channel="sms", reply_address="+380671234567")
        conversations.commit(lambda unit: conversations.store.put_summary(unit, summary))
        # when
        lines, _ = conversations.store.inbox(ALL, None, 10)
        # then
        assert lines == [summary]
        assert lines[0].reply_address == "+380671234567"

    def test_pages_of_the_inbox_hold_each_line_once_in_order(self, conversations):
        # given
        def write(unit: Any) -> None:
            for number in range(7):
                conversations.store.put_summary(
                    unit, _summary(f"c{number}", minutes=number, owner_id="olena")
                )

        conversations.commit(write)
        # when
        everyone = _collect(
            lambda cursor, limit: conversations.store.inbox(ALL, cursor, limit), 3, "client_id"
        )
        olenas = _collect(
            lambda cursor, limit: conversations.store.inbox(owner_inbox("olena"), cursor, limit),
            2,
            "client_id",
        )
        # then
        assert everyone == olenas == [f"c{number}" for number in reversed(range(7))]

    def test_a_known_client_reads_back(self, conversations):
        # when
        conversations.commit(
            lambda unit: conversations.store.put_client(unit, "c1", "Олена", "o1", 3, merged_into="c0")
        )
        # then
        assert conversations.store.client("c1") == KnownClient(
            client_id="c1", name="Олена", owner_id="o1", client_version=3, merged_into="c0"
        )
        assert conversations.store.client("c2") is None

    def test_a_known_client_put_again_is_replaced(self, conversations):
        # given
        conversations.commit(lambda unit: conversations.store.put_client(unit, "c1", "Олена", "o1", 3))
        # when
        conversations.commit(lambda unit: conversations.store.put_client(unit, "c1", None, None, 4))
        # then
        assert conversations.store.client("c1") == KnownClient("c1", None, None, 4, None)

    def test_a_mail_thread_names_the_client_of_the_first_message_known(self, conversations):
        # given
        def write(unit: Any) -> None:
            conversations.store.remember_thread(unit, "<m1@example.com>", "c1")
            conversations.store.remember_thread(unit, "<m2@example.com>", "c2")

        conversations.commit(write)
        # when / then
        assert (
            conversations.store.thread_client(["<x@example.com>", "<m2@example.com>", "<m1@example.com>"])
            == "c2"
        )
        assert conversations.store.thread_client(["<m1@example.com>", "<m2@example.com>"]) == "c1"
        assert conversations.store.thread_client(["<x@example.com>"]) is None
        assert conversations.store.thread_client([]) is None

    def test_a_merge_refiles_the_merged_clients_conversation_under_the_survivor(self, conversations):
        # given
        def write(unit: Any) -> None:
            conversations.store.add_entry(unit, _entry("m1", client_id="merged", minutes=1))
            conversations.store.add_entry(unit, _entry("m2", client_id="merged", minutes=3))
            conversations.store.add_entry(unit, _entry("s1", client_id="survivor", minutes=2))

        conversations.commit(write)
        # when
        conversations.store.move("merged", "survivor")
        # then
        entries, _ = conversations.store.page("survivor", None, 10)
        assert [(entry.id, entry.client_id) for entry in entries] == [
            ("m2", "survivor"),
            ("s1", "survivor"),
            ("m1", "survivor"),
        ]
        assert conversations.store.page("merged", None, 10)[0] == []

    def test_a_merge_takes_the_merged_clients_newer_line_under_the_survivors_name(self, conversations):
        # given
        def write(unit: Any) -> None:
            conversations.store.put_summary(
                unit, _summary("merged", minutes=5, owner_id="o1", preview="Newer", reply_address="42")
            )
            conversations.store.put_summary(
                unit, _summary("survivor", minutes=1, owner_id="o1", preview="Older")
            )
            conversations.store.put_client(unit, "survivor", "Survivor", "o2", 7)

        conversations.commit(write)
        # when
        conversations.store.move("merged", "survivor")
        # then
        line = conversations.store.summary("survivor")
        assert (line.client_id, line.preview, line.client_name, line.owner_id, line.reply_address) == (
            "survivor",
            "Newer",
            "Survivor",
            "o2",
            "42",
        )
        assert conversations.store.summary("merged") is None
        assert _ids(conversations.store.inbox(ALL, None, 10)[0], "client_id") == ["survivor"]
        assert conversations.store.inbox(owner_inbox("o1"), None, 10)[0] == []
        assert _ids(conversations.store.inbox(owner_inbox("o2"), None, 10)[0], "client_id") == ["survivor"]

    def test_a_merge_keeps_the_survivors_newer_line(self, conversations):
        # given
        def write(unit: Any) -> None:
            conversations.store.put_summary(unit, _summary("merged", minutes=1, preview="Older"))
            conversations.store.put_summary(unit, _summary("survivor", minutes=5, preview="Newer"))

        conversations.commit(write)
        # when
        conversations.store.move("merged", "survivor")
        # then
        assert conversations.store.summary("survivor") == _summary("survivor", minutes=5, preview="Newer")
        assert _ids(conversations.store.inbox(ALL, None, 10)[0], "client_id") == ["survivor"]

    def test_a_merge_moved_again_changes_nothing_more(self, conversations):
        # given
        def write(unit: Any) -> None:
            conversations.store.add_entry(unit, _entry("m1", client_id="merged"))
            conversations.store.put_summary(unit, _summary("merged", minutes=1))

        conversations.commit(write)
        conversations.store.move("merged", "survivor")
        before = (conversations.store.page("survivor", None, 10)[0], conversations.store.summary("survivor"))
        # when
        conversations.store.move("merged", "survivor")
        # then
        assert (
            conversations.store.page("survivor", None, 10)[0],
            conversations.store.summary("survivor"),
        ) == before
        assert _ids(before[0]) == ["m1"]

    def test_scrubbing_forgets_what_a_client_said_and_their_name(self, conversations):
        # given
        attachment = InboundAttachment(name="plan.pdf", content_type="application/pdf", size=10, key="k")

        def write(unit: Any) -> None:
            conversations.store.add_entry(
                unit, _entry("in2", minutes=2, subject="Re", attachments=[attachment])
            )
            conversations.store.add_entry(unit, _entry("out1", minutes=1, direction="out", kind="reply"))
            conversations.store.add_entry(unit, _entry("in0", minutes=0))
            conversations.store.put_summary(
                unit, _summary("c1", minutes=2, owner_id="o1", reply_address="42")
            )
            conversations.store.put_client(unit, "c1", "Олена", "o1", 2)

        conversations.commit(write)
        # when
        inbound_ids = conversations.store.scrub("c1", "Erased client")
        # then
        assert inbound_ids == ["in0", "in2"]
        entries, _ = conversations.store.page("c1", None, 10)
        assert [(entry.id, entry.text, entry.subject, entry.attachments) for entry in entries] == [
            ("in2", "", None, []),
            ("out1", "", None, []),
            ("in0", "", None, []),
        ]
        line = conversations.store.summary("c1")
        assert (line.preview, line.client_name, line.reply_address, line.owner_id) == (
            "",
            "Erased client",
            None,
            "o1",
        )
        assert conversations.store.inbox(owner_inbox("o1"), None, 10)[0] == [line]
        assert conversations.store.client("c1").name == "Erased client"


class TestConversationsInMemory(ConversationContract):
    @pytest.fixture
    def conversations(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryConversations())


class TestConversationsOnMoto(ConversationContract):
    @pytest.fixture
    def conversations(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import ConversationStore

        return on_moto(world, SERVICE, ConversationStore)


# ------------------------------------------------------------------------------ digest


class DigestContract:
    """`DigestStore`: each day's numbers added up, the tasks overdue now, the digest sent once
    a day."""

    @pytest.fixture
    def digest(self) -> Subject[Any]:
        raise NotImplementedError

    def test_a_day_without_events_has_zero_numbers(self, digest):
        # when / then
        assert digest.store.stats(TODAY) == DayStats()

    def test_counted_events_add_up_per_day(self, digest):
        # given / when (one update of a day's numbers per unit, as one event makes)
        for day, counter in ((TODAY, "requests"), (TODAY, "requests"), (TODAY, "won"), (TODAY, "tasks_done")):
            digest.commit(lambda unit, day=day, counter=counter: digest.store.count(unit, day, counter))
        digest.commit(lambda unit: digest.store.count(unit, TODAY + timedelta(days=1), "lost"))
        # then
        assert digest.store.stats(TODAY) == DayStats(requests=2, won=1, tasks_done=1)
        assert digest.store.stats(TODAY + timedelta(days=1)) == DayStats(lost=1)

    def test_payments_are_counted_and_summed_per_currency(self, digest):
        # when
        for currency, amount in (("UAH", 100_000), ("UAH", 50_050), ("EUR", 2_000)):
            digest.commit(
                lambda unit, currency=currency, amount=amount: digest.store.paid(
                    unit, TODAY, currency, amount
                )
            )
        # then
        stats = digest.store.stats(TODAY)
        assert (stats.payments, stats.paid) == (3, {"UAH": 150_050, "EUR": 2_000})
        assert digest.store.stats(TODAY - timedelta(days=1)) == DayStats()

    def test_overdue_tasks_come_by_task_id_and_a_resolved_one_leaves(self, digest):
        # given
        def write(unit: Any) -> None:
            digest.store.overdue(unit, "t2", "Заміряти")
            digest.store.overdue(unit, "t1", "Зателефонувати")
            digest.store.overdue(unit, "t3", "Встановити")

        digest.commit(write)
        # when
        digest.commit(lambda unit: digest.store.resolved(unit, "t3"))
        # then
        assert digest.store.overdue_now() == (["Зателефонувати", "Заміряти"], False)

    def test_an_overdue_task_told_again_is_listed_once_with_its_new_title(self, digest):
        # given
        digest.commit(lambda unit: digest.store.overdue(unit, "t1", "Old"))
        # when
        digest.commit(lambda unit: digest.store.overdue(unit, "t1", "New"))
        # then
        assert digest.store.overdue_now() == (["New"], False)

    def test_only_the_first_twenty_overdue_tasks_are_shown_and_that_more_are_is_said(self, digest):
        # given
        def write(unit: Any) -> None:
            for number in range(25):
                digest.store.overdue(unit, f"t{number:02}", f"Task {number:02}")

        digest.commit(write)
        # when
        titles, more = digest.store.overdue_now()
        # then
        assert titles == [f"Task {number:02}" for number in range(20)]
        assert more is True

    def test_nothing_overdue_is_an_empty_list(self, digest):
        # when / then
        assert digest.store.overdue_now() == ([], False)

    def test_a_days_digest_is_marked_sent_once(self, digest):
        # given
        digest.commit(lambda unit: digest.store.mark_sent(unit, TODAY, to_iso(NOW)))
        # when
        with pytest.raises(ConditionFailed) as failed:
            digest.commit(
                lambda unit: digest.store.mark_sent(unit, TODAY, to_iso(NOW + timedelta(minutes=1)))
            )
        # then
        assert failed.value.tag == "digest-sent"
        assert digest.store.was_sent(TODAY) is True
        assert digest.store.was_sent(TODAY + timedelta(days=1)) is False


class TestDigestInMemory(DigestContract):
    @pytest.fixture
    def digest(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryDigest())


class TestDigestOnMoto(DigestContract):
    @pytest.fixture
    def digest(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import DigestStore

        return on_moto(world, SERVICE, DigestStore)


# ------------------------------------------------------------------------------ audience


class AudienceContract:
    """`AudienceStore`: each client's profile with its version as a lock, the members of each
    audience partition with their segment, and each partition's size."""

    @pytest.fixture
    def audience(self) -> Subject[Any]:
        raise NotImplementedError

    def test_a_client_without_a_profile_has_an_empty_one_at_version_zero(self, audience):
        # when / then
        assert audience.store.profile("c1") == (Profile(), 0)

    def test_a_saved_profile_reads_back_one_version_on(self, audience):
        # given
        first = Profile(deals={"d1": "p1/new"}, deal_versions={"d1": 1})
        second = first.contacted(TODAY)
        audience.commit(lambda unit: audience.store.save_profile(unit, "c1", first, 0))
        # when
        audience.commit(lambda unit: audience.store.save_profile(unit, "c1", second, 1))
        # then
        assert audience.store.profile("c1") == (second, 2)

    def test_a_profile_saved_from_a_stale_version_fails_and_changes_nothing(self, audience):
        # given
        audience.commit(lambda unit: audience.store.save_profile(unit, "c1", Profile(custom={"a": "1"}), 0))
        audience.commit(lambda unit: audience.store.save_profile(unit, "c1", Profile(custom={"a": "2"}), 1))
        # when
        with pytest.raises(ConditionFailed) as failed:
            audience.commit(
                lambda unit: audience.store.save_profile(unit, "c1", Profile(custom={"a": "3"}), 1)
            )
        # then
        assert failed.value.tag == "profile-changed"
        assert audience.store.profile("c1") == (Profile(custom={"a": "2"}), 2)

    def test_a_first_profile_saved_again_from_version_zero_fails(self, audience):
        # given
        audience.commit(lambda unit: audience.store.save_profile(unit, "c1", Profile(custom={"a": "1"}), 0))
        # when
        with pytest.raises(ConditionFailed) as failed:
            audience.commit(
                lambda unit: audience.store.save_profile(unit, "c1", Profile(custom={"a": "2"}), 0)
            )
        # then
        assert failed.value.tag == "profile-changed"
        assert audience.store.profile("c1") == (Profile(custom={"a": "1"}), 1)

    def test_a_forgotten_profile_starts_again_at_version_zero(self, audience):
        # given
        audience.commit(lambda unit: audience.store.save_profile(unit, "c1", Profile(custom={"a": "1"}), 0))
        # when
        audience.commit(lambda unit: audience.store.forget_profile(unit, "c1"))
        # then
        assert audience.store.profile("c1") == (Profile(), 0)

    def test_members_of_a_partition_come_by_client_id_after_the_one_given(self, audience):
        # given
        def write(unit: Any) -> None:
            audience.store.join(unit, "ALL", "c3", Segment(tags=["vip"]))
            audience.store.join(unit, "ALL", "c1", Segment(source="website"))
            audience.store.join(unit, "ALL", "c2", Segment())
            audience.store.join(unit, "TAG#vip", "c0", Segment(tags=["vip"]))

        audience.commit(write)
        # when
        members, more = audience.store.page("ALL", None, 10)
        after, _ = audience.store.page("ALL", "c1", 10)
        # then
        assert [(member.client_id, member.segment) for member in members] == [
            ("c1", Segment(source="website")),
            ("c2", Segment()),
            ("c3", Segment(tags=["vip"])),
        ]
        assert more is False
        assert [member.client_id for member in after] == ["c2", "c3"]

    def test_a_page_shorter_than_the_partition_says_more_follow(self, audience):
        # given
        def write(unit: Any) -> None:
            for number in range(5):
                audience.store.join(unit, "ALL", f"c{number}", Segment())

        audience.commit(write)
        # when
        members, more = audience.store.page("ALL", None, 3)
        # then
        assert [member.client_id for member in members] == ["c0", "c1", "c2"]
        assert more is True

    def test_pages_of_a_partition_hold_each_member_once_in_order(self, audience):
        # given
        def write(unit: Any) -> None:
            for number in range(7):
                audience.store.join(unit, "ALL", f"c{number}", Segment())

        audience.commit(write)
        # when
        seen: list[str] = []
        after = None
        while True:
            members, more = audience.store.page("ALL", after, 3)
            seen += [member.client_id for member in members]
            if not more:
                break
            after = members[-1].client_id
        # then
        assert seen == [f"c{number}" for number in range(7)]

    def test_a_member_joining_again_is_listed_once_with_the_new_segment(self, audience):
        # given
        audience.commit(lambda unit: audience.store.join(unit, "ALL", "c1", Segment(tags=["old"])))
        # when
        audience.commit(lambda unit: audience.store.join(unit, "ALL", "c1", Segment(tags=["new"])))
        # then
        members, _ = audience.store.page("ALL", None, 10)
        assert [(member.client_id, member.segment.tags) for member in members] == [("c1", ["new"])]

    def test_a_member_who_leaves_is_listed_no_more(self, audience):
        # given
        def write(unit: Any) -> None:
            audience.store.join(unit, "ALL", "c1", Segment())
            audience.store.join(unit, "ALL", "c2", Segment())

        audience.commit(write)
        # when
        audience.commit(lambda unit: audience.store.leave(unit, "ALL", "c1"))
        # then
        assert [member.client_id for member in audience.store.page("ALL", None, 10)[0]] == ["c2"]

    def test_a_partitions_size_is_what_was_counted_and_never_below_zero(self, audience):
        # when
        for partition, by in (("ALL", 1), ("ALL", 1), ("ALL", -1), ("TAG#vip", -1)):
            audience.commit(
                lambda unit, partition=partition, by=by: audience.store.count(unit, partition, by)
            )
        # then
        assert audience.store.size("ALL") == 1
        assert audience.store.size("TAG#vip") == 0
        assert audience.store.size("SOURCE#website") == 0

    def test_members_are_counted_by_what_their_segment_passes(self, audience):
        # given
        def write(unit: Any) -> None:
            audience.store.join(unit, "ALL", "c1", Segment(tags=["vip"]))
            audience.store.join(unit, "ALL", "c2", Segment(tags=["vip", "new"]))
            audience.store.join(unit, "ALL", "c3", Segment())
            audience.store.join(unit, "TAG#vip", "c1", Segment(tags=["vip"]))

        audience.commit(write)
        # when
        vip = audience.store.count_matching("ALL", lambda segment: "vip" in segment.tags)
        # then
        assert vip == 2
        assert audience.store.count_matching("ALL", lambda segment: True) == 3
        assert audience.store.count_matching("TAG#none", lambda segment: True) == 0


class TestAudienceInMemory(AudienceContract):
    @pytest.fixture
    def audience(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryAudience())


class TestAudienceOnMoto(AudienceContract):
    @pytest.fixture
    def audience(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import AudienceStore

        return on_moto(world, SERVICE, AudienceStore)


# ------------------------------------------------------------------------------ mailings


def _mailing(mailing_id: str, minutes: int = 0, **fields: Any) -> Mailing:
    values: dict[str, Any] = {
        "id": mailing_id,
        "name": f"Mailing {mailing_id}",
        "template": "newsletter",
        "audience": Audience(tags=["vip"]),
        "status": "scheduled",
        "start_at": NOW + timedelta(minutes=minutes),
        "created_at": NOW + timedelta(minutes=minutes),
        "created_by": "olena",
        "total": 10,
    }
    values.update(fields)
    return Mailing(**values)


class MailingContract:
    """`MailingStore`: mailings with their counters, newest first and due by their start;
    the steps of sending (start, advance, finish) and cancel; each recipient marked once."""

    @pytest.fixture
    def mailings(self) -> Subject[Any]:
        raise NotImplementedError

    def _add(self, mailings: Subject[Any], *added: Mailing) -> None:
        def write(unit: Any) -> None:
            for mailing in added:
                mailings.store.add(unit, mailing)

        mailings.commit(write)

    def test_a_mailing_reads_back_as_added(self, mailings):
        # given
        mailing = _mailing("m1", channel="email")
        # when
        self._add(mailings, mailing)
        # then
        assert mailings.store.get("m1") == mailing
        assert mailings.store.get("m2") is None

    def test_a_mailings_counters_and_cursor_are_the_stores_and_a_new_one_starts_from_none(self, mailings):
        # given
        mailing = _mailing("m1", queued=5, sent=4, cursor="c9")
        # when
        self._add(mailings, mailing)
        # then
        kept = mailings.store.get("m1")
        assert (kept.queued, kept.sent, kept.cursor) == (0, 0, None)
        assert kept.name == mailing.name

    def test_the_same_mailing_added_twice_fails_and_the_first_stays(self, mailings):
        # given
        self._add(mailings, _mailing("m1", name="First"))
        # when
        with pytest.raises(ConditionFailed) as failed:
            self._add(mailings, _mailing("m1", name="Second"))
        # then
        assert failed.value.tag == ""
        assert mailings.store.get("m1").name == "First"

    def test_the_list_is_newest_first_and_its_pages_hold_each_mailing_once(self, mailings):
        # given
        self._add(mailings, *(_mailing(f"m{number}", minutes=number) for number in range(7)))
        # when
        seen = _collect(mailings.store.page, 3)
        # then
        assert seen == [f"m{number}" for number in reversed(range(7))]
        assert mailings.store.page(None, 2)[0] == [_mailing("m6", minutes=6), _mailing("m5", minutes=5)]

    def test_the_mailings_due_are_those_starting_by_now_earliest_first(self, mailings):
        # given
        self._add(
            mailings,
            _mailing("later", minutes=1),
            _mailing("now", minutes=0),
            _mailing("earlier", minutes=-30),
            _mailing("earliest", minutes=-60),
        )
        # when
        due = mailings.store.due(NOW, 10)
        # then
        assert due == ["earliest", "earlier", "now"]
        assert mailings.store.due(NOW, 2) == ["earliest", "earlier"]
        assert mailings.store.due(NOW + timedelta(minutes=1), 10) == ["earliest", "earlier", "now", "later"]

    def test_counters_add_up(self, mailings):
        # given
        self._add(mailings, _mailing("m1"))
        # when
        mailings.commit(
            lambda unit: mailings.store.add_counts(unit, "m1", {"queued": 3, "skipped": 1, "failed": 0})
        )
        mailings.commit(lambda unit: mailings.store.add_to(unit, "m1", "sent"))
        mailings.commit(lambda unit: mailings.store.add_to(unit, "m1", "sent", 2))
        mailings.commit(lambda unit: mailings.store.add_counts(unit, "m1", {}))
        # then
        mailing = mailings.store.get("m1")
        assert (mailing.queued, mailing.skipped, mailing.sent, mailing.failed) == (3, 1, 3, 0)

    def test_a_scheduled_mailing_is_started_once(self, mailings):
        # given
        self._add(mailings, _mailing("m1"))
        read = mailings.store.get("m1")
        # when
        first, second = mailings.store.start(read), mailings.store.start(read)
        # then
        assert (first, second) == (True, False)
        assert mailings.store.get("m1").status == "sending"
        assert mailings.store.due(NOW, 10) == ["m1"]

    def test_an_unknown_mailing_is_not_started(self, mailings):
        # when / then
        assert mailings.store.start(_mailing("ghost")) is False
        assert mailings.store.get("ghost") is None

    def test_a_step_advances_the_cursor_from_the_one_it_read(self, mailings):
        # given
        self._add(mailings, _mailing("m1"))
        mailings.store.start(mailings.store.get("m1"))
        read = mailings.store.get("m1")
        # when
        first = mailings.store.advance(read, "c100")
        late = mailings.store.advance(read, "c200")
        # then
        assert (first, late) == (True, False)
        assert mailings.store.get("m1").cursor == "c100"
        assert mailings.store.advance(mailings.store.get("m1"), "c200") is True
        assert mailings.store.get("m1").cursor == "c200"

    def test_a_mailing_not_sending_does_not_advance(self, mailings):
        # given
        self._add(mailings, _mailing("m1"))
        # when
        advanced = mailings.store.advance(mailings.store.get("m1"), "c100")
        # then
        assert advanced is False
        assert mailings.store.get("m1").cursor is None

    def test_a_finished_mailing_counts_those_handled_and_is_due_no_more(self, mailings):
        # given
        self._add(mailings, _mailing("m1"))
        mailings.store.start(mailings.store.get("m1"))
        mailings.commit(lambda unit: mailings.store.add_counts(unit, "m1", {"queued": 3, "skipped": 2}))
        mailings.store.advance(mailings.store.get("m1"), "c9")
        read = mailings.store.get("m1")
        # when
        finished, again = mailings.store.finish(read), mailings.store.finish(read)
        # then
        assert (finished, again) == (True, False)
        mailing = mailings.store.get("m1")
        assert (mailing.status, mailing.total, mailing.queued, mailing.skipped, mailing.cursor) == (
            "finished",
            5,
            3,
            2,
            "c9",
        )
        assert mailings.store.due(NOW, 10) == []

    def test_a_scheduled_mailing_is_not_finished(self, mailings):
        # given
        self._add(mailings, _mailing("m1"))
        # when
        finished = mailings.store.finish(mailings.store.get("m1"))
        # then
        assert finished is False
        assert mailings.store.get("m1").status == "scheduled"

    def test_a_cancelled_mailing_is_due_no_more_and_a_second_cancel_is_a_409(self, mailings):
        # given
        self._add(mailings, _mailing("m1"), _mailing("m2"))
        read = mailings.store.get("m1")
        mailings.commit(lambda unit: mailings.store.cancel(unit, read))
        # when
        with pytest.raises(Problem) as conflict:
            mailings.commit(lambda unit: mailings.store.cancel(unit, read))
        # then
        assert conflict.value.status == 409
        assert mailings.store.get("m1").status == "cancelled"
        assert mailings.store.due(NOW, 10) == ["m2"]
        assert mailings.store.start(mailings.store.get("m1")) is False

    def test_a_mailing_being_sent_or_finished_can_be_cancelled(self, mailings):
        # given
        self._add(mailings, _mailing("sending"), _mailing("finished"))
        mailings.store.start(mailings.store.get("sending"))
        mailings.store.start(mailings.store.get("finished"))
        mailings.store.finish(mailings.store.get("finished"))

        def write(unit: Any) -> None:
            mailings.store.cancel(unit, mailings.store.get("sending"))
            mailings.store.cancel(unit, mailings.store.get("finished"))

        # when
        mailings.commit(write)
        # then
        assert [mailings.store.get(name).status for name in ("sending", "finished")] == ["cancelled"] * 2
        assert mailings.store.advance(mailings.store.get("sending"), "c1") is False

    def test_a_recipient_is_marked_once(self, mailings):
        # given
        mailings.commit(lambda unit: mailings.store.mark(unit, "m1", "c1", "queued", "mailing.m1.c1"))
        # when
        with pytest.raises(ConditionFailed) as failed:
            mailings.commit(lambda unit: mailings.store.mark(unit, "m1", "c1", "skipped", None))
        # then
        assert failed.value.tag == "mailed"
        recipients, _ = mailings.store.recipients("m1", None, 10)
        assert [(r.client_id, r.outcome, r.message_id) for r in recipients] == [
            ("c1", "queued", "mailing.m1.c1")
        ]

    def test_recipients_come_by_client_id_and_their_pages_hold_each_once(self, mailings):
        # given
        def write(unit: Any) -> None:
            for number in (4, 0, 6, 2, 5, 1, 3):
                mailings.store.mark(unit, "m1", f"c{number}", "skipped" if number % 2 else "queued", None)
            mailings.store.mark(unit, "m2", "c9", "queued", None)

        mailings.commit(write)
        # when
        seen = _collect(lambda cursor, limit: mailings.store.recipients("m1", cursor, limit), 3, "client_id")
        # then
        assert seen == [f"c{number}" for number in range(7)]
        first, _ = mailings.store.recipients("m1", None, 2)
        assert [(r.client_id, r.outcome, r.status) for r in first] == [
            ("c0", "queued", None),
            ("c1", "skipped", None),
        ]
        assert mailings.store.recipients("m3", None, 10)[0] == []


class TestMailingsInMemory(MailingContract):
    @pytest.fixture
    def mailings(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryMailings())


class TestMailingsOnMoto(MailingContract):
    @pytest.fixture
    def mailings(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import MailingStore

        return on_moto(world, SERVICE, MailingStore)


# ------------------------------------------------------------------------------ messages


def _message(message_id: str, minutes: int = 0, **fields: Any) -> OutgoingMessage:
    values: dict[str, Any] = {
        "id": message_id,
        "client_id": "c1",
        "template": "booking_reminder",
        "variables": {"service_name": "Замір"},
        "requested_at": NOW,
        "due_at": NOW + timedelta(minutes=minutes),
    }
    values.update(fields)
    return OutgoingMessage(**values)


class MessageContract:
    """`MessageStore`: outgoing messages, the due lists the sweep reads (one to one first, then
    mailings'), the sweep's claim with its lease, settle and deferral (written at once, on the
    attempt count read), parked messages and their redrive, providers' reports, suppressed
    addresses, a client's messages and their erasure."""

    @pytest.fixture
    def messages(self) -> Subject[Any]:
        raise NotImplementedError

    def _add(self, messages: Subject[Any], *added: OutgoingMessage) -> None:
        def write(unit: Any) -> None:
            for message in added:
                messages.store.add(unit, message)

        messages.commit(write)

    def _due(self, messages: Subject[Any], at: Any = NOW, limit: int = 10, **options: Any) -> list[str]:
        return _ids(messages.store.due(at, limit, **options))

    def _park(self, messages: Subject[Any], message_id: str, at: Any) -> None:
        claimed = messages.store.claim(messages.store.get(message_id), at)
        assert messages.store.settle(claimed.model_copy(update={"status": "parked", "last_error": "No"}), at)

    def test_a_message_reads_back_as_added(self, messages):
        # given
        message = _message(
            "m1",
            attachments=[Attachment(filename="invite.ics", content_type="text/calendar", content="BEGIN")],
            deal_id="d1",
        )
        # when
        self._add(messages, message)
        # then
        assert messages.store.get("m1") == message
        assert messages.store.get("m2") is None

    def test_the_same_message_added_twice_fails_and_the_first_stays(self, messages):
        # given
        self._add(messages, _message("m1", text="First", template=None))
        # when
        with pytest.raises(ConditionFailed) as failed:
            self._add(messages, _message("m1", text="Second", template=None))
        # then
        assert failed.value.tag == "message-exists"
        assert messages.store.get("m1").text == "First"

    def test_the_messages_due_are_the_pending_ones_due_by_the_end_of_this_minute_oldest_first(self, messages):
        # given
        self._add(
            messages,
            _message("this-minute", due_at=NOW + timedelta(seconds=59)),
            _message("earlier", minutes=-5),
            _message("next-minute", minutes=1),
            _message("tomorrow", minutes=24 * 60),
            _message("sent-already", minutes=-60, status="sent"),
            _message("retrying", minutes=-1, status="retrying", attempts=1),
        )
        # when
        due = self._due(messages)
        # then
        assert due == ["earlier", "retrying", "this-minute"]
        assert self._due(messages, NOW + timedelta(minutes=1)) == [
            "earlier",
            "retrying",
            "this-minute",
            "next-minute",
        ]

    def test_one_to_one_messages_come_before_mailings_which_fill_what_is_left(self, messages):
        # given
        self._add(
            messages,
            _message("one-a", minutes=-1),
            _message("one-b", minutes=0),
            *(_message(f"bulk-{n}", minutes=-10 + n, mailing_id="ml1") for n in range(3)),
        )
        # when / then
        assert self._due(messages, limit=4) == ["one-a", "one-b", "bulk-0", "bulk-1"]
        assert self._due(messages, limit=4, bulk_limit=1) == ["one-a", "one-b", "bulk-0"]
        assert self._due(messages, limit=2) == ["one-a", "one-b"]
        assert self._due(messages, limit=1, bulk_limit=2) == ["one-a", "bulk-0", "bulk-1"]
        assert self._due(messages, limit=5, bulk_limit=0) == ["one-a", "one-b"]

    def test_a_cancelled_message_is_not_due_and_cannot_be_claimed(self, messages):
        # given
        self._add(messages, _message("m1"))
        read = messages.store.get("m1")
        # when
        messages.commit(lambda unit: messages.store.cancel(unit, read))
        # then
        assert messages.store.get("m1") == read.model_copy(update={"status": "cancelled"})
        assert self._due(messages) == []
        assert messages.store.claim(read, NOW) is None

    def test_a_claim_takes_a_due_message_for_one_attempt_and_a_second_claim_gets_nothing(self, messages):
        # given
        self._add(messages, _message("m1"))
        read = messages.store.due(NOW, 10)[0]
        # when
        first = messages.store.claim(read, NOW)
        second = messages.store.claim(read, NOW)
        # then
        assert first == read.model_copy(update={"status": "sending", "attempts": 1})
        assert second is None
        assert messages.store.get("m1") == first

    def test_a_claimed_message_is_due_again_only_when_its_lease_runs_out(self, messages):
        # given
        self._add(messages, _message("m1"))
        # when
        claimed = messages.store.claim(messages.store.get("m1"), NOW)
        # then
        assert self._due(messages) == []
        assert self._due(messages, NOW + CLAIM_LEASE - timedelta(minutes=1)) == []
        assert messages.store.due(NOW + CLAIM_LEASE, 10) == [claimed]

    def test_a_message_sent_leaves_the_due_list(self, messages):
        # given
        self._add(messages, _message("m1"))
        claimed = messages.store.claim(messages.store.get("m1"), NOW)
        sent = claimed.model_copy(
            update={"status": "sent", "channel_used": "sms", "provider_message_id": "p1"}
        )
        # when
        settled = messages.store.settle(sent, NOW)
        # then
        assert settled is True
        assert messages.store.get("m1") == sent
        assert self._due(messages, NOW + timedelta(days=1)) == []
        assert messages.store.parked(None, 10)[0] == []

    def test_a_message_to_try_again_is_due_at_its_new_time(self, messages):
        # given
        self._add(messages, _message("m1", mailing_id="ml1"))
        claimed = messages.store.claim(messages.store.get("m1"), NOW)
        retrying = claimed.model_copy(update={"status": "retrying", "due_at": NOW + timedelta(minutes=5)})
        # when
        settled = messages.store.settle(retrying, NOW)
        # then
        assert settled is True
        assert self._due(messages, NOW + timedelta(minutes=4)) == []
        assert messages.store.due(NOW + timedelta(minutes=5), 10) == [retrying]
        assert messages.store.claim(retrying, NOW + timedelta(minutes=5)).attempts == 2

    def test_a_settle_after_another_sweep_took_the_message_is_refused_and_changes_nothing(self, messages):
        # given a sweep that claimed the message and outlived its lease, and a sweep that took it since
        self._add(messages, _message("m1"))
        first = messages.store.claim(messages.store.get("m1"), NOW)
        later = NOW + CLAIM_LEASE
        second = messages.store.claim(messages.store.due(later, 10)[0], later)
        # when
        settled = messages.store.settle(first.model_copy(update={"status": "sent"}), later)
        # then
        assert settled is False
        assert messages.store.get("m1") == second
        assert second.attempts == 2

    def test_writes_that_go_with_a_settle_are_written_with_it(self, messages):
        # given
        self._add(messages, _message("m1"))
        claimed = messages.store.claim(messages.store.get("m1"), NOW)
        sent = claimed.model_copy(
            update={"status": "sent", "channel_used": "email", "provider_message_id": "ses-1"}
        )
        # when
        settled = messages.store.settle(
            sent, NOW, also=lambda unit: messages.store.remember_provider_id(unit, "ses-1", "m1")
        )
        # then
        assert settled is True
        assert messages.store.by_provider_id("ses-1") == sent

    def test_writes_that_go_with_a_settle_refused_are_not_written(self, messages):
        # given
        self._add(messages, _message("m1"))
        first = messages.store.claim(messages.store.get("m1"), NOW)
        later = NOW + CLAIM_LEASE
        messages.store.claim(messages.store.due(later, 10)[0], later)
        sent = first.model_copy(update={"status": "sent", "provider_message_id": "ses-1"})
        # when
        settled = messages.store.settle(
            sent, later, also=lambda unit: messages.store.remember_provider_id(unit, "ses-1", "m1")
        )
        # then
        assert settled is False
        assert messages.store.by_provider_id("ses-1") is None
        assert messages.store.get("m1").status == "sending"

    def test_a_deferral_moves_a_due_message_later_without_an_attempt(self, messages):
        # given
        self._add(messages, _message("m1"))
        read = messages.store.due(NOW, 10)[0]
        morning = NOW + timedelta(hours=10)
        # when
        deferred = messages.store.defer(read, morning)
        # then
        assert deferred is True
        assert messages.store.get("m1") == read.model_copy(update={"due_at": morning})
        assert self._due(messages, morning - timedelta(minutes=1)) == []
        assert self._due(messages, morning) == ["m1"]
        assert messages.store.claim(messages.store.get("m1"), morning).attempts == 1

    def test_a_claimed_message_is_not_deferred(self, messages):
        # given
        self._add(messages, _message("m1"))
        read = messages.store.get("m1")
        claimed = messages.store.claim(read, NOW)
        # when
        deferred = messages.store.defer(read, NOW + timedelta(hours=10))
        # then
        assert deferred is False
        assert messages.store.get("m1") == claimed

    def test_a_settled_message_is_not_deferred(self, messages):
        # given
        self._add(messages, _message("m1"))
        claimed = messages.store.claim(messages.store.get("m1"), NOW)
        messages.store.settle(claimed.model_copy(update={"status": "sent"}), NOW)
        # when
        deferred = messages.store.defer(messages.store.get("m1"), NOW + timedelta(hours=10))
        # then
        assert deferred is False
        assert messages.store.get("m1").due_at == NOW

    def test_parked_messages_are_listed_the_last_parked_first(self, messages):
        # given
        self._add(messages, _message("a"), _message("b"), _message("c"), _message("d"))
        self._park(messages, "b", NOW + timedelta(minutes=1))
        self._park(messages, "a", NOW + timedelta(minutes=2))
        self._park(messages, "c", NOW + timedelta(minutes=3))
        # when
        parked, _ = messages.store.parked(None, 10)
        # then
        assert _ids(parked) == ["c", "a", "b"]
        assert parked[0].status == "parked"
        assert self._due(messages, NOW + timedelta(days=1)) == ["d"]

    def test_pages_of_parked_messages_hold_each_once_in_order(self, messages):
        # given
        self._add(messages, *(_message(f"m{number}") for number in range(7)))
        for number in range(7):
            self._park(messages, f"m{number}", NOW + timedelta(minutes=number))
        # when
        seen = _collect(messages.store.parked, 3)
        # then
        assert seen == [f"m{number}" for number in reversed(range(7))]

    def test_a_parked_message_redriven_is_due_again_and_listed_parked_no_more(self, messages):
        # given
        self._add(messages, _message("m1"))
        self._park(messages, "m1", NOW)
        parked = messages.store.get("m1")
        again = parked.model_copy(
            update={
                "status": "queued",
                "attempts": 0,
                "due_at": NOW + timedelta(minutes=1),
                "last_error": None,
            }
        )
        # when
        messages.commit(lambda unit: messages.store.redrive(unit, again))
        # then
        assert messages.store.get("m1") == again
        assert messages.store.parked(None, 10)[0] == []
        assert messages.store.due(NOW + timedelta(minutes=1), 10) == [again]
        assert messages.store.claim(again, NOW + timedelta(minutes=1)).attempts == 1

    def test_a_second_redrive_is_a_409_and_changes_nothing(self, messages):
        # given
        self._add(messages, _message("m1"))
        self._park(messages, "m1", NOW)
        again = messages.store.get("m1").model_copy(update={"status": "queued", "attempts": 0})
        messages.commit(lambda unit: messages.store.redrive(unit, again))
        # when
        with pytest.raises(Problem) as conflict:
            messages.commit(
                lambda unit: messages.store.redrive(
                    unit, again.model_copy(update={"due_at": NOW + timedelta(hours=1)})
                )
            )
        # then
        assert conflict.value.status == 409
        assert messages.store.get("m1") == again

    def test_a_message_never_parked_is_not_redriven(self, messages):
        # given
        self._add(messages, _message("m1"))
        # when
        with pytest.raises(Problem) as conflict:
            messages.commit(lambda unit: messages.store.redrive(unit, messages.store.get("m1")))
        # then
        assert conflict.value.status == 409

    def test_a_report_changes_a_message_whose_status_is_still_the_one_read(self, messages):
        # given
        self._add(messages, _message("m1", status="sent", channel_used="email"))
        sent = messages.store.get("m1")
        delivered = sent.model_copy(update={"status": "delivered"})
        # when
        messages.commit(lambda unit: messages.store.report(unit, sent, delivered))
        # then
        assert messages.store.get("m1") == delivered

    def test_a_report_on_a_status_that_changed_meanwhile_fails_and_changes_nothing(self, messages):
        # given
        self._add(messages, _message("m1", status="sent", channel_used="email"))
        sent = messages.store.get("m1")
        messages.commit(
            lambda unit: messages.store.report(unit, sent, sent.model_copy(update={"status": "delivered"}))
        )
        # when
        with pytest.raises(ConditionFailed) as failed:
            messages.commit(
                lambda unit: messages.store.report(unit, sent, sent.model_copy(update={"status": "bounced"}))
            )
        # then
        assert failed.value.tag == ""
        assert messages.store.get("m1").status == "delivered"

    def test_a_message_is_found_by_its_providers_id(self, messages):
        # given
        self._add(messages, _message("m1"))
        # when
        messages.commit(lambda unit: messages.store.remember_provider_id(unit, "ses-1", "m1"))
        # then
        assert messages.store.by_provider_id("ses-1") == messages.store.get("m1")
        assert messages.store.by_provider_id("ses-2") is None

    def test_suppressed_addresses_are_found_whatever_their_case(self, messages):
        # given
        def write(unit: Any) -> None:
            messages.store.suppress(unit, "Olena@Example.com", "bounced", NOW)
            messages.store.suppress(unit, "petro@example.com", "complained", NOW)

        messages.commit(write)
        # when
        found = messages.store.suppressed(["olena@example.COM", "ivan@example.com", ""])
        # then
        assert found == {"olena@example.com"}
        assert messages.store.suppressed([]) == set()
        assert messages.store.suppressed(["", ""]) == set()

    def test_a_clients_messages_come_the_last_requested_first(self, messages):
        # given
        self._add(
            messages,
            _message("old", requested_at=NOW - timedelta(hours=2)),
            _message("new", requested_at=NOW),
            _message("mid", requested_at=NOW - timedelta(hours=1)),
            _message("staff-copy", client_id=None, to={"email": "olena@lanka.example"}),
            _message("someone-else", client_id="c2"),
        )
        # when
        found, _ = messages.store.of_client("c1", None, 10)
        # then
        assert _ids(found) == ["new", "mid", "old"]
        assert found[0] == _message("new", requested_at=NOW)

    def test_pages_of_a_clients_messages_hold_each_once_in_order(self, messages):
        # given
        self._add(messages, *(_message(f"m{n}", requested_at=NOW + timedelta(minutes=n)) for n in range(7)))
        # when
        seen = _collect(lambda cursor, limit: messages.store.of_client("c1", cursor, limit), 3)
        # then
        assert seen == [f"m{number}" for number in reversed(range(7))]

    def test_scrubbing_a_client_forgets_what_was_to_be_said_and_cancels_what_was_pending(self, messages):
        # given
        failure = Attempt(at=NOW, channel="sms", outcome="failed", error="Bad number +380671234567")
        self._add(
            messages,
            _message(
                "pending",
                text="Secret",
                template=None,
                subject="Subject",
                attachments=[Attachment(filename="quote.pdf", bucket="b", key="k")],
            ),
            _message("sent", status="sent", variables={"a": "b"}, log=[failure]),
            _message("theirs", client_id="c2"),
        )
        # when
        messages.commit(lambda unit: messages.store.scrub_client(unit, "c1"))
        # then
        pending = messages.store.get("pending")
        assert (pending.status, pending.text, pending.subject, pending.variables, pending.attachments) == (
            "cancelled",
            None,
            None,
            {},
            [],
        )
        sent = messages.store.get("sent")
        assert (sent.status, sent.variables, sent.log) == (
            "sent",
            {},
            [failure.model_copy(update={"error": None})],
        )
        assert self._due(messages) == ["theirs"]
        assert messages.store.get("theirs") == _message("theirs", client_id="c2")


class TestMessagesInMemory(MessageContract):
    @pytest.fixture
    def messages(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryMessages())


class TestMessagesOnMoto(MessageContract):
    @pytest.fixture
    def messages(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import MessageStore

        return on_moto(world, SERVICE, MessageStore)


# ------------------------------------------------------------------------------ staff feed


def _alert(alert_id: str, audience: str = "role:head", minutes: int = 0, **fields: Any) -> StaffAlert:
    values: dict[str, Any] = {
        "id": alert_id,
        "audience": audience,
        "kind": "notice",
        "text": f"Alert {alert_id}",
        "created_at": NOW + timedelta(minutes=minutes),
        "data": {"deal_id": "d1"},
    }
    values.update(fields)
    return StaffAlert(**values)


class AlertContract:
    """`AlertStore`: each audience's feed newest first, with an unread count kept as alerts
    arrive and are read; "mark all read" reads every alert up to a moment."""

    @pytest.fixture
    def alerts(self) -> Subject[Any]:
        raise NotImplementedError

    def _add(self, alerts: Subject[Any], *added: StaffAlert) -> None:
        for alert in added:  # one per unit: each adds to its feed's count
            alerts.commit(lambda unit, alert=alert: alerts.store.add(unit, alert))

    def _feed(self, alerts: Subject[Any], audience: str = "role:head") -> list[tuple[str, bool]]:
        items, _ = alerts.store.page(audience, None, 50)
        return [(alert.id, alert.read) for alert in items]

    def test_a_feed_is_newest_first_and_counts_what_is_unread(self, alerts):
        # given
        self._add(
            alerts,
            _alert("old", minutes=-10),
            _alert("new", minutes=5),
            _alert("mid"),
            _alert("mine", audience="user:olena"),
        )
        # when
        feed = self._feed(alerts)
        # then
        assert feed == [("new", False), ("mid", False), ("old", False)]
        assert alerts.store.unread("role:head") == 3
        assert alerts.store.unread("user:olena") == 1
        assert alerts.store.unread("role:admin") == 0
        assert alerts.store.page("role:admin", None, 10)[0] == []

    def test_an_alert_reads_back_with_the_key_to_mark_it_read(self, alerts):
        # given
        alert = _alert("a1", kind="clients_exported", data={"client_count": 12, "who": "Олена"})
        # when
        self._add(alerts, alert)
        # then
        items, _ = alerts.store.page("role:head", None, 10)
        assert items == [alert.model_copy(update={"key": f"{to_iso(NOW)}#a1"})]

    def test_pages_of_a_feed_hold_each_alert_once_in_order(self, alerts):
        # given
        self._add(alerts, *(_alert(f"a{number}", minutes=number) for number in range(7)))
        # when
        seen = _collect(lambda cursor, limit: alerts.store.page("role:head", cursor, limit), 3)
        # then
        assert seen == [f"a{number}" for number in reversed(range(7))]

    def test_an_alert_marked_read_reads_as_read_and_leaves_the_count(self, alerts):
        # given
        self._add(alerts, _alert("a1"), _alert("a2", minutes=1))
        key = alerts.store.page("role:head", None, 10)[0][1].key
        # when
        alerts.commit(lambda unit: alerts.store.mark_read(unit, "role:head", key, to_iso(NOW)))
        # then
        assert self._feed(alerts) == [("a2", False), ("a1", True)]
        assert alerts.store.unread("role:head") == 1

    def test_an_alert_marked_read_again_changes_nothing(self, alerts):
        # given
        self._add(alerts, _alert("a1"), _alert("a2", minutes=1))
        key = alerts.store.page("role:head", None, 10)[0][1].key
        alerts.commit(lambda unit: alerts.store.mark_read(unit, "role:head", key, to_iso(NOW)))
        # when
        alerts.commit(lambda unit: alerts.store.mark_read(unit, "role:head", key, to_iso(NOW)))
        # then
        assert alerts.store.unread("role:head") == 1
        assert self._feed(alerts) == [("a2", False), ("a1", True)]

    def test_an_unknown_alert_marked_read_is_a_404(self, alerts):
        # given
        self._add(alerts, _alert("a1"))
        # when
        with pytest.raises(Problem) as missing:
            alerts.commit(lambda unit: alerts.store.mark_read(unit, "role:head", "nope", to_iso(NOW)))
        # then
        assert missing.value.status == 404
        assert alerts.store.unread("role:head") == 1

    def test_an_alert_marked_read_twice_at_once_is_a_409_for_the_second(self, alerts):
        # given two requests that both read the alert unread
        self._add(alerts, _alert("a1"), _alert("a2", minutes=1))
        key = alerts.store.page("role:head", None, 10)[0][1].key
        first, second = alerts.new_unit(), alerts.new_unit()
        alerts.store.mark_read(first, "role:head", key, to_iso(NOW))
        alerts.store.mark_read(second, "role:head", key, to_iso(NOW))
        first.commit()
        # when
        with pytest.raises(Problem) as conflict:
            second.commit()
        # then
        assert conflict.value.status == 409
        assert alerts.store.unread("role:head") == 1

    def test_marking_all_read_reads_every_alert_up_to_then_and_clears_the_count(self, alerts):
        # given
        self._add(alerts, _alert("a1", minutes=-60), _alert("a2"), _alert("theirs", audience="role:admin"))
        # when
        alerts.commit(lambda unit: alerts.store.mark_all_read(unit, "role:head", to_iso(NOW)))
        # then
        assert self._feed(alerts) == [("a2", True), ("a1", True)]
        assert alerts.store.unread("role:head") == 0
        assert alerts.store.unread("role:admin") == 1

    def test_alerts_after_marking_all_read_are_unread_and_counted(self, alerts):
        # given
        self._add(alerts, _alert("a1", minutes=-60))
        alerts.commit(lambda unit: alerts.store.mark_all_read(unit, "role:head", to_iso(NOW)))
        # when
        self._add(alerts, _alert("a2", minutes=1))
        # then
        assert self._feed(alerts) == [("a2", False), ("a1", True)]
        assert alerts.store.unread("role:head") == 1

    def test_an_alert_read_by_marking_all_read_is_not_counted_off_again(self, alerts):
        # given
        self._add(alerts, _alert("a1", minutes=-60))
        alerts.commit(lambda unit: alerts.store.mark_all_read(unit, "role:head", to_iso(NOW)))
        self._add(alerts, _alert("a2", minutes=1))
        key = alerts.store.page("role:head", None, 10)[0][1].key
        # when
        alerts.commit(lambda unit: alerts.store.mark_read(unit, "role:head", key, to_iso(NOW)))
        # then
        assert alerts.store.unread("role:head") == 1
        assert self._feed(alerts) == [("a2", False), ("a1", True)]


class TestAlertsInMemory(AlertContract):
    @pytest.fixture
    def alerts(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryAlerts())


class TestAlertsOnMoto(AlertContract):
    @pytest.fixture
    def alerts(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import AlertStore

        return on_moto(world, SERVICE, AlertStore)


# ------------------------------------------------------------------------------ subscriptions


class SubscriptionContract:
    """`SubscriptionStore`: each user's subscription to copies of their alerts, and each
    audience's subscribers."""

    @pytest.fixture
    def subscriptions(self) -> Subject[Any]:
        raise NotImplementedError

    def _save(
        self, subscriptions: Subject[Any], user_id: str, audiences: list[str], subscription: Subscription
    ) -> None:
        email = f"{user_id}@lanka.example"
        subscriptions.commit(
            lambda unit: subscriptions.store.save(unit, user_id, email, audiences, subscription)
        )

    def test_a_user_without_a_subscription_has_the_empty_one(self, subscriptions):
        # when / then
        assert subscriptions.store.get("olena") == Subscription()
        assert subscriptions.store.of_audience("role:head") == []

    def test_a_saved_subscription_reads_back_and_lists_the_user_under_each_audience(self, subscriptions):
        # given
        subscription = Subscription(email=True, telegram_chat_id="42", kinds=["task_overdue", "digest"])
        # when
        self._save(subscriptions, "olena", ["user:olena", "role:head"], subscription)
        # then
        assert subscriptions.store.get("olena") == subscription
        for audience in ("user:olena", "role:head"):
            assert subscriptions.store.of_audience(audience) == [
                ("olena", "olena@lanka.example", subscription)
            ]

    def test_the_subscribers_of_an_audience_come_by_user_id(self, subscriptions):
        # given
        for user_id in ("petro", "ivan", "olena"):
            self._save(subscriptions, user_id, ["role:head"], Subscription(kinds=["digest"]))
        # when
        heard = subscriptions.store.of_audience("role:head")
        # then
        assert [user_id for user_id, _, _ in heard] == ["ivan", "olena", "petro"]

    def test_a_new_save_takes_the_user_off_the_audiences_they_left(self, subscriptions):
        # given
        self._save(subscriptions, "olena", ["user:olena", "role:head"], Subscription(kinds=["digest"]))
        changed = Subscription(email=True, kinds=["notice"])
        # when
        self._save(subscriptions, "olena", ["user:olena"], changed)
        # then
        assert subscriptions.store.of_audience("role:head") == []
        assert subscriptions.store.of_audience("user:olena") == [("olena", "olena@lanka.example", changed)]

    def test_a_subscription_to_no_kinds_lists_the_user_nowhere(self, subscriptions):
        # given
        self._save(subscriptions, "olena", ["user:olena", "role:head"], Subscription(kinds=["digest"]))
        # when
        self._save(subscriptions, "olena", ["user:olena", "role:head"], Subscription(email=True))
        # then
        assert subscriptions.store.get("olena") == Subscription(email=True)
        assert subscriptions.store.of_audience("user:olena") == []
        assert subscriptions.store.of_audience("role:head") == []

    def test_a_user_who_subscribes_again_after_none_is_listed_again(self, subscriptions):
        # given
        self._save(subscriptions, "olena", ["role:head"], Subscription(kinds=["digest"]))
        self._save(subscriptions, "olena", ["role:head"], Subscription())
        # when
        self._save(subscriptions, "olena", ["role:head"], Subscription(kinds=["notice"]))
        # then
        assert [(user_id, sub.kinds) for user_id, _, sub in subscriptions.store.of_audience("role:head")] == [
            ("olena", ["notice"])
        ]


class TestSubscriptionsInMemory(SubscriptionContract):
    @pytest.fixture
    def subscriptions(self) -> Subject[Any]:
        return on_memory(fakes.InMemorySubscriptions())


class TestSubscriptionsOnMoto(SubscriptionContract):
    @pytest.fixture
    def subscriptions(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import SubscriptionStore

        return on_moto(world, SERVICE, SubscriptionStore)


# ------------------------------------------------------------------------------ templates


def _template(name: str, channel: str = "sms", locale: str = "uk", **fields: Any) -> Template:
    values: dict[str, Any] = {
        "id": template_id(name, channel, locale),
        "name": name,
        "channel": channel,
        "locale": locale,
        "body": f"{name}: {{{{ client_name }}}}",
        "edited": True,
        "variables": {"client_name": "The client's name"},
        "updated_at": NOW,
    }
    values.update(fields)
    return Template(**values)


class TemplateContract:
    """`TemplateStore`: the templates the company edited, by id."""

    @pytest.fixture
    def templates(self) -> Subject[Any]:
        raise NotImplementedError

    def test_a_saved_template_reads_back_by_its_id(self, templates):
        # given
        template = _template("booking_reminder", "email", "en", subject="Reminder")
        # when
        templates.commit(lambda unit: templates.store.save(unit, template))
        # then
        assert templates.store.get("booking_reminder.email.en") == template
        assert templates.store.get("booking_reminder.email.uk") is None

    def test_the_edited_templates_come_by_id(self, templates):
        # given
        def write(unit: Any) -> None:
            templates.store.save(unit, _template("staff_alert", "telegram"))
            templates.store.save(unit, _template("booking_reminder", "sms"))
            templates.store.save(unit, _template("booking_reminder", "email"))

        templates.commit(write)
        # when
        edited = templates.store.edited()
        # then
        assert _ids(edited) == [
            "booking_reminder.email.uk",
            "booking_reminder.sms.uk",
            "staff_alert.telegram.uk",
        ]

    def test_a_template_saved_again_is_replaced(self, templates):
        # given
        templates.commit(lambda unit: templates.store.save(unit, _template("booking_reminder", body="Old")))
        # when
        templates.commit(lambda unit: templates.store.save(unit, _template("booking_reminder", body="New")))
        # then
        assert [template.body for template in templates.store.edited()] == ["New"]

    def test_a_removed_template_is_gone(self, templates):
        # given
        def write(unit: Any) -> None:
            templates.store.save(unit, _template("booking_reminder"))
            templates.store.save(unit, _template("staff_alert"))

        templates.commit(write)
        # when
        templates.commit(lambda unit: templates.store.remove(unit, "booking_reminder.sms.uk"))
        # then
        assert templates.store.get("booking_reminder.sms.uk") is None
        assert _ids(templates.store.edited()) == ["staff_alert.sms.uk"]


class TestTemplatesInMemory(TemplateContract):
    @pytest.fixture
    def templates(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryTemplates())


class TestTemplatesOnMoto(TemplateContract):
    @pytest.fixture
    def templates(self, world: Any) -> Subject[Any]:
        from chalicelib.notifications.store import TemplateStore

        return on_moto(world, SERVICE, TemplateStore)
