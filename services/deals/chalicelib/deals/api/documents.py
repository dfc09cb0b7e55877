"""Routes of the company's requisites, document templates and a deal's documents (made,
listed, downloaded, sent), the public link a client opens, and the handlers of
`DocumentRequested` (automation's "make a document") and `DocumentGenerated`.

Making a document takes the next number of its kind and year with a conditional write in
the document's own transaction; when two generations race for one number, the loser reads
the counter again and retries (here, in the request; an event's handler fails and its
redelivery retries). The transaction is small on purpose: the PDF (a second or so of
fonts and layout) is made after it commits, from what the document item holds, by the
request and, should that fail, by the handler of `DocumentGenerated`; a document that
automation asked to send goes out from there, once its file exists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, TypeVar

from chalice.app import Response
from chalicelib.deals.domain import deals as dealing
from chalicelib.deals.domain import documents as documenting
from chalicelib.deals.domain.deals import Deal
from chalicelib.deals.domain.documents import (
    CompanySettings,
    Document,
    DocumentList,
    DocumentTemplate,
    DocumentView,
    DownloadLink,
    NewDocument,
    Preview,
    Requisites,
    TemplateInput,
    TemplateList,
    TemplatePreview,
    placeholder,
)
from chalicelib.deals.domain.pdf import html_to_pdf
from chalicelib.deals.service import service
from chalicelib.deals.store import ClientDirectory, DealStore
from chalicelib.deals.store.documents import NUMBER_TAG, DocumentFiles, DocumentStore
from pydantic import ConfigDict, Field

from lanka_platform import links, observability, throttle
from lanka_platform.api import Call, RouteSpec, problem_response
from lanka_platform.auth import OFFICE
from lanka_platform.contracts import deals as events
from lanka_platform.events import Envelope, envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import CONTENDED_ATTEMPTS, Store

ADMIN = ("admin",)
# A staff download link is short-lived; a link sent to a client lasts a month.
DOWNLOAD_SECONDS = 300
CLIENT_LINK_DAYS = 30
LINK_PURPOSE = "document"
PUBLIC_PATH = "/public/documents/{document_id}"
# Templates named by automation rules, and what they make.
TEMPLATE_KINDS = {
    "invoice": "invoice",
    "quote": "quote",
    "offer": "quote",
    "commercial_offer": "quote",
    "contract": "contract",
    "act": "act",
    "completion_act": "act",
}

T = TypeVar("T")


class KindQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    language: Literal["uk", "en"] = "uk"


class SendDocument(Schema):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    channel: Literal["email", "sms", "telegram", "viber"] | None = Field(
        default=None, description="None: the client's preferred channel"
    )


class SentDocument(Schema):
    message_id: str
    document_id: str
    channel: str | None


class PublicLinkQuery(Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    expires: int = Field(ge=0, description="Unix time the link stops working")
    signature: str = Field(min_length=10, max_length=64)


# ------------------------------------------------------------------------------ requisites


@service.route("/settings/company", response=CompanySettings, roles=OFFICE)
def get_company(call: Call) -> CompanySettings:
    """The company's requisites as documents show them (version 0: not set yet)."""
    found = DocumentStore(call.store).company()
    return found if found is not None else placeholder()


@service.route(
    "/settings/company", "PUT", body=CompanySettings, response=CompanySettings, roles=ADMIN, problems=[409]
)
def set_company(call: Call, body: CompanySettings) -> CompanySettings:
    """Set the requisites (`version`: the one you read, 0 the first time): name, EDRPOU code
    (its check digit is checked), IBAN (UA, its checksum is checked), address, phone,
    e-mail, VAT payer, director."""
    documents = DocumentStore(call.store)
    current = documents.company()
    if body.version != (current.version if current else 0):
        raise Problem.conflict("Someone changed the requisites meanwhile; reload them.")
    saved = body.model_copy(update={"version": body.version + 1, "updated_at": call.store.clock()})
    documents.save_company(call.unit, saved, body.version)
    return saved


def _company(store: Store) -> Requisites:
    return DocumentStore(store).company() or placeholder()


# ------------------------------------------------------------------------------ templates


def _template(store: Store, kind: str, language: str) -> DocumentTemplate:
    found = DocumentStore(store).template(kind, language) or documenting.default_template(kind, language)
    if found is None:
        raise Problem.not_found(f"A {language} template of {kind}")
    return found


def _kind(kind: str) -> str:
    if kind not in documenting.KINDS:
        raise Problem.not_found("The kind of document")
    return kind


