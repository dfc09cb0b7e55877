"""Client search as a receptionist uses it, through the gateway: name fragments in either
script, phone digits typed any way, e-mail prefixes, visibility, and one Query a search."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest


def create(world, body, username="olena", role="manager"):
    response = world.http.post("/api/clients/clients", json=body, headers=world.headers(username, role))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def search(world, q, username="olena", role="manager", **params):
    return world.http.get(
        "/api/clients/clients/search", query_string={"q": q, **params}, headers=world.headers(username, role)
    )


def found_ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_a_fragment_in_the_middle_of_a_name_finds_the_client(world):
    # given
    client = create(world, {"name": "Олена Петренко"})
    create(world, {"name": "Ірина Коваль"})
    # when
    response = search(world, "трен")
    # then
    assert found_ids(response) == [client["id"]]


def test_a_match_carries_what_the_receptionist_needs(world):
    # given
    client = create(world, {"name": "Олена Петренко", "phone": "050 123 45 67", "email": "olena@example.com"})
    # when
    response = search(world, "олена")
    # then
    assert response.get_json()["items"] == [
        {
            "id": client["id"],
            "name": "Олена Петренко",
            "kind": "person",
            "phone_hint": "…4567",
            "email_hint": "o…@example.com",
            "owner_id": world.user_id("olena"),
        }
    ]


@pytest.mark.parametrize("query", ["марян", "МАР'ЯН", "мар’ян", "Марʼяна", "МАР`ЯНА"])
def test_search_ignores_case_and_apostrophes(world, query):
    # given
    client = create(world, {"name": "Мар'яна Коваль"})
    # when
    response = search(world, query)
    # then
    assert found_ids(response) == [client["id"]]


def test_a_latin_query_finds_a_cyrillic_name(world):
    # given
    client = create(world, {"name": "Олена Щербак"})
    # when
    response = search(world, "shcherb")
    # then
    assert found_ids(response) == [client["id"]]


def test_a_cyrillic_query_finds_a_name_entered_in_latin(world):
    # given
    client = create(world, {"name": "Olena Petrenko"})
    # when
    response = search(world, "Петренко")
    # then
    assert found_ids(response) == [client["id"]]


def test_the_last_four_digits_of_a_phone_find_the_client(world):
    # given
    client = create(world, {"name": "Олена", "phone": "+380501234567"})
    create(world, {"name": "Ірина", "phone": "+380501230000"})
    # when
    response = search(world, "4567")
    # then
    assert found_ids(response) == [client["id"]]


@pytest.mark.parametrize("typed", ["067 123 45 67", "+38(067)1234567", "380671234567", "0671234567"])
def test_a_whole_number_typed_any_way_finds_the_client(world, typed):
    # given
    client = create(world, {"name": "Олена", "phone": "0671234567"})
    create(world, {"name": "Ірина", "phone": "0501234567"})
    # when
    response = search(world, typed)
    # then
    assert found_ids(response) == [client["id"]]


def test_the_start_of_an_email_finds_the_client(world):
    # given
    client = create(world, {"name": "Олена", "email": "olena.petrenko@example.com"})
    create(world, {"name": "Ірина", "email": "iryna@example.com"})
    # when
    response = search(world, "Olena.P")
    # then
    assert found_ids(response) == [client["id"]]


def test_a_manager_never_finds_another_managers_client(world):
    # given
    mine = create(world, {"name": "Олена Петренко"}, username="olena")
    create(world, {"name": "Олена Петрова"}, username="taras")
    unassigned = create(world, {"name": "Олена Павленко", "owner_id": None}, username="boss", role="head")
    # when
    response = search(world, "олена", username="olena")
    # then
    assert sorted(found_ids(response)) == sorted([mine["id"], unassigned["id"]])


def test_the_head_finds_every_managers_clients(world):
    # given
    ids = {create(world, {"name": "Олена Петренко"}, username="olena")["id"]}
    ids.add(create(world, {"name": "Олена Петрова"}, username="taras")["id"])
    # when
    response = search(world, "олена", username="boss", role="head")
    # then
    assert set(found_ids(response)) == ids


@pytest.mark.parametrize("role", ["measurer", "designer", "production", "installer"])
def test_a_field_role_may_not_search_clients(world, role):
    # given
    create(world, {"name": "Олена Петренко"})
    # when
    response = search(world, "олена", username=f"worker-{role}", role=role)
    # then
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "Петренко" not in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["о", "12", "'я"])
def test_too_short_a_query_is_a_problem_on_q(world, query):
    # when
    response = search(world, query)
    # then
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert [error["field"] for error in response.get_json()["errors"]] == ["q"]


def test_search_returns_at_most_limit_clients_each_once(world):
    # given: "лена" matches each of them through two words
    for number in range(5):
        create(world, {"name": f"Олена Шелена {'абвгд'[number]}"})
    # when
    response = search(world, "лена", limit=3)
    # then
    ids = found_ids(response)
    assert len(ids) == 3
    assert len(set(ids)) == 3


def test_a_limit_above_fifty_is_refused(world):
    # when
    response = search(world, "олена", limit=51)
    # then
    assert response.status_code == 422


def _clients_of(service: Any) -> list[Any]:
    store = service.store
    found = [store.connection.client]
    for model in store._classes.values():
        found.append(model._get_connection().connection.client)
    return found


def test_one_search_is_exactly_one_dynamodb_query(world):
    # given
    create(world, {"name": "Олена Петренко", "phone": "0501234567"})
    create(world, {"name": "Олена Коваль"})
    search(world, "олена")  # every client of the service exists after one round trip
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}.{model.name}"] += 1

    for client in {id(c): c for c in _clients_of(world.services["clients"])}.values():
        client.meta.events.register("before-call", count)
    # when
    response = search(world, "олена")
    # then
    assert len(found_ids(response)) == 2
    # one Query for the search, one GetItem for the caller's access (a deactivated
    # member of staff is refused however valid the token)
    assert calls == Counter({"dynamodb.Query": 1, "dynamodb.GetItem": 1})
