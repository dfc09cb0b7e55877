"""Every staff endpoint needs a valid token of the user pool, and roles decide the rest."""

from __future__ import annotations

import time

import jwt

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
    signed_in = world.http.post("/api/auth/login", json={"username": "olena", "password": "Secret-Pass-123"})
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
    response = world.http.post("/api/auth/login", json={"username": "olena", "password": "wrong-password"})
    # then
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
