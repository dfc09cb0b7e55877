"""The notifications service object, shared by the route and handler modules."""

from __future__ import annotations

from chalicelib.notifications.store import MODELS

from lanka_platform.service import LankaService

service = LankaService("notifications", models=MODELS)
