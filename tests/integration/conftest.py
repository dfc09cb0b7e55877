"""A whole Lanka in one process on moto: provisioned resources, the four apps behind the
local gateway, real EventBridge -> SQS delivery, and staff users with real Cognito tokens."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto_world import MotoWorld
from werkzeug.test import Client

# The services' packages, for tests that import their modules (the fakes, the contract tests).
SERVICES = Path(__file__).resolve().parents[2] / "services"
for folder in sorted(SERVICES.iterdir()):
    if (folder / "chalicelib").is_dir() and str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


@dataclass
class World:
    """What a test needs to act as users do and to look at the outcome."""

    http: Client
    services: dict[str, Any]
    router: Any
    cognito: Any
    pool_id: str
    client_id: str
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str, role: str) -> str:
        if username not in self.tokens:
            self.cognito.admin_create_user(
                UserPoolId=self.pool_id,
                Username=username,
                UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
                MessageAction="SUPPRESS",
            )
            self.cognito.admin_set_user_password(
                UserPoolId=self.pool_id, Username=username, Password="Secret-Pass-123", Permanent=True
            )
            self.cognito.admin_add_user_to_group(UserPoolId=self.pool_id, Username=username, GroupName=role)
            result = self.cognito.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": "Secret-Pass-123"},
            )
            self.tokens[username] = result["AuthenticationResult"]["IdToken"]
        return self.tokens[username]

    def headers(self, username: str = "olena", role: str = "manager", **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, role)}", **extra}

    def user_id(self, username: str) -> str:
        user = self.cognito.admin_get_user(UserPoolId=self.pool_id, Username=username)
        return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")

    def publish(self, contract: Any, *, event_id: str | None = None, deliver: bool = True) -> str:
        """Put an event on the bus as the service that owns `contract` would, and (by
        default) deliver it: how a test plays a service that is not built yet."""
        from lanka_platform.events import envelope

        wrapped = envelope(contract)
        if event_id is not None:
            wrapped = wrapped.model_copy(
                update={"metadata": wrapped.metadata.model_copy(update={"event_id": event_id})}
            )
        boto3.client("events").put_events(
            Entries=[
                {
                    "EventBusName": "lanka-events",
                    "Source": wrapped.source,
                    "DetailType": wrapped.detail_type,
                    "Detail": wrapped.detail_json(),
                }
            ]
        )
        if deliver:
            self.router.deliver_all()
        return wrapped.metadata.event_id

    def items(self, service: str) -> list[dict[str, Any]]:
        """Everything in a service's table (a Scan: fine in a test, never in a service)."""
        table = boto3.resource("dynamodb").Table(f"lanka-{service}")
        return table.scan()["Items"]


@pytest.fixture(scope="session")
def moto_world() -> MotoWorld:
    """The worker's moto world (see `moto_world`): provisioned on first use."""
    return MotoWorld()


@pytest.fixture(scope="session")
def loaded_services() -> dict[str, Any]:
    """The four Chalice apps, imported once per worker as four Lambdas would each be."""
    from lanka_local import services

    return services.load_all()


@pytest.fixture
def world(
    request: pytest.FixtureRequest,
    moto_world: MotoWorld,
    loaded_services: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    """The whole of Lanka on moto, as provisioning left it (`@pytest.mark.fresh_world`:
    provisioned anew for this test)."""
    fresh = request.node.get_closest_marker("fresh_world") is not None
    with moto_world.active(fresh=fresh) as provisioned:
        from lanka_local.gateway import staff_gateway
        from lanka_local.provision import moto_jwks
        from lanka_local.router import EventRouter

        monkeypatch.setenv("LANKA_USER_POOL_ID", provisioned.user_pool_id)
        monkeypatch.setenv("LANKA_USER_POOL_CLIENT_ID", provisioned.user_pool_client_id)
        for item in loaded_services.values():
            item.service.use()
        gateway = staff_gateway(
            loaded_services,
            provisioned.user_pool_id,
            provisioned.user_pool_client_id,
            region="eu-central-1",
            fetch=moto_jwks,
        )
        yield World(
            http=Client(gateway),
            services={name: item.service for name, item in loaded_services.items()},
            router=EventRouter(loaded_services, boto3.client("sqs"), wait_seconds=0),
            cognito=boto3.client("cognito-idp"),
            pool_id=provisioned.user_pool_id,
            client_id=provisioned.user_pool_client_id,
        )


# The channel providers (SMS, Telegram, Viber) at one fake HTTP server, and the SES sender.
@pytest.fixture
def provider(world: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from notify_world import Provider

    fake = Provider()
    for name in ("SMS", "TELEGRAM", "VIBER"):
        monkeypatch.setenv(f"LANKA_{name}_BASE_URL", fake.url)
    monkeypatch.setenv("LANKA_SMS_TOKEN", "sms-key")
    monkeypatch.setenv("LANKA_TELEGRAM_BOT_TOKEN", "123:bot")
    monkeypatch.setenv("LANKA_VIBER_TOKEN", "viber-key")
    monkeypatch.setenv("LANKA_EMAIL_SENDER", "Lanka <no-reply@lanka.example>")
    boto3.client("sesv2").create_email_identity(EmailIdentity="lanka.example")
    yield fake
    fake.close()
