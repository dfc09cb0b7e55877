"""In-memory fakes of the deals service's stores."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.deals.domain.automation import RuleSet, RuleSetSpec
from chalicelib.deals.domain.calls import Call, CallSettings
from chalicelib.deals.domain.deadlines import OverdueEntry
from chalicelib.deals.domain.deals import Deal, DealCard, card
from chalicelib.deals.domain.directory import ClientCard
from chalicelib.deals.domain.pipelines import Pipeline
from chalicelib.deals.domain.reports import NOBODY
from chalicelib.deals.domain.tasks import Task
from chalicelib.deals.domain.timers import MINUTE, Timer, minute
from chalicelib.deals.store.reports import OVERDUE_TASKS, PAST_SLA, person_gauges
from chalicelib.deals.store.timers import FIRED

from lanka_platform import memory
from lanka_platform.clock import from_iso, to_iso
from lanka_platform.consumer import STALE
from lanka_platform.memory import page, staged
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem

_NO_DUE = "~"


def _due_order(task: Task) -> tuple[str, str]:
    return (to_iso(task.due_at) if task.due_at else _NO_DUE, task.id)


@dataclass
class InMemoryTasks:
    """`store.tasks.TaskStore` in dicts: a task by id (with its version), a deal's task ids."""

    tasks: dict[str, Task] = field(default_factory=dict)
    of_deals: dict[str, set[str]] = field(default_factory=dict)

    def add(self, unit: UnitOfWork, task: Task) -> None:
        def apply() -> None:
            self.tasks[task.id] = task.model_copy(update={"version": 1})
            if task.deal_id:
                self.of_deals.setdefault(task.deal_id, set()).add(task.id)

        staged(unit).stage(apply, holds=lambda: task.id not in self.tasks, tag=f"{STALE}task")

    def replace(self, unit: UnitOfWork, before: Task, after: Task) -> None:
        def holds() -> bool:
            current = self.tasks.get(before.id)
            return current is not None and current.version == before.version

        def apply() -> None:
            self.tasks[before.id] = after.model_copy(update={"version": before.version + 1})

        staged(unit).stage(
            apply,
            holds=holds,
            tag="task",
            on_conflict=lambda: Problem.conflict(
                "Someone changed this task meanwhile; reload it.", task_id=before.id
            ),
        )

    def get(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)

    def many(self, task_ids: list[str]) -> list[Task]:
        return [self.tasks[task_id] for task_id in task_ids if task_id in self.tasks]

    def of_assignee(
        self,
        user_id: str,
        cursor: str | None,
        limit: int,
        *,
        due_from: datetime | None = None,
        due_before: datetime | None = None,
    ) -> tuple[list[Task], str | None]:
        mine = [
            task
            for task in self.tasks.values()
            if task.is_open and task.assignee_id == user_id and _within(task, due_from, due_before)
        ]
        return page(sorted(mine, key=_due_order), cursor, limit, lambda task: task.id)

    def queue(self, role: str, cursor: str | None, limit: int) -> tuple[list[Task], str | None]:
        queued = [
            task
            for task in self.tasks.values()
            if task.is_open and task.assignee_id is None and task.assignee_role == role
        ]
        return page(sorted(queued, key=_due_order), cursor, limit, lambda task: task.id)

    def of_deal(self, deal_id: str, limit: int = 100) -> list[Task]:
        return self.many(sorted(self.of_deals.get(deal_id, set()))[:limit])


def _within(task: Task, due_from: datetime | None, due_before: datetime | None) -> bool:
    """[from, before), as the index's key range reads it (a task with no due time sorts last)."""
    if due_from is None and due_before is None:
        return True
    if task.due_at is None:
        return due_before is None
    return (due_from is None or task.due_at >= due_from) and (due_before is None or task.due_at < due_before)


# ------------------------------------------------------------------------------ deals


def _deal_order(updated_at: datetime, deal_id: str) -> str:
    """Where a deal sorts in its column and its owner's list (the real store's sort key)."""
    return f"{updated_at.isoformat()}#{deal_id}"


