"""SMS (TurboSMS's JSON API), Telegram (Bot API) and Viber (REST bot API) over HTTPS."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from chalicelib.notifications.channels import Delivery, DeliveryResult
from chalicelib.notifications.channels.settings import ChannelSettings

TIMEOUT_SECONDS = 5


def post_json(url: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int | None, Any, str | None]:
    """POST JSON; (HTTP status, parsed answer, error). Never raises for network trouble."""
    request = urllib.request.Request(  # noqa: S310 - base URLs come from settings
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status, raw = int(response.status), response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
        error.close()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        return None, None, f"{type(error).__name__}"
    try:
        answer = json.loads(raw or b"null")
    except ValueError:
        answer = None
    return status, answer, None if 200 <= status < 300 else f"HTTP {status}"


def _failed(status: int | None, error: str | None) -> DeliveryResult:
    # 4xx (except throttling) means the request itself is wrong: retrying will not help.
    final = status is not None and 400 <= status < 500 and status != 429
    return DeliveryResult(ok=False, error=error, retryable=not final)


def _text_with_links(delivery: Delivery) -> str:
    links = [f"{a.filename}: {a.url}" for a in delivery.attachments if a.url]
    return "\n".join([delivery.text, *links])


class Sms:
    def __init__(self, settings: ChannelSettings) -> None:
        self._settings = settings

    def send(self, delivery: Delivery) -> DeliveryResult:
        if not self._settings.sms_token:
            return DeliveryResult(ok=False, error="SMS is not configured", retryable=False)
        status, answer, error = post_json(
            f"{self._settings.sms_base_url.rstrip('/')}/message/send.json",
            {
                "recipients": [delivery.to.lstrip("+")],
                "sms": {"sender": self._settings.sms_sender, "text": _text_with_links(delivery)},
            },
            {"Authorization": f"Bearer {self._settings.sms_token}"},
        )
        if error is not None:
            return _failed(status, error)
        results = (answer or {}).get("response_result") or [{}]
        message_id = results[0].get("message_id") if isinstance(results[0], dict) else None
        if not message_id:
            return DeliveryResult(ok=False, error=f"SMS: {(answer or {}).get('response_status', 'refused')}")
        return DeliveryResult(ok=True, provider_message_id=str(message_id))


class Telegram:
    def __init__(self, settings: ChannelSettings) -> None:
        self._settings = settings

    def _call(self, method: str, body: dict[str, Any]) -> DeliveryResult:
        base = self._settings.telegram_base_url.rstrip("/")
        status, answer, error = post_json(f"{base}/bot{self._settings.telegram_bot_token}/{method}", body, {})
        if error is not None or not (answer or {}).get("ok"):
            return _failed(status, error or "Telegram refused")
        return DeliveryResult(ok=True, provider_message_id=str(answer["result"]["message_id"]))

    def send(self, delivery: Delivery) -> DeliveryResult:
        if not self._settings.telegram_bot_token:
            return DeliveryResult(ok=False, error="Telegram is not configured", retryable=False)
        result = self._call("sendMessage", {"chat_id": delivery.to, "text": delivery.text})
        for attachment in delivery.attachments:
            if result.ok and attachment.url:
                sent = self._call(
                    "sendDocument",
                    {"chat_id": delivery.to, "document": attachment.url, "caption": attachment.filename},
                )
                if not sent.ok:
                    return sent
        return result


class Viber:
    def __init__(self, settings: ChannelSettings) -> None:
        self._settings = settings

    def send(self, delivery: Delivery) -> DeliveryResult:
        if not self._settings.viber_token:
            return DeliveryResult(ok=False, error="Viber is not configured", retryable=False)
        status, answer, error = post_json(
            f"{self._settings.viber_base_url.rstrip('/')}/pa/send_message",
            {
                "receiver": delivery.to,
                "type": "text",
                "text": _text_with_links(delivery),
                "sender": {"name": self._settings.viber_sender},
            },
            {"X-Viber-Auth-Token": self._settings.viber_token},
        )
        if error is not None:
            return _failed(status, error)
        if (answer or {}).get("status") != 0:
            # Viber answers 200 with a status: 5/6 = the user is gone or not subscribed.
            return DeliveryResult(
                ok=False, error=f"Viber: {(answer or {}).get('status_message', 'refused')}", retryable=False
            )
        return DeliveryResult(ok=True, provider_message_id=str(answer.get("message_token")))
