"""The client card through the API: full fields, no duplicates, edits, custom fields,
lists, notes and the timeline, reassigning, audit, field workers' visit cards."""

from __future__ import annotations

import json

import boto3
import pytest

API = "/api/clients"

FULL = {
    "name": "ТОВ Дубовий Двір",
    "kind": "company",
    "phones": [{"number": "044 123 45 67", "label": "office"}, "067 765 43 21"],
    "emails": [{"address": "Office@Dub.UA", "label": "work"}],
    "telegram": "@DubDvir",
    "viber": "AbCdEf123456=",
    "addresses": [
        {"label": "object", "line": "вул. Січових Стрільців, 12", "city": "Київ", "note": "під'їзд 2"}
    ],
    "contacts": [{"name": "Ігор Бондар", "position": "директор", "phones": ["050 111 22 33"]}],
    "source_channel": "website",
    "tags": ["VIP", "кухня", "vip"],
    "note": "Дзвонити після 10:00",
}


def post(world, path, body, user="olena", role="manager", **headers):
    return world.http.post(f"{API}{path}", json=body, headers=world.headers(user, role, **headers))


def create(world, body, user="olena", role="manager"):
    response = post(world, "/clients", body, user, role)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def get(world, path, user="olena", role="manager", **query):
    return world.http.get(f"{API}{path}", query_string=query, headers=world.headers(user, role))


def patch(world, client_id, body, user="olena", role="manager"):
    return world.http.patch(f"{API}/clients/{client_id}", json=body, headers=world.headers(user, role))


def test_a_company_with_every_field_is_stored_in_canonical_form(world):
    # when
    client = create(world, FULL)
    # then
    read = get(world, f"/clients/{client['id']}").get_json()
    assert read["phones"] == [
        {"number": "+380441234567", "label": "office"},
        {"number": "+380677654321", "label": "mobile"},
    ]
    assert read["emails"] == [{"address": "office@dub.ua", "label": "work"}]
    assert read["telegram"] == "dubdvir"
    assert read["viber"] == "AbCdEf123456="
    assert read["addresses"][0]["city"] == "Київ"
    assert read["contacts"][0]["phones"] == [{"number": "+380501112233", "label": "mobile"}]
    assert read["tags"] == ["VIP", "кухня"]
    assert read["version"] == 1


@pytest.mark.parametrize("typed", ["067 123 45 67", "+38(067)1234567", "380671234567", "0671234567"])
def test_one_number_typed_any_way_is_one_client(world, typed):
    # given
    first = create(world, {"name": "Олена", "phone": "0671234567"})
    # when
    response = post(world, "/clients", {"name": "Хтось інший", "phones": [typed]})
    # then
    assert response.status_code == 409
    assert response.get_json()["existing_client_id"] == first["id"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("telegram", "t.me/DubDvir"), ("viber", "AbCdEf123456="), ("emails", ["OFFICE@dub.ua"])],
)
def test_a_messenger_id_or_email_of_a_client_cannot_make_a_second_one(world, field, value):
    # given
    first = create(world, FULL)
    # when
    response = post(world, "/clients", {"name": "Дубль", field: value})
    # then
    assert response.status_code == 409
    assert response.get_json()["existing_client_id"] == first["id"]


def test_a_contact_persons_phone_belongs_to_the_company(world):
    # given
    company = create(world, FULL)
    # when
    response = post(world, "/clients", {"name": "Ігор Бондар", "phone": "+380501112233"})
    # then
    assert response.get_json()["existing_client_id"] == company["id"]


def test_a_request_with_a_known_phone_links_to_the_client_and_adds_its_new_email(world):
    # given
    client = create(world, {"name": "Олена", "phone": "0671234567"})
    # when
    response = post(
        world, "/clients/resolve", {"name": "Олена П.", "phone": "+38 067 123 45 67", "email": "o@x.ua"}
    )
    # then
    body = response.get_json()
    assert response.status_code == 200
    assert body["created"] is False
    assert body["client_id"] == client["id"]
    assert [e["address"] for e in body["client"]["emails"]] == ["o@x.ua"]
    assert post(world, "/clients", {"name": "Ще", "email": "o@x.ua"}).status_code == 409


