"""Automation rules: what happens by itself when something happens to a deal.

Rules are data, kept per pipeline and edited through the API. A rule has a trigger (the deal
entered a stage, stayed in one too long, a task was completed, a booking was made ...),
conditions on the deal's, the client's and the event's fields, and actions (set a task,
assign the owner, send the client a template message, tell someone on the staff, ask for a
document, move the deal, set a field, call a webhook). The default furniture template wires
the whole chain from a request to the installation (`FURNITURE_RULES`).

Two guards keep rules from running round in circles. At save time, rules that move a deal
on entering a stage may not form a loop of stages (`validate`). At run time, a move made by
a rule carries the depth of the chain that caused it (`DealStageChanged.automation_depth`)
and nothing runs past `MAX_DEPTH`: a loop through other events (a document sent, a
webhook's answer) is cut and the cut is logged.

Every effect of one run is written in the unit of work of the event that triggered it, and
whatever it creates gets an id made from that event's id, the rule and the action's place,
so a redelivered event can never create a second task or send a second message.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, Protocol

from chalicelib.deals.domain import deals as dealing
from chalicelib.deals.domain.deals import Deal, Deals
from chalicelib.deals.domain.directory import ClientCard
from chalicelib.deals.domain.pipelines import KEY, Pipeline, PipelineSpec
from chalicelib.deals.domain.tasks import (
    KIND,
    MAX_REMINDER_MINUTES,
    Priority,
    Tasks,
    Timers,
    new_task,
    open_task,
)
from chalicelib.deals.domain.timers import RULE_DELAY, Timer
from pydantic import ConfigDict, Field, field_validator, model_validator
from ulid import ULID

from lanka_platform.auth import HEAD, MANAGER
from lanka_platform.clock import to_iso
from lanka_platform.contracts import deals as events
from lanka_platform.events import envelope
from lanka_platform.lazy import lazy_attribute
from lanka_platform.ports import UnitOfWork
from lanka_platform.resources import STAFF_GROUPS
from lanka_platform.schema import Schema

# A move caused by a rule is one deeper than what caused it; rules stop at this depth.
MAX_DEPTH = 10
MAX_DUE_MINUTES = 90 * 24 * 60
Scalar = str | int | float | bool | None
Role = Annotated[str, Field(description=f"One of: {', '.join(STAFF_GROUPS)}")]

OWNER = "owner"
BOOKING_STAFF = "booking_staff"
DISTRIBUTION = "distribution"


class _Part(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


def _role(value: str | None) -> str | None:
    if value is not None and value not in STAFF_GROUPS:
        raise ValueError(f"Choose one of: {', '.join(STAFF_GROUPS)}.")
    return value


# ------------------------------------------------------------------------------ triggers


class DealEnteredStage(_Part):
    """The deal entered `stage` (a new deal enters the pipeline's first stage)."""

    type: Literal["deal_entered_stage"]
    stage: str = Field(pattern=KEY)


class DealInStageFor(_Part):
    """The deal has been in `stage` for `hours` without moving."""

    type: Literal["deal_in_stage_for"]
    stage: str = Field(pattern=KEY)
    hours: int = Field(ge=1, le=90 * 24)


class TaskCompletedTrigger(_Part):
    """A task of the deal was completed (of `kind`, or any)."""

    type: Literal["task_completed"]
    kind: str | None = Field(default=None, pattern=KIND)


class BookingTrigger(_Part):
    """A booking for the deal's client was made or cancelled (of `service`, or any)."""

    type: Literal["booking_created", "booking_rescheduled", "booking_cancelled"]
    service: str | None = Field(default=None, max_length=80)


class DocumentSentTrigger(_Part):
    """A document of the deal went to the client (of `kind`, or any)."""

    type: Literal["document_sent"]
    kind: str | None = Field(default=None, max_length=40)


class EventTrigger(_Part):
    """A quote was accepted, a payment arrived, the client wrote."""

    type: Literal["quote_accepted", "payment_received", "message_received"]


Trigger = Annotated[
    DealEnteredStage
    | DealInStageFor
    | TaskCompletedTrigger
    | BookingTrigger
    | DocumentSentTrigger
    | EventTrigger,
    Field(discriminator="type"),
]

# ------------------------------------------------------------------------------ conditions

FIELD = (
    r"^(deal\.(amount|currency|title|stage|owner_id|source_channel|expected_date|client_id|pipeline_id)"
    r"|deal\.custom\.[A-Za-z0-9_]{1,40}|client\.(name|owner_id)|event\.[a-z_]{1,40})$"
)
Op = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "exists", "missing"]


