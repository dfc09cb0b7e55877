"""Demo data of the furniture company, put in on the first start of a local stack.

It enters the way real requests do: `RequestReceived` events on the bus, as the website
form, Telegram, Viber, e-mail and a phone call would send them. The clients service finds
or creates each client and deals opens a deal in the furniture pipeline, so the demo shows
the real path, not rows written behind the services' backs.
"""

from __future__ import annotations

from typing import Any

from lanka_platform import resources
from lanka_platform.contracts.notifications import RequestReceived
from lanka_platform.events import envelope

REQUESTS = (
    RequestReceived(
        request_id="demo-1",
        channel="website",
        name="Олена Петренко",
        phone="067 123 45 67",
        email="olena.petrenko@example.com",
        subject="Кухня на замовлення",
        message="Кухня 3,2 м, фасади МДФ, хочу замір цього тижня",
    ),
    RequestReceived(
        request_id="demo-2",
        channel="telegram",
        name="Тарас Коваль",
        telegram="@taras_koval",
        subject="Шафа-купе",
        message="Шафа-купе в передпокій, 2,4 м",
    ),
    RequestReceived(
        request_id="demo-3",
        channel="phone",
        name="Мар'яна Шевченко",
        phone="+380501112233",
        subject="Дитяча кімната",
    ),
    RequestReceived(
        request_id="demo-4",
        channel="email",
        name="ТОВ «Дубовий двір»",
        email="office@dub-dvir.example.com",
        subject="Меблі для офісу",
        message="Потрібні 12 робочих місць і шафи для документів",
    ),
    RequestReceived(
        request_id="demo-5",
        channel="viber",
        name="Ірина Бондаренко",
        phone="0931234567",
        subject="Гардеробна",
    ),
    # The same person again, by phone, typed another way: linked, not a second client.
    RequestReceived(
        request_id="demo-6",
        channel="phone",
        phone="+38 (067) 123-45-67",
        subject="Передзвонити щодо кольору фасадів",
    ),
)


def send_requests(events: Any) -> int:
    """Put the demo requests on the bus (the router delivers them like any other event)."""
    entries = []
    for request in REQUESTS:
        wrapped = envelope(request)
        entries.append(
            {
                "EventBusName": resources.EVENT_BUS,
                "Source": wrapped.source,
                "DetailType": wrapped.detail_type,
                "Detail": wrapped.detail_json(),
            }
        )
    events.put_events(Entries=entries)
    return len(entries)


# ---------------------------------------------------------------------------- booking

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
_HOURS = {
    "weekly": {day: [{"start": "09:00", "end": "18:00"}] for day in _WEEKDAYS}
    | {"sat": [{"start": "10:00", "end": "15:00"}]},
    "breaks": {day: [{"start": "13:00", "end": "14:00"}] for day in _WEEKDAYS},
}
BOOKING_ZONES: dict[str, Any] = {
    "zones": ["pechersk", "podil", "obolon", "livyi_bereh"],
    "travel": [
        {"between": ["pechersk", "pechersk"], "minutes": 15},
        {"between": ["podil", "podil"], "minutes": 15},
        {"between": ["obolon", "obolon"], "minutes": 15},
        {"between": ["livyi_bereh", "livyi_bereh"], "minutes": 15},
        {"between": ["pechersk", "podil"], "minutes": 30},
        {"between": ["pechersk", "obolon"], "minutes": 45},
        {"between": ["pechersk", "livyi_bereh"], "minutes": 45},
        {"between": ["podil", "obolon"], "minutes": 30},
        {"between": ["podil", "livyi_bereh"], "minutes": 45},
        {"between": ["obolon", "livyi_bereh"], "minutes": 60},
    ],
    "default_travel_minutes": 30,
    "version": 0,
}
BOOKABLE_SERVICES: tuple[dict[str, Any], ...] = (
    {
        "key": "measurement",
        "name": "Замір",
        "name_en": "Measurement visit",
        "description": "Майстер приїде, зробить заміри й порадить щодо матеріалів. Безкоштовно.",
        "description_en": "A measurer comes to take the dimensions and advise on materials. Free.",
        "duration_minutes": 60,
        "price": {"amount": 0, "currency": "UAH"},
        "at_client_address": True,
        "slot_step_minutes": 60,
        "buffer_after_minutes": 15,
        "min_notice_minutes": 120,
        "horizon_days": 60,
        "required_skills": ["measure"],
    },
    {
        "key": "installation",
        "name": "Монтаж меблів",
        "name_en": "Furniture installation",
        "description": "Монтаж виготовлених меблів у вас удома.",
        "description_en": "Installing the finished furniture at your home.",
        "duration_minutes": 240,
        "price": None,
        "at_client_address": True,
        "slot_step_minutes": 60,
        "buffer_before_minutes": 15,
        "buffer_after_minutes": 15,
        "min_notice_minutes": 24 * 60,
        "horizon_days": 90,
        "required_skills": ["install"],
        "allows_staff_choice": False,
    },
)
BOOKABLE_STAFF: tuple[dict[str, Any], ...] = (
    {"name": "Петро", "skills": ["measure"], "home_zone": "pechersk", "username": "measurer"},
    {"name": "Андрій", "skills": ["measure"], "home_zone": "obolon"},
    {"name": "Василь", "skills": ["install"], "home_zone": "podil", "username": "installer"},
    {"name": "Микола", "skills": ["install"], "home_zone": "livyi_bereh"},
)


