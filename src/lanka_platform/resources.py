"""The AWS resources Lanka runs on, declared once: read by the CDK app and by the local stack.

Nothing here talks to AWS. `infra/` turns these definitions into CloudFormation and
`lanka_local.provision` turns them into API calls against the emulator; a test compares the
two so that local and cloud cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

PREFIX = "lanka"
EVENT_BUS = f"{PREFIX}-events"
USER_POOL = f"{PREFIX}-staff"
USER_POOL_CLIENT = f"{PREFIX}-staff-app"
STAFF_GROUPS: tuple[str, ...] = (
    "admin",
    "head",
    "manager",
    "measurer",
    "designer",
    "production",
    "installer",
)
# How many times SQS hands a message to a consumer before it moves to the dead-letter queue.
MAX_RECEIVE_COUNT = 5
# Long enough for a Lambda batch (timeout 60 s) to finish before the message reappears.
VISIBILITY_TIMEOUT_SECONDS = 90
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# An alarm fires as soon as anything lands in a dead-letter queue.
DLQ_ALARM_THRESHOLD = 1


@dataclass(frozen=True)
class Index:
    """A global secondary index, projecting all attributes."""

    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class Table:
    """A service's own DynamoDB table: string pk/sk, on-demand, TTL on `expires_at`."""

    name: str
    partition_key: str = "pk"
    sort_key: str = "sk"
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str = "expires_at"


@dataclass(frozen=True)
class Bucket:
    name: str
    purpose: str
    # Keep overwritten and deleted objects (recoverable documents).
    versioned: bool = False
    # Objects are deleted this many days after they are written (None: kept).
    expire_after_days: int | None = None
    # Tells the default bus of every new object (a `Feed` takes it from there).
    notifies_bus: bool = False


@dataclass(frozen=True)
class Service:
    """One Chalice app: its table, its inbox queue and the events that reach it.

    A service also receives the events it publishes itself: seeing its own event come back
    through the bus is how its outbox learns that the event was delivered (see outbox.py).
    """

    name: str
    publishes: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = (Index("gsi1", "gsi1pk", "gsi1sk"),)
    buckets: tuple[str, ...] = ()
    # May disable and sign out staff accounts in the user pool (a manager who leaves).
    manages_staff_accounts: bool = False
    # The app's scheduled functions (`@app.schedule` names), every one a Lambda of its own.
    schedules: tuple[str, ...] = ("outbox_sweep",)

    @property
    def source(self) -> str:
        return f"{PREFIX}.{self.name}"

    @property
    def table(self) -> Table:
        return Table(name=f"{PREFIX}-{self.name}", indexes=self.indexes)

    @property
    def queue(self) -> str:
        return f"{PREFIX}-{self.name}-inbox"

    @property
    def dead_letter_queue(self) -> str:
        return f"{PREFIX}-{self.name}-inbox-dlq"

    @property
    def rule(self) -> str:
        return f"{PREFIX}-{self.name}-inbox"

    @property
    def inbox_detail_types(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.consumes) | set(self.publishes)))

    @property
    def has_inbox_rule(self) -> bool:
        """A service that neither consumes nor publishes events has no rule (yet)."""
        return bool(self.inbox_detail_types)

    def event_pattern(self) -> dict[str, list[str]]:
        """The bus rule that routes events to this service's queue."""
        return {
            "source": sorted(s.source for s in SERVICES),
            "detail-type": list(self.inbox_detail_types),
        }


@dataclass(frozen=True)
class Feed:
    """Events an AWS service puts on the account's *default* bus, routed to one service's
    inbox and reshaped there (an input transformer) into a Lanka envelope, so the inbox
    consumer takes them like any event, once each by the AWS event id."""

    name: str
    service: str
    source: str
    detail_types: tuple[str, ...]
    as_detail_type: str
    # An S3 feed: only objects of this bucket (its name in resources) under this prefix.
    bucket: str | None = None
    key_prefix: str = ""

    def event_pattern(self, bucket_name: str | None = None) -> dict[str, Any]:
        """The rule's pattern; `bucket_name`: the bucket's deployed name (default: as declared)."""
        pattern: dict[str, Any] = {"source": [self.source], "detail-type": list(self.detail_types)}
        if self.bucket is not None:
            pattern["detail"] = {
                "bucket": {"name": [bucket_name or self.bucket]},
                "object": {"key": [{"prefix": self.key_prefix}]},
            }
        return pattern

    @property
    def input_paths(self) -> dict[str, str]:
        return {"id": "$.id", "time": "$.time", "detail": "$.detail"}

    @property
    def input_template(self) -> str:
        envelope = {
            "version": "0",
            "id": "<id>",
            "detail-type": self.as_detail_type,
            "source": self.source,
            "detail": {
                "metadata": {
                    "event_id": "<id>",
                    "version": 1,
                    "occurred_at": "<time>",
                    "correlation_id": "<id>",
                },
                "data": "<detail>",
            },
        }
        # `"<id>"` quoted becomes a string; `<detail>` unquoted becomes the object itself.
        return json.dumps(envelope).replace('"<detail>"', "<detail>")


