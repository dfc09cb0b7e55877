"""Events the deals service publishes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from lanka_platform.events import Contract
from lanka_platform.schema import Schema

SOURCE = "lanka.deals"


class FieldJobAssigned(Contract):
    """A field worker (measurer, designer, installer, production) got a job for a client:
    they may now see what the job needs of that client (name, phone, address)."""

    detail_type: ClassVar[str] = "FieldJobAssigned"
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1

    job_id: str
    client_id: str
    assignee_id: str
    role: str


class FieldJobClosed(Contract):
    """The job is done or taken away: the worker no longer sees the client."""

    detail_type: ClassVar[str] = "FieldJobClosed"
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1

    job_id: str
    client_id: str
    assignee_id: str


class _DealsEvent(Contract):
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1


class DealCreated(_DealsEvent):
    """A deal opened (from a request, or entered by staff)."""

    detail_type: ClassVar[str] = "DealCreated"

    deal_id: str
    pipeline_id: str
    stage: str
    client_id: str
    title: str
    amount: int = Field(description="Minor units")
    currency: str = "UAH"
    owner_id: str | None = None
    source_channel: str | None = None
    request_id: str | None = None


class DealStageChanged(_DealsEvent):
    """A deal moved from one stage to another (`outcome` is set when it is won or lost)."""

    detail_type: ClassVar[str] = "DealStageChanged"

    deal_id: str
    pipeline_id: str
    client_id: str
    from_stage: str
    to_stage: str
    outcome: Literal["won", "lost"] | None = None
    lost_reason: str | None = None
    amount: int
    currency: str = "UAH"
    owner_id: str | None = None
    deal_version: int
    automation_depth: int = Field(default=0, description="How many rules in a row caused this move")


class DealUpdated(_DealsEvent):
    """A deal's fields changed (amount, title, owner ...); `changed` names them."""

    detail_type: ClassVar[str] = "DealUpdated"

    deal_id: str
    pipeline_id: str
    client_id: str
    stage: str
    amount: int
    previous_amount: int
    currency: str = "UAH"
    owner_id: str | None = None
    previous_owner_id: str | None = None
    changed: list[str] = Field(default_factory=list)
    deal_version: int


class TaskCreated(_DealsEvent):
    detail_type: ClassVar[str] = "TaskCreated"

    task_id: str
    title: str
    deal_id: str | None = None
    client_id: str | None = None
    assignee_id: str | None = None
    assignee_role: str | None = None
    due_at: datetime | None = None
    priority: Literal["low", "normal", "high"] = "normal"


class TaskCompleted(_DealsEvent):
    detail_type: ClassVar[str] = "TaskCompleted"

    task_id: str
    title: str
    deal_id: str | None = None
    client_id: str | None = None
    completed_by: str
    result: str | None = None
    kind: str | None = Field(default=None, description="What the task was for (a rule's task kind)")
    due_at: datetime | None = Field(default=None, description="When it was due (None: no due time)")


class TaskOverdue(_DealsEvent):
    """A task passed its due time unfinished: its assignee is told, then (after a grace
    period, `escalated`) the head."""

    detail_type: ClassVar[str] = "TaskOverdue"

    task_id: str
    title: str
    deal_id: str | None = None
    client_id: str | None = None
    assignee_id: str | None = None
    assignee_role: str | None = None
    due_at: datetime
    escalated: bool = False


class MessageAttachment(Schema):
    """A file that goes with a message: an invoice, a quote, a calendar invite. E-mail
    attaches it; a messenger or SMS sends `url` (a signed link) instead."""

    bucket: str
    key: str
    filename: str = Field(max_length=200)
    content_type: str = Field(default="application/pdf", max_length=100)
    url: str | None = Field(default=None, description="A link the client can open without logging in")


class MessageRequested(_DealsEvent):
    """Automation or staff ask notifications to send a template message to a client on their
    channel (or the given one), with the files it carries."""

    detail_type: ClassVar[str] = "MessageRequested"

    message_id: str
    client_id: str
    template: str
    deal_id: str | None = None
    channel: str | None = Field(default=None, description="None: the client's preferred channel")
    variables: dict[str, str] = Field(default_factory=dict)
    attachments: list[MessageAttachment] = Field(default_factory=list, max_length=10)


class StaffNotificationRequested(_DealsEvent):
    """Someone on the staff (a user, or everyone with a role such as head) must be told."""

    detail_type: ClassVar[str] = "StaffNotificationRequested"

    notification_id: str
    user_id: str | None = None
    role: str | None = None
    text: str
    deal_id: str | None = None
    task_id: str | None = None


class PaymentReceived(_DealsEvent):
    """Money for a deal arrived (posted by staff or by the accounting system)."""

    detail_type: ClassVar[str] = "PaymentReceived"

    payment_id: str
    deal_id: str
    amount: int = Field(description="Minor units")
    currency: str = "UAH"
    client_id: str | None = None
    reference: str | None = Field(
        default=None, description="The payer's reference (bank transaction, accounting document)"
    )
    paid_at: datetime | None = Field(default=None, description="When it was paid (None: when posted)")
    document_id: str | None = Field(default=None, description="The invoice it pays, when known")
    invoice_paid_in_full: bool | None = Field(
        default=None,
        description="True on the payment that completes its invoice (or, without an invoice, the "
        "deal's amount); False for a partial one; None when the poster does not know",
    )


class DocumentRequested(_DealsEvent):
    """Automation asks for a document (an invoice, a contract) to be made from a template."""

    detail_type: ClassVar[str] = "DocumentRequested"

    document_id: str
    deal_id: str
    client_id: str
    template: str
    rule_id: str | None = Field(default=None, description="The automation rule that asked for it")
    send: bool = Field(default=False, description="Send it to the client once it is made")


class DocumentGenerated(_DealsEvent):
    """A document (invoice, quote, contract, act) was made from a deal: its PDF is stored."""

    detail_type: ClassVar[str] = "DocumentGenerated"

    document_id: str
    deal_id: str
    client_id: str
    kind: str = Field(description="invoice, quote, contract or act")
    number: str = Field(description="Its number, e.g. РФ-2026-0001")
    amount: int = Field(description="Minor units")
    currency: str = "UAH"


class DocumentSent(_DealsEvent):
    """A generated document went to the client."""

    detail_type: ClassVar[str] = "DocumentSent"

    document_id: str
    deal_id: str
    kind: str = Field(description="What the document is: invoice, contract, quote ...")
    client_id: str | None = None


class WebhookRequested(_DealsEvent):
    """An outgoing webhook is to be delivered (signed, with retries) to an external system."""

    detail_type: ClassVar[str] = "WebhookRequested"

    webhook_id: str = Field(description="Stable per delivery: receivers deduplicate by it")
    url: str
    body: dict[str, Any] = Field(description="The JSON body to POST")
    secret_ref: str | None = Field(
        default=None, description="Name of the signing secret the sender holds (never the secret)"
    )


class CallLogged(_DealsEvent):
    """A call with a client was recorded (by a manager, or by the telephony webhook)."""

    detail_type: ClassVar[str] = "CallLogged"

    call_id: str
    client_id: str
    deal_id: str | None = None
    direction: Literal["in", "out"]
    answered: bool = True
    duration_seconds: int = Field(default=0, ge=0)
    user_id: str | None = None
    result: str | None = Field(default=None, max_length=2000, description="What was agreed")