def sign_in(http: Any, username: str, password: str) -> str:
    """The ID token of a staff user, signed in as the staff app does."""
    response = http.post("/api/clients/auth/login", json={"username": username, "password": password})
    if response.status_code != 200:
        raise RuntimeError(f"demo sign-in of {username} failed: {response.get_data(as_text=True)}")
    return str(response.get_json()["id_token"])


def seed_booking(http: Any, cognito: Any, pool_id: str, password: str, url: str) -> int:
    """Set up the furniture company's booking through the booking API, as its admin would:
    zones, the bookable services, two measurers and two installers with working hours."""
    headers = {"Authorization": f"Bearer {sign_in(http, 'admin', password)}"}

    def send(method: str, path: str, body: Any) -> None:
        response = http.open(f"/api/booking{path}", method=method, json=body, headers=headers)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"demo booking set-up failed at {path}: {response.get_data(as_text=True)}")

    send("PUT", "/zones", BOOKING_ZONES)
    send(
        "PUT",
        "/settings",
        {"company_name": "Меблі Ланка", "public_api_url": f"{url}/api/booking", "version": 0},
    )
    for offering in BOOKABLE_SERVICES:
        send("POST", "/services", offering)
    for member in BOOKABLE_STAFF:
        body = {key: value for key, value in member.items() if key != "username"}
        if "username" in member:
            user = cognito.admin_get_user(UserPoolId=pool_id, Username=member["username"])
            body["user_id"] = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
        send("POST", "/staff", {**body, "hours": _HOURS})
    return len(BOOKABLE_SERVICES) + len(BOOKABLE_STAFF)


def _input(
    key: str, name: str, name_en: str, low: int, high: int, default: int | None = None
) -> dict[str, Any]:
    return {"key": key, "name": name, "name_en": name_en, "min": low, "max": high, "default": default}


