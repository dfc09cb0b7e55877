"""The templates Lanka ships, in Ukrainian and English, and the variables each may use.

Used whenever the company has not edited a template (`templates.find`). Every template also
gets `client_name`; booking templates get the visit's time already shown in Kyiv time.
"""

from __future__ import annotations

from functools import cache

from chalicelib.notifications.domain.templates import Template, template_id

_CLIENT = {"client_name": "Ім'я клієнта / the client's name"}
_BOOKING = {
    **_CLIENT,
    "service_name": "Що заброньовано (Замір) / what was booked",
    "starts_at": "Дата і час візиту, за Києвом / the visit's date and time, Kyiv time",
    "address": "Адреса візиту / where the visit is",
    "manage_url": "Посилання, щоб перенести чи скасувати / the manage link",
}
_DEAL = {**_CLIENT, "deal_title": "Назва угоди / the deal's title", "deal_id": "Ідентифікатор угоди"}


def variables_of(name: str) -> dict[str, str]:
    """What a template of this name may use: its documented variables, or, for a template
    of the company's own naming, the client's name that every message is rendered with."""
    return VARIABLES.get(name, _CLIENT)


VARIABLES: dict[str, dict[str, str]] = {
    "booking_confirmation": _BOOKING,
    "booking_confirmed": _DEAL,
    "booking_reminder": _BOOKING,
    "booking_rescheduled": _BOOKING,
    "booking_cancelled": _BOOKING,
    "quote": {**_DEAL, "amount": "Сума / the amount", "url": "Посилання на пропозицію"},
    "invoice": {**_DEAL, "amount": "Сума / the amount", "url": "Посилання на рахунок"},
    "payment_received": _DEAL,
    "order_ready": _DEAL,
    "delivery_time_request": _DEAL,
    "installation_notice": {**_DEAL, "starts_at": "Коли монтаж / when", "address": "Адреса / where"},
    "staff_alert": {"text": "Текст сповіщення / the alert's text"},
    "head_digest": {"text": "Зведення за вчора / yesterday's summary"},
}

