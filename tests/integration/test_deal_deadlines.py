"""Deadlines to the minute, with the clock in the test's hand: reminders, the overdue alarm
and its escalation to the head after the grace period, deals stuck past their stage's SLA,
rules that wait for a deal to stay in a stage, and the head's list of everything overdue."""

from __future__ import annotations

from datetime import timedelta

from deal_world import T0, Tap, call, complete, deal, ok, on_clock, sweep


def new_task(world, due_in_minutes, **body):
    payload = {
        "title": "Передзвонити",
        "due_at": (T0 + timedelta(minutes=due_in_minutes)).isoformat(),
        **body,
    }
    return ok(call(world, "POST", "/tasks", json=payload), 201)


def new_deal(world, **fields):
    created = world.http.post("/api/clients/clients", json={"name": "Олена"}, headers=world.headers())
    assert created.status_code == 201
    world.router.deliver_all()
    body = {"client_id": created.get_json()["id"], "title": "Кухня", **fields}
    opened = ok(call(world, "POST", "/deals", json=body), 201)
    world.router.deliver_all()
    return opened


def overdue(world, user="boss", role="head"):
    return ok(call(world, "GET", "/overdue", user, role))["items"]


def about(events, task_id):
    return [event for event in events if event.get("task_id") == task_id]


def test_a_reminder_comes_the_minute_it_is_due_and_not_before(world):
    # given
    clock = on_clock(world)
    tap = Tap()
    task = new_task(world, 30, reminders=[10])
    sweep(world)
    # when
    clock.now = T0 + timedelta(minutes=20, seconds=59)
    sweep(world)
    early = about(tap.events("StaffNotificationRequested"), task["id"])
    clock.now = T0 + timedelta(minutes=21)
    sweep(world)
    # then
    assert early == []
    (reminder,) = about(tap.events("StaffNotificationRequested"), task["id"])
    assert reminder["user_id"] == world.user_id("olena")
    assert "09:30" in reminder["text"]  # the due time in Kyiv


def test_an_overdue_task_tells_its_assignee_and_after_the_grace_period_the_head(world):
    # given
    clock = on_clock(world)
    tap = Tap()
    task = new_task(world, 30)
    sweep(world)
    # when
    clock.now = T0 + timedelta(minutes=30)
    sweep(world)
    on_time = about(tap.events("TaskOverdue"), task["id"])
    clock.now = T0 + timedelta(minutes=31)
    sweep(world)
    listed = [entry["id"] for entry in overdue(world)]
    clock.now = T0 + timedelta(minutes=90)
    sweep(world)
    before_grace = about(tap.events("TaskOverdue"), task["id"])
    clock.now = T0 + timedelta(minutes=91)
    sweep(world)
    # then
    assert on_time == []
    assert listed == [task["id"]]
    assert [(e["assignee_id"], e["escalated"]) for e in before_grace] == [(world.user_id("olena"), False)]
    assert [e["escalated"] for e in about(tap.events("TaskOverdue"), task["id"])] == [False, True]
    (to_head,) = about(tap.events("StaffNotificationRequested"), task["id"])
    assert to_head["role"] == "head"
    assert [(entry["id"], entry["escalated"]) for entry in overdue(world)] == [(task["id"], True)]


def test_a_task_done_in_time_sets_off_nothing(world):
    # given
    clock = on_clock(world)
    tap = Tap()
    task = new_task(world, 30, reminders=[10])
    sweep(world)
    # when
    clock.now = T0 + timedelta(minutes=5)
    complete(world, task["id"], result="Готово")
    for minutes in (21, 31, 91):
        clock.now = T0 + timedelta(minutes=minutes)
        sweep(world)
    # then
    assert about(tap.events("TaskOverdue"), task["id"]) == []
    assert about(tap.events("StaffNotificationRequested"), task["id"]) == []
    assert overdue(world) == []


def test_a_task_done_late_leaves_the_overdue_list_and_is_not_escalated(world):
    # given
    clock = on_clock(world)
    tap = Tap()
    task = new_task(world, 30)
    sweep(world)
    clock.now = T0 + timedelta(minutes=31)
    sweep(world)
    # when
    complete(world, task["id"], result="Із запізненням")
    clock.now = T0 + timedelta(minutes=91)
    sweep(world)
    # then
    assert overdue(world) == []
    assert [e["escalated"] for e in about(tap.events("TaskOverdue"), task["id"])] == [False]


