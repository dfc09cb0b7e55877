"""Events the clients service publishes."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from lanka_platform.events import Contract

SOURCE = "lanka.clients"


class ClientCreated(Contract):
    """A new client entered the base. Carries no contact details: those stay in clients."""

    detail_type: ClassVar[str] = "ClientCreated"
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1

    client_id: str
    name: str = Field(description="Display name, for other services' cards and lists")
    kind: Literal["person", "company"]
    owner_id: str | None = Field(default=None, description="Responsible manager's user id")
    source_channel: str | None = None
