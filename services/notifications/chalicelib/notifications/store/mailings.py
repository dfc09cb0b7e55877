"""Mass mailings, their recipients' markers, and the audience projection they read.

| item             | pk                       | sk                    | gsi1pk / gsi1sk                 |
| ---------------- | ------------------------ | --------------------- | ------------------------------- |
| mailing          | MAILING#<id>             | MAILING               | MAILINGDUE / <start at>#<id>    |
|                  |                          |                       | (while scheduled or sending)    |
| mailing in list  | MAILINGS                 | <created at>#<id>     |                                 |
| recipient marker | MAILED#<mailing id>      | <client id>           |                                 |
| audience member  | AUDIENCE#<partition>     | <client id>           |                                 |
| audience size    | AUDIENCESIZE             | <partition>           |                                 |
| client profile   | SEGMENT#<client id>      | SEGMENT               |                                 |

A partition is `ALL`, `TAG#<tag>`, `SOURCE#<source>` (casefolded), `PIPELINE#<pipeline id>`
or `STAGE#<pipeline id>/<stage>`; a client is a member only while their marketing consent is
given (see `domain.mailings.partitions`), each entry holds the client's whole segment, and
each partition's size is kept beside it as members come and go. The client profile holds
what the card does not (open deals' stages, last contact, custom fields) and its version is
the lock every change of a client's entries takes.

Cost: a preview of an audience that is one partition is one GetItem; any other reads the
smallest candidate partition with Query (about 4,000 entries per 1 MB page), so it grows with
the consenting clients of that partition, never with the whole table. A sending step reads
one page of 100 of it.
The mailing's counters (queued, skipped, sent, failed, cancelled) are numbers on its item,
added to in the same transaction as what they count.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from chalicelib.notifications.domain.mailings import (
    PROFILE_CHANGED,
    Mailing,
    Outcome,
    Profile,
    Recipient,
    Segment,
)
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from lanka_platform.clock import to_iso
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Gsi1, Store, TableModel, writes

DUE = "MAILINGDUE"
COUNTERS = (
    "queued",
    "skipped",
    "sent",
    "delivered",
    "failed",
    "complained",
    "unsubscribed",
    "cancelled_messages",
)


class MailingItem(TableModel):
    body = UnicodeAttribute()
    status = UnicodeAttribute()
    cursor = UnicodeAttribute(null=True)
    queued = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    delivered = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    complained = NumberAttribute(default=0)
    unsubscribed = NumberAttribute(default=0)
    cancelled_messages = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()


class MailingListItem(TableModel):
    mailing_id = UnicodeAttribute()


class RecipientItem(TableModel):
    outcome = UnicodeAttribute()
    message_id = UnicodeAttribute(null=True)


class AudienceItem(TableModel):
    segment = UnicodeAttribute(null=True)
    # Entries written before segments carried more than these two.
    tags = UnicodeAttribute(default="[]")
    source = UnicodeAttribute(null=True)

    def as_segment(self) -> Segment:
        if self.segment:
            return Segment.model_validate_json(self.segment)
        return Segment(tags=json.loads(self.tags or "[]"), source=self.source)


class AudienceSizeItem(TableModel):
    size = NumberAttribute(default=0)


class ProfileItem(TableModel):
    body = UnicodeAttribute()
    version = NumberAttribute(default=0)


MODELS = (MailingItem, MailingListItem, RecipientItem, AudienceItem, AudienceSizeItem, ProfileItem)


def _key(mailing_id: str) -> tuple[str, str]:
    return f"MAILING#{mailing_id}", "MAILING"


def _due(at: datetime, mailing_id: str) -> str:
    return f"{to_iso(at)}#{mailing_id}"


class AudienceMember:
    def __init__(self, client_id: str, segment: Segment) -> None:
        self.client_id = client_id
        self.segment = segment


class AudienceStore:
    """The audience projection: who may get mailings, per partition."""

    def __init__(self, store: Store) -> None:
        self._members = store.model(AudienceItem)
        self._sizes = store.model(AudienceSizeItem)
        self._profiles = store.model(ProfileItem)

    def profile(self, client_id: str) -> tuple[Profile, int]:
        """The client's profile and its version (0: none yet)."""
        try:
            item = self._profiles.get(f"SEGMENT#{client_id}", "SEGMENT", consistent_read=True)
        except DoesNotExist:
            return Profile(), 0
        return Profile.model_validate_json(item.body), int(item.version or 0)

    def save_profile(self, unit: UnitOfWork, client_id: str, profile: Profile, read_version: int) -> None:
        """Replace the profile if it is still the version read (the client's entries were
        worked out from it: two changes at once must not both)."""
        model = self._profiles
        condition = model.pk.does_not_exist() if read_version == 0 else model.version == read_version
        writes(unit).put(
            model(
                f"SEGMENT#{client_id}", "SEGMENT", body=profile.model_dump_json(), version=read_version + 1
            ),
            condition=condition,
            tag=PROFILE_CHANGED,
        )

    def forget_profile(self, unit: UnitOfWork, client_id: str) -> None:
        writes(unit).delete(self._profiles(f"SEGMENT#{client_id}", "SEGMENT"))

    def join(self, unit: UnitOfWork, partition: str, client_id: str, segment: Segment) -> None:
        writes(unit).put(self._members(f"AUDIENCE#{partition}", client_id, segment=segment.model_dump_json()))

    def count(self, unit: UnitOfWork, partition: str, by: int) -> None:
        sizes = self._sizes
        writes(unit).update(sizes("AUDIENCESIZE", partition), [sizes.size.add(by)])

    def leave(self, unit: UnitOfWork, partition: str, client_id: str) -> None:
        writes(unit).delete(self._members(f"AUDIENCE#{partition}", client_id))

    def size(self, partition: str) -> int:
        try:
            return max(0, int(self._sizes.get("AUDIENCESIZE", partition).size or 0))
        except DoesNotExist:
            return 0

    def page(self, partition: str, after: str | None, limit: int) -> tuple[list[AudienceMember], bool]:
        """Members after the client id `after`, in id order; and whether more follow."""
        model = self._members
        condition = model.sk > after if after else None
        result = model.query(f"AUDIENCE#{partition}", condition, limit=limit, consistent_read=True)
        members = [AudienceMember(item.sk, item.as_segment()) for item in result]
        return members, result.last_evaluated_key is not None

    def count_matching(self, partition: str, test: Callable[[Segment], bool]) -> int:
        """The members of `partition` whose segment passes `test` (a Query of the whole
        partition, page after page: it grows with that partition)."""
        model = self._members
        return sum(
            1
            for item in model.query(f"AUDIENCE#{partition}", consistent_read=True)
            if test(item.as_segment())
        )


class MailingStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._items = store.model(MailingItem)
        self._list = store.model(MailingListItem)
        self._recipients = store.model(RecipientItem)

    def _mailing(self, item: MailingItem) -> Mailing:
        counters = {name: int(getattr(item, name) or 0) for name in COUNTERS}
        mailing = Mailing.model_validate_json(item.body)
        return mailing.model_copy(update={**counters, "status": item.status, "cursor": item.cursor})

    def add(self, unit: UnitOfWork, mailing: Mailing) -> None:
        item = self._items(
            *_key(mailing.id),
            body=mailing.model_dump_json(),
            status=mailing.status,
            gsi1pk=DUE,
            gsi1sk=_due(mailing.start_at, mailing.id),
        )
        writes(unit).put(item, condition=self._items.pk.does_not_exist())
        writes(unit).put(
            self._list("MAILINGS", f"{to_iso(mailing.created_at)}#{mailing.id}", mailing_id=mailing.id)
        )

    def get(self, mailing_id: str) -> Mailing | None:
        try:
            return self._mailing(self._items.get(*_key(mailing_id), consistent_read=True))
        except DoesNotExist:
            return None

    def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of the mailings that should be sending now, earliest first."""
        upto = to_iso(now)
        found = self._items.gsi1.query(DUE, self._items.gsi1sk <= f"{upto}~", limit=limit)
        return [item.pk.removeprefix("MAILING#") for item in found]

    def page(self, cursor: str | None, limit: int) -> tuple[list[Mailing], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        result = self._list.query(
            "MAILINGS",
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, secret),
        )
        ids = [item.mailing_id for item in result]
        found = {item.pk: self._mailing(item) for item in self._items.batch_get([_key(i) for i in ids])}
        items = [found[f"MAILING#{i}"] for i in ids if f"MAILING#{i}" in found]
        return items, encode_cursor(result.last_evaluated_key, secret)

    # ------------------------------------------------------------------ sending

    def mark(
        self, unit: UnitOfWork, mailing_id: str, client_id: str, outcome: Outcome, message_id: str | None
    ) -> None:
        """The recipient's marker: refused (the whole unit) when they were handled already."""
        recipients = self._recipients
        writes(unit).put(
            recipients(f"MAILED#{mailing_id}", client_id, outcome=outcome, message_id=message_id),
            condition=recipients.pk.does_not_exist(),
            tag="mailed",
        )

    def add_to(self, unit: UnitOfWork, mailing_id: str, counter: str, by: int = 1) -> None:
        self.add_counts(unit, mailing_id, {counter: by})

    def add_counts(self, unit: UnitOfWork, mailing_id: str, counts: dict[str, int]) -> None:
        """One update of the mailing's counters (a transaction may touch an item once)."""
        model = self._items
        actions = [getattr(model, counter).add(by) for counter, by in counts.items() if by]
        if actions:
            writes(unit).update(model(*_key(mailing_id)), actions)

    def start(self, mailing: Mailing) -> bool:
        """scheduled -> sending; False when it is not scheduled any more."""
        return self._set_status(mailing.id, "sending", "scheduled")

    def advance(self, mailing: Mailing, cursor: str) -> bool:
        """Remember that everyone up to `cursor` was handled; False when the mailing was
        cancelled or another step moved it meanwhile."""
        model = self._items
        condition = (model.status == "sending") & (
            model.cursor == mailing.cursor if mailing.cursor else model.cursor.does_not_exist()
        )
        return self._update(mailing.id, [model.cursor.set(cursor)], condition)

    def finish(self, mailing: Mailing) -> bool:
        model = self._items
        handled = mailing.queued + mailing.skipped
        body = mailing.model_copy(update={"total": handled, "status": "finished"})
        return self._update(
            mailing.id,
            [
                model.status.set("finished"),
                model.body.set(body.model_dump_json()),
                model.gsi1pk.remove(),
                model.gsi1sk.remove(),
            ],
            model.status == "sending",
        )

    def cancel(self, unit: UnitOfWork, mailing: Mailing) -> None:
        model = self._items
        writes(unit).update(
            model(*_key(mailing.id)),
            [model.status.set("cancelled"), model.gsi1pk.remove(), model.gsi1sk.remove()],
            condition=model.status.is_in("scheduled", "sending", "finished"),
            on_conflict=lambda: Problem.conflict("The mailing was cancelled already."),
        )

    def _set_status(self, mailing_id: str, status: str, was: str) -> bool:
        model = self._items
        return self._update(mailing_id, [model.status.set(status)], model.status == was)

    def _update(self, mailing_id: str, actions: list, condition: object) -> bool:  # type: ignore[type-arg]
        try:
            self._items(*_key(mailing_id)).update(actions=actions, condition=condition)  # type: ignore[arg-type]
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def recipients(
        self, mailing_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Recipient], str | None]:
        secret = self._store.settings.cursor_secret.encode()
        result = self._recipients.query(
            f"MAILED#{mailing_id}", limit=limit, last_evaluated_key=decode_cursor(cursor, secret)
        )
        items = [
            Recipient(client_id=item.sk, message_id=item.message_id, outcome=item.outcome) for item in result
        ]
        return items, encode_cursor(result.last_evaluated_key, secret)
