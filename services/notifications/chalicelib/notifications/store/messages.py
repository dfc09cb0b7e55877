"""Outgoing messages and the due-time index the `deliveries` schedule reads.

| item            | pk                   | sk                      | gsi1pk / gsi1sk                   |
| --------------- | -------------------- | ----------------------- | --------------------------------- |
| message         | MESSAGE#<id>         | MESSAGE                 | MSGDUE / <due at>#<id> (pending)  |
|                 |                      |                         | MSGBULKDUE / ... (a mailing's)    |
|                 |                      |                         | MSGPARKED / <parked at>#<id>      |
| client's message| MESSAGES#<client id> | <requested at>#<id>     |                                   |
| provider's id   | PROVIDER#<SES id>    | PROVIDER                |                                   |
| suppressed      | SUPPRESSED#<address> | SUPPRESSED              |                                   |

The due index is sparse: only a message still to be sent is in `MSGDUE`, sorted by the
moment it is due (a reminder a day ahead, a retry after its backoff, a night message after
the quiet hours). A sweep reads what is due with one Query, oldest first, never a Scan; it
holds only pending messages, so it stays small however many were ever sent. A sent,
cancelled or parked message leaves it; parked ones are listed from `MSGPARKED`.

A mass mailing's messages wait in their own partition (`MSGBULKDUE`): a sweep takes what
is due in `MSGDUE` first and fills the rest of its batch from the mailings, so a booking
confirmation never queues behind ten thousand newsletters.

SES's reports (delivered, bounced) name the message by SES's own id: the pointer, written
with the message's "sent", finds ours. An address that bounced for good or complained is
suppressed: no e-mail goes to it any more (one BatchGet per sending).

A sweep claims a message by bumping its attempt count on condition that the count is what
it read, and moves it a lease ahead in the index: two sweeps never send one attempt twice,
and a sweep that dies mid-send leaves the message to be tried again after the lease.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from chalicelib.notifications.domain.messages import OutgoingMessage
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.update import Action

from lanka_platform.clock import to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import ConditionFailed, Gsi1, Store, TableModel, writes

DUE = "MSGDUE"
BULK_DUE = "MSGBULKDUE"
PARKED = "MSGPARKED"
CLAIM_LEASE = timedelta(minutes=10)


class MessageItem(TableModel):
    body = UnicodeAttribute()
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()


class ClientMessageItem(TableModel):
    message_id = UnicodeAttribute()


class ProviderIdItem(TableModel):
    message_id = UnicodeAttribute()


class SuppressedItem(TableModel):
    reason = UnicodeAttribute()
    at = UnicodeAttribute()


MODELS = (MessageItem, ClientMessageItem, ProviderIdItem, SuppressedItem)


def _key(message_id: str) -> tuple[str, str]:
    return f"MESSAGE#{message_id}", "MESSAGE"


def _due(at: datetime, message_id: str) -> str:
    return f"{to_iso(at)}#{message_id}"


def _due_partition(message: OutgoingMessage) -> str:
    return BULK_DUE if message.mailing_id else DUE


def _conditional(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


class MessageStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(MessageItem)
        self._pointers = store.model(ClientMessageItem)

    def _item(self, message: OutgoingMessage) -> MessageItem:
        pk, sk = _key(message.id)
        item = self._items(pk=pk, sk=sk, body=message.model_dump_json(), status=message.status)
        item.attempts = message.attempts
        if message.is_pending:
            item.gsi1pk, item.gsi1sk = _due_partition(message), _due(message.due_at, message.id)
        return item

    def add(self, unit: UnitOfWork, message: OutgoingMessage) -> None:
        writes(unit).put(self._item(message), condition=self._items.pk.does_not_exist(), tag="message-exists")
        if message.client_id:
            writes(unit).put(
                self._pointers(
                    pk=f"MESSAGES#{message.client_id}",
                    sk=f"{to_iso(message.requested_at)}#{message.id}",
                    message_id=message.id,
                )
            )

    def get(self, message_id: str) -> OutgoingMessage | None:
        try:
            item = self._items.get(*_key(message_id), consistent_read=True)
        except DoesNotExist:
            return None
        return OutgoingMessage.model_validate_json(item.body)

    def cancel(self, unit: UnitOfWork, message: OutgoingMessage) -> None:
        cancelled = message.model_copy(update={"status": "cancelled"})
        model = self._items
        writes(unit).update(
            model(*_key(message.id)),
            [
                model.body.set(cancelled.model_dump_json()),
                model.status.set("cancelled"),
                model.gsi1pk.remove(),
                model.gsi1sk.remove(),
            ],
        )

    # ------------------------------------------------------------------ the sweep

    def due(self, now: datetime, limit: int, bulk_limit: int | None = None) -> list[OutgoingMessage]:
        """Pending messages due by the end of this minute, oldest first: up to `limit` one
        to one, then mailings' messages up to `bulk_limit` (default: what `limit` leaves)."""
        upto = to_iso(now.replace(second=0, microsecond=0) + timedelta(minutes=1))
        found = list(self._items.gsi1.query(DUE, self._items.gsi1sk < upto, limit=limit))
        bulk = limit - len(found) if bulk_limit is None else bulk_limit
        if bulk > 0:
            found += self._items.gsi1.query(BULK_DUE, self._items.gsi1sk < upto, limit=bulk)
        return [OutgoingMessage.model_validate_json(item.body) for item in found]

    def claim(self, message: OutgoingMessage, now: datetime) -> OutgoingMessage | None:
        """Take a due message for one attempt; None when another sweep took it first."""
        model = self._items
        claimed = message.model_copy(update={"status": "sending", "attempts": message.attempts + 1})
        try:
            model(*_key(message.id)).update(
                actions=[
                    model.attempts.set(claimed.attempts),
                    model.status.set("sending"),
                    model.body.set(claimed.model_dump_json()),
                    model.gsi1sk.set(_due(now + CLAIM_LEASE, message.id)),
                ],
                condition=(model.attempts == message.attempts) & (model.gsi1pk == _due_partition(message)),
            )
        except UpdateError as error:
            if _conditional(error):
                return None
            raise
        return claimed

    def settle(
        self, message: OutgoingMessage, now: datetime, also: Callable[[UnitOfWork], None] | None = None
    ) -> bool:
        """Write the outcome of a claimed attempt (sent, due again, parked, cancelled); False
        when the claim's lease ran out and another sweep has taken the message since. `also`
        adds writes that must happen with it (a mailing's counters)."""
        model = self._items
        actions: list[Action] = [model.body.set(message.model_dump_json()), model.status.set(message.status)]
        if message.is_pending:
            actions += [
                model.gsi1pk.set(_due_partition(message)),
                model.gsi1sk.set(_due(message.due_at, message.id)),
            ]
        elif message.status == "parked":
            actions += [model.gsi1pk.set(PARKED), model.gsi1sk.set(_due(now, message.id))]
        else:
            actions += [model.gsi1pk.remove(), model.gsi1sk.remove()]
        if also is not None:
            unit = self._store.unit_of_work()
            writes(unit).update(
                model(*_key(message.id)), actions, condition=model.attempts == message.attempts, tag="settle"
            )
            also(unit)
            try:
                unit.commit()
            except ConditionFailed:
                return False
            return True
        try:
            model(*_key(message.id)).update(actions=actions, condition=model.attempts == message.attempts)
        except UpdateError as error:
            if _conditional(error):
                return False
            raise
        return True

    def defer(self, message: OutgoingMessage, until: datetime) -> bool:
        """Move a due message later without an attempt (quiet hours)."""
        moved = message.model_copy(update={"due_at": until})
        model = self._items
        try:
            model(*_key(message.id)).update(
                actions=[model.body.set(moved.model_dump_json()), model.gsi1sk.set(_due(until, message.id))],
                condition=(model.attempts == message.attempts) & (model.gsi1pk == _due_partition(message)),
            )
        except UpdateError as error:
            if _conditional(error):
                return False
            raise
        return True

    def redrive(self, unit: UnitOfWork, message: OutgoingMessage) -> None:
        model = self._items
        writes(unit).update(
            model(*_key(message.id)),
            [
                model.body.set(message.model_dump_json()),
                model.status.set(message.status),
                model.attempts.set(message.attempts),
                model.gsi1pk.set(_due_partition(message)),
                model.gsi1sk.set(_due(message.due_at, message.id)),
            ],
            condition=model.gsi1pk == PARKED,
            on_conflict=lambda: Problem.conflict("The message was redriven already."),
        )

    # ------------------------------------------------------------------ provider reports

    def remember_provider_id(self, unit: UnitOfWork, provider_id: str, message_id: str) -> None:
        writes(unit).put(
            self._store.model(ProviderIdItem)(f"PROVIDER#{provider_id}", "PROVIDER", message_id=message_id)
        )

    def by_provider_id(self, provider_id: str) -> OutgoingMessage | None:
        try:
            pointer = self._store.model(ProviderIdItem).get(f"PROVIDER#{provider_id}", "PROVIDER")
        except DoesNotExist:
            return None
        return self.get(pointer.message_id)

    def report(self, unit: UnitOfWork, before: OutgoingMessage, after: OutgoingMessage) -> None:
        """The provider's report on a sent message, if its status is still the one read."""
        model = self._items
        writes(unit).update(
            model(*_key(after.id)),
            [model.body.set(after.model_dump_json()), model.status.set(after.status)],
            condition=model.status == before.status,
        )

    def suppress(self, unit: UnitOfWork, address: str, reason: str, at: datetime) -> None:
        writes(unit).put(
            self._store.model(SuppressedItem)(
                f"SUPPRESSED#{address.casefold()}", "SUPPRESSED", reason=reason, at=to_iso(at)
            )
        )

    def suppressed(self, addresses: list[str]) -> set[str]:
        """Which of these e-mail addresses are suppressed (casefolded)."""
        # Distinct once casefolded: DynamoDB refuses a BatchGetItem that names a key twice.
        distinct = dict.fromkeys(address.casefold() for address in addresses if address)
        keys = [(f"SUPPRESSED#{address}", "SUPPRESSED") for address in distinct]
        if not keys:
            return set()
        return {
            item.pk.removeprefix("SUPPRESSED#") for item in self._store.model(SuppressedItem).batch_get(keys)
        }

    # ------------------------------------------------------------------ lists

    def parked(self, cursor: str | None, limit: int) -> tuple[list[OutgoingMessage], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        result = self._items.gsi1.query(
            PARKED, scan_index_forward=False, limit=limit, last_evaluated_key=decode_cursor(cursor, secret)
        )
        items = [OutgoingMessage.model_validate_json(item.body) for item in result]
        return items, encode_cursor(result.last_evaluated_key, secret)

    def of_client(
        self, client_id: str, cursor: str | None, limit: int
    ) -> tuple[list[OutgoingMessage], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        result = self._pointers.query(
            f"MESSAGES#{client_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, secret),
        )
        ids = [item.message_id for item in result]
        found = {
            item.pk: OutgoingMessage.model_validate_json(item.body)
            for item in self._items.batch_get([_key(message_id) for message_id in ids])
        }
        items = [found[f"MESSAGE#{i}"] for i in ids if f"MESSAGE#{i}" in found]
        return items, encode_cursor(result.last_evaluated_key, secret)

    def scrub_client(self, unit: UnitOfWork, client_id: str) -> None:
        """Forget what was to be said to an erased person (that a message existed stays)."""
        model = self._items
        for pointer in self._pointers.query(f"MESSAGES#{client_id}"):
            message = self.get(pointer.message_id)
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
            actions: list[Action] = [model.body.set(scrubbed.model_dump_json())]
            if message.is_pending:  # nothing more is sent to a person who asked to be forgotten
                scrubbed = scrubbed.model_copy(update={"status": "cancelled"})
                actions = [
                    model.body.set(scrubbed.model_dump_json()),
                    model.status.set("cancelled"),
                    model.gsi1pk.remove(),
                    model.gsi1sk.remove(),
                ]
            writes(unit).update(model(*_key(message.id)), actions)
