"""AWS clients, built on first use and cached (never at import time: cold start, and moto).

Plain botocore, not boto3: the services need low-level clients only, and boto3's resource
layer and s3transfer would add about 70 ms to every cold start.

One botocore session per process serves every client, PynamoDB's included (see
`storage`): a session loads and parses a service's model once (about 130 ms of CPU for
DynamoDB), and a client made from a session that already holds it costs a few ms. Clients
are made under a lock because a botocore session is not safe to make clients from in two
threads at once (the local stack answers requests in threads); a made client is.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
# What PynamoDB would give each of its own clients (`pynamodb.connection.base.Connection`):
# no client-side validation of requests PynamoDB has built, and its retry count.
_DYNAMODB_CONFIG = Config(
    parameter_validation=False,
    retries={"mode": "standard", "total_max_attempts": 4},
    connect_timeout=3,
    read_timeout=10,
    max_pool_connections=20,
)
_making = threading.Lock()


@cache
def session() -> botocore.session.Session:
    """The process's one botocore session."""
    return botocore.session.get_session()


@cache
def client(service_name: str, region: str, endpoint_url: str | None) -> Any:
    with _making:
        return session().create_client(
            service_name, region_name=region, endpoint_url=endpoint_url, config=_CONFIG
        )


@cache
def dynamodb(region: str, endpoint_url: str | None) -> Any:
    """The DynamoDB client every table binding of the process shares."""
    with _making:
        return session().create_client(
            "dynamodb", region_name=region, endpoint_url=endpoint_url, config=_DYNAMODB_CONFIG
        )


def forget_clients() -> None:
    """Drop cached clients and the session, e.g. when a test starts a new emulator."""
    client.cache_clear()
    dynamodb.cache_clear()
    session.cache_clear()