def _deal_changed(deal_id: str) -> Exception:
    return Problem.conflict("Someone changed this deal meanwhile; reload it.", deal_id=deal_id)


@dataclass
class InMemoryDeals:
    """`store.deals.DealStore` in dicts: a deal by id (with its version), the board's cards by
    column, the requests' deals, a client's deal ids, the board's counters and the managers'
    loads."""

    deals: dict[str, Deal] = field(default_factory=dict)
    # (pipeline id, stage) -> the column's cards by their sort key
    columns: dict[tuple[str, str], dict[str, DealCard]] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    of_clients: dict[str, set[str]] = field(default_factory=dict)
    # pipeline id -> stage -> (number of deals, sum)
    boards: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    # pipeline id -> manager id -> open deals
    open_deals: dict[str, dict[str, int]] = field(default_factory=dict)

    def _put_card(self, deal: Deal) -> None:
        column = self.columns.setdefault((deal.pipeline_id, deal.stage), {})
        column[_deal_order(deal.updated_at, deal.id)] = card(deal)

    def _link_request(self, unit: UnitOfWork, request_id: str, deal_id: str) -> None:
        def apply() -> None:
            self.requests[request_id] = deal_id

        staged(unit).stage(apply, holds=lambda: request_id not in self.requests, tag=f"{STALE}request")

    def add(self, unit: UnitOfWork, deal: Deal) -> None:
        def apply() -> None:
            self.deals[deal.id] = deal.model_copy(update={"version": 1})
            self._put_card(deal)
            self.of_clients.setdefault(deal.client_id, set()).add(deal.id)

        staged(unit).stage(apply, holds=lambda: deal.id not in self.deals, tag="deal")
        if deal.request_id:
            self._link_request(unit, deal.request_id, deal.id)

    def replace(self, unit: UnitOfWork, before: Deal, after: Deal) -> None:
        def holds() -> bool:
            current = self.deals.get(before.id)
            return current is not None and current.version == before.version

        def apply() -> None:
            self.deals[before.id] = after.model_copy(update={"version": before.version + 1})
            old = self.columns.get((before.pipeline_id, before.stage), {})
            old.pop(_deal_order(before.updated_at, before.id), None)
            self._put_card(after)

        staged(unit).stage(apply, holds=holds, tag="deal", on_conflict=lambda: _deal_changed(before.id))

    def get(self, deal_id: str) -> Deal | None:
        return self.deals.get(deal_id)

    def deal_of_request(self, request_id: str) -> str | None:
        return self.requests.get(request_id)

    def column(
        self, pipeline_id: str, stage: str, cursor: str | None, limit: int
    ) -> tuple[list[DealCard], str | None]:
        cards = self.columns.get((pipeline_id, stage), {})
        newest_first = [cards[order] for order in sorted(cards, reverse=True)]
        return page(newest_first, cursor, limit, lambda shown: _deal_order(shown.updated_at, shown.id))

    def _owned(self, owner_id: str | None, *, newest_first: bool) -> list[Deal]:
        owned = [deal for deal in self.deals.values() if deal.owner_id == owner_id]
        return sorted(owned, key=lambda deal: _deal_order(deal.updated_at, deal.id), reverse=newest_first)

    def of_owner(
        self, owner_id: str | None, cursor: str | None, limit: int
    ) -> tuple[list[DealCard], str | None]:
        owned, next_cursor = page(
            self._owned(owner_id, newest_first=True),
            cursor,
            limit,
            lambda deal: _deal_order(deal.updated_at, deal.id),
        )
        return [card(deal) for deal in owned], next_cursor

    def owner_page(
        self, owner_id: str, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[Deal], dict[str, Any] | None]:
        owned, next_cursor = page(
            self._owned(owner_id, newest_first=False),
            start["after"] if start else None,
            limit,
            lambda deal: _deal_order(deal.updated_at, deal.id),
        )
        return owned, {"after": next_cursor} if next_cursor else None

    def ids_of_client(self, client_id: str, limit: int, *, newest_first: bool = False) -> list[str]:
        return sorted(self.of_clients.get(client_id, set()), reverse=newest_first)[:limit]

    def open_of_client(self, client_id: str, limit: int) -> Deal | None:
        for deal_id in self.ids_of_client(client_id, limit, newest_first=True):
            deal = self.get(deal_id)
            if deal is not None and deal.outcome is None:
                return deal
        return None

    def link_request(self, unit: UnitOfWork, request_id: str, deal_id: str) -> None:
        self._link_request(unit, request_id, deal_id)

    def relink(self, unit: UnitOfWork, deal_id: str, from_client: str, to_client: str) -> None:
        def apply() -> None:
            self.of_clients.get(from_client, set()).discard(deal_id)
            self.of_clients.setdefault(to_client, set()).add(deal_id)

        staged(unit).stage(apply)

    def count(self, unit: UnitOfWork, pipeline_id: str, stage: str, deals: int, amount: int) -> None:
        def apply() -> None:
            board = self.boards.setdefault(pipeline_id, {})
            number, total = board.get(stage, (0, 0))
            board[stage] = (number + deals, total + amount)

        staged(unit).stage(apply)

    def counts(self, pipeline_id: str) -> dict[str, tuple[int, int]]:
        return dict(sorted(self.boards.get(pipeline_id, {}).items()))

    def load(self, unit: UnitOfWork, pipeline_id: str, manager_id: str, change: int) -> None:
        def apply() -> None:
            loads = self.open_deals.setdefault(pipeline_id, {})
            loads[manager_id] = loads.get(manager_id, 0) + change

        staged(unit).stage(apply)

    def loads(self, pipeline_id: str, managers: list[str]) -> dict[str, int]:
        known = self.open_deals.get(pipeline_id, {})
        return {manager: known.get(manager, 0) for manager in managers}


