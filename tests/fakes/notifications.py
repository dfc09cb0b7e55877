"""In-memory fakes of the notifications service's stores (chalicelib/notifications/store/).

Each passes the contract tests of the store it stands for
(tests/integration/test_store_contracts_notifications.py). Writes the real store adds to the
caller's unit of work are staged on the `MemoryUnitOfWork`; writes the real store makes on its
own (the sweep's claim, settle and deferral, a mailing's steps, a merge's move) are made at once,
under the same commit lock, on the same condition.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from chalicelib.notifications.domain.alerts import StaffAlert, Subscription
from chalicelib.notifications.domain.contacts import ContactCard
from chalicelib.notifications.domain.digest import DayStats
from chalicelib.notifications.domain.inbound import (
    CallDetails,
    ConversationEntry,
    ConversationSummary,
    InboundMessage,
    KnownClient,
    Sender,
)
from chalicelib.notifications.domain.mailings import (
    PROFILE_CHANGED,
    Mailing,
    MailingPace,
    Outcome,
    Profile,
    Recipient,
    Segment,
)
from chalicelib.notifications.domain.messages import OutgoingMessage
from chalicelib.notifications.domain.quiet import QuietHours
from chalicelib.notifications.domain.templates import Template
from chalicelib.notifications.store.conversations import ALL, KEY_KEPT, owner_inbox
from chalicelib.notifications.store.digest import OVERDUE_SHOWN
from chalicelib.notifications.store.mailings import COUNTERS, AudienceMember
from chalicelib.notifications.store.messages import BULK_DUE, CLAIM_LEASE, DUE, PARKED

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.memory import MemoryUnitOfWork, page, staged
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import ConditionFailed


def _at_once(apply: Callable[[], None], holds: Callable[[], bool] | None = None) -> bool:
    """A write the real store makes on its own, not in the caller's unit: made now, under the
    commit lock; False when its condition did not hold."""
    unit = MemoryUnitOfWork()
    unit.stage(apply, holds=holds)
    try:
        unit.commit()
    except ConditionFailed:
        return False
    return True


def _place(at: datetime, item_id: str) -> str:
    """Where an item sorts among others of its list: by time (as stored, to the millisecond), then id."""
    return f"{to_iso(at)}#{item_id}"


# ------------------------------------------------------------------------------ bookings


@dataclass
class InMemoryReminders:
    """`store.bookings.ReminderStore` in a dict: the ids of the reminders still due, by booking."""

    of_bookings: dict[str, list[str]] = field(default_factory=dict)

    def of_booking(self, booking_id: str) -> list[str]:
        return list(self.of_bookings.get(booking_id, []))

    def keep(self, unit: UnitOfWork, booking_id: str, message_ids: list[str]) -> None:
        kept = list(message_ids)

        def apply() -> None:
            self.of_bookings[booking_id] = kept

        staged(unit).stage(apply)


# ------------------------------------------------------------------------------ contacts


@dataclass
class InMemoryContacts:
    """`store.contacts.ContactStore` in dicts: a client's card (its version is the card's own),
    or, for a merged client, the survivor it points at (version 0, no card of its own)."""

    cards: dict[str, ContactCard] = field(default_factory=dict)
    merged_into: dict[str, str] = field(default_factory=dict)

    def _known(self, client_id: str) -> bool:
        return client_id in self.cards or client_id in self.merged_into

    def get(self, client_id: str) -> ContactCard | None:
        return self.cards.get(self.merged_into.get(client_id, client_id))

    def own(self, client_id: str) -> ContactCard | None:
        return self.cards.get(client_id)

    def many(self, client_ids: list[str]) -> dict[str, ContactCard]:
        return {client_id: self.cards[client_id] for client_id in client_ids if client_id in self.cards}

    def version(self, client_id: str) -> int:
        card = self.cards.get(client_id)
        return card.version if card is not None else 0

    def put(self, unit: UnitOfWork, card: ContactCard, read_version: int | None = None) -> None:
        client_id = card.client_id

        def holds() -> bool:
            return not self._known(client_id) or self.version(client_id) == read_version

        def apply() -> None:
            self.cards[client_id] = card
            self.merged_into.pop(client_id, None)

        staged(unit).stage(apply, holds=None if read_version is None else holds, tag="contact-card-changed")

    def merged(self, unit: UnitOfWork, merged_id: str, survivor_id: str) -> None:
        def apply() -> None:
            self.cards.pop(merged_id, None)
            self.merged_into[merged_id] = survivor_id

        staged(unit).stage(apply)

    def forget(self, unit: UnitOfWork, client_id: str) -> None:
        def apply() -> None:
            self.cards.pop(client_id, None)
            self.merged_into.pop(client_id, None)

        staged(unit).stage(apply)


@dataclass
class InMemorySettings:
    """`store.contacts.SettingsStore`: the company's quiet hours and mailing pace (None: the
    defaults, as long as nobody saved them)."""

    quiet: QuietHours | None = None
    pace: MailingPace | None = None

    def quiet_hours(self) -> QuietHours:
        return self.quiet if self.quiet is not None else QuietHours()

    def save_quiet_hours(self, unit: UnitOfWork, hours: QuietHours) -> None:
        def apply() -> None:
            self.quiet = hours

        staged(unit).stage(apply)

    def mailing_pace(self) -> MailingPace:
        return self.pace if self.pace is not None else MailingPace()

    def save_mailing_pace(self, unit: UnitOfWork, pace: MailingPace) -> None:
        def apply() -> None:
            self.pace = pace

        staged(unit).stage(apply)


@dataclass
class InMemoryPace:
    """`store.contacts.PaceStore`: messages of mailings sent, by the minute they were sent in."""

    sent: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def _minute(now: datetime) -> str:
        return now.strftime("%Y-%m-%dT%H:%M")

    def used(self, now: datetime) -> int:
        return self.sent.get(self._minute(now), 0)

    def add(self, now: datetime, sent: int) -> None:
        minute = self._minute(now)

        def apply() -> None:
            self.sent[minute] = self.sent.get(minute, 0) + sent

        _at_once(apply)


# ------------------------------------------------------------------------------ inbound


@dataclass(frozen=True)
class FormKey:
    """A website form's Idempotency-Key as `InboundStore.form_key` reads it back (the real
    store answers with its item: these are the attributes its callers read)."""

    request_hash: str
    request_id: str
    expires_at: datetime


@dataclass
class InMemoryInbound:
    """`store.conversations.InboundStore` in dicts: inbound messages by id, calls under way by
    provider and call id (with the other party's number), forms' Idempotency-Keys."""

    messages: dict[str, InboundMessage] = field(default_factory=dict)
    calls: dict[tuple[str, str], tuple[CallDetails, str | None]] = field(default_factory=dict)
    form_keys: dict[str, FormKey] = field(default_factory=dict)

    def get(self, message_id: str) -> InboundMessage | None:
        return self.messages.get(message_id)

    def add(self, unit: UnitOfWork, message: InboundMessage) -> None:
        def apply() -> None:
            self.messages[message.id] = message

        staged(unit).stage(
            apply,
            holds=lambda: message.id not in self.messages,
            on_conflict=lambda: Problem.conflict("This message is being received already."),
        )

    def attach(self, unit: UnitOfWork, message: InboundMessage, client_id: str) -> None:
        attached = message.model_copy(update={"client_id": client_id})

        def holds() -> bool:
            kept = self.messages.get(message.id)
            return kept is None or kept.client_id is None

        def apply() -> None:
            self.messages[message.id] = attached

        staged(unit).stage(apply, holds=holds, tag="stale:attached")

    def scrub(self, message_ids: list[str]) -> None:
        def apply() -> None:
            for message_id in message_ids:
                message = self.messages.get(message_id)
                if message is not None:
                    self.messages[message_id] = message.model_copy(
                        update={
                            "sender": Sender(),
                            "text": "",
                            "subject": None,
                            "attachments": [],
                            "mail_id": None,
                        }
                    )

        _at_once(apply)

    def call(self, provider: str, call_id: str) -> tuple[CallDetails | None, str | None]:
        return self.calls.get((provider, call_id), (None, None))

    def save_call(self, unit: UnitOfWork, call_id: str, details: CallDetails, phone: str | None) -> None:
        def apply() -> None:
            self.calls[(details.provider, call_id)] = (details, phone)

        staged(unit).stage(apply)

    def form_key(self, key: str) -> FormKey | None:
        return self.form_keys.get(key)

    def claim_form_key(
        self, unit: UnitOfWork, key: str, request_hash: str, request_id: str, now: datetime
    ) -> None:
        # Kept until a moment in whole seconds (a TTL).
        claimed = FormKey(request_hash, request_id, (now + KEY_KEPT).astimezone(UTC).replace(microsecond=0))

        def apply() -> None:
            self.form_keys[key] = claimed

        staged(unit).stage(
            apply,
            holds=lambda: key not in self.form_keys,
            on_conflict=lambda: Problem.conflict(
                "Another request with this Idempotency-Key got there first."
            ),
        )


# ------------------------------------------------------------------------------ conversations


@dataclass
class InMemoryConversations:
    """`store.conversations.ConversationStore` in dicts: each client's conversation (entries by
    their place in it), inbox lines by client (the owner's inbox is the lines of their clients),
    the clients notifications knows, e-mail threads by Message-ID."""

    entries: dict[str, dict[str, ConversationEntry]] = field(default_factory=dict)
    summaries: dict[str, ConversationSummary] = field(default_factory=dict)
    clients: dict[str, KnownClient] = field(default_factory=dict)
    threads: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ entries

    def add_entry(self, unit: UnitOfWork, entry: ConversationEntry) -> None:
        def apply() -> None:
            self.entries.setdefault(entry.client_id, {})[_place(entry.at, entry.id)] = entry

        staged(unit).stage(apply)

    def _newest_first(self, client_id: str) -> list[tuple[str, ConversationEntry]]:
        return sorted(self.entries.get(client_id, {}).items(), reverse=True)

    def page(
        self, client_id: str, cursor: str | None, limit: int
    ) -> tuple[list[ConversationEntry], str | None]:
        rows, next_cursor = page(self._newest_first(client_id), cursor, limit, lambda row: row[0])
        return [entry for _, entry in rows], next_cursor

    def move(self, from_client: str, to_client: str) -> None:
        def apply() -> None:
            moved = self.entries.pop(from_client, {})
            into = self.entries.setdefault(to_client, {})
            for place, entry in moved.items():
                into[place] = entry.model_copy(update={"client_id": to_client})
            merged, survivor = self.summaries.get(from_client), self.summaries.get(to_client)
            if merged is not None and (survivor is None or merged.last_at > survivor.last_at):
                known = self.clients.get(to_client)
                self.summaries[to_client] = merged.model_copy(
                    update={
                        "client_id": to_client,
                        "client_name": known.name if known else merged.client_name,
                        "owner_id": known.owner_id if known else merged.owner_id,
                    }
                )
            self.summaries.pop(from_client, None)

        _at_once(apply)

    def scrub(self, client_id: str, placeholder_name: str) -> list[str]:
        ids: list[str] = []

        def apply() -> None:
            conversation = self.entries.get(client_id, {})
            for place, entry in sorted(conversation.items()):
                if entry.direction == "in":
                    ids.append(entry.id)
                conversation[place] = entry.model_copy(
                    update={"text": "", "subject": None, "attachments": []}
                )
            summary = self.summaries.get(client_id)
            if summary is not None:
                self.summaries[client_id] = summary.model_copy(
                    update={"preview": "", "client_name": placeholder_name, "reply_address": None}
                )
            known = self.clients.get(client_id)
            if known is not None and known.name:
                self.clients[client_id] = dataclasses.replace(known, name=placeholder_name)

        _at_once(apply)
        return ids

    # ------------------------------------------------------------------ inbox

    def summary(self, client_id: str) -> ConversationSummary | None:
        return self.summaries.get(client_id)

    def put_summary(self, unit: UnitOfWork, summary: ConversationSummary) -> None:
        def apply() -> None:
            self.summaries[summary.client_id] = summary

        staged(unit).stage(apply)

    def inbox(
        self, index: str, cursor: str | None, limit: int
    ) -> tuple[list[ConversationSummary], str | None]:
        lines = [
            summary
            for summary in self.summaries.values()
            if index == ALL or index == owner_inbox(summary.owner_id)
        ]
        lines.sort(key=lambda line: _place(line.last_at, line.client_id), reverse=True)
        return page(lines, cursor, limit, lambda line: line.client_id)

    # ------------------------------------------------------------------ owners

    def client(self, client_id: str) -> KnownClient | None:
        return self.clients.get(client_id)

    def put_client(
        self,
        unit: UnitOfWork,
        client_id: str,
        name: str | None,
        owner_id: str | None,
        version: int,
        merged_into: str | None = None,
    ) -> None:
        known = KnownClient(
            client_id=client_id, name=name, owner_id=owner_id, client_version=version, merged_into=merged_into
        )

        def apply() -> None:
            self.clients[client_id] = known

        staged(unit).stage(apply)

    # ------------------------------------------------------------------ e-mail threads

    def thread_client(self, mail_ids: list[str]) -> str | None:
        for mail_id in mail_ids[:50]:
            if mail_id in self.threads:
                return self.threads[mail_id]
        return None

    def remember_thread(self, unit: UnitOfWork, mail_id: str, client_id: str) -> None:
        def apply() -> None:
            self.threads[mail_id] = client_id

        staged(unit).stage(apply)


# ------------------------------------------------------------------------------ digest

_DAY_COUNTERS = ("requests", "won", "lost", "payments", "tasks_done", "overdue")


@dataclass
class InMemoryDigest:
    """`store.digest.DigestStore` in dicts: each company day's numbers, the tasks overdue now
    (title by task id) and the days whose digest went out (when)."""

    days: dict[date, DayStats] = field(default_factory=dict)
    overdue_tasks: dict[str, str] = field(default_factory=dict)
    sent: dict[date, str] = field(default_factory=dict)

    def count(self, unit: UnitOfWork, day: date, counter: str) -> None:
        if counter not in _DAY_COUNTERS:
            raise AttributeError(counter)

        def apply() -> None:
            stats = self.days.get(day, DayStats())
            self.days[day] = stats.model_copy(update={counter: getattr(stats, counter) + 1})

        staged(unit).stage(apply)

    def paid(self, unit: UnitOfWork, day: date, currency: str, amount: int) -> None:
        def apply() -> None:
            stats = self.days.get(day, DayStats())
            self.days[day] = stats.model_copy(
                update={
                    "payments": stats.payments + 1,
                    "paid": {**stats.paid, currency: stats.paid.get(currency, 0) + amount},
                }
            )

        staged(unit).stage(apply)

    def stats(self, day: date) -> DayStats:
        stats = self.days.get(day)
        return stats.model_copy(deep=True) if stats is not None else DayStats()

    def overdue(self, unit: UnitOfWork, task_id: str, title: str) -> None:
        def apply() -> None:
            self.overdue_tasks[task_id] = title

        staged(unit).stage(apply)

    def resolved(self, unit: UnitOfWork, task_id: str) -> None:
        def apply() -> None:
            self.overdue_tasks.pop(task_id, None)

        staged(unit).stage(apply)

    def overdue_now(self) -> tuple[list[str], bool]:
        titles = [self.overdue_tasks[task_id] for task_id in sorted(self.overdue_tasks)]
        return titles[:OVERDUE_SHOWN], len(titles) > OVERDUE_SHOWN

    def mark_sent(self, unit: UnitOfWork, day: date, at: str) -> None:
        def apply() -> None:
            self.sent[day] = at

        staged(unit).stage(apply, holds=lambda: day not in self.sent, tag="digest-sent")

    def was_sent(self, day: date) -> bool:
        return day in self.sent


# ------------------------------------------------------------------------------ mailings


@dataclass
class InMemoryAudience:
    """`store.mailings.AudienceStore` in dicts: each client's profile with its version, each
    partition's members (segment by client id) and its size as counted."""

    profiles: dict[str, tuple[Profile, int]] = field(default_factory=dict)
    members: dict[str, dict[str, Segment]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    def profile(self, client_id: str) -> tuple[Profile, int]:
        return self.profiles.get(client_id, (Profile(), 0))

    def save_profile(self, unit: UnitOfWork, client_id: str, profile: Profile, read_version: int) -> None:
        def holds() -> bool:
            if read_version == 0:
                return client_id not in self.profiles
            return client_id in self.profiles and self.profiles[client_id][1] == read_version

        def apply() -> None:
            self.profiles[client_id] = (profile, read_version + 1)

        staged(unit).stage(apply, holds=holds, tag=PROFILE_CHANGED)

    def forget_profile(self, unit: UnitOfWork, client_id: str) -> None:
        def apply() -> None:
            self.profiles.pop(client_id, None)

        staged(unit).stage(apply)

    def join(self, unit: UnitOfWork, partition: str, client_id: str, segment: Segment) -> None:
        def apply() -> None:
            self.members.setdefault(partition, {})[client_id] = segment

        staged(unit).stage(apply)

    def count(self, unit: UnitOfWork, partition: str, by: int) -> None:
        def apply() -> None:
            self.sizes[partition] = self.sizes.get(partition, 0) + by

        staged(unit).stage(apply)

    def leave(self, unit: UnitOfWork, partition: str, client_id: str) -> None:
        def apply() -> None:
            self.members.get(partition, {}).pop(client_id, None)

        staged(unit).stage(apply)

    def size(self, partition: str) -> int:
        return max(0, self.sizes.get(partition, 0))

    def page(self, partition: str, after: str | None, limit: int) -> tuple[list[AudienceMember], bool]:
        members = self.members.get(partition, {})
        following = sorted(client_id for client_id in members if not after or client_id > after)
        chosen = [AudienceMember(client_id, members[client_id]) for client_id in following[:limit]]
        return chosen, len(following) > limit

    def count_matching(self, partition: str, test: Callable[[Segment], bool]) -> int:
        return sum(1 for segment in self.members.get(partition, {}).values() if test(segment))


@dataclass
class InMemoryMailings:
    """`store.mailings.MailingStore` in dicts: mailings by id (with their counters, status and
    cursor), when each was made (the list, newest first), when each that is still to send
    starts (the due list), and each mailing's recipients by client id."""

    mailings: dict[str, Mailing] = field(default_factory=dict)
    created: dict[str, datetime] = field(default_factory=dict)
    starts: dict[str, datetime] = field(default_factory=dict)
    recipients_of: dict[str, dict[str, Recipient]] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, mailing: Mailing) -> None:
        # The counters and the cursor are the store's own: a new mailing starts with none.
        kept = mailing.model_copy(update={**dict.fromkeys(COUNTERS, 0), "cursor": None})

        def apply() -> None:
            self.mailings[mailing.id] = kept
            self.created[mailing.id] = mailing.created_at
            self.starts[mailing.id] = mailing.start_at

        staged(unit).stage(apply, holds=lambda: mailing.id not in self.mailings)

    def get(self, mailing_id: str) -> Mailing | None:
        return self.mailings.get(mailing_id)

    def due(self, now: datetime, limit: int) -> list[str]:
        upto = f"{to_iso(now)}~"
        places = sorted(_place(at, mailing_id) for mailing_id, at in self.starts.items())
        return [place.split("#", 1)[1] for place in places if place <= upto][:limit]

    def page(self, cursor: str | None, limit: int) -> tuple[list[Mailing], str | None]:
        ids = sorted(self.created, key=lambda mailing_id: _place(self.created[mailing_id], mailing_id))
        chosen, next_cursor = page(ids[::-1], cursor, limit, lambda mailing_id: mailing_id)
        return [
            self.mailings[mailing_id] for mailing_id in chosen if mailing_id in self.mailings
        ], next_cursor

    # ------------------------------------------------------------------ sending

    def mark(
        self, unit: UnitOfWork, mailing_id: str, client_id: str, outcome: Outcome, message_id: str | None
    ) -> None:
        recipient = Recipient(client_id=client_id, message_id=message_id, outcome=outcome)

        def apply() -> None:
            self.recipients_of.setdefault(mailing_id, {})[client_id] = recipient

        staged(unit).stage(
            apply, holds=lambda: client_id not in self.recipients_of.get(mailing_id, {}), tag="mailed"
        )

    def add_to(self, unit: UnitOfWork, mailing_id: str, counter: str, by: int = 1) -> None:
        self.add_counts(unit, mailing_id, {counter: by})

    def add_counts(self, unit: UnitOfWork, mailing_id: str, counts: dict[str, int]) -> None:
        changes = {counter: by for counter, by in counts.items() if by}
        unknown = set(changes) - set(COUNTERS)
        if unknown:
            raise AttributeError(", ".join(sorted(unknown)))
        if not changes:
            return

        def apply() -> None:
            mailing = self.mailings.get(mailing_id)
            if mailing is not None:
                self.mailings[mailing_id] = mailing.model_copy(
                    update={counter: getattr(mailing, counter) + by for counter, by in changes.items()}
                )

        staged(unit).stage(apply)

    def _status_is(self, mailing_id: str, *statuses: str) -> bool:
        mailing = self.mailings.get(mailing_id)
        return mailing is not None and mailing.status in statuses

    def start(self, mailing: Mailing) -> bool:
        def apply() -> None:
            self.mailings[mailing.id] = self.mailings[mailing.id].model_copy(update={"status": "sending"})

        return _at_once(apply, lambda: self._status_is(mailing.id, "scheduled"))

    def advance(self, mailing: Mailing, cursor: str) -> bool:
        def holds() -> bool:
            kept = self.mailings.get(mailing.id)
            if kept is None or kept.status != "sending":
                return False
            return kept.cursor == mailing.cursor if mailing.cursor else kept.cursor is None

        def apply() -> None:
            self.mailings[mailing.id] = self.mailings[mailing.id].model_copy(update={"cursor": cursor})

        return _at_once(apply, holds)

    def finish(self, mailing: Mailing) -> bool:
        def apply() -> None:
            kept = self.mailings[mailing.id]
            self.mailings[mailing.id] = mailing.model_copy(
                update={
                    "total": mailing.queued + mailing.skipped,
                    "status": "finished",
                    "cursor": kept.cursor,
                    **{counter: getattr(kept, counter) for counter in COUNTERS},
                }
            )
            self.starts.pop(mailing.id, None)

        return _at_once(apply, lambda: self._status_is(mailing.id, "sending"))

    def cancel(self, unit: UnitOfWork, mailing: Mailing) -> None:
        def apply() -> None:
            self.mailings[mailing.id] = self.mailings[mailing.id].model_copy(update={"status": "cancelled"})
            self.starts.pop(mailing.id, None)

        staged(unit).stage(
            apply,
            holds=lambda: self._status_is(mailing.id, "scheduled", "sending", "finished"),
            on_conflict=lambda: Problem.conflict("The mailing was cancelled already."),
        )

    def recipients(
        self, mailing_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Recipient], str | None]:
        marked = self.recipients_of.get(mailing_id, {})
        rows = [marked[client_id] for client_id in sorted(marked)]
        return page(rows, cursor, limit, lambda recipient: recipient.client_id)


