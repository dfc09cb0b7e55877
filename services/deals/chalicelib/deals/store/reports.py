"""Report counters, deals' first responses and the "now" gauges.

| item           | pk                              | sk                     |
| -------------- | ------------------------------- | ---------------------- |
| day counters   | REPORT#<pipeline>#<yyyy-mm>     | <yyyy-mm-dd>#<person>  |
| month counters | REPORT#<pipeline>#<yyyy-mm>     | M#<person>             |
| first response | REPORTDEAL#<deal id>            | FIRST_RESPONSE         |
| gauges         | REPORTNOW                       | PIPELINE#<id>, PERSON#<user id> |

A day-counters item holds one number attribute per counter (`created`, `entered:<stage>`,
`won_amount:src:<channel>` ... see `domain.reports`), each added to with ADD by the events'
handlers, in the handler's unit of work. Every addition to a day also goes to the month's
item of the same person (the same transaction), so that a report over whole months (the
funnel, the KPIs, revenue by month, manager or source) reads one item per person and month
however busy the days were, and only the partial months at the ends of its range day by
day. A report for a range reads, per pipeline, one Query per month of the range, so its
cost depends on the range and the number of people, never on the number of deals. The
first-response item of a deal is its earliest response seen, written with a
condition on what was read, so two responses handled at once cannot both count as first.

The gauges are the head's "now" view, also kept by ADD: `unassigned` per pipeline (from the
deal events: each event adds the change it made, so events in any order add up to the
deals' last state), and `overdue_tasks` / `past_sla` per person (the task's assignee, the
deal's owner), kept by the overdue list itself (`store.timers.OverdueList`) in the
transaction that adds or removes an entry: "overdue now" is what that list holds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from chalicelib.deals.domain.reports import Cell, FirstResponse, Row, Tally, month_bounds, month_spans
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.operand import Path

from lanka_platform.clock import from_iso, to_iso
from lanka_platform.ports import UnitOfWork
from lanka_platform.storage import Store, TableModel, writes

GAUGES = "REPORTNOW"
FIRST_RESPONSE = "FIRST_RESPONSE"
UNASSIGNED = "unassigned"
OVERDUE_TASKS = "overdue_tasks"
PAST_SLA = "past_sla"


def pipeline_gauges(pipeline_id: str) -> str:
    return f"PIPELINE#{pipeline_id}"


def person_gauges(person: str) -> str:
    return f"PERSON#{person}"


class ReportCounterItem(TableModel):
    """A day's counters; its number attributes are named by the counters (see the module)."""


class FirstResponseItem(TableModel):
    responded_at = UnicodeAttribute()
    seconds = NumberAttribute()
    pipeline_id = UnicodeAttribute()
    day = UnicodeAttribute()
    person = UnicodeAttribute()


class GaugeItem(TableModel):
    """Gauges of the "now" view; number attributes named by the gauge (see the module)."""


MODELS = (ReportCounterItem, FirstResponseItem, GaugeItem)


MONTH = "M#"


def counter_key(at: Cell) -> tuple[str, str]:
    return f"REPORT#{at.pipeline_id}#{at.day:%Y-%m}", f"{at.day.isoformat()}#{at.person}"


def month_key(at: Cell) -> tuple[str, str]:
    return f"REPORT#{at.pipeline_id}#{at.day:%Y-%m}", f"{MONTH}{at.person}"


def keyed_counters(tally: Tally) -> dict[tuple[str, str], dict[str, int]]:
    """The counter items a tally adds to, by key: its days' and those days' months'."""
    items: dict[tuple[str, str], dict[str, int]] = {}
    for at, counters in tally.cells.items():
        for key in (counter_key(at), month_key(at)):
            summed = items.setdefault(key, {})
            for name, value in counters.items():
                summed[name] = summed.get(name, 0) + value
    return items


def _additions(counters: Mapping[str, int]) -> list[Any]:
    # Counter names are data (stage keys, channels, user ids): a list path is one attribute
    # name, sent as an expression attribute name, whatever characters it has.
    return [Path([name]).add(value) for name, value in sorted(counters.items()) if value]


