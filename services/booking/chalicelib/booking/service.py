"""The booking service object, shared by the route and handler modules.

The route table (`routes.py`) is written by `lanka routes` from the modules below; a route
module is imported by its route's first request (see `lanka_platform.routing`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.booking import routes

from lanka_platform.service import LankaService

if TYPE_CHECKING:
    from lanka_platform.storage import Store


def _allows_origin(store: Store, origin: str) -> bool:
    # The widget settings' store is imported by the first public request, not at cold start.
    from chalicelib.booking.store.pricing import allows_origin

    return allows_origin(store, origin)


service = LankaService(
    "booking",
    # In the order their handlers of one event run.
    modules=(
        "chalicelib.booking.api.calendar",
        "chalicelib.booking.api.catalog",
        "chalicelib.booking.api.directory",
        "chalicelib.booking.api.events",
        "chalicelib.booking.api.pricing",
        "chalicelib.booking.api.public",
    ),
    routes=routes.ROUTES,
    schedules=routes.SCHEDULES,
    # Public routes answer CORS for the sites the admin allowed (the widgets' hosts).
    cors=_allows_origin,
)
