"""The notifications service: Lambda finds its handlers here; routes live in
chalicelib/notifications/api."""

from __future__ import annotations

from chalicelib.notifications.api import (
    alerts,
    bookings,
    conversations,
    digest,
    feedback,
    inbound,
    mailings,
    messages,
    sending,
    settings,
    templates,
)
from chalicelib.notifications.service import service

app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep
deliveries = sending.delivery_schedule
digest_job = digest.digest_schedule
mailing_job = mailings.mailing_schedule

ROUTE_MODULES = (
    templates,
    alerts,
    messages,
    bookings,
    sending,
    settings,
    digest,
    conversations,
    inbound,
    mailings,
    feedback,
)
