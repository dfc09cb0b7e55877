"""What the document, payment and call tests share: a client and a priced deal, the
company's requisites, and reading a stored PDF's text."""

from __future__ import annotations

import io
import re
from typing import Any

import boto3

DEALS = "/api/deals"
ADMIN = ("root", "admin")
REQUISITES = {
    "name": "ТОВ «Ланка Меблі»",
    "edrpou": "14360570",
    "iban": "UA213223130000026007233566001",
    "bank": "АТ КБ «ПриватБанк»",
    "address": "м. Київ, вул. Хрещатик, 1",
    "phone": "+380441234567",
    "email": "office@lanka.example",
    "vat_payer": False,
    "director": "Іваненко І. І.",
    "version": 0,
}


def api(
    world: Any, method: str, path: str, user: str = "olena", role: str = "manager", **options: Any
) -> Any:
    return world.http.open(f"{DEALS}{path}", method=method, headers=world.headers(user, role), **options)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def client(world: Any, name: str = "Олена Петренко", user: str = "olena") -> str:
    response = world.http.post(
        "/api/clients/clients",
        json={"name": name, "phone": "0671234567"},
        headers=world.headers(user, "manager"),
    )
    assert response.status_code == 201, response.get_json()
    world.router.deliver_all()
    return str(response.get_json()["id"])


def priced_deal(world: Any, amount: int, name: str = "Олена Петренко", user: str = "olena") -> dict[str, Any]:
    client_id = client(world, name, user)
    deal = ok(
        api(
            world,
            "POST",
            "/deals",
            user,
            json={"client_id": client_id, "title": "Кухня 3,2 м", "amount": amount},
        ),
        201,
    )
    world.router.deliver_all()
    return dict(deal)


def set_requisites(world: Any, **changes: Any) -> dict[str, Any]:
    return dict(ok(api(world, "PUT", "/settings/company", *ADMIN, json={**REQUISITES, **changes})))


def pdf_text(key: str) -> str:
    """The text of a stored PDF, as a reader would copy it (whitespace collapsed)."""
    from pypdf import PdfReader

    body = boto3.client("s3").get_object(Bucket="lanka-documents", Key=key)["Body"].read()
    assert body.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return re.sub(r"\s+", " ", text)
