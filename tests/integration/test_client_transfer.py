"""CSV import and bulk export of clients, through the API, with the background jobs run by
real bus -> SQS delivery and the files moved through presigned S3 URLs."""

from __future__ import annotations

import csv
import importlib
import io

import boto3
import pytest
import requests

API = "/api/clients"
FOUR_FORMS_OF_ONE_PHONE = (
    "Ім'я;Телефон;Примітка\r\n"
    "Олена Петренко;067 123 45 67;перша\r\n"
    "Олена П.;+38(067)1234567;друга\r\n"
    "Олена;380671234567;третя\r\n"
    "О. Петренко;0671234567;четверта\r\n"
).encode("cp1251")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


# ------------------------------------------------------------------------------ helpers


def new_import(world, content: bytes, *, user=("olena", "manager"), size: int | None = None):
    return world.http.post(
        f"{API}/imports",
        json={"file_name": "clients.csv", "size": len(content) if size is None else size},
        headers=world.headers(*user),
    )


def uploaded(world, content: bytes, *, user=("olena", "manager")) -> str:
    created = new_import(world, content, user=user)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["upload_method"] == "PUT"
    put = requests.put(body["upload_url"], data=content, timeout=30)
    assert put.status_code == 200
    return body["import_id"]


def preview(world, import_id: str, *, user=("olena", "manager")):
    return world.http.post(f"{API}/imports/{import_id}/preview", headers=world.headers(*user))


def start(world, import_id: str, mapping: dict[str, str], on_duplicate="skip", *, user=("olena", "manager")):
    return world.http.post(
        f"{API}/imports/{import_id}/start",
        json={"mapping": mapping, "on_duplicate": on_duplicate},
        headers=world.headers(*user),
    )


def imported(world, content: bytes, mapping=None, on_duplicate="skip", *, user=("olena", "manager")):
    """Upload, preview, start and run an import to its end; its final state."""
    import_id = uploaded(world, content, user=user)
    shown = preview(world, import_id, user=user)
    assert shown.status_code == 200, shown.get_json()
    started = start(world, import_id, mapping or shown.get_json()["mapping"], on_duplicate, user=user)
    assert started.status_code == 202, started.get_json()
    deliver_everything(world)
    return state(world, import_id, user=user)


def state(world, import_id: str, *, user=("olena", "manager")):
    response = world.http.get(f"{API}/imports/{import_id}", headers=world.headers(*user))
    assert response.status_code == 200
    return response.get_json()


def deliver_everything(world) -> None:
    while world.router.deliver_all():
        pass


def table_items(service: str = "clients") -> list[dict]:
    """Every item of a service's table (a paginated Scan: a test's look at the outcome)."""
    table = boto3.resource("dynamodb").Table(f"lanka-{service}")
    items, options = [], {}
    while True:
        page = table.scan(**options)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        options = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def my_clients(world, user=("olena", "manager")) -> list[dict]:
    response = world.http.get(f"{API}/clients?owner=me&limit=100", headers=world.headers(*user))
    return response.get_json()["items"]


def request_export(world, user=("anna", "admin"), **body):
    return world.http.post(f"{API}/exports", json=body, headers=world.headers(*user))


def export_state(world, export_id: str, user=("anna", "admin")):
    return world.http.get(f"{API}/exports/{export_id}", headers=world.headers(*user))


def downloaded_rows(world, export_id: str) -> list[dict[str, str]]:
    done = export_state(world, export_id).get_json()
    assert done["status"] == "done", done
    response = requests.get(done["download_url"], timeout=30)
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


# ------------------------------------------------------------------------------ import


def test_preview_reads_a_cp1251_semicolon_file_and_suggests_a_mapping(world):
    # given
    import_id = uploaded(world, FOUR_FORMS_OF_ONE_PHONE)
    # when
    response = preview(world, import_id)
    # then
    assert response.status_code == 200
    shown = response.get_json()
    assert shown["encoding"] == "windows-1251"
    assert shown["delimiter"] == ";"
    assert shown["header"] == ["Ім'я", "Телефон", "Примітка"]
    assert shown["sample"][0] == ["Олена Петренко", "067 123 45 67", "перша"]
    assert shown["row_count"] == 4
    assert shown["mapping"] == {"0": "name", "1": "phone", "2": "note"}
    assert "owner" in shown["fields"]


def test_one_phone_written_four_ways_is_one_client_and_three_duplicates(world):
    # when
    done = imported(world, FOUR_FORMS_OF_ONE_PHONE)
    # then
    assert done["status"] == "done"
    assert done["percent"] == 100
    assert (done["rows_done"], done["created"], done["skipped"], done["failed"]) == (4, 1, 3, 0)
    clients = my_clients(world)
    assert [client["name"] for client in clients] == ["Олена Петренко"]


