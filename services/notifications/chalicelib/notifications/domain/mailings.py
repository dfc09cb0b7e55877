"""Mass mailings: one template to every client who agreed to marketing, optionally only a
segment (tags, source, the stage of an open deal, the last contact, custom fields), started
now or at a set time.

Who may get a mailing is an *audience* projection of the contact cards and of what the
service hears about each client (deal stages, messages and calls): a client is listed under
`ALL`, under each of their tags, their source, the pipelines and stages of their open deals,
only while their marketing consent is given. Each entry carries the client's whole `Segment`,
so a mailing reads its recipients page by page from the smallest partition that holds them
all and filters that page in memory, never reading anyone who withdrew. A preview counts the
same way (or reads a partition's size, when the partition is the audience), so the count is
what a send would reach. A mailing is sent in steps (`PAGE` recipients each); every
recipient gets a marker written in the same unit as their message, on condition that it
does not exist yet, so a step that dies half way and runs again queues nobody twice.
The messages themselves go out through the `deliveries` sweep like every other message
(channel fallback, retries, quiet hours), and it checks consent once more when it sends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal, Protocol

from chalicelib.notifications.domain.contacts import Channel, ContactCard, channel_order
from chalicelib.notifications.domain.messages import OutgoingMessage
from chalicelib.notifications.domain.templates import NAME
from pydantic import ConfigDict, EmailStr, Field, model_validator

from lanka_platform.clock import local
from lanka_platform.ports import UnitOfWork
from lanka_platform.schema import Schema

PAGE = 100
EVERYONE = "ALL"
# SES's default sending quota in a production account is 14 a second (840 a minute).
DEFAULT_PER_MINUTE = 600
MAX_PER_MINUTE = 3000


class MailingPace(Schema):
    """How fast mailings go out: messages a minute, counted over every mailing (staff and
    one-to-one messages do not count and never wait behind them)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    per_minute: int = Field(
        default=DEFAULT_PER_MINUTE,
        ge=1,
        le=MAX_PER_MINUTE,
        description="Within the provider's limits (SES: the account's sending rate times 60)",
    )


MailingStatus = Literal["scheduled", "sending", "finished", "cancelled"]
ACTIVE: tuple[MailingStatus, ...] = ("scheduled", "sending")
Outcome = Literal["queued", "skipped"]


