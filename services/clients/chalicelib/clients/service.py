"""The clients service object, shared by the route and handler modules.

The route table (`routes.py`) is written by `lanka routes` from the modules below; a route
module is imported by its route's first request (see `lanka_platform.routing`).
"""

from __future__ import annotations

from chalicelib.clients import routes

from lanka_platform.service import LankaService

service = LankaService(
    "clients",
    # In the order their handlers of one event run.
    modules=(
        "chalicelib.clients.api.cards",
        "chalicelib.clients.api.events",
        "chalicelib.clients.api.signin",
        "chalicelib.clients.api.staff",
        "chalicelib.clients.api.transfer",
    ),
    routes=routes.ROUTES,
    schedules=routes.SCHEDULES,
)
