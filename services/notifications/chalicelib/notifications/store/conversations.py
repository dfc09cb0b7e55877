"""Inbound messages, conversations, the inbox and who owns which client.

| item           | pk                       | sk                  | gsi1pk / gsi1sk                     |
| -------------- | ------------------------ | ------------------- | ----------------------------------- |
| inbound        | INBOUND#<message id>     | MESSAGE             |                                     |
| call so far    | CALL#<provider>#<call>   | CALL                |                                     |
| entry          | CONVERSATION#<client>    | <at>#<message id>   |                                     |
| inbox line     | SUMMARY#<client>         | ALL                 | INBOX#all / <last at>#<client>      |
| owner's line   | SUMMARY#<client>         | OWNER               | INBOX#owner:<id or -> / same        |
| client         | CLIENT#<client>          | OWNER               |                                     |
| mail thread    | MAILID#<Message-ID hash> | MAIL                |                                     |
| form key       | FORMKEY#<key hash>       | FORM                |                                     |

An inbound item is the request's own record: `ClientRequestReceived` for an id that has
none is another service's request and is ignored (one GetItem). A client's conversation is
one partition, newest first. The inbox keeps two lines per client, one in the list of all
conversations and one in its owner's list, so each list is one Query on the index.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from chalicelib.notifications.domain.inbound import (
    CallDetails,
    ConversationEntry,
    ConversationSummary,
    InboundMessage,
    KnownClient,
    Sender,
)
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.clock import to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Gsi1, Store, TableModel, writes

ALL = "INBOX#all"
KEY_KEPT = timedelta(hours=24)


def owner_inbox(owner_id: str | None) -> str:
    return f"INBOX#owner:{owner_id or '-'}"


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


class InboundItem(TableModel):
    body = UnicodeAttribute()
    client_id = UnicodeAttribute(null=True)


class CallItem(TableModel):
    body = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)


class EntryItem(TableModel):
    body = UnicodeAttribute()


class SummaryItem(TableModel):
    body = UnicodeAttribute()
    address = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = Gsi1()


class ClientItem(TableModel):
    name = UnicodeAttribute(null=True)
    owner_id = UnicodeAttribute(null=True)
    client_version = NumberAttribute(default=0)
    merged_into = UnicodeAttribute(null=True)


class MailThreadItem(TableModel):
    client_id = UnicodeAttribute()


class FormKeyItem(TableModel):
    request_hash = UnicodeAttribute()
    request_id = UnicodeAttribute()
    expires_at = TTLAttribute()


MODELS = (InboundItem, CallItem, EntryItem, SummaryItem, ClientItem, MailThreadItem, FormKeyItem)


class InboundStore:
    """Inbound messages (and calls still going on), by their own id."""

    def __init__(self, store: Store) -> None:
        self._messages = store.model(InboundItem)
        self._calls = store.model(CallItem)
        self._keys = store.model(FormKeyItem)

    def get(self, message_id: str) -> InboundMessage | None:
        try:
            item = self._messages.get(f"INBOUND#{message_id}", "MESSAGE")
        except DoesNotExist:
            return None
        return InboundMessage.model_validate_json(item.body)

    def add(self, unit: UnitOfWork, message: InboundMessage) -> None:
        """Keep a new message; the same id twice at once: one wins, the other is a replay."""
        writes(unit).put(
            self._messages(
                pk=f"INBOUND#{message.id}",
                sk="MESSAGE",
                body=message.model_dump_json(),
                client_id=message.client_id,
            ),
            condition=self._messages.pk.does_not_exist(),
            on_conflict=lambda: Problem.conflict("This message is being received already."),
        )

    def attach(self, unit: UnitOfWork, message: InboundMessage, client_id: str) -> None:
        """Say whose the message is (once: a second attempt changes nothing)."""
        attached = message.model_copy(update={"client_id": client_id})
        writes(unit).put(
            self._messages(
                pk=f"INBOUND#{message.id}", sk="MESSAGE", body=attached.model_dump_json(), client_id=client_id
            ),
            condition=self._messages.client_id.does_not_exist(),
            tag="stale:attached",
        )

    def scrub(self, message_ids: list[str]) -> None:
        """Forget who sent these messages and what they said (an erased person)."""
        for message_id in message_ids:
            message = self.get(message_id)
            if message is None:
                continue
            scrubbed = message.model_copy(
                update={"sender": Sender(), "text": "", "subject": None, "attachments": [], "mail_id": None}
            )
            self._messages(
                pk=f"INBOUND#{message_id}",
                sk="MESSAGE",
                body=scrubbed.model_dump_json(),
                client_id=message.client_id,
            ).save()

    def call(self, provider: str, call_id: str) -> tuple[CallDetails | None, str | None]:
        """A call under way so far, and the other party's number."""
        try:
            item = self._calls.get(f"CALL#{provider}#{call_id}", "CALL")
        except DoesNotExist:
            return None, None
        return CallDetails.model_validate_json(item.body), item.phone

    def save_call(self, unit: UnitOfWork, call_id: str, details: CallDetails, phone: str | None) -> None:
        """A call under way (started, answered): what the finished call will be told with."""
        writes(unit).put(
            self._calls(
                pk=f"CALL#{details.provider}#{call_id}",
                sk="CALL",
                body=details.model_dump_json(),
                phone=phone,
            )
        )

    def form_key(self, key: str) -> FormKeyItem | None:
        try:
            return self._keys.get(f"FORMKEY#{_hash(key)}", "FORM")
        except DoesNotExist:
            return None

    def claim_form_key(
        self, unit: UnitOfWork, key: str, request_hash: str, request_id: str, now: datetime
    ) -> None:
        writes(unit).put(
            self._keys(
                pk=f"FORMKEY#{_hash(key)}",
                sk="FORM",
                request_hash=request_hash,
                request_id=request_id,
                expires_at=now + KEY_KEPT,
            ),
            condition=self._keys.pk.does_not_exist(),
            on_conflict=lambda: Problem.conflict(
                "Another request with this Idempotency-Key got there first."
            ),
        )


