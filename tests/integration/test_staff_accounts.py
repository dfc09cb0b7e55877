"""The admin gives a new member of staff access and changes roles: the user pool holds the
user and its groups, and every change is in the audit trail."""

from __future__ import annotations

from test_client_card import API

NEW = {
    "username": "ivanna",
    "name": "Іванна Замірниця",
    "email": "ivanna@example.com",
    "roles": ["measurer"],
    "password": "Perša-Zmina-2026",
}


def add(world, body, user=("root", "admin")):
    return world.http.post(f"{API}/staff", json=body, headers=world.headers(*user))


def set_roles(world, username, roles, user=("root", "admin")):
    return world.http.put(
        f"{API}/staff/{username}/roles", json={"roles": roles}, headers=world.headers(*user)
    )


def people(world):
    response = world.http.get(
        f"{API}/staff", query_string={"limit": 60}, headers=world.headers("root", "admin")
    )
    return {item["username"]: item for item in response.get_json()["items"]}


def audit_of(world, actor):
    response = world.http.get(
        f"{API}/audit",
        query_string={"actor_id": world.user_id(actor)},
        headers=world.headers("root", "admin"),
    )
    return [(item["action"], item["detail"]) for item in response.get_json()["items"]]


def sign_in(world, password, username="ivanna"):
    return world.http.post("/api/clients/auth/login", json={"username": username, "password": password})


def change_password(world, old, new, username="ivanna"):
    return world.http.post(
        "/api/clients/auth/change-password",
        json={"username": username, "old_password": old, "new_password": new},
    )


OWN = "Vlasnyi-Parol-2027"


def test_an_added_member_of_staff_is_listed_with_the_roles(world):
    # when
    response = add(world, NEW)
    # then
    assert response.status_code == 201, response.get_json()
    assert people(world)["ivanna"]["roles"] == ["measurer"]


def test_a_new_member_of_staff_is_told_to_change_the_first_password_at_sign_in(world):
    # given
    add(world, NEW)
    # when
    response = sign_in(world, NEW["password"])
    # then
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("/password-change-required")
    assert "id_token" not in response.get_json()


def test_a_new_member_of_staff_signs_in_with_his_own_password_after_changing_it(world):
    # given
    add(world, {**NEW, "roles": ["manager"]})
    # when
    changed = change_password(world, NEW["password"], OWN)
    # then
    assert changed.status_code == 200, changed.get_json()
    token = changed.get_json()["id_token"]
    mine = world.http.get(f"{API}/clients", headers={"Authorization": f"Bearer {token}"})
    assert (
        mine.status_code,
        sign_in(world, OWN).status_code,
        sign_in(world, NEW["password"]).status_code,
    ) == (
        200,
        200,
        401,
    )


def test_a_weak_new_password_is_refused_and_the_first_one_stays(world):
    # given
    add(world, NEW)
    # when
    response = change_password(world, NEW["password"], "slabkyi")
    # then
    assert response.status_code == 422
    assert {item["field"] for item in response.get_json()["errors"]} == {"new_password"}
    assert sign_in(world, NEW["password"]).status_code == 403


def test_the_password_is_not_changed_without_the_old_one(world):
    # given
    add(world, NEW)
    # when
    response = change_password(world, "Ne-Toi-Parol-2026", OWN)
    # then
    assert response.status_code == 401
    assert sign_in(world, OWN).status_code == 401


def test_a_member_of_staff_changes_his_own_password_later_too(world):
    # given
    add(world, NEW)
    change_password(world, NEW["password"], OWN)
    # when
    response = change_password(world, OWN, "Shche-Odyn-Parol-2028")
    # then
    assert response.status_code == 200, response.get_json()
    assert (sign_in(world, "Shche-Odyn-Parol-2028").status_code, sign_in(world, OWN).status_code) == (
        200,
        401,
    )


def test_adding_a_member_of_staff_is_audited(world):
    # when
    created = add(world, NEW).get_json()
    # then
    assert ("staff_created", created["user_id"]) in audit_of(world, "root")


def test_a_username_taken_already_is_a_conflict(world):
    # given
    assert add(world, NEW).status_code == 201
    # when
    response = add(world, {**NEW, "name": "Інша Іванна"})
    # then
    assert response.status_code == 409
    assert people(world)["ivanna"]["name"] == "Іванна Замірниця"


def test_a_weak_password_and_an_unknown_role_are_refused_and_nobody_is_added(world):
    # when
    response = add(world, {**NEW, "password": "short", "roles": ["boss"]})
    # then
    assert response.status_code == 422
    assert {item["field"] for item in response.get_json()["errors"]} == {"password", "roles"}
    assert "ivanna" not in people(world)


def test_only_an_admin_adds_members_of_staff(world):
    # when
    response = add(world, NEW, user=("boss", "head"))
    # then
    assert response.status_code == 403
    assert "ivanna" not in people(world)


def test_an_admin_changes_someones_roles(world):
    # given
    world.token("olena", "manager")
    # when
    response = set_roles(world, "olena", ["manager", "designer"])
    # then
    assert response.status_code == 200, response.get_json()
    assert people(world)["olena"]["roles"] == ["designer", "manager"]
    assert ("staff_roles_changed", f"{world.user_id('olena')}:designer,manager") in audit_of(world, "root")


def test_an_admin_cannot_take_the_admin_role_from_himself(world):
    # given
    world.token("root", "admin")
    # when
    response = set_roles(world, "root", ["manager"])
    # then
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "roles"
    assert people(world)["root"]["roles"] == ["admin"]


def test_the_head_may_not_change_roles(world):
    # given
    world.token("olena", "manager")
    # when
    response = set_roles(world, "olena", ["admin"], user=("boss", "head"))
    # then
    assert response.status_code == 403
    assert people(world)["olena"]["roles"] == ["manager"]


def test_no_roles_at_all_is_refused(world):
    # given
    world.token("olena", "manager")
    # when
    response = set_roles(world, "olena", [])
    # then
    assert response.status_code == 422
    assert people(world)["olena"]["roles"] == ["manager"]


def test_roles_of_nobody_are_not_found(world):
    # when
    response = set_roles(world, "ghost", ["manager"])
    # then
    assert response.status_code == 404


def test_a_user_whose_role_could_not_be_given_is_not_left_half_made(world):
    # given the pool lost the group of a role (a failure half way through the adding)
    world.cognito.delete_group(GroupName="measurer", UserPoolId=world.pool_id)
    # when
    response = add(world, NEW)
    # then
    assert response.status_code == 500
    assert "ivanna" not in people(world)
    assert add(world, {**NEW, "roles": ["manager"]}).status_code == 201