@service.route("/documents/templates", query=KindQuery, response=TemplateList, roles=("admin", "head"))
def list_templates(call: Call, query: KindQuery) -> TemplateList:
    """The template of each kind in use (version 0: the built-in one), with the variables a
    template may use."""
    items = []
    for kind in documenting.KINDS:
        found = DocumentStore(call.store).template(kind, query.language) or documenting.default_template(
            kind, query.language
        )
        if found is not None:
            items.append(found)
    return TemplateList(items=items)


@service.route(
    "/documents/templates/{kind}", query=KindQuery, response=DocumentTemplate, roles=("admin", "head")
)
def get_template(call: Call, kind: str, query: KindQuery) -> DocumentTemplate:
    """One kind's template in use: invoice, quote, contract or act."""
    return _template(call.store, _kind(kind), query.language)


@service.route(
    "/documents/templates/{kind}",
    "PUT",
    body=TemplateInput,
    query=KindQuery,
    response=DocumentTemplate,
    roles=ADMIN,
    problems=[409],
)
def save_template(call: Call, kind: str, body: TemplateInput, query: KindQuery) -> DocumentTemplate:
    """Save a new version of a kind's template (HTML with Jinja2; `version`: the one you
    read). It must compile, use only the documented variables and render the sample data to
    a PDF; otherwise 422 says what is wrong."""
    _kind(kind)
    current = DocumentStore(call.store).template(kind, query.language)
    if body.version != (current.version if current else 0):
        raise Problem.conflict("Someone saved this template meanwhile; reload it.")
    _check_renders(kind, body.body, _company(call.store))
    template = DocumentTemplate(
        kind=kind,
        language=query.language,
        body=body.body,
        version=body.version + 1,
        updated_at=call.store.clock(),
        updated_by=call.user.user_id,
    )
    DocumentStore(call.store).save_template(call.unit, template)
    return template


def _check_renders(kind: str, body: str, company: Requisites) -> str:
    html = documenting.render(body, documenting.sample_variables(kind, company))
    html_to_pdf(html, documenting.TITLES[kind])
    return html


@service.route(
    "/documents/templates/{kind}/preview", "POST", body=TemplatePreview, response=Preview, roles=ADMIN
)
def preview_template(call: Call, kind: str, body: TemplatePreview) -> Preview:
    """The HTML a template makes from sample data (a client, two lines, the requisites);
    422 as saving would refuse it."""
    return Preview(html=_check_renders(_kind(kind), body.body, _company(call.store)))


# ------------------------------------------------------------------------------ making documents


def make_document(
    store: Store,
    unit: UnitOfWork,
    deal: Deal,
    request: NewDocument,
    *,
    document_id: str,
    by: str | None,
    send: bool = False,
) -> Document:
    """Queue in `unit` the deal's document with the next number of its kind this year (the
    counter's step, the document, its number item and `DocumentGenerated`). It holds what it
    was made with (requisites, client's name, lines, template version), so its PDF
    (`publish_pdf`) is the same whenever it is made."""
    documents = DocumentStore(store)
    now = store.clock()
    year = documenting.year_of(now)
    template = _template(store, request.kind, request.language)
    card = ClientDirectory(store).card(deal.client_id)
    client_name = (card.name if card is not None and not card.erased else None) or deal.client_name or ""
    lines = documenting.lines_for(deal.title, deal.amount, request.lines)
    sequence = documents.take_number(unit, request.kind, year, documents.last_number(request.kind, year))
    number = documenting.number_of(request.kind, year, sequence)
    document = Document(
        id=document_id,
        deal_id=deal.id,
        client_id=deal.client_id,
        kind=request.kind,
        language=request.language,
        number=number,
        year=year,
        sequence=sequence,
        lines=lines,
        amount=sum(line.amount for line in lines),
        currency=deal.currency,
        issued_at=now,
        due_date=documenting.due_date(now, request.due_in_days) if request.kind != "act" else None,
        template_version=template.version,
        file_key=DocumentFiles.key(deal.id, document_id, number),
        created_by=by,
        client_name=client_name,
        deal_title=deal.title,
        company=_company(store),
        send_when_ready=send,
    )
    documents.add(unit, document)
    unit.emit(
        envelope(
            events.DocumentGenerated(
                document_id=document.id,
                deal_id=deal.id,
                client_id=deal.client_id,
                kind=document.kind,
                number=number,
                amount=document.amount,
                currency=document.currency,
            ),
            occurred_at=now,
        )
    )
    return document


