"""The notifications service: Lambda finds its handlers here; routes live in
chalicelib/notifications/api."""

from __future__ import annotations

from chalicelib.notifications.service import service

app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep
deliveries = service.schedules["deliveries"]
digest_job = service.schedules["digest"]
mailing_job = service.schedules["mailings"]
