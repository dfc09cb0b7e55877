"""Routes of the client card: create, find, read, edit, notes, timeline, consent, merge, erase."""

from __future__ import annotations

from typing import Literal
from urllib.parse import parse_qs

from chalice.app import Response
from chalicelib.clients.domain import clients, duplicates, personal_data, search
from chalicelib.clients.domain.audit import AuditPage
from chalicelib.clients.domain.custom_fields import CustomFieldSet
from chalicelib.clients.domain.model import Client, ClientPage, ClientPatch, NewClient, VisitCard
from chalicelib.clients.domain.timeline import TimelineKind, TimelinePage
from chalicelib.clients.domain.visibility import FIELD_ROLES, OFFICE_ROLES, SUPERVISOR_ROLES
from chalicelib.clients.service import service
from chalicelib.clients.store import AuditLog, ClientStore, FieldWork, TimelineStore
from pydantic import ConfigDict, Field, ValidationError, field_validator

from lanka_platform import links
from lanka_platform.api import Call
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema

UNSUBSCRIBE = "unsubscribe"


class _Query(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class SearchQuery(_Query):
    q: str = Field(
        min_length=2,
        max_length=100,
        description="A fragment of a name, the last digits of a phone (or all of it), "
        "or the start of an e-mail",
        examples=["марян", "4567", "olena@"],
    )
    limit: int = Field(default=20, ge=1, le=50)

    @field_validator("q")
    @classmethod
    def _searchable(cls, value: str) -> str:
        search.parse_query(value)  # InvalidSearch is a ValueError: a 422 on `q`
        return value


class ListQuery(_Query):
    owner: str = Field(
        default="me", max_length=128, description="`me`, `unassigned`, `all` (head, admin) or a user id"
    )
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=50, ge=1, le=100)


class TimelineQuery(_Query):
    kind: TimelineKind | None = None
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=30, ge=1, le=100)


class PageQuery(_Query):
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=25, ge=1, le=50)


class AuditQuery(_Query):
    client_id: str | None = Field(default=None, max_length=64)
    actor_id: str | None = Field(default=None, max_length=128)
    day: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD (UTC)")
    cursor: str | None = Field(default=None, max_length=2000)
    limit: int = Field(default=50, ge=1, le=100)


