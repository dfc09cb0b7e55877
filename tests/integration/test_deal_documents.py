"""Documents through the API and automation: requisites, templates (validated, versioned,
previewed), invoices made from a deal as PDFs with Cyrillic text, gapless numbers under
concurrent generation, the deal's and the client's lists, downloads, and sending."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

from deal_world import Tap
from document_world import ADMIN, REQUISITES, api, ok, pdf_text, priced_deal, set_requisites
from werkzeug.test import Client

from lanka_platform.contracts.deals import DocumentRequested
from lanka_platform.ids import new_id


def test_an_invoice_pdf_carries_the_client_the_amount_and_the_amount_in_words(world):
    # given
    set_requisites(world)
    deal = priced_deal(world, 120050)
    # when
    document = ok(api(world, "POST", f"/deals/{deal['id']}/documents", json={"kind": "invoice"}), 201)
    # then
    assert document["number"].startswith("РФ-") and document["number"].endswith("-0001")
    assert (document["amount"], document["balance"]) == (120050, 120050)
    text = pdf_text(document["file_key"])
    assert "Олена Петренко" in text
    assert "1 200,50" in text
    assert "Одна тисяча двісті гривень 50 копійок" in text
    assert "ТОВ «Ланка Меблі»" in text and "14360570" in text


def test_explicit_lines_make_the_total(world):
    # given
    deal = priced_deal(world, 100)
    lines = [
        {"name": "Шафа", "quantity": "2", "unit": "шт.", "price": 1_000_000},
        {"name": "Монтаж", "quantity": "3.5", "unit": "м", "price": 20_000},
    ]
    # when
    document = ok(
        api(world, "POST", f"/deals/{deal['id']}/documents", json={"kind": "quote", "lines": lines}), 201
    )
    # then
    assert document["amount"] == 2_070_000
    assert document["number"].startswith("КП-")
    assert "Двадцять тисяч сімсот гривень 00 копійок" in pdf_text(document["file_key"])


def test_twenty_concurrent_generations_get_twenty_consecutive_numbers(world):
    # given a deal, and twenty requests for an invoice of it made at the same moment
    made = priced_deal(world, 50_000)
    headers = world.headers()
    answers: list[tuple[int, dict[str, object]]] = []
    failures: list[BaseException] = []
    start = threading.Barrier(20)

    def generate() -> None:
        # Each request its own HTTP client, as twenty browsers would be.
        http = Client(world.http.application)
        try:
            start.wait()
            response = http.post(f"/api/deals/deals/{made['id']}/documents", json={}, headers=headers)
            answers.append((response.status_code, response.get_json()))
        except BaseException as error:  # a failure is reported below, not lost in a thread
            failures.append(error)

    threads = [threading.Thread(target=generate) for _ in range(20)]
    # when
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every request made its invoice, numbered one after another
    assert failures == []
    assert sorted(status for status, _ in answers) == [201] * 20, answers
    numbers = [str(body["number"]) for _, body in answers]
    sequences = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert sequences == list(range(1, 21))
    listed = ok(api(world, "GET", f"/deals/{made['id']}/documents"))["items"]
    assert sorted(d["number"] for d in listed) == sorted(numbers)


def test_requisites_with_a_bad_edrpou_or_iban_are_refused_and_nothing_is_saved(world):
    # when
    bad_code = api(world, "PUT", "/settings/company", *ADMIN, json={**REQUISITES, "edrpou": "12345670"})
    bad_iban = api(
        world,
        "PUT",
        "/settings/company",
        *ADMIN,
        json={**REQUISITES, "iban": "UA213223130000026007233566002"},
    )
    # then
    assert bad_code.status_code == 422 and bad_code.content_type == "application/problem+json"
    assert bad_iban.status_code == 422
    assert ok(api(world, "GET", "/settings/company"))["version"] == 0


def test_only_an_admin_sets_the_requisites(world):
    assert api(world, "PUT", "/settings/company", json=REQUISITES).status_code == 403


def test_a_template_with_an_unknown_variable_or_broken_syntax_is_refused(world):
    # when
    unknown = api(
        world,
        "PUT",
        "/documents/templates/invoice",
        *ADMIN,
        json={"body": "<p>{{ password }}</p>", "version": 0},
    )
    broken = api(
        world, "PUT", "/documents/templates/invoice", *ADMIN, json={"body": "<p>{% if x %}</p>", "version": 0}
    )
    # then
    assert unknown.status_code == 422 and "password" in unknown.get_json()["errors"][0]["message"]
    assert broken.status_code == 422
    assert ok(api(world, "GET", "/documents/templates/invoice", *ADMIN))["version"] == 0


def test_a_saved_template_is_versioned_and_makes_the_next_document(world):
    # given
    body = "<h1>Рахунок {{ number }}</h1><p>Клієнт: {{ client.name }}. До сплати {{ amount }} грн.</p>"
    preview = ok(api(world, "POST", "/documents/templates/invoice/preview", *ADMIN, json={"body": body}))
    assert "Олена Петренко" in preview["html"]
    # when
    saved = ok(api(world, "PUT", "/documents/templates/invoice", *ADMIN, json={"body": body, "version": 0}))
    stale = api(world, "PUT", "/documents/templates/invoice", *ADMIN, json={"body": body, "version": 0})
    deal = priced_deal(world, 99_900, name="Петро Коваль")
    document = ok(api(world, "POST", f"/deals/{deal['id']}/documents", json={}), 201)
    # then
    assert saved["version"] == 1 and stale.status_code == 409
    assert document["template_version"] == 1
    assert "Клієнт: Петро Коваль. До сплати 999,00 грн." in pdf_text(document["file_key"])


def test_a_document_asked_for_by_automation_is_made_once(world):
    # given
    deal = priced_deal(world, 300_000)
    requested = DocumentRequested(
        document_id=new_id(), deal_id=deal["id"], client_id=deal["client_id"], template="invoice"
    )
    # when
    world.publish(requested)
    world.publish(requested)
    # then
    (document,) = ok(api(world, "GET", f"/deals/{deal['id']}/documents"))["items"]
    assert (document["id"], document["amount"]) == (requested.document_id, 300_000)


def test_a_document_is_on_the_client_timeline(world):
    # given
    deal = priced_deal(world, 10_000)
    # when
    document = ok(api(world, "POST", f"/deals/{deal['id']}/documents", json={"kind": "contract"}), 201)
    world.router.deliver_all()
    # then
    timeline = world.http.get(
        f"/api/clients/clients/{deal['client_id']}/timeline", headers=world.headers()
    ).get_json()["items"]
    (entry,) = [e for e in timeline if e["event_type"] == "DocumentGenerated"]
    assert entry["detail"]["number"] == document["number"] and entry["detail"]["document"] == "contract"


def test_a_download_link_is_for_staff_who_see_the_deal(world):
    # given
    deal = priced_deal(world, 10_000)
    document = ok(api(world, "POST", f"/deals/{deal['id']}/documents", json={}), 201)
    path = f"/deals/{deal['id']}/documents/{document['id']}/download"
    # when
    link = ok(api(world, "GET", path))
    other = api(world, "GET", path, "taras", "manager")
    # then
    assert link["expires_in"] == 300 and "X-Amz-Signature" in link["url"]
    assert other.status_code == 404


def test_sending_a_document_asks_for_a_message_with_the_pdf_attached(world):
    # given
    tap = Tap()
    deal = priced_deal(world, 10_000)
    document = ok(api(world, "POST", f"/deals/{deal['id']}/documents", json={}), 201)
    # when
    sent = ok(
        api(world, "POST", f"/deals/{deal['id']}/documents/{document['id']}/send", json={"channel": "viber"}),
        202,
    )
    world.router.deliver_all()
    # then
    (message,) = tap.events("MessageRequested")
    assert (message["message_id"], message["template"], message["channel"]) == (
        sent["message_id"],
        "invoice",
        "viber",
    )
    (attachment,) = message["attachments"]
    assert (attachment["bucket"], attachment["key"]) == ("lanka-documents", document["file_key"])
    assert attachment["filename"] == f"{document['number']}.pdf"
    assert [(d["document_id"], d["kind"]) for d in tap.events("DocumentSent")] == [
        (document["id"], "invoice")
    ]


def test_the_signed_link_opens_the_pdf_and_a_forged_one_does_not(world):
    # given
    tap = Tap()
    deal = priced_deal(world, 10_000)
    document = ok(api(world, "POST", f"/deals/{deal['id']}/documents", json={}), 201)
    ok(api(world, "POST", f"/deals/{deal['id']}/documents/{document['id']}/send", json={}), 202)
    world.router.deliver_all()
    (message,) = tap.events("MessageRequested")
    link = urlsplit(message["attachments"][0]["url"])
    query = {k: v[0] for k, v in parse_qs(link.query).items()}
    # when
    opened = world.http.get(link.path, query_string=query)
    forged = world.http.get(link.path, query_string={**query, "signature": "A" * 24})
    stretched = world.http.get(
        link.path, query_string={**query, "expires": str(int(query["expires"]) + 86400)}
    )
    # then
    assert opened.status_code == 302 and "X-Amz-Signature" in opened.headers["Location"]
    assert forged.status_code == 403 and forged.content_type == "application/problem+json"
    assert stretched.status_code == 403


def test_a_document_automation_asks_to_send_goes_out_once_its_pdf_is_made(world):
    # given
    tap = Tap()
    deal = priced_deal(world, 250_000)
    requested = DocumentRequested(
        document_id=new_id(), deal_id=deal["id"], client_id=deal["client_id"], template="invoice", send=True
    )
    # when
    world.publish(requested)
    world.router.deliver_all()
    # then
    (document,) = ok(api(world, "GET", f"/deals/{deal['id']}/documents"))["items"]
    (message,) = tap.events("MessageRequested")
    assert (message["template"], message["deal_id"]) == ("invoice", deal["id"])
    assert message["attachments"][0]["key"] == document["file_key"]
    assert "Дві тисячі п'ятсот гривень 00 копійок" in pdf_text(document["file_key"])
    assert [d["document_id"] for d in tap.events("DocumentSent")] == [document["id"]]
