"""Every staff endpoint needs a valid token of the user pool, and roles decide the rest."""

from __future__ import annotations

import time

import jwt
from deal_world import T0, Clock

SIGN_IN = "/api/clients/auth/login"
OLENA = {"name": "Олена Петренко", "phone": "0501234567"}


def test_no_token_is_401(world):
    # when
    response = world.http.post("/api/clients/clients", json=OLENA)
    # then
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    assert world.items("clients") == []


def test_forged_token_is_401(world):
    # given: a token with the right claims, signed by someone else's key
    genuine = jwt.decode(world.token("olena", "manager"), options={"verify_signature": False})
    forged = jwt.encode({**genuine, "cognito:groups": ["admin"]}, "not-the-pool-key", algorithm="HS256")
    # when
    response = world.http.get("/api/clients/clients/x", headers={"Authorization": f"Bearer {forged}"})
    # then
    assert response.status_code == 401


def test_access_token_instead_of_id_token_is_401(world):
    # given
    world.token("olena", "manager")
    access = world.cognito.initiate_auth(
        ClientId=world.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "olena", "PASSWORD": "Secret-Pass-123"},
    )["AuthenticationResult"]["AccessToken"]
    # when
    response = world.http.get("/api/clients/clients/x", headers={"Authorization": access})
    # then
    assert response.status_code == 401


def test_field_worker_cannot_create_clients(world):
    # when
    response = world.http.post("/api/clients/clients", json=OLENA, headers=world.headers("ivan", "measurer"))
    # then
    assert response.status_code == 403
    assert world.items("clients") == []


def test_manager_does_not_see_another_managers_client(world):
    # given
    client_id = world.http.post("/api/clients/clients", json=OLENA, headers=world.headers()).get_json()["id"]
    # when
    response = world.http.get(f"/api/clients/clients/{client_id}", headers=world.headers("andriy", "manager"))
    # then
    assert response.status_code == 404


def test_head_sees_every_client(world):
    # given
    client_id = world.http.post("/api/clients/clients", json=OLENA, headers=world.headers()).get_json()["id"]
    # when
    response = world.http.get(f"/api/clients/clients/{client_id}", headers=world.headers("boss", "head"))
    # then
    assert response.status_code == 200


def test_manager_cannot_give_a_client_to_someone_else(world):
    # when
    response = world.http.post(
        "/api/clients/clients", json={**OLENA, "owner_id": "someone"}, headers=world.headers()
    )
    # then
    assert response.status_code == 403


def test_head_can_create_a_client_for_a_manager(world):
    # when
    response = world.http.post(
        "/api/clients/clients", json={**OLENA, "owner_id": "manager-7"}, headers=world.headers("boss", "head")
    )
    # then
    assert response.status_code == 201
    assert response.get_json()["owner_id"] == "manager-7"


def test_staff_sign_in_returns_a_token_the_gateway_accepts(world):
    # given
    world.token("olena", "manager")
    # when
    signed_in = world.http.post(SIGN_IN, json={"username": "olena", "password": "Secret-Pass-123"})
    # then
    assert signed_in.status_code == 200
    token = signed_in.get_json()["id_token"]
    health = world.http.post("/api/clients/clients", json=OLENA, headers={"Authorization": f"Bearer {token}"})
    assert health.status_code == 201


def test_wrong_password_is_401(world):
    # given
    world.token("olena", "manager")
    time.sleep(0)
    # when
    response = world.http.post(SIGN_IN, json={"username": "olena", "password": "wrong-password"})
    # then
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"


def test_an_unknown_user_is_answered_as_a_wrong_password(world):
    # given no user "nobody"
    # when
    response = world.http.post(SIGN_IN, json={"username": "nobody", "password": "Secret-Pass-123"})
    # then
    assert response.status_code == 401
    assert response.get_json()["detail"] == "Wrong username or password."


def test_guessing_one_users_password_is_stopped_after_five_tries_a_minute(world):
    # given a clock that stays in one minute
    world.services["clients"].use(clock=Clock(T0))
    world.token("olena", "manager")
    guesses = [
        world.http.post(SIGN_IN, json={"username": "olena", "password": f"guess-{n}"}).status_code
        for n in range(5)
    ]
    # when the right password comes sixth, in the same minute
    response = world.http.post(SIGN_IN, json={"username": "Olena", "password": "Secret-Pass-123"})
    # then
    assert guesses == [401] * 5
    assert response.status_code == 429
    assert response.headers["Content-Type"] == "application/problem+json"


def test_successful_sign_ins_are_not_limited(world):
    # given a clock that stays in one minute
    world.services["clients"].use(clock=Clock(T0))
    world.token("olena", "manager")
    # when the office signs in many times from one address
    answers = [
        world.http.post(SIGN_IN, json={"username": "olena", "password": "Secret-Pass-123"}).status_code
        for _ in range(25)
    ]
    # then
    assert answers == [200] * 25


def test_a_sign_in_without_a_password_is_422(world):
    # when
    response = world.http.post(SIGN_IN, json={"username": "olena"})
    # then
    assert response.status_code == 422
