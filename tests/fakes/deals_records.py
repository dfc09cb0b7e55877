"""In-memory fakes of the deals service's record stores: documents and their PDFs, the ledger of
payments, API keys, webhooks and their deliveries, and the report counters.

Each holds domain objects in dicts and passes the contract tests of the store it stands for
(tests/integration/test_store_contracts_deals_records.py)."""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from botocore.exceptions import ClientError
from chalicelib.deals.domain.documents import VARIABLES, CompanySettings, Document, DocumentTemplate
from chalicelib.deals.domain.integrations import ApiKey, Delivery, KeyUse, Webhook
from chalicelib.deals.domain.payments import LiqPayKeys, Payment
from chalicelib.deals.domain.reports import Cell, FirstResponse, Row, Tally, month_bounds, month_spans
from chalicelib.deals.store.documents import NUMBER_TAG, PAID_TAG
from chalicelib.deals.store.integrations import CLAIM_LEASE, Outgoing
from chalicelib.deals.store.payments import DEAL_PAID_TAG

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.memory import page, staged
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem

K = TypeVar("K", bound=Hashable)


def _stored(moment: datetime) -> datetime:
    """A time as the table keeps it: UTC, to the millisecond."""
    return from_iso(to_iso(moment))


def _minute(moment: datetime) -> str:
    return to_iso(moment)[:16]


# ------------------------------------------------------------------------------ documents


@dataclass
class InMemoryDocuments:
    """`store.documents.DocumentStore` in dicts: the requisites, each template's versions, the
    last number taken per kind and year, documents by id and by number."""

    company_settings: CompanySettings | None = None
    templates: dict[tuple[str, str], dict[int, DocumentTemplate]] = field(default_factory=dict)
    counters: dict[tuple[str, int], int] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    numbers: dict[str, str] = field(default_factory=dict)

    # ---------------------------------------------------------------- requisites

    def company(self) -> CompanySettings | None:
        return self.company_settings

    def save_company(self, unit: UnitOfWork, settings: CompanySettings, expected: int) -> None:
        def holds() -> bool:
            current = self.company_settings
            return current is None if expected == 0 else current is not None and current.version == expected

        def apply() -> None:
            self.company_settings = settings.model_copy()

        staged(unit).stage(
            apply,
            holds=holds,
            on_conflict=lambda: Problem.conflict("Someone changed the requisites meanwhile; reload them."),
        )

    # ---------------------------------------------------------------- templates

    def template(self, kind: str, language: str) -> DocumentTemplate | None:
        """The newest saved version, or None when none was saved."""
        versions = self.templates.get((kind, language), {})
        return versions[max(versions)] if versions else None

    def template_version(self, kind: str, language: str, version: int) -> DocumentTemplate | None:
        return self.templates.get((kind, language), {}).get(version)

    def save_template(self, unit: UnitOfWork, template: DocumentTemplate) -> None:
        kind = (template.kind, template.language)
        # The table keeps no variables: a template reads back with the documented ones.
        kept = template.model_copy(update={"variables": dict(VARIABLES)})

        def apply() -> None:
            self.templates.setdefault(kind, {})[template.version] = kept

        staged(unit).stage(
            apply,
            holds=lambda: template.version not in self.templates.get(kind, {}),
            on_conflict=lambda: Problem.conflict("Someone saved this template meanwhile; reload it."),
        )

    # ---------------------------------------------------------------- numbering

    def last_number(self, kind: str, year: int) -> int:
        return self.counters.get((kind, year), 0)

    def take_number(self, unit: UnitOfWork, kind: str, year: int, last: int) -> int:
        def holds() -> bool:
            current = self.counters.get((kind, year))
            return current is None if last == 0 else current == last

        def apply() -> None:
            self.counters[(kind, year)] = last + 1

        staged(unit).stage(apply, holds=holds, tag=NUMBER_TAG)
        return last + 1

    # ---------------------------------------------------------------- documents

    def add(self, unit: UnitOfWork, document: Document) -> None:
        def put_document() -> None:
            self.documents[document.id] = document.model_copy()

        def put_number() -> None:
            self.numbers[document.number] = document.id

        staged(unit).stage(
            put_document, holds=lambda: document.id not in self.documents, tag=f"stale:document:{document.id}"
        )
        staged(unit).stage(put_number, holds=lambda: document.number not in self.numbers, tag=NUMBER_TAG)

    def get(self, document_id: str) -> Document | None:
        return self.documents.get(document_id)

    def by_number(self, number: str) -> Document | None:
        document_id = self.numbers.get(number)
        return self.get(document_id) if document_id is not None else None

    def of_deal(self, deal_id: str, limit: int = 100) -> list[Document]:
        """A deal's documents, newest first."""
        mine = [document for document in self.documents.values() if document.deal_id == deal_id]
        return sorted(mine, key=lambda document: (document.issued_at, document.id), reverse=True)[:limit]

    def add_paid(self, unit: UnitOfWork, document: Document, amount: int) -> None:
        def holds() -> bool:
            current = self.documents.get(document.id)
            return current is not None and current.paid == document.paid

        def apply() -> None:
            current = self.documents[document.id]
            self.documents[document.id] = current.model_copy(update={"paid": document.paid + amount})

        staged(unit).stage(apply, holds=holds, tag=PAID_TAG)