def test_a_request_with_unknown_contacts_creates_a_client(world):
    # when
    response = post(world, "/clients/resolve", {"name": "Нова", "phone": "0931112233"})
    # then
    assert response.get_json()["created"] is True


def test_an_edit_replaces_the_name_in_search_and_frees_the_old_phone(world):
    # given
    client = create(world, {"name": "Олена Петренко", "phone": "0671234567"})
    # when
    response = patch(world, client["id"], {"version": 1, "name": "Олена Коваль", "phones": ["0509998877"]})
    # then
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["version"] == 2
    assert [m["id"] for m in get(world, "/clients/search", q="коваль").get_json()["items"]] == [client["id"]]
    assert get(world, "/clients/search", q="петренко").get_json()["items"] == []
    assert get(world, "/clients/search", q="4567").get_json()["items"] == []
    assert post(world, "/clients", {"name": "Інша", "phone": "0671234567"}).status_code == 201


def test_an_edit_based_on_an_old_version_is_refused_and_changes_nothing(world):
    # given
    client = create(world, {"name": "Олена"})
    assert patch(world, client["id"], {"version": 1, "note": "перша правка"}).status_code == 200
    # when
    response = patch(world, client["id"], {"version": 1, "name": "Зовсім інша"})
    # then
    assert response.status_code == 409
    assert response.get_json()["current_version"] == 2
    assert get(world, f"/clients/{client['id']}").get_json()["name"] == "Олена"


def test_two_editors_dropping_the_same_phone_from_one_version_get_one_409_not_a_500(world):
    # given a client with two phones, read by two editors at version 1
    client = create(world, {"name": "Олена", "phones": ["050 123 45 67", "067 765 43 21"]})
    first = patch(world, client["id"], {"version": 1, "phones": ["067 765 43 21"], "note": "перший"})
    # when the second drops the same phone from the version both read
    second = patch(world, client["id"], {"version": 1, "phones": ["067 765 43 21"], "note": "другий"})
    # then the second is told to reload, and the first edit stands
    assert first.status_code == 200
    assert second.status_code == 409, second.get_json()
    read = get(world, f"/clients/{client['id']}").get_json()
    assert (read["note"], read["version"]) == ("перший", 2)


def test_an_edit_that_takes_another_clients_phone_is_refused_and_changes_nothing(world):
    # given
    other = create(world, {"name": "Ірина", "phone": "0501234567"})
    client = create(world, {"name": "Олена", "phone": "0671234567"})
    # when
    response = patch(world, client["id"], {"version": 1, "name": "Олена Нова", "phones": ["050 123 45 67"]})
    # then
    assert response.status_code == 409
    assert response.get_json()["existing_client_id"] == other["id"]
    assert get(world, "/clients/search", q="нова").get_json()["items"] == []
    assert get(world, f"/clients/{client['id']}").get_json()["version"] == 1


def test_an_edit_with_an_invalid_phone_is_a_422(world):
    # given
    client = create(world, {"name": "Олена"})
    # when
    response = patch(world, client["id"], {"version": 1, "phones": ["12"]})
    # then
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"].startswith("phones")