def publish_pdf(store: Store, document: Document) -> None:
    """Render the document's PDF and put it in the bucket (again: the same file)."""
    template = DocumentStore(store).template_version(
        document.kind, document.language, document.template_version
    ) or documenting.default_template(document.kind, document.language)
    if template is None:
        raise Problem.not_found(f"Version {document.template_version} of the {document.kind} template")
    html = documenting.render(template.body, documenting.document_variables(document))
    pdf = html_to_pdf(html, f"{documenting.TITLES[document.kind]} {document.number}")
    DocumentFiles(store.settings).write(document.file_key, pdf)


def _visible_deal(call: Call, deal_id: str) -> Deal:
    return dealing.visible(DealStore(call.store), deal_id, call.user)


@service.route(
    "/deals/{deal_id}/documents",
    "POST",
    body=NewDocument,
    response=DocumentView,
    status=201,
    roles=OFFICE,
    problems=[503],
)
def generate_document(call: Call, deal_id: str, body: NewDocument) -> DocumentView:
    """Make a document of the deal (an invoice by default) from its template: lines from the
    deal's title and amount, or the ones given; the next number of its kind this year; a
    PDF in the documents bucket."""
    deal = _visible_deal(call, deal_id)
    document_id = new_id()
    document = service.commit(
        lambda unit: make_document(
            call.store, unit, deal, body, document_id=document_id, by=call.user.user_id
        ),
        (NUMBER_TAG,),
        attempts=CONTENDED_ATTEMPTS,
        exhausted=Problem.busy,
    )
    # The number is taken; the PDF is made now, so that the answer's file is there (and,
    # should this fail, again when `DocumentGenerated` comes back).
    publish_pdf(call.store, document)
    return documenting.view(document)


@service.route("/deals/{deal_id}/documents", response=DocumentList, roles=OFFICE)
def list_documents(call: Call, deal_id: str) -> DocumentList:
    """The deal's documents, newest first, with what is paid of each invoice."""
    deal = _visible_deal(call, deal_id)
    return DocumentList(items=[documenting.view(d) for d in DocumentStore(call.store).of_deal(deal.id)])


def _deal_document(call: Call, deal_id: str, document_id: str) -> tuple[Deal, Document]:
    deal = _visible_deal(call, deal_id)
    document = DocumentStore(call.store).get(document_id)
    if document is None or document.deal_id != deal.id:
        raise Problem.not_found("The document")
    return deal, document


@service.route("/deals/{deal_id}/documents/{document_id}", response=DocumentView, roles=OFFICE)
def get_document(call: Call, deal_id: str, document_id: str) -> DocumentView:
    """One document of the deal."""
    return documenting.view(_deal_document(call, deal_id, document_id)[1])


@service.route("/deals/{deal_id}/documents/{document_id}/download", response=DownloadLink, roles=OFFICE)
def download_document(call: Call, deal_id: str, document_id: str) -> DownloadLink:
    """A link to the PDF, valid for 5 minutes (only for staff who see the deal)."""
    _, document = _deal_document(call, deal_id, document_id)
    url = DocumentFiles(call.store.settings).download_url(
        document.file_key, document.filename, DOWNLOAD_SECONDS
    )
    return DownloadLink(url=url, expires_in=DOWNLOAD_SECONDS)


# ------------------------------------------------------------------------------ sending


def client_link(store: Store, document: Document, now: datetime) -> str:
    """The signed public link to the document's PDF that a messenger or SMS carries."""
    expires = int((now + timedelta(days=CLIENT_LINK_DAYS)).timestamp())
    signature = links.sign(store.settings.link_secret, LINK_PURPOSE, f"{document.id}.{expires}")
    path = PUBLIC_PATH.format(document_id=document.id)
    return f"/api/deals{path}?expires={expires}&signature={signature}"


def send_document(
    store: Store, unit: UnitOfWork, document: Document, channel: str | None, message_id: str, now: datetime
) -> None:
    """Queue the message that carries the document to the client, and `DocumentSent`."""
    files = DocumentFiles(store.settings)
    unit.emit(
        envelope(
            events.MessageRequested(
                message_id=message_id,
                client_id=document.client_id,
                template=document.kind,
                deal_id=document.deal_id,
                channel=channel,
                variables={
                    "number": document.number,
                    "amount": documenting.money(document.amount),
                    "currency": document.currency,
                    "due_date": document.due_date.strftime("%d.%m.%Y") if document.due_date else "",
                },
                attachments=[
                    events.MessageAttachment(
                        bucket=files.bucket,
                        key=document.file_key,
                        filename=document.filename,
                        content_type="application/pdf",
                        url=client_link(store, document, now),
                    )
                ],
            ),
            occurred_at=now,
        )
    )
    unit.emit(
        envelope(
            events.DocumentSent(
                document_id=document.id,
                deal_id=document.deal_id,
                kind=document.kind,
                client_id=document.client_id,
            ),
            occurred_at=now,
        )
    )


