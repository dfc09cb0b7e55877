"""Bookings made at the same instant: whatever the two requests read, at most one of two
visits that cannot both stand commits."""

from __future__ import annotations

import itertools
import threading

import pytest
from booking_world import Company, kyiv


@pytest.fixture
def company(world):
    return Company(world)


class Together:
    """Holds each booking's transaction until both requests have read the calendars: the
    two read the same free day, then write at the same moment (a hook on the booking
    service's DynamoDB client, before TransactWriteItems)."""

    def __init__(self, world) -> None:
        self.arrived = [threading.Event(), threading.Event()]
        self.go = threading.Event()
        self._count = itertools.count()
        self.client = world.services["booking"].store.connection.client
        self.client.meta.events.register("before-call.dynamodb.TransactWriteItems", self._hold)

    def _hold(self, **_: object) -> None:
        number = next(self._count)
        if number < 2:
            self.arrived[number].set()
            self.go.wait(30)

    def run(self, first, second) -> list:
        answers: list = [None, None]

        def call(index: int, request) -> None:
            answers[index] = request()

        threads = [threading.Thread(target=call, args=(i, r)) for i, r in enumerate((first, second))]
        # One request at a time up to its write (Chalice's app serves one current request).
        threads[0].start()
        assert self.arrived[0].wait(60)
        threads[1].start()
        assert self.arrived[1].wait(60)
        self.go.set()
        for thread in threads:
            thread.join(60)
        self.client.meta.events.unregister("before-call.dynamodb.TransactWriteItems", self._hold)
        return answers


def test_two_visits_without_the_travel_time_between_them_booked_at_once_do_not_both_stand(world, company):
    # given: Petro is free; 10:00 on the left bank and 11:00 in the centre are each free,
    # but the 45 minutes between the two zones forbid both
    together = Together(world)
    # when
    answers = together.run(
        lambda: company.book(kyiv(5, 10), company.petro["id"], zone="left"),
        lambda: company.book(kyiv(5, 11), company.petro["id"], zone="centre"),
    )
    # then
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert len(company.calendar(company.petro["id"])) == 1


def test_two_visits_of_different_specialists_booked_at_once_both_stand(world, company):
    # given
    together = Together(world)
    # when
    answers = together.run(
        lambda: company.book(kyiv(5, 10), company.petro["id"], zone="left"),
        lambda: company.book(kyiv(5, 11), company.ivan["id"], zone="centre"),
    )
    # then
    assert [a.status_code for a in answers] == [201, 201]


def test_two_visits_of_one_specialist_on_different_days_booked_at_once_both_stand(world, company):
    # given: both requests read Petro's month before either writes it, so the second
    # write finds the month changed
    together = Together(world)
    # when
    answers = together.run(
        lambda: company.book(kyiv(5, 10), company.petro["id"], zone="left"),
        lambda: company.book(kyiv(8, 10), company.petro["id"], zone="left"),
    )
    # then: the later one ran again from the new month and stands too
    assert [a.status_code for a in answers] == [201, 201], [a.get_json() for a in answers]
    assert len(company.calendar(company.petro["id"], days=7)) == 2
