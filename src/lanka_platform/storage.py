"""Storage conventions: one table per service, PynamoDB models bound at run time, and the
unit of work that writes a state change, its events and its bookkeeping in one transaction.

Every service's table has string `pk`/`sk`, a `gsi1` index on `gsi1pk`/`gsi1sk` and a TTL
attribute `expires_at` (see `resources`). Models are plain PynamoDB models whose `Meta`
gets its table, region and endpoint from the service's settings when the service binds
them, so that four services can share one process locally without sharing a table.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from lanka_platform import aws, ports
from lanka_platform.clock import Clock, to_iso, utc_now
from lanka_platform.problems import Problem

if TYPE_CHECKING:
    from lanka_platform.settings import Settings

OUTBOX_PK = "OUTBOX"
MAX_TRANSACTION_ITEMS = 100
# How many times a unit of work is built again from fresh reads while another request keeps
# changing what it read (see `commit_retrying`).
ATTEMPTS = 3
# For writes that many requests race for at once (the next number of a document, the sum
# paid of one invoice): twenty invoices made in one second must all get their numbers.
CONTENDED_ATTEMPTS = 60

M = TypeVar("M", bound=Model)
T = TypeVar("T")


class SharedConnection(Connection):
    """A PynamoDB connection that speaks through the process's one DynamoDB client.

    PynamoDB gives every model class a connection of its own, and every connection a new
    botocore session and client: with a service's few dozen bound models that is a few
    dozen parses of the DynamoDB model (about 130 ms of CPU each) per process."""

    @property
    def client(self) -> Any:
        return aws.dynamodb(self.region, self.host)


class TableModel(Model):
    """Base of every item model: the table's keys. Subclasses add their attributes."""

    class Meta:
        table_name = "unbound"
        region = "eu-central-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = super()._get_connection()
        if not isinstance(table.connection, SharedConnection):
            shared = SharedConnection(region=table.connection.region, host=table.connection.host)
            shared.add_meta_table(table.connection.get_meta_table(table.table_name))
            table.connection = shared
        return table