# (name) -> {locale: (subject, body)}; one text serves every channel (e-mail adds a subject).
_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "booking_confirmation": {
        "uk": (
            "Підтвердження: {{ service_name }} {{ starts_at }}",
            "Вітаємо, {{ client_name }}!\n\n{{ service_name }} заплановано на {{ starts_at }}"
            "{% if address %} за адресою {{ address }}{% endif %}.\n\n"
            "{% if manage_url %}Перенести чи скасувати: {{ manage_url }}{% endif %}",
        ),
        "en": (
            "Confirmed: {{ service_name }} {{ starts_at }}",
            "Hello, {{ client_name }}!\n\n{{ service_name }} is booked for {{ starts_at }}"
            "{% if address %} at {{ address }}{% endif %}.\n\n"
            "{% if manage_url %}Reschedule or cancel: {{ manage_url }}{% endif %}",
        ),
    },
    "booking_reminder": {
        "uk": (
            "Нагадування: {{ service_name }} {{ starts_at }}",
            "{{ client_name }}, нагадуємо: {{ service_name }} {{ starts_at }}"
            "{% if address %}, {{ address }}{% endif %}."
            "{% if manage_url %} Перенести чи скасувати: {{ manage_url }}{% endif %}",
        ),
        "en": (
            "Reminder: {{ service_name }} {{ starts_at }}",
            "{{ client_name }}, a reminder: {{ service_name }} {{ starts_at }}"
            "{% if address %}, {{ address }}{% endif %}."
            "{% if manage_url %} Reschedule or cancel: {{ manage_url }}{% endif %}",
        ),
    },
    "booking_rescheduled": {
        "uk": (
            "Перенесено: {{ service_name }} {{ starts_at }}",
            "{{ client_name }}, {{ service_name }} перенесено на {{ starts_at }}"
            "{% if address %} за адресою {{ address }}{% endif %}."
            "{% if manage_url %} Керувати записом: {{ manage_url }}{% endif %}",
        ),
        "en": (
            "Rescheduled: {{ service_name }} {{ starts_at }}",
            "{{ client_name }}, {{ service_name }} is moved to {{ starts_at }}"
            "{% if address %} at {{ address }}{% endif %}."
            "{% if manage_url %} Manage it: {{ manage_url }}{% endif %}",
        ),
    },
    "booking_cancelled": {
        "uk": (
            "Скасовано: {{ service_name }}",
            "{{ client_name }}, {{ service_name }} {{ starts_at }} скасовано. "
            "Щоб обрати інший час, напишіть нам.",
        ),
        "en": (
            "Cancelled: {{ service_name }}",
            "{{ client_name }}, {{ service_name }} {{ starts_at }} is cancelled. "
            "Write to us to choose another time.",
        ),
    },
    "booking_confirmed": {
        "uk": ("Запис підтверджено", "{{ client_name }}, ваш запис щодо «{{ deal_title }}» підтверджено."),
        "en": ("Booking confirmed", "{{ client_name }}, your booking for “{{ deal_title }}” is confirmed."),
    },
    "quote": {
        "uk": (
            "Комерційна пропозиція: {{ deal_title }}",
            "{{ client_name }}, надсилаємо пропозицію щодо «{{ deal_title }}»."
            "{% if amount %} Сума: {{ amount }}.{% endif %}{% if url %} {{ url }}{% endif %}",
        ),
        "en": (
            "Quote: {{ deal_title }}",
            "{{ client_name }}, here is our quote for “{{ deal_title }}”."
            "{% if amount %} Amount: {{ amount }}.{% endif %}{% if url %} {{ url }}{% endif %}",
        ),
    },
    "invoice": {
        "uk": (
            "Рахунок: {{ deal_title }}",
            "{{ client_name }}, надсилаємо рахунок щодо «{{ deal_title }}»."
            "{% if amount %} До сплати: {{ amount }}.{% endif %}{% if url %} {{ url }}{% endif %}",
        ),
        "en": (
            "Invoice: {{ deal_title }}",
            "{{ client_name }}, here is the invoice for “{{ deal_title }}”."
            "{% if amount %} Amount due: {{ amount }}.{% endif %}{% if url %} {{ url }}{% endif %}",
        ),
    },
    "payment_received": {
        "uk": ("Оплату отримано", "{{ client_name }}, дякуємо! Оплату за «{{ deal_title }}» отримано."),
        "en": (
            "Payment received",
            "{{ client_name }}, thank you! We received the payment for “{{ deal_title }}”.",
        ),
    },
    "order_ready": {
        "uk": (
            "Замовлення готове",
            "{{ client_name }}, ваше замовлення «{{ deal_title }}» "
            "готове. Менеджер зв'яжеться щодо доставки.",
        ),
        "en": (
            "Your order is ready",
            "{{ client_name }}, your order “{{ deal_title }}” is "
            "ready. Your manager will call about delivery.",
        ),
    },
    "delivery_time_request": {
        "uk": (
            "Коли вам зручно прийняти доставку?",
            "{{ client_name }}, «{{ deal_title }}» готове до доставки. Коли "
            "вам зручно? Відповідайте на це повідомлення.",
        ),
        "en": (
            "When suits you for delivery?",
            "{{ client_name }}, “{{ deal_title }}” is ready for delivery. "
            "When suits you? Just reply to this message.",
        ),
    },
    "installation_notice": {
        "uk": (
            "Монтаж: {{ deal_title }}",
            "{{ client_name }}, монтаж «{{ deal_title }}»{% if starts_at %} {{ starts_at }}{% endif %}"
            "{% if address %} за адресою {{ address }}{% endif %}.",
        ),
        "en": (
            "Installation: {{ deal_title }}",
            "{{ client_name }}, the installation of “{{ deal_title }}”"
            "{% if starts_at %} is {{ starts_at }}{% endif %}"
            "{% if address %} at {{ address }}{% endif %}.",
        ),
    },
    "staff_alert": {
        "uk": ("Lanka: сповіщення", "{{ text }}"),
        "en": ("Lanka: notification", "{{ text }}"),
    },
    "head_digest": {
        "uk": ("Lanka: зведення за вчора", "{{ text }}"),
        "en": ("Lanka: yesterday's summary", "{{ text }}"),
    },
}

CHANNELS = ("email", "sms", "telegram", "viber")


@cache
def _defaults() -> dict[str, Template]:
    found: dict[str, Template] = {}
    for name, by_locale in _TEXTS.items():
        for locale, (subject, body) in by_locale.items():
            for channel in CHANNELS:
                key = template_id(name, channel, locale)
                found[key] = Template(
                    id=key,
                    name=name,
                    channel=channel,
                    locale=locale,
                    subject=subject if channel == "email" else None,
                    body=body,
                    edited=False,
                    variables=VARIABLES[name],
                )
    return found


def default_templates() -> list[Template]:
    return list(_defaults().values())


def default_template(key: str) -> Template | None:
    return _defaults().get(key)
