"""The visibility matrix: every clients endpoint, called by every role on a client it may
not see, is refused (403 or 404), reveals nothing, and changes nothing."""

from __future__ import annotations

import json

import pytest
from test_client_card import API, create, get

SECRET = {"name": "Таємна Клієнтка", "phone": "0671234567", "email": "secret@example.com"}
OUTSIDERS = [
    ("taras", "manager"),
    ("petro", "measurer"),
    ("dina", "designer"),
    ("pavlo", "production"),
    ("ivan", "installer"),
]
FIELD = [outsider for outsider in OUTSIDERS if outsider[1] != "manager"]


def client_routes(client_id: str, own_id: str) -> list[tuple[str, str, object]]:
    return [
        ("GET", f"/clients/{client_id}", None),
        ("PATCH", f"/clients/{client_id}", {"version": 1, "name": "Зламано"}),
        ("GET", f"/clients/{client_id}/visit-card", None),
        ("PUT", f"/clients/{client_id}/owner", {"owner_id": None}),
        ("POST", f"/clients/{client_id}/notes", {"text": "чужа нотатка"}),
        ("GET", f"/clients/{client_id}/timeline", None),
        ("PUT", f"/clients/{client_id}/consent", {"granted": True, "source": "x"}),
        ("POST", f"/clients/{client_id}/merge", {"other_id": own_id}),
        ("POST", f"/clients/{own_id}/merge", {"other_id": client_id}),
        ("POST", f"/clients/{client_id}/erase", None),
        ("GET", f"/clients/{client_id}/personal-data", None),
        ("GET", f"/clients/{client_id}/unsubscribe-link", None),
    ]


OFFICE_ONLY = [
    ("POST", "/clients", {"name": "Нова"}),
    ("POST", "/clients/resolve", {"name": "Нова", "phone": "0671234567"}),
    ("GET", "/clients", None),
    ("GET", "/clients/search?q=таємна", None),
    ("GET", "/clients/duplicates", None),
    ("GET", "/custom-fields", None),
    ("PUT", "/custom-fields", {"version": 0, "fields": []}),
    ("GET", "/audit?day=2026-11-27", None),
    ("POST", "/staff/olena/deactivate", {"hand_over_to": None}),
    ("POST", "/exports", {}),
]


def call(world, method, path, body, user, role):
    return world.http.open(f"{API}{path}", method=method, json=body, headers=world.headers(user, role))


@pytest.mark.parametrize(("user", "role"), OUTSIDERS)
def test_nobody_reaches_a_client_he_may_not_see(world, user, role):
    # given
    secret = create(world, SECRET, user="olena")
    own = (
        create(world, {"name": "Своя"}, user=user)
        if role == "manager"
        else {"id": "01NOTMINE0000000000000000"}
    )
    # when
    answers = [
        (method, path, call(world, method, path, body, user, role))
        for method, path, body in client_routes(secret["id"], own["id"])
    ]
    # then
    for method, path, response in answers:
        assert response.status_code in (403, 404), (method, path, response.status_code)
        text = json.dumps(response.get_json(), ensure_ascii=False)
        assert "Таємна" not in text and "671234567" not in text and "secret@" not in text, (method, path)
    world.router.deliver_all()
    unchanged = get(world, f"/clients/{secret['id']}", user="olena").get_json()
    assert unchanged["version"] == 1 and unchanged["name"] == SECRET["name"] and unchanged["owner_id"]
    timeline = get(world, f"/clients/{secret['id']}/timeline", user="olena").get_json()["items"]
    assert [e["event_type"] for e in timeline] == ["ClientCreated"]


@pytest.mark.parametrize(("user", "role"), FIELD)
def test_field_workers_reach_no_office_endpoint(world, user, role):
    # given
    create(world, SECRET, user="olena")
    # when
    answers = [
        (method, path, call(world, method, path, body, user, role)) for method, path, body in OFFICE_ONLY
    ]
    # then
    for method, path, response in answers:
        assert response.status_code == 403, (method, path, response.status_code)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        route
        for route in OFFICE_ONLY
        if route[1].startswith(("/clients/duplicates", "/audit", "/staff", "/exports"))
    ],
)
def test_a_manager_reaches_no_supervisor_endpoint(world, method, path, body):
    # when
    response = call(world, method, path, body, "taras", "manager")
    # then
    assert response.status_code == 403
