"""Routes of pipelines, deals and the board; the handlers that open deals from requests and
keep the board's counters."""

from __future__ import annotations

from chalicelib.deals.domain import automation as rulebook
from chalicelib.deals.domain import deals as dealing
from chalicelib.deals.domain import pipelines as templates
from chalicelib.deals.domain.deals import (
    Board,
    BoardColumn,
    Deal,
    DealPage,
    DealPatch,
    Move,
    NewDeal,
    OwnerChange,
)
from chalicelib.deals.domain.pipelines import Pipeline, PipelineSpec
from chalicelib.deals.runner import stage_entered
from chalicelib.deals.service import service
from chalicelib.deals.store import ClientDirectory, DealStore, PipelineStore, RuleStore
from pydantic import ConfigDict, Field

from lanka_platform.api import Call
from lanka_platform.auth import OFFICE
from lanka_platform.contracts import clients as client_events
from lanka_platform.contracts import deals as events
from lanka_platform.events import Envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

SUPERVISORS = ("admin", "head")
DEFAULT_PIPELINE_ID = "furniture"


class PipelineList(Schema):
    items: list[Pipeline]


class PipelineChange(PipelineSpec):
    """The pipeline as read (`id` may be sent back as it was), with the changes."""

    id: str | None = Field(default=None, max_length=64)
    version: int = Field(ge=1, description="The version you read")


class BoardQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    limit: int = Field(default=20, ge=1, le=50, description="Cards per column")


class PageQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=50, ge=1, le=100)


class DealListQuery(PageQuery):
    owner: str = Field(
        default="me", max_length=128, description="`me`, `unassigned` or a user id (head, admin)"
    )


class DealView(Deal):
    seconds_in_stage: dict[str, int] = Field(description="Time spent in each stage so far, in seconds")


def _pipelines(call: Call) -> PipelineStore:
    return PipelineStore(call.store)


def ensure_default_pipeline(pipelines: PipelineStore) -> Pipeline:
    """A fresh install starts with the custom-furniture pipeline and its rules."""
    found = pipelines.default()
    if found is not None:
        return found
    pipeline = Pipeline(id=DEFAULT_PIPELINE_ID, **templates.TEMPLATES["furniture"].model_dump())
    unit = service.store.unit_of_work()
    pipelines.save(unit, pipeline, expected=None)
    RuleStore(service.store).install(unit, pipeline.id, rulebook.TEMPLATE_RULES["furniture"])
    try:
        unit.commit()
    except Problem:
        pass  # created meanwhile by another request: the same template
    return pipelines.get(DEFAULT_PIPELINE_ID) or pipeline


def _one_default(call: Call, chosen: Pipeline) -> None:
    """Requests open deals in one pipeline: choosing a new default unsets the old one."""
    if not chosen.is_default:
        return
    store = _pipelines(call)
    for other in store.all():
        if other.is_default and other.id != chosen.id:
            store.save(
                call.unit,
                other.model_copy(update={"is_default": False, "version": other.version + 1}),
                expected=other.version,
            )


def _pipeline(call: Call, pipeline_id: str) -> Pipeline:
    pipeline = _pipelines(call).get(pipeline_id)
    if pipeline is None:
        raise Problem.not_found("The pipeline")
    return pipeline


@service.route("/pipelines", response=PipelineList, roles=OFFICE)
def list_pipelines(call: Call) -> PipelineList:
    """Every pipeline with its stages (the furniture one exists from the start)."""
    store = _pipelines(call)
    ensure_default_pipeline(store)
    return PipelineList(items=store.all())


@service.route("/pipelines", "POST", body=PipelineSpec, response=Pipeline, status=201, roles=("admin",))
def add_pipeline(call: Call, body: PipelineSpec) -> Pipeline:
    """A new pipeline."""
    ensure_default_pipeline(_pipelines(call))
    pipeline = Pipeline(id=new_id(), **body.model_dump())
    _one_default(call, pipeline)
    _pipelines(call).save(call.unit, pipeline, expected=None)
    return pipeline


