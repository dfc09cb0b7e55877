"""Merging duplicates, consent and unsubscribe, the personal-data export, and erasure that
leaves nothing personal anywhere."""

from __future__ import annotations

import json

import boto3
from test_client_card import API, create, get, patch, post


def test_the_duplicate_finder_lists_the_same_name_with_a_mistyped_phone(world):
    # given
    first = create(world, {"name": "Олена Петренко", "phone": "0671234567"})
    second = create(world, {"name": "петренко олена", "phone": "0671234576"})
    create(world, {"name": "Олена Петренко", "phone": "0939990000"})  # another Олена
    # when
    response = get(world, "/clients/duplicates", user="boss", role="head")
    # then
    pairs = response.get_json()["items"]
    assert [{p["client_id"], p["other_id"]} for p in pairs] == [{first["id"], second["id"]}]
    assert pairs[0]["reason"] == "same name, similar phone"
    assert get(world, "/clients/duplicates").status_code == 403


def test_a_merge_joins_two_clients_and_everything_points_to_the_survivor(world):
    # given
    survivor = create(world, {"name": "Олена Петренко", "phone": "0671234567", "tags": ["кухня"]})
    other = create(
        world, {"name": "Олена П.", "email": "olena@example.com", "telegram": "@olena_p", "tags": ["шафа"]}
    )
    post(world, f"/clients/{other['id']}/notes", {"text": "заміряти кухню"})
    world.router.deliver_all()
    # when
    response = post(world, f"/clients/{survivor['id']}/merge", {"other_id": other["id"]})
    world.router.deliver_all()
    # then
    merged = response.get_json()
    assert response.status_code == 200, merged
    assert [e["address"] for e in merged["emails"]] == ["olena@example.com"]
    assert merged["telegram"] == "olena_p" and merged["tags"] == ["кухня", "шафа"]
    assert get(world, f"/clients/{other['id']}").get_json()["id"] == survivor["id"]
    duplicate = post(world, "/clients", {"name": "Знову", "email": "olena@example.com"})
    assert duplicate.get_json()["existing_client_id"] == survivor["id"]
    found = get(world, "/clients/search", q="olena@").get_json()["items"]
    assert [m["id"] for m in found] == [survivor["id"]]
    timeline = get(world, f"/clients/{survivor['id']}/timeline").get_json()["items"]
    assert {"ClientMerged", "ClientNoteAdded"} <= {e["event_type"] for e in timeline}
    assert sum(e["event_type"] == "ClientCreated" for e in timeline) == 2
    card = world.http.get(f"/api/deals/clients/{other['id']}", headers=world.headers())
    assert card.get_json()["client_id"] == survivor["id"]


def test_an_event_about_a_merged_client_lands_on_the_survivors_timeline(world):
    # given
    survivor = create(world, {"name": "Олена"})
    other = create(world, {"name": "Олена дубль"})
    post(world, f"/clients/{survivor['id']}/merge", {"other_id": other["id"]})
    # when
    post(world, f"/clients/{other['id']}/notes", {"text": "пізня нотатка"})
    world.router.deliver_all()
    # then
    notes = get(world, f"/clients/{survivor['id']}/timeline", kind="note").get_json()["items"]
    assert [n["detail"]["text"] for n in notes] == ["пізня нотатка"]


def test_a_client_cannot_be_merged_into_itself_or_by_someone_who_cannot_see_both(world):
    # given
    mine = create(world, {"name": "Олена"})
    theirs = create(world, {"name": "Олена"}, user="taras")
    # then
    assert post(world, f"/clients/{mine['id']}/merge", {"other_id": mine["id"]}).status_code == 422
    assert post(world, f"/clients/{mine['id']}/merge", {"other_id": theirs["id"]}).status_code == 404
    assert get(world, f"/clients/{theirs['id']}", user="taras").get_json()["status"] == "active"


def test_consent_is_recorded_and_an_unsubscribe_link_withdraws_it(world):
    # given
    client = create(world, {"name": "Олена", "email": "olena@example.com"})
    given = world.http.put(
        f"{API}/clients/{client['id']}/consent",
        json={"granted": True, "source": "дзвінок"},
        headers=world.headers(),
    )
    link = get(world, f"/clients/{client['id']}/unsubscribe-link").get_json()
    # when
    forged = world.http.post(f"{API}/public/unsubscribe", json={**link, "signature": "A" * 24})
    done = world.http.post(f"{API}/public/unsubscribe", json=link)
    world.router.deliver_all()
    # then
    assert given.get_json()["consent"]["granted"] is True
    assert forged.status_code == 403
    assert done.status_code == 200 and done.get_json() == {"unsubscribed": True}
    consent = get(world, f"/clients/{client['id']}").get_json()["consent"]
    assert consent["granted"] is False and consent["source"] == "unsubscribe link"
    timeline = get(world, f"/clients/{client['id']}/timeline", kind="consent").get_json()["items"]
    assert [e["detail"]["granted"] for e in timeline] == [False, True]


