"""Every test starts at the same instant, whatever the machine's clock says."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from lanka_platform.clock import local, utc_now
from tests.conftest import FROZEN_AT


def test_a_test_starts_at_ten_on_a_wednesday_in_kyiv_and_its_time_runs_on():
    # when a test reads the clock, twice
    first = utc_now()
    time.sleep(0.01)
    second = datetime.now(UTC)
    # then it is the frozen instant (plus what the test has taken), and it moves on
    assert FROZEN_AT <= first < FROZEN_AT + timedelta(minutes=5)
    assert second > first
    kyiv = local(FROZEN_AT)
    assert (kyiv.hour, kyiv.minute, kyiv.strftime("%A")) == (10, 0, "Wednesday")
    assert abs(time.time() - first.timestamp()) < 1
