"""The deals service's record stores (documents and their PDFs, the ledger, API keys, webhooks,
report counters) and their in-memory fakes (tests/fakes/deals_records.py) hold to one contract:
every behaviour below runs on both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from botocore.exceptions import ClientError
from chalicelib.deals.domain.documents import (
    VARIABLES,
    CompanySettings,
    Document,
    DocumentLine,
    DocumentTemplate,
    Requisites,
)
from chalicelib.deals.domain.integrations import ApiKey, KeyUse, Webhook
from chalicelib.deals.domain.payments import LiqPayKeys, Payment
from chalicelib.deals.domain.reports import Cell, FirstResponse, Tally
from chalicelib.deals.store.documents import NUMBER_TAG, PAID_TAG, DocumentFiles, DocumentStore
from chalicelib.deals.store.integrations import CLAIM_LEASE, KeyStore, Outgoing, WebhookStore
from chalicelib.deals.store.payments import DEAL_PAID_TAG, LedgerStore
from chalicelib.deals.store.reports import ReportStore
from store_contract import NOW, Subject, on_memory, on_moto

from lanka_platform.problems import Problem
from lanka_platform.storage import ConditionFailed
from tests.fakes import deals_records as fakes


def _collect(read: Callable[[str | None, int], tuple[list[Any], str | None]], limit: int) -> list[Any]:
    """Every item of a paged read, page after page until the cursor is None."""
    seen: list[Any] = []
    cursor = None
    while True:
        items, cursor = read(cursor, limit)
        seen += items
        if cursor is None:
            return seen


# ------------------------------------------------------------------------------ documents

REQUISITES = Requisites(
    name="ТОВ «Ланка Меблі»",
    edrpou="14360570",
    iban="UA213223130000026007233566001",
    address="м. Київ, вул. Хрещатик, 1",
)


def _company(version: int, name: str = "ТОВ «Ланка Меблі»") -> CompanySettings:
    return CompanySettings(**{**REQUISITES.model_dump(), "name": name}, version=version, updated_at=NOW)


def _template(version: int, body: str = "<p>{{ number }}</p>", **fields: Any) -> DocumentTemplate:
    values: dict[str, Any] = {
        "kind": "invoice",
        "language": "uk",
        "body": body,
        "version": version,
        "updated_at": NOW,
        "updated_by": "admin",
    }
    values.update(fields)
    return DocumentTemplate(**values)


def _document(document_id: str, sequence: int = 1, **fields: Any) -> Document:
    values: dict[str, Any] = {
        "id": document_id,
        "deal_id": "deal-1",
        "client_id": "client-1",
        "kind": "invoice",
        "language": "uk",
        "number": f"РФ-2026-{sequence:04d}",
        "year": 2026,
        "sequence": sequence,
        "lines": [
            DocumentLine(name="Кухня", quantity=Decimal("1"), unit="шт.", price=90_000, amount=90_000),
            DocumentLine(name="Монтаж", quantity=Decimal("3.2"), unit="м", price=3_125, amount=10_000),
        ],
        "amount": 100_000,
        "currency": "UAH",
        "issued_at": NOW,
        "due_date": date(2026, 12, 14),
        "template_version": 0,
        "file_key": f"documents/deal-1/{document_id}/РФ-2026-{sequence:04d}.pdf",
        "client_name": "Олена Петренко",
        "deal_title": "Кухня 3,2 м",
        "company": REQUISITES,
    }
    values.update(fields)
    return Document(**values)


class DocumentContract:
    """`DocumentStore`: the requisites with a version, templates kept version by version,
    gapless numbers per kind and year, documents by id, number and deal, and what an
    invoice has been paid."""

    @pytest.fixture
    def documents(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_requisites_saved_the_first_time_read_back_at_their_version(self, documents):
        # given
        assert documents.store.company() is None
        # when
        documents.commit(lambda unit: documents.store.save_company(unit, _company(1), 0))
        # then
        assert documents.store.company() == _company(1)

    def test_requisites_saved_with_the_version_read_replace_them(self, documents):
        # given
        documents.commit(lambda unit: documents.store.save_company(unit, _company(1), 0))
        # when
        documents.commit(lambda unit: documents.store.save_company(unit, _company(2, "ТОВ «Нова»"), 1))
        # then
        found = documents.store.company()
        assert (found.name, found.version) == ("ТОВ «Нова»", 2)

    def test_requisites_saved_on_a_stale_version_are_a_409_and_change_nothing(self, documents):
        # given
        documents.commit(lambda unit: documents.store.save_company(unit, _company(1), 0))
        # when
        with pytest.raises(Problem) as as_if_first:
            documents.commit(lambda unit: documents.store.save_company(unit, _company(1, "Перша"), 0))
        with pytest.raises(Problem) as as_if_later:
            documents.commit(lambda unit: documents.store.save_company(unit, _company(6, "Шоста"), 5))
        # then
        assert (as_if_first.value.status, as_if_later.value.status) == (409, 409)
        assert documents.store.company() == _company(1)

    def test_requisites_saved_on_a_version_that_was_never_there_are_a_409(self, documents):
        # when
        with pytest.raises(Problem) as conflict:
            documents.commit(lambda unit: documents.store.save_company(unit, _company(2), 1))
        # then
        assert conflict.value.status == 409
        assert documents.store.company() is None

    def test_the_newest_template_version_is_in_use_and_every_version_stays(self, documents):
        # given
        documents.commit(lambda unit: documents.store.save_template(unit, _template(1, "<p>one</p>")))
        documents.commit(lambda unit: documents.store.save_template(unit, _template(2, "<p>two</p>")))
        # when
        in_use = documents.store.template("invoice", "uk")
        # then
        assert (in_use.version, in_use.body) == (2, "<p>two</p>")
        assert documents.store.template_version("invoice", "uk", 1).body == "<p>one</p>"
        assert documents.store.template_version("invoice", "uk", 3) is None
        assert documents.store.template("invoice", "en") is None
        assert documents.store.template("act", "uk") is None

    def test_a_template_reads_back_as_saved_with_the_documented_variables(self, documents):
        # when
        documents.commit(
            lambda unit: documents.store.save_template(unit, _template(1, variables={"mine": "Not kept"}))
        )
        # then
        assert documents.store.template("invoice", "uk") == _template(1, variables=dict(VARIABLES))

    def test_a_template_version_saved_twice_is_a_409_and_the_first_stays(self, documents):
        # given
        documents.commit(lambda unit: documents.store.save_template(unit, _template(1, "<p>first</p>")))
        # when
        with pytest.raises(Problem) as conflict:
            documents.commit(lambda unit: documents.store.save_template(unit, _template(1, "<p>second</p>")))
        # then
        assert conflict.value.status == 409
        assert documents.store.template("invoice", "uk").body == "<p>first</p>"

    def test_numbers_are_taken_one_after_another_per_kind_and_year(self, documents):
        # given
        assert documents.store.last_number("invoice", 2026) == 0
        taken: list[int] = []
        # when
        documents.commit(lambda unit: taken.append(documents.store.take_number(unit, "invoice", 2026, 0)))
        documents.commit(lambda unit: taken.append(documents.store.take_number(unit, "invoice", 2026, 1)))
        # then
        assert taken == [1, 2]
        assert documents.store.last_number("invoice", 2026) == 2
        assert documents.store.last_number("invoice", 2027) == 0
        assert documents.store.last_number("act", 2026) == 0

    def test_a_number_taken_meanwhile_fails_with_the_number_tag_and_changes_nothing(self, documents):
        # given two requests read 0, and one of them took number 1
        documents.commit(lambda unit: documents.store.take_number(unit, "invoice", 2026, 0))
        # when
        with pytest.raises(ConditionFailed) as again_from_zero:
            documents.commit(lambda unit: documents.store.take_number(unit, "invoice", 2026, 0))
        with pytest.raises(ConditionFailed) as from_a_later_one:
            documents.commit(lambda unit: documents.store.take_number(unit, "invoice", 2026, 4))
        # then
        assert (again_from_zero.value.tag, from_a_later_one.value.tag) == (NUMBER_TAG, NUMBER_TAG)
        assert documents.store.last_number("invoice", 2026) == 1

    def test_a_document_reads_back_by_id_and_by_number(self, documents):
        # when
        documents.commit(lambda unit: documents.store.add(unit, _document("doc-1", paid=500)))
        # then
        assert documents.store.get("doc-1") == _document("doc-1", paid=500)
        assert documents.store.by_number("РФ-2026-0001") == _document("doc-1", paid=500)
        assert documents.store.get("doc-2") is None
        assert documents.store.by_number("РФ-2026-0002") is None

    def test_a_document_added_twice_is_stale_and_the_first_stays(self, documents):
        # given
        documents.commit(lambda unit: documents.store.add(unit, _document("doc-1", deal_title="First")))
        # when
        with pytest.raises(ConditionFailed) as failed:
            documents.commit(
                lambda unit: documents.store.add(unit, _document("doc-1", 2, deal_title="Second"))
            )
        # then
        assert failed.value.tag == "stale:document:doc-1"
        assert documents.store.get("doc-1").deal_title == "First"
        assert documents.store.by_number("РФ-2026-0002") is None

    def test_a_number_given_to_a_second_document_fails_with_the_number_tag(self, documents):
        # given
        documents.commit(lambda unit: documents.store.add(unit, _document("doc-1", 1)))
        # when
        with pytest.raises(ConditionFailed) as failed:
            documents.commit(lambda unit: documents.store.add(unit, _document("doc-2", 1)))
        # then
        assert failed.value.tag == NUMBER_TAG
        assert documents.store.get("doc-2") is None
        assert documents.store.by_number("РФ-2026-0001").id == "doc-1"

    def test_a_document_whose_number_was_taken_meanwhile_is_not_written(self, documents):
        # given another request took number 1 after this one read 0
        documents.commit(lambda unit: documents.store.take_number(unit, "invoice", 2026, 0))

        def make(unit: Any) -> None:
            sequence = documents.store.take_number(unit, "invoice", 2026, 0)
            documents.store.add(unit, _document("doc-1", sequence))

        # when
        with pytest.raises(ConditionFailed) as failed:
            documents.commit(make)
        # then
        assert failed.value.tag == NUMBER_TAG
        assert documents.store.get("doc-1") is None
        assert documents.store.last_number("invoice", 2026) == 1

    def test_a_deals_documents_come_newest_first(self, documents):
        # given
        def write(unit: Any) -> None:
            documents.store.add(unit, _document("old", 1, issued_at=NOW - timedelta(days=2)))
            documents.store.add(unit, _document("new", 2, issued_at=NOW))
            documents.store.add(unit, _document("mid", 3, issued_at=NOW - timedelta(days=1)))
            documents.store.add(unit, _document("other", 4, deal_id="deal-2"))

        documents.commit(write)
        # when
        found = documents.store.of_deal("deal-1")
        # then
        assert [document.id for document in found] == ["new", "mid", "old"]
        assert [document.id for document in documents.store.of_deal("deal-1", limit=2)] == ["new", "mid"]
        assert documents.store.of_deal("deal-3") == []

    def test_a_payment_adds_to_the_paid_sum_that_was_read(self, documents):
        # given
        documents.commit(lambda unit: documents.store.add(unit, _document("doc-1")))
        # when
        documents.commit(lambda unit: documents.store.add_paid(unit, documents.store.get("doc-1"), 30_000))
        documents.commit(lambda unit: documents.store.add_paid(unit, documents.store.get("doc-1"), 20_000))
        # then
        assert documents.store.get("doc-1") == _document("doc-1", paid=50_000)

    def test_a_paid_sum_changed_meanwhile_fails_with_the_paid_tag_and_changes_nothing(self, documents):
        # given two payments read the invoice unpaid, and one of them was recorded
        documents.commit(lambda unit: documents.store.add(unit, _document("doc-1")))
        read = documents.store.get("doc-1")
        documents.commit(lambda unit: documents.store.add_paid(unit, read, 30_000))
        # when
        with pytest.raises(ConditionFailed) as failed:
            documents.commit(lambda unit: documents.store.add_paid(unit, read, 70_000))
        # then
        assert failed.value.tag == PAID_TAG
        assert documents.store.get("doc-1").paid == 30_000

    def test_paying_a_document_that_is_not_there_fails_with_the_paid_tag_and_makes_none(self, documents):
        # when
        with pytest.raises(ConditionFailed) as failed:
            documents.commit(lambda unit: documents.store.add_paid(unit, _document("doc-9"), 100))
        # then
        assert failed.value.tag == PAID_TAG
        assert documents.store.get("doc-9") is None


class TestDocumentsInMemory(DocumentContract):
    @pytest.fixture
    def documents(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryDocuments())


class TestDocumentsOnMoto(DocumentContract):
    @pytest.fixture
    def documents(self, world: Any) -> Subject[Any]:
        return on_moto(world, "deals", DocumentStore)


# ------------------------------------------------------------------------------ document files


class DocumentFileContract:
    """`DocumentFiles`: the PDFs in the documents bucket, by a key naming the deal, the
    document and its number, and links to download them."""

    @pytest.fixture
    def files(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_the_key_names_the_deal_the_document_and_its_number(self, files):
        # when
        key = files.store.key("deal-1", "doc-1", "РФ-2026-0001")
        # then
        assert key == "documents/deal-1/doc-1/РФ-2026-0001.pdf"

    def test_a_written_file_exists_and_reads_back(self, files):
        # given
        key = files.store.key("deal-1", "doc-1", "РФ-2026-0001")
        assert not files.store.exists(key)
        # when
        files.store.write(key, b"%PDF-1.7 one")
        # then
        assert files.store.exists(key)
        assert files.store.read(key) == b"%PDF-1.7 one"
        assert not files.store.exists(files.store.key("deal-1", "doc-2", "РФ-2026-0002"))

    def test_writing_a_file_again_replaces_it(self, files):
        # given
        key = files.store.key("deal-1", "doc-1", "РФ-2026-0001")
        files.store.write(key, b"%PDF-1.7 one")
        # when
        files.store.write(key, b"%PDF-1.7 two")
        # then
        assert files.store.read(key) == b"%PDF-1.7 two"

    def test_reading_a_file_that_is_not_there_is_no_such_key(self, files):
        # when
        with pytest.raises(ClientError) as missing:
            files.store.read(files.store.key("deal-1", "doc-9", "РФ-2026-0009"))
        # then
        assert missing.value.response["Error"]["Code"] == "NoSuchKey"

    def test_a_download_link_names_the_file_in_latin_letters_for_its_lifetime(self, files):
        # given
        key = files.store.key("deal-1", "doc-1", "РФ-2026-0001")
        files.store.write(key, b"%PDF-1.7 one")
        # when
        url = files.store.download_url(key, 'РФ-2026-0001 "draft".pdf', 300)
        # then
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        assert unquote(parts.path).endswith(f"/{key}")
        assert query["response-content-disposition"] == ['inline; filename="RF-2026-0001 draft.pdf"']
        assert query["response-content-type"] == ["application/pdf"]
        assert query["X-Amz-Expires"] == ["300"]


class TestDocumentFilesInMemory(DocumentFileContract):
    @pytest.fixture
    def files(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryDocumentFiles())


class TestDocumentFilesOnMoto(DocumentFileContract):
    @pytest.fixture
    def files(self, world: Any) -> Subject[Any]:
        return on_moto(world, "deals", lambda table: DocumentFiles(table.settings))


# ------------------------------------------------------------------------------ the ledger


def _payment(payment_id: str, amount: int = 10_000, **fields: Any) -> Payment:
    values: dict[str, Any] = {
        "id": payment_id,
        "deal_id": "deal-1",
        "client_id": "client-1",
        "document_id": "doc-1",
        "amount": amount,
        "currency": "UAH",
        "source": "manual",
        "reference": None,
        "paid_at": NOW,
        "received_at": NOW,
        "recorded_by": "olena",
        "invoice_paid_in_full": False,
    }
    values.update(fields)
    return Payment(**values)


LIQPAY = LiqPayKeys(public_key="sandbox_i000", private_key="sandbox_private_0000")


class LedgerContract:
    """`LedgerStore`: payments by reference and by deal, what each deal has been paid (written
    on the sum read), and the payment webhook's secret and LiqPay's keys."""

    @pytest.fixture
    def ledger(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_deal_with_no_payments_has_paid_nothing(self, ledger):
        # when / then
        assert ledger.store.deal_paid("deal-1") == 0
        assert ledger.store.of_deal("deal-1") == []
        assert ledger.store.by_reference("manual", "BANK-1") is None

    def test_a_payment_reads_back_by_its_reference_and_in_its_deals_payments(self, ledger):
        # when
        ledger.commit(lambda unit: ledger.store.add(unit, _payment("pay-1", reference="BANK-1"), 0))
        # then
        assert ledger.store.by_reference("manual", "BANK-1") == _payment("pay-1", reference="BANK-1")
        assert ledger.store.of_deal("deal-1") == [_payment("pay-1", reference="BANK-1")]
        assert ledger.store.deal_paid("deal-1") == 10_000

    def test_payments_add_up_on_the_deal_from_the_sum_read(self, ledger):
        # given
        ledger.commit(lambda unit: ledger.store.add(unit, _payment("pay-1", 10_000), 0))
        # when
        ledger.commit(
            lambda unit: ledger.store.add(unit, _payment("pay-2", 2_500), ledger.store.deal_paid("deal-1"))
        )
        # then
        assert ledger.store.deal_paid("deal-1") == 12_500
        assert ledger.store.deal_paid("deal-2") == 0

    def test_a_payment_on_a_stale_paid_sum_fails_with_the_deal_paid_tag_and_changes_nothing(self, ledger):
        # given two payments read 0, and one of them was recorded
        ledger.commit(lambda unit: ledger.store.add(unit, _payment("pay-1", reference="BANK-1"), 0))
        # when
        with pytest.raises(ConditionFailed) as failed:
            ledger.commit(lambda unit: ledger.store.add(unit, _payment("pay-2", reference="BANK-2"), 0))
        # then
        assert failed.value.tag == DEAL_PAID_TAG
        assert ledger.store.deal_paid("deal-1") == 10_000
        assert [payment.id for payment in ledger.store.of_deal("deal-1")] == ["pay-1"]
        assert ledger.store.by_reference("manual", "BANK-2") is None

    def test_a_taken_reference_is_a_409_and_changes_nothing(self, ledger):
        # given
        ledger.commit(lambda unit: ledger.store.add(unit, _payment("pay-1", reference="BANK-1"), 0))
        # when
        with pytest.raises(Problem) as conflict:
            ledger.commit(lambda unit: ledger.store.add(unit, _payment("pay-2", reference="BANK-1"), 10_000))
        # then
        assert conflict.value.status == 409
        assert ledger.store.by_reference("manual", "BANK-1").id == "pay-1"
        assert ledger.store.deal_paid("deal-1") == 10_000
        assert [payment.id for payment in ledger.store.of_deal("deal-1")] == ["pay-1"]

    def test_a_reference_is_one_payment_per_source_and_per_api_key(self, ledger):
        # given
        payments = [
            _payment("pay-1", reference="R-1", source="manual"),
            _payment("pay-2", reference="R-1", source="webhook"),
            _payment("pay-3", reference="R-1", source="api", key_id="key-1"),
            _payment("pay-4", reference="R-1", source="api", key_id="key-2"),
        ]
        # when
        for number, payment in enumerate(payments):
            ledger.commit(
                lambda unit, payment=payment, number=number: ledger.store.add(unit, payment, number * 10_000)
            )
        # then
        assert ledger.store.by_reference("manual", "R-1").id == "pay-1"
        assert ledger.store.by_reference("webhook", "R-1").id == "pay-2"
        assert ledger.store.by_reference("api", "R-1", "key-1").id == "pay-3"
        assert ledger.store.by_reference("api", "R-1", "key-2").id == "pay-4"
        assert ledger.store.by_reference("api", "R-1") is None
        assert ledger.store.by_reference("liqpay", "R-1") is None

    def test_a_payment_id_recorded_twice_fails_and_changes_nothing(self, ledger):
        # given
        ledger.commit(lambda unit: ledger.store.add(unit, _payment("pay-1", 10_000), 0))
        # when
        with pytest.raises(ConditionFailed) as failed:
            ledger.commit(lambda unit: ledger.store.add(unit, _payment("pay-1", 99_000), 10_000))
        # then
        assert failed.value.tag == ""
        assert ledger.store.of_deal("deal-1") == [_payment("pay-1", 10_000)]
        assert ledger.store.deal_paid("deal-1") == 10_000

    def test_a_deals_payments_come_in_the_order_they_were_paid(self, ledger):
        # given
        def write(unit: Any, payment: Payment, before: int) -> None:
            ledger.store.add(unit, payment, before)

        ledger.commit(lambda unit: write(unit, _payment("pay-a", paid_at=NOW), 0))
        ledger.commit(lambda unit: write(unit, _payment("pay-b", paid_at=NOW - timedelta(days=3)), 10_000))
        ledger.commit(lambda unit: write(unit, _payment("pay-c", paid_at=NOW - timedelta(days=1)), 20_000))
        ledger.commit(lambda unit: write(unit, _payment("pay-x", deal_id="deal-2"), 0))
        # when
        found = ledger.store.of_deal("deal-1")
        # then
        assert [payment.id for payment in found] == ["pay-b", "pay-c", "pay-a"]
        assert [payment.id for payment in ledger.store.of_deal("deal-1", limit=2)] == ["pay-b", "pay-c"]

    def test_the_webhook_secret_is_unset_until_set_and_the_last_one_set_stands(self, ledger):
        # given
        assert ledger.store.webhook_secret() is None
        # when
        ledger.commit(lambda unit: ledger.store.set_webhook_secret(unit, "paysec_one"))
        ledger.commit(lambda unit: ledger.store.set_webhook_secret(unit, "paysec_two"))
        # then
        assert ledger.store.webhook_secret() == "paysec_two"

    def test_liqpay_keys_are_unset_until_set_and_read_back(self, ledger):
        # given
        assert ledger.store.liqpay() is None
        # when
        ledger.commit(lambda unit: ledger.store.set_liqpay(unit, LIQPAY))
        # then
        assert ledger.store.liqpay() == LIQPAY

    def test_setting_one_payment_setting_keeps_the_other(self, ledger):
        # given
        ledger.commit(lambda unit: ledger.store.set_webhook_secret(unit, "paysec_one"))
        # when
        ledger.commit(lambda unit: ledger.store.set_liqpay(unit, LIQPAY))
        # then
        assert (ledger.store.webhook_secret(), ledger.store.liqpay()) == ("paysec_one", LIQPAY)


class TestLedgerInMemory(LedgerContract):
    @pytest.fixture
    def ledger(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryLedger())


class TestLedgerOnMoto(LedgerContract):
    @pytest.fixture
    def ledger(self, world: Any) -> Subject[Any]:
        return on_moto(world, "deals", LedgerStore)


# ------------------------------------------------------------------------------ API keys


def _key(key_id: str, **fields: Any) -> ApiKey:
    values: dict[str, Any] = {
        "id": key_id,
        "name": f"Key {key_id}",
        "scopes": ["deals:read"],
        "rate_limit_per_minute": 120,
        "created_at": NOW,
        "created_by": "admin",
    }
    values.update(fields)
    return ApiKey(**values)


def _use(key_id: str, at_seconds: int, subject: str | None = None) -> KeyUse:
    return KeyUse(
        key_id=key_id,
        at=NOW + timedelta(seconds=at_seconds),
        action="deals:read",
        method="GET",
        path=f"/external/deals/{subject or 'deal-1'}",
        subject=subject,
    )


class KeyContract:
    """`KeyStore`: API keys with their secrets' hashes, each key's requests counted per
    minute up to its limit, and each key's uses, newest first."""

    @pytest.fixture
    def keys(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_key_reads_back_with_its_secrets_hash(self, keys):
        # when
        keys.commit(lambda unit: keys.store.add(unit, _key("k1"), "hash-1"))
        # then
        assert keys.store.get("k1") == (_key("k1"), "hash-1")
        assert keys.store.get("k2") is None

    def test_a_key_added_twice_fails_and_the_first_stays(self, keys):
        # given
        keys.commit(lambda unit: keys.store.add(unit, _key("k1"), "hash-1"))
        # when
        with pytest.raises(ConditionFailed) as failed:
            keys.commit(lambda unit: keys.store.add(unit, _key("k1", name="Other"), "hash-2"))
        # then
        assert failed.value.tag == ""
        assert keys.store.get("k1") == (_key("k1"), "hash-1")

    def test_a_replaced_key_reads_back_replaced(self, keys):
        # given
        keys.commit(lambda unit: keys.store.add(unit, _key("k1"), "hash-1"))
        revoked = _key("k1", revoked_at=NOW + timedelta(hours=1), revoked_by="admin")
        # when
        keys.commit(lambda unit: keys.store.replace(unit, revoked, "hash-1"))
        # then
        found, secret_hash = keys.store.get("k1")
        assert (found, secret_hash, found.active) == (revoked, "hash-1", False)

    def test_replacing_a_key_that_is_not_there_fails_and_adds_nothing(self, keys):
        # when
        with pytest.raises(ConditionFailed) as failed:
            keys.commit(lambda unit: keys.store.replace(unit, _key("k1"), "hash-1"))
        # then
        assert failed.value.tag == ""
        assert keys.store.get("k1") is None

    def test_every_key_comes_by_id_the_revoked_too(self, keys):
        # given
        def write(unit: Any) -> None:
            keys.store.add(unit, _key("k2"), "hash-2")
            keys.store.add(unit, _key("k3", revoked_at=NOW, revoked_by="admin"), "hash-3")
            keys.store.add(unit, _key("k1"), "hash-1")

        keys.commit(write)
        # when
        found = keys.store.all()
        # then
        assert [key.id for key in found] == ["k1", "k2", "k3"]

    def test_requests_past_the_limit_are_refused_until_the_next_minute(self, keys):
        # when
        this_minute = [
            keys.store.count_use("k1", NOW + timedelta(seconds=second), 2) for second in (0, 10, 59)
        ]
        next_minute = keys.store.count_use("k1", NOW + timedelta(seconds=60), 2)
        # then
        assert this_minute == [True, True, False]
        assert next_minute is True

    def test_each_key_has_its_own_count(self, keys):
        # given
        assert keys.store.count_use("k1", NOW, 1) is True
        # when
        other = keys.store.count_use("k2", NOW, 1)
        # then
        assert other is True
        assert keys.store.count_use("k1", NOW, 1) is False

    def test_a_raised_limit_counts_on_from_the_uses_counted(self, keys):
        # given two requests counted this minute
        keys.store.count_use("k1", NOW, 2)
        keys.store.count_use("k1", NOW, 2)
        # when
        counted = [keys.store.count_use("k1", NOW, 3) for _ in range(2)]
        # then
        assert counted == [True, False]

    def test_a_keys_uses_come_newest_first(self, keys):
        # given
        def write(unit: Any) -> None:
            keys.store.record_use(unit, _use("k1", 1, "deal-a"))
            keys.store.record_use(unit, _use("k1", 3, "deal-c"))
            keys.store.record_use(unit, _use("k1", 2, "deal-b"))
            keys.store.record_use(unit, _use("k2", 4, "deal-x"))

        keys.commit(write)
        # when
        found, _ = keys.store.uses("k1", None, 10)
        # then
        assert found == [_use("k1", 3, "deal-c"), _use("k1", 2, "deal-b"), _use("k1", 1, "deal-a")]
        assert keys.store.uses("k3", None, 10) == ([], None)

    def test_pages_of_a_keys_uses_hold_each_use_once_in_order(self, keys):
        # given
        def write(unit: Any) -> None:
            for second in range(7):
                keys.store.record_use(unit, _use("k1", second, f"deal-{second}"))

        keys.commit(write)
        # when
        seen = _collect(lambda cursor, limit: keys.store.uses("k1", cursor, limit), 3)
        # then
        assert [use.subject for use in seen] == [f"deal-{second}" for second in reversed(range(7))]


class TestKeysInMemory(KeyContract):
    @pytest.fixture
    def keys(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryKeys())


class TestKeysOnMoto(KeyContract):
    @pytest.fixture
    def keys(self, world: Any) -> Subject[Any]:
        return on_moto(world, "deals", KeyStore)


# ------------------------------------------------------------------------------ webhooks


def _webhook(webhook_id: str, **fields: Any) -> Webhook:
    values: dict[str, Any] = {
        "id": webhook_id,
        "url": f"https://erp.example.com/{webhook_id}",
        "events": ["DealCreated"],
        "description": "",
        "created_at": NOW,
        "created_by": "admin",
    }
    values.update(fields)
    return Webhook(**values)


def _enqueue(
    hooks: Subject[Any], delivery_id: str, webhook_id: str = "wh-1", at: Any = NOW, **fields: Any
) -> None:
    values: dict[str, Any] = {
        "delivery_id": delivery_id,
        "webhook_id": webhook_id,
        "event": "DealCreated",
        "url": f"https://erp.example.com/{webhook_id}",
        "payload": {"id": delivery_id, "type": "DealCreated", "data": {"title": "Кухня"}},
        "secret_ref": webhook_id,
        "now": at,
    }
    values.update(fields)
    hooks.commit(lambda unit: hooks.store.enqueue(unit, **values))


def _claim_due(hooks: Subject[Any], now: Any, limit: int = 10) -> list[Outgoing]:
    """Claim whatever is due at `now`, in the order it came (what a sweep does)."""
    return [sent for item in hooks.store.due(now, limit) if (sent := hooks.store.claim(item, now))]


def _delivery(hooks: Subject[Any], delivery_id: str, webhook_id: str = "wh-1") -> Any:
    found, _ = hooks.store.deliveries(webhook_id, None, 100)
    return next(delivery for delivery in found if delivery.id == delivery_id)


class WebhookContract:
    """`WebhookStore`: webhooks with their secrets, and the queue of their deliveries: due by
    their next attempt, claimed one attempt at a time, settled as delivered, pending again or
    failed."""

    @pytest.fixture
    def hooks(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_webhook_reads_back_with_its_secret(self, hooks):
        # when
        hooks.commit(lambda unit: hooks.store.add(unit, _webhook("wh-1"), "whsec_one"))
        # then
        assert hooks.store.get("wh-1") == _webhook("wh-1")
        assert hooks.store.with_secret("wh-1") == (_webhook("wh-1"), "whsec_one")
        assert hooks.store.get("wh-2") is None
        assert hooks.store.with_secret("wh-2") is None

    def test_a_webhook_added_twice_fails_and_the_first_stays(self, hooks):
        # given
        hooks.commit(lambda unit: hooks.store.add(unit, _webhook("wh-1"), "whsec_one"))
        # when
        with pytest.raises(ConditionFailed) as failed:
            hooks.commit(
                lambda unit: hooks.store.add(unit, _webhook("wh-1", description="Other"), "whsec_two")
            )
        # then
        assert failed.value.tag == ""
        assert hooks.store.with_secret("wh-1") == (_webhook("wh-1"), "whsec_one")

    def test_every_webhook_comes_by_id(self, hooks):
        # given
        def write(unit: Any) -> None:
            for webhook_id in ("wh-2", "wh-3", "wh-1"):
                hooks.store.add(unit, _webhook(webhook_id), f"whsec_{webhook_id}")

        hooks.commit(write)
        # when
        found = hooks.store.all()
        # then
        assert [webhook.id for webhook in found] == ["wh-1", "wh-2", "wh-3"]

    def test_a_removed_webhook_is_gone_and_removing_it_again_changes_nothing(self, hooks):
        # given
        hooks.commit(lambda unit: hooks.store.add(unit, _webhook("wh-1"), "whsec_one"))
        hooks.commit(lambda unit: hooks.store.add(unit, _webhook("wh-2"), "whsec_two"))
        # when
        hooks.commit(lambda unit: hooks.store.remove(unit, "wh-1"))
        hooks.commit(lambda unit: hooks.store.remove(unit, "wh-1"))
        # then
        assert hooks.store.get("wh-1") is None
        assert [webhook.id for webhook in hooks.store.all()] == ["wh-2"]

    def test_an_enqueued_delivery_is_pending_and_due_at_once(self, hooks):
        # when
        _enqueue(hooks, "d1")
        # then
        delivery = _delivery(hooks, "d1")
        assert (delivery.webhook_id, delivery.event, delivery.status, delivery.attempts) == (
            "wh-1",
            "DealCreated",
            "pending",
            0,
        )
        assert (delivery.next_attempt_at, delivery.created_at, delivery.last_attempt_at) == (NOW, NOW, None)
        assert [sent.id for sent in _claim_due(hooks, NOW)] == ["d1"]

    def test_due_deliveries_come_minute_by_minute_and_within_a_minute_by_webhook_and_id(self, hooks):
        # given two deliveries due in the minute 07:58 and three in the minute 07:59
        _enqueue(hooks, "d3", "wh-1", NOW - timedelta(seconds=30))
        _enqueue(hooks, "d4", "wh-1", NOW - timedelta(seconds=60))
        _enqueue(hooks, "d5", "wh-0", NOW - timedelta(seconds=50))
        _enqueue(hooks, "d2", "wh-2", NOW - timedelta(seconds=110))
        _enqueue(hooks, "d1", "wh-2", NOW - timedelta(seconds=70))
        # when
        claimed = _claim_due(hooks, NOW)
        # then
        assert [(sent.webhook_id, sent.id) for sent in claimed] == [
            ("wh-2", "d1"),
            ("wh-2", "d2"),
            ("wh-0", "d5"),
            ("wh-1", "d3"),
            ("wh-1", "d4"),
        ]

    def test_a_delivery_is_due_from_the_minute_of_its_next_attempt(self, hooks):
        # given one due later this minute, one the next minute
        _enqueue(hooks, "d1", at=NOW + timedelta(seconds=40))
        _enqueue(hooks, "d2", at=NOW + timedelta(seconds=70))
        # when
        now = _claim_due(hooks, NOW)
        next_minute = _claim_due(hooks, NOW + timedelta(minutes=1))
        # then
        assert [sent.id for sent in now] == ["d1"]
        assert [sent.id for sent in next_minute] == ["d2"]

    def test_due_hands_out_at_most_the_limit_oldest_first(self, hooks):
        # given
        for minute in range(4):
            _enqueue(hooks, f"d{minute}", at=NOW - timedelta(minutes=minute))
        # when
        claimed = _claim_due(hooks, NOW, limit=2)
        # then
        assert [sent.id for sent in claimed] == ["d3", "d2"]

    def test_a_claim_is_one_attempt_of_what_was_enqueued(self, hooks):
        # given
        _enqueue(hooks, "d1", secret_ref=None, event="automation")
        # when
        claimed = _claim_due(hooks, NOW + timedelta(seconds=5))
        # then
        assert claimed == [
            Outgoing(
                id="d1",
                webhook_id="wh-1",
                event="automation",
                url="https://erp.example.com/wh-1",
                payload='{"id":"d1","type":"DealCreated","data":{"title":"Кухня"}}',
                secret_ref=None,
                attempt=1,
            )
        ]
        delivery = _delivery(hooks, "d1")
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert (delivery.last_attempt_at, delivery.next_attempt_at) == (NOW + timedelta(seconds=5), NOW)

    def test_a_claimed_delivery_is_off_the_queue_until_its_lease_runs_out(self, hooks):
        # given
        _enqueue(hooks, "d1")
        _claim_due(hooks, NOW)
        # when
        during_the_lease = _claim_due(hooks, NOW + CLAIM_LEASE - timedelta(minutes=1))
        after_it = _claim_due(hooks, NOW + CLAIM_LEASE)
        # then
        assert during_the_lease == []
        assert [(sent.id, sent.attempt) for sent in after_it] == [("d1", 2)]

    def test_a_delivery_another_sweep_claimed_meanwhile_is_not_claimed_again(self, hooks):
        # given two sweeps read the same due delivery, and one claimed it
        _enqueue(hooks, "d1")
        [read] = hooks.store.due(NOW, 10)
        assert hooks.store.claim(read, NOW) is not None
        # when
        second = hooks.store.claim(read, NOW)
        # then
        assert second is None
        assert _delivery(hooks, "d1").attempts == 1

    def test_a_delivered_attempt_leaves_the_queue(self, hooks):
        # given
        _enqueue(hooks, "d1")
        [sent] = _claim_due(hooks, NOW)
        # when
        outcome = hooks.store.settle(sent, NOW, status=200, error=None, retry_at=None)
        # then
        assert outcome == "delivered"
        delivery = _delivery(hooks, "d1")
        assert (delivery.status, delivery.last_status, delivery.last_error, delivery.next_attempt_at) == (
            "delivered",
            200,
            None,
            None,
        )
        assert _claim_due(hooks, NOW + timedelta(days=1)) == []

    def test_a_failed_attempt_with_a_retry_time_is_pending_again_and_due_then(self, hooks):
        # given
        _enqueue(hooks, "d1")
        [sent] = _claim_due(hooks, NOW)
        retry_at = NOW + timedelta(minutes=5)
        # when
        outcome = hooks.store.settle(sent, NOW, status=500, error="HTTP 500", retry_at=retry_at)
        # then
        assert outcome == "pending"
        delivery = _delivery(hooks, "d1")
        assert (delivery.status, delivery.last_status, delivery.last_error, delivery.next_attempt_at) == (
            "pending",
            500,
            "HTTP 500",
            retry_at,
        )
        assert _claim_due(hooks, retry_at - timedelta(minutes=1)) == []
        assert [(sent.id, sent.attempt) for sent in _claim_due(hooks, retry_at)] == [("d1", 2)]

    def test_a_failed_attempt_without_a_retry_time_is_given_up(self, hooks):
        # given
        _enqueue(hooks, "d1")
        [sent] = _claim_due(hooks, NOW)
        # when
        outcome = hooks.store.settle(sent, NOW, status=None, error="The webhook was removed", retry_at=None)
        # then
        assert outcome == "failed"
        delivery = _delivery(hooks, "d1")
        assert (delivery.status, delivery.last_status, delivery.last_error, delivery.next_attempt_at) == (
            "failed",
            None,
            "The webhook was removed",
            None,
        )
        assert _claim_due(hooks, NOW + timedelta(days=1)) == []

    def test_a_retry_that_succeeds_clears_the_last_error(self, hooks):
        # given a first attempt failed
        _enqueue(hooks, "d1")
        [first] = _claim_due(hooks, NOW)
        retry_at = NOW + timedelta(minutes=1)
        hooks.store.settle(first, NOW, status=503, error="HTTP 503", retry_at=retry_at)
        [second] = _claim_due(hooks, retry_at)
        # when
        outcome = hooks.store.settle(second, retry_at, status=204, error=None, retry_at=None)
        # then
        delivery = _delivery(hooks, "d1")
        assert outcome == "delivered"
        assert (delivery.attempts, delivery.last_status, delivery.last_error) == (2, 204, None)

    def test_an_attempt_settled_after_another_sweep_took_over_is_overtaken_and_changes_nothing(self, hooks):
        # given a sweep claimed it, its lease ran out, and another sweep claimed it again
        _enqueue(hooks, "d1")
        [late] = _claim_due(hooks, NOW)
        [_] = _claim_due(hooks, NOW + CLAIM_LEASE)
        # when
        outcome = hooks.store.settle(late, NOW + CLAIM_LEASE, status=200, error=None, retry_at=None)
        # then
        assert outcome == "overtaken"
        delivery = _delivery(hooks, "d1")
        assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 2, None)

    def test_settling_a_delivery_that_is_not_there_is_overtaken(self, hooks):
        # given
        sent = Outgoing("d9", "wh-1", "DealCreated", "https://erp.example.com/wh-1", "{}", None, 1)
        # when
        outcome = hooks.store.settle(sent, NOW, status=200, error=None, retry_at=None)
        # then
        assert outcome == "overtaken"
        assert hooks.store.deliveries("wh-1", None, 10) == ([], None)

    def test_a_delivery_enqueued_again_starts_over_pending(self, hooks):
        # given
        _enqueue(hooks, "d1")
        [sent] = _claim_due(hooks, NOW)
        hooks.store.settle(sent, NOW, status=200, error=None, retry_at=None)
        # when
        _enqueue(hooks, "d1", at=NOW + timedelta(minutes=2))
        # then
        delivery = _delivery(hooks, "d1")
        assert (delivery.status, delivery.attempts, delivery.last_status) == ("pending", 0, None)
        assert [sent.id for sent in _claim_due(hooks, NOW + timedelta(minutes=2))] == ["d1"]

    def test_pages_of_a_webhooks_deliveries_hold_each_once_the_newest_id_first(self, hooks):
        # given
        for number in range(7):
            _enqueue(hooks, f"d{number}", "wh-1")
        _enqueue(hooks, "d9", "wh-2")
        # when
        seen = _collect(lambda cursor, limit: hooks.store.deliveries("wh-1", cursor, limit), 3)
        # then
        assert [delivery.id for delivery in seen] == [f"d{number}" for number in reversed(range(7))]


class TestWebhooksInMemory(WebhookContract):
    @pytest.fixture
    def hooks(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryWebhooks())


class TestWebhooksOnMoto(WebhookContract):
    @pytest.fixture
    def hooks(self, world: Any) -> Subject[Any]:
        return on_moto(world, "deals", WebhookStore)


# ------------------------------------------------------------------------------ reports


def _tally(*counts: tuple[str, date, str, str, int]) -> Tally:
    tally = Tally()
    for pipeline_id, day, person, name, value in counts:
        tally.add(Cell(pipeline_id, day, person), name, value)
    return tally


def _rows(
    reports: Subject[Any], first: date, last: date, *, by_day: bool, pipeline_id: str = "p1"
) -> list[Any]:
    return [
        (row.cell.day, row.cell.person, dict(row.counters))
        for row in reports.store.rows(pipeline_id, first, last, by_day=by_day)
    ]


DEC_1, DEC_9, DEC_31 = date(2026, 12, 1), date(2026, 12, 9), date(2026, 12, 31)


def _response(minutes: int, person: str = "olena") -> FirstResponse:
    return FirstResponse(NOW + timedelta(minutes=minutes), minutes * 60, "p1", DEC_9, person)


class ReportContract:
    """`ReportStore`: counters added per day and month, read back a month at a time; each
    deal's first response, replaced only from the one read; the "now" gauges."""

    @pytest.fixture
    def reports(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_a_tally_adds_to_its_days_and_to_their_month(self, reports):
        # when
        reports.commit(
            lambda unit: reports.store.add(
                unit,
                _tally(
                    ("p1", DEC_9, "olena", "created", 1),
                    ("p1", DEC_9, "olena", "entered:new", 1),
                    ("p1", date(2026, 12, 10), "olena", "created", 2),
                ),
            )
        )
        # then
        assert _rows(reports, DEC_1, DEC_31, by_day=True) == [
            (DEC_9, "olena", {"created": 1, "entered:new": 1}),
            (date(2026, 12, 10), "olena", {"created": 2}),
        ]
        assert _rows(reports, DEC_1, DEC_31, by_day=False) == [
            (DEC_1, "olena", {"created": 3, "entered:new": 1})
        ]

    def test_counters_add_up_and_may_go_down_to_zero(self, reports):
        # given
        reports.commit(lambda unit: reports.store.add(unit, _tally(("p1", DEC_9, "olena", "won", 1))))
        # when
        reports.commit(lambda unit: reports.store.add(unit, _tally(("p1", DEC_9, "olena", "won", 2))))
        reports.commit(lambda unit: reports.store.add(unit, _tally(("p1", DEC_9, "olena", "lost", 1))))
        reports.commit(lambda unit: reports.store.add(unit, _tally(("p1", DEC_9, "olena", "lost", -1))))
        # then
        assert _rows(reports, DEC_9, DEC_9, by_day=True) == [(DEC_9, "olena", {"won": 3, "lost": 0})]

    def test_a_range_reads_whole_months_from_their_month_counters_and_the_rest_by_day(self, reports):
        # given counters on 14 and 20 November and on 9 December
        reports.commit(
            lambda unit: reports.store.add(
                unit,
                _tally(
                    ("p1", date(2026, 11, 14), "olena", "created", 1),
                    ("p1", date(2026, 11, 20), "olena", "created", 2),
                    ("p1", DEC_9, "olena", "created", 4),
                    ("p1", DEC_9, "petro", "created", 8),
                ),
            )
        )
        # when
        found = _rows(reports, date(2026, 11, 15), DEC_31, by_day=False)
        # then
        assert found == [
            (date(2026, 11, 20), "olena", {"created": 2}),
            (DEC_1, "olena", {"created": 4}),
            (DEC_1, "petro", {"created": 8}),
        ]

    def test_rows_come_by_day_then_person_and_only_within_the_range(self, reports):
        # given
        reports.commit(
            lambda unit: reports.store.add(
                unit,
                _tally(
                    ("p1", date(2026, 12, 12), "anna", "calls", 1),
                    ("p1", DEC_9, "petro", "calls", 2),
                    ("p1", DEC_9, "-", "calls", 3),
                    ("p1", date(2026, 12, 8), "olena", "calls", 4),
                    ("p1", date(2026, 12, 13), "olena", "calls", 5),
                ),
            )
        )
        # when
        found = _rows(reports, DEC_9, date(2026, 12, 12), by_day=False)
        # then
        assert found == [
            (DEC_9, "-", {"calls": 3}),
            (DEC_9, "petro", {"calls": 2}),
            (date(2026, 12, 12), "anna", {"calls": 1}),
        ]

    def test_rows_are_of_one_pipeline(self, reports):
        # given
        reports.commit(
            lambda unit: reports.store.add(
                unit, _tally(("p1", DEC_9, "olena", "won", 1), ("p2", DEC_9, "olena", "won", 5))
            )
        )
        # when
        found = _rows(reports, DEC_1, DEC_31, by_day=False, pipeline_id="p2")
        # then
        assert found == [(DEC_1, "olena", {"won": 5})]
        assert _rows(reports, DEC_1, DEC_31, by_day=False, pipeline_id="p3") == []

    def test_a_deal_has_no_first_response_until_one_is_written(self, reports):
        # given
        assert reports.store.first_response("deal-1") is None
        # when
        reports.commit(lambda unit: reports.store.replace_first_response(unit, "deal-1", None, _response(30)))
        # then
        assert reports.store.first_response("deal-1") == _response(30)
        assert reports.store.first_response("deal-2") is None

    def test_a_first_response_is_kept_to_the_millisecond(self, reports):
        # given
        precise = FirstResponse(NOW + timedelta(microseconds=1_500), 0, "p1", DEC_9, "olena")
        # when
        reports.commit(lambda unit: reports.store.replace_first_response(unit, "deal-1", None, precise))
        # then
        assert reports.store.first_response("deal-1").responded_at == NOW + timedelta(milliseconds=1)

    def test_a_first_response_is_replaced_from_the_one_read(self, reports):
        # given
        reports.commit(lambda unit: reports.store.replace_first_response(unit, "deal-1", None, _response(30)))
        read = reports.store.first_response("deal-1")
        # when
        reports.commit(lambda unit: reports.store.replace_first_response(unit, "deal-1", read, _response(10)))
        # then
        assert reports.store.first_response("deal-1") == _response(10)

    def test_a_first_response_written_meanwhile_fails_with_its_tag_and_stays(self, reports):
        # given two handlers read no first response, and one of them wrote its own
        reports.commit(lambda unit: reports.store.replace_first_response(unit, "deal-1", None, _response(30)))
        # when
        with pytest.raises(ConditionFailed) as from_none:
            reports.commit(
                lambda unit: reports.store.replace_first_response(unit, "deal-1", None, _response(20))
            )
        with pytest.raises(ConditionFailed) as from_another:
            reports.commit(
                lambda unit: reports.store.replace_first_response(
                    unit, "deal-1", _response(40), _response(20)
                )
            )
        # then
        assert (from_none.value.tag, from_another.value.tag) == ("first-response", "first-response")
        assert reports.store.first_response("deal-1") == _response(30)

    def test_replacing_a_first_response_that_is_not_there_fails(self, reports):
        # when
        with pytest.raises(ConditionFailed) as failed:
            reports.commit(
                lambda unit: reports.store.replace_first_response(
                    unit, "deal-1", _response(30), _response(20)
                )
            )
        # then
        assert failed.value.tag == "first-response"
        assert reports.store.first_response("deal-1") is None

    def test_gauges_add_up_per_key_and_may_go_down_to_zero(self, reports):
        # given
        reports.commit(lambda unit: reports.store.gauge(unit, "PIPELINE#p1", {"unassigned": 2}))
        reports.commit(
            lambda unit: reports.store.gauge(unit, "PERSON#olena", {"overdue_tasks": 1, "past_sla": 1})
        )
        # when
        reports.commit(lambda unit: reports.store.gauge(unit, "PIPELINE#p1", {"unassigned": -1}))
        reports.commit(lambda unit: reports.store.gauge(unit, "PERSON#olena", {"overdue_tasks": -1}))
        # then
        assert reports.store.gauges() == {
            "PIPELINE#p1": {"unassigned": 1},
            "PERSON#olena": {"overdue_tasks": 0, "past_sla": 1},
        }

    def test_a_change_of_zero_writes_no_gauge(self, reports):
        # when
        reports.commit(lambda unit: reports.store.gauge(unit, "PIPELINE#p1", {"unassigned": 0}))
        reports.commit(
            lambda unit: reports.store.gauge(unit, "PERSON#olena", {"overdue_tasks": 0, "past_sla": 1})
        )
        # then
        assert reports.store.gauges() == {"PERSON#olena": {"past_sla": 1}}


class TestReportsInMemory(ReportContract):
    @pytest.fixture
    def reports(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryReports())


class TestReportsOnMoto(ReportContract):
    @pytest.fixture
    def reports(self, world: Any) -> Subject[Any]:
        return on_moto(world, "deals", ReportStore)