class Gsi1(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """The table's first index (`resources.Service.indexes`): a model that uses it declares
    `gsi1pk`/`gsi1sk` attributes and `gsi1 = Gsi1()`."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex[Any]):  # type: ignore[no-untyped-call]
    """A second index, for the tables that declare one."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class OutboxEntry(TableModel):
    """An event written with the state change that caused it, kept until it comes back."""

    source = UnicodeAttribute()
    detail_type = UnicodeAttribute()
    detail = UnicodeAttribute()
    created_at = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    last_attempt_at = UnicodeAttribute(null=True)


class ProcessedEvent(TableModel):
    """Marks an event this service has already applied: redeliveries have no effect."""

    detail_type = UnicodeAttribute()
    processed_at = UnicodeAttribute()
    expires_at = TTLAttribute()


class IdempotencyRecord(TableModel):
    """The answer to a create request made with an Idempotency-Key, for safe retries.

    `gsi1pk` names what the answer is about (`REPLAY#<id>`), so that erasing a person can
    also erase the copies of their data kept for replays."""

    request_hash = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi1 = Gsi1()
    status = NumberAttribute()
    body = UnicodeAttribute()
    expires_at = TTLAttribute()


class StaffAccess(TableModel):
    """A member of staff whose access has ended: their still-valid tokens are refused."""

    revoked_at = UnicodeAttribute()
    hand_over_to = UnicodeAttribute(null=True)


SHARED_MODELS: tuple[type[TableModel], ...] = (OutboxEntry, ProcessedEvent, IdempotencyRecord, StaffAccess)


class Store:
    """A service's table: its bound models and the connection transactions go through."""

    def __init__(
        self, settings: Settings, models: Iterable[type[TableModel]], clock: Clock = utc_now
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._classes: dict[type[TableModel], type[TableModel]] = {}
        for model in (*SHARED_MODELS, *models):
            self._classes[model] = _bound_copy(model, settings)
        self._connection: Connection | None = None

    def model(self, model: type[M]) -> type[M]:
        """The class of `model` bound to this service's table (a shared model such as
        `throttle.RateCount` is bound on first use)."""
        key: type[TableModel] = model  # type: ignore[assignment]
        bound = self._classes.get(key)
        if bound is None:
            bound = self._classes[key] = _bound_copy(key, self.settings)
        return bound  # type: ignore[return-value]

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            self._connection = SharedConnection(
                region=self.settings.region, host=self.settings.aws_endpoint_url
            )
        return self._connection

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)


def _bound_copy(model: type[TableModel], settings: Settings) -> type[TableModel]:
    meta = type(
        "Meta",
        (),
        {
            "table_name": settings.table_name,
            "region": settings.region,
            "host": settings.aws_endpoint_url,
            "max_retry_attempts": 3,
        },
    )
    return type(model.__name__, (model,), {"Meta": meta, "__module__": model.__module__})


def writes(unit: ports.UnitOfWork) -> UnitOfWork:
    """The DynamoDB unit of work behind `unit`: a store of this package adds its writes to
    the unit the domain hands it, which the platform made from this store."""
    if not isinstance(unit, UnitOfWork):
        raise TypeError(f"a DynamoDB store was handed a {type(unit).__name__}, not its own unit of work")
    return unit


class ConditionFailed(Exception):
    """A conditional write inside a unit of work did not hold."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


OnConflict = Callable[[], Exception] | None


@dataclass
class _Operation:
    kind: str  # condition_check | delete | put | update
    apply: Callable[[TransactWrite], None]
    tag: str
    on_conflict: OnConflict


@dataclass
class UnitOfWork:
    """Writes gathered during one request or event, committed in one TransactWriteItems.

    The framework (the API layer or the event consumer) commits it after the domain function
    returns, adding the outbox entries, the processed-event marker or the idempotency record
    to the same transaction, so nothing is ever half-written.
    """

    store: Store
    _operations: list[_Operation] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    # Tags whose failed condition is raised as `ConditionFailed` even where the write names
    # what its conflict means: the caller will run the request again from fresh reads.
    retried: frozenset[str] = frozenset()

    def put(
        self,
        item: Model,
        condition: Condition | None = None,
        *,
        tag: str = "",
        on_conflict: OnConflict = None,
    ) -> None:
        self._add("put", lambda tx: tx.save(item, condition=condition), tag, on_conflict)

    def update(
        self,
        item: Model,
        actions: list[Action],
        condition: Condition | None = None,
        *,
        tag: str = "",
        on_conflict: OnConflict = None,
    ) -> None:
        self._add(
            "update", lambda tx: tx.update(item, actions=actions, condition=condition), tag, on_conflict
        )

    def delete(
        self,
        item: Model,
        condition: Condition | None = None,
        *,
        tag: str = "",
        on_conflict: OnConflict = None,
    ) -> None:
        self._add("delete", lambda tx: tx.delete(item, condition=condition), tag, on_conflict)

    def check(
        self,
        model: type[Model],
        pk: str,
        sk: str,
        condition: Condition,
        *,
        tag: str = "",
        on_conflict: OnConflict = None,
    ) -> None:
        self._add(
            "condition_check",
            lambda tx: tx.condition_check(model, pk, sk, condition=condition),
            tag,
            on_conflict,
        )

    def emit(self, event: Any) -> None:
        """Publish `event` (an Envelope) once this unit of work commits."""
        self.events.append(event)

    @property
    def is_empty(self) -> bool:
        return not self._operations and not self.events

    def has(self, tag: str) -> bool:
        """Whether a write tagged `tag` is queued (one transaction touches an item once)."""
        return any(operation.tag == tag for operation in self._operations)

    def commit(self) -> None:
        """One TransactWriteItems with every write and an outbox entry per event."""
        for envelope in self.events:
            self._add_outbox_entry(envelope)
        if not self._operations:
            return
        if len(self._operations) > MAX_TRANSACTION_ITEMS:
            raise Problem(413, "Too many changes", "One request may change at most 100 items.")
        ordered = sorted(self._operations, key=lambda op: _ORDER[op.kind])
        try:
            with TransactWrite(connection=self.store.connection) as transaction:
                for operation in ordered:
                    operation.apply(transaction)
        except TransactWriteError as error:
            raise self._conflict(error, ordered, self.retried) from error

    def _add(
        self, kind: str, apply: Callable[[TransactWrite], None], tag: str, on_conflict: OnConflict
    ) -> None:
        self._operations.append(_Operation(kind, apply, tag, on_conflict))

    def _add_outbox_entry(self, envelope: Any) -> None:
        entry = self.store.model(OutboxEntry)(
            pk=OUTBOX_PK,
            sk=envelope.metadata.event_id,
            source=envelope.source,
            detail_type=envelope.detail_type,
            detail=envelope.detail_json(),
            created_at=to_iso(self.store.clock()),
        )
        self.put(entry, tag="outbox")

    @staticmethod
    def _conflict(error: TransactWriteError, ordered: list[_Operation], retried: frozenset[str]) -> Exception:
        if error.cause_response_code != "TransactionCanceledException":
            return error
        reasons = list(zip(ordered, error.cancellation_reasons, strict=False))
        for operation, reason in reasons:
            if reason is not None and reason.code == "ConditionalCheckFailed":
                if operation.on_conflict is not None and operation.tag not in retried:
                    return operation.on_conflict()
                return ConditionFailed(operation.tag)
        # Another transaction was writing the same item at that moment (DynamoDB cancels
        # one of two concurrent transactions on an item): for a write that declared what
        # its conflict means (a claimed time slot, a changed version), it means just that.
        for operation, reason in reasons:
            if (
                reason is not None
                and reason.code == "TransactionConflict"
                and operation.on_conflict is not None
            ):
                return operation.on_conflict()
        return error


_ORDER = {"condition_check": 0, "delete": 1, "put": 2, "update": 3}


def commit_retrying(
    new_unit: Callable[[], UnitOfWork],
    build: Callable[[UnitOfWork], T],
    retried: Iterable[str],
    *,
    attempts: int = ATTEMPTS,
    exhausted: Callable[[], Exception] | None = None,
) -> tuple[T, UnitOfWork]:
    """Build a unit of work from fresh reads and commit it; again, while one of its writes
    tagged in `retried` fails because another request changed what it read meanwhile (a
    version, a number, a paid sum). The one retry loop of the platform: routes marked
    `retried`, documents' numbers and payments all go through it.

    Attempts are spread by a small random wait, so that racing requests do not meet again at
    once. When they run out, the last one answers what its conflict means (the write's own
    `on_conflict`, e.g. a 409) or, if given, `exhausted()` (e.g. a 503 "busy")."""
    retrying = frozenset(retried)
    for attempt in range(attempts):
        unit = new_unit()
        last = attempt == attempts - 1
        unit.retried = frozenset() if last and exhausted is None else retrying
        result = build(unit)
        try:
            unit.commit()
        except ConditionFailed as failed:
            if failed.tag not in unit.retried:
                raise
            if last and exhausted is not None:
                raise exhausted() from failed
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311 - jitter only
            continue
        return result, unit
    raise AssertionError("unreachable: the last attempt answers or raises")