def test_duplicates_in_the_file_are_linked_when_asked(world):
    # when
    done = imported(world, FOUR_FORMS_OF_ONE_PHONE, on_duplicate="link")
    # then
    assert (done["created"], done["linked"], done["skipped"]) == (1, 3, 0)
    assert len(my_clients(world)) == 1


def test_a_row_with_the_phone_of_a_client_in_the_base_is_linked_not_created(world):
    # given
    existing = world.http.post(
        f"{API}/clients", json={"name": "Олена Петренко", "phone": "050 123 45 67"}, headers=world.headers()
    ).get_json()
    content = "Ім'я;Телефон;E-mail\nОлена;+380501234567;olena.new@example.com\n".encode()
    # when
    done = imported(world, content, on_duplicate="link")
    # then
    assert (done["created"], done["linked"]) == (0, 1)
    card = world.http.get(f"{API}/clients/{existing['id']}", headers=world.headers()).get_json()
    assert [email["address"] for email in card["emails"]] == ["olena.new@example.com"]
    assert len(my_clients(world)) == 1


def test_bad_rows_are_reported_with_their_line_and_field_and_the_rest_is_imported(world):
    # given
    content = (
        "Ім'я;Телефон;E-mail\n"
        "Олена Петренко;067 123 45 67;olena@example.com\n"
        "Ігор;067 000;\n"
        ";;\n"
        "Марія;050 765 43 21;not-an-email\n"
        ";;пошта@\n"
        "Степан;063 111 22 33;s@example.com;зайва клітинка\n"
        "Оксана;063 444 55 66;\n"
    ).encode()
    # when
    done = imported(world, content, mapping={"0": "name", "1": "phone", "2": "email"})
    # then
    assert (done["created"], done["failed"]) == (2, 4)
    errors = world.http.get(f"{API}/imports/{done['import_id']}/errors", headers=world.headers()).get_json()
    by_line = {error["line"]: error for error in errors["items"]}
    assert sorted(by_line) == [3, 5, 6, 7]
    assert by_line[3]["message"] == "Row 3: phone: This phone number does not exist."
    assert by_line[3]["field"] == "phone"
    assert by_line[5]["message"].startswith("Row 5: email: ")
    assert by_line[6]["field"] == "email"
    assert by_line[7]["message"].startswith("Row 7 has 4 cells")
    assert {client["name"] for client in my_clients(world)} == {"Олена Петренко", "Оксана"}


def test_errors_are_read_a_page_at_a_time(world):
    # given
    content = ("Ім'я;Телефон\n" + "".join(f"Клієнт {n};067 000\n" for n in range(7))).encode()
    done = imported(world, content)
    # when
    first = world.http.get(
        f"{API}/imports/{done['import_id']}/errors?limit=5", headers=world.headers()
    ).get_json()
    rest = world.http.get(
        f"{API}/imports/{done['import_id']}/errors?limit=5&cursor={first['next_cursor']}",
        headers=world.headers(),
    ).get_json()
    # then
    assert [error["line"] for error in first["items"] + rest["items"]] == list(range(2, 9))


def test_a_picture_is_refused_with_a_clear_message_and_nothing_is_written(world):
    # given
    import_id = uploaded(world, PNG)
    before = table_items()
    # when
    response = preview(world, import_id)
    # then
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.get_json()["detail"].startswith("This is a PNG picture, not a table")
    assert table_items() == before
    assert state(world, import_id)["status"] == "uploaded"


def test_a_start_before_the_preview_is_refused(world):
    # given
    import_id = uploaded(world, FOUR_FORMS_OF_ONE_PHONE)
    before = table_items()
    # when
    response = start(world, import_id, {"0": "name"})
    # then
    assert response.status_code == 409
    assert table_items() == before


def test_a_mapping_that_cannot_make_clients_is_refused_and_nothing_is_written(world):
    # given
    import_id = uploaded(world, FOUR_FORMS_OF_ONE_PHONE)
    assert preview(world, import_id).status_code == 200
    before = table_items()
    # when
    no_name_no_contact = start(world, import_id, {"2": "note"})
    unknown = start(world, import_id, {"0": "name", "1": "fax", "7": "phone"})
    owners = start(world, import_id, {"0": "name", "1": "owner"})
    # then
    assert no_name_no_contact.status_code == 422
    assert no_name_no_contact.get_json()["errors"][0]["field"] == "mapping"
    assert unknown.status_code == 422
    assert {e["field"] for e in unknown.get_json()["errors"]} == {"mapping.1", "mapping.7"}
    assert owners.status_code == 422  # a manager's clients are his own
    assert table_items() == before
    world.router.deliver_all()
    assert state(world, import_id)["status"] == "previewed"


