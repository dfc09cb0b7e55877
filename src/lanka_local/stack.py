"""The whole CRM on one machine: emulator, resources, the four apps, one origin, events.

`lanka up` runs this. Environment variables are set here, before the services are
imported, exactly as the CDK app sets them on the Lambdas.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import Client

from lanka_local import demo, provision, services
from lanka_local.emulator import Emulator
from lanka_local.gateway import staff_gateway
from lanka_local.router import EventRouter, Scheduler, jobs_of
from lanka_platform import aws, resources

REGION = "eu-central-1"
# The notifications service's default sender (ChannelSettings.email_sender).
MAIL_SENDER = "Lanka <no-reply@lanka.example>"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass
class Config:
    port: int = 8000
    host: str = "127.0.0.1"
    data_dir: Path = Path("data")
    emulator_port: int = 4566
    verbose: bool = False


class LocalStack:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.emulator = Emulator(config.data_dir / "aws", port=config.emulator_port)
        self.stop_event = threading.Event()
        self.server: BaseWSGIServer | None = None
        self.passwords: dict[str, str] = {}

    @property
    def url(self) -> str:
        host = "localhost" if self.config.host in ("127.0.0.1", "0.0.0.0") else self.config.host
        return f"http://{host}:{self.config.port}"

    @functools.cached_property
    def _boto(self) -> boto3.session.Session:
        # On the process's one botocore session, as the services' own clients are (one boto3
        # session over it: each would add boto3's handlers to it again).
        return boto3.session.Session(botocore_session=aws.session())

    def client(self, name: str) -> Any:
        return self._boto.client(
            name,
            region_name=REGION,
            endpoint_url=self.emulator.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the emulator takes any key
        )

    def start(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        report = self.emulator.start()
        log(f"AWS emulator at {self.emulator.endpoint_url} (restored in {report.seconds:.2f} s)")
        provisioned = provision.Provisioner(self.client).provision()
        self._set_environment(provisioned)
        # Local sends work out of the box: SES refuses a sender whose domain is not verified.
        sender = os.environ.get("LANKA_EMAIL_SENDER", MAIL_SENDER)
        log(f"E-mail sender domain verified: {provision.verify_sender(self.client('sesv2'), sender)}")
        first_start = not (self.config.data_dir / "demo-users.json").exists()
        self.passwords = self._demo_users(provisioned.user_pool_id)
        loaded = services.load_all()
        gateway = staff_gateway(
            loaded,
            provisioned.user_pool_id,
            provisioned.user_pool_client_id,
            region=REGION,
            jwks_url=f"{self.emulator.endpoint_url}/{provisioned.user_pool_id}/.well-known/jwks.json",
            static_dir=STATIC_DIR,
        )
        EventRouter(loaded, self.client("sqs")).run(self.stop_event, self._background_error)
        Scheduler(jobs_of(loaded)).run(self.stop_event, self._background_error)
        if first_start:
            log(f"Demo data: {demo.send_requests(self.client('events'))} requests of the furniture company")
            seeded = demo.seed_booking(
                Client(gateway),
                self.client("cognito-idp"),
                provisioned.user_pool_id,
                self.passwords["admin"],
                self.url,
            )
            log(f"Demo data: {seeded} bookable services and staff")
        # Also on later starts of a data folder made before the price calculator existed.
        demo.save_price_book(Client(gateway), demo.sign_in(Client(gateway), "admin", self.passwords["admin"]))
        self.server = make_server(self.config.host, self.config.port, gateway, threaded=True)
        threading.Thread(target=self.server.serve_forever, name="gateway", daemon=True).start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.server is not None:
            self.server.shutdown()
            self.server = None
        self.emulator.stop()

    def _set_environment(self, provisioned: provision.Provisioned) -> None:
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.emulator.endpoint_url,
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "LANKA_USER_POOL_ID": provisioned.user_pool_id,
                "LANKA_USER_POOL_CLIENT_ID": provisioned.user_pool_client_id,
                "LANKA_EVENT_BUS_NAME": resources.EVENT_BUS,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "Lanka",
                "POWERTOOLS_LOG_LEVEL": "INFO" if self.config.verbose else "WARNING",
                "POWERTOOLS_METRICS_DISABLED": "false" if self.config.verbose else "true",
            }
        )

    def _demo_users(self, pool_id: str) -> dict[str, str]:
        path = self.config.data_dir / "demo-users.json"
        known = json.loads(path.read_text()) if path.exists() else {}
        passwords = provision.ensure_demo_users(self.client("cognito-idp"), pool_id, known)
        path.write_text(json.dumps(passwords, indent=2))
        path.chmod(0o600)
        return passwords

    def _background_error(self, where: str, error: Exception) -> None:
        log(f"{where}: {type(error).__name__}: {error}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
