"""The deals service object, shared by the route and handler modules."""

from __future__ import annotations

from chalicelib.deals.store import MODELS

from lanka_platform.service import LankaService

service = LankaService("deals", models=MODELS)
