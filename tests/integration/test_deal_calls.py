"""The call log: calls logged by hand and reported by telephony go on the client's deal as
`CallLogged`; a missed incoming call becomes a call-back task for the client's manager."""

from __future__ import annotations

from datetime import timedelta

from deal_world import T0, Tap, due, mine, on_clock
from document_world import ADMIN, api, ok, priced_deal

from lanka_platform.contracts.notifications import CallReceived


def test_a_call_logged_by_hand_is_on_the_deal_and_announced(world):
    # given
    tap = Tap()
    deal = priced_deal(world, 10_000)
    # when
    logged = ok(
        api(
            world,
            "POST",
            f"/deals/{deal['id']}/calls",
            json={"direction": "out", "duration_seconds": 95, "result": "Домовились про замір"},
        ),
        201,
    )
    world.router.deliver_all()
    # then
    (listed,) = ok(api(world, "GET", f"/deals/{deal['id']}/calls"))["items"]
    assert (listed["id"], listed["duration_seconds"], listed["user_id"]) == (
        logged["id"],
        95,
        world.user_id("olena"),
    )
    (announced,) = tap.events("CallLogged")
    assert (announced["call_id"], announced["deal_id"], announced["direction"]) == (
        logged["id"],
        deal["id"],
        "out",
    )


def test_a_call_with_a_bad_direction_is_refused(world):
    deal = priced_deal(world, 10_000)
    refused = api(world, "POST", f"/deals/{deal['id']}/calls", json={"direction": "sideways"})
    assert refused.status_code == 422 and refused.content_type == "application/problem+json"


def test_a_missed_call_goes_on_the_newest_open_deal_and_asks_the_manager_to_call_back(world):
    # given
    on_clock(world, T0)
    deal = priced_deal(world, 10_000)
    # when
    world.publish(
        CallReceived(
            call_id="pbx-1", client_id=deal["client_id"], direction="in", answered=False, started_at=T0
        )
    )
    # then
    (call,) = ok(api(world, "GET", f"/deals/{deal['id']}/calls"))["items"]
    assert (call["id"], call["source"], call["answered"]) == ("pbx-1", "telephony", False)
    (task,) = [task for task in mine(world) if task["kind"] == "call_back"]
    assert (task["deal_id"], task["due_at"]) == (deal["id"], due(T0 + timedelta(minutes=15)))
    assert task["id"] == call["callback_task_id"]


def test_the_call_back_deadline_is_configurable(world):
    # given
    on_clock(world, T0)
    deal = priced_deal(world, 10_000)
    ok(api(world, "PUT", "/settings/calls", *ADMIN, json={"callback_minutes": 5}))
    # when
    world.publish(
        CallReceived(
            call_id="pbx-2", client_id=deal["client_id"], direction="in", answered=False, started_at=T0
        )
    )
    # then
    (task,) = [task for task in mine(world) if task["kind"] == "call_back"]
    assert task["due_at"] == due(T0 + timedelta(minutes=5))


def test_a_call_reported_twice_is_one_call_and_an_answered_one_makes_no_task(world):
    # given
    tap = Tap()
    deal = priced_deal(world, 10_000)
    answered = CallReceived(
        call_id="pbx-3",
        client_id=deal["client_id"],
        direction="in",
        answered=True,
        duration_seconds=40,
        started_at=T0,
    )
    # when
    world.publish(answered)
    world.publish(answered)
    # then
    assert len(ok(api(world, "GET", f"/deals/{deal['id']}/calls"))["items"]) == 1
    assert [c["call_id"] for c in tap.events("CallLogged")] == ["pbx-3"]
    assert [task for task in mine(world) if task["kind"] == "call_back"] == []