def test_everything_about_a_person_comes_as_one_json_document(world):
    # given
    client = create(world, {"name": "Олена", "phone": "0671234567"})
    post(world, f"/clients/{client['id']}/notes", {"text": "нотатка"})
    world.router.deliver_all()
    get(world, f"/clients/{client['id']}")
    # when
    response = get(world, f"/clients/{client['id']}/personal-data", user="boss", role="head")
    # then
    document = response.get_json()
    assert document["client"]["phones"][0]["number"] == "+380671234567"
    assert {e["event_type"] for e in document["timeline"]} == {"ClientCreated", "ClientNoteAdded"}
    assert [e["action"] for e in document["access_log"]] == ["contacts_read"]
    assert get(world, f"/clients/{client['id']}/personal-data").status_code == 403
    audit = get(world, "/audit", user="root", role="admin", client_id=client["id"]).get_json()["items"]
    assert audit[0]["action"] == "personal_data_exported"


PERSONAL = (
    "Олена Вишневська",
    "Вишневськ",
    "vyshnevsk",
    "671234567",
    "vyshnevska@example.com",
    "olena_vysh",
    "Хрещатик",
)


def _everything_stored(world) -> str:
    """Every item of every service's table, as text."""
    dump = []
    for service in ("clients", "deals", "booking", "notifications"):
        dump += world.items(service)
    return json.dumps(dump, ensure_ascii=False, default=str).casefold()


def test_erasing_a_person_leaves_nothing_personal_in_any_service(world):
    # given: a client with a full history, read, edited and mirrored in deals
    client = create(
        world,
        {
            "name": "Олена Вишневська",
            "phone": "0671234567",
            "email": "vyshnevska@example.com",
            "telegram": "@olena_vysh",
            "addresses": [{"line": "вул. Хрещатик, 1"}],
        },
    )
    response = world.http.post(
        f"{API}/clients",
        json={"name": "Олена Вишневська", "phone": "0671234567"},
        headers=world.headers(**{"Idempotency-Key": "retry-0001"}),
    )
    assert response.status_code == 409
    post(world, f"/clients/{client['id']}/notes", {"text": "Вишневська просила знижку"})
    patch(world, client["id"], {"version": 1, "note": "Вишневська, VIP"})
    world.router.deliver_all()
    assert "вишневськ" in _everything_stored(world)
    # when
    erased = post(world, f"/clients/{client['id']}/erase", None, user="boss", role="head")
    world.router.deliver_all()
    # then
    assert erased.status_code == 200
    stored = _everything_stored(world)
    for fragment in PERSONAL:
        assert fragment.casefold() not in stored, fragment
    assert get(world, f"/clients/{client['id']}").status_code == 404
    assert get(world, "/clients/search", q="вишн").get_json()["items"] == []
    assert post(world, "/clients", {"name": "Нова", "phone": "0671234567"}).status_code == 201
    card = world.http.get(f"/api/deals/clients/{client['id']}", headers=world.headers()).get_json()
    assert card["name"] == "Видалений клієнт"


def test_erasing_also_forgets_the_answers_kept_for_idempotent_retries(world):
    # given
    response = world.http.post(
        f"{API}/clients",
        json={"name": "Олена Вишневська"},
        headers=world.headers(**{"Idempotency-Key": "create-0001"}),
    )
    client = response.get_json()
    # when
    post(world, f"/clients/{client['id']}/erase", None, user="boss", role="head")
    world.router.deliver_all()
    # then
    assert "вишневськ" not in _everything_stored(world)


def test_only_the_head_or_an_admin_erases(world):
    # given
    client = create(world, {"name": "Олена"})
    # then
    assert post(world, f"/clients/{client['id']}/erase", None).status_code == 403
    assert get(world, f"/clients/{client['id']}").status_code == 200


def test_nothing_personal_is_in_an_event_that_other_services_read(world):
    # given
    events = boto3.client("events")
    assert events  # the bus exists
    client = create(world, {"name": "Олена", "phone": "0671234567", "email": "o@example.com"})
    # when
    patch(world, client["id"], {"version": 1, "phones": ["0501112233"]})
    # then: deals sees the name (for its cards), never the contact points
    assert "+380501112233" not in json.dumps(world.items("deals"))