def test_custom_fields_are_defined_by_an_admin_and_validated_on_write(world):
    # given
    fields = {
        "version": 0,
        "fields": [
            {"key": "room", "label": "Приміщення", "type": "select", "options": ["кухня", "шафа"]},
            {"key": "budget", "label": "Бюджет", "type": "number"},
            {"key": "visit_on", "label": "Дата заміру", "type": "date"},
        ],
    }
    manager_try = world.http.put(f"{API}/custom-fields", json=fields, headers=world.headers())
    saved = world.http.put(f"{API}/custom-fields", json=fields, headers=world.headers("root", "admin"))
    # when
    good = post(
        world,
        "/clients",
        {"name": "А", "custom": {"room": "кухня", "budget": 45000, "visit_on": "2026-12-01"}},
    )
    unknown = post(world, "/clients", {"name": "Б", "custom": {"colour": "red"}})
    wrong = post(world, "/clients", {"name": "В", "custom": {"room": "ванна", "budget": "багато"}})
    # then
    assert manager_try.status_code == 403
    assert saved.status_code == 200 and saved.get_json()["version"] == 1
    assert good.status_code == 201 and good.get_json()["custom"]["budget"] == 45000
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "custom.colour"
    assert {e["field"] for e in wrong.get_json()["errors"]} == {"custom.room", "custom.budget"}
    assert get(world, "/clients/search", q="ванна").status_code == 200  # nothing half-written
    stale = world.http.put(f"{API}/custom-fields", json=fields, headers=world.headers("root", "admin"))
    assert stale.status_code == 409


def test_a_manager_lists_his_own_clients_and_the_unassigned_but_not_everyones(world):
    # given
    mine = create(world, {"name": "Моя"})
    create(world, {"name": "Чужа"}, user="taras")
    loose = create(world, {"name": "Нічия"}, user="boss", role="head")
    # when
    own = get(world, "/clients").get_json()["items"]
    unassigned = get(world, "/clients", owner="unassigned").get_json()["items"]
    # then
    assert [c["id"] for c in own] == [mine["id"]]
    assert [c["id"] for c in unassigned] == [loose["id"]]
    assert get(world, "/clients", owner="all").status_code == 403
    assert len(get(world, "/clients", user="boss", role="head", owner="all").get_json()["items"]) == 3


def test_a_list_is_paginated_with_a_signed_cursor(world):
    # given
    for number in range(5):
        create(world, {"name": f"Клієнт {number}"})
    # when
    first = get(world, "/clients", limit=3).get_json()
    second = get(world, "/clients", limit=3, cursor=first["next_cursor"]).get_json()
    # then
    assert len(first["items"]) == 3 and len(second["items"]) == 2
    assert get(world, "/clients", cursor=first["next_cursor"][:-2] + "xx").status_code == 400


def test_the_timeline_shows_everything_newest_first_and_filters_by_kind(world):
    # given
    client = create(world, {"name": "Олена"})
    patch(world, client["id"], {"version": 1, "tags": ["кухня"]})
    post(world, f"/clients/{client['id']}/notes", {"text": "Просила передзвонити у п'ятницю"})
    world.router.deliver_all()
    # when
    timeline = get(world, f"/clients/{client['id']}/timeline").get_json()["items"]
    notes = get(world, f"/clients/{client['id']}/timeline", kind="note").get_json()["items"]
    # then
    assert [e["event_type"] for e in timeline] == ["ClientNoteAdded", "ClientUpdated", "ClientCreated"]
    assert timeline[1]["detail"] == {"changed": ["tags"]}
    assert [e["detail"]["text"] for e in notes] == ["Просила передзвонити у п'ятницю"]


def test_the_timeline_is_the_same_whatever_the_order_and_number_of_deliveries(world):
    # given
    client = create(world, {"name": "Олена"})
    post(world, f"/clients/{client['id']}/notes", {"text": "перша"})
    post(world, f"/clients/{client['id']}/notes", {"text": "друга"})
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName="lanka-clients-inbox")["QueueUrl"]
    messages = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        messages += batch
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # when: newest first, and every event twice
    inbox = world.services["clients"].consumer()
    for message in [*reversed(messages), *messages]:
        inbox.handle_record({"messageId": message["MessageId"], "body": message["Body"]})
    # then
    timeline = get(world, f"/clients/{client['id']}/timeline").get_json()["items"]
    assert [e["detail"].get("text") for e in timeline] == ["друга", "перша", None]


