"""Price books, the public calculator and quotes, through the booking API and real events."""

from __future__ import annotations

import copy
from typing import Any

from lanka_local.demo import PRICE_BOOK
from lanka_platform.contracts.clients import ClientMerged

BOOKING = "/api/booking"
WARDROBE = {
    "item": "wardrobe",
    "inputs": {"width": 2400, "height": 2400, "depth": 600},
    "options": ["mirror"],
}
VISITOR = {"name": "Марта Коваль", "phone": "093 111 22 33", "email": "marta@example.com", "consent": True}


def save_book(
    world: Any, changes: dict[str, Any] | None = None, version: int = 0, role: str = "admin"
) -> Any:
    body = {**copy.deepcopy(PRICE_BOOK), **(changes or {}), "version": version}
    return world.http.put(f"{BOOKING}/price-book", json=body, headers=world.headers("ivan", role))


def submit(world: Any, key: str = "quote-key-0001", **fields: Any) -> Any:
    body = {"lines": [WARDROBE], **VISITOR, **fields}
    return world.http.post(f"{BOOKING}/public/quotes", json=body, headers={"Idempotency-Key": key})


def staff_get(world: Any, path: str, **query: Any) -> Any:
    return world.http.get(f"{BOOKING}{path}", headers=world.headers("boss", "head"), query_string=query)


def deals_of(world: Any) -> list[dict[str, Any]]:
    response = world.http.get(
        "/api/deals/deals", headers=world.headers("boss", "head"), query_string={"owner": "unassigned"}
    )
    return list(response.get_json()["items"])


# --------------------------------------------------------------------------- price books


def test_each_save_of_the_price_book_is_a_new_version(world):
    # given
    assert save_book(world).get_json()["version"] == 1
    # when
    second = save_book(world, {"minimum_order": 0}, version=1)
    # then
    assert second.status_code == 200 and second.get_json()["version"] == 2
    first = staff_get(world, "/price-book/versions/1").get_json()
    assert first["minimum_order"] == PRICE_BOOK["minimum_order"]
    assert staff_get(world, "/price-book").get_json()["minimum_order"] == 0


def test_saving_over_a_stale_version_is_a_conflict(world):
    save_book(world)
    save_book(world, version=1)
    # when someone saves what they read before the second save
    stale = save_book(world, {"rounding": 1}, version=1)
    # then
    assert stale.status_code == 409
    assert staff_get(world, "/price-book").get_json()["rounding"] == PRICE_BOOK["rounding"]


def test_a_manager_may_not_edit_the_price_book(world):
    assert save_book(world, role="manager").status_code == 403


def test_an_inconsistent_price_book_is_refused_with_the_field(world):
    items = copy.deepcopy(PRICE_BOOK["items"])
    items[0]["options"][0]["excludes"] = ["no_such_option"]
    response = save_book(world, {"items": items})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "items.0.options.0"
    assert staff_get(world, "/price-book").status_code == 404


# --------------------------------------------------------------------------- the calculator


def test_the_widget_reads_the_price_book_in_english_without_promo_codes(world):
    save_book(world)
    response = world.http.get(f"{BOOKING}/public/price-book", query_string={"lang": "en"})
    assert response.status_code == 200
    body = response.get_json()
    assert [item["name"] for item in body["items"]] == ["Sliding-door wardrobe", "Kitchen"]
    assert "ZIMA10" not in response.get_data(as_text=True)


def test_calculation_returns_the_breakdown_and_keeps_nothing(world):
    save_book(world)
    before = len(world.items("booking"))
    # when 2.4 × 2.4 m = 5.76 m²: 5800 UAH per m² and a mirror at 950 UAH per m²
    response = world.http.post(f"{BOOKING}/public/quotes/calculate", json={"lines": [WARDROBE]})
    # then
    assert response.status_code == 200
    body = response.get_json()
    assert body["lines"][0]["base"] == 3_340_800
    assert body["lines"][0]["options"] == [{"key": "mirror", "name": "Дзеркальний фасад", "amount": 547_200}]
    assert [fee["key"] for fee in body["fees"]] == ["visit", "delivery"]
    assert body["total"] == 3_340_800 + 547_200 + 30_000 + 80_000 - 0  # 39 980 грн
    assert not [item for item in world.items("booking") if item["pk"].startswith("QUOTE")]
    assert len(world.items("booking")) == before + 1  # the visitor's request count, nothing else