def test_the_grace_period_before_the_head_is_told_is_set_per_pipeline(world):
    # given
    clock = on_clock(world)
    tap = Tap()
    opened = new_deal(world)
    rules = ok(call(world, "GET", "/pipelines/furniture/rules", "root", "admin"))
    rules["escalation_grace_minutes"] = 15
    ok(call(world, "PUT", "/pipelines/furniture/rules", "root", "admin", json=rules))
    task = new_task(world, 30, deal_id=opened["id"])
    sweep(world)
    clock.now = T0 + timedelta(minutes=31)
    sweep(world)
    # when
    clock.now = T0 + timedelta(minutes=46)
    sweep(world)
    # then
    assert [e["escalated"] for e in about(tap.events("TaskOverdue"), task["id"])] == [False, True]


def test_a_sweep_after_a_pause_fires_everything_that_came_due_meanwhile(world):
    # given
    clock = on_clock(world)
    tap = Tap()
    task = new_task(world, 30, reminders=[10])
    sweep(world)
    # when: the schedule did not run for five hours
    clock.now = T0 + timedelta(hours=5)
    sweep(world)
    for _ in range(2):
        clock.advance(minutes=1)  # what falls due during a sweep goes into a minute to come
        sweep(world)
    # then
    assert [e["escalated"] for e in about(tap.events("TaskOverdue"), task["id"])] == [False, True]
    assert len(about(tap.events("StaffNotificationRequested"), task["id"])) == 2  # reminder, head


def test_a_deal_stuck_past_its_stages_sla_escalates_to_the_head_until_it_moves(world):
    # given: "new" has an SLA of 2 hours
    clock = on_clock(world)
    tap = Tap()
    opened = new_deal(world)
    sweep(world)
    # when
    clock.now = T0 + timedelta(hours=2)
    sweep(world)
    in_time = [
        e
        for e in tap.events("StaffNotificationRequested")
        if e["deal_id"] == opened["id"] and not e["task_id"]
    ]
    clock.now = T0 + timedelta(hours=2, minutes=1)
    sweep(world)
    stuck = [entry for entry in overdue(world) if entry["kind"] == "deal"]
    ok(call(world, "POST", f"/deals/{opened['id']}/move", json={"to_stage": "contacted", "version": 1}))
    world.router.deliver_all()
    # then
    assert in_time == []
    (alarm,) = [
        e
        for e in tap.events("StaffNotificationRequested")
        if e["deal_id"] == opened["id"] and not e["task_id"]
    ]
    assert alarm["role"] == "head" and "Нова заявка" in alarm["text"]
    assert [(entry["id"], entry["stage"]) for entry in stuck] == [(opened["id"], "new")]
    assert [entry for entry in overdue(world) if entry["kind"] == "deal"] == []


def test_a_deal_moved_within_its_sla_does_not_escalate(world):
    # given
    clock = on_clock(world)
    tap = Tap()
    opened = new_deal(world)
    sweep(world)
    clock.now = T0 + timedelta(hours=1)
    ok(call(world, "POST", f"/deals/{opened['id']}/move", json={"to_stage": "contacted", "version": 1}))
    world.router.deliver_all()
    # when
    clock.now = T0 + timedelta(hours=3)
    sweep(world)
    # then
    deal_alarms = [e for e in tap.events("StaffNotificationRequested") if not e["task_id"]]
    assert deal_alarms == []
    assert deal(world, opened["id"])["stage"] == "contacted"


def test_a_rule_waiting_for_a_deal_to_stay_in_a_stage_runs_only_if_it_stays(world):
    # given: a deal an hour in "contacted" is handed to the head's attention
    clock = on_clock(world)
    tap = Tap()
    ok(call(world, "GET", "/pipelines"))
    rule = {
        "id": "slow_contact",
        "name": "Година без руху",
        "trigger": {"type": "deal_in_stage_for", "stage": "contacted", "hours": 1},
        "actions": [{"type": "notify", "role": "head", "text": "Угода година без руху"}],
    }
    ok(
        call(
            world, "PUT", "/pipelines/furniture/rules", "root", "admin", json={"version": 1, "rules": [rule]}
        )
    )
    staying = new_deal(world)
    moving = new_deal(world)
    for opened in (staying, moving):
        ok(call(world, "POST", f"/deals/{opened['id']}/move", json={"to_stage": "contacted", "version": 1}))
    world.router.deliver_all()
    sweep(world)
    clock.now = T0 + timedelta(minutes=30)
    ok(call(world, "POST", f"/deals/{moving['id']}/move", json={"to_stage": "measured", "version": 2}))
    world.router.deliver_all()
    # when
    clock.now = T0 + timedelta(hours=1, minutes=1)
    sweep(world)
    # then
    notices = [e for e in tap.events("StaffNotificationRequested") if e["text"] == "Угода година без руху"]
    assert [n["deal_id"] for n in notices] == [staying["id"]]


def test_the_overdue_list_is_for_the_head_and_admin(world):
    # when
    as_manager = call(world, "GET", "/overdue")
    as_admin = call(world, "GET", "/overdue", "root", "admin")
    # then
    assert as_manager.status_code == 403 and as_admin.status_code == 200
