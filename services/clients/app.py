"""The clients service: Lambda finds its handlers here; routes live in chalicelib/clients/api."""

from __future__ import annotations

from chalicelib.clients.api import cards, events, signin, staff, transfer
from chalicelib.clients.service import service

app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep

ROUTE_MODULES = (cards, staff, signin, events, transfer)