def test_input_beyond_its_limit_is_a_422_with_the_field(world):
    save_book(world)
    line = {**WARDROBE, "inputs": {"width": 9000, "height": 2400}}
    response = world.http.post(f"{BOOKING}/public/quotes/calculate", json={"lines": [line]})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.get_json()["errors"][0]["field"] == "lines.0.inputs.width"


def test_an_expired_promo_code_is_refused_and_nothing_is_stored(world):
    save_book(world)
    response = submit(world, promo_code="LITO2026")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "promo_code"
    assert not [item for item in world.items("booking") if item["pk"].startswith("QUOTE")]


# --------------------------------------------------------------------------- quotes


def test_a_submitted_quote_opens_a_deal_with_its_total_for_a_new_client(world):
    save_book(world)
    # when
    response = submit(world)
    world.router.deliver_all()
    # then
    assert response.status_code == 201
    receipt = response.get_json()
    assert receipt["subject"] == "Шафа-купе 2400×2400×600"
    assert "Марта" not in response.get_data(as_text=True)
    (deal,) = deals_of(world)
    assert (deal["title"], deal["amount"]) == ("Шафа-купе 2400×2400×600", receipt["breakdown"]["total"])
    quote = staff_get(world, f"/quotes/{receipt['id']}").get_json()
    assert quote["client_id"] == deal["client_id"] and quote["deal_id"] == deal["id"]
    assert quote["price_book_version"] == 1
    assert [
        q["id"] for q in staff_get(world, "/quotes", client_id=deal["client_id"]).get_json()["items"]
    ] == [receipt["id"]]
    assert [q["id"] for q in staff_get(world, "/quotes", deal_id=deal["id"]).get_json()["items"]] == [
        receipt["id"]
    ]


def test_a_merged_clients_quotes_move_to_the_survivor(world):
    # given a quote of a client who turns out to be a duplicate
    save_book(world)
    receipt = submit(world).get_json()
    world.router.deliver_all()
    merged = staff_get(world, f"/quotes/{receipt['id']}").get_json()["client_id"]
    # when
    world.publish(ClientMerged(survivor_id="survivor-1", merged_id=merged, name="Марта", client_version=2))
    # then
    assert staff_get(world, f"/quotes/{receipt['id']}").get_json()["client_id"] == "survivor-1"
    assert [q["id"] for q in staff_get(world, "/quotes", client_id="survivor-1").get_json()["items"]] == [
        receipt["id"]
    ]
    assert staff_get(world, "/quotes", client_id=merged).get_json()["items"] == []


def test_the_quote_keeps_no_contact_details_once_the_client_is_known(world):
    save_book(world)
    submit(world)
    world.router.deliver_all()
    quotes = [item for item in world.items("booking") if item["pk"].startswith("QUOTE#")]
    assert quotes and "093" not in str(quotes) and "marta@" not in str(quotes)


def test_a_quote_keeps_the_version_it_was_priced_with(world):
    save_book(world)
    receipt = submit(world).get_json()
    # when the prices change
    save_book(world, {"minimum_order": 0, "rounding": 1}, version=1)
    # then
    quote = staff_get(world, f"/quotes/{receipt['id']}").get_json()
    assert quote["price_book_version"] == 1 and quote["total"] == receipt["breakdown"]["total"]


