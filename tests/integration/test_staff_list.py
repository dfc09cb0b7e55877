"""The members of staff as the head and an admin see them: username, roles, still active."""

from __future__ import annotations

from test_client_card import API, get


def staff(world, user=("boss", "head"), **query):
    return world.http.get(f"{API}/staff", query_string=query, headers=world.headers(*user))


def test_the_head_sees_every_member_of_staff_with_their_roles(world):
    # given
    world.token("olena", "manager")
    world.token("petro", "measurer")
    # when
    response = staff(world)
    # then
    assert response.status_code == 200, response.get_json()
    people = {item["username"]: item for item in response.get_json()["items"]}
    assert people["olena"]["roles"] == ["manager"]
    assert people["petro"]["roles"] == ["measurer"]
    assert people["olena"]["user_id"] == world.user_id("olena")
    assert people["olena"]["active"] is True


def test_a_deactivated_member_of_staff_is_listed_as_inactive(world):
    # given
    world.token("olena", "manager")
    world.token("boss", "head")
    world.http.post(
        f"{API}/staff/olena/deactivate", json={"hand_over_to": None}, headers=world.headers("boss", "head")
    )
    # when
    people = {item["username"]: item for item in staff(world).get_json()["items"]}
    # then
    assert people["olena"]["active"] is False
    assert people["boss"]["active"] is True


def test_the_list_comes_in_pages(world):
    # given
    for name in ("a1", "a2", "a3"):
        world.token(name, "installer")
    # when
    first = staff(world, limit=2).get_json()
    second = staff(world, limit=2, cursor=first["next_cursor"]).get_json()
    # then
    assert len(first["items"]) == 2 and first["next_cursor"]
    names = {item["username"] for item in first["items"] + second["items"]}
    assert {"a1", "a2", "a3"} <= names


def test_a_manager_may_not_list_the_staff(world):
    # when
    response = staff(world, user=("olena", "manager"))
    # then
    assert response.status_code == 403
    assert get(world, "/clients", user="olena").status_code == 200


def test_a_cursor_not_of_ours_is_refused(world):
    # when
    response = staff(world, cursor="not-a-cursor")
    # then
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["errors"][0]["field"] == "cursor"