# SES reports what became of each e-mail through the configuration set's EventBridge
# destination (the default bus): delivered, bounced, complained of.
SES_FEEDBACK = Feed(
    name=f"{PREFIX}-notifications-ses-events",
    service="notifications",
    source="aws.ses",
    detail_types=("Email Delivered", "Email Bounced", "Email Complaint Received"),
    as_detail_type="EmailFeedbackReceived",
)
# SES's receipt rule stores each e-mail under `inbound/` of the inbound mail bucket; the
# bucket tells the default bus, and this rule hands it to notifications to parse.
INBOUND_MAIL_PREFIX = "inbound/"
INBOUND_MAIL = Feed(
    name=f"{PREFIX}-notifications-inbound-mail",
    service="notifications",
    source="aws.s3",
    detail_types=("Object Created",),
    as_detail_type="InboundMailStored",
    bucket=f"{PREFIX}-inbound-mail",
    key_prefix=INBOUND_MAIL_PREFIX,
)
FEEDS: tuple[Feed, ...] = (SES_FEEDBACK, INBOUND_MAIL)
# The receipt rule set the CDK app creates (SES has one active set per region: activate it).
SES_RECEIPT_RULE_SET = f"{PREFIX}-inbound-mail"
# The SES configuration set every e-mail is sent with (its event destination is the default bus).
SES_CONFIGURATION_SET = f"{PREFIX}-mail"

BUCKETS: tuple[Bucket, ...] = (
    Bucket(f"{PREFIX}-documents", "generated documents (invoices, quotes) and uploads", versioned=True),
    Bucket(f"{PREFIX}-exports", "audited client exports, short-lived", expire_after_days=7),
    Bucket(f"{PREFIX}-imports", "uploaded CSV files of client imports, short-lived", expire_after_days=7),
    Bucket(f"{PREFIX}-web", "the staff web app and the public widgets"),
    Bucket(
        f"{PREFIX}-inbound-mail", "e-mails SES receives (raw MIME) and their attachments", notifies_bus=True
    ),
)

# Events every service honours: a member of staff who leaves loses access everywhere.
_EVERYONE_CONSUMES = ("StaffDeactivated",)
_CLIENT_EVENTS = (
    "ClientCreated",
    "ClientRequestReceived",
    "ClientUpdated",
    "ClientOwnerChanged",
    "ClientNoteAdded",
    "ClientMerged",
    "ClientErased",
    "ClientConsentChanged",
    "ClientsExportRequested",
    "ClientsExported",
    "ClientsJobAdvanced",
    "StaffDeactivated",
)

_DEAL_EVENTS = (
    "CallLogged",
    "DealCreated",
    "DealStageChanged",
    "DealUpdated",
    "TaskCreated",
    "TaskCompleted",
    "TaskOverdue",
    "MessageRequested",
    "StaffNotificationRequested",
    "FieldJobAssigned",
    "FieldJobClosed",
    "PaymentReceived",
    "DocumentRequested",
    "DocumentGenerated",
    "DocumentSent",
    "WebhookRequested",
)
# Deals keeps its board counters and runs its automation from its own events.
_DEAL_OWN_CONSUMED = (
    # The reports count calls per user (see deals' api/reports.py).
    "CallLogged",
    "DealCreated",
    "DealStageChanged",
    "DealUpdated",
    "TaskCompleted",
    "PaymentReceived",
    "DocumentSent",
    # Automation asks for documents; deals makes them and their PDFs (api/documents.py).
    "DocumentRequested",
    "DocumentGenerated",
    # Only outgoing webhooks are made from these (see deals' api/integrations.py).
    "TaskCreated",
    "TaskOverdue",
    "WebhookRequested",
)
_BOOKING_EVENTS = ("BookingCreated", "BookingRescheduled", "BookingCancelled", "QuoteAccepted")

