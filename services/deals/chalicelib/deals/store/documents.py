"""The company's requisites, document templates, numbering counters and documents; their PDFs
in the documents bucket.

| item             | pk                              | sk            |
| ---------------- | ------------------------------- | ------------- |
| requisites       | SETTINGS                        | COMPANY       |
| template version | DOCTEMPLATE#<kind>#<language>   | V#<000001>    |
| counter          | DOCSEQ#<kind>#<year>            | SEQUENCE      |
| document         | DOCUMENT#<id>                   | DOCUMENT      |
| number           | DOCNUMBER#<number>              | DOCUMENT      |

A template is never overwritten: saving adds a version (the newest is the one in use). A
document is on gsi1 under `DEALDOCS#<deal id>` / `<issued_at>#<id>` (a deal's documents,
newest first). The counter holds the last number given: taking the next one is an update
conditioned on the value read, in the same transaction as the document and its number
item, so two documents never share a number and a failed transaction leaves no gap.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from botocore.exceptions import ClientError
from chalicelib.deals.domain.documents import CompanySettings, Document, DocumentTemplate
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform import aws
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Gsi1, Store, TableModel, writes

NUMBER_TAG = "document-number"
PAID_TAG = "document-paid"


class CompanyItem(TableModel):
    body = UnicodeAttribute()
    version = NumberAttribute()


class TemplateItem(TableModel):
    body = UnicodeAttribute()


class CounterItem(TableModel):
    last = NumberAttribute(null=True)


class DocumentItem(TableModel):
    body = UnicodeAttribute()
    paid = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi1 = Gsi1()


class NumberItem(TableModel):
    document_id = UnicodeAttribute()


MODELS = (CompanyItem, TemplateItem, CounterItem, DocumentItem, NumberItem)


def deal_documents_key(deal_id: str) -> str:
    return f"DEALDOCS#{deal_id}"


class DocumentStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._company = store.model(CompanyItem)
        self._templates = store.model(TemplateItem)
        self._counters = store.model(CounterItem)
        self._documents = store.model(DocumentItem)
        self._numbers = store.model(NumberItem)

    # ------------------------------------------------------------------ requisites

    def company(self) -> CompanySettings | None:
        try:
            item = self._company.get("SETTINGS", "COMPANY")
        except DoesNotExist:
            return None
        return CompanySettings.model_validate({**json.loads(item.body), "version": int(item.version)})

    def save_company(self, unit: UnitOfWork, settings: CompanySettings, expected: int) -> None:
        item = self._company(
            pk="SETTINGS",
            sk="COMPANY",
            body=settings.model_dump_json(exclude={"version"}),
            version=settings.version,
        )
        condition = self._company.pk.does_not_exist() if expected == 0 else self._company.version == expected
        writes(unit).put(
            item,
            condition=condition,
            on_conflict=lambda: Problem.conflict("Someone changed the requisites meanwhile; reload them."),
        )

    # ------------------------------------------------------------------ templates

    def template(self, kind: str, language: str) -> DocumentTemplate | None:
        """The template in use (the newest saved version), or None when none was saved."""
        for item in self._templates.query(
            f"DOCTEMPLATE#{kind}#{language}", scan_index_forward=False, limit=1
        ):
            return DocumentTemplate.model_validate_json(item.body)
        return None

    def template_version(self, kind: str, language: str, version: int) -> DocumentTemplate | None:
        try:
            item = self._templates.get(f"DOCTEMPLATE#{kind}#{language}", f"V#{version:06d}")
        except DoesNotExist:
            return None
        return DocumentTemplate.model_validate_json(item.body)

    def save_template(self, unit: UnitOfWork, template: DocumentTemplate) -> None:
        item = self._templates(
            pk=f"DOCTEMPLATE#{template.kind}#{template.language}",
            sk=f"V#{template.version:06d}",
            body=template.model_dump_json(exclude={"variables"}),
        )
        writes(unit).put(
            item,
            condition=self._templates.pk.does_not_exist(),
            on_conflict=lambda: Problem.conflict("Someone saved this template meanwhile; reload it."),
        )

    # ------------------------------------------------------------------ numbering

    def last_number(self, kind: str, year: int) -> int:
        try:
            item = self._counters.get(f"DOCSEQ#{kind}#{year}", "SEQUENCE", consistent_read=True)
        except DoesNotExist:
            return 0
        return int(item.last or 0)

    def take_number(self, unit: UnitOfWork, kind: str, year: int, last: int) -> int:
        """Queue the counter's step from `last` to `last + 1`; if someone took it meanwhile
        the transaction fails with `ConditionFailed(NUMBER_TAG)` and nothing is written."""
        item = self._counters(pk=f"DOCSEQ#{kind}#{year}", sk="SEQUENCE")
        condition = self._counters.last.does_not_exist() if last == 0 else self._counters.last == last
        writes(unit).update(
            item, actions=[self._counters.last.set(last + 1)], condition=condition, tag=NUMBER_TAG
        )
        return last + 1

    # ------------------------------------------------------------------ documents

    def add(self, unit: UnitOfWork, document: Document) -> None:
        writes(unit).put(
            self._documents(
                pk=f"DOCUMENT#{document.id}",
                sk="DOCUMENT",
                body=document.model_dump_json(exclude={"paid"}),
                paid=document.paid,
                gsi1pk=deal_documents_key(document.deal_id),
                gsi1sk=f"{document.issued_at.isoformat()}#{document.id}",
            ),
            condition=self._documents.pk.does_not_exist(),
            tag=f"stale:document:{document.id}",
        )
        writes(unit).put(
            self._numbers(pk=f"DOCNUMBER#{document.number}", sk="DOCUMENT", document_id=document.id),
            condition=self._numbers.pk.does_not_exist(),
            tag=NUMBER_TAG,
        )

    def get(self, document_id: str) -> Document | None:
        try:
            item = self._documents.get(f"DOCUMENT#{document_id}", "DOCUMENT", consistent_read=True)
        except DoesNotExist:
            return None
        return _document(item)

    def by_number(self, number: str) -> Document | None:
        try:
            found = self._numbers.get(f"DOCNUMBER#{number}", "DOCUMENT")
        except DoesNotExist:
            return None
        return self.get(found.document_id)

    def of_deal(self, deal_id: str, limit: int = 100) -> list[Document]:
        """A deal's documents, newest first (one Query)."""
        return [
            _document(item)
            for item in self._documents.gsi1.query(
                deal_documents_key(deal_id), scan_index_forward=False, limit=limit
            )
        ]

    def add_paid(self, unit: UnitOfWork, document: Document, amount: int) -> None:
        """Queue `amount` more paid on the document, unless its paid sum changed since it was
        read (`ConditionFailed(PAID_TAG)`: read again and retry)."""
        item = self._documents(pk=f"DOCUMENT#{document.id}", sk="DOCUMENT")
        writes(unit).update(
            item,
            actions=[self._documents.paid.set(document.paid + amount)],
            condition=self._documents.paid == document.paid,
            tag=PAID_TAG,
        )


