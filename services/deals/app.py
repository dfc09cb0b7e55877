"""The deals service: Lambda finds its handlers here; routes live in chalicelib/deals/api."""

from __future__ import annotations

from chalicelib.deals.service import service

app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep
timers = service.schedules["timers"]
webhooks = service.schedules["webhooks"]
