"""The duplicate finder: clients that are probably one person entered twice.

Two clients cannot share a contact point (the base refuses it), so what remains are the
near misses: the same name with a phone that differs by a typo or only in its operator
code, or with e-mails that differ only in the domain. The finder goes through the base a
page at a time (admin work, not a request path that grows: each page costs the same) and,
for each client, looks up the clients with the same name through the search index.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.clients.domain.model import Client
from chalicelib.clients.domain.search import SearchTerm, parse_query, words

from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.schema import Schema

CANDIDATES_PER_NAME = 20


class DuplicatePair(Schema):
    client_id: str
    other_id: str
    name: str
    other_name: str
    reason: str


class DuplicatePage(Schema):
    items: list[DuplicatePair]
    next_cursor: str | None = None


class Base(Protocol):
    def all_clients(
        self, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[Client], dict[str, Any] | None]: ...
    def search_candidates(self, term: SearchTerm, limit: int) -> list[str]: ...
    def get_many(self, client_ids: list[str]) -> list[Client]: ...


def find(base: Base, cursor: str | None, limit: int, secret: str) -> DuplicatePage:
    start = decode_cursor(cursor, secret.encode())
    page, last = base.all_clients(start, limit)
    pairs: list[DuplicatePair] = []
    for client in page:
        if client.status != "active":
            continue
        term = parse_query(client.name) if len(client.name.strip()) >= 2 else None
        if term is None or term.kind != "name":
            continue
        ids = [other for other in base.search_candidates(term, CANDIDATES_PER_NAME) if other > client.id]
        for other in base.get_many(ids):
            reason = likely_same(client, other)
            if reason:
                pairs.append(
                    DuplicatePair(
                        client_id=client.id,
                        other_id=other.id,
                        name=client.name,
                        other_name=other.name,
                        reason=reason,
                    )
                )
    return DuplicatePage(items=pairs, next_cursor=encode_cursor(last, secret.encode()))


def same_name(a: str, b: str) -> bool:
    """The same words in any order, case and apostrophes aside ("Петренко Олена" = "олена петренко")."""
    return sorted(words(a)) == sorted(words(b))


def likely_same(a: Client, b: Client) -> str | None:
    """Why `a` and `b` look like one client, or None."""
    if b.status != "active" or not same_name(a.name, b.name):
        return None
    for mine in a.all_phones():
        for theirs in b.all_phones():
            if similar_phones(mine, theirs):
                return "same name, similar phone"
    local: Callable[[str], str] = lambda email: email.partition("@")[0]  # noqa: E731
    if {local(e) for e in a.all_emails()} & {local(e) for e in b.all_emails()}:
        return "same name, similar e-mail"
    return None


def similar_phones(a: str, b: str) -> bool:
    """One typo (a wrong or two swapped digits), or the same subscriber number (last 7
    digits) behind another operator code."""
    if a[-7:] == b[-7:]:
        return True
    if len(a) != len(b):
        return False
    different = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(different) == 1:
        return True
    return (
        len(different) == 2
        and different[1] == different[0] + 1
        and a[different[0]] == b[different[1]]
        and a[different[1]] == b[different[0]]
    )