# ------------------------------------------------------------------------------ pipelines, rules


def _pipeline_changed() -> Exception:
    return Problem.conflict("Someone changed this pipeline meanwhile; reload it.")


@dataclass
class InMemoryPipelines:
    """`store.pipelines.PipelineStore` in dicts: pipelines by id (their `version` is the
    revision a save expects), and each pipeline's round-robin counter."""

    pipelines: dict[str, Pipeline] = field(default_factory=dict)
    turns: dict[str, int] = field(default_factory=dict)

    def save(self, unit: UnitOfWork, pipeline: Pipeline, *, expected: int | None) -> None:
        def holds() -> bool:
            current = self.pipelines.get(pipeline.id)
            if expected is None:
                return current is None
            return current is not None and current.version == expected

        def apply() -> None:
            self.pipelines[pipeline.id] = pipeline

        staged(unit).stage(apply, holds=holds, on_conflict=_pipeline_changed)

    def get(self, pipeline_id: str) -> Pipeline | None:
        return self.pipelines.get(pipeline_id)

    def all(self) -> list[Pipeline]:
        return [self.pipelines[pipeline_id] for pipeline_id in sorted(self.pipelines)]

    def default(self) -> Pipeline | None:
        pipelines = self.all()
        return next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)

    def take_turn(self, pipeline_id: str) -> int:
        """Written at once, as the real store's atomic counter is."""
        turn = self.turns.get(pipeline_id, 0)
        self.turns[pipeline_id] = turn + 1
        return turn


def _rules_changed() -> Exception:
    return Problem.conflict("Someone changed these rules meanwhile; reload them.")


