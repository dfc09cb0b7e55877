"""Event contracts, one module per producing service; consumers import them from here.

The modules are imported when first needed, not with the package: a service imports the
contracts it produces and handles, and the whole registry only when it parses an event
(each contract is a class built at import, paid for in every Lambda cold start)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lanka_platform.events import Contract


@cache
def registry() -> dict[str, type[Contract]]:
    """Every contract by its detail-type."""
    from lanka_platform.contracts import booking, clients, deals, notifications
    from lanka_platform.events import Contract

    found: dict[str, type[Contract]] = {}
    for module in (booking, clients, deals, notifications):
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
