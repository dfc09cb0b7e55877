"""The deals service object, shared by the route and handler modules.

The route table (`routes.py`) is written by `lanka routes` from the modules below; a route
module is imported by its route's first request (see `lanka_platform.routing`).
"""

from __future__ import annotations

from chalicelib.deals import routes

from lanka_platform.service import LankaService

service = LankaService(
    "deals",
    # In the order their handlers of one event run.
    modules=(
        "chalicelib.deals.api.automation",
        "chalicelib.deals.api.calls",
        "chalicelib.deals.api.deadlines",
        "chalicelib.deals.api.deals",
        "chalicelib.deals.api.directory",
        "chalicelib.deals.api.documents",
        "chalicelib.deals.api.integrations",
        "chalicelib.deals.api.payments",
        "chalicelib.deals.api.reports",
        "chalicelib.deals.api.staff",
        "chalicelib.deals.api.tasks",
    ),
    routes=routes.ROUTES,
    schedules=routes.SCHEDULES,
)