_LATIN = str.maketrans({"Р": "R", "Ф": "F", "К": "K", "П": "P", "Д": "D", "Г": "G", "А": "A", "Т": "T"})


@dataclass
class InMemoryDocumentFiles:
    """`store.documents.DocumentFiles` (the documents bucket) over a dict of key -> bytes."""

    bucket: str = "lanka-documents"
    region: str = "eu-central-1"
    files: dict[str, bytes] = field(default_factory=dict)

    @staticmethod
    def key(deal_id: str, document_id: str, number: str) -> str:
        return f"documents/{deal_id}/{document_id}/{number}.pdf"

    def exists(self, key: str) -> bool:
        return key in self.files

    def write(self, key: str, data: bytes) -> None:
        self.files[key] = bytes(data)

    def read(self, key: str) -> bytes:
        if key not in self.files:
            raise ClientError(
                {"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}}, "GetObject"
            )
        return self.files[key]

    def download_url(self, key: str, filename: str, seconds: int) -> str:
        """A link of the shape S3 presigns (unsigned: nothing serves it)."""
        header_safe = "".join(ch for ch in filename.translate(_LATIN) if ch.isascii() and ch not in '"\\')
        query = urlencode(
            {
                "response-content-disposition": f'inline; filename="{header_safe}"',
                "response-content-type": "application/pdf",
                "X-Amz-Expires": str(seconds),
            },
            quote_via=quote,
        )
        return f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{quote(key)}?{query}"


# ------------------------------------------------------------------------------ payments


@dataclass
class InMemoryLedger:
    """`store.payments.LedgerStore` in dicts: payments by id, references (per source, and per API
    key) to the payment that took them, each deal's paid sum, and the payment settings."""

    payments: dict[str, Payment] = field(default_factory=dict)
    references: dict[tuple[str, str | None, str], str] = field(default_factory=dict)
    paid: dict[str, int] = field(default_factory=dict)
    secret: str | None = None
    liqpay_keys: LiqPayKeys | None = None

    def deal_paid(self, deal_id: str) -> int:
        return self.paid.get(deal_id, 0)

    def add(self, unit: UnitOfWork, payment: Payment, deal_paid_before: int) -> None:
        memory = staged(unit)

        def put_payment() -> None:
            self.payments[payment.id] = payment.model_copy()

        memory.stage(put_payment, holds=lambda: payment.id not in self.payments)
        if payment.reference is not None:
            reference = (payment.source, payment.key_id, payment.reference)

            def take_reference() -> None:
                self.references[reference] = payment.id

            memory.stage(
                take_reference,
                holds=lambda: reference not in self.references,
                on_conflict=lambda: Problem.conflict(
                    "This payment was already recorded (its reference is taken).", reference=payment.reference
                ),
            )

        def paid_holds() -> bool:
            current = self.paid.get(payment.deal_id)
            return current is None if deal_paid_before == 0 else current == deal_paid_before

        def add_paid() -> None:
            self.paid[payment.deal_id] = deal_paid_before + payment.amount

        memory.stage(add_paid, holds=paid_holds, tag=DEAL_PAID_TAG)

    def by_reference(self, source: str, reference: str, key_id: str | None = None) -> Payment | None:
        payment_id = self.references.get((source, key_id, reference))
        return self.payments.get(payment_id) if payment_id is not None else None

    def of_deal(self, deal_id: str, limit: int = 200) -> list[Payment]:
        """A deal's payments, by the time they were paid (oldest first)."""
        mine = [payment for payment in self.payments.values() if payment.deal_id == deal_id]
        return sorted(mine, key=lambda payment: (to_iso(payment.paid_at), payment.id))[:limit]

    def webhook_secret(self) -> str | None:
        return self.secret

    def liqpay(self) -> LiqPayKeys | None:
        return self.liqpay_keys

    def set_webhook_secret(self, unit: UnitOfWork, secret: str) -> None:
        def apply() -> None:
            self.secret = secret

        staged(unit).stage(apply)

    def set_liqpay(self, unit: UnitOfWork, keys: LiqPayKeys) -> None:
        def apply() -> None:
            self.liqpay_keys = keys.model_copy()

        staged(unit).stage(apply)


# ------------------------------------------------------------------------------ API keys


@dataclass(frozen=True)
class _RecordedUse:
    use: KeyUse
    order: int  # among uses of one millisecond, the later recorded comes first

    @property
    def position(self) -> str:
        return f"{to_iso(self.use.at)}#{self.order:012d}"


@dataclass
class InMemoryKeys:
    """`store.integrations.KeyStore` in dicts: keys with their secrets' hashes, each key's count of
    requests per minute, and each key's uses (the audit trail)."""

    keys: dict[str, tuple[ApiKey, str]] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    recorded: dict[str, list[_RecordedUse]] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, key: ApiKey, secret_hash: str) -> None:
        def apply() -> None:
            self.keys[key.id] = (key.model_copy(), secret_hash)

        staged(unit).stage(apply, holds=lambda: key.id not in self.keys)

    def replace(self, unit: UnitOfWork, key: ApiKey, secret_hash: str) -> None:
        def apply() -> None:
            self.keys[key.id] = (key.model_copy(), secret_hash)

        staged(unit).stage(apply, holds=lambda: key.id in self.keys)

    def get(self, key_id: str) -> tuple[ApiKey, str] | None:
        return self.keys.get(key_id)

    def all(self) -> list[ApiKey]:
        return [self.keys[key_id][0] for key_id in sorted(self.keys)]

    def count_use(self, key_id: str, now: datetime, limit: int) -> bool:
        """Counted at once (no unit of work); False, and nothing counted, past the limit."""
        minute = (key_id, _minute(now))
        if minute in self.counts and self.counts[minute] >= limit:
            return False
        self.counts[minute] = self.counts.get(minute, 0) + 1
        return True

    def record_use(self, unit: UnitOfWork, use: KeyUse) -> None:
        def apply() -> None:
            uses = self.recorded.setdefault(use.key_id, [])
            uses.append(_RecordedUse(use.model_copy(), len(uses)))

        staged(unit).stage(apply)

    def uses(self, key_id: str, cursor: str | None, limit: int) -> tuple[list[KeyUse], str | None]:
        """A key's uses, newest first."""
        newest_first = sorted(self.recorded.get(key_id, []), key=lambda use: use.position, reverse=True)
        chosen, next_cursor = page(newest_first, cursor, limit, lambda use: use.position)
        return [recorded.use for recorded in chosen], next_cursor


