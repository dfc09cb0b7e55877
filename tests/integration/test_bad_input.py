"""Bad input gets a clear 4xx problem+json and writes nothing."""

from __future__ import annotations

import json

import pytest


def client_items(world):
    return [item for item in world.items("clients") if item["pk"] != "IDEMPOTENCY"]


def post_raw(world, body: bytes, content_type: str = "application/json"):
    headers = world.headers(**{"Content-Type": content_type})
    return world.http.post("/api/clients/clients", data=body, headers=headers)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b'{"name": "Olena", ', 400, None),
        (b"not json at all", 400, None),
        (json.dumps({"name": 42}).encode(), 422, "name"),
        (json.dumps({"name": "Olena", "phone": "12"}).encode(), 422, "phone"),
        (json.dumps({"name": "Olena", "phone": "+380 00 000 0000"}).encode(), 422, "phone"),
        (json.dumps({"name": "Olena", "email": "olena@"}).encode(), 422, "email"),
        (json.dumps({"name": "Olena", "favourite_colour": "blue"}).encode(), 422, "favourite_colour"),
        (json.dumps({"phone": "0501234567"}).encode(), 422, "name"),
        (json.dumps({"name": ""}).encode(), 422, "name"),
        (json.dumps(["Olena"]).encode(), 422, None),
        (b"", 422, None),
    ],
    ids=[
        "truncated-json",
        "not-json",
        "wrong-type",
        "short-phone",
        "impossible-phone",
        "bad-email",
        "unknown-field",
        "missing-name",
        "empty-name",
        "array-body",
        "empty-body",
    ],
)
def test_bad_client_is_refused_with_a_problem_and_nothing_written(world, body, status, field):
    # when
    response = post_raw(world, body)
    # then
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status
    assert problem["title"]
    if field is not None:
        assert field in [error["field"] for error in problem["errors"]]
    assert client_items(world) == []
    assert world.router.deliver_all() == 0


def test_oversized_body_is_refused(world):
    # given
    body = json.dumps({"name": "O" * 300_000}).encode()
    # when
    response = post_raw(world, body)
    # then
    assert response.status_code == 413
    assert response.get_json()["status"] == 413
    assert client_items(world) == []


def test_body_that_is_not_json_by_content_type_is_refused(world):
    # when
    response = post_raw(world, b"name=Olena", content_type="application/x-www-form-urlencoded")
    # then
    assert response.status_code == 415
    assert response.headers["Content-Type"] == "application/problem+json"
    assert client_items(world) == []


def test_unknown_path_is_a_problem(world):
    # when
    response = world.http.get("/api/clients/nothing-here", headers=world.headers())
    # then
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"


def test_wrong_method_is_a_problem(world):
    # when
    response = world.http.delete("/api/clients/clients", headers=world.headers())
    # then
    assert response.status_code == 405
    assert response.get_json()["status"] == 405


def test_tampered_cursor_is_a_bad_request(world):
    # when
    response = world.http.get("/api/booking/services?cursor=eyJway.AAAA", headers=world.headers())
    # then
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "cursor"
