"""Mass mailings: create (now or at a time), preview the audience, watch the progress,
cancel; the `mailings` schedule that sends them in steps; the audience projection kept
from the contact cards, the deals' stages and the last contact with each client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from chalicelib.notifications.domain import mailings as mass
from chalicelib.notifications.domain import templates
from chalicelib.notifications.domain.contacts import DEFAULT_ORDER, ContactCard
from chalicelib.notifications.domain.mailings import (
    Audience,
    AudienceSize,
    Mailing,
    MailingPage,
    NewMailing,
    Profile,
    RecipientPage,
)
from chalicelib.notifications.domain.messages import OutgoingMessage
from chalicelib.notifications.service import service
from chalicelib.notifications.store import (
    AudienceStore,
    ContactStore,
    MailingStore,
    MessageStore,
    TemplateStore,
)
from pydantic import ConfigDict, Field

from lanka_platform import observability
from lanka_platform.api import Call
from lanka_platform.contracts.deals import CallLogged, DealCreated, DealStageChanged
from lanka_platform.contracts.notifications import MessageReceived
from lanka_platform.events import Envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import ConditionFailed

SENDERS = ("admin", "head")
# A step is one page of recipients; a run of the schedule takes a few steps of each mailing
# due, so one Lambda run stays well inside its time limit however large the audience.
STEPS_PER_RUN = 5
MAILINGS_PER_RUN = 5
# Recipients written in one transaction: a marker, a message and its pointer each, plus the
# mailing's counters (DynamoDB takes at most 100 items in one).
WRITES_PER_UNIT = 25


class PageQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


# ------------------------------------------------------------------------------ audience


def resegment(
    unit: UnitOfWork,
    client_id: str,
    before: ContactCard | None,
    after: ContactCard | None,
    change: Callable[[Profile], Profile] | None = None,
) -> None:
    mass.resegment(unit, AudienceStore(service.store), client_id, before, after, change)


def contact_day(at: datetime) -> date:
    return mass.contact_day(at, service.store.settings.timezone)


@service.handles(DealCreated)
def on_deal_created(event: Envelope[DealCreated], unit: UnitOfWork) -> None:
    """The client's open deal, by pipeline and stage (a mailing segment)."""
    data = event.data
    card = ContactStore(service.store).own(data.client_id)
    resegment(
        unit, data.client_id, card, card, lambda p: p.with_deal(data.deal_id, data.pipeline_id, data.stage, 1)
    )


@service.handles(DealStageChanged)
def on_deal_moved(event: Envelope[DealStageChanged], unit: UnitOfWork) -> None:
    """The deal's new stage; won or lost, it is no longer an open deal of the client."""
    data = event.data
    stage = None if data.outcome else data.to_stage
    card = ContactStore(service.store).own(data.client_id)
    resegment(
        unit,
        data.client_id,
        card,
        card,
        lambda p: p.with_deal(data.deal_id, data.pipeline_id, stage, data.deal_version),
    )


@service.handles(MessageReceived)
def on_client_wrote(event: Envelope[MessageReceived], unit: UnitOfWork) -> None:
    """The client wrote: their last contact is that day."""
    client_id, day = event.data.client_id, contact_day(event.metadata.occurred_at)
    card = ContactStore(service.store).own(client_id)
    resegment(unit, client_id, card, card, lambda profile: profile.contacted(day))


@service.handles(CallLogged)
def on_call_logged(event: Envelope[CallLogged], unit: UnitOfWork) -> None:
    """A call with the client (answered or not, either way): their last contact is that day."""
    client_id, day = event.data.client_id, contact_day(event.metadata.occurred_at)
    card = ContactStore(service.store).own(client_id)
    resegment(unit, client_id, card, card, lambda profile: profile.contacted(day))


def _size(audience: Audience) -> AudienceSize:
    """As many as a send to `audience` would handle now: one GetItem when a partition is
    the audience; else a Query of the smallest candidate partition, filtered."""
    store = AudienceStore(service.store)
    exact = mass.exact_partition(audience)
    if exact is not None:
        return AudienceSize(recipients=store.size(exact))
    smallest = min(mass.candidate_partitions(audience), key=store.size)
    return AudienceSize(
        recipients=store.count_matching(smallest, lambda segment: mass.matches(audience, segment))
    )