class NoteBody(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    text: str = Field(min_length=1, max_length=4000)


class NoteCreated(Schema):
    note_id: str


class OwnerBody(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    owner_id: str | None = Field(max_length=128, description="The new owner's user id; null: unassigned")
    version: int | None = Field(default=None, ge=1)


class ConsentBody(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    granted: bool
    source: str = Field(min_length=1, max_length=80, examples=["phone call", "website form"])


class MergeBody(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    other_id: str = Field(min_length=1, max_length=64, description="The client merged into this one")


class UnsubscribeBody(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    client: str = Field(min_length=1, max_length=64)
    signature: str = Field(min_length=10, max_length=64)


class UnsubscribeAnswer(Schema):
    unsubscribed: bool


class ErasedAnswer(Schema):
    id: str
    status: Literal["erased"]


def _clients(call: Call) -> ClientStore:
    return ClientStore(call.store)


@service.route(
    "/clients",
    "POST",
    body=NewClient,
    response=Client,
    status=201,
    roles=OFFICE_ROLES,
    idempotent=True,
    problems=[409],
)
def create_client(call: Call, body: NewClient) -> Client:
    """Create a client; a phone, e-mail or messenger id that is already a client's is a 409
    naming that client (`existing_client_id`)."""
    return clients.create_client(call.unit, _clients(call), body, call.user, call.store.clock())


@service.route("/clients/resolve", "POST", body=NewClient, response=clients.Resolution, roles=OFFICE_ROLES)
def resolve_client(call: Call, body: NewClient) -> clients.Resolution:
    """The client these contacts belong to, with the new ones added; or a new client."""
    return clients.resolve_client(call.unit, _clients(call), body, call.user, call.store.clock())


@service.route("/clients", query=ListQuery, response=ClientPage, roles=OFFICE_ROLES)
def list_clients(call: Call, query: ListQuery) -> ClientPage:
    """Clients of one owner by name (a manager: his own or the unassigned), or everyone's."""
    user = call.user
    owner: str | None = user.user_id if query.owner == "me" else query.owner
    if query.owner == "unassigned":
        owner = None
    everyone = query.owner == "all"
    if not user.is_supervisor and (everyone or owner not in (None, user.user_id)):
        raise Problem.forbidden("A manager lists his own clients and the unassigned ones.")
    items, cursor = _clients(call).page(owner, everyone=everyone, cursor=query.cursor, limit=query.limit)
    return ClientPage(items=items, next_cursor=cursor)


@service.route("/clients/search", query=SearchQuery, response=search.SearchResults, roles=OFFICE_ROLES)
def search_clients(call: Call, query: SearchQuery) -> search.SearchResults:
    """Clients the caller may see, found by a name fragment, phone digits or e-mail."""
    return search.find_clients(_clients(call), query.q, query.limit, call.user)


@service.route(
    "/clients/duplicates", query=PageQuery, response=duplicates.DuplicatePage, roles=SUPERVISOR_ROLES
)
def find_duplicates(call: Call, query: PageQuery) -> duplicates.DuplicatePage:
    """Likely duplicates in the base (same name and a similar phone or e-mail), a page of
    clients at a time: follow `next_cursor` to go through the whole base."""
    return duplicates.find(_clients(call), query.cursor, query.limit, call.store.settings.cursor_secret)


@service.route("/clients/{client_id}", response=Client, roles=OFFICE_ROLES)
def get_client(call: Call, client_id: str) -> Client:
    """One client with contact details, if the caller may see it (the read is audited)."""
    return clients.read_client(_clients(call), AuditLog(call.store), client_id, call.user, call.store.clock())


@service.route(
    "/clients/{client_id}", "PATCH", body=ClientPatch, response=Client, roles=OFFICE_ROLES, problems=[409]
)
def update_client(call: Call, client_id: str, body: ClientPatch) -> Client:
    """Change some fields of a client; `version` must be the one the editor saw (else 409)."""
    return clients.update_client(call.unit, _clients(call), client_id, body, call.user, call.store.clock())


@service.route("/clients/{client_id}/visit-card", response=VisitCard, roles=(*OFFICE_ROLES, *FIELD_ROLES))
def get_visit_card(call: Call, client_id: str) -> VisitCard:
    """Name, phones and addresses: what a field worker needs for a job (audited)."""
    return clients.visit_card(
        _clients(call), FieldWork(call.store), AuditLog(call.store), client_id, call.user, call.store.clock()
    )


@service.route(
    "/clients/{client_id}/owner",
    "PUT",
    body=OwnerBody,
    response=Client,
    roles=SUPERVISOR_ROLES,
    problems=[409],
)
def reassign_client(call: Call, client_id: str, body: OwnerBody) -> Client:
    """Hand the client to another manager, or make it unassigned."""
    return clients.reassign(
        call.unit,
        _clients(call),
        AuditLog(call.store),
        client_id,
        body.owner_id,
        body.version,
        call.user,
        call.store.clock(),
    )


@service.route(
    "/clients/{client_id}/notes", "POST", body=NoteBody, response=NoteCreated, status=201, roles=OFFICE_ROLES
)
def add_note(call: Call, client_id: str, body: NoteBody) -> NoteCreated:
    """A note on the client's timeline."""
    note_id = clients.add_note(call.unit, _clients(call), client_id, body.text, call.user, call.store.clock())
    return NoteCreated(note_id=note_id)


@service.route(
    "/clients/{client_id}/timeline", query=TimelineQuery, response=TimelinePage, roles=OFFICE_ROLES
)
def get_timeline(call: Call, client_id: str, query: TimelineQuery) -> TimelinePage:
    """Everything that happened with the client, newest first; `kind` keeps one kind."""
    client = clients.visible_client(_clients(call), client_id, call.user)
    items, cursor = TimelineStore(call.store).page(client.id, query.kind, query.cursor, query.limit)
    return TimelinePage(items=items, next_cursor=cursor)


@service.route("/clients/{client_id}/consent", "PUT", body=ConsentBody, response=Client, roles=OFFICE_ROLES)
def set_consent(call: Call, client_id: str, body: ConsentBody) -> Client:
    """Record that the client gave or withdrew marketing consent, and where."""
    store = _clients(call)
    client = clients.visible_client(store, client_id, call.user)
    return clients.set_consent(call.unit, store, client, body.granted, body.source, call.store.clock())


@service.route(
    "/clients/{client_id}/merge", "POST", body=MergeBody, response=Client, roles=OFFICE_ROLES, problems=[409]
)
def merge_clients(call: Call, client_id: str, body: MergeBody) -> Client:
    """Join another client (a duplicate) into this one; every service re-points its records."""
    return clients.merge(
        call.unit,
        _clients(call),
        AuditLog(call.store),
        client_id,
        body.other_id,
        call.user,
        call.store.clock(),
    )


@service.route("/clients/{client_id}/erase", "POST", response=ErasedAnswer, roles=SUPERVISOR_ROLES)
def erase_client(call: Call, client_id: str) -> ErasedAnswer:
    """Forget the person: personal data is anonymized here and, through an event, everywhere."""
    erased = clients.erase(
        call.unit, _clients(call), AuditLog(call.store), client_id, call.user, call.store.clock()
    )
    return ErasedAnswer(id=erased.id, status="erased")


@service.route(
    "/clients/{client_id}/personal-data", response=personal_data.PersonalData, roles=SUPERVISOR_ROLES
)
def export_personal_data(call: Call, client_id: str) -> personal_data.PersonalData:
    """Everything Lanka holds about this person, as one JSON document (audited)."""
    return personal_data.collect(
        _clients(call),
        TimelineStore(call.store),
        AuditLog(call.store),
        client_id,
        call.user,
        call.store.clock(),
    )


@service.route(
    "/clients/{client_id}/unsubscribe-link", response=personal_data.UnsubscribeLink, roles=OFFICE_ROLES
)
def unsubscribe_link(call: Call, client_id: str) -> personal_data.UnsubscribeLink:
    """The signed parameters of the client's unsubscribe link (messages carry it)."""
    client = clients.visible_client(_clients(call), client_id, call.user)
    return personal_data.UnsubscribeLink(
        client=client.id, signature=links.sign(call.store.settings.link_secret, UNSUBSCRIBE, client.id)
    )


class UnsubscribeQuery(Schema):
    """The link's own parameters: a mail client opens it (GET) or posts to it (RFC 8058)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)

    client: str | None = Field(default=None, min_length=1, max_length=64)
    signature: str | None = Field(default=None, min_length=10, max_length=64)


@service.route("/public/unsubscribe", query=UnsubscribeQuery, public=True)
def unsubscribe_page(call: Call, query: UnsubscribeQuery) -> Response:
    """The page the link in a message opens: it asks to confirm and changes nothing (mail
    scanners open links on their own); its button posts to the same link."""
    if not _signed(call, query.client, query.signature):
        return _page(403, _INVALID)
    return _page(200, _CONFIRM)


@service.route("/public/unsubscribe", "POST", query=UnsubscribeQuery, response=UnsubscribeAnswer, public=True)
def unsubscribe(call: Call, query: UnsubscribeQuery) -> UnsubscribeAnswer | Response:
    """A client withdraws marketing consent from the link in a message (no login; the link
    is signed): JSON `{client, signature}`, the confirmation page's button, or a mail
    client's one-click POST (`List-Unsubscribe=One-Click`, RFC 8058) to the link itself.
    Answers the same for every valid link and reveals nothing about the client."""
    raw = call.request.raw_body or b""
    raw = raw.encode() if isinstance(raw, str) else raw
    if len(raw) > call.store.settings.max_body_bytes:
        raise Problem.too_large(call.store.settings.max_body_bytes)
    kind = (call.request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        form = parse_qs(raw.decode("utf-8", "replace"))
        client, signature = query.client, query.signature
        if not form.get("List-Unsubscribe") and not form.get("confirm"):
            return _page(400, _INVALID)
        if not _signed(call, client, signature):
            return _page(403, _INVALID)
        _withdraw(call, str(client))
        return _page(200, _DONE)
    if kind != "application/json":
        raise Problem.unsupported_media_type()
    try:
        body = UnsubscribeBody.model_validate_json(raw or b"null")
    except ValidationError as error:
        raise Problem.from_validation_error(error) from error
    if not _signed(call, body.client, body.signature):
        raise Problem.forbidden("This unsubscribe link is not valid.")
    _withdraw(call, body.client)
    return UnsubscribeAnswer(unsubscribed=True)


def _signed(call: Call, client: str | None, signature: str | None) -> bool:
    return bool(client and signature) and links.verify(
        call.store.settings.link_secret, UNSUBSCRIBE, str(client), str(signature)
    )


def _withdraw(call: Call, client_id: str) -> None:
    store = _clients(call)
    client = store.get(client_id)
    if client is not None and client.status == "active":
        clients.set_consent(call.unit, store, client, False, "unsubscribe link", call.store.clock())


_CONFIRM = (
    "Відписатися від розсилки?",
    "<p>Ви більше не отримуватимете від нас рекламних повідомлень.</p>"
    '<form method="post"><input type="hidden" name="confirm" value="yes">'
    '<button type="submit">Відписатися</button></form>'
    '<p lang="en">Unsubscribe from our mailings? <small>Press the button to confirm.</small></p>',
)
_DONE = (
    "Ви відписалися",
    "<p>Готово: ми більше не надсилатимемо вам розсилок.</p>"
    '<p lang="en">Done: you will get no more mailings from us.</p>',
)
_INVALID = (
    "Посилання недійсне",
    "<p>Це посилання для відписки недійсне або пошкоджене.</p>"
    '<p lang="en">This unsubscribe link is not valid.</p>',
)


def _page(status: int, content: tuple[str, str]) -> Response:
    title, body = content
    html = (
        '<!doctype html><html lang="uk"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>"
        '<body style="font-family:sans-serif;max-width:32em;margin:3em auto">'
        f"<h1>{title}</h1>{body}</body></html>"
    )
    return Response(
        body=html,
        status_code=status,
        headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
    )


@service.route("/custom-fields", response=CustomFieldSet, roles=OFFICE_ROLES)
def get_custom_fields(call: Call) -> CustomFieldSet:
    """The custom fields every client card has."""
    return _clients(call).custom_fields()


@service.route(
    "/custom-fields", "PUT", body=CustomFieldSet, response=CustomFieldSet, roles=("admin",), problems=[409]
)
def save_custom_fields(call: Call, body: CustomFieldSet) -> CustomFieldSet:
    """Replace the custom fields (`version`: the one you read; 0 the first time)."""
    return _clients(call).save_custom_fields(call.unit, body)


@service.route("/audit", query=AuditQuery, response=AuditPage, roles=("admin",))
def read_audit(call: Call, query: AuditQuery) -> AuditPage:
    """Who read or exported whose data, newest first: by client, by member of staff, or by day."""
    if not (query.client_id or query.actor_id or query.day):
        raise Problem.invalid(
            [{"field": "day", "message": "Give a client_id, an actor_id or a day.", "in": "query"}]
        )
    items, cursor = AuditLog(call.store).page(
        client_id=query.client_id,
        actor_id=query.actor_id,
        day=query.day,
        cursor=query.cursor,
        limit=query.limit,
    )
    return AuditPage(items=items, next_cursor=cursor)
