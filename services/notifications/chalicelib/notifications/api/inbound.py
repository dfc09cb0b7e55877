"""Inbound channels: the website form, Telegram and Viber bots, telephony, e-mail.

Each public endpoint proves who is calling (a signature, a secret), refuses bodies too big
to be what the provider sends, and is idempotent by the provider's own id: Telegram's
`update_id`, Viber's `message_token`, the call id, the stored e-mail's key. A replay answers
200 with `duplicate: true` and changes nothing. What is accepted is kept and announced as
`RequestReceived`; see conversations.py for what happens when clients answers.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qs

from chalicelib.notifications.domain import inbound, webhooks
from chalicelib.notifications.domain.inbound import Accepted, Attachment, CallDetails, CallState, Sender
from chalicelib.notifications.service import service
from chalicelib.notifications.settings import channel_settings
from chalicelib.notifications.store import ConversationStore, InboundStore
from pydantic import ConfigDict, Field, ValidationError

from lanka_platform import observability, throttle
from lanka_platform.api import IDEMPOTENCY_HEADER, Call
from lanka_platform.contracts.notifications import InboundMailStored
from lanka_platform.events import Envelope, envelope
from lanka_platform.ids import new_id
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.schema import Schema
from lanka_platform.storage import Store

WEBHOOK_PROBLEMS = (400, 401, 403, 413, 422, 429)


def _raw(call: Call) -> bytes:
    raw = call.request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    webhooks.require_size(body, channel_settings().max_webhook_bytes)
    return body


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except ValueError as error:
        raise Problem(400, "Malformed JSON", "The body is not valid JSON.", kind="malformed-json") from error
    if not isinstance(data, dict):
        raise Problem(400, "Malformed JSON", "The body must be a JSON object.", kind="malformed-json")
    return data


def _header(call: Call, name: str) -> str | None:
    value = call.request.headers.get(name.lower())
    return str(value) if value is not None else None


def _accept(call: Call, message: inbound.InboundMessage) -> Accepted:
    return _keep(call.store, call.unit, message)


def _keep(store: Store, unit: UnitOfWork, message: inbound.InboundMessage) -> Accepted:
    """Keep a new inbound message and announce it; the same id again changes nothing."""
    inbox = InboundStore(store)
    if inbox.get(message.id) is not None:
        return Accepted(id=message.id, duplicate=True)
    inbox.add(unit, message)
    unit.emit(envelope(inbound.request_of(message)))
    return Accepted(id=message.id)


# ------------------------------------------------------------------------------ website form


@service.route(
    "/public/requests",
    "POST",
    body=inbound.WebsiteForm,
    response=Accepted,
    status=202,
    public=True,
    tags=["public"],
    problems=(409, 429),
)
def submit_form(call: Call, body: inbound.WebsiteForm) -> Accepted:
    """The website's request form (no login): name, phone or e-mail, message, consent.
    `Idempotency-Key` makes a retried submission one request."""
    settings = channel_settings()
    throttle.limit(call.store, call.request, "website-form", settings.form_per_minute)
    now = call.store.clock()
    if inbound.is_robot(body):
        return Accepted(id=new_id())  # robots get the answer people get, and nothing is kept
    key = _header(call, IDEMPOTENCY_HEADER)
    inbox = InboundStore(call.store)
    request_id = new_id()
    if key is not None:
        if not 8 <= len(key) <= 128 or not all(ch.isalnum() or ch in "_-:." for ch in key):
            raise Problem.bad_request(
                "Idempotency-Key must be 8 to 128 letters, digits or -_:.", field=IDEMPOTENCY_HEADER
            )
        request_hash = hashlib.sha256(_raw(call)).hexdigest()
        previous = inbox.form_key(key)
        if previous is not None:
            if previous.request_hash != request_hash:
                raise Problem(
                    422,
                    "Idempotency key reused",
                    "This Idempotency-Key was already used with a different request.",
                    kind="idempotency-key-reused",
                )
            return Accepted(id=previous.request_id, duplicate=True)
        inbox.claim_form_key(call.unit, key, request_hash, request_id, now)
    return _accept(call, inbound.from_form(body, request_id, now))


# ------------------------------------------------------------------------------ Telegram, Viber


@service.route(
    "/webhooks/telegram", "POST", response=Accepted, public=True, tags=["webhooks"], problems=WEBHOOK_PROBLEMS
)
def telegram_update(call: Call) -> Accepted:
    """A Telegram bot's Update (setWebhook with `secret_token`): a message from a person."""
    settings = channel_settings()
    webhooks.require_secret_token(
        settings.telegram_secret_token, _header(call, "X-Telegram-Bot-Api-Secret-Token")
    )
    throttle.limit(call.store, call.request, "telegram", settings.webhook_per_minute)
    update = _json(_raw(call))
    message = inbound.from_telegram(update, call.store.clock())
    if message is None:
        return Accepted(id=f"tg-{update.get('update_id', '')}", duplicate=False)
    return _accept(call, message)


