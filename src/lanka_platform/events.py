"""The event envelope: what travels on the bus between services.

`detail` = {"metadata": {...}, "data": {...}}. Every event's `data` is a contract (a pydantic
model in `lanka_platform.contracts`), named `<Entity><PastTenseVerb>`, with a version that
must be bumped for an incompatible change.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import ConfigDict, Field

from lanka_platform import observability
from lanka_platform.clock import utc_now
from lanka_platform.ids import new_id
from lanka_platform.schema import Schema


class Contract(Schema):
    """The data of one kind of event. Subclasses set `detail_type`, `source`, `version`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    detail_type: ClassVar[str]
    source: ClassVar[str]
    version: ClassVar[int] = 1


C = TypeVar("C", bound=Contract)


class Metadata(Schema):
    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str
    version: int
    occurred_at: datetime
    correlation_id: str
    causation_id: str | None = None
    actor: str | None = Field(
        default=None, description="User id of whoever caused it, or None for the system"
    )


class Envelope(Schema, Generic[C]):
    model_config = ConfigDict(frozen=True)

    metadata: Metadata
    data: C

    @property
    def detail_type(self) -> str:
        return type(self.data).detail_type

    @property
    def source(self) -> str:
        return type(self.data).source

    def detail_json(self) -> str:
        return self.model_dump_json()


def envelope(data: C, *, causation_id: str | None = None, occurred_at: datetime | None = None) -> Envelope[C]:
    """Wrap `data` for publishing, carrying the current correlation id and actor."""
    envelope_type: Any = Envelope[type(data)]  # type: ignore[misc]
    result: Envelope[C] = envelope_type(
        metadata=Metadata(
            event_id=new_id(),
            version=type(data).version,
            occurred_at=occurred_at or utc_now(),
            correlation_id=observability.correlation_id(),
            causation_id=causation_id or observability.causation_id(),
            actor=observability.actor(),
        ),
        data=data,
    )
    return result


def parse_detail(contract: type[C], detail: str | dict[str, Any]) -> Envelope[C]:
    raw = json.loads(detail) if isinstance(detail, str) else detail
    return Envelope[contract].model_validate(raw)  # type: ignore[valid-type]