class Condition(_Part):
    """`field` `op` `value`, e.g. `deal.amount` `gte` 5000000 or `deal.source_channel` `in`
    ["telegram", "viber"]. `event.<name>` is a field of the triggering event."""

    field: str = Field(pattern=FIELD, examples=["deal.amount", "deal.custom.room", "event.channel"])
    op: Op = "eq"
    value: Scalar | list[Scalar] = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> Condition:
        if self.op in ("exists", "missing"):
            if self.value is not None:
                raise ValueError(f"`{self.op}` takes no value.")
        elif self.op == "in":
            if not isinstance(self.value, list) or not self.value:
                raise ValueError("`in` needs a list of values.")
        elif isinstance(self.value, list):
            raise ValueError(f"`{self.op}` needs one value, not a list.")
        elif self.op in ("gt", "gte", "lt", "lte", "contains") and self.value is None:
            raise ValueError(f"`{self.op}` needs a value.")
        return self


# ------------------------------------------------------------------------------ actions


class CreateTask(_Part):
    """A task for a user (`assignee`: `owner`, `booking_staff` or a user id) or for a role's
    queue (`assignee_role`); with both, the role's queue is where it goes when the user is
    not known (a deal without an owner, a booking without a member of staff)."""

    type: Literal["create_task"]
    title: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern=KIND, description="What the task is for; `task_completed` rules match it")
    assignee: str | None = Field(default=None, max_length=128)
    assignee_role: Role | None = None
    due_in_minutes: int | None = Field(default=None, ge=0, le=MAX_DUE_MINUTES)
    due_at_booking_start: bool = Field(
        default=False, description="When the triggering booking has a start time, due then"
    )
    priority: Priority = "normal"
    reminders: list[int] = Field(default_factory=list, max_length=5)

    @field_validator("assignee_role")
    @classmethod
    def _known_role(cls, value: str | None) -> str | None:
        return _role(value)

    @field_validator("reminders")
    @classmethod
    def _reminder_offsets(cls, value: list[int]) -> list[int]:
        if any(not 1 <= minutes <= MAX_REMINDER_MINUTES for minutes in value):
            raise ValueError(f"A reminder is 1 to {MAX_REMINDER_MINUTES} minutes before the due time.")
        return value

    @model_validator(mode="after")
    def _somebody(self) -> CreateTask:
        if self.assignee is None and self.assignee_role is None:
            raise ValueError("Name an assignee (`owner`, `booking_staff` or a user id) or an assignee_role.")
        if self.reminders and self.due_in_minutes is None and not self.due_at_booking_start:
            raise ValueError("Reminders need a due time (due_in_minutes).")
        return self


class AssignOwner(_Part):
    """Give the deal to `user_id`, or by the pipeline's distribution (`distribution`)."""

    type: Literal["assign_owner"]
    user_id: str = Field(min_length=1, max_length=128)


class SendMessage(_Part):
    """Send the client a template message on `channel` (default: the client's own)."""

    type: Literal["send_message"]
    template: str = Field(min_length=1, max_length=80)
    channel: Literal["email", "sms", "telegram", "viber"] | None = None


class Notify(_Part):
    """Tell someone on the staff: a user (`owner` for the deal's owner) or every member of a role."""

    type: Literal["notify"]
    text: str = Field(min_length=1, max_length=500)
    user_id: str | None = Field(default=None, max_length=128)
    role: Role | None = None

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str | None) -> str | None:
        return _role(value)

    @model_validator(mode="after")
    def _one_recipient(self) -> Notify:
        if (self.user_id is None) == (self.role is None):
            raise ValueError("Name either a user_id (or `owner`) or a role.")
        return self


class GenerateDocument(_Part):
    """Make a document of the deal from a template (an invoice, a contract)."""

    type: Literal["generate_document"]
    template: str = Field(min_length=1, max_length=80, description="invoice, quote, contract or act")
    send: bool = Field(default=False, description="Send it to the client once it is made")


class MoveDeal(_Part):
    type: Literal["move_deal"]
    to_stage: str = Field(pattern=KEY)
    lost_reason: str | None = Field(default=None, max_length=200)


SETTABLE = r"^(deal\.(title|amount|expected_date)|deal\.custom\.[A-Za-z0-9_]{1,40})$"


class SetField(_Part):
    type: Literal["set_field"]
    field: str = Field(pattern=SETTABLE, examples=["deal.custom.room"])
    value: Scalar

    @model_validator(mode="after")
    def _value_fits_field(self) -> SetField:
        if self.field == "deal.amount" and (
            isinstance(self.value, bool) or not isinstance(self.value, int) or self.value < 0
        ):
            raise ValueError("deal.amount is a whole number of minor units, 0 or more.")
        if self.field == "deal.title" and (
            not isinstance(self.value, str) or not 1 <= len(self.value) <= 200
        ):
            raise ValueError("deal.title is a text of 1 to 200 characters.")
        if self.field == "deal.expected_date" and self.value is not None:
            try:
                date.fromisoformat(str(self.value))
            except ValueError:
                raise ValueError("deal.expected_date is a date (YYYY-MM-DD).") from None
        return self