def test_a_retried_submission_with_the_same_key_makes_one_quote(world):
    save_book(world)
    first = submit(world).get_json()
    again = submit(world)
    world.router.deliver_all()
    assert again.get_json()["id"] == first["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(deals_of(world)) == 1


def test_a_filled_honeypot_is_answered_like_a_success_but_keeps_nothing(world):
    save_book(world)
    response = submit(world, website="http://spam.example.com")
    world.router.deliver_all()
    assert response.status_code == 201
    assert not [item for item in world.items("booking") if item["pk"].startswith("QUOTE")]
    assert deals_of(world) == []


def test_a_submission_without_consent_is_refused(world):
    save_book(world)
    response = submit(world, consent=False)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "consent"


def test_the_client_accepts_through_the_signed_link_and_the_quote_is_locked(world):
    save_book(world)
    receipt = submit(world).get_json()
    world.router.deliver_all()
    # when
    accepted = world.http.post(receipt["accept_path"])
    world.router.deliver_all()
    # then
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"
    quote = staff_get(world, f"/quotes/{receipt['id']}").get_json()
    assert quote["accepted_by"] == "client"
    edit = world.http.put(
        f"{BOOKING}/quotes/{receipt['id']}",
        json={"calculation": {"lines": [WARDROBE]}},
        headers=world.headers("boss", "head"),
    )
    assert edit.status_code == 409
    assert world.http.post(receipt["accept_path"]).status_code == 409


def test_a_tampered_accept_link_is_refused(world):
    save_book(world)
    receipt = submit(world).get_json()
    world.router.deliver_all()
    response = world.http.post(receipt["accept_path"][:-3] + "AAA")
    assert response.status_code == 403
    assert staff_get(world, f"/quotes/{receipt['id']}").get_json()["status"] == "open"


def test_staff_accept_announces_quote_accepted(world):
    save_book(world)
    receipt = submit(world).get_json()
    world.router.deliver_all()
    accepted = world.http.post(
        f"{BOOKING}/quotes/{receipt['id']}/accept", headers=world.headers("olena", "manager")
    )
    # then the event waits in the outbox until the bus delivers it back
    assert accepted.status_code == 200
    (event,) = [item for item in world.items("booking") if item["pk"] == "OUTBOX"]
    assert event["detail_type"] == "QuoteAccepted"
    assert f'"quote_id": "{receipt["id"]}"' in event["detail"] or receipt["id"] in event["detail"]


def test_staff_reprice_an_open_quote_with_the_current_price_book(world):
    save_book(world)
    receipt = submit(world).get_json()
    world.router.deliver_all()
    response = world.http.put(
        f"{BOOKING}/quotes/{receipt['id']}",
        json={"calculation": {"lines": [{**WARDROBE, "options": []}]}},
        headers=world.headers("boss", "head"),
    )
    assert response.status_code == 200
    assert response.get_json()["total"] < receipt["breakdown"]["total"]


# --------------------------------------------------------------------------- CORS


def set_origins(world: Any, *origins: str) -> Any:
    return world.http.put(
        f"{BOOKING}/widget-settings",
        json={"allowed_origins": list(origins), "quote_valid_days": 14},
        headers=world.headers("root", "admin"),
    )


def test_an_allowed_origin_gets_cors_headers(world):
    save_book(world)
    set_origins(world, "https://mebli.example.com")
    response = world.http.get(f"{BOOKING}/public/price-book", headers={"Origin": "https://mebli.example.com"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://mebli.example.com"
    assert response.headers["Vary"] == "Origin"


def test_another_origin_gets_no_cors_headers(world):
    save_book(world)
    set_origins(world, "https://mebli.example.com")
    response = world.http.get(f"{BOOKING}/public/price-book", headers={"Origin": "https://evil.example.com"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_of_an_allowed_origin_names_the_methods_and_headers(world):
    set_origins(world, "https://mebli.example.com")
    response = world.http.options(
        f"{BOOKING}/public/quotes",
        headers={"Origin": "https://mebli.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://mebli.example.com"
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]


def test_preflight_of_another_origin_is_not_allowed(world):
    set_origins(world, "https://mebli.example.com")
    response = world.http.options(f"{BOOKING}/public/quotes", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_errors_of_public_routes_carry_cors_headers_too(world):
    set_origins(world, "https://mebli.example.com")
    response = world.http.post(
        f"{BOOKING}/public/quotes/calculate",
        json={"lines": []},
        headers={"Origin": "https://mebli.example.com"},
    )
    assert response.status_code in (404, 422)
    assert response.headers["Access-Control-Allow-Origin"] == "https://mebli.example.com"


def test_staff_routes_never_answer_cors(world):
    set_origins(world, "https://mebli.example.com")
    response = world.http.get(
        f"{BOOKING}/widget-settings",
        headers=world.headers("root", "admin", Origin="https://mebli.example.com"),
    )
    assert "Access-Control-Allow-Origin" not in response.headers


def test_an_origin_that_is_not_an_origin_is_refused(world):
    response = set_origins(world, "https://mebli.example.com/path")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "allowed_origins.0"
