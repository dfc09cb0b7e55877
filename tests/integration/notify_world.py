"""Helpers of the outbound notifications tests: a fake messaging provider on 127.0.0.1 (SMS,
Telegram, Viber) that records every request, a controllable clock, and the schedules run
as Lambda runs them. The `provider` fixture (conftest) points the channels at the fake."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NOTIFY = "/api/notifications"
CLIENTS = "/api/clients"
ADMIN = ("root", "admin")


class Provider:
    """SMS, Telegram and Viber APIs in one local server: records (path, headers, JSON body)
    and answers like the real providers; `fail` makes the next answers for a channel 500."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.failing: dict[str, int] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                provider.requests.append((self.path, dict(self.headers.items()), json.loads(raw or b"{}")))
                channel = provider.channel_of(self.path)
                if provider.failing.get(channel, 0) > 0:
                    provider.failing[channel] -= 1
                    self._answer(500, {"error": "down"})
                    return
                number = len(provider.requests)
                if channel == "telegram":
                    self._answer(200, {"ok": True, "result": {"message_id": number}})
                elif channel == "viber":
                    self._answer(200, {"status": 0, "status_message": "ok", "message_token": number})
                else:
                    self._answer(
                        200, {"response_code": 0, "response_result": [{"message_id": f"sms-{number}"}]}
                    )

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def channel_of(path: str) -> str:
        if path.startswith("/bot"):
            return "telegram"
        if path.startswith("/pa/"):
            return "viber"
        return "sms"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def to(self, channel: str) -> list[tuple[str, dict[str, str], dict[str, Any]]]:
        return [request for request in self.requests if self.channel_of(request[0]) == channel]

    def fail(self, channel: str, times: int = 1000) -> None:
        self.failing[channel] = times

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Clock:
    """The notifications service's clock, moved by the test (second 10 of a minute)."""

    def __init__(self, world: Any, start: datetime | None = None) -> None:
        now = start or datetime.now(UTC).replace(second=10, microsecond=0) + timedelta(minutes=1)
        self.now = now
        world.services["notifications"].use(clock=lambda: self.now)

    def forward(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def run_schedule(name: str) -> dict[str, int]:
    """A notifications schedule, run as Lambda would run it."""
    from lanka_local.router import jobs_of
    from lanka_local.services import load

    job = next(job for job in jobs_of({"notifications": load("notifications")}) if job.name == name)
    result: dict[str, int] = job.run_once()
    return result


def new_client(world: Any, **fields: Any) -> str:
    """A client entered in clients; its contacts reach notifications by event."""
    response = world.http.post(
        f"{CLIENTS}/clients", json={"name": "Олена Коваль", **fields}, headers=world.headers()
    )
    assert response.status_code == 201, response.get_json()
    world.router.deliver_all()
    return str(response.get_json()["id"])


def sent_emails() -> list[EmailMessage]:
    """Every e-mail SES accepted (moto's store), parsed."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"]
    found = []
    for message in backend.sent_messages:
        raw = getattr(message, "raw_data", None)
        if raw is not None:
            parsed = message_from_bytes(raw.encode() if isinstance(raw, str) else raw, policy=policy.default)
            found.append(parsed)  # type: ignore[arg-type]
    return found


def messages_of(world: Any, client_id: str) -> list[dict[str, Any]]:
    response = world.http.get(f"{NOTIFY}/messages?client_id={client_id}", headers=world.headers(*ADMIN))
    assert response.status_code == 200, response.get_json()
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items