class ConversationStore:
    """Conversations, the inbox and the owners of clients."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._entries = store.model(EntryItem)
        self._summaries = store.model(SummaryItem)
        self._clients = store.model(ClientItem)
        self._threads = store.model(MailThreadItem)

    @property
    def _secret(self) -> bytes:
        return self._store.settings.cursor_secret.encode()

    # ------------------------------------------------------------------ entries

    def add_entry(self, unit: UnitOfWork, entry: ConversationEntry) -> None:
        writes(unit).put(
            self._entries(
                pk=f"CONVERSATION#{entry.client_id}",
                sk=f"{to_iso(entry.at)}#{entry.id}",
                body=entry.model_dump_json(),
            )
        )

    def page(
        self, client_id: str, cursor: str | None, limit: int
    ) -> tuple[list[ConversationEntry], str | None]:
        result = self._entries.query(
            f"CONVERSATION#{client_id}",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, self._secret),
        )
        items = [ConversationEntry.model_validate_json(item.body) for item in result]
        return items, encode_cursor(result.last_evaluated_key, self._secret)

    def move(self, from_client: str, to_client: str) -> None:
        """Re-file a merged client's conversation under the survivor, and drop its inbox
        lines. Written item by item outside the event's transaction (a conversation may
        exceed one); every write is idempotent, so a redelivered merge finishes the move."""
        with self._entries.batch_write() as batch:
            for item in self._entries.query(f"CONVERSATION#{from_client}"):
                entry = ConversationEntry.model_validate_json(item.body)
                moved = entry.model_copy(update={"client_id": to_client})
                copy = self._entries(pk=f"CONVERSATION#{to_client}", sk=item.sk, body=moved.model_dump_json())
                batch.save(copy)
                batch.delete(item)
        merged = self.summary(from_client)
        survivor = self.summary(to_client)
        if merged is not None and (survivor is None or merged.last_at > survivor.last_at):
            unit = self._store.unit_of_work()
            known = self.client(to_client)
            self.put_summary(
                unit,
                merged.model_copy(
                    update={
                        "client_id": to_client,
                        "client_name": known.name if known else merged.client_name,
                        "owner_id": known.owner_id if known else merged.owner_id,
                    }
                ),
            )
            unit.commit()
        for sk in ("ALL", "OWNER"):
            self._summaries(pk=f"SUMMARY#{from_client}", sk=sk).delete()

    def scrub(self, client_id: str, placeholder_name: str) -> list[str]:
        """Forget what an erased person said (each entry rewritten once) and their name (the
        placeholder stands in); the ids of their inbound messages, whose contact details go too."""
        ids = []
        for item in self._entries.query(f"CONVERSATION#{client_id}"):
            entry = ConversationEntry.model_validate_json(item.body)
            if entry.direction == "in":
                ids.append(entry.id)
            if entry.text or entry.subject or entry.attachments:
                item.body = entry.model_copy(
                    update={"text": "", "subject": None, "attachments": []}
                ).model_dump_json()
                item.save()
        for sk in ("ALL", "OWNER"):
            try:
                line = self._summaries.get(f"SUMMARY#{client_id}", sk)
            except DoesNotExist:
                continue
            summary = ConversationSummary.model_validate_json(line.body)
            line.body = summary.model_copy(
                update={"preview": "", "client_name": placeholder_name}
            ).model_dump_json()
            line.address = None
            line.save()
        try:
            known = self._clients.get(f"CLIENT#{client_id}", "OWNER")
        except DoesNotExist:
            return ids
        if known.name:
            known.name = placeholder_name
            known.save()
        return ids

    # ------------------------------------------------------------------ inbox

    def summary(self, client_id: str) -> ConversationSummary | None:
        try:
            item = self._summaries.get(f"SUMMARY#{client_id}", "ALL")
        except DoesNotExist:
            return None
        return _summary(item)

    def put_summary(self, unit: UnitOfWork, summary: ConversationSummary) -> None:
        order = f"{to_iso(summary.last_at)}#{summary.client_id}"
        for sk, index in (("ALL", ALL), ("OWNER", owner_inbox(summary.owner_id))):
            writes(unit).put(
                self._summaries(
                    pk=f"SUMMARY#{summary.client_id}",
                    sk=sk,
                    body=summary.model_dump_json(),
                    address=summary.reply_address,
                    gsi1pk=index,
                    gsi1sk=order,
                )
            )

    def inbox(
        self, index: str, cursor: str | None, limit: int
    ) -> tuple[list[ConversationSummary], str | None]:
        result = self._summaries.gsi1.query(
            index,
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, self._secret),
        )
        items = [_summary(item) for item in result]
        return items, encode_cursor(result.last_evaluated_key, self._secret)

    # ------------------------------------------------------------------ owners

    def client(self, client_id: str) -> KnownClient | None:
        try:
            item = self._clients.get(f"CLIENT#{client_id}", "OWNER")
        except DoesNotExist:
            return None
        return KnownClient(
            client_id=client_id,
            name=item.name,
            owner_id=item.owner_id,
            client_version=int(item.client_version or 0),
            merged_into=item.merged_into,
        )

    def put_client(
        self,
        unit: UnitOfWork,
        client_id: str,
        name: str | None,
        owner_id: str | None,
        version: int,
        merged_into: str | None = None,
    ) -> None:
        writes(unit).put(
            self._clients(
                pk=f"CLIENT#{client_id}",
                sk="OWNER",
                name=name,
                owner_id=owner_id,
                client_version=version,
                merged_into=merged_into,
            )
        )

    # ------------------------------------------------------------------ e-mail threads

    def thread_client(self, mail_ids: list[str]) -> str | None:
        """The client of the newest known message among `mail_ids` (one BatchGet)."""
        if not mail_ids:
            return None
        keys = [(f"MAILID#{_hash(mail_id)}", "MAIL") for mail_id in mail_ids[:50]]
        found = {item.pk: item.client_id for item in self._threads.batch_get(keys)}
        for pk, _ in keys:
            if pk in found:
                return found[pk]
        return None

    def remember_thread(self, unit: UnitOfWork, mail_id: str, client_id: str) -> None:
        writes(unit).put(self._threads(pk=f"MAILID#{_hash(mail_id)}", sk="MAIL", client_id=client_id))


def _summary(item: SummaryItem) -> ConversationSummary:
    summary = ConversationSummary.model_validate_json(item.body)
    return summary.model_copy(update={"reply_address": item.address})