# ------------------------------------------------------------------------------ webhooks


@dataclass(frozen=True)
class QueuedDelivery:
    """A delivery as the fake keeps it: what `deliveries` shows, what is sent, and when the
    sweep next finds it due (None: it left the queue, delivered or failed)."""

    delivery: Delivery
    url: str
    payload: str
    secret_ref: str | None
    due_at: datetime | None

    @property
    def queue_position(self) -> tuple[str, str, str]:
        assert self.due_at is not None
        return (_minute(self.due_at), self.delivery.webhook_id, self.delivery.id)


@dataclass
class InMemoryWebhooks:
    """`store.integrations.WebhookStore` in dicts: webhooks with their secrets, and each webhook's
    deliveries with their place in the sweep's queue. `due` hands out `QueuedDelivery`s, which
    this fake's `claim` takes as the real store's takes what its `due` read."""

    webhooks: dict[str, tuple[Webhook, str]] = field(default_factory=dict)
    queued: dict[tuple[str, str], QueuedDelivery] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, webhook: Webhook, secret: str) -> None:
        def apply() -> None:
            self.webhooks[webhook.id] = (webhook.model_copy(), secret)

        staged(unit).stage(apply, holds=lambda: webhook.id not in self.webhooks)

    def remove(self, unit: UnitOfWork, webhook_id: str) -> None:
        """Unconditional: removing a webhook that is gone changes nothing."""

        def apply() -> None:
            self.webhooks.pop(webhook_id, None)

        staged(unit).stage(apply)

    def get(self, webhook_id: str) -> Webhook | None:
        found = self.with_secret(webhook_id)
        return found[0] if found else None

    def with_secret(self, webhook_id: str) -> tuple[Webhook, str] | None:
        return self.webhooks.get(webhook_id)

    def all(self) -> list[Webhook]:
        return [self.webhooks[webhook_id][0] for webhook_id in sorted(self.webhooks)]

    # ---------------------------------------------------------------- deliveries

    def enqueue(
        self,
        unit: UnitOfWork,
        *,
        delivery_id: str,
        webhook_id: str,
        event: str,
        url: str,
        payload: dict[str, Any],
        secret_ref: str | None,
        now: datetime,
    ) -> None:
        """A pending delivery due at once; unconditional (enqueued again, it starts over)."""
        at = _stored(now)
        queued = QueuedDelivery(
            delivery=Delivery(
                id=delivery_id,
                webhook_id=webhook_id,
                event=event,
                status="pending",
                attempts=0,
                next_attempt_at=at,
                created_at=at,
            ),
            url=url,
            payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            secret_ref=secret_ref,
            due_at=now,
        )

        def apply() -> None:
            self.queued[(webhook_id, delivery_id)] = queued

        staged(unit).stage(apply)

    def due(self, now: datetime, limit: int) -> list[QueuedDelivery]:
        """Pending deliveries whose next attempt is this minute or earlier, oldest first."""
        this_minute = _minute(now)
        waiting = [queued for queued in self.queued.values() if queued.due_at is not None]
        due = [queued for queued in waiting if queued.queue_position[0] <= this_minute]
        return sorted(due, key=lambda queued: queued.queue_position)[:limit]

    def claim(self, item: QueuedDelivery, now: datetime) -> Outgoing | None:
        """Written at once: one more attempt, a lease ahead in the queue; None when the
        delivery is no longer pending at the attempts read (another sweep took it)."""
        key = (item.delivery.webhook_id, item.delivery.id)
        current = self.queued.get(key)
        attempts = item.delivery.attempts
        if current is None or current.delivery.status != "pending" or current.delivery.attempts != attempts:
            return None
        self.queued[key] = replace(
            current,
            delivery=current.delivery.model_copy(
                update={"attempts": attempts + 1, "last_attempt_at": _stored(now)}
            ),
            due_at=now + CLAIM_LEASE,
        )
        return Outgoing(
            id=current.delivery.id,
            webhook_id=current.delivery.webhook_id,
            event=current.delivery.event,
            url=current.url,
            payload=current.payload,
            secret_ref=current.secret_ref,
            attempt=attempts + 1,
        )

    def settle(
        self,
        sent: Outgoing,
        now: datetime,
        *,
        status: int | None,
        error: str | None,
        retry_at: datetime | None,
    ) -> str:
        """Written at once: delivered, pending again at `retry_at`, or failed; "overtaken" when
        another sweep has claimed it since."""
        key = (sent.webhook_id, sent.id)
        current = self.queued.get(key)
        if current is None or current.delivery.attempts != sent.attempt:
            return "overtaken"
        if error is None:
            outcome = "delivered"
        elif retry_at is not None:
            outcome = "pending"
        else:
            outcome = "failed"
        again = outcome == "pending" and retry_at is not None
        self.queued[key] = replace(
            current,
            delivery=current.delivery.model_copy(
                update={
                    "status": outcome,
                    "last_status": status,
                    "last_error": error or None,
                    "next_attempt_at": _stored(retry_at) if again and retry_at else None,
                }
            ),
            due_at=retry_at if again else None,
        )
        return outcome

    def deliveries(
        self, webhook_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Delivery], str | None]:
        """A webhook's deliveries by id, the highest (the newest event) first."""
        mine = [queued.delivery for (hook, _), queued in self.queued.items() if hook == webhook_id]
        newest_first = sorted(mine, key=lambda delivery: delivery.id, reverse=True)
        return page(newest_first, cursor, limit, lambda delivery: delivery.id)


