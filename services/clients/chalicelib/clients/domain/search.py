"""Client search: what a typed query means, and which index keys a client is found by.

A name is found by any fragment of any of its words: every suffix (of 2 characters or
more) of every word is an index key, so "any fragment" is "a prefix of some suffix", which
a sorted index answers with one range read. Each word is also indexed in the other script
(Ukrainian -> Latin by the national transliteration, KMU resolution No. 55 of 2010, and a
plain reverse of it for names entered in Latin), so "olena" finds "Олена" and "олена"
finds "Olena". Phones are found by their last digits: the index key is the reversed
digits of the E.164 number, so "the last digits" is again a prefix. E-mails are found by
a prefix of the address. Pure functions only: the store turns these keys into items.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from chalicelib.clients.domain.model import ClientKind
from chalicelib.clients.domain.visibility import can_see_owner
from pydantic import Field

from lanka_platform.auth import Principal
from lanka_platform.schema import Schema

APOSTROPHES = "'’ʼ`‘ʹ"
MIN_FRAGMENT = 2
MIN_PHONE_DIGITS = 3
# Bounds that keep a client, its contact points and its index entries inside one
# TransactWriteItems (100 items), even when an edit renames the client (the old name's
# entries are deleted and the new one's written together): at most 4 words of at most 20
# characters, and at most 40 name entries in all (a person's "Прізвище Ім'я По батькові"
# needs about 40 in both scripts).
MAX_NAME_WORDS = 4
MAX_WORD_CHARS = 20
MAX_NAME_ENTRIES = 40

_APOSTROPHE_TABLE = str.maketrans("", "", APOSTROPHES)
_WORD = re.compile(r"[^\W_]+")
_PHONE_TYPED = re.compile(r"^[\d\s+()\-./]+$")
_EMAIL_TYPED = re.compile(r"^[a-z0-9._%+\-]*[@._+][a-z0-9._%+\-@]*$")

# KMU 2010: letters that read differently at the start of a word come first.
_WORD_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_UK_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia",
    # Not Ukrainian letters, but common in names written in Ukraine.
    "ё": "yo", "ы": "y", "э": "e", "ъ": "",
}  # fmt: skip
# The reverse, longest sequences first, for names typed in Latin letters.
_LATIN_TO_UK = [
    ("shch", "щ"), ("zgh", "зг"), ("zh", "ж"), ("kh", "х"), ("ts", "ц"), ("ch", "ч"),
    ("sh", "ш"), ("yu", "ю"), ("ya", "я"), ("ye", "є"), ("yi", "ї"), ("iu", "ю"),
    ("ia", "я"), ("ie", "є"), ("a", "а"), ("b", "б"), ("c", "ц"), ("d", "д"), ("e", "е"),
    ("f", "ф"), ("g", "г"), ("h", "г"), ("i", "і"), ("j", "й"), ("k", "к"), ("l", "л"),
    ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("q", "к"), ("r", "р"), ("s", "с"),
    ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("x", "кс"), ("y", "и"), ("z", "з"),
]  # fmt: skip


class InvalidSearch(ValueError):
    pass


def fold(text: str) -> str:
    """Lower case (Unicode case folding), composed, without apostrophes."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHE_TABLE)


def words(text: str) -> list[str]:
    """The words of a name as the index knows them: folded, split at anything not a letter
    or a digit ("Петренко-Коваль" is two words, "Мар'яна" is one)."""
    return _WORD.findall(fold(text))


def _is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def to_latin(word: str) -> str:
    """KMU 2010 transliteration of one folded word: "щербак" -> "shcherbak", "згорани" ->
    "zghorany"; letters that are not Cyrillic stay as they are."""
    out: list[str] = []
    for position, char in enumerate(word):
        if position == 0 and char in _WORD_INITIAL:
            out.append(_WORD_INITIAL[char])
        elif char == "г" and position > 0 and word[position - 1] == "з":
            out.append("gh")  # "зг" is "zgh", so that it does not read as "ж"
        else:
            out.append(_UK_TO_LATIN.get(char, char))
    return "".join(out)


def to_cyrillic(word: str) -> str:
    """A Latin-lettered word read back in Ukrainian letters, greedily ("olena" -> "олена");
    only a best guess, which is why it is used for names entered in Latin alone."""
    out: list[str] = []
    position = 0
    while position < len(word):
        for latin, cyrillic in _LATIN_TO_UK:
            if word.startswith(latin, position):
                out.append(cyrillic)
                position += len(latin)
                break
        else:
            out.append(word[position])
            position += 1
    return "".join(out)


def _other_script(word: str) -> str | None:
    if any(_is_cyrillic(char) for char in word):
        return to_latin(word)
    if word.isascii() and any(char.isalpha() for char in word):
        return to_cyrillic(word)
    return None


def suffixes(word: str) -> list[str]:
    """Every suffix of at least two characters, longest first."""
    return [word[start:] for start in range(len(word) - MIN_FRAGMENT + 1)]