@service.route("/pipelines/templates/{template}", "POST", response=Pipeline, status=201, roles=("admin",))
def add_pipeline_from_template(call: Call, template: str) -> Pipeline:
    """A new pipeline from a template: `furniture`, `salon` or `wholesale`."""
    spec = templates.TEMPLATES.get(template)
    if spec is None:
        raise Problem.not_found("The template")
    ensure_default_pipeline(_pipelines(call))
    pipeline = Pipeline(id=new_id(), **{**spec.model_dump(), "is_default": False})
    _pipelines(call).save(call.unit, pipeline, expected=None)
    RuleStore(call.store).install(call.unit, pipeline.id, rulebook.TEMPLATE_RULES[template])
    return pipeline


@service.route("/pipelines/{pipeline_id}", response=Pipeline, roles=OFFICE)
def get_pipeline(call: Call, pipeline_id: str) -> Pipeline:
    """One pipeline."""
    return _pipeline(call, pipeline_id)


@service.route(
    "/pipelines/{pipeline_id}",
    "PUT",
    body=PipelineChange,
    response=Pipeline,
    roles=("admin",),
    problems=[409],
)
def change_pipeline(call: Call, pipeline_id: str, body: PipelineChange) -> Pipeline:
    """Change a pipeline's stages, lost reasons or distribution (`version`: the one you read).
    A stage that still has deals cannot be removed."""
    before = _pipeline(call, pipeline_id)
    if body.version != before.version:
        raise Problem.conflict("Someone changed this pipeline meanwhile; reload it.")
    removed = set(before.stage_keys) - {stage.key for stage in body.stages}
    counts = DealStore(call.store).counts(pipeline_id)
    busy = sorted(key for key in removed if counts.get(key, (0, 0))[0] > 0)
    if busy:
        raise Problem.conflict(f"These stages still have deals: {', '.join(busy)}.", stages=busy)
    if body.id not in (None, pipeline_id):
        raise Problem.invalid([{"field": "id", "message": "This is another pipeline's id.", "in": "body"}])
    after = Pipeline(
        **{**body.model_dump(exclude={"version", "id"}), "id": pipeline_id, "version": before.version + 1}
    )
    _one_default(call, after)
    _pipelines(call).save(call.unit, after, expected=before.version)
    return after


@service.route("/pipelines/{pipeline_id}/board", query=BoardQuery, response=Board, roles=OFFICE)
def get_board(call: Call, pipeline_id: str, query: BoardQuery) -> Board:
    """Every stage with its number of deals, their sum and the newest cards."""
    pipeline = _pipeline(call, pipeline_id)
    deals = DealStore(call.store)
    counts = deals.counts(pipeline_id)
    columns = []
    for stage in pipeline.stages:
        cards, cursor = deals.column(pipeline_id, stage.key, None, query.limit)
        number, total = counts.get(stage.key, (0, 0))
        columns.append(
            BoardColumn(
                stage=stage.key,
                name=stage.name,
                kind=stage.kind,
                count=number,
                sum=total,
                cards=cards,
                next_cursor=cursor,
            )
        )
    return Board(pipeline_id=pipeline_id, name=pipeline.name, columns=columns)


@service.route(
    "/pipelines/{pipeline_id}/stages/{stage}/deals", query=PageQuery, response=DealPage, roles=OFFICE
)
def list_column(call: Call, pipeline_id: str, stage: str, query: PageQuery) -> DealPage:
    """More cards of one board column."""
    if _pipeline(call, pipeline_id).stage(stage) is None:
        raise Problem.not_found("The stage")
    cards, cursor = DealStore(call.store).column(pipeline_id, stage, query.cursor, query.limit)
    return DealPage(items=cards, next_cursor=cursor)