# ------------------------------------------------------------------------------ messages


@dataclass
class _Kept:
    """A message, the attempt count a claim, a settle or a deferral is conditioned on, and the
    list it waits in (`DUE`, `BULK_DUE` or `PARKED`, with its time there; None: in none)."""

    message: OutgoingMessage
    attempts: int | None  # None: a message that was never added, written by a cancel alone
    queue: str | None = None
    at: datetime | None = None


def _queue(message: OutgoingMessage) -> str:
    return BULK_DUE if message.mailing_id else DUE


@dataclass
class InMemoryMessages:
    """`store.messages.MessageStore` in dicts: messages by id (with where each waits: due, a
    mailing's due, parked, and a claim's lease), each client's messages (when requested),
    pointers from providers' ids, suppressed addresses (casefolded)."""

    kept: dict[str, _Kept] = field(default_factory=dict)
    of_clients: dict[str, dict[str, datetime]] = field(default_factory=dict)
    providers: dict[str, str] = field(default_factory=dict)
    suppressions: dict[str, tuple[str, datetime]] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, message: OutgoingMessage) -> None:
        def apply() -> None:
            pending = message.is_pending
            self.kept[message.id] = _Kept(
                message,
                message.attempts,
                _queue(message) if pending else None,
                message.due_at if pending else None,
            )
            if message.client_id:
                self.of_clients.setdefault(message.client_id, {})[message.id] = message.requested_at

        staged(unit).stage(apply, holds=lambda: message.id not in self.kept, tag="message-exists")

    def get(self, message_id: str) -> OutgoingMessage | None:
        kept = self.kept.get(message_id)
        return kept.message if kept is not None else None

    def cancel(self, unit: UnitOfWork, message: OutgoingMessage) -> None:
        cancelled = message.model_copy(update={"status": "cancelled"})

        def apply() -> None:
            kept = self.kept.get(message.id)
            if kept is None:
                self.kept[message.id] = _Kept(cancelled, None)
            else:
                kept.message, kept.queue, kept.at = cancelled, None, None

        staged(unit).stage(apply)

    # ------------------------------------------------------------------ the sweep

    def _waiting(self, queue: str) -> list[tuple[datetime, OutgoingMessage]]:
        """The messages waiting in `queue`, each with its time there, earliest first."""
        waiting = [
            (kept.at, kept.message)
            for kept in self.kept.values()
            if kept.queue == queue and kept.at is not None
        ]
        return sorted(waiting, key=lambda row: _place(row[0], row[1].id))

    def due(self, now: datetime, limit: int, bulk_limit: int | None = None) -> list[OutgoingMessage]:
        upto = to_iso(now.replace(second=0, microsecond=0) + timedelta(minutes=1))

        def due_in(queue: str, most: int) -> list[OutgoingMessage]:
            return [message for at, message in self._waiting(queue) if to_iso(at) < upto][:most]

        found = due_in(DUE, limit)
        bulk = limit - len(found) if bulk_limit is None else bulk_limit
        if bulk > 0:
            found += due_in(BULK_DUE, bulk)
        return found

    def _holds(self, message: OutgoingMessage, *, queued: bool) -> Callable[[], bool]:
        """The condition of the sweep's writes: the attempt count is the one read (and, for a
        claim or a deferral, the message still waits in its due list)."""

        def holds() -> bool:
            kept = self.kept.get(message.id)
            if kept is None or kept.attempts != message.attempts:
                return False
            return not queued or kept.queue == _queue(message)

        return holds

    def claim(self, message: OutgoingMessage, now: datetime) -> OutgoingMessage | None:
        claimed = message.model_copy(update={"status": "sending", "attempts": message.attempts + 1})

        def apply() -> None:
            kept = self.kept[message.id]
            kept.message, kept.attempts, kept.at = claimed, claimed.attempts, now + CLAIM_LEASE

        return claimed if _at_once(apply, self._holds(message, queued=True)) else None

    def settle(
        self, message: OutgoingMessage, now: datetime, also: Callable[[UnitOfWork], None] | None = None
    ) -> bool:
        def apply() -> None:
            kept = self.kept[message.id]
            kept.message = message
            if message.is_pending:
                kept.queue, kept.at = _queue(message), message.due_at
            elif message.status == "parked":
                kept.queue, kept.at = PARKED, now
            else:
                kept.queue, kept.at = None, None

        unit = MemoryUnitOfWork()
        unit.stage(apply, holds=self._holds(message, queued=False), tag="settle")
        if also is not None:
            also(unit)
        try:
            unit.commit()
        except ConditionFailed:
            return False
        return True

    def defer(self, message: OutgoingMessage, until: datetime) -> bool:
        moved = message.model_copy(update={"due_at": until})

        def apply() -> None:
            kept = self.kept[message.id]
            kept.message, kept.at = moved, until

        return _at_once(apply, self._holds(message, queued=True))

    def redrive(self, unit: UnitOfWork, message: OutgoingMessage) -> None:
        def holds() -> bool:
            kept = self.kept.get(message.id)
            return kept is not None and kept.queue == PARKED

        def apply() -> None:
            kept = self.kept[message.id]
            kept.message, kept.attempts = message, message.attempts
            kept.queue, kept.at = _queue(message), message.due_at

        staged(unit).stage(
            apply, holds=holds, on_conflict=lambda: Problem.conflict("The message was redriven already.")
        )

    # ------------------------------------------------------------------ provider reports

    def remember_provider_id(self, unit: UnitOfWork, provider_id: str, message_id: str) -> None:
        def apply() -> None:
            self.providers[provider_id] = message_id

        staged(unit).stage(apply)

    def by_provider_id(self, provider_id: str) -> OutgoingMessage | None:
        message_id = self.providers.get(provider_id)
        return self.get(message_id) if message_id is not None else None

    def report(self, unit: UnitOfWork, before: OutgoingMessage, after: OutgoingMessage) -> None:
        def holds() -> bool:
            kept = self.kept.get(after.id)
            return kept is not None and kept.message.status == before.status

        def apply() -> None:
            self.kept[after.id].message = after

        staged(unit).stage(apply, holds=holds)

    def suppress(self, unit: UnitOfWork, address: str, reason: str, at: datetime) -> None:
        def apply() -> None:
            self.suppressions[address.casefold()] = (reason, at)

        staged(unit).stage(apply)

    def suppressed(self, addresses: list[str]) -> set[str]:
        return {
            address.casefold() for address in addresses if address and address.casefold() in self.suppressions
        }

    # ------------------------------------------------------------------ lists

    def parked(self, cursor: str | None, limit: int) -> tuple[list[OutgoingMessage], str | None]:
        rows = [message for _, message in reversed(self._waiting(PARKED))]
        return page(rows, cursor, limit, lambda message: message.id)

    def of_client(
        self, client_id: str, cursor: str | None, limit: int
    ) -> tuple[list[OutgoingMessage], str | None]:
        requested = self.of_clients.get(client_id, {})
        ids = sorted(
            requested, key=lambda message_id: _place(requested[message_id], message_id), reverse=True
        )
        chosen, next_cursor = page(ids, cursor, limit, lambda message_id: message_id)
        return [
            self.kept[message_id].message for message_id in chosen if message_id in self.kept
        ], next_cursor

    def scrub_client(self, unit: UnitOfWork, client_id: str) -> None:
        for message_id in self.of_clients.get(client_id, {}):
            message = self.get(message_id)
            if message is None:
                continue
            scrubbed = message.model_copy(
                update={
                    "variables": {},
                    "text": None,
                    "subject": None,
                    "attachments": [],
                    "log": [entry.model_copy(update={"error": None}) for entry in message.log],
                }
            )
            pending = message.is_pending
            if pending:  # nothing more is sent to a person who asked to be forgotten
                scrubbed = scrubbed.model_copy(update={"status": "cancelled"})
            staged(unit).stage(self._scrubbing(message_id, scrubbed, pending))

    def _scrubbing(self, message_id: str, scrubbed: OutgoingMessage, dequeue: bool) -> Callable[[], None]:
        def apply() -> None:
            kept = self.kept.get(message_id)
            if kept is not None:
                kept.message = scrubbed
                if dequeue:
                    kept.queue, kept.at = None, None

        return apply