# ------------------------------------------------------------------------------ reports


def _month_cell(at: Cell) -> Cell:
    return Cell(at.pipeline_id, at.day.replace(day=1), at.person)


@dataclass
class InMemoryReports:
    """`store.reports.ReportStore` in dicts: counters per day cell and per month cell (a month
    cell's day is the month's first), each deal's first response, the "now" gauges by key."""

    days: dict[Cell, dict[str, int]] = field(default_factory=dict)
    months: dict[Cell, dict[str, int]] = field(default_factory=dict)
    responses: dict[str, FirstResponse] = field(default_factory=dict)
    gauge_items: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, tally: Tally) -> None:
        """Every addition to a day also goes to that day's month (of the same person)."""
        additions: dict[tuple[bool, Cell], dict[str, int]] = {}
        for at, counters in tally.cells.items():
            for by_month, where in ((False, at), (True, _month_cell(at))):
                summed = additions.setdefault((by_month, where), {})
                for name, value in counters.items():
                    summed[name] = summed.get(name, 0) + value
        for (by_month, where), counters in additions.items():
            _stage_additions(unit, self.months if by_month else self.days, where, counters)

    def first_response(self, deal_id: str) -> FirstResponse | None:
        return self.responses.get(deal_id)

    def replace_first_response(
        self, unit: UnitOfWork, deal_id: str, before: FirstResponse | None, after: FirstResponse
    ) -> None:
        def holds() -> bool:
            current = self.responses.get(deal_id)
            if before is None:
                return current is None
            return current is not None and to_iso(current.responded_at) == to_iso(before.responded_at)

        def apply() -> None:
            self.responses[deal_id] = replace(after, responded_at=_stored(after.responded_at))

        staged(unit).stage(apply, holds=holds, tag="first-response")

    def gauge(self, unit: UnitOfWork, key: str, changes: Mapping[str, int]) -> None:
        _stage_additions(unit, self.gauge_items, key, changes)

    def rows(self, pipeline_id: str, first: date, last: date, *, by_day: bool) -> Iterator[Row]:
        """Month by month: a whole month's month cells (unless `by_day`), else its day cells
        within the range; by day, then person."""
        for month_first, month_last in month_spans(first, last):
            whole = not by_day and (month_first, month_last) == month_bounds(month_first)
            if whole:
                found = [at for at in self.months if at.pipeline_id == pipeline_id and at.day == month_first]
                cells, counters = sorted(found, key=lambda at: at.person), self.months
            else:
                found = [
                    at
                    for at in self.days
                    if at.pipeline_id == pipeline_id and month_first <= at.day <= month_last
                ]
                cells, counters = sorted(found, key=lambda at: (at.day, at.person)), self.days
            for at in cells:
                yield Row(at, dict(counters[at]))

    def gauges(self) -> dict[str, dict[str, int]]:
        return {key: dict(values) for key, values in self.gauge_items.items()}


def _stage_additions(
    unit: UnitOfWork, items: dict[K, dict[str, int]], key: K, changes: Mapping[str, int]
) -> None:
    """Add `changes` to the counters of `items[key]` at commit (zeros add nothing; with nothing
    to add, no item is made)."""
    adding = {name: value for name, value in changes.items() if value}
    if not adding:
        return

    def apply() -> None:
        counters = items.setdefault(key, {})
        for name, value in adding.items():
            counters[name] = counters.get(name, 0) + value

    staged(unit).stage(apply)