@service.route("/webhooks/viber", "POST", public=True, tags=["webhooks"], problems=WEBHOOK_PROBLEMS)
def viber_callback(call: Call) -> dict[str, Any]:
    """A Viber bot's callback, signed with the bot's auth token. A message is a request;
    a conversation that starts is greeted; other events change nothing."""
    settings = channel_settings()
    body = _raw(call)
    webhooks.require_body_signature(
        settings.viber_auth_token, body, _header(call, "X-Viber-Content-Signature")
    )
    throttle.limit(call.store, call.request, "viber", settings.webhook_per_minute)
    callback = _json(body)
    if callback.get("event") == "conversation_started":
        return {"type": "text", "text": inbound.VIBER_WELCOME}
    message = inbound.from_viber(callback, call.store.clock())
    if message is None:
        return {"status": 0, "event": str(callback.get("event", ""))[:40]}
    return _accept(call, message).model_dump(mode="json")


# ------------------------------------------------------------------------------ telephony


class CallEvent(Schema):
    """The generic telephony webhook: one event of one call."""

    model_config = ConfigDict(extra="ignore")

    call_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$")
    event: CallState
    direction: Literal["in", "out"] = "in"
    client_phone: str | None = Field(default=None, max_length=40, description="The other party's number")
    line: str | None = Field(default=None, max_length=40, description="The staff member's line")
    user_id: str | None = Field(default=None, max_length=64, description="The staff member, if known")
    started_at: datetime
    duration_seconds: int = Field(default=0, ge=0, le=86400)
    recording_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")


def _take_call(call: Call, provider: str, event: CallEvent) -> Accepted:
    """Started and answered are remembered; a missed or ended call becomes a request (once)."""
    inbox = InboundStore(call.store)
    if inbox.get(event.call_id) is not None:
        return Accepted(id=event.call_id, duplicate=True)
    so_far, known_phone = inbox.call(provider, event.call_id)
    if so_far is not None and so_far.state == event.event:
        return Accepted(id=event.call_id, duplicate=True)
    answered = event.event in ("answered", "ended") and (
        event.event == "answered" or event.duration_seconds > 0 or (so_far is not None and so_far.answered)
    )
    details = CallDetails(
        provider=provider,
        direction=event.direction,
        state=event.event,
        answered=answered,
        started_at=so_far.started_at if so_far else min(event.started_at, call.store.clock()),
        duration_seconds=event.duration_seconds,
        recording_url=event.recording_url,
        line=event.line or (so_far.line if so_far else None),
        user_id=event.user_id or (so_far.user_id if so_far else None),
    )
    phone = event.client_phone or known_phone
    if event.event in ("started", "answered"):
        inbox.save_call(call.unit, event.call_id, details, phone)
        return Accepted(id=event.call_id)
    if not phone:
        raise Problem.invalid(
            [{"field": "client_phone", "message": "A finished call needs the caller's number."}]
        )
    return _accept(call, inbound.call_message(event.call_id, details, phone))


@service.route(
    "/webhooks/telephony",
    "POST",
    response=Accepted,
    public=True,
    tags=["webhooks"],
    problems=WEBHOOK_PROBLEMS,
)
def telephony_event(call: Call) -> Accepted:
    """A call event in Lanka's generic format, signed: `X-Lanka-Timestamp` (Unix seconds)
    and `X-Lanka-Signature` = hex HMAC-SHA256 of `<timestamp>.<body>`."""
    settings = channel_settings()
    body = _raw(call)
    webhooks.require_timed_signature(
        settings.telephony_secret,
        body,
        _header(call, "X-Lanka-Timestamp"),
        _header(call, "X-Lanka-Signature"),
        call.store.clock(),
    )
    throttle.limit(call.store, call.request, "telephony", settings.webhook_per_minute)
    try:
        event = CallEvent.model_validate(_json(body))
    except ValidationError as error:
        raise Problem.from_validation_error(error) from error
    return _take_call(call, "generic", event)


_BINOTEL_ANSWERED = frozenset({"ANSWER", "TRANSFER", "VM-SUCCESS", "SUCCESS"})


def binotel_event(fields: dict[str, str]) -> CallEvent | None:
    """Binotel's "API CALL COMPLETED" callback (form fields `callDetails[...]`) as a call
    event; None for the other request types."""
    if fields.get("requestType") != "apiCallCompleted":
        return None

    def detail(name: str) -> str:
        return fields.get(f"callDetails[{name}]", "").strip()

    started = detail("startTime")
    if not detail("generalCallID") or not started.isdigit():
        raise Problem.invalid(
            [{"field": "callDetails", "message": "generalCallID and startTime are required."}]
        )
    answered = detail("disposition").upper() in _BINOTEL_ANSWERED
    billsec = detail("billsec")
    record = detail("linkToCallRecordInMyBusiness")
    try:
        return CallEvent(
            call_id=detail("generalCallID"),
            event="ended" if answered else "missed",
            direction="out" if detail("callType") == "1" else "in",
            client_phone=detail("externalNumber") or None,
            line=detail("internalNumber") or None,
            started_at=datetime.fromtimestamp(int(started), UTC),
            duration_seconds=int(billsec) if billsec.isdigit() and answered else 0,
            recording_url=record if record.startswith(("http://", "https://")) else None,
        )
    except ValidationError as error:
        raise Problem.from_validation_error(error) from error