def test_a_declared_size_over_20_mb_is_refused(world):
    # given
    before = table_items()
    # when
    response = new_import(world, b"", size=60 * 1024 * 1024)
    # then
    assert response.status_code == 413
    assert "20 MB" in response.get_json()["detail"]
    assert table_items() == before


def test_a_file_larger_than_declared_and_over_the_limit_is_refused_at_preview(world):
    # given
    content = b"name\n" + b"x" * (20 * 1024 * 1024)
    created = new_import(world, content, size=1000).get_json()
    requests.put(created["upload_url"], data=content, timeout=60)
    # when
    response = preview(world, created["import_id"])
    # then
    assert response.status_code == 413


def test_a_preview_before_the_upload_asks_for_the_file(world):
    # given
    import_id = new_import(world, FOUR_FORMS_OF_ONE_PHONE).get_json()["import_id"]
    # when
    response = preview(world, import_id)
    # then
    assert response.status_code == 409
    assert "Upload the file first" in response.get_json()["detail"]


def test_another_manager_cannot_see_an_import_but_the_head_can(world):
    # given
    import_id = uploaded(world, FOUR_FORMS_OF_ONE_PHONE)
    # when
    other = world.http.get(f"{API}/imports/{import_id}", headers=world.headers("petro", "manager"))
    head = world.http.get(f"{API}/imports/{import_id}", headers=world.headers("boss", "head"))
    # then
    assert other.status_code == 404
    assert head.status_code == 200


def test_clients_imported_by_the_head_are_unassigned_unless_the_file_names_owners(world):
    # given
    world.token("olena", "manager")
    content = (
        "Ім'я;Телефон;Менеджер\nОлена;067 123 45 67;olena\nІгор;050 765 43 21;\nМарія;063 111 22 33;nobody\n"
    ).encode()
    # when
    done = imported(world, content, user=("boss", "head"))
    # then
    assert (done["created"], done["failed"]) == (2, 1)
    assert [client["name"] for client in my_clients(world)] == ["Олена"]
    unassigned = world.http.get(f"{API}/clients?owner=unassigned", headers=world.headers("boss", "head"))
    assert [client["name"] for client in unassigned.get_json()["items"]] == ["Ігор"]
    errors = world.http.get(
        f"{API}/imports/{done['import_id']}/errors", headers=world.headers("boss", "head")
    ).get_json()
    assert (
        errors["items"][0]["message"] == "Row 4: owner: No active member of staff has the username 'nobody'."
    )


def test_a_large_import_runs_in_several_steps_to_the_end(world):
    # given
    rows = "".join(f"Клієнт {n};067{1000000 + n:07d}\n" for n in range(1050))
    import_id = uploaded(world, ("Ім'я;Телефон\n" + rows).encode())
    assert preview(world, import_id).get_json()["row_count"] == 1050
    # when
    assert start(world, import_id, {"0": "name", "1": "phone"}).status_code == 202
    seen = set()
    while world.router.deliver_all(max_rounds=1):
        seen.add(state(world, import_id)["rows_done"])
    # then
    done = state(world, import_id)
    assert (done["status"], done["created"], done["percent"]) == ("done", 1050, 100)
    assert {200, 400, 600, 800, 1000} <= seen  # one chunk of 200 rows a step
    imported_clients = [
        item for item in table_items() if item["pk"].startswith("CLIENT#") and item["sk"] == "PROFILE"
    ]
    assert len(imported_clients) == 1050


# ------------------------------------------------------------------------------ export


def test_only_an_admin_may_export_the_base(world):
    # when
    head = request_export(world, user=("boss", "head"))
    manager = request_export(world, user=("olena", "manager"))
    # then
    assert head.status_code == 403
    assert manager.status_code == 403


def test_an_export_is_written_in_the_background_and_downloaded_with_formulas_escaped(world):
    # given
    for body in (
        {"name": "Олена Петренко", "phone": "050 123 45 67", "tags": ["vip"]},
        {"name": '=HYPERLINK("x")', "email": "x@example.com"},
    ):
        assert world.http.post(f"{API}/clients", json=body, headers=world.headers()).status_code == 201
    # when
    queued = request_export(world)
    deliver_everything(world)
    # then
    assert queued.status_code == 202
    export_id = queued.get_json()["export_id"]
    assert queued.get_json()["status"] == "queued"
    assert export_state(world, export_id).get_json()["client_count"] == 2
    rows = downloaded_rows(world, export_id)
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"Олена Петренко", '\'=HYPERLINK("x")'}
    assert by_name["Олена Петренко"]["phones"] == "+380501234567"
    assert by_name["Олена Петренко"]["tags"] == "vip"
    assert list(rows[0]) == [
        "id",
        "name",
        "kind",
        "phones",
        "emails",
        "telegram",
        "viber",
        "addresses",
        "tags",
        "source",
        "owner_id",
        "created_at",
    ]