class CallWebhook(_Part):
    """POST the deal and the event to an external system (signed, retried by the sender)."""

    type: Literal["call_webhook"]
    url: str = Field(max_length=2000)
    secret_ref: str | None = Field(
        default=None, max_length=200, description="Name of the signing secret (never the secret itself)"
    )

    @field_validator("url")
    @classmethod
    def _safe_url(cls, value: str) -> str:
        local = ("http://localhost", "http://127.0.0.1")
        if not value.startswith("https://") and not any(
            value == prefix or value.startswith((f"{prefix}:", f"{prefix}/")) for prefix in local
        ):
            raise ValueError("A webhook URL must be https:// (http:// only for localhost).")
        return value


Action = Annotated[
    CreateTask | AssignOwner | SendMessage | Notify | GenerateDocument | MoveDeal | SetField | CallWebhook,
    Field(discriminator="type"),
]


class Rule(_Part):
    id: str = Field(pattern=KEY, description="Stable key of the rule (ids of what it creates derive from it)")
    name: str = Field(min_length=1, max_length=120)
    enabled: bool = True
    trigger: Trigger
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    actions: list[Action] = Field(min_length=1, max_length=20)


class RuleSetSpec(_Part):
    escalation_grace_minutes: int = Field(
        default=60, ge=5, le=7 * 24 * 60, description="How long a task may be overdue before the head is told"
    )
    rules: list[Rule] = Field(default_factory=list, max_length=100)


class RuleSetChange(RuleSetSpec):
    version: int = Field(ge=0, description="The version you read (0: the pipeline has no rules yet)")
    pipeline_id: str | None = Field(
        default=None, max_length=64, description="If given, the pipeline of the path (what a GET returns)"
    )


class RuleSet(RuleSetSpec):
    pipeline_id: str
    version: int = 0


# ------------------------------------------------------------------------------ validation


def validate(spec: RuleSetSpec, pipeline: PipelineSpec) -> list[dict[str, Any]]:
    """What is wrong with `spec` for `pipeline`, as field errors (empty: nothing)."""
    errors: list[dict[str, Any]] = []
    stages = {stage.key: stage for stage in pipeline.stages}

    def error(path: str, message: str) -> None:
        errors.append({"field": path, "message": message, "in": "body"})

    def known(path: str, stage: str) -> None:
        if stage not in stages:
            error(path, f"No stage {stage!r} in this pipeline.")

    seen: set[str] = set()
    for index, rule in enumerate(spec.rules):
        at = f"rules.{index}"
        if rule.id in seen:
            error(f"{at}.id", f"Two rules have the id {rule.id!r}.")
        seen.add(rule.id)
        if isinstance(rule.trigger, DealEnteredStage | DealInStageFor):
            known(f"{at}.trigger.stage", rule.trigger.stage)
        for number, condition in enumerate(rule.conditions):
            if condition.field == "deal.stage" and condition.op in ("eq", "ne", "in"):
                values = condition.value if isinstance(condition.value, list) else [condition.value]
                for value in values:
                    known(f"{at}.conditions.{number}.value", str(value))
        booking = isinstance(rule.trigger, BookingTrigger)
        for number, action in enumerate(rule.actions):
            place = f"{at}.actions.{number}"
            if isinstance(action, MoveDeal):
                known(f"{place}.to_stage", action.to_stage)
                target = stages.get(action.to_stage)
                if (
                    target is not None
                    and target.kind == "lost"
                    and pipeline.lost_reasons
                    and action.lost_reason not in pipeline.lost_reasons
                ):
                    error(f"{place}.lost_reason", f"Choose one of: {', '.join(pipeline.lost_reasons)}.")
            if isinstance(action, CreateTask) and not booking:
                if action.due_at_booking_start:
                    error(f"{place}.due_at_booking_start", "Only a booking trigger has a booking start.")
                if action.assignee == BOOKING_STAFF:
                    error(f"{place}.assignee", "Only a booking trigger has a booked member of staff.")
    errors.extend(
        {"field": f"rules.{index}", "message": message, "in": "body"} for index, message in cycles(spec)
    )
    errors.extend(
        {"field": f"rules.{index}", "message": message, "in": "body"} for index, message in crowded(spec)
    )
    return errors


# What one run may write: the triggering event's own writes and the rules' effects share
# one transaction of at most 100 items.
MAX_ITEMS_PER_TRIGGER = 80


def _items(action: Any) -> int:
    """About how many items an action writes (outbox entries included)."""
    if isinstance(action, CreateTask):
        return 5 + len(action.reminders)  # task, deal link, due timer, TaskCreated, FieldJobAssigned
    if isinstance(action, MoveDeal | SetField | AssignOwner):
        return 3
    return 1