SERVICES: tuple[Service, ...] = (
    Service(
        name="clients",
        # Contact details go to notifications only (where to send); clients keeps its own.
        publishes=(*_CLIENT_EVENTS, "ClientContactsChanged"),
        # Its own events build the client timeline and drive its background jobs.
        consumes=(
            *(e for e in _CLIENT_EVENTS if e != "ClientsExported"),
            "FieldJobAssigned",
            "FieldJobClosed",
            "RequestReceived",
            # What deals does with a client goes on the client's timeline.
            "DealCreated",
            "DealStageChanged",
            "TaskCreated",
            "TaskCompleted",
            "CallLogged",
            "MessageRequested",
            "PaymentReceived",
            "DocumentGenerated",
            "DocumentSent",
            *_BOOKING_EVENTS,
            "WidgetRequestReceived",
            "MessageReceived",
        ),
        indexes=(Index("gsi1", "gsi1pk", "gsi1sk"), Index("gsi2", "gsi2pk", "gsi2sk")),
        buckets=(f"{PREFIX}-exports", f"{PREFIX}-imports"),
        manages_staff_accounts=True,
    ),
    Service(
        name="deals",
        indexes=(Index("gsi1", "gsi1pk", "gsi1sk"), Index("gsi2", "gsi2pk", "gsi2sk")),
        # Field jobs (a measurer's visit, an installation) tell clients whom a worker may see.
        publishes=_DEAL_EVENTS,
        consumes=(
            *_DEAL_OWN_CONSUMED,
            "ClientCreated",
            "ClientRequestReceived",
            "ClientUpdated",
            "ClientOwnerChanged",
            "ClientMerged",
            "ClientErased",
            # Automation rules are triggered by bookings, quotes and clients' messages.
            *_BOOKING_EVENTS,
            "MessageReceived",
            # Telephony's calls go on the client's deal (api/calls.py).
            "CallReceived",
            *_EVERYONE_CONSUMES,
        ),
        buckets=(f"{PREFIX}-documents",),
        # `timers` sweeps the due-time index every minute (reminders, overdue, SLA);
        # `webhooks` sends the outgoing webhook deliveries that are due.
        schedules=("outbox_sweep", "timers", "webhooks"),
    ),
    Service(
        name="booking",
        # A leaver's bookings no successor took: the head and admins are told (notifications).
        publishes=(*_BOOKING_EVENTS, "WidgetRequestReceived", "HandoverNeeded"),
        # Widget requests learn their client and deal (the request id is the booking's or quote's).
        consumes=(
            "ClientRequestReceived",
            "ClientMerged",
            "ClientErased",
            "DealCreated",
            *_EVERYONE_CONSUMES,
        ),
        # `retention` drops the contact details of quotes never linked to a client.
        schedules=("outbox_sweep", "retention"),
    ),
    Service(
        name="notifications",
        # Website forms, calls and messages come in here (channels: see notifications).
        # `EmailFeedbackReceived` (SES's) and `InboundMailStored` (S3's) come reshaped by the
        # `FEEDS` rules on the default bus, on those services' behalf.
        publishes=(
            "RequestReceived",
            "MessageReceived",
            "CallReceived",
            "EmailFeedbackReceived",
            "InboundMailStored",
        ),
        consumes=(
            "ClientsExported",
            "ClientErased",
            "ClientContactsChanged",
            "ClientMerged",
            "MessageRequested",
            "StaffNotificationRequested",
            # Confirmations and reminders of booked visits.
            "BookingCreated",
            "BookingRescheduled",
            "BookingCancelled",
            # The staff feed and the head's digest.
            "TaskOverdue",
            "HandoverNeeded",
            "TaskCompleted",
            "DealCreated",
            "DealStageChanged",
            "PaymentReceived",
            # Mailing segments: the last contact with each client (deals' stages above too).
            "CallLogged",
            "MessageReceived",
            # Inbound messages are filed in the client's conversation once clients links them;
            # the inbox follows who owns each client.
            "ClientRequestReceived",
            "ClientCreated",
            "ClientOwnerChanged",
            # Delivered, bounced, complained of (SES, through the default bus).
            "EmailFeedbackReceived",
            # An e-mail SES stored in the inbound mail bucket (S3, through the default bus).
            "InboundMailStored",
            *_EVERYONE_CONSUMES,
        ),
        # `deliveries` sends the messages that are due (retries, reminders, after quiet
        # hours); `digest` posts the head's morning digest at 08:00 company time;
        # `mailings` queues the next pages of the mass mailings that are sending.
        schedules=("outbox_sweep", "deliveries", "digest", "mailings"),
        buckets=(f"{PREFIX}-inbound-mail",),
    ),
)


def service(name: str) -> Service:
    for candidate in SERVICES:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


@dataclass(frozen=True)
class Stack:
    """Everything one Lanka deployment consists of."""

    bus: str = EVENT_BUS
    services: tuple[Service, ...] = SERVICES
    buckets: tuple[Bucket, ...] = BUCKETS
    feeds: tuple[Feed, ...] = FEEDS
    user_pool: str = USER_POOL
    user_pool_client: str = USER_POOL_CLIENT
    groups: tuple[str, ...] = STAFF_GROUPS
    tags: dict[str, str] = field(default_factory=lambda: {"app": "lanka"})


STACK = Stack()
