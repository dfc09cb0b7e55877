"""The booking service object, shared by the route and handler modules."""

from __future__ import annotations

from chalicelib.booking.store import MODELS

from lanka_platform.service import LankaService

service = LankaService("booking", models=MODELS)