def crowded(spec: RuleSetSpec) -> list[tuple[int, str]]:
    """Triggers whose rules together would write more than one transaction can hold: the
    index of the rule that goes over, and why. Rules on one trigger type and stage are
    counted together, whatever their other filters (an upper bound)."""
    totals: dict[tuple[str, str | None], int] = {}
    found: list[tuple[int, str]] = []
    for index, rule in enumerate(spec.rules):
        if not rule.enabled:
            continue
        key = (rule.trigger.type, getattr(rule.trigger, "stage", None))
        before = totals.get(key, 0)
        totals[key] = before + sum(_items(action) for action in rule.actions)
        if before <= MAX_ITEMS_PER_TRIGGER < totals[key]:
            found.append(
                (index, "The rules on this trigger do too much at once: split the work over stages.")
            )
    return found


def cycles(spec: RuleSetSpec) -> list[tuple[int, str]]:
    """Loops of stages that enabled rules would move a deal round without end: for each, the
    index of the rule that closes it and a sentence that names it.

    The graph has an edge s -> t for every rule that moves a deal to t when it enters s (a
    new deal enters the first stage). Conditions are not looked at: a loop that conditions
    would break today is one edit away from running."""
    edges: dict[str, list[tuple[str, int]]] = {}
    for index, rule in enumerate(spec.rules):
        if rule.enabled and isinstance(rule.trigger, DealEnteredStage):
            for action in rule.actions:
                if isinstance(action, MoveDeal):
                    edges.setdefault(rule.trigger.stage, []).append((action.to_stage, index))
    found: list[tuple[int, str]] = []
    state: dict[str, str] = {}  # absent: not seen; "open": on the path; "done": explored
    path: list[str] = []

    def visit(stage: str) -> None:
        state[stage] = "open"
        path.append(stage)
        for target, index in edges.get(stage, []):
            if state.get(target) == "open":
                loop = [*path[path.index(target) :], target]
                found.append((index, f"These rules would move a deal round in a loop: {' → '.join(loop)}."))
            elif target not in state:
                visit(target)
        path.pop()
        state[stage] = "done"

    for stage in list(edges):
        if stage not in state:
            visit(stage)
    return found


# ------------------------------------------------------------------------------ running


@dataclass(frozen=True)
class Occasion:
    """Something that happened to a deal, as rules see it."""

    trigger: str
    event_id: str  # ids of what the rules create derive from it
    at: datetime  # when it happened: due times count from here
    stage: str | None = None  # the stage entered (or stayed in)
    task_kind: str | None = None
    service: str | None = None
    document_kind: str | None = None
    starts_at: datetime | None = None
    staff_id: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # the event's fields: `event.<name>`
    depth: int = 0
    rule_id: str | None = None  # a delayed rule's timer runs that rule only


def stage_timers(
    rules: RuleSetSpec, deal_id: str, stage: str, entered_at: datetime, depth: int
) -> list[Timer]:
    """What a deal entering `stage` sets off later: a timer per enabled "deal in this stage
    for N hours" rule of the stage (none once rules have moved the deal `MAX_DEPTH` times)."""
    if depth >= MAX_DEPTH:
        return []
    return [
        Timer(
            RULE_DELAY,
            f"{deal_id}#{rule.id}",
            entered_at + timedelta(hours=rule.trigger.hours),
            {"stage": stage, "entered_at": to_iso(entered_at), "rule_id": rule.id, "depth": depth},
        )
        for rule in rules.rules
        if rule.enabled and isinstance(rule.trigger, DealInStageFor) and rule.trigger.stage == stage
    ]


def triggered(trigger: Any, occasion: Occasion) -> bool:
    if trigger.type != occasion.trigger:
        return False
    if isinstance(trigger, DealEnteredStage | DealInStageFor):
        return trigger.stage == occasion.stage
    if isinstance(trigger, TaskCompletedTrigger):
        return trigger.kind is None or trigger.kind == occasion.task_kind
    if isinstance(trigger, BookingTrigger):
        return trigger.service is None or trigger.service == occasion.service
    if isinstance(trigger, DocumentSentTrigger):
        return trigger.kind is None or trigger.kind == occasion.document_kind
    return True


class Facts:
    """The fields conditions read: the deal's, the client's (read only when asked) and the
    triggering event's."""

    def __init__(self, deal: Deal, client: Callable[[], ClientCard | None], event: dict[str, Any]) -> None:
        self._deal = deal.model_dump(mode="json", exclude={"history", "custom"})
        self._custom = deal.custom
        self._client = client
        self._event = event

    def get(self, name: str) -> tuple[bool, Any]:
        """(whether the field is there, its value)"""
        scope, _, rest = name.partition(".")
        if scope == "deal" and rest.startswith("custom."):
            key = rest.removeprefix("custom.")
            return key in self._custom, self._custom.get(key)
        if scope == "deal":
            return rest in self._deal, self._deal.get(rest)
        if scope == "event":
            return rest in self._event, self._event.get(rest)
        card = self._client()
        if card is None:
            return False, None
        value = {"name": card.name, "owner_id": card.owner_id}.get(rest)
        return True, value


