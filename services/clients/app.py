"""The clients service: Lambda finds its handlers here; routes live in chalicelib/clients/api."""

from __future__ import annotations

from chalicelib.clients.service import service

app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep
