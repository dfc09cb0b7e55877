"""No double booking against the running local stack: many visitors at once, one winner."""

from __future__ import annotations

import http.client
import json
import threading
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

pytestmark = pytest.mark.e2e
KYIV = ZoneInfo("Europe/Kyiv")
ROUNDS = 20
ATTEMPTS = 50


def post_from(address: str, url: str, path: str, body: Any, key: str) -> tuple[int, Any]:
    """POST as a visitor from `address` (a loopback address of its own: the per-IP limit
    counts each visitor apart, as it would on the internet)."""
    target = urlparse(url)
    connection = http.client.HTTPConnection(
        target.hostname, target.port, timeout=120, source_address=(address, 0)
    )
    try:
        payload = json.dumps(body)
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        connection.request("POST", path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def working_days(count: int) -> list[date]:
    day = datetime.now(KYIV).date() + timedelta(days=2)
    days = []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def test_fifty_visitors_racing_for_overlapping_slots_of_one_specialist_get_one_booking(stack_runner):
    # given: a one-hour service offered every 15 minutes, and the demo measurer Petro
    stack = stack_runner.start()
    token = stack.sign_in("admin")
    status, _ = stack.request("POST", "/api/booking/services", {
        "key": "race", "name": "Консультація на місці", "duration_minutes": 60, "slot_step_minutes": 15,
        "min_notice_minutes": 0, "required_skills": ["measure"],
    }, token)  # fmt: skip
    assert status == 201
    _, staff = stack.request("GET", "/api/booking/staff", token=token)
    petro = next(member["id"] for member in staff["items"] if member["name"] == "Петро")
    outcomes: list[tuple[int, int, Any]] = []
    lock = threading.Lock()

    def attempt(round_no: int, n: int, start: datetime) -> None:
        body = {
            "services": ["race"], "start": start.isoformat(), "staff_id": petro, "name": f"Відвідувач {n}",
            "phone": f"+38067{round_no:02d}{n:05d}", "consent": True, "website": "",
        }  # fmt: skip
        result = post_from(f"127.0.{round_no + 1}.{n + 1}", stack.url, "/api/booking/public/bookings", body,
                           f"race-{round_no}-{n}-key")  # fmt: skip
        with lock:
            outcomes.append((round_no, *result))

    # when: in each round 50 visitors book 10:00, 10:15, 10:30 or 10:45 (all overlap) at once
    for round_no, day in enumerate(working_days(ROUNDS)):
        starts = [
            datetime(day.year, day.month, day.day, 10, 15 * (n % 4), tzinfo=KYIV) for n in range(ATTEMPTS)
        ]
        threads = [threading.Thread(target=attempt, args=(round_no, n, starts[n])) for n in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    # then: every round exactly one 201; every other attempt a clear 409 problem
    for round_no in range(ROUNDS):
        answers = [(status, body) for r, status, body in outcomes if r == round_no]
        statuses = sorted(status for status, _ in answers)
        assert statuses == [201] + [409] * (ATTEMPTS - 1), (round_no, statuses)
        refusals = [body for status, body in answers if status == 409]
        kinds = {(body["type"], body.get("detail")) for body in refusals}
        assert all(body["type"].endswith("time-taken") and body["detail"] for body in refusals), kinds
    _, calendar = stack.request(
        "GET", f"/api/booking/calendar?owner_id={petro}&from={working_days(1)[0]}&days=31", token=token
    )
    race_days = {d.isoformat() for d in working_days(ROUNDS)}
    held_days = [e["starts_at"][:10] for e in calendar["items"] if e["services"] == ["race"]]
    assert sorted(held_days) == sorted(race_days)
