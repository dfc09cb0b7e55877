"""Tasks through the API: set one for a deal, my tasks today and overdue (company time),
a role's queue and taking from it, completing (which can move the deal), and what field
workers may see."""

from __future__ import annotations

from datetime import timedelta

from deal_world import T0, Tap, call, complete, deal, deal_tasks, due, mine, ok, on_clock, queue, take


def client(world, name="Олена Петренко"):
    response = world.http.post(
        "/api/clients/clients", json={"name": name, "phone": "0671234567"}, headers=world.headers()
    )
    assert response.status_code == 201, response.get_json()
    world.router.deliver_all()
    return response.get_json()


def new_deal(world, client_id, **fields):
    return ok(call(world, "POST", "/deals", json={"client_id": client_id, "title": "Кухня", **fields}), 201)


def new_task(world, user="olena", role="manager", status=201, **body):
    response = call(world, "POST", "/tasks", user, role, json={"title": "Передзвонити", **body})
    assert response.status_code == status, response.get_json()
    return response.get_json()


def ids(tasks):
    return [task["id"] for task in tasks]


def test_a_manager_sets_a_task_on_his_deal_and_finds_it_in_his_tasks_for_today(world):
    # given
    on_clock(world)
    opened = new_deal(world, client(world)["id"])
    # when
    task = new_task(world, deal_id=opened["id"], due_at=(T0 + timedelta(hours=3, seconds=42)).isoformat())
    # then
    assert task["due_at"] == due(T0 + timedelta(hours=3))
    assert (task["assignee_id"], task["client_id"], task["status"]) == (
        world.user_id("olena"),
        opened["client_id"],
        "open",
    )
    assert task["id"] in ids(mine(world, view="today"))
    assert task["id"] not in ids(mine(world, view="overdue"))
    assert task["id"] in ids(deal_tasks(world, opened["id"]))


def test_today_is_the_company_day_in_kyiv(world):
    # given: 23:59 and 00:00 in Kyiv (UTC+2 in March)
    on_clock(world)
    tonight = new_task(world, due_at="2027-03-01T21:59:00Z")
    tomorrow = new_task(world, due_at="2027-03-01T22:00:00Z")
    undated = new_task(world)
    # when
    today = ids(mine(world, view="today"))
    everything = ids(mine(world))
    # then
    assert today == [tonight["id"]]
    assert everything == [tonight["id"], tomorrow["id"], undated["id"]]


def test_a_task_past_its_due_time_is_in_overdue_until_it_is_done(world):
    # given
    clock = on_clock(world)
    task = new_task(world, due_at=(T0 + timedelta(minutes=30)).isoformat())
    # when
    clock.advance(minutes=31)
    overdue = ids(mine(world, view="overdue"))
    complete(world, task["id"], result="Передзвонила")
    # then
    assert overdue == [task["id"]]
    assert mine(world, view="overdue") == []
    assert ok(call(world, "GET", f"/tasks/{task['id']}"))["result"] == "Передзвонила"


def test_a_role_task_waits_in_the_queue_until_a_member_of_the_role_takes_it(world):
    # given
    on_clock(world)
    tap = Tap()
    opened = new_deal(world, client(world)["id"])
    task = new_task(world, deal_id=opened["id"], assignee_role="measurer", title="Замір")
    waiting = [ids(queue(world, "measurer", "petro")), ids(queue(world, "measurer", "ivan"))]
    # when
    taken = take(world, task["id"], "petro", "measurer")
    again = call(world, "POST", f"/tasks/{task['id']}/take", "ivan", "measurer")
    # then
    assert waiting == [[task["id"]], [task["id"]]]
    assert taken["assignee_id"] == world.user_id("petro")
    assert again.status_code == 409
    assert queue(world, "measurer", "petro") == []
    assert ids(mine(world, "petro", "measurer")) == [task["id"]]
    assert tap.events("FieldJobAssigned") == [
        {
            "job_id": task["id"],
            "client_id": opened["client_id"],
            "assignee_id": world.user_id("petro"),
            "role": "measurer",
        }
    ]


def test_a_field_worker_sees_and_completes_only_his_own_tasks(world):
    # given
    on_clock(world)
    office = new_task(world, title="Офісна задача")
    designers = new_task(world, assignee_role="designer", title="Прорахунок")
    # when
    seen = call(world, "GET", f"/tasks/{office['id']}", "petro", "measurer")
    completed = call(world, "POST", f"/tasks/{office['id']}/complete", "petro", "measurer", json={})
    other_queue = call(world, "GET", "/tasks/queue", "petro", "measurer", query_string={"role": "designer"})
    created = call(world, "POST", "/tasks", "petro", "measurer", json={"title": "Сам собі"})
    # then
    assert seen.status_code == 404 and completed.status_code == 404
    assert other_queue.status_code == 403 and created.status_code == 403
    assert ids(queue(world, "designer", "dasha")) == [designers["id"]]
    assert (
        call(world, "POST", f"/tasks/{designers['id']}/complete", "dasha", "designer", json={}).status_code
        == 403
    )


def test_completing_a_task_can_move_its_deal(world):
    # given
    on_clock(world)
    tap = Tap()
    opened = new_deal(world, client(world)["id"])
    task = new_task(world, deal_id=opened["id"], kind="first_call")
    # when
    done = complete(world, task["id"], result="Домовились про замір", move_to="contacted")
    # then
    assert (done["status"], done["completed_by"]) == ("done", world.user_id("olena"))
    assert deal(world, opened["id"])["stage"] == "contacted"
    (event,) = [e for e in tap.events("TaskCompleted") if e["task_id"] == task["id"]]
    assert (event["kind"], event["result"]) == ("first_call", "Домовились про замір")


def test_a_move_the_deal_refuses_leaves_the_task_open(world):
    # given
    on_clock(world)
    opened = new_deal(world, client(world)["id"])
    task = new_task(world, deal_id=opened["id"])
    # when
    response = call(world, "POST", f"/tasks/{task['id']}/complete", json={"move_to": "nowhere"})
    # then
    assert response.status_code == 422
    assert ok(call(world, "GET", f"/tasks/{task['id']}"))["status"] == "open"


def test_a_task_is_completed_once(world):
    # given
    on_clock(world)
    task = new_task(world)
    complete(world, task["id"])
    # when
    again = call(world, "POST", f"/tasks/{task['id']}/complete", json={})
    # then
    assert again.status_code == 409


def test_a_field_job_closes_when_the_worker_is_done(world):
    # given
    on_clock(world)
    tap = Tap()
    opened = new_deal(world, client(world)["id"])
    task = new_task(world, deal_id=opened["id"], assignee_role="installer", title="Монтаж")
    take(world, task["id"], "mykola", "installer")
    # when
    complete(world, task["id"], "mykola", "installer", result="Встановлено")
    # then
    assert tap.events("FieldJobClosed") == [
        {"job_id": task["id"], "client_id": opened["client_id"], "assignee_id": world.user_id("mykola")}
    ]
    assert mine(world, "mykola", "installer") == []


def test_a_manager_cannot_set_a_task_on_another_managers_deal(world):
    # given
    on_clock(world)
    theirs = new_deal(world, client(world)["id"])
    # when
    response = call(
        world, "POST", "/tasks", "taras", "manager", json={"title": "Чуже", "deal_id": theirs["id"]}
    )
    # then
    assert response.status_code == 404


def test_reminders_without_a_due_time_are_refused(world):
    # when
    response = call(world, "POST", "/tasks", json={"title": "Без строку", "reminders": [10]})
    # then
    assert response.status_code == 422
