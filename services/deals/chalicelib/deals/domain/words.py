"""Amounts in words, in Ukrainian, as an invoice states them: «одна тисяча двісті гривень
50 копійок».

Written out here rather than taken from a library: the agreement of the numeral with the
noun (одна гривня, дві гривні, п'ять гривень; одна тисяча, дві тисячі; два мільйони) and the
feminine forms of 1 and 2 before гривня and тисяча are exactly what invoices get wrong.
"""

from __future__ import annotations

from typing import Literal

Gender = Literal["m", "f"]

_ONES = {
    "m": ("", "один", "два", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять"),
    "f": ("", "одна", "дві", "три", "чотири", "п'ять", "шість", "сім", "вісім", "дев'ять"),
}
_TEENS = (
    "десять",
    "одинадцять",
    "дванадцять",
    "тринадцять",
    "чотирнадцять",
    "п'ятнадцять",
    "шістнадцять",
    "сімнадцять",
    "вісімнадцять",
    "дев'ятнадцять",
)
_TENS = (
    "",
    "",
    "двадцять",
    "тридцять",
    "сорок",
    "п'ятдесят",
    "шістдесят",
    "сімдесят",
    "вісімдесят",
    "дев'яносто",
)
_HUNDREDS = (
    "",
    "сто",
    "двісті",
    "триста",
    "чотириста",
    "п'ятсот",
    "шістсот",
    "сімсот",
    "вісімсот",
    "дев'ятсот",
)

# (one, two to four, five and more), and the gender the numeral agrees with.
_SCALES: tuple[tuple[tuple[str, str, str], Gender], ...] = (
    (("тисяча", "тисячі", "тисяч"), "f"),
    (("мільйон", "мільйони", "мільйонів"), "m"),
    (("мільярд", "мільярди", "мільярдів"), "m"),
    (("трильйон", "трильйони", "трильйонів"), "m"),
)

# Currency: (major forms, major gender, minor forms).
CURRENCIES: dict[str, tuple[tuple[str, str, str], Gender, tuple[str, str, str]]] = {
    "UAH": (("гривня", "гривні", "гривень"), "f", ("копійка", "копійки", "копійок")),
    "USD": (("долар США", "долари США", "доларів США"), "m", ("цент", "центи", "центів")),
}


def plural(number: int, forms: tuple[str, str, str]) -> str:
    """The form of a noun after `number`: 1 гривня, 2 гривні, 5 гривень, 11 гривень, 21 гривня."""
    last_two = number % 100
    last = number % 10
    if 11 <= last_two <= 14:
        return forms[2]
    if last == 1:
        return forms[0]
    if 2 <= last <= 4:
        return forms[1]
    return forms[2]


def _triple(number: int, gender: Gender) -> list[str]:
    """Words of 1 to 999."""
    words = [_HUNDREDS[number // 100]]
    rest = number % 100
    if 10 <= rest < 20:
        words.append(_TEENS[rest - 10])
    else:
        words += [_TENS[rest // 10], _ONES[gender][rest % 10]]
    return [word for word in words if word]


def number_in_words(number: int, gender: Gender = "m") -> str:
    """A whole number 0 <= number < 10**15 in words (`gender`: of the noun it counts)."""
    if number < 0 or number >= 10**15:
        raise ValueError("out of range")
    if number == 0:
        return "нуль"
    groups: list[int] = []
    while number:
        groups.append(number % 1000)
        number //= 1000
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if not group:
            continue
        if index == 0:
            words += _triple(group, gender)
        else:
            forms, scale_gender = _SCALES[index - 1]
            words += [*_triple(group, scale_gender), plural(group, forms)]
    return " ".join(words)


def amount_in_words(minor: int, currency: str = "UAH") -> str:
    """«одна тисяча двісті гривень 50 копійок» for 120050 kopiyky."""
    if minor < 0:
        raise ValueError("a negative amount")
    major, cents = divmod(minor, 100)
    known = CURRENCIES.get(currency)
    if known is None:
        return f"{number_in_words(major)} {currency} {cents:02d}"
    major_forms, gender, minor_forms = known
    words = number_in_words(major, gender)
    return f"{words} {plural(major, major_forms)} {cents:02d} {plural(cents, minor_forms)}"
