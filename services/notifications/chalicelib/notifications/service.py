"""The notifications service object, shared by the route and handler modules.

The route table (`routes.py`) is written by `lanka routes` from the modules below; a route
module is imported by its route's first request (see `lanka_platform.routing`).
"""

from __future__ import annotations

from chalicelib.notifications import routes

from lanka_platform.service import LankaService

service = LankaService(
    "notifications",
    # In the order their handlers of one event run.
    modules=(
        "chalicelib.notifications.api.alerts",
        "chalicelib.notifications.api.bookings",
        "chalicelib.notifications.api.conversations",
        "chalicelib.notifications.api.digest",
        "chalicelib.notifications.api.feedback",
        "chalicelib.notifications.api.inbound",
        "chalicelib.notifications.api.mailings",
        "chalicelib.notifications.api.messages",
        "chalicelib.notifications.api.sending",
        "chalicelib.notifications.api.settings",
        "chalicelib.notifications.api.templates",
    ),
    routes=routes.ROUTES,
    schedules=routes.SCHEDULES,
)