def holds(condition: Condition, facts: Facts) -> bool:
    present, actual = facts.get(condition.field)
    expected = condition.value
    if condition.op == "exists":
        return present and actual is not None
    if condition.op == "missing":
        return not present or actual is None
    if condition.op == "eq":
        return bool(actual == expected)
    if condition.op == "ne":
        return bool(actual != expected)
    if condition.op == "in":
        return isinstance(expected, list) and actual in expected
    if actual is None:
        return False
    if condition.op == "contains":
        if isinstance(actual, str):
            return str(expected).casefold() in actual.casefold()
        return isinstance(actual, list) and expected in actual
    return _compare(condition.op, actual, expected)


def _compare(op: str, actual: Any, expected: Any) -> bool:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (actual, expected))
    texts = isinstance(actual, str) and isinstance(expected, str)
    if not numbers and not texts:
        return False
    if op == "gt":
        return bool(actual > expected)
    if op == "gte":
        return bool(actual >= expected)
    if op == "lt":
        return bool(actual < expected)
    return bool(actual <= expected)


def stable_id(at: datetime, *parts: str) -> str:
    """A ULID of time `at` whose random part is a hash of `parts`: the same occasion, rule
    and action always make the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()[:10]
    return str(ULID.from_bytes(int(at.timestamp() * 1000).to_bytes(6, "big") + digest))


class Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...
    def warning(self, msg: str, *args: Any, **kwargs: Any) -> Any: ...


class _OneWrite:
    """A `Deals` that gathers the changes of one run into one conditional write: several
    domain changes to a deal in one transaction must be one item write."""

    def __init__(self, deals: Deals) -> None:
        self._deals = deals
        self._before: Deal | None = None
        self._after: Deal | None = None

    def add(self, unit: UnitOfWork, deal: Deal) -> None:
        self._deals.add(unit, deal)

    def replace(self, unit: UnitOfWork, before: Deal, after: Deal) -> None:
        if self._before is None:
            self._before = before
        self._after = after

    def get(self, deal_id: str) -> Deal | None:
        return self._deals.get(deal_id)

    def loads(self, pipeline_id: str, managers: list[str]) -> dict[str, int]:
        return self._deals.loads(pipeline_id, managers)

    def flush(self, unit: UnitOfWork) -> None:
        if self._before is not None and self._after is not None:
            self._deals.replace(unit, self._before, self._after)


@dataclass
class Automation:
    """Runs a pipeline's rules for one occasion of one deal, in one unit of work."""

    unit: UnitOfWork
    deals: Deals
    tasks: Tasks
    timers: Timers
    pipeline: Pipeline
    rules: RuleSetSpec
    now: datetime
    log: Log
    take_turn: Callable[[str], int]
    client: Callable[[], ClientCard | None] = field(default=lambda: None)

    def run(self, occasion: Occasion, deal: Deal) -> Deal:
        """Apply every matching rule's actions in order; returns the deal as it is after."""
        facts = Facts(deal, self.client, occasion.facts)
        matching = [
            rule
            for rule in self.rules.rules
            if rule.enabled
            and occasion.rule_id in (None, rule.id)
            and triggered(rule.trigger, occasion)
            and all(holds(condition, facts) for condition in rule.conditions)
        ]
        if matching and occasion.depth >= MAX_DEPTH:
            self.log.warning(
                "Automation cut off: too many rules in a row",
                extra={
                    "deal_id": deal.id,
                    "pipeline_id": self.pipeline.id,
                    "depth": occasion.depth,
                    "rule_ids": [rule.id for rule in matching],
                },
            )
            return deal
        # A rule acting on "the deal entered s" must not move or edit a deal that has left s
        # since (the event was late): its tasks and messages still go out.
        may_change = occasion.stage is None or deal.stage == occasion.stage
        changes: dict[str, Any] = {}
        move: MoveDeal | None = None
        for rule in matching:
            for index, action in enumerate(rule.actions):
                made = stable_id(occasion.at, occasion.event_id, rule.id, str(index))
                if isinstance(action, MoveDeal | SetField | AssignOwner) and not may_change:
                    self.log.info("Rule skipped a change: the deal has moved on", extra={"rule_id": rule.id})
                elif isinstance(action, MoveDeal):
                    if move is None:
                        move = action
                    else:
                        self.log.warning(
                            "Two rules move one deal at once; the first wins", extra={"rule_id": rule.id}
                        )
                elif isinstance(action, SetField | AssignOwner):
                    self._change(action, deal, changes)
                else:
                    self._act(action, made, rule.id, occasion, deal, changes)
        return self._write(deal, changes, move, occasion)

    def _change(self, action: SetField | AssignOwner, deal: Deal, changes: dict[str, Any]) -> None:
        if isinstance(action, AssignOwner):
            if action.user_id != DISTRIBUTION:
                changes["owner_id"] = action.user_id
                return
            owner = dealing.choose_owner(self.pipeline, self.deals, self.take_turn)
            if owner is not None:
                changes["owner_id"] = owner
            return
        name = action.field.removeprefix("deal.")
        if name.startswith("custom."):
            custom = dict(changes.get("custom", deal.custom))
            custom[name.removeprefix("custom.")] = action.value
            changes["custom"] = custom
        elif name == "expected_date":
            changes[name] = date.fromisoformat(str(action.value)) if action.value is not None else None
        else:
            changes[name] = action.value

    def _act(
        self,
        action: Any,
        made: str,
        rule_id: str,
        occasion: Occasion,
        deal: Deal,
        changes: dict[str, Any],
    ) -> None:
        owner = changes.get("owner_id", deal.owner_id)
        if isinstance(action, CreateTask):
            self._create_task(action, made, rule_id, occasion, deal, owner)
        elif isinstance(action, SendMessage):
            self._emit(
                events.MessageRequested(
                    message_id=made,
                    client_id=deal.client_id,
                    template=action.template,
                    deal_id=deal.id,
                    channel=action.channel,
                    variables={"deal_title": deal.title, "deal_id": deal.id},
                )
            )
        elif isinstance(action, Notify):
            user = owner if action.user_id == OWNER else action.user_id
            # A deal nobody owns yet: what its owner should hear goes to the head.
            role = None if user is not None else action.role or HEAD
            self._emit(
                events.StaffNotificationRequested(
                    notification_id=made, user_id=user, role=role, text=action.text, deal_id=deal.id
                )
            )
        elif isinstance(action, GenerateDocument):
            self._emit(
                events.DocumentRequested(
                    document_id=made,
                    deal_id=deal.id,
                    client_id=deal.client_id,
                    template=action.template,
                    rule_id=rule_id,
                    send=action.send,
                )
            )
        elif isinstance(action, CallWebhook):
            self._emit(
                events.WebhookRequested(
                    webhook_id=made,
                    url=action.url,
                    secret_ref=action.secret_ref,
                    body={
                        "rule_id": rule_id,
                        "trigger": occasion.trigger,
                        "event_id": occasion.event_id,
                        "occurred_at": occasion.at.isoformat(),
                        "deal": deal.model_dump(
                            mode="json",
                            include={"id", "pipeline_id", "stage", "title", "amount", "currency", "owner_id"},
                        ),
                    },
                )
            )

    def _create_task(
        self, action: CreateTask, made: str, rule_id: str, occasion: Occasion, deal: Deal, owner: str | None
    ) -> None:
        assignee = {OWNER: owner, BOOKING_STAFF: occasion.staff_id}.get(
            action.assignee or "", action.assignee
        )
        role = action.assignee_role
        if assignee is None and role is None:
            role = MANAGER  # the owner is not known yet: the managers' queue
        due: datetime | None = None
        if action.due_at_booking_start and occasion.starts_at is not None:
            due = occasion.starts_at
        elif action.due_in_minutes is not None:
            due = occasion.at + timedelta(minutes=action.due_in_minutes)
        task = new_task(
            task_id=made,
            title=action.title,
            kind=action.kind,
            now=self.now,
            deal=deal,
            assignee_id=assignee,
            assignee_role=role,
            due_at=due,
            reminders=action.reminders,
            priority=action.priority,
            rule_id=rule_id,
        )
        open_task(self.unit, self.tasks, self.timers, task, self.now)

    def _emit(self, data: Any) -> None:
        self.unit.emit(envelope(data, occurred_at=self.now))

    def _write(self, deal: Deal, changes: dict[str, Any], move: MoveDeal | None, occasion: Occasion) -> Deal:
        """The run's changes to the deal, as one write (see `_OneWrite`)."""
        if not changes and move is None:
            return deal
        writer = _OneWrite(self.deals)
        after = deal
        if changes:
            after = dealing.change(self.unit, writer, deal, self.now, None, **changes)
        if move is not None:
            target = self.pipeline.stage(move.to_stage)
            if target is None:
                self.log.warning("A rule moves to a stage that is gone", extra={"stage": move.to_stage})
            elif (
                target.kind == "lost"
                and self.pipeline.lost_reasons
                and move.lost_reason not in self.pipeline.lost_reasons
            ):
                self.log.warning("A rule moves to lost without a reason", extra={"stage": move.to_stage})
            else:
                # One write: the move starts from the version the deal has in the table.
                base = after.model_copy(update={"version": deal.version})
                after = dealing.move(
                    self.unit,
                    writer,
                    self.pipeline,
                    base,
                    move.to_stage,
                    deal.version,
                    self.now,
                    lost_reason=move.lost_reason,
                    depth=occasion.depth + 1,
                )
        writer.flush(self.unit)
        return after