def name_keys(name: str) -> list[str]:
    """The index keys a client's name is found by, at most MAX_NAME_ENTRIES of them: the
    suffixes of its words as written first, then those of their other-script forms."""
    own = [word[:MAX_WORD_CHARS] for word in words(name)[:MAX_NAME_WORDS]]
    other = [converted[:MAX_WORD_CHARS] for word in own if (converted := _other_script(word))]
    keys: dict[str, None] = {}
    for word in (*own, *other):
        for suffix in suffixes(word):
            keys.setdefault(suffix)
    return list(keys)[:MAX_NAME_ENTRIES]


def searchable_text(name: str) -> str:
    """The name's words in both scripts, for checking the other words of a query."""
    own = words(name)
    return " ".join([*own, *(converted for word in own if (converted := _other_script(word)))])


def phone_key(e164: str) -> str:
    """The reversed digits of an E.164 number: its last digits become a prefix."""
    return "".join(char for char in e164 if char.isdigit())[::-1]


def email_key(email: str) -> str:
    return email.casefold()


SearchKind = Literal["name", "phone", "email"]


@dataclass(frozen=True)
class SearchTerm:
    """What the index is asked: keys of `kind` that begin with `prefix`; for a query of
    several words, the other words must also appear in the name."""

    kind: SearchKind
    prefix: str
    also: tuple[str, ...] = ()

    def admits(self, name: str) -> bool:
        if not self.also:
            return True
        text = searchable_text(name)
        return all(word in text for word in self.also)


def parse_query(raw: str) -> SearchTerm:
    """A query as a receptionist types it: digits are the end of a phone number (or the
    whole of it, typed any way), something with "@" (or a dotted Latin word) is the start
    of an e-mail, anything else is a fragment of a name."""
    text = raw.strip()
    if _PHONE_TYPED.match(text) and any(char.isdigit() for char in text):
        digits = "".join(char for char in text if char.isdigit())
        if len(digits) < MIN_PHONE_DIGITS:
            raise InvalidSearch(f"Type at least {MIN_PHONE_DIGITS} digits of a phone number.")
        return SearchTerm("phone", digits[::-1])
    folded = fold(text)
    if " " not in folded and _EMAIL_TYPED.match(folded):
        if len(folded) < MIN_FRAGMENT:
            raise InvalidSearch(f"Type at least {MIN_FRAGMENT} characters.")
        return SearchTerm("email", folded)
    query_words = [word[:MAX_WORD_CHARS] for word in words(text)]
    if not query_words or max(len(word) for word in query_words) < MIN_FRAGMENT:
        raise InvalidSearch(f"Type at least {MIN_FRAGMENT} letters of a name.")
    # The longest word is read from the index (it matches the fewest entries); the rest
    # are checked against each match's name.
    longest = max(query_words, key=len)
    rest = list(query_words)
    rest.remove(longest)
    return SearchTerm("name", longest, tuple(rest))


class ClientMatch(Schema):
    """One client a search found: enough to recognise the caller, no contact details (those
    are on the client's card, where reading them is audited)."""

    id: str
    name: str
    kind: ClientKind
    owner_id: str | None
    phone_hint: str | None = Field(default=None, description="The last digits of the first phone")
    email_hint: str | None = Field(default=None, description="The first e-mail, mostly masked")


def phone_hint(e164: str | None) -> str | None:
    """`+380671234567` -> `…4567`: what the caller recognises, not what can be dialled."""
    return f"…{e164[-4:]}" if e164 else None


def email_hint(email: str | None) -> str | None:
    """`olena@example.com` -> `o…@example.com`."""
    if not email:
        return None
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


class SearchResults(Schema):
    items: list[ClientMatch]


class SearchIndex(Protocol):
    def search(
        self, term: SearchTerm, limit: int, wanted: Callable[[ClientMatch], bool]
    ) -> list[ClientMatch]: ...


def find_clients(index: SearchIndex, raw_query: str, limit: int, by: Principal) -> SearchResults:
    """Clients the caller may see that match the query, each once, at most `limit`."""
    term = parse_query(raw_query)

    def wanted(match: ClientMatch) -> bool:
        # Visibility first: someone else's clients are never returned, nor counted.
        return can_see_owner(by, match.owner_id) and term.admits(match.name)

    return SearchResults(items=index.search(term, limit, wanted))


def index_keys(name: str, phones: Sequence[str], emails: Sequence[str]) -> list[tuple[SearchKind, str]]:
    """Every (kind, key) a client is found by."""
    return [
        *(("name", key) for key in name_keys(name)),
        *(("phone", key) for key in dict.fromkeys(map(phone_key, phones))),
        *(("email", key) for key in dict.fromkeys(map(email_key, emails))),
    ]


def index_entry_count(name: str, phones: Sequence[str], emails: Sequence[str]) -> int:
    """How many index items a client has (the bound a transaction must respect)."""
    return len(name_keys(name)) + len(set(map(phone_key, phones))) + len(set(map(email_key, emails)))