@service.route(
    "/deals/{deal_id}/documents/{document_id}/send",
    "POST",
    body=SendDocument,
    response=SentDocument,
    status=202,
    roles=OFFICE,
    problems=[409],
)
def send_to_client(call: Call, deal_id: str, document_id: str, body: SendDocument) -> SentDocument:
    """Send the document to the client (e-mail with the PDF attached; a messenger or SMS
    with a signed link), on the given channel or the client's preferred one."""
    _, document = _deal_document(call, deal_id, document_id)
    if not DocumentFiles(call.store.settings).exists(document.file_key):
        raise Problem.conflict("The document's PDF is still being made; try again in a moment.")
    message_id = new_id()
    send_document(call.store, call.unit, document, body.channel, message_id, call.store.clock())
    return SentDocument(message_id=message_id, document_id=document.id, channel=body.channel)


def _open_public_link(document_id: str) -> Response:
    request = service.app.current_request
    assert request is not None
    store = service.store
    try:
        throttle.limit(store, request, "document-link", 30)
        query = PublicLinkQuery.model_validate(dict(request.query_params or {}))
        valid = links.verify(
            store.settings.link_secret, LINK_PURPOSE, f"{document_id}.{query.expires}", query.signature
        )
        if not valid or query.expires < store.clock().timestamp():
            raise Problem.forbidden("This link is not valid or has expired.")
        document = DocumentStore(store).get(document_id)
        if document is None:
            raise Problem.not_found("The document")
    except Problem as problem:
        return problem_response(problem, request.path)
    except ValueError:
        return problem_response(Problem.forbidden("This link is not valid or has expired."), request.path)
    url = DocumentFiles(store.settings).download_url(document.file_key, document.filename, DOWNLOAD_SECONDS)
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


def open_document_link() -> None:
    """The client's signed link to a document: a redirect (302) to its PDF, for 5 minutes;
    403 when the signature is wrong or the link has expired."""


# A redirect is not a JSON answer, so this one public route is answered by a plain Chalice
# view, and described to the OpenAPI document beside the others.
service.api.add(
    RouteSpec(
        path=PUBLIC_PATH,
        method="GET",
        view=open_document_link,
        body=None,
        query=PublicLinkQuery,
        response=None,
        status=302,
        roles=None,
        public=True,
        summary=(open_document_link.__doc__ or "").strip().split("\n")[0],
        tags=("documents",),
        idempotent=False,
        problems=(403, 404, 429),
        raw=_open_public_link,
    )
)


# ------------------------------------------------------------------------------ events


@service.handles(events.DocumentRequested)
def on_document_requested(event: Envelope[events.DocumentRequested], unit: UnitOfWork) -> None:
    """Automation asked for a document: made once (its id is the request's). A number taken
    meanwhile fails the event, and its redelivery takes the next one."""
    data = event.data
    store = service.store
    log = observability.logger(service.name)
    kind = TEMPLATE_KINDS.get(data.template)
    if kind is None:
        log.warning("A rule asks for an unknown document template", extra={"template": data.template})
        return
    if DocumentStore(store).get(data.document_id) is not None:
        return
    deal = DealStore(store).get(data.deal_id)
    if deal is None:
        log.warning("A document was asked for a deal that is gone", extra={"deal_id": data.deal_id})
        return
    request = NewDocument(kind=kind)
    make_document(store, unit, deal, request, document_id=data.document_id, by=None, send=data.send)


@service.handles(events.DocumentGenerated)
def on_document_generated(event: Envelope[events.DocumentGenerated], unit: UnitOfWork) -> None:
    """The document is committed: its PDF is made if the request did not make it, and a
    document automation asked to send goes to the client now that its file is there."""
    store = service.store
    document = DocumentStore(store).get(event.data.document_id)
    if document is None:
        return
    if not DocumentFiles(store.settings).exists(document.file_key):
        publish_pdf(store, document)
    if document.send_when_ready:
        send_document(store, unit, document, None, f"{document.id}-send", event.metadata.occurred_at)
