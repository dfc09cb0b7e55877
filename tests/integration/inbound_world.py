"""Helpers of the inbound-channel tests: signed webhooks as the providers send them, and
an extra queue on the bus to see what notifications announces."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import boto3

API = "/api/notifications"
TELEGRAM_SECRET = "lanka-local-telegram-secret"
VIBER_TOKEN = "lanka-local-viber-token"
TELEPHONY_SECRET = "lanka-local-telephony-secret"
BINOTEL_TOKEN = "lanka-local-binotel-token"
NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def fix_clock(world: Any, at: datetime = NOW) -> None:
    world.services["notifications"].use(clock=lambda: at)


def form(world: Any, **fields: Any) -> Any:
    body = {"name": "Олена", "phone": "+380671234567", "message": "Хочу кухню", "consent": True, **fields}
    headers = {k: v for k, v in (("Idempotency-Key", body.pop("key", None)),) if v}
    return world.http.post(f"{API}/public/requests", json=body, headers=headers)


def telegram(
    world: Any, update: dict[str, Any], secret: str = TELEGRAM_SECRET, raw: bytes | None = None
) -> Any:
    return world.http.post(
        f"{API}/webhooks/telegram",
        data=raw if raw is not None else json.dumps(update),
        headers={"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"},
    )


def telegram_update(update_id: int = 1001, text: str = "Добрий день, потрібна шафа", user: int = 555) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 7,
            "date": 1795680000,
            "chat": {"id": user, "type": "private"},
            "from": {"id": user, "is_bot": False, "first_name": "Тарас", "username": "taras_k"},
            "text": text,
        },
    }


def viber(world: Any, callback: dict[str, Any], token: str = VIBER_TOKEN) -> Any:
    body = json.dumps(callback).encode()
    signature = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
    return world.http.post(
        f"{API}/webhooks/viber",
        data=body,
        headers={"X-Viber-Content-Signature": signature, "Content-Type": "application/json"},
    )


def viber_message(token: int = 4912661846655238145, text: str = "Скільки коштує кухня?") -> dict:
    return {
        "event": "message",
        "timestamp": 1795680000000,
        "message_token": token,
        "sender": {"id": "01234567890A=", "name": "Ірина"},
        "message": {"type": "text", "text": text},
    }


def telephony(world: Any, event: dict[str, Any], at: datetime = NOW, secret: str = TELEPHONY_SECRET) -> Any:
    body = json.dumps(event).encode()
    timestamp = str(int(at.timestamp()))
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return world.http.post(
        f"{API}/webhooks/telephony",
        data=body,
        headers={"X-Lanka-Timestamp": timestamp, "X-Lanka-Signature": f"sha256={signature}"},
    )


def call_event(event: str, call_id: str = "call-1", **fields: Any) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "event": event,
        "direction": "in",
        "client_phone": "+380501112233",
        "line": "101",
        "started_at": "2026-11-27T09:25:00Z",
        **fields,
    }


def binotel(world: Any, fields: dict[str, str], token: str = BINOTEL_TOKEN) -> Any:
    return world.http.post(
        f"{API}/webhooks/binotel?token={token}",
        data=fields,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def binotel_completed(**details: str) -> dict[str, str]:
    base = {
        "companyID": "1",
        "generalCallID": "4593725541",
        "callID": "4593725541",
        "startTime": "1795680000",
        "callType": "0",
        "internalNumber": "901",
        "externalNumber": "0501112233",
        "waitsec": "25",
        "billsec": "0",
        "disposition": "NOANSWER",
        "isNewCall": "1",
        **details,
    }
    return {"requestType": "apiCallCompleted", **{f"callDetails[{k}]": v for k, v in base.items()}}


class Listener:
    """A queue of our own on the bus: what notifications published, as the others see it."""

    def __init__(self, *detail_types: str) -> None:
        sqs = boto3.client("sqs")
        events = boto3.client("events")
        self._sqs = sqs
        self._url = sqs.create_queue(QueueName="test-listener")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="test-listener",
            EventBusName="lanka-events",
            EventPattern=json.dumps({"detail-type": list(detail_types)}),
        )
        events.put_targets(
            Rule="test-listener", EventBusName="lanka-events", Targets=[{"Id": "q", "Arn": arn}]
        )

    def received(self) -> list[dict[str, Any]]:
        found = []
        while True:
            batch = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                event = json.loads(message["Body"])
                found.append({"type": event["detail-type"], **event["detail"]["data"]})
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])


def clients_of(world: Any) -> list[dict[str, Any]]:
    response = world.http.get(
        "/api/clients/clients", query_string={"owner": "all"}, headers=world.headers("boss", "head")
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def conversation(world: Any, client_id: str, user: str = "boss", role: str = "head", **query: Any) -> Any:
    return world.http.get(
        f"{API}/conversations/{client_id}", query_string=query, headers=world.headers(user, role)
    )


def entries(world: Any, client_id: str) -> list[dict[str, Any]]:
    response = conversation(world, client_id)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def deals_of(world: Any, client_id: str) -> list[str]:
    """The ids of the client's deals (read from the deals table: a test may Scan)."""
    return [item["sk"] for item in world.items("deals") if item["pk"] == f"CLIENTDEAL#{client_id}"]


def deal_of_request(world: Any, request_id: str) -> str | None:
    found = [item["deal_id"] for item in world.items("deals") if item["pk"] == f"REQUEST#{request_id}"]
    return found[0] if found else None


def nothing_kept(world: Any) -> bool:
    """No inbound message, conversation or event of ours in the notifications table."""
    return not [
        item
        for item in world.items("notifications")
        if item["pk"].split("#")[0] in ("INBOUND", "CONVERSATION", "SUMMARY", "CALL", "OUTBOX")
    ]