def _document(item: DocumentItem) -> Document:
    data: dict[str, Any] = json.loads(item.body)
    data["paid"] = int(item.paid or 0)
    return Document.model_validate(data)


class DocumentFiles:
    """The PDFs in the documents bucket (the only code that knows their keys)."""

    def __init__(self, settings: Any) -> None:
        self._settings = settings
        self.bucket: str = settings.documents_bucket

    @cached_property
    def _s3(self) -> Any:
        return aws.client("s3", self._settings.region, self._settings.aws_endpoint_url)

    @staticmethod
    def key(deal_id: str, document_id: str, number: str) -> str:
        return f"documents/{deal_id}/{document_id}/{number}.pdf"

    def exists(self, key: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def write(self, key: str, data: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="application/pdf")

    def read(self, key: str) -> bytes:
        answer = self._s3.get_object(Bucket=self.bucket, Key=key)
        data: bytes = answer["Body"].read()
        return data

    def download_url(self, key: str, filename: str, seconds: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'inline; filename="{_ascii(filename)}"',
                "ResponseContentType": "application/pdf",
            },
            ExpiresIn=seconds,
        )
        return url


_LATIN = str.maketrans({"Р": "R", "Ф": "F", "К": "K", "П": "P", "Д": "D", "Г": "G", "А": "A", "Т": "T"})


def _ascii(filename: str) -> str:
    """A header-safe file name (the number's Cyrillic prefix in Latin letters)."""
    return "".join(ch for ch in filename.translate(_LATIN) if ch.isascii() and ch not in '"\\')
