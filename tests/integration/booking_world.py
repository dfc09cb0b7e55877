"""What the booking tests share: a clock the test turns, the furniture company's bookable
services and staff set up through the admin routes, and a tap on the booking events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import boto3

BOOKING = "/api/booking"
KYIV = ZoneInfo("Europe/Kyiv")
# Monday 4 January 2027, 08:00 in Kyiv.
NOW = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def kyiv(day: int, hour: int, minute: int = 0) -> str:
    """An ISO start in January 2027, Kyiv time, as the widget sends it."""
    return datetime(2027, 1, day, hour, minute, tzinfo=KYIV).isoformat()


class Tap:
    """A queue of its own on the bus, fed every event booking publishes."""

    def __init__(self) -> None:
        self.sqs = boto3.client("sqs")
        self.url = self.sqs.create_queue(QueueName="lanka-test-booking-tap")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        bus = boto3.client("events")
        bus.put_rule(
            Name="lanka-test-booking-tap",
            EventBusName="lanka-events",
            EventPattern=json.dumps({"source": ["lanka.booking"]}),
        )
        bus.put_targets(
            Rule="lanka-test-booking-tap", EventBusName="lanka-events", Targets=[{"Id": "tap", "Arn": arn}]
        )
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def events(self, detail_type: str) -> list[dict[str, Any]]:
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages"):
            for message in batch:
                body = json.loads(message["Body"])
                self.seen.append((body["detail-type"], body["detail"]["data"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [data for kind, data in self.seen if kind == detail_type]


class Company:
    """The furniture company's booking set-up, made through the admin routes."""

    def __init__(self, world: Any) -> None:
        self.world = world
        self.clock = Clock(NOW)
        world.services["booking"].use(clock=self.clock)
        self.tap = Tap()
        admin = world.headers("root", "admin")
        self.post("/zones", {"zones": ["centre", "left"], "travel": [
            {"between": ["centre", "left"], "minutes": 45}], "version": 0}, admin, method="PUT")  # fmt: skip
        self.post("/services", {
            "key": "measurement", "name": "Замір", "name_en": "Measurement visit", "duration_minutes": 60,
            "price": {"amount": 0, "currency": "UAH"}, "at_client_address": True, "slot_step_minutes": 60,
            "min_notice_minutes": 120, "horizon_days": 60, "required_skills": ["measure"],
        }, admin)  # fmt: skip
        self.post("/services", {
            "key": "consultation", "name": "Консультація", "duration_minutes": 30, "slot_step_minutes": 30,
            "price": {"amount": 50000, "currency": "UAH"}, "min_notice_minutes": 0,
        }, admin)  # fmt: skip
        hours = {"weekly": {d: [{"start": "09:00", "end": "18:00"}] for d in WEEKDAYS},
                 "breaks": {d: [{"start": "13:00", "end": "14:00"}] for d in WEEKDAYS}}  # fmt: skip
        world.token("petro", "measurer")
        self.ivan = self.post("/staff", {"name": "Іван", "skills": ["measure"], "home_zone": "centre",
                                         "hours": hours}, admin)  # fmt: skip
        self.petro = self.post("/staff", {"name": "Петро", "skills": ["measure"], "home_zone": "left",
                                          "user_id": world.user_id("petro"),
                                          "hours": hours}, admin)  # fmt: skip

    def post(
        self, path: str, body: Any, headers: dict[str, str], method: str = "POST", status: int | None = None
    ) -> Any:
        call = self.world.http.put if method == "PUT" else self.world.http.post
        response = call(f"{BOOKING}{path}", json=body, headers=headers)
        assert response.status_code in ((status,) if status else (200, 201)), response.get_json()
        return response.get_json()

    def book(self, start: str, staff_id: str | None = None, key: str | None = None, **fields: Any) -> Any:
        body = {
            "services": ["measurement"], "start": start, "staff_id": staff_id, "name": "Олена Петренко",
            "phone": "067 123 45 67", "email": "olena@example.com", "address": "Київ, вул. Хрещатик, 1",
            "comment": "Кухня", "consent": True, "website": "", **fields,
        }  # fmt: skip
        headers = {"Idempotency-Key": key} if key else {}
        return self.world.http.post(f"{BOOKING}/public/bookings", json=body, headers=headers)

    def slots(self, day: str = "2027-01-05", days: int = 1, **params: str) -> list[dict[str, Any]]:
        query = "&".join(
            f"{k}={v}"
            for k, v in {"services": "measurement", "from": day, "days": str(days), **params}.items()
        )
        response = self.world.http.get(f"{BOOKING}/public/slots?{query}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["days"]

    def starts(self, day: str = "2027-01-05", **params: str) -> list[str]:
        (only,) = self.slots(day, 1, **params)
        return [slot["start"] for slot in only["slots"]]

    def calendar(self, owner_id: str, day: str = "2027-01-05", days: int = 1) -> list[dict[str, Any]]:
        response = self.world.http.get(
            f"{BOOKING}/calendar?owner_id={owner_id}&from={day}&days={days}",
            headers=self.world.headers("boss", "head"),
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    @staticmethod
    def manage_path(url: str) -> str:
        return "/api/booking" + url.split("/api/booking", 1)[1]