# ------------------------------------------------------------------------------ routes


@service.route("/mailings/preview", "POST", body=Audience, response=AudienceSize, roles=SENDERS)
def preview_audience(call: Call, body: Audience) -> AudienceSize:
    """How many clients a mailing to this audience would reach now (consenting only)."""
    return _size(body)


@service.route(
    "/mailings", "POST", body=NewMailing, response=Mailing, status=201, roles=SENDERS, idempotent=True
)
def create_mailing(call: Call, body: NewMailing) -> Mailing:
    """A mailing of a template to the consenting clients of an audience, now or at `start_at`."""
    store = TemplateStore(call.store)
    if not any(templates.find(store, body.template, channel, "uk") for channel in DEFAULT_ORDER):
        raise Problem.invalid([{"field": "template", "message": f"There is no template {body.template}."}])
    now = call.store.clock()
    mailing = Mailing(
        id=new_id(),
        name=body.name,
        template=body.template,
        channel=body.channel,
        audience=body.audience,
        status="scheduled",
        start_at=max(body.start_at or now, now),
        created_at=now,
        created_by=call.user.user_id,
        total=_size(body.audience).recipients,
    )
    MailingStore(call.store).add(call.unit, mailing)
    return mailing


@service.route("/mailings", query=PageQuery, response=MailingPage, roles=SENDERS)
def list_mailings(call: Call, query: PageQuery) -> MailingPage:
    """Mailings, newest first, with their progress."""
    items, cursor = MailingStore(call.store).page(query.cursor, query.limit)
    return MailingPage(items=items, next_cursor=cursor)


@service.route("/mailings/{mailing_id}", response=Mailing, roles=SENDERS)
def get_mailing(call: Call, mailing_id: str) -> Mailing:
    """One mailing and its progress: total, queued, skipped, sent, failed."""
    mailing = MailingStore(call.store).get(mailing_id)
    if mailing is None:
        raise Problem.not_found("The mailing")
    return mailing


@service.route("/mailings/{mailing_id}/recipients", query=PageQuery, response=RecipientPage, roles=SENDERS)
def list_recipients(call: Call, mailing_id: str, query: PageQuery) -> RecipientPage:
    """Every recipient handled so far, with what became of their message."""
    mailings = MailingStore(call.store)
    if mailings.get(mailing_id) is None:
        raise Problem.not_found("The mailing")
    items, cursor = mailings.recipients(mailing_id, query.cursor, query.limit)
    box = MessageStore(call.store)
    for recipient in items:
        message = box.get(recipient.message_id) if recipient.message_id else None
        recipient.status = message.status if message else None
    return RecipientPage(items=items, next_cursor=cursor)


@service.route(
    "/mailings/{mailing_id}/test",
    "POST",
    body=mass.TestSend,
    response=OutgoingMessage,
    status=202,
    roles=SENDERS,
    idempotent=True,
)
def send_test(call: Call, mailing_id: str, body: mass.TestSend) -> OutgoingMessage:
    """Send the mailing by e-mail to a member of staff (the caller, unless `email` is
    given) to see it as clients will: marked a test, counted in none of the mailing's
    totals, its unsubscribe link withdraws nobody. Follow it at /messages/{id}."""
    mailing = MailingStore(call.store).get(mailing_id)
    if mailing is None:
        raise Problem.not_found("The mailing")
    to = body.email or call.user.email
    if not to:
        raise Problem.invalid([{"field": "email", "message": "Your account has no e-mail: give one."}])
    if templates.find(TemplateStore(call.store), mailing.template, "email", "uk") is None:
        raise Problem.invalid(
            [{"field": "template", "message": f"The template {mailing.template} has no e-mail version."}]
        )
    message = mass.test_copy(
        mailing, f"mailingtest.{mailing.id}.{new_id()}", to, call.user.name or "", call.store.clock()
    )
    MessageStore(call.store).add(call.unit, message)
    return message


