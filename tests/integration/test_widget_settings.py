"""The sites allowed to embed the widgets, as the admin sets them: https origins only
(plain http for localhost, to try the widgets on one's own machine)."""

from __future__ import annotations

from typing import Any

BOOKING = "/api/booking"


def put(world: Any, *origins: str, user: tuple[str, str] = ("root", "admin")) -> Any:
    return world.http.put(
        f"{BOOKING}/widget-settings",
        json={"allowed_origins": list(origins), "quote_valid_days": 14},
        headers=world.headers(*user),
    )


def saved(world: Any) -> list[str]:
    response = world.http.get(f"{BOOKING}/widget-settings", headers=world.headers("root", "admin"))
    return list(response.get_json()["allowed_origins"])


def test_an_https_site_and_localhost_are_allowed(world):
    # when
    response = put(world, "https://mebli.example.com", "http://localhost:8000")
    # then
    assert response.status_code == 200, response.get_json()
    assert saved(world) == ["https://mebli.example.com", "http://localhost:8000"]


def test_a_plain_http_site_is_refused_and_nothing_is_saved(world):
    # given
    put(world, "https://mebli.example.com")
    # when
    response = put(world, "https://new.example.com", "http://mebli.example.com")
    # then
    assert response.status_code == 422
    assert [item["field"] for item in response.get_json()["errors"]] == ["allowed_origins.1"]
    assert saved(world) == ["https://mebli.example.com"]


def test_a_host_that_only_starts_like_localhost_is_no_localhost(world):
    # when
    response = put(world, "http://localhost.evil.example.com")
    # then
    assert response.status_code == 422
    assert saved(world) == []


def test_only_an_admin_sets_the_allowed_sites(world):
    # when
    response = put(world, "https://mebli.example.com", user=("boss", "head"))
    # then
    assert response.status_code == 403
    assert saved(world) == []
