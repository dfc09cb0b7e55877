"""The booking service object, shared by the route and handler modules."""

from __future__ import annotations

from chalicelib.booking.store import MODELS
from chalicelib.booking.store.pricing import allows_origin

from lanka_platform.service import LankaService

# Public routes answer CORS for the sites the admin allowed (the widgets' hosts).
service = LankaService("booking", models=MODELS, cors=allows_origin)