# ------------------------------------------------------------------------------ staff feed


@dataclass
class _Feed:
    """One audience's feed: its alerts by key (as added), when each was read, the unread count
    and the moment "mark all read" covered."""

    alerts: dict[str, StaffAlert] = field(default_factory=dict)
    read_at: dict[str, str] = field(default_factory=dict)
    unread: int = 0
    read_up_to: str | None = None


@dataclass
class InMemoryAlerts:
    """`store.records.AlertStore`: each audience's feed (see `_Feed`)."""

    feeds: dict[str, _Feed] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, alert: StaffAlert) -> None:
        key = _place(alert.created_at, alert.id)
        # Kept as stored: the time to the millisecond, the data as JSON reads it back.
        kept = alert.model_copy(
            update={
                "key": key,
                "read": False,
                "created_at": from_iso(to_iso(alert.created_at)),
                "data": json.loads(json.dumps(alert.data, ensure_ascii=False)),
            }
        )

        def apply() -> None:
            feed = self.feeds.setdefault(alert.audience, _Feed())
            feed.alerts[key] = kept
            feed.read_at.pop(key, None)
            feed.unread += 1

        staged(unit).stage(apply)

    def unread(self, audience: str) -> int:
        feed = self.feeds.get(audience)
        return max(0, feed.unread) if feed is not None else 0

    def page(self, audience: str, cursor: str | None, limit: int) -> tuple[list[StaffAlert], str | None]:
        feed = self.feeds.get(audience, _Feed())
        rows = [feed.alerts[key] for key in sorted(feed.alerts, reverse=True)]
        chosen, next_cursor = page(rows, cursor, limit, lambda alert: alert.key)
        up_to = feed.read_up_to
        return [
            alert.model_copy(
                update={
                    "read": bool(feed.read_at.get(alert.key))
                    or (up_to is not None and to_iso(alert.created_at) <= up_to)
                }
            )
            for alert in chosen
        ], next_cursor

    def mark_read(self, unit: UnitOfWork, audience: str, key: str, now: str) -> None:
        feed = self.feeds.get(audience, _Feed())
        alert = feed.alerts.get(key)
        if alert is None:
            raise Problem.not_found("The alert")
        if feed.read_at.get(key) or (feed.read_up_to and to_iso(alert.created_at) <= feed.read_up_to):
            return

        def apply() -> None:
            kept = self.feeds[audience]
            kept.read_at[key] = now
            kept.unread -= 1

        staged(unit).stage(
            apply,
            holds=lambda: key not in self.feeds[audience].read_at,
            on_conflict=lambda: Problem.conflict("The alert was marked read meanwhile."),
        )

    def mark_all_read(self, unit: UnitOfWork, audience: str, now: str) -> None:
        def apply() -> None:
            feed = self.feeds.setdefault(audience, _Feed())
            feed.unread, feed.read_up_to = 0, now

        staged(unit).stage(apply)


