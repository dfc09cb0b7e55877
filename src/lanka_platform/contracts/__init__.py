"""Event contracts, one module per producing service; consumers import them from here."""

from __future__ import annotations

from lanka_platform.contracts import booking, clients, deals, notifications
from lanka_platform.events import Contract

_MODULES = (booking, clients, deals, notifications)


def registry() -> dict[str, type[Contract]]:
    """Every contract by its detail-type."""
    found: dict[str, type[Contract]] = {}
    for module in _MODULES:
        for value in vars(module).values():
            # A private base (`_ClientsEvent`) carries shared settings, not an event.
            if (
                isinstance(value, type)
                and issubclass(value, Contract)
                and value is not Contract
                and not value.__name__.startswith("_")
            ):
                found[value.detail_type] = value
    return found
