"""The ports the services' domain code depends on, and nothing else of the outside world.

A domain function is handed what it needs: the unit of work its writes and events join, the
stores it reads (each service declares those as protocols beside its rules), the directory
of staff, the clock. It
never imports `storage`, PynamoDB or boto3: the real adapters (`lanka_platform.storage`)
and the in-memory fakes of the tests (`lanka_platform.memory`) both fit these protocols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from lanka_platform.events import Envelope


class EventEmitter(Protocol):
    """Where a domain function says what happened: the events go out once its unit commits."""

    def emit(self, event: Envelope[Any]) -> None: ...


class UnitOfWork(EventEmitter, Protocol):
    """The writes of one request or event, committed in one transaction with its events.

    The domain adds to it through its stores (each store knows how it writes) and emits
    events on it; the platform commits it when the route or handler returns."""

    def has(self, tag: str) -> bool:
        """Whether a write tagged `tag` is already part of it (one transaction touches an
        item once)."""
        ...


@dataclass(frozen=True)
class StaffMember:
    """A person who works here, as every service names them."""

    user_id: str
    username: str
    name: str | None
    email: str | None
    roles: frozenset[str]
    active: bool  # False once deactivated or disabled


class StaffDirectory(Protocol):
    """Who works here: a member of staff by the username they sign in with, or the staff a
    page at a time (in the order the directory keeps them; `cursor`: the page before's)."""

    def by_username(self, username: str) -> StaffMember | None: ...

    def page(self, cursor: str | None, limit: int) -> tuple[list[StaffMember], str | None]: ...