@service.route("/webhooks/binotel", "POST", public=True, tags=["webhooks"], problems=WEBHOOK_PROBLEMS)
def binotel_callback(call: Call) -> dict[str, str]:
    """Binotel's call-completed callback (`application/x-www-form-urlencoded`). Binotel signs
    nothing, so: the URL's `token`, our `companyID`, and Binotel's addresses when configured."""
    settings = channel_settings()
    query = call.request.query_params
    token = query.get("token") if query else None
    webhooks.require_secret_token(settings.binotel_token, token)
    if settings.binotel_addresses and throttle.caller_of(call.request) not in settings.binotel_addresses:
        raise Problem.forbidden("Binotel calls come from Binotel's servers only.")
    body = _raw(call)
    try:
        parsed = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as error:
        raise Problem.bad_request("The body is not form data.") from error
    fields = {key: values[-1] for key, values in parsed.items()}
    if fields.get("callDetails[companyID]", "") != settings.binotel_company_id:
        raise Problem.forbidden("This callback is for another Binotel company.")
    throttle.limit(call.store, call.request, "binotel", settings.webhook_per_minute)
    event = binotel_event(fields)
    if event is not None:
        _take_call(call, "binotel", event)
    return {"status": "success"}


# ------------------------------------------------------------------------------ e-mail


class StoredMail(Schema):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(
        min_length=1, max_length=1024, description="The object SES wrote to the inbound mail bucket"
    )


def _s3() -> Any:
    from lanka_platform import aws

    settings = service.settings
    return aws.client("s3", settings.region, settings.aws_endpoint_url)


@service.route(
    "/mail/inbound", "POST", body=StoredMail, response=Accepted, roles=("admin",), problems=(404, 413, 422)
)
def receive_mail(call: Call, body: StoredMail) -> Accepted:
    """Take in an e-mail SES stored in the inbound mail bucket, by its key (an admin's
    redrive; locally, the dev tools). In AWS the bucket's notification does it for each new
    object (`on_mail_stored`). A reply to a message we know joins that conversation directly."""
    return take_in_mail(call.store, call.unit, body.key)


@service.handles(InboundMailStored)
def on_mail_stored(event: Envelope[InboundMailStored], unit: UnitOfWork) -> None:
    """SES stored an e-mail (the receipt rule's S3 action); the bucket told the default bus
    and the `INBOUND_MAIL` rule brought it here. An e-mail that cannot be read (too big, no
    sender) is logged and left in the bucket: retrying would not make it readable."""
    try:
        take_in_mail(service.store, unit, event.data.object.key)
    except Problem as problem:
        if problem.status >= 500:
            raise
        observability.logger(service.name).warning(
            "A stored e-mail was not taken in", extra={"status": problem.status, "detail": problem.detail}
        )


def take_in_mail(store: Store, unit: UnitOfWork, key: str) -> Accepted:
    from botocore.exceptions import ClientError
    from chalicelib.notifications.domain import mail  # the e-mail parser, only where mail is read

    settings = channel_settings()
    bucket = service.settings.inbound_mail_bucket
    message_id = "mail-" + hashlib.sha256(key.encode()).hexdigest()[:26]
    inbox = InboundStore(store)
    if inbox.get(message_id) is not None:
        return Accepted(id=message_id, duplicate=True)
    s3 = _s3()
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        if int(head["ContentLength"]) > settings.max_mail_bytes:
            raise Problem.too_large(settings.max_mail_bytes)
        raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise Problem.not_found("The stored e-mail") from error
        raise
    parsed = mail.parse(raw)
    now = store.clock()
    if parsed.sender_email is None:
        raise Problem.invalid([{"field": "key", "message": "The e-mail has no sender address."}])
    attachments = []
    for number, file in enumerate(parsed.files, start=1):
        attachment_key = f"attachments/{message_id}/{number}-{file.name}"
        s3.put_object(Bucket=bucket, Key=attachment_key, Body=file.content, ContentType=file.content_type)
        attachments.append(
            Attachment(
                name=file.name, content_type=file.content_type, size=len(file.content), key=attachment_key
            )
        )
    message = inbound.InboundMessage(
        id=message_id,
        channel="email",
        sender=Sender(name=parsed.sender_name, email=parsed.sender_email),
        subject=parsed.subject[:200] or None,
        text=parsed.text[: inbound.TEXT_LIMIT],
        # The sender's Date, unless it claims the future (the inbox orders by it).
        received_at=min(parsed.sent_at or now, now),
        attachments=attachments,
        mail_id=parsed.message_id,
    )
    conversations = ConversationStore(store)
    thread = conversations.thread_client(parsed.answers)
    if thread is None:
        return _keep(store, unit, message)
    client_id = inbound.current_client(conversations, thread)
    inbox.add(unit, message.model_copy(update={"client_id": client_id}))
    inbound.file_message(unit, conversations, message, client_id)
    return Accepted(id=message_id)