class Audience(Schema):
    """A segment of the consenting clients; every criterion given must hold (an empty
    audience is every consenting client)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    tag: str | None = Field(
        default=None, min_length=1, max_length=40, description="Only clients with this tag"
    )
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20, description="Clients with these tags (see `tags_match`)"
    )
    tags_match: Literal["any", "all"] = Field(
        default="any", description="`any`: at least one of `tags`; `all`: every one"
    )
    source: str | None = Field(
        default=None, min_length=1, max_length=40, description="Only clients who came from this source"
    )
    pipeline_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="Clients with an open deal in this pipeline"
    )
    stages: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list,
        max_length=30,
        description="... whose open deal is in one of these stages of `pipeline_id`",
    )
    contacted_before: date | None = Field(
        default=None,
        description="Last contact before this day, or never (e.g. 90 days ago: no contact for 90 days)",
    )
    contacted_since: date | None = Field(default=None, description="Last contact on this day or later")
    custom: dict[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")], Annotated[str, Field(max_length=500)]
    ] = Field(default_factory=dict, max_length=10, description="Custom fields equal to these values")

    @model_validator(mode="after")
    def _coherent(self) -> Audience:
        if self.tag and self.tags:
            raise ValueError("Give either `tag` or `tags`, not both.")
        if self.stages and not self.pipeline_id:
            raise ValueError("`stages` are stages of a pipeline: give `pipeline_id` too.")
        return self

    @property
    def wanted_tags(self) -> set[str]:
        return {tag.casefold() for tag in ([self.tag] if self.tag else self.tags)}


class Segment(Schema):
    """What the audience projection knows of a client to segment by (kept on each of their
    audience entries): the card's tags and source, the stages of their open deals, the day
    of their last contact and their custom fields."""

    tags: list[str] = []
    source: str | None = None
    deals: dict[str, str] = Field(default_factory=dict, description="Open deal id -> `<pipeline id>/<stage>`")
    last_contact: date | None = None
    custom: dict[str, str] = {}


class Profile(Schema):
    """The per-client half of a segment that does not come from the contact card."""

    deals: dict[str, str] = Field(default_factory=dict, description="Open deal id -> `<pipeline>/<stage>`")
    # Deal id -> the deal version last applied (closed deals too, so a late event does not reopen one).
    deal_versions: dict[str, int] = {}
    last_contact: date | None = None
    custom: dict[str, str] = {}

    def segment(self, card: ContactCard) -> Segment:
        return Segment(
            tags=card.tags,
            source=card.source_channel,
            deals=self.deals,
            last_contact=self.last_contact,
            custom=self.custom,
        )

    def with_deal(self, deal_id: str, pipeline_id: str, stage: str | None, version: int) -> Profile:
        """The deal in `stage` (None: closed), unless an equal or later version was applied."""
        if self.deal_versions.get(deal_id, 0) >= version:
            return self
        deals = {key: value for key, value in self.deals.items() if key != deal_id}
        if stage is not None:
            deals[deal_id] = f"{pipeline_id}/{stage}"
        return self.model_copy(
            update={"deals": deals, "deal_versions": {**self.deal_versions, deal_id: version}}
        )

    def contacted(self, day: date) -> Profile:
        if self.last_contact is not None and self.last_contact >= day:
            return self
        return self.model_copy(update={"last_contact": day})


class NewMailing(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: str = Field(min_length=1, max_length=120, description="What staff call it")
    template: str = Field(pattern=NAME, description="A message template's name")
    channel: Channel | None = Field(
        default=None, description="The channel to try first; None: each client's preferred one"
    )
    audience: Audience = Field(default_factory=Audience)
    start_at: datetime | None = Field(default=None, description="When to start (UTC); None: now")

    @model_validator(mode="after")
    def _aware(self) -> NewMailing:
        if self.start_at is not None and self.start_at.tzinfo is None:
            raise ValueError("start_at must carry its time zone (e.g. 2026-05-01T09:00:00Z)")
        return self


class Mailing(Schema):
    id: str
    name: str
    template: str
    channel: Channel | None = None
    audience: Audience
    status: MailingStatus
    start_at: datetime
    created_at: datetime
    created_by: str
    total: int = Field(description="Recipients counted when it was made; when finished, those handled")
    queued: int = Field(default=0, description="Messages written for delivery")
    skipped: int = Field(default=0, description="Listed, but no address for the channel or consent gone")
    sent: int = Field(default=0, description="Accepted by the provider")
    delivered: int = Field(default=0, description="E-mails the recipient's server took (SES reports)")
    failed: int = Field(default=0, description="Given up after every attempt, or bounced")
    complained: int = Field(default=0, description="E-mails the recipient marked as spam")
    unsubscribed: int = Field(default=0, description="Recipients who withdrew consent after it")
    cancelled_messages: int = Field(
        default=0, description="Not sent: the mailing was cancelled or consent withdrawn"
    )
    cursor: str | None = Field(default=None, description="The last client handled (steps resume after it)")


class MailingPage(Schema):
    items: list[Mailing]
    next_cursor: str | None = None


class AudienceSize(Schema):
    recipients: int
    estimated: bool = Field(default=False, description="Always false: the count is what a send reaches now")


class Recipient(Schema):
    client_id: str
    message_id: str | None
    outcome: Outcome
    status: str | None = Field(default=None, description="The message's delivery status")


class RecipientPage(Schema):
    items: list[Recipient]
    next_cursor: str | None = None


def partitions(card: ContactCard | None, profile: Profile) -> set[str]:
    """The audience partitions a client is listed in: none without marketing consent."""
    if card is None or not card.marketing_consent:
        return set()
    listed = {EVERYONE}
    listed |= {f"TAG#{tag.casefold()}" for tag in card.tags}
    if card.source_channel:
        listed.add(f"SOURCE#{card.source_channel.casefold()}")
    for at in profile.deals.values():
        pipeline, _, stage = at.partition("/")
        listed |= {f"PIPELINE#{pipeline}", f"STAGE#{pipeline}/{stage}"}
    return listed


# The tag of a profile's write: another change of the client was saved since it was read.
PROFILE_CHANGED = "profile-changed"


class AudienceEntries(Protocol):
    """Who is in which partition of the mailing audience, and each client's profile."""

    def profile(self, client_id: str) -> tuple[Profile, int]: ...
    def save_profile(self, unit: UnitOfWork, client_id: str, profile: Profile, read_version: int) -> None: ...
    def forget_profile(self, unit: UnitOfWork, client_id: str) -> None: ...
    def join(self, unit: UnitOfWork, partition: str, client_id: str, segment: Segment) -> None: ...
    def leave(self, unit: UnitOfWork, partition: str, client_id: str) -> None: ...
    def count(self, unit: UnitOfWork, partition: str, by: int) -> None: ...