def test_the_timeline_is_paginated(world):
    # given
    client = create(world, {"name": "Олена"})
    for number in range(4):
        post(world, f"/clients/{client['id']}/notes", {"text": f"нотатка {number}"})
    world.router.deliver_all()
    # when
    first = get(world, f"/clients/{client['id']}/timeline", limit=3).get_json()
    rest = get(world, f"/clients/{client['id']}/timeline", limit=3, cursor=first["next_cursor"]).get_json()
    # then
    assert len(first["items"]) + len(rest["items"]) == 5
    assert rest["items"][-1]["event_type"] == "ClientCreated"


def test_the_head_reassigns_a_client_and_only_the_new_owner_sees_it(world):
    # given
    client = create(world, {"name": "Олена"})
    taras = (
        world.user_id("taras")
        if "taras" in world.tokens
        else (world.token("taras", "manager"), world.user_id("taras"))[1]
    )
    # when
    refused = world.http.put(
        f"{API}/clients/{client['id']}/owner", json={"owner_id": taras}, headers=world.headers()
    )
    moved = world.http.put(
        f"{API}/clients/{client['id']}/owner", json={"owner_id": taras}, headers=world.headers("boss", "head")
    )
    # then
    assert refused.status_code == 403
    assert moved.status_code == 200 and moved.get_json()["owner_id"] == taras
    assert get(world, f"/clients/{client['id']}").status_code == 404
    assert get(world, f"/clients/{client['id']}", user="taras").status_code == 200


def test_every_read_of_contact_details_is_audited_and_only_an_admin_reads_the_audit(world):
    # given
    client = create(world, {"name": "Олена", "phone": "0671234567"})
    get(world, f"/clients/{client['id']}")
    get(world, f"/clients/{client['id']}", user="boss", role="head")
    # when
    audit = get(world, "/audit", user="root", role="admin", client_id=client["id"])
    # then
    entries = audit.get_json()["items"]
    assert [(e["action"], e["actor_id"]) for e in entries] == [
        ("contacts_read", world.user_id("boss")),
        ("contacts_read", world.user_id("olena")),
    ]
    assert "0671234567" not in json.dumps(entries) and "+380671234567" not in json.dumps(entries)
    assert get(world, "/audit", user="boss", role="head", client_id=client["id"]).status_code == 403
    assert get(world, "/audit", user="root", role="admin").status_code == 422


def _field_job(world, event: str, client_id: str, worker: str) -> None:
    events = boto3.client("events")
    detail = {
        "metadata": {
            "event_id": f"01JOB{event}{client_id[-8:]}",
            "version": 1,
            "occurred_at": "2026-11-27T10:00:00Z",
            "correlation_id": "test",
        },
        "data": {
            "job_id": "job-1",
            "client_id": client_id,
            "assignee_id": world.user_id(worker),
            "role": "measurer",
        },
    }
    events.put_events(
        Entries=[
            {
                "EventBusName": "lanka-events",
                "Source": "lanka.deals",
                "DetailType": event,
                "Detail": json.dumps(detail),
            }
        ]
    )
    world.router.deliver_all()


def test_a_field_worker_sees_the_visit_card_only_while_the_job_is_his(world):
    # given
    client = create(world, {**FULL, "kind": "person", "contacts": [], "name": "Олена"})
    world.token("petro", "measurer")
    before = get(world, f"/clients/{client['id']}/visit-card", user="petro", role="measurer")
    # when
    _field_job(world, "FieldJobAssigned", client["id"], "petro")
    during = get(world, f"/clients/{client['id']}/visit-card", user="petro", role="measurer")
    full = get(world, f"/clients/{client['id']}", user="petro", role="measurer")
    _field_job(world, "FieldJobClosed", client["id"], "petro")
    after = get(world, f"/clients/{client['id']}/visit-card", user="petro", role="measurer")
    # then
    assert before.status_code == 404
    assert during.status_code == 200
    assert set(during.get_json()) == {"id", "name", "phones", "addresses"}
    assert full.status_code == 403
    assert after.status_code == 404
