"""The notifications table: the only code that knows its keys (each module documents its items)."""

from __future__ import annotations

from chalicelib.notifications.store import conversations, records
from chalicelib.notifications.store.conversations import ConversationStore, InboundStore
from chalicelib.notifications.store.records import AlertStore, MessageStore, TemplateStore

MODELS = (*records.MODELS, *conversations.MODELS)

__all__ = ["MODELS", "AlertStore", "ConversationStore", "InboundStore", "MessageStore", "TemplateStore"]