@service.route("/deals", "POST", body=NewDeal, response=Deal, status=201, roles=OFFICE, idempotent=True)
def create_deal(call: Call, body: NewDeal) -> Deal:
    """A deal entered by staff (owned by its author unless the head says otherwise)."""
    user = call.user
    if body.owner_id is not None and not user.is_supervisor:
        raise Problem.forbidden("Only the head or an admin can choose another owner.")
    pipelines = _pipelines(call)
    pipeline = pipelines.get(body.pipeline_id) if body.pipeline_id else ensure_default_pipeline(pipelines)
    if pipeline is None:
        raise Problem.invalid(
            [{"field": "pipeline_id", "message": "There is no such pipeline.", "in": "body"}]
        )
    card = ClientDirectory(call.store).card(body.client_id)
    if card is None or card.erased:
        raise Problem.invalid([{"field": "client_id", "message": "There is no such client.", "in": "body"}])
    owner = body.owner_id if body.owner_id is not None else (None if user.is_supervisor else user.user_id)
    return dealing.open_deal(
        call.unit,
        DealStore(call.store),
        pipeline,
        client_id=card.merged_into or card.client_id,
        client_name=card.name,
        title=body.title,
        owner_id=owner,
        now=call.store.clock(),
        amount=body.amount,
        currency=body.currency,
        source_channel=body.source_channel,
        expected_date=body.expected_date,
        custom=body.custom,
    )


@service.route("/deals", query=DealListQuery, response=DealPage, roles=OFFICE)
def list_deals(call: Call, query: DealListQuery) -> DealPage:
    """A manager's deals (`me`), or the queue of unassigned ones, newest first."""
    user = call.user
    owner: str | None = {"me": user.user_id, "unassigned": None}.get(query.owner, query.owner)
    if not user.is_supervisor and owner not in (None, user.user_id):
        raise Problem.forbidden("A manager lists his own deals and the unassigned ones.")
    cards, cursor = DealStore(call.store).of_owner(owner, query.cursor, query.limit)
    return DealPage(items=cards, next_cursor=cursor)


def _view(deal: Deal, call: Call) -> DealView:
    now = call.store.clock()
    spent: dict[str, int] = {}
    for visit in deal.history:
        spent[visit.stage] = spent.get(visit.stage, 0) + visit.seconds(now)
    return DealView(**deal.model_dump(), seconds_in_stage=spent)


@service.route("/deals/{deal_id}", response=DealView, roles=OFFICE)
def get_deal(call: Call, deal_id: str) -> DealView:
    """One deal with its stage history and the time spent in each stage."""
    return _view(dealing.visible(DealStore(call.store), deal_id, call.user), call)


@service.route("/deals/{deal_id}", "PATCH", body=DealPatch, response=Deal, roles=OFFICE, problems=[409])
def change_deal(call: Call, deal_id: str, body: DealPatch) -> Deal:
    """Change a deal's title, amount, expected date or custom fields."""
    deals = DealStore(call.store)
    deal = dealing.visible(deals, deal_id, call.user)
    fields = {name: getattr(body, name) for name in body.model_fields_set if name != "version"}
    return dealing.change(call.unit, deals, deal, call.store.clock(), body.version, **fields)


@service.route("/deals/{deal_id}/move", "POST", body=Move, response=Deal, roles=OFFICE, problems=[409])
def move_deal(call: Call, deal_id: str, body: Move) -> Deal:
    """Move a deal to another stage; two people moving one card at once: one wins, one 409."""
    deals = DealStore(call.store)
    deal = dealing.visible(deals, deal_id, call.user)
    pipeline = _pipeline(call, deal.pipeline_id)
    return dealing.move(
        call.unit,
        deals,
        pipeline,
        deal,
        body.to_stage,
        body.version,
        call.store.clock(),
        lost_reason=body.lost_reason,
    )


@service.route(
    "/deals/{deal_id}/owner", "PUT", body=OwnerChange, response=Deal, roles=SUPERVISORS, problems=[409]
)
def reassign_deal(call: Call, deal_id: str, body: OwnerChange) -> Deal:
    """Give a deal to another manager (or back to the unassigned queue)."""
    deals = DealStore(call.store)
    deal = dealing.visible(deals, deal_id, call.user)
    return dealing.change(call.unit, deals, deal, call.store.clock(), body.version, owner_id=body.owner_id)


