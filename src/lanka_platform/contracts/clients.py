"""Events the clients service publishes.

Other services keep only what their cards need (a display name, the owner); contact details
stay in clients, so most of these events carry ids and names only.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from lanka_platform.events import Contract

SOURCE = "lanka.clients"


class _ClientsEvent(Contract):
    source: ClassVar[str] = SOURCE
    version: ClassVar[int] = 1


class ClientCreated(_ClientsEvent):
    """A new client entered the base. Carries no contact details: those stay in clients."""

    detail_type: ClassVar[str] = "ClientCreated"

    client_id: str
    name: str = Field(description="Display name, for other services' cards and lists")
    kind: Literal["person", "company"]
    owner_id: str | None = Field(default=None, description="Responsible manager's user id")
    source_channel: str | None = None


class ClientRequestReceived(_ClientsEvent):
    """A request from a channel was linked to its client (found by a contact point, or
    new): deals opens a deal for it. No contact details: the client id says who."""

    detail_type: ClassVar[str] = "ClientRequestReceived"

    request_id: str
    client_id: str
    client_created: bool
    name: str = Field(description="The client's display name")
    owner_id: str | None = None
    channel: str
    subject: str | None = None
    message: str | None = Field(
        default=None, description="What the client wrote (for the deal and the timeline)"
    )
    amount: int = Field(default=0, ge=0, description="Minor units: a calculated price the deal opens with")
    currency: str = "UAH"


class ClientUpdated(_ClientsEvent):
    """A client's card was edited; `changed` names the fields (never their values)."""

    detail_type: ClassVar[str] = "ClientUpdated"

    client_id: str
    name: str
    kind: Literal["person", "company"]
    owner_id: str | None = None
    changed: list[str] = Field(default_factory=list)
    client_version: int = Field(description="The client's version after the change")


class ClientOwnerChanged(_ClientsEvent):
    """A client was handed to another manager (or made unassigned)."""

    detail_type: ClassVar[str] = "ClientOwnerChanged"

    client_id: str
    name: str
    previous_owner_id: str | None
    owner_id: str | None
    client_version: int


class ClientNoteAdded(_ClientsEvent):
    """A member of staff wrote a note on a client's card."""

    detail_type: ClassVar[str] = "ClientNoteAdded"

    client_id: str
    note_id: str
    author_id: str
    text: str


class ClientMerged(_ClientsEvent):
    """Two clients were one person: `merged_id` is now part of `survivor_id`. Every service
    re-points its records of `merged_id` to `survivor_id`."""

    detail_type: ClassVar[str] = "ClientMerged"

    survivor_id: str
    merged_id: str
    name: str = Field(description="The survivor's display name")
    owner_id: str | None = None
    client_version: int = Field(description="The survivor's version after the merge")


class ClientContactsChanged(_ClientsEvent):
    """Where and how a client may be reached, after every change of it (create, edit, a
    request adding contacts, merge, consent). The one event that carries contact details:
    notifications keeps them to send messages (and forgets them on `ClientErased`). A merge's
    survivor carries the union of both clients' contacts."""

    detail_type: ClassVar[str] = "ClientContactsChanged"

    client_id: str
    name: str
    phones: list[str] = Field(default_factory=list, description="E.164 numbers, the main one first")
    emails: list[str] = Field(default_factory=list, description="Normalized addresses, the main one first")
    telegram: str | None = None
    viber: str | None = None
    preferred_channel: Literal["email", "sms", "telegram", "viber"] | None = None
    locale: Literal["uk", "en"] = "uk"
    marketing_consent: bool = False
    tags: list[str] = Field(default_factory=list, description="The client's tags (mailing segments)")
    source_channel: str | None = Field(default=None, description="Where the client first came from")
    custom: dict[str, str] = Field(
        default_factory=dict,
        description="The client's custom field values as text (dates ISO): mailing segments",
    )
    client_version: int = Field(description="The client's version after the change")


class ClientErased(_ClientsEvent):
    """The person asked to be forgotten: every service anonymizes what it holds of them
    (financial records stay, without personal data)."""

    detail_type: ClassVar[str] = "ClientErased"

    client_id: str
    placeholder_name: str = Field(description="What cards show instead of the name")


class ClientConsentChanged(_ClientsEvent):
    """Marketing consent was given or withdrawn (by staff, a form, or an unsubscribe link)."""

    detail_type: ClassVar[str] = "ClientConsentChanged"

    client_id: str
    purpose: Literal["marketing"] = "marketing"
    granted: bool
    via: str = Field(description="Where it was given or withdrawn: a call, a form, an unsubscribe link")
    changed_at: datetime


class ClientsExportRequested(_ClientsEvent):
    """An admin asked for a bulk export; the clients service writes it in the background."""

    detail_type: ClassVar[str] = "ClientsExportRequested"

    export_id: str
    requested_by: str


class ClientsExported(_ClientsEvent):
    """A bulk export of clients was written: the head is told who took how many."""

    detail_type: ClassVar[str] = "ClientsExported"

    export_id: str
    requested_by: str
    client_count: int


class ClientsJobAdvanced(_ClientsEvent):
    """A long job of the clients service goes on where its last step stopped. Each step
    handles a bounded chunk (a page of rows or clients) and publishes the next one, so no
    step runs long and a crash repeats one chunk, whose writes are idempotent."""

    detail_type: ClassVar[str] = "ClientsJobAdvanced"

    job: Literal["import", "hand_over", "merge_timeline", "erase_timeline"]
    job_id: str = Field(description="The import id, or the id of whom the job is about")
    position: int = Field(default=0, ge=0, description="Records done so far")
    cursor: str | None = Field(default=None, description="Where the next chunk starts (opaque)")
    target_id: str | None = Field(default=None, description="Whom things are handed to")


class StaffDeactivated(_ClientsEvent):
    """A member of staff left: their access ends now, and every service hands what was
    theirs (clients, deals, open tasks, future bookings) to `hand_over_to`."""

    detail_type: ClassVar[str] = "StaffDeactivated"

    user_id: str
    username: str = Field(description="The sign-in name in the staff user pool")
    hand_over_to: str | None
    deactivated_at: datetime
