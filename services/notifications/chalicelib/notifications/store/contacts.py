"""The contact projection and the company's messaging settings.

| item          | pk                  | sk       |
| ------------- | ------------------- | -------- |
| contact card  | CONTACT#<client id> | CONTACT  |
| quiet hours   | SETTINGS            | QUIET    |
| mailing pace  | SETTINGS            | PACE     |
| pace used     | PACE#<minute>       | PACE     |  (messages of mailings sent in that minute; TTL)

A merged client's card points at the survivor (`merged_into`), so a message still queued
for the merged id reaches the survivor.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.notifications.domain.contacts import ContactCard
from chalicelib.notifications.domain.mailings import MailingPace
from chalicelib.notifications.domain.quiet import QuietHours
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Store, TableModel, writes


class ContactItem(TableModel):
    body = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    merged_into = UnicodeAttribute(null=True)


class SettingsItem(TableModel):
    body = UnicodeAttribute()


class PaceItem(TableModel):
    sent = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)


MODELS = (ContactItem, SettingsItem, PaceItem)


def _key(client_id: str) -> tuple[str, str]:
    return f"CONTACT#{client_id}", "CONTACT"


class ContactStore:
    def __init__(self, store: Store) -> None:
        self._items = store.model(ContactItem)

    def _item(self, client_id: str) -> ContactItem | None:
        try:
            return self._items.get(*_key(client_id), consistent_read=True)
        except DoesNotExist:
            return None

    def get(self, client_id: str) -> ContactCard | None:
        item = self._item(client_id)
        if item is not None and item.merged_into:
            item = self._item(item.merged_into)
        if item is None or not item.body:
            return None
        return ContactCard.model_validate_json(item.body)

    def own(self, client_id: str) -> ContactCard | None:
        """The client's own card (None for a merged client: it has none of its own now)."""
        item = self._item(client_id)
        if item is None or not item.body or item.merged_into:
            return None
        return ContactCard.model_validate_json(item.body)

    def many(self, client_ids: list[str]) -> dict[str, ContactCard]:
        """The cards of these clients (BatchGet; merged and unknown ones left out)."""
        keys = [_key(client_id) for client_id in dict.fromkeys(client_ids)]
        return {
            item.pk.removeprefix("CONTACT#"): ContactCard.model_validate_json(item.body)
            for item in self._items.batch_get(keys)
            if item.body and not item.merged_into
        }

    def version(self, client_id: str) -> int:
        item = self._item(client_id)
        return int(item.version or 0) if item is not None else 0

    def put(self, unit: UnitOfWork, card: ContactCard, read_version: int | None = None) -> None:
        """Replace the card; with `read_version`, only if it is still the version read (the
        audience sizes were counted from that card: two changes at once must not both)."""
        items = self._items
        condition = None
        if read_version is not None:
            condition = items.pk.does_not_exist() | (items.version == read_version)
        writes(unit).put(
            items(*_key(card.client_id), body=card.model_dump_json(), version=card.version),
            condition=condition,
            tag="contact-card-changed",
        )

    def merged(self, unit: UnitOfWork, merged_id: str, survivor_id: str) -> None:
        writes(unit).put(self._items(*_key(merged_id), merged_into=survivor_id, version=0))

    def forget(self, unit: UnitOfWork, client_id: str) -> None:
        writes(unit).delete(self._items(*_key(client_id)))


class SettingsStore:
    def __init__(self, store: Store) -> None:
        self._items = store.model(SettingsItem)

    def quiet_hours(self) -> QuietHours:
        try:
            item = self._items.get("SETTINGS", "QUIET")
        except DoesNotExist:
            return QuietHours()
        return QuietHours.model_validate_json(item.body)

    def save_quiet_hours(self, unit: UnitOfWork, hours: QuietHours) -> None:
        writes(unit).put(self._items("SETTINGS", "QUIET", body=hours.model_dump_json()))

    def mailing_pace(self) -> MailingPace:
        try:
            item = self._items.get("SETTINGS", "PACE")
        except DoesNotExist:
            return MailingPace()
        return MailingPace.model_validate_json(item.body)

    def save_mailing_pace(self, unit: UnitOfWork, pace: MailingPace) -> None:
        writes(unit).put(self._items("SETTINGS", "PACE", body=pace.model_dump_json()))


class PaceStore:
    """Messages of mailings sent per minute, so that the pace holds however often the
    sweep runs (one counter per minute, gone a day later)."""

    def __init__(self, store: Store) -> None:
        self._items = store.model(PaceItem)

    @staticmethod
    def _minute(now: datetime) -> str:
        return now.strftime("PACE#%Y-%m-%dT%H:%M")

    def used(self, now: datetime) -> int:
        try:
            return int(self._items.get(self._minute(now), "PACE", consistent_read=True).sent or 0)
        except DoesNotExist:
            return 0

    def add(self, now: datetime, sent: int) -> None:
        model = self._items
        model(self._minute(now), "PACE").update(
            actions=[model.sent.add(sent), model.expires_at.set(now + timedelta(days=1))]
        )