# The furniture company's price list, as its admin would save it (`PUT /price-book`).
# Amounts are kopiyky: 680000 is 6 800,00 грн.
PRICE_BOOK: dict[str, Any] = {
    "currency": "UAH",
    "vat_mode": "none",
    "rounding": 1000,
    "minimum_order": 1_500_000,
    "items": [
        {
            "key": "wardrobe",
            "name": "Шафа-купе",
            "name_en": "Sliding-door wardrobe",
            "description": "Ціна за м² фасаду; чим більша шафа, тим дешевший метр.",
            "description_en": "Priced per m² of facade; the bigger, the cheaper per metre.",
            "unit": "m2",
            "bands": [
                {"up_to": "3", "unit_price": 680_000},
                {"up_to": "5", "unit_price": 620_000},
                {"up_to": None, "unit_price": 580_000},
            ],
            "inputs": [
                _input("width", "Ширина", "Width", 800, 3600, 2400),
                _input("height", "Висота", "Height", 1800, 2800, 2400),
                _input("depth", "Глибина", "Depth", 400, 700, 600),
                _input("quantity", "Кількість", "Quantity", 1, 5, 1),
            ],
            "options": [
                {
                    "key": "mirror",
                    "name": "Дзеркальний фасад",
                    "name_en": "Mirror facade",
                    "kind": "per_unit",
                    "amount": 95_000,
                    "per": "m2",
                    "excludes": ["matte_glass"],
                },
                {
                    "key": "matte_glass",
                    "name": "Матове скло",
                    "name_en": "Frosted glass",
                    "kind": "per_unit",
                    "amount": 110_000,
                    "per": "m2",
                },
                {
                    "key": "sandblast",
                    "name": "Піскоструминний малюнок на дзеркалі",
                    "name_en": "Sandblasted pattern on the mirror",
                    "kind": "fixed",
                    "amount": 180_000,
                    "requires": ["mirror"],
                },
                {
                    "key": "soft_close",
                    "name": "Доводчики дверей",
                    "name_en": "Soft-close doors",
                    "kind": "fixed",
                    "amount": 120_000,
                },
                {
                    "key": "led",
                    "name": "LED-підсвітка",
                    "name_en": "LED lighting",
                    "kind": "per_unit",
                    "amount": 45_000,
                    "per": "running_m",
                },
                {
                    "key": "painted",
                    "name": "Фарбований МДФ",
                    "name_en": "Painted MDF",
                    "kind": "multiply",
                    "factor": "1.25",
                },
            ],
            "tiers": [{"min_quantity": 2, "percent": 5}],
        },
        {
            "key": "kitchen",
            "name": "Кухня",
            "name_en": "Kitchen",
            "description": "Ціна за погонний метр (нижні й верхні модулі).",
            "description_en": "Priced per running metre (base and wall units).",
            "unit": "running_m",
            "unit_price": 1_250_000,
            "inputs": [_input("width", "Довжина", "Length", 1200, 8000, 3200)],
            "options": [
                {
                    "key": "soft_close",
                    "name": "Доводчики Blum",
                    "name_en": "Blum soft-close",
                    "kind": "fixed",
                    "amount": 350_000,
                },
                {
                    "key": "led",
                    "name": "LED-підсвітка",
                    "name_en": "LED lighting",
                    "kind": "per_unit",
                    "amount": 55_000,
                    "per": "running_m",
                },
                {
                    "key": "stone_top",
                    "name": "Стільниця з кварцу",
                    "name_en": "Quartz worktop",
                    "kind": "per_unit",
                    "amount": 420_000,
                    "per": "running_m",
                    "excludes": ["laminate_top"],
                },
                {
                    "key": "laminate_top",
                    "name": "Стільниця ДСП",
                    "name_en": "Laminate worktop",
                    "kind": "per_unit",
                    "amount": 90_000,
                    "per": "running_m",
                },
            ],
        },
    ],
    "fees": [
        {"key": "visit", "name": "Виїзд замірника", "name_en": "Measurer's visit", "amount": 30_000},
        {"key": "delivery", "name": "Доставка по Києву", "name_en": "Delivery in Kyiv", "amount": 80_000},
        {
            "key": "installation",
            "name": "Монтаж",
            "name_en": "Installation",
            "amount": 250_000,
            "optional": True,
        },
    ],
    "promo_codes": [
        {
            "code": "ZIMA10",
            "percent": 10,
            "valid_from": "2026-11-01T00:00:00Z",
            "valid_until": "2027-03-01T00:00:00Z",
        },
        {"code": "LITO2026", "amount": 100_000, "valid_until": "2026-09-01T00:00:00Z"},
    ],
}


def save_price_book(http: Any, token: str) -> int:
    """Save the demo price book through the booking API, as the admin would; its version."""
    response = http.put(
        "/api/booking/price-book",
        json={**PRICE_BOOK, "version": 0},
        headers={"Authorization": f"Bearer {token}"},
    )
    if response.status_code == 409:
        return 1  # already there (a restarted first start)
    if response.status_code != 200:
        raise RuntimeError(f"the demo price book was refused: {response.get_data(as_text=True)}")
    return int(response.get_json()["version"])
