"""Fixtures shared by every level: fake AWS credentials, never the real account, and a
clock that starts at the same instant in every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

# Every test starts at this instant (10:00 on a Wednesday in Kyiv) and time runs on from
# it: no test depends on the time of day, the day of the week or the season it is run in.
# A test that needs the machine's own clock (one that talks to another process, such as
# the local stack) is marked `real_time`.
FROZEN_AT = datetime(2026, 12, 9, 8, 0, tzinfo=UTC)

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-central-1",
    "AWS_REGION": "eu-central-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY": "HASH",
}


@pytest.fixture(autouse=True, scope="session")
def _fake_aws_environment() -> Iterator[None]:
    """Set for the whole session: worker-wide fixtures (the moto world, the services loaded
    once) are built before any test's own fixtures."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        for key, value in FAKE_AWS.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
        yield


@pytest.fixture(autouse=True)
def _frozen_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("real_time") is not None:
        yield
        return
    with time_machine.travel(FROZEN_AT, tick=True):
        yield
