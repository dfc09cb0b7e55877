"""The booking service: Lambda finds its handlers here; routes live in chalicelib/booking/api."""

from __future__ import annotations

from chalicelib.booking.service import service

app = service.app
inbox = service.inbox
outbox_sweep = service.outbox_sweep
retention = service.schedules["retention"]