@dataclass
class InMemoryRules:
    """`store.automation.RuleStore` in a dict: a pipeline's rule set (its `version` is the
    revision a save expects)."""

    rule_sets: dict[str, RuleSet] = field(default_factory=dict)

    def save(self, unit: UnitOfWork, rules: RuleSet, *, expected: int) -> None:
        def holds() -> bool:
            current = self.rule_sets.get(rules.pipeline_id)
            if expected == 0:
                return current is None
            return current is not None and current.version == expected

        def apply() -> None:
            self.rule_sets[rules.pipeline_id] = rules

        staged(unit).stage(apply, holds=holds, on_conflict=_rules_changed)

    def install(self, unit: UnitOfWork, pipeline_id: str, spec: RuleSetSpec) -> None:
        self.save(unit, RuleSet(pipeline_id=pipeline_id, version=1, **spec.model_dump()), expected=0)

    def get(self, pipeline_id: str) -> RuleSet:
        return self.rule_sets.get(pipeline_id) or RuleSet(pipeline_id=pipeline_id)


# ------------------------------------------------------------------------------ directory, calls


@dataclass
class InMemoryDirectory:
    """`store.directory.ClientDirectory` in a dict: a client's card by client id."""

    cards: dict[str, ClientCard] = field(default_factory=dict)

    def _keep(self, card: ClientCard) -> None:
        # The real store keeps `as_of` as UTC text to the millisecond.
        self.cards[card.client_id] = card.model_copy(update={"as_of": from_iso(to_iso(card.as_of))})

    def remember(self, unit: UnitOfWork, card: ClientCard) -> None:
        def holds() -> bool:
            kept = self.cards.get(card.client_id)
            if kept is None:
                return True
            return kept.version < card.version and kept.merged_into is None and not kept.erased

        staged(unit).stage(lambda: self._keep(card), holds=holds, tag=f"{STALE}client-card")

    def retire(self, unit: UnitOfWork, card: ClientCard) -> None:
        staged(unit).stage(lambda: self._keep(card))

    def card(self, client_id: str) -> ClientCard | None:
        return self.cards.get(client_id)


def _call_order(call: Call) -> str:
    return f"{to_iso(call.started_at)}#{call.id}"


@dataclass
class InMemoryCalls:
    """`store.calls.CallStore` in dicts: calls by id, and the call settings once saved."""

    calls: dict[str, Call] = field(default_factory=dict)
    saved_settings: CallSettings | None = None

    def add(self, unit: UnitOfWork, call: Call) -> None:
        def apply() -> None:
            self.calls[call.id] = call

        staged(unit).stage(apply, holds=lambda: call.id not in self.calls, tag=f"{STALE}call:{call.id}")

    def exists(self, call_id: str) -> bool:
        return call_id in self.calls

    def of_deal(self, deal_id: str, limit: int = 100) -> list[Call]:
        of_deal = [call for call in self.calls.values() if call.deal_id and call.deal_id == deal_id]
        return sorted(of_deal, key=_call_order, reverse=True)[:limit]

    def settings(self) -> CallSettings:
        return self.saved_settings or CallSettings()

    def save_settings(self, unit: UnitOfWork, settings: CallSettings) -> None:
        def apply() -> None:
            self.saved_settings = settings

        staged(unit).stage(apply)


# ------------------------------------------------------------------------------ timers, overdue


def _minute_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _timer_key(timer: Timer) -> str:
    """Where a timer sorts among the due ones (the real store's key: minute, kind, ref)."""
    return f"{_minute_text(timer.at)}#{timer.kind}#{timer.ref}"


