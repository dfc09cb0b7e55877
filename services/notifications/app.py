"""The notifications service: Lambda finds its handlers here; routes live in
chalicelib/notifications/api."""

from __future__ import annotations

from chalicelib.notifications.api import alerts, conversations, inbound, messages, templates
from chalicelib.notifications.service import service

app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep

ROUTE_MODULES = (templates, alerts, messages, conversations, inbound)
