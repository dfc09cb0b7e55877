"""A manager who leaves: access ends at once everywhere, his clients go to someone else."""

from __future__ import annotations

import pytest
from test_client_card import API, create, get


def deactivate(world, username, hand_over_to, by=("boss", "head")):
    return world.http.post(
        f"{API}/staff/{username}/deactivate", json={"hand_over_to": hand_over_to}, headers=world.headers(*by)
    )


def test_a_deactivated_manager_is_refused_at_once_even_with_a_valid_token(world):
    # given
    create(world, {"name": "Олена"}, user="olena")
    world.token("taras", "manager")
    # when
    response = deactivate(world, "olena", "taras")
    # then
    assert response.status_code == 200, response.get_json()
    refused = get(world, "/clients/search", user="olena", q="олена")
    assert refused.status_code == 401
    assert refused.get_json()["detail"] == "Your access to Lanka has ended."


def test_every_service_refuses_him_once_the_event_is_delivered(world):
    # given
    world.token("olena", "manager")
    world.token("taras", "manager")
    deactivate(world, "olena", "taras")
    # when
    world.router.deliver_all()
    # then
    for path in ("/api/deals/clients/x", "/api/booking/services", "/api/notifications/templates/x"):
        assert world.http.get(path, headers=world.headers("olena", "manager")).status_code == 401, path


def test_his_clients_are_handed_over_and_he_can_no_longer_sign_in(world):
    # given
    clients = [create(world, {"name": f"Клієнт {n}"}, user="olena") for n in range(13)]
    world.token("taras", "manager")
    # when
    deactivate(world, "olena", "taras")
    world.router.deliver_all()
    # then
    listed = get(world, "/clients", user="taras", limit=100).get_json()["items"]
    assert {c["id"] for c in listed} == {c["id"] for c in clients}
    assert all(c["owner_id"] == world.user_id("taras") for c in listed)
    user = world.cognito.admin_get_user(UserPoolId=world.pool_id, Username="olena")
    assert user["Enabled"] is False
    with pytest.raises(world.cognito.exceptions.NotAuthorizedException):
        world.cognito.initiate_auth(
            ClientId=world.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "olena", "PASSWORD": "Secret-Pass-123"},
        )
    timeline = get(world, f"/clients/{clients[0]['id']}/timeline", user="taras").get_json()["items"]
    assert timeline[0]["event_type"] == "ClientOwnerChanged"


def test_only_the_head_or_an_admin_deactivates_and_nobody_deactivates_himself(world):
    # given
    world.token("olena", "manager")
    world.token("boss", "head")
    # then
    assert deactivate(world, "olena", None, by=("taras", "manager")).status_code == 403
    assert deactivate(world, "boss", None).status_code == 403
    assert deactivate(world, "nobody", None).status_code == 404
    assert deactivate(world, "olena", "olena").status_code == 422
    assert get(world, "/clients", user="olena").status_code == 200


def test_his_deals_and_open_tasks_go_to_whoever_takes_over(world):
    # given
    client = create(world, {"name": "Олена"}, user="olena")
    world.router.deliver_all()
    deal = world.http.post(
        "/api/deals/deals", json={"client_id": client["id"], "title": "Кухня"}, headers=world.headers("olena")
    ).get_json()
    task = world.http.post(
        "/api/deals/tasks",
        json={"title": "Передзвонити", "deal_id": deal["id"], "assignee_id": world.user_id("olena")},
        headers=world.headers("olena"),
    )
    assert task.status_code == 201, task.get_json()
    world.token("taras", "manager")
    # when
    deactivate(world, "olena", "taras")
    world.router.deliver_all()
    # then
    deals = world.http.get("/api/deals/deals", headers=world.headers("taras")).get_json()["items"]
    assert [d["id"] for d in deals] == [deal["id"]]
    tasks = world.http.get(
        "/api/deals/tasks/mine", query_string={"view": "open"}, headers=world.headers("taras")
    )
    assert task.get_json()["id"] in [t["id"] for t in tasks.get_json()["items"]]
    left = world.http.get(
        "/api/deals/tasks/mine", query_string={"view": "open"}, headers=world.headers("taras")
    )
    assert all(t["assignee_id"] == world.user_id("taras") for t in left.get_json()["items"])