@dataclass
class InMemoryTimers:
    """`store.timers.TimerStore` in a dict: timers by their minute, kind and reference, and
    the sweep's cursor (a minute, as text)."""

    timers: dict[str, Timer] = field(default_factory=dict)
    swept: str | None = None

    def _put(self, unit: UnitOfWork, timer: Timer) -> None:
        def apply() -> None:
            self.timers[_timer_key(timer)] = timer

        staged(unit).stage(apply)

    def set(self, unit: UnitOfWork, timer: Timer, now: datetime) -> None:
        soonest = minute(now) + MINUTE
        self._put(unit, timer if timer.at >= soonest else dataclasses.replace(timer, at=soonest))

    def _remove(self, timer: Timer) -> None:
        self.timers.pop(_timer_key(timer), None)

    def clear(self, unit: UnitOfWork, timer: Timer) -> None:
        staged(unit).stage(lambda: self._remove(timer))

    def take(self, unit: UnitOfWork, timer: Timer) -> None:
        staged(unit).stage(
            lambda: self._remove(timer),
            holds=lambda: _timer_key(timer) in self.timers,
            tag=FIRED,
        )

    def postpone(self, unit: UnitOfWork, timer: Timer, now: datetime) -> None:
        self.take(unit, timer)
        self._put(unit, dataclasses.replace(timer, at=minute(now) + MINUTE, attempts=timer.attempts + 1))

    def due(self, first: datetime, last: datetime) -> Iterator[Timer]:
        low, high = _minute_text(first), _minute_text(last)
        for key in sorted(self.timers):
            if low <= key.split("#", 1)[0] <= high:
                yield self.timers[key]

    def swept_to(self) -> datetime | None:
        return from_iso(self.swept + ":00Z") if self.swept is not None else None

    def advance(self, to: datetime) -> None:
        """Written at once, as the real store's conditional save is; never back."""
        text = _minute_text(to)
        if self.swept is None or self.swept < text:
            self.swept = text


def _overdue_person(entry: OverdueEntry) -> str:
    return (entry.assignee_id if entry.kind == "task" else entry.owner_id) or NOBODY


def _overdue_gauge(entry: OverdueEntry) -> str:
    return OVERDUE_TASKS if entry.kind == "task" else PAST_SLA


def _overdue_changed() -> Exception:
    return Problem.conflict("The task or deal became overdue or was closed meanwhile; try again.")


@dataclass
class InMemoryOverdue:
    """`store.timers.OverdueList` in dicts: the overdue tasks and stuck deals by kind and id,
    and the "now" gauges they count in (`gauges`, by gauge key as `ReportStore.gauges()`
    returns them: hand it the report store fake's gauges to share them)."""

    entries: dict[tuple[str, str], OverdueEntry] = field(default_factory=dict)
    gauges: dict[str, dict[str, int]] = field(default_factory=dict)

    def _gauge(self, unit: UnitOfWork, entry: OverdueEntry, change: int) -> None:
        def apply() -> None:
            gauges = self.gauges.setdefault(person_gauges(_overdue_person(entry)), {})
            gauges[_overdue_gauge(entry)] = gauges.get(_overdue_gauge(entry), 0) + change

        staged(unit).stage(apply)

    def add(self, unit: UnitOfWork, entry: OverdueEntry) -> None:
        key = (entry.kind, entry.id)
        before = self.entries.get(key)

        def apply() -> None:
            self.entries[key] = entry

        staged(unit).stage(apply, holds=lambda: self.entries.get(key) == before, on_conflict=_overdue_changed)
        if before is not None and _overdue_person(before) == _overdue_person(entry):
            return
        if before is not None:
            self._gauge(unit, before, -1)
        self._gauge(unit, entry, 1)

    def resolve_task(self, unit: UnitOfWork, task_id: str) -> None:
        self._resolve(unit, "task", task_id)

    def resolve_deal(self, unit: UnitOfWork, deal_id: str) -> None:
        self._resolve(unit, "deal", deal_id)

    def _resolve(self, unit: UnitOfWork, kind: str, subject_id: str) -> None:
        key = (kind, subject_id)
        before = self.entries.get(key)

        def apply() -> None:
            self.entries.pop(key, None)

        staged(unit).stage(apply, holds=lambda: self.entries.get(key) == before, on_conflict=_overdue_changed)
        if before is not None:
            self._gauge(unit, before, -1)

    def deal(self, deal_id: str) -> OverdueEntry | None:
        return self.entries.get(("deal", deal_id))

    def page(self, cursor: str | None, limit: int) -> tuple[list[OverdueEntry], str | None]:
        oldest_first = sorted(
            self.entries.values(), key=lambda entry: (f"{to_iso(entry.since)}#{entry.id}", entry.kind)
        )
        return memory.page(oldest_first, cursor, limit, lambda entry: f"{entry.kind}#{entry.id}")
