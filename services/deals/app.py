"""The deals service: Lambda finds its handlers here; routes live in chalicelib/deals/api."""

from __future__ import annotations

from chalicelib.deals.api import (
    automation,
    calls,
    deadlines,
    deals,
    directory,
    documents,
    integrations,
    payments,
    reports,
    staff,
    tasks,
)
from chalicelib.deals.service import service

app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep
timers = deadlines.timer_schedule
webhooks = integrations.webhook_schedule

ROUTE_MODULES = (
    directory,
    deals,
    tasks,
    automation,
    deadlines,
    integrations,
    staff,
    documents,
    payments,
    calls,
    reports,
)