def _numbers(raw: Mapping[str, Any]) -> dict[str, int]:
    return {name: int(value["N"]) for name, value in raw.items() if "N" in value}


class ReportStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._counters = store.model(ReportCounterItem)
        self._responses = store.model(FirstResponseItem)
        self._gauges = store.model(GaugeItem)

    # -------------------------------------------------------------- writes (event handlers)

    def add(self, unit: UnitOfWork, tally: Tally) -> None:
        """Queue one ADD update per counter item the tally touches (days and months)."""
        for (pk, sk), counters in sorted(keyed_counters(tally).items()):
            actions = _additions(counters)
            if actions:
                writes(unit).update(self._counters(pk=pk, sk=sk), actions=actions)

    def first_response(self, deal_id: str) -> FirstResponse | None:
        try:
            item = self._responses.get(f"REPORTDEAL#{deal_id}", FIRST_RESPONSE, consistent_read=True)
        except DoesNotExist:
            return None
        return FirstResponse(
            responded_at=from_iso(item.responded_at),
            seconds=int(item.seconds),
            pipeline_id=item.pipeline_id,
            day=date.fromisoformat(item.day),
            person=item.person,
        )

    def replace_first_response(
        self, unit: UnitOfWork, deal_id: str, before: FirstResponse | None, after: FirstResponse
    ) -> None:
        """Queue `after` as the deal's first response, on condition that it still is `before`
        (a concurrent handler that got there first makes this event be retried)."""
        model = self._responses
        condition = (
            model.pk.does_not_exist() if before is None else model.responded_at == to_iso(before.responded_at)
        )
        writes(unit).put(
            model(
                pk=f"REPORTDEAL#{deal_id}",
                sk=FIRST_RESPONSE,
                responded_at=to_iso(after.responded_at),
                seconds=after.seconds,
                pipeline_id=after.pipeline_id,
                day=after.day.isoformat(),
                person=after.person,
            ),
            condition=condition,
            tag="first-response",
        )

    def gauge(self, unit: UnitOfWork, key: str, changes: Mapping[str, int]) -> None:
        """Queue gauge changes on one gauge item (`pipeline_gauges`, `person_gauges`)."""
        actions = _additions(changes)
        if actions:
            writes(unit).update(self._gauges(pk=GAUGES, sk=key), actions=actions)

    # -------------------------------------------------------------- reads (reports)

    def rows(self, pipeline_id: str, first: date, last: date, *, by_day: bool) -> Iterator[Row]:
        """The counters of the pipeline from day `first` to `last`, a Query a month: the
        month items of the months wholly inside the range (their rows fall on the month's
        first day) unless `by_day`, and the day items of the others."""
        # The model's own connection knows the table's keys (no DescribeTable) and returns
        # the items as stored, with every counter attribute.
        connection = self._counters._get_connection()
        for month_first, month_last in month_spans(first, last):
            whole = not by_day and (month_first, month_last) == month_bounds(month_first)
            condition = (
                self._counters.sk.startswith(MONTH)
                if whole
                else self._counters.sk.between(month_first.isoformat(), f"{month_last.isoformat()}#~")
            )
            start: dict[str, Any] | None = None
            while True:
                page = connection.query(
                    f"REPORT#{pipeline_id}#{month_first:%Y-%m}",
                    range_key_condition=condition,
                    exclusive_start_key=start,
                )
                for raw in page.get("Items", []):
                    day, _, person = raw["sk"]["S"].partition("#")
                    on = month_first if whole else date.fromisoformat(day)
                    yield Row(Cell(pipeline_id, on, person), _numbers(raw))
                start = page.get("LastEvaluatedKey")
                if not start:
                    break

    def gauges(self) -> dict[str, dict[str, int]]:
        """Every gauge item, by its key: one Query."""
        found: dict[str, dict[str, int]] = {}
        start: dict[str, Any] | None = None
        while True:
            page = self._gauges._get_connection().query(
                GAUGES, exclusive_start_key=start, consistent_read=True
            )
            for raw in page.get("Items", []):
                found[raw["sk"]["S"]] = _numbers(raw)
            start = page.get("LastEvaluatedKey")
            if not start:
                return found
