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
