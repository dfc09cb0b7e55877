"""Event contracts, one module per producing service; consumers import them from here."""

from __future__ import annotations

from lanka_platform.contracts import clients
from lanka_platform.events import Contract

_MODULES = (clients,)


def registry() -> dict[str, type[Contract]]:
    """Every contract by its detail-type."""
    found: dict[str, type[Contract]] = {}
    for module in _MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Contract) and value is not Contract:
                found[value.detail_type] = value
    return found
