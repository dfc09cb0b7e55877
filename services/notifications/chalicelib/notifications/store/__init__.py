"""The notifications table: the only code that knows its keys (each module documents its items)."""

from __future__ import annotations

from chalicelib.notifications.store import (
    bookings,
    contacts,
    conversations,
    digest,
    mailings,
    messages,
    records,
    templates,
)
from chalicelib.notifications.store.bookings import ReminderStore
from chalicelib.notifications.store.contacts import ContactStore, PaceStore, SettingsStore
from chalicelib.notifications.store.conversations import ConversationStore, InboundStore
from chalicelib.notifications.store.digest import DigestStore
from chalicelib.notifications.store.mailings import AudienceStore, MailingStore
from chalicelib.notifications.store.messages import MessageStore
from chalicelib.notifications.store.records import AlertStore, SubscriptionStore
from chalicelib.notifications.store.templates import TemplateStore

MODELS = (
    *records.MODELS,
    *contacts.MODELS,
    *messages.MODELS,
    *templates.MODELS,
    *bookings.MODELS,
    *digest.MODELS,
    *conversations.MODELS,
    *mailings.MODELS,
)

__all__ = [
    "MODELS",
    "AlertStore",
    "AudienceStore",
    "ContactStore",
    "ConversationStore",
    "DigestStore",
    "InboundStore",
    "MailingStore",
    "MessageStore",
    "PaceStore",
    "ReminderStore",
    "SettingsStore",
    "SubscriptionStore",
    "TemplateStore",
]