# ------------------------------------------------------------------------------ templates


def _rule(
    rule_id: str,
    name: str,
    trigger: Any,
    *actions: Any,
    conditions: list[Condition] | None = None,
) -> Rule:
    return Rule(id=rule_id, name=name, trigger=trigger, conditions=conditions or [], actions=list(actions))


def _entered(stage: str) -> DealEnteredStage:
    return DealEnteredStage(type="deal_entered_stage", stage=stage)


def _completed(kind: str) -> TaskCompletedTrigger:
    return TaskCompletedTrigger(type="task_completed", kind=kind)


def _in_stage(*stages: str) -> list[Condition]:
    if len(stages) == 1:
        return [Condition(field="deal.stage", op="eq", value=stages[0])]
    return [Condition(field="deal.stage", op="in", value=list(stages))]


def _paid_in_full() -> Condition:
    return Condition(field="event.invoice_paid_in_full", op="ne", value=False)


def _move(stage: str) -> MoveDeal:
    return MoveDeal(type="move_deal", to_stage=stage)


def _message(template: str) -> SendMessage:
    return SendMessage(type="send_message", template=template)


HOUR = 60
DAY = 24 * HOUR


@functools.cache
def _templates() -> dict[str, Any]:
    """Built on first use, not at import: validating them is paid for in each cold start."""
    FURNITURE_RULES = RuleSetSpec(
        rules=[
            _rule(
                "contact_new_request",
                "Нова заявка: зв'язатися з клієнтом за 15 хвилин",
                _entered("new"),
                CreateTask(
                    type="create_task",
                    title="Зв'язатися з клієнтом",
                    kind="contact_client",
                    assignee=OWNER,
                    assignee_role=MANAGER,
                    due_in_minutes=15,
                    priority="high",
                    reminders=[5],
                ),
            ),
            _rule(
                "contacted",
                "Клієнту подзвонили: «Зв'язалися»",
                _completed("contact_client"),
                _move("contacted"),
                conditions=_in_stage("new"),
            ),
            _rule(
                "measurement_booked",
                "Замір записано: «Замір призначено»",
                BookingTrigger(type="booking_created", service="measurement"),
                _move("measurement_booked"),
                conditions=_in_stage("new", "contacted"),
            ),
            _rule(
                "measurer_visit",
                "Замір записано: задача замірнику на час візиту",
                BookingTrigger(type="booking_created", service="measurement"),
                CreateTask(
                    type="create_task",
                    title="Замір у клієнта",
                    kind="measure",
                    assignee=BOOKING_STAFF,
                    assignee_role="measurer",
                    due_at_booking_start=True,
                    due_in_minutes=DAY,
                    reminders=[HOUR],
                ),
            ),
            _rule(
                "measurement_cancelled",
                "Замір скасовано: сказати менеджеру",
                BookingTrigger(type="booking_cancelled", service="measurement"),
                Notify(type="notify", user_id=OWNER, text="Клієнт скасував замір: домовтеся про інший час."),
            ),
            _rule(
                "measured",
                "Розміри зняті: «Заміряно»",
                _completed("measure"),
                _move("measured"),
                conditions=_in_stage("measurement_booked"),
            ),
            _rule(
                "designer_prices",
                "Заміряно: дизайнер рахує ціну",
                _entered("measured"),
                CreateTask(
                    type="create_task",
                    title="Прорахувати замовлення",
                    kind="price_job",
                    assignee_role="designer",
                    due_in_minutes=DAY,
                    reminders=[2 * HOUR],
                ),
            ),
            _rule(
                "priced",
                "Ціну пораховано: «Прорахунок»",
                _completed("price_job"),
                _move("pricing"),
                conditions=_in_stage("measured"),
            ),
            _rule(
                "call_with_price",
                "Ціну пораховано: менеджер дзвонить клієнту",
                _completed("price_job"),
                CreateTask(
                    type="create_task",
                    title="Зателефонувати клієнту з ціною",
                    kind="call_with_price",
                    assignee=OWNER,
                    assignee_role=MANAGER,
                    due_in_minutes=2 * HOUR,
                    priority="high",
                    reminders=[30],
                ),
            ),
            _rule(
                "invoice_on_agreement",
                "Ціну погоджено: рахунок",
                _entered("price_agreed"),
                GenerateDocument(type="generate_document", template="invoice", send=True),
                _move("invoiced"),
            ),
            _rule(
                "paid",
                "Оплата надійшла: «Оплачено»",
                EventTrigger(type="payment_received"),
                _move("paid"),
                # A partial payment waits for the rest (None: the poster does not know).
                conditions=[*_in_stage("price_agreed", "invoiced"), _paid_in_full()],
            ),
            _rule(
                "production",
                "Оплачено: у виробництво",
                _entered("paid"),
                CreateTask(
                    type="create_task",
                    title="Виготовити замовлення",
                    kind="produce",
                    assignee_role="production",
                    due_in_minutes=14 * DAY,
                    reminders=[DAY],
                ),
                _message("payment_received"),
                _move("in_production"),
            ),
            _rule(
                "produced",
                "Виготовлено: «Готово»",
                _completed("produce"),
                _move("ready"),
                conditions=_in_stage("paid", "in_production"),
            ),
            _rule(
                "agree_delivery",
                "Готово: погодити доставку",
                _entered("ready"),
                CreateTask(
                    type="create_task",
                    title="Погодити з клієнтом час доставки",
                    kind="agree_delivery",
                    assignee=OWNER,
                    assignee_role=MANAGER,
                    due_in_minutes=4 * HOUR,
                    reminders=[HOUR],
                ),
                _message("order_ready"),
            ),
            _rule(
                "delivery_agreed",
                "Доставку погоджено: «Доставку погоджено»",
                _completed("agree_delivery"),
                _move("delivery_agreed"),
                conditions=_in_stage("ready"),
            ),
            _rule(
                "installation",
                "Доставку погоджено: монтажникам",
                _entered("delivery_agreed"),
                CreateTask(
                    type="create_task",
                    title="Доставити й встановити",
                    kind="install",
                    assignee_role="installer",
                    due_in_minutes=3 * DAY,
                    reminders=[DAY],
                ),
            ),
            _rule(
                "installed",
                "Встановлено: угоду виграно",
                _completed("install"),
                _move("installed"),
                conditions=_in_stage("delivery_agreed"),
            ),
        ]
    )

    SALON_RULES = RuleSetSpec(
        rules=[
            _rule(
                "contact_new_request",
                "Нова заявка: передзвонити за 10 хвилин",
                _entered("new"),
                CreateTask(
                    type="create_task",
                    title="Передзвонити клієнтці",
                    kind="contact_client",
                    assignee=OWNER,
                    assignee_role=MANAGER,
                    due_in_minutes=10,
                    priority="high",
                ),
            ),
            # The client's confirmation (with its calendar invite and reminders) is sent by
            # notifications from the booking itself: a message here would be a second one.
            _rule(
                "booked",
                "Запис: «Записано»",
                BookingTrigger(type="booking_created"),
                _move("booked"),
                conditions=_in_stage("new"),
            ),
            _rule(
                "booking_cancelled",
                "Запис скасовано: сказати адміністратору",
                BookingTrigger(type="booking_cancelled"),
                Notify(type="notify", user_id=OWNER, text="Клієнтка скасувала запис."),
            ),
        ]
    )

    WHOLESALE_RULES = RuleSetSpec(
        rules=[
            _rule(
                "prepare_quote",
                "Нове замовлення: комерційна пропозиція за 4 години",
                _entered("new"),
                CreateTask(
                    type="create_task",
                    title="Підготувати комерційну пропозицію",
                    kind="prepare_quote",
                    assignee=OWNER,
                    assignee_role=MANAGER,
                    due_in_minutes=4 * HOUR,
                ),
            ),
            _rule(
                "invoice_on_acceptance",
                "Пропозицію прийнято: рахунок",
                EventTrigger(type="quote_accepted"),
                GenerateDocument(type="generate_document", template="invoice", send=True),
                _move("invoiced"),
                conditions=_in_stage("new", "quoted"),
            ),
            _rule(
                "paid",
                "Оплата: «Оплачено»",
                EventTrigger(type="payment_received"),
                _move("paid"),
                conditions=[*_in_stage("quoted", "invoiced"), _paid_in_full()],
            ),
            _rule(
                "ship",
                "Оплачено: відвантажити",
                _entered("paid"),
                CreateTask(
                    type="create_task",
                    title="Відвантажити замовлення",
                    kind="ship",
                    assignee_role="production",
                    due_in_minutes=DAY,
                ),
                _message("payment_received"),
            ),
        ]
    )

    TEMPLATE_RULES: dict[str, RuleSetSpec] = {
        "furniture": FURNITURE_RULES,
        "salon": SALON_RULES,
        "wholesale": WHOLESALE_RULES,
    }
    return {
        "TEMPLATE_RULES": TEMPLATE_RULES,
        "FURNITURE_RULES": FURNITURE_RULES,
        "SALON_RULES": SALON_RULES,
        "WHOLESALE_RULES": WHOLESALE_RULES,
    }


def __getattr__(name: str) -> Any:
    return lazy_attribute(__name__, name, _templates)
