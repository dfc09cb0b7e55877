"""A quote keeps the visitor's contact details only until its client is known, or at most
UNLINKED_CONTACT_DAYS when the client never becomes known (the `retention` schedule)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from booking_world import NOW, Clock
from test_price_quotes import save_book, staff_get, submit

PERSONAL = ("093 111 22 33", "marta@example.com", "Марта")


def run_retention() -> dict[str, int]:
    """The booking schedule, run as Lambda would run it."""
    from lanka_local.router import jobs_of
    from lanka_local.services import load

    job = next(job for job in jobs_of({"booking": load("booking")}) if job.name == "retention")
    result: dict[str, int] = job.run_once()
    return result


def submit_unanswered(world):
    """A quote whose request went out (the event came back to booking, which confirms its
    outbox entry) but never became a client (clients did not answer)."""
    receipt = submit(world).get_json()
    world.router.deliver("booking")
    return receipt


def personal_data_in(world) -> list[str]:
    text = str(world.items("booking"))
    return [value for value in PERSONAL if value in text]


@pytest.fixture
def clock(world):
    made = Clock(NOW)
    world.services["booking"].use(clock=made)
    save_book(world)
    return made


def test_an_unlinked_quote_loses_the_contact_details_after_thirty_days(world, clock):
    # given
    receipt = submit_unanswered(world)
    # when
    clock.now += timedelta(days=31)
    result = run_retention()
    # then: nothing personal is left in any item of the table; the quote itself stays
    assert result == {"quotes_forgotten": 1}
    assert personal_data_in(world) == []
    assert staff_get(world, f"/quotes/{receipt['id']}").get_json()["total"] == receipt["breakdown"]["total"]


def test_a_recent_unlinked_quote_keeps_the_contact_details_for_the_office(world, clock):
    # given
    submit_unanswered(world)
    # when
    clock.now += timedelta(days=29)
    result = run_retention()
    # then
    assert result == {"quotes_forgotten": 0}
    assert "093 111 22 33" in personal_data_in(world)


def test_a_quote_linked_to_its_client_is_no_longer_waiting_for_retention(world, clock):
    # given: the client is known, so the quote dropped the contact details
    submit(world)
    world.router.deliver_all()
    # when
    clock.now += timedelta(days=31)
    result = run_retention()
    # then
    assert result == {"quotes_forgotten": 0}
    assert [item for item in world.items("booking") if item["pk"] == "QUOTES#UNLINKED"] == []