def test_the_head_is_alerted_and_the_export_is_audited(world):
    # given
    export_id = request_export(world).get_json()["export_id"]
    deliver_everything(world)
    # when
    alerts = world.http.get(
        "/api/notifications/alerts?role=head", headers=world.headers("boss", "head")
    ).get_json()
    export_state(world, export_id)
    audit = world.http.get(
        f"{API}/audit?actor_id={world.user_id('anna')}", headers=world.headers("anna", "admin")
    ).get_json()
    # then
    exported = [alert for alert in alerts["items"] if alert["kind"] == "clients_exported"]
    assert [alert["data"]["export_id"] for alert in exported] == [export_id]
    details = [entry["detail"] for entry in audit["items"] if entry["action"] == "clients_exported"]
    assert sorted(details) == sorted([export_id, f"{export_id}:link"])


def test_the_fourth_export_in_a_day_is_refused_with_retry_after(world):
    # given
    for _ in range(3):
        assert request_export(world).status_code == 202
    # when
    fourth = request_export(world)
    # then
    assert fourth.status_code == 429
    assert 0 < int(fourth.headers["Retry-After"]) <= 24 * 3600
    assert request_export(world, user=("maria", "admin")).status_code == 202  # a quota per admin


def test_a_retried_export_request_is_one_export(world):
    # given
    headers = world.headers("anna", "admin", **{"Idempotency-Key": "export-2024-05-01"})
    # when
    first = world.http.post(f"{API}/exports", json={}, headers=headers)
    again = world.http.post(f"{API}/exports", json={}, headers=headers)
    # then
    assert first.get_json()["export_id"] == again.get_json()["export_id"]
    assert request_export(world).status_code == 202
    assert request_export(world).status_code == 202
    assert request_export(world).status_code == 429


@pytest.fixture
def small_pages(world, monkeypatch):
    """Pages of 2 clients and parts of 600 bytes, so that 7 clients take several of each."""
    transfer_api = importlib.import_module("chalicelib.clients.api.transfer")
    transfer_domain = importlib.import_module("chalicelib.clients.domain.transfer")
    monkeypatch.setattr(transfer_api, "EXPORT_PAGE", 2)
    monkeypatch.setattr(transfer_domain, "PART_BYTES", 600)
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 1)
    for n in range(7):
        body = {"name": f"Клієнт {n}", "phone": f"067{2000000 + n:07d}"}
        assert world.http.post(f"{API}/clients", json=body, headers=world.headers()).status_code == 201
    deliver_everything(world)


def test_a_base_larger_than_a_page_is_exported_in_steps_and_parts(world, small_pages):
    # when
    export_id = request_export(world, encoding="utf-8", delimiter=";").get_json()["export_id"]
    deliver_everything(world)
    # then
    rows = downloaded_rows(world, export_id)
    assert sorted(row["name"] for row in rows) == [f"Клієнт {n}" for n in range(7)]
    s3 = boto3.client("s3")
    etag = s3.head_object(Bucket="lanka-exports", Key=f"exports/{export_id}.csv")["ETag"]
    assert int(etag.strip('"').rsplit("-", 1)[1]) > 1  # a multipart ETag ends with its part count
    leftovers = s3.list_objects_v2(Bucket="lanka-exports", Prefix=f"exports/{export_id}/")
    assert leftovers.get("KeyCount", 0) == 0  # the waiting pages are gone


def test_an_export_whose_upload_was_lost_begins_again_and_completes(world, small_pages):
    # given
    s3 = boto3.client("s3")
    export_id = request_export(world).get_json()["export_id"]
    uploads: list[dict] = []
    while not uploads and world.router.deliver("clients"):
        uploads = s3.list_multipart_uploads(Bucket="lanka-exports").get("Uploads", [])
    (upload,) = uploads
    # when
    s3.abort_multipart_upload(Bucket="lanka-exports", Key=upload["Key"], UploadId=upload["UploadId"])
    deliver_everything(world)
    # then
    rows = downloaded_rows(world, export_id)
    assert sorted(row["name"] for row in rows) == [f"Клієнт {n}" for n in range(7)]
    assert export_state(world, export_id).get_json()["client_count"] == 7
