"""Deal items, the board's counters and the managers' loads.

| item        | pk                     | sk            |
| ----------- | ---------------------- | ------------- |
| deal        | DEAL#<id>              | DEAL          |
| request     | REQUEST#<request id>   | DEAL          |
| board       | BOARD#<pipeline>       | <stage>       |
| load        | LOAD#<pipeline>        | <manager id>  |
| client link | CLIENTDEAL#<client id> | <deal id>     |
| board card  | COLUMN#<pipeline>#<stage> | <updated_at>#<deal id> |

A deal's card (what the board shows of it) is an item of its column, newest first,
written in the deal's own transaction: a move deletes the card from the old column and
puts it in the new one. A deal is also on gsi2 under `OWNER#<owner or ->` /
`<updated_at>#<id>` (a manager's deals, and the queue of unassigned ones).

A board item holds a column's number of deals and their sum, added to from the deals' own
events (never counted on read): a board costs one Query for the counters and one per stage
for the first cards, whatever the number of deals. A request item makes one request open
one deal, however often it is delivered.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.deals.domain.deals import Deal, DealCard, card
from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DoesNotExist

from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.ports import UnitOfWork
from lanka_platform.problems import Problem
from lanka_platform.storage import Gsi2, Store, TableModel, writes


class DealItem(TableModel):
    body = UnicodeAttribute()
    pipeline_id = UnicodeAttribute()
    stage = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi2 = Gsi2()
    version = VersionAttribute()


class CardItem(TableModel):
    body = UnicodeAttribute()


class RequestItem(TableModel):
    deal_id = UnicodeAttribute()


class BoardItem(TableModel):
    deals = NumberAttribute(default=0)
    amount = NumberAttribute(default=0)


class ClientDealItem(TableModel):
    """Links a client to each of its deals (a merge or an erasure finds them here)."""


class LoadItem(TableModel):
    open_deals = NumberAttribute(default=0)


MODELS = (DealItem, CardItem, RequestItem, BoardItem, LoadItem, ClientDealItem)


def _deal_key(deal_id: str) -> tuple[str, str]:
    return f"DEAL#{deal_id}", "DEAL"


def column_key(pipeline_id: str, stage: str) -> str:
    return f"STAGE#{pipeline_id}#{stage}"


def owner_key(owner_id: str | None) -> str:
    return f"OWNER#{owner_id or '-'}"


class DealStore:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._deals = store.model(DealItem)
        self._requests = store.model(RequestItem)
        self._boards = store.model(BoardItem)
        self._loads = store.model(LoadItem)
        self._links = store.model(ClientDealItem)
        self._cards = store.model(CardItem)

    @property
    def _secret(self) -> bytes:
        return self._store.settings.cursor_secret.encode()

    def _item(self, deal: Deal) -> DealItem:
        pk, sk = _deal_key(deal.id)
        order = f"{deal.updated_at.isoformat()}#{deal.id}"
        return self._deals(
            pk=pk,
            sk=sk,
            body=deal.model_dump_json(exclude={"id", "version"}),
            pipeline_id=deal.pipeline_id,
            stage=deal.stage,
            owner_id=deal.owner_id,
            gsi2pk=owner_key(deal.owner_id),
            gsi2sk=order,
        )

    def _card(self, deal: Deal) -> CardItem:
        return self._cards(
            pk=column_key(deal.pipeline_id, deal.stage),
            sk=f"{deal.updated_at.isoformat()}#{deal.id}",
            body=card(deal).model_dump_json(),
        )

    def add(self, unit: UnitOfWork, deal: Deal) -> None:
        writes(unit).put(self._item(deal), condition=self._deals.pk.does_not_exist(), tag="deal")
        writes(unit).put(self._card(deal))
        writes(unit).put(self._links(pk=f"CLIENTDEAL#{deal.client_id}", sk=deal.id))
        if deal.request_id:
            writes(unit).put(
                self._requests(pk=f"REQUEST#{deal.request_id}", sk="DEAL", deal_id=deal.id),
                condition=self._requests.pk.does_not_exist(),
                tag="stale:request",  # the request already opened its deal
            )

    def replace(self, unit: UnitOfWork, before: Deal, after: Deal) -> None:
        """`after` in place of `before`, unless someone changed the deal since (409)."""
        item = self._item(after)
        item.version = before.version
        writes(unit).put(
            item,
            tag="deal",
            on_conflict=lambda: Problem.conflict(
                "Someone changed this deal meanwhile; reload it.", deal_id=before.id
            ),
        )
        old, new = self._card(before), self._card(after)
        if (old.pk, old.sk) != (new.pk, new.sk):
            writes(unit).delete(old)
        writes(unit).put(new)

    def get(self, deal_id: str) -> Deal | None:
        try:
            item = self._deals.get(*_deal_key(deal_id))
        except DoesNotExist:
            return None
        return _deal(item)

    def deal_of_request(self, request_id: str) -> str | None:
        try:
            return self._requests.get(f"REQUEST#{request_id}", "DEAL").deal_id
        except DoesNotExist:
            return None

    def column(
        self, pipeline_id: str, stage: str, cursor: str | None, limit: int
    ) -> tuple[list[DealCard], str | None]:
        """A page of a board column's cards, newest first: one Query of card items."""
        result = self._cards.query(
            column_key(pipeline_id, stage),
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, self._secret),
        )
        cards = [DealCard.model_validate_json(item.body) for item in result]
        return cards, encode_cursor(result.last_evaluated_key, self._secret)

    def of_owner(
        self, owner_id: str | None, cursor: str | None, limit: int
    ) -> tuple[list[DealCard], str | None]:
        result = self._deals.gsi2.query(
            owner_key(owner_id),
            scan_index_forward=False,
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, self._secret),
        )
        cards = [card(_deal(item)) for item in result]
        return cards, encode_cursor(result.last_evaluated_key, self._secret)

    def owner_page(
        self, owner_id: str, start: dict[str, Any] | None, limit: int
    ) -> tuple[list[Deal], dict[str, Any] | None]:
        result = self._deals.gsi2.query(owner_key(owner_id), limit=limit, last_evaluated_key=start)
        return [_deal(item) for item in result], result.last_evaluated_key

    def ids_of_client(self, client_id: str, limit: int, *, newest_first: bool = False) -> list[str]:
        """A page of a client's deal ids (merges and erasures re-point or scrub them;
        automation looks for the newest open one)."""
        links = self._links.query(f"CLIENTDEAL#{client_id}", limit=limit, scan_index_forward=not newest_first)
        return [item.sk for item in links]

    def open_of_client(self, client_id: str, limit: int) -> Deal | None:
        """The client's newest open deal among their `limit` newest (one Query and at most
        `limit` GetItems, however many deals the client had)."""
        for deal_id in self.ids_of_client(client_id, limit, newest_first=True):
            deal = self.get(deal_id)
            if deal is not None and deal.outcome is None:
                return deal
        return None

    def link_request(self, unit: UnitOfWork, request_id: str, deal_id: str) -> None:
        """Say that a request belongs to an existing deal (a request from a client who
        already has one open opens no other)."""
        writes(unit).put(
            self._requests(pk=f"REQUEST#{request_id}", sk="DEAL", deal_id=deal_id),
            condition=self._requests.pk.does_not_exist(),
            tag="stale:request",  # the request is already linked
        )

    def relink(self, unit: UnitOfWork, deal_id: str, from_client: str, to_client: str) -> None:
        writes(unit).delete(self._links(pk=f"CLIENTDEAL#{from_client}", sk=deal_id))
        writes(unit).put(self._links(pk=f"CLIENTDEAL#{to_client}", sk=deal_id))

    # -------------------------------------------------------------- board counters, loads

    def count(self, unit: UnitOfWork, pipeline_id: str, stage: str, deals: int, amount: int) -> None:
        """Queue `deals` and `amount` added to a board column (negative to take away)."""
        item = self._boards(pk=f"BOARD#{pipeline_id}", sk=stage)
        writes(unit).update(item, actions=[self._boards.deals.add(deals), self._boards.amount.add(amount)])

    def counts(self, pipeline_id: str) -> dict[str, tuple[int, int]]:
        """Every column's (number of deals, sum) in one Query."""
        return {
            item.sk: (int(item.deals or 0), int(item.amount or 0))
            for item in self._boards.query(f"BOARD#{pipeline_id}")
        }

    def load(self, unit: UnitOfWork, pipeline_id: str, manager_id: str, change: int) -> None:
        item = self._loads(pk=f"LOAD#{pipeline_id}", sk=manager_id)
        writes(unit).update(item, actions=[self._loads.open_deals.add(change)])

    def loads(self, pipeline_id: str, managers: list[str]) -> dict[str, int]:
        if not managers:
            return {}
        found = {m: 0 for m in managers}
        for item in self._loads.batch_get([(f"LOAD#{pipeline_id}", m) for m in managers]):
            found[item.sk] = int(item.open_deals or 0)
        return found


def _deal(item: DealItem) -> Deal:
    data = json.loads(item.body)
    data.update(id=item.pk.removeprefix("DEAL#"), version=int(item.version or 1))
    return Deal.model_validate(data)
