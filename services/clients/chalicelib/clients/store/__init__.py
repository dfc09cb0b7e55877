"""The clients table: the only code that knows its keys (each module documents its items)."""

from __future__ import annotations

from chalicelib.clients.store import audit, clients, fieldwork, timeline, transfer
from chalicelib.clients.store.audit import AuditLog
from chalicelib.clients.store.clients import ClientStore
from chalicelib.clients.store.fieldwork import FieldWork
from chalicelib.clients.store.timeline import TimelineStore

MODELS = (*clients.MODELS, *timeline.MODELS, *audit.MODELS, *fieldwork.MODELS, *transfer.MODELS)

__all__ = ["MODELS", "AuditLog", "ClientStore", "FieldWork", "TimelineStore"]