@service.route("/deals/{deal_id}/take", "POST", response=Deal, roles=OFFICE, problems=[409])
def take_deal(call: Call, deal_id: str) -> Deal:
    """Take a request nobody owns: the deal is yours from now on (the requests inbox's one
    button). Someone else was first: 409, and the deal stays his; taking your own: no change."""
    deals = DealStore(call.store)
    deal = deals.get(deal_id)
    if deal is None:
        raise Problem.not_found("The deal")
    if deal.owner_id == call.user.user_id:
        return deal
    # A manager who saw it in the queue learns that it was taken, not that it is gone.
    if deal.owner_id is not None:
        raise Problem.conflict("Someone else has taken this request already.", deal_id=deal.id)
    return dealing.change(
        call.unit, deals, deal, call.store.clock(), deal.version, owner_id=call.user.user_id
    )


# ------------------------------------------------------------------------------ events


@service.handles(client_events.ClientRequestReceived)
def on_request(event: Envelope[client_events.ClientRequestReceived], unit: UnitOfWork) -> None:
    """A request from any channel opens a deal in the default pipeline's first stage, for
    the client's own manager or, for a client nobody owns, by the pipeline's distribution.
    A client who already has an open deal gets no second one: the request is linked to the
    open deal (bookings look deals up by request id)."""
    data = event.data
    deals = DealStore(service.store)
    active = deals.open_of_client(data.client_id, dealing.NEWEST_DEALS)
    if active is not None:
        deals.link_request(unit, data.request_id, active.id)
        return
    pipelines = PipelineStore(service.store)
    pipeline = ensure_default_pipeline(pipelines)
    owner = data.owner_id or dealing.choose_owner(pipeline, deals, pipelines.take_turn)
    title = data.subject or f"Заявка: {data.channel}"
    dealing.open_deal(
        unit,
        deals,
        pipeline,
        client_id=data.client_id,
        client_name=data.name,
        title=title[:200],
        owner_id=owner,
        now=event.metadata.occurred_at,
        source_channel=data.channel,
        request_id=data.request_id,
        amount=data.amount,
        currency=data.currency,
    )


@service.handles(events.DealCreated)
def count_created(event: Envelope[events.DealCreated], unit: UnitOfWork) -> None:
    data = event.data
    deals = DealStore(service.store)
    deals.count(unit, data.pipeline_id, data.stage, 1, data.amount)
    if data.owner_id:
        deals.load(unit, data.pipeline_id, data.owner_id, 1)
    # A new deal enters the first stage: its SLA, and the rules of that stage.
    stage_entered(unit, event, data.stage, depth=0)


@service.handles(events.DealStageChanged)
def count_moved(event: Envelope[events.DealStageChanged], unit: UnitOfWork) -> None:
    data = event.data
    deals = DealStore(service.store)
    deals.count(unit, data.pipeline_id, data.from_stage, -1, -data.amount)
    deals.count(unit, data.pipeline_id, data.to_stage, 1, data.amount)
    if data.owner_id and data.outcome is not None:
        deals.load(unit, data.pipeline_id, data.owner_id, -1)
    stage_entered(unit, event, data.to_stage, depth=data.automation_depth)


@service.handles(events.DealUpdated)
def count_changed(event: Envelope[events.DealUpdated], unit: UnitOfWork) -> None:
    data = event.data
    deals = DealStore(service.store)
    if data.amount != data.previous_amount:
        deals.count(unit, data.pipeline_id, data.stage, 0, data.amount - data.previous_amount)
    if data.owner_id != data.previous_owner_id:
        if data.previous_owner_id:
            deals.load(unit, data.pipeline_id, data.previous_owner_id, -1)
        if data.owner_id:
            deals.load(unit, data.pipeline_id, data.owner_id, 1)
