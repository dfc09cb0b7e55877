"""What every service offers besides its resources: health, OpenAPI, its first resource."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

SERVICES = ["clients", "deals", "booking", "notifications"]


@pytest.mark.parametrize("service", SERVICES)
def test_health_needs_no_login(world, service):
    # when
    response = world.http.get(f"/api/{service}/health")
    # then
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "service": service}


@pytest.mark.parametrize("service", SERVICES)
def test_openapi_document_is_valid_3_1_and_lists_the_routes(world, service):
    # when
    document = world.http.get(f"/api/{service}/openapi.json").get_json()
    # then
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert "/health" in document["paths"]
    routes = {path for path in world.services[service].app.routes if path != "/openapi.json"}
    assert routes == set(document["paths"])


def test_clients_openapi_describes_the_create_body_and_its_problems(world):
    # when
    document = world.http.get("/api/clients/openapi.json").get_json()
    # then
    create = document["paths"]["/clients"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    new_client = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert new_client["required"] == ["name"]
    assert new_client["additionalProperties"] is False
    assert {"201", "400", "401", "403", "409", "413", "415", "422"} <= set(create["responses"])


def test_bookable_services_are_listed_a_page_at_a_time(world):
    # given
    head = world.headers("boss", "head")
    for key, name in (("measurement", "Замір"), ("consultation", "Консультація"), ("installation", "Монтаж")):
        created = world.http.post(
            "/api/booking/services",
            json={
                "key": key,
                "name": name,
                "duration_minutes": 60,
                "price": {"amount": 50000, "currency": "UAH"},
            },
            headers=head,
        )
        assert created.status_code == 201
    # when
    first = world.http.get("/api/booking/services?limit=2", headers=head).get_json()
    rest = world.http.get(
        f"/api/booking/services?limit=2&cursor={first['next_cursor']}", headers=head
    ).get_json()
    # then
    names = [item["name"] for item in first["items"] + rest["items"]]
    assert sorted(names) == sorted(["Замір", "Консультація", "Монтаж"])
    assert rest["next_cursor"] is None


def test_message_template_is_stored_and_read_back(world):
    # given
    head = world.headers("boss", "head")
    created = world.http.post(
        "/api/notifications/templates",
        json={
            "name": "booking_reminder",
            "channel": "sms",
            "body": "Нагадуємо: {{ service_name }}, {{ starts_at }}",
        },
        headers=head,
    )
    # when
    read = world.http.get(f"/api/notifications/templates/{created.get_json()['id']}", headers=head)
    # then
    assert read.status_code == 200
    assert read.get_json()["body"] == "Нагадуємо: {{ service_name }}, {{ starts_at }}"


def test_sms_template_cannot_have_a_subject(world):
    # when
    response = world.http.post(
        "/api/notifications/templates",
        json={"name": "booking_reminder", "channel": "sms", "subject": "Hi", "body": "b"},
        headers=world.headers("boss", "head"),
    )
    # then
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "subject"


def test_buckets_are_provisioned_as_declared(world):
    # given
    import boto3

    from lanka_platform import resources

    s3 = boto3.client("s3")
    # then
    for bucket in resources.BUCKETS:
        versioning = s3.get_bucket_versioning(Bucket=bucket.name).get("Status")
        assert (versioning == "Enabled") is bucket.versioned
        if bucket.expire_after_days is not None:
            rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket.name)["Rules"]
            assert rules[0]["Expiration"]["Days"] == bucket.expire_after_days
