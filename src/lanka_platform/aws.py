"""AWS clients, built on first use and cached (never at import time: cold start, and moto).

Plain botocore, not boto3: the services need low-level clients only, and boto3's resource
layer and s3transfer would add about 70 ms to every cold start.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)


@cache
def client(service_name: str, region: str, endpoint_url: str | None) -> Any:
    return botocore.session.get_session().create_client(
        service_name, region_name=region, endpoint_url=endpoint_url, config=_CONFIG
    )


def forget_clients() -> None:
    """Drop cached clients, e.g. when a test starts a new emulator."""
    client.cache_clear()