@dataclass
class _Subscribed:
    """A user's subscription, the e-mail copies go to, and the audiences they hear."""

    subscription: Subscription
    email: str | None
    audiences: list[str]


@dataclass
class InMemorySubscriptions:
    """`store.records.SubscriptionStore`: each user's subscription (with their e-mail and the
    audiences they hear), and each audience's subscribers by user id."""

    subscriptions: dict[str, _Subscribed] = field(default_factory=dict)
    subscribers: dict[str, dict[str, tuple[str | None, Subscription]]] = field(default_factory=dict)

    def get(self, user_id: str) -> Subscription:
        subscribed = self.subscriptions.get(user_id)
        return subscribed.subscription if subscribed is not None else Subscription()

    def save(
        self,
        unit: UnitOfWork,
        user_id: str,
        email: str | None,
        audiences: list[str],
        subscription: Subscription,
    ) -> None:
        before = self.subscriptions.get(user_id)
        left = set(before.audiences if before is not None else [])
        wanted = list(audiences) if subscription.kinds else []

        def apply() -> None:
            self.subscriptions[user_id] = _Subscribed(subscription, email, list(audiences))
            for audience in left - set(wanted):
                self.subscribers.get(audience, {}).pop(user_id, None)
            for audience in wanted:
                self.subscribers.setdefault(audience, {})[user_id] = (email, subscription)

        staged(unit).stage(apply)

    def of_audience(self, audience: str) -> list[tuple[str, str | None, Subscription]]:
        heard = self.subscribers.get(audience, {})
        return [(user_id, *heard[user_id]) for user_id in sorted(heard)]


# ------------------------------------------------------------------------------ templates


@dataclass
class InMemoryTemplates:
    """`store.templates.TemplateStore`: the templates the company edited, by id."""

    templates: dict[str, Template] = field(default_factory=dict)

    def save(self, unit: UnitOfWork, template: Template) -> None:
        def apply() -> None:
            self.templates[template.id] = template

        staged(unit).stage(apply)

    def get(self, template_id: str) -> Template | None:
        return self.templates.get(template_id)

    def edited(self) -> list[Template]:
        return [self.templates[template_id] for template_id in sorted(self.templates)]

    def remove(self, unit: UnitOfWork, template_id: str) -> None:
        def apply() -> None:
            self.templates.pop(template_id, None)

        staged(unit).stage(apply)
