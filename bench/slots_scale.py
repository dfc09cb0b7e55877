"""Availability for a month: 10 specialists, 6,000 bookings already in their calendars.

The booking service is set up through its admin routes (a 30-minute service offered every
15 minutes, 10 specialists working 09:00–18:00 six days a week); the bookings are the items
`BookingBook.add` queues (the booking, its calendar entries and its month-sheet lines; not
the claims, which availability does not read), loaded straight into moto,
15 minutes each at random free quarters of the month ahead (some 23 a day per specialist).
Then the public slots of the whole month ("any specialist") are read through the local
gateway: the median latency, and the AWS calls of one such request on a warm process: the
rate limit, and one BatchGetItem of the ten specialist-months' claims with the stamp of the
catalog and the staff (read again only when the stamp moved; see the booking directory).
"""

from __future__ import annotations

import base64
import gc
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from moto import mock_aws

from bench.aws_calls import _ENVIRONMENT, CallCounter, _clients_of
from bench.seeding import Loader, staff_world
from lanka_local import moto_patches
from lanka_platform import aws

SPECIALISTS = 10
BOOKINGS = int(os.environ.get("LANKA_BENCH_BOOKINGS", "6000"))
SAMPLES = int(os.environ.get("LANKA_BENCH_SAMPLES", "15"))
KYIV = ZoneInfo("Europe/Kyiv")
# A Monday: the month asked starts the next day.
NOW = datetime(2027, 2, 28, 22, 0, tzinfo=UTC)
FIRST_DAY = "2027-03-01"
DAYS = 31


def _setup(http: Any, headers: dict[str, str]) -> list[str]:
    def post(path: str, body: Any) -> Any:
        response = http.post(f"/api/booking{path}", json=body, headers=headers)
        assert response.status_code == 201, response.get_data()
        return response.get_json()

    post("/services", {
        "key": "consultation", "name": "Консультація", "duration_minutes": 30, "slot_step_minutes": 15,
        "min_notice_minutes": 0, "horizon_days": 90, "required_skills": ["consult"],
    })  # fmt: skip
    hours = {
        "weekly": {
            d: [{"start": "09:00", "end": "18:00"}] for d in ("mon", "tue", "wed", "thu", "fri", "sat")
        }
    }
    return [
        post("/staff", {"name": f"Спеціаліст {n}", "skills": ["consult"], "hours": hours})["id"]
        for n in range(SPECIALISTS)
    ]


def _seed(service: Any, staff: list[str]) -> None:
    from chalicelib.booking.domain.bookings import Booking
    from chalicelib.booking.store import BookingBook
    from chalicelib.booking.store.bookings import sheet_columns

    from lanka_platform.ids import new_id

    store = service.store
    book = BookingBook(store, "Europe/Kyiv")
    load = Loader(store.settings.table_name)
    chance = random.Random(BOOKINGS)
    quarters = []
    for day in range(DAYS):
        date = datetime(2027, 3, 1) + timedelta(days=day)
        if date.weekday() == 6:
            continue
        for quarter in range(36):
            local = (date + timedelta(hours=9, minutes=15 * quarter)).replace(tzinfo=KYIV)
            quarters.extend((member, local.astimezone(UTC)) for member in staff)
    for member, start in chance.sample(quarters, BOOKINGS):
        booking = Booking(
            id=new_id(),
            services=["consultation"],
            service_names=["Консультація"],
            starts_at=start,
            ends_at=start + timedelta(minutes=15),
            staff_id=member,
            staff_name="Спеціаліст",
            group="consultation",
            client_id=new_id(),
            created_at=NOW,
        )
        unit = store.unit_of_work()
        book.add(unit, booking)
        from bench.seeding import Transaction

        transaction = Transaction()
        for operation in unit._operations:
            if operation.kind == "put":
                operation.apply(transaction)
        load(transaction.puts)
    # The month sheets as the book rewrote them, booking after booking (it keeps what it wrote).
    load(
        [
            {
                "pk": {"S": pk},
                "sk": {"S": sk},
                "d": {"S": "\n".join([str(version + 1), *([lines] if lines else [])])},
                "v": {"N": str(version + 1)},
                # moto keeps a binary value as the base64 text of the wire
                "c": {"B": base64.b64encode(sheet_columns(lines.split("\n") if lines else [])).decode()},
            }
            for (pk, sk), (version, lines) in book._read.items()
        ]
    )


def measure() -> dict[str, float]:
    os.environ.update(_ENVIRONMENT)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with moto_patches.installed(), mock_aws():
        http, loaded, users = staff_world([("admin", "admin")])
        token, _ = users["admin"]
        service = loaded["booking"].service
        service.use(clock=lambda: NOW)
        staff = _setup(http, {"Authorization": f"Bearer {token}"})
        gc.disable()
        began = time.perf_counter()
        _seed(service, staff)
        seeded = time.perf_counter() - began
        gc.collect()
        gc.freeze()
        gc.enable()
        path = f"/api/booking/public/slots?services=consultation&from={FIRST_DAY}&days={DAYS}"
        sample = 0

        cpu: list[float] = []

        def slots() -> float:
            nonlocal sample
            sample += 1
            # Each sample from its own address: the per-IP limit is not what is measured.
            environ = {"REMOTE_ADDR": f"10.0.{sample // 250}.{sample % 250}"}
            started, used = time.perf_counter(), time.process_time()
            response = http.get(path, environ_overrides=environ)
            elapsed = time.perf_counter() - started
            cpu.append(time.process_time() - used)
            assert response.status_code == 200, response.get_data()
            offered = sum(len(day["slots"]) for day in response.get_json()["days"])
            assert offered > 0
            return elapsed

        slots()
        counter = CallCounter()
        for client in _clients_of(service):
            counter.hook(client)
        cpu.clear()
        latencies = [slots() for _ in range(SAMPLES)]
        cpu_times = list(cpu)
        with counter.measuring() as calls:
            slots()
    aws.forget_clients()
    gc.unfreeze()
    return {
        "slots_month_ms": round(statistics.median(latencies) * 1000, 1),
        # The CPU time of the same requests (this process: the gateway, the service and
        # moto): what the wall time is made of when the machine is not shared.
        "slots_month_cpu_ms": round(statistics.median(cpu_times) * 1000, 1),
        "slots_month_aws_calls": sum(calls.values()),
        "slots_month_aws_calls.Query": calls["dynamodb.Query"],
        f"slots_month_seed_seconds.{BOOKINGS}": round(seeded, 1),
    }


if __name__ == "__main__":
    for name, value in measure().items():
        print(f"{name:36} {value}")