@service.route("/mailings/{mailing_id}/cancel", "POST", response=Mailing, roles=SENDERS, problems=[409])
def cancel_mailing(call: Call, mailing_id: str) -> Mailing:
    """Stop a mailing (also one that has queued everyone): nobody else is queued, and its
    messages not sent yet are dropped."""
    mailings = MailingStore(call.store)
    mailing = mailings.get(mailing_id)
    if mailing is None:
        raise Problem.not_found("The mailing")
    if mailing.status == "cancelled":
        raise Problem.conflict("The mailing was cancelled already.")
    mailings.cancel(call.unit, mailing)
    return mailing.model_copy(update={"status": "cancelled"})


# ------------------------------------------------------------------------------ sending


def step(mailings: MailingStore, mailing: Mailing) -> Mailing | None:
    """Queue the next page of a mailing's recipients; the mailing as it is after the page,
    or None when it is finished, cancelled or moved by another run."""
    store = service.store
    audience = AudienceStore(store)
    box = MessageStore(store)
    now = store.clock()
    candidates = mass.candidate_partitions(mailing.audience)
    partition = min(candidates, key=audience.size) if len(candidates) > 1 else candidates[0]
    members, more = audience.page(partition, mailing.cursor, mass.PAGE)
    chosen = [m for m in members if mass.matches(mailing.audience, m.segment)]
    cards = ContactStore(store).many([member.client_id for member in chosen])
    batch = [(member.client_id, mass.outcome(mailing, cards.get(member.client_id))) for member in chosen]
    for start in range(0, len(batch), WRITES_PER_UNIT):
        part = batch[start : start + WRITES_PER_UNIT]
        try:
            _queue(mailings, box, mailing, part, now)
        except ConditionFailed:
            # Some were handled by a step that died before it moved the cursor: one by
            # one, the rest are queued and those are left as they are.
            for recipient in part:
                try:
                    _queue(mailings, box, mailing, [recipient], now)
                except ConditionFailed:
                    continue
    if members:
        if not mailings.advance(mailing, members[-1].client_id):
            return None
        mailing = mailing.model_copy(update={"cursor": members[-1].client_id})
    if more:
        return mailing
    finished = mailings.get(mailing.id)
    if finished is not None and finished.status == "sending":
        mailings.finish(finished)
    return None


def _queue(
    mailings: MailingStore,
    box: MessageStore,
    mailing: Mailing,
    recipients: list[tuple[str, mass.Outcome]],
    now: datetime,
) -> None:
    """Markers, messages and counts of these recipients in one transaction: all or none."""
    unit = service.store.unit_of_work()
    counts = {"queued": 0, "skipped": 0}
    for client_id, outcome in recipients:
        message = mass.message_for(mailing, client_id, now) if outcome == "queued" else None
        mailings.mark(unit, mailing.id, client_id, outcome, message.id if message else None)
        if message is not None:
            box.add(unit, message)
        counts[outcome] += 1
    mailings.add_counts(unit, mailing.id, counts)
    unit.commit()


def send_mailings() -> dict[str, int]:
    """A few steps of every mailing that is due; counts of what the run did."""
    store = service.store
    mailings = MailingStore(store)
    counts = {"mailings": 0, "steps": 0}
    for mailing_id in mailings.due(store.clock(), MAILINGS_PER_RUN):
        mailing = mailings.get(mailing_id)
        if mailing is None or mailing.status not in mass.ACTIVE:
            continue
        if mailing.status == "scheduled":
            if not mailings.start(mailing):
                continue
            mailing = mailing.model_copy(update={"status": "sending"})
        counts["mailings"] += 1
        current: Mailing | None = mailing
        for _ in range(STEPS_PER_RUN):
            if current is None:
                break
            current = step(mailings, current)
            counts["steps"] += 1
    return counts


def mailing_job(event: Any) -> dict[str, int]:
    with observability.correlated(service.name, None):
        counts = send_mailings()
        observability.logger(service.name).info("Mailings advanced", extra=counts)
        return counts


# Lambda finds it as `app.<its name>` (services/<service>/app.py re-exports it).
service.every_minute("mailings")(mailing_job)