def resegment(
    unit: UnitOfWork,
    audience: AudienceEntries,
    client_id: str,
    before: ContactCard | None,
    after: ContactCard | None,
    change: Callable[[Profile], Profile] | None = None,
) -> None:
    """Move the client's audience entries from what `before` (their card as it was) and
    their profile put them in to what `after` and the `change`d profile put them in; a
    withdrawn consent takes them out of all, and `after=None` (erased, merged) forgets the
    profile too. Every change takes the profile's version as its lock (a conflict fails the
    unit, tagged `PROFILE_CHANGED`: it is tried again, from fresh reads)."""
    profile, version = audience.profile(client_id)
    changed = change(profile) if change is not None else profile
    old, new = partitions(before, profile), partitions(after, changed)
    for partition in old - new:
        audience.leave(unit, partition, client_id)
        audience.count(unit, partition, -1)
    if after is None:
        audience.forget_profile(unit, client_id)
        return
    for partition in new - old:
        audience.count(unit, partition, 1)
    segment = changed.segment(after)
    unchanged = before is not None and profile.segment(before) == segment
    for partition in new - old if unchanged else new:
        audience.join(unit, partition, client_id, segment)
    audience.save_profile(unit, client_id, changed, version)


def contact_day(at: datetime, zone: str) -> date:
    """The company's calendar day of a contact (segments say 'no contact since <day>')."""
    return local(at, zone).date()


def candidate_partitions(audience: Audience) -> list[str]:
    """Partitions that hold every client `audience` matches (a step or a count reads the
    smallest of them and filters it with `matches`)."""
    found = []
    wanted = sorted(audience.wanted_tags)
    if len(wanted) == 1 or audience.tags_match == "all":
        found += [f"TAG#{tag}" for tag in wanted]
    if audience.source:
        found.append(f"SOURCE#{audience.source.casefold()}")
    if audience.pipeline_id:
        if len(audience.stages) == 1:
            found.append(f"STAGE#{audience.pipeline_id}/{audience.stages[0]}")
        else:
            found.append(f"PIPELINE#{audience.pipeline_id}")
    return found or [EVERYONE]


def exact_partition(audience: Audience) -> str | None:
    """The partition that is exactly this audience (its size is the count), if one is:
    one criterion that a partition holds, and nothing to filter in memory."""
    if audience.contacted_before or audience.contacted_since or audience.custom or len(audience.stages) > 1:
        return None
    criteria = len(audience.wanted_tags) + bool(audience.source) + bool(audience.pipeline_id)
    return candidate_partitions(audience)[0] if criteria <= 1 else None


def matches(audience: Audience, segment: Segment) -> bool:
    tags = {tag.casefold() for tag in segment.tags}
    wanted = audience.wanted_tags
    if wanted and not (wanted <= tags if audience.tags_match == "all" else wanted & tags):
        return False
    if audience.source and (segment.source or "").casefold() != audience.source.casefold():
        return False
    if audience.pipeline_id:
        stages = {f"{audience.pipeline_id}/{stage}" for stage in audience.stages}
        places = set(segment.deals.values())
        if stages and not places & stages:
            return False
        if not any(place.partition("/")[0] == audience.pipeline_id for place in places):
            return False
    last = segment.last_contact
    if audience.contacted_before and last is not None and last >= audience.contacted_before:
        return False
    if audience.contacted_since and (last is None or last < audience.contacted_since):
        return False
    return all(
        segment.custom.get(key, "").casefold() == value.casefold() for key, value in audience.custom.items()
    )


class TestSend(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailStr | None = Field(
        default=None, description="A member of staff's address; None: the caller's own"
    )


TEST_SUBJECT = "[Тест / Test]"


def test_copy(mailing: Mailing, message_id: str, to: str, staff_name: str, now: datetime) -> OutgoingMessage:
    """The mailing as a client would get it by e-mail, to a member of staff: marked a test
    in its subject, and its unsubscribe link withdraws nobody's consent (see sending)."""
    return OutgoingMessage(
        id=message_id,
        to={"email": to},
        template=mailing.template,
        channel="email",
        variables={"client_name": staff_name},
        test_of=mailing.id,
        requested_at=now,
        due_at=now,
    )


def message_id(mailing_id: str, client_id: str) -> str:
    return f"mailing.{mailing_id}.{client_id}"


def outcome(mailing: Mailing, card: ContactCard | None) -> Outcome:
    """Whether a listed client gets the mailing: consent still given and an address on some
    channel (the asked-for channel is tried first, the others are the fallback)."""
    if card is None or not card.marketing_consent:
        return "skipped"
    return "queued" if channel_order(card, mailing.channel) else "skipped"


def message_for(mailing: Mailing, client_id: str, now: datetime) -> OutgoingMessage:
    return OutgoingMessage(
        id=message_id(mailing.id, client_id),
        client_id=client_id,
        template=mailing.template,
        channel=mailing.channel,
        mailing_id=mailing.id,
        requested_at=now,
        due_at=now,
    )
