"""The clients service's stores and their in-memory fakes (tests/fakes/clients.py) hold to one
contract: every behaviour below runs on both."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botocore.exceptions import ClientError
from chalicelib.clients.domain.audit import AuditEntry
from chalicelib.clients.domain.custom_fields import CustomField, CustomFieldSet
from chalicelib.clients.domain.model import Client
from chalicelib.clients.domain.search import index_entry_count, parse_query
from chalicelib.clients.domain.timeline import TimelineEntry
from chalicelib.clients.store.transfer import ExportJob, ImportJob, ImportRowError
from store_contract import NOW, Subject, on_memory, on_moto

from lanka_platform.ports import StaffMember
from lanka_platform.problems import Problem
from lanka_platform.storage import ConditionFailed
from tests.fakes import clients as fakes

KYIV = ZoneInfo("Europe/Kyiv")
P1, P2, P3 = "+380671234501", "+380671234502", "+380671234503"
E1 = "olena@example.com"


def _client(client_id: str, name: str = "Олена Петренко", **fields: Any) -> Client:
    values: dict[str, Any] = {
        "id": client_id,
        "name": name,
        "kind": "person",
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    }
    values.update(fields)
    return Client(**values)


def _phones(*numbers: str) -> list[dict[str, str]]:
    return [{"number": number} for number in numbers]


def _collect(
    read: Callable[[Any, int], tuple[list[Any], Any]], limit: int, key: Callable[[Any], Any]
) -> list[Any]:
    """Every page of a paged read (a cursor or a key to resume from), the items' keys in order."""
    seen: list[Any] = []
    cursor = None
    while True:
        items, cursor = read(cursor, limit)
        seen += [key(item) for item in items]
        if cursor is None:
            return seen


def _ids(items: list[Any]) -> list[str]:
    return [item.id for item in items]


# ------------------------------------------------------------------------------ clients


class ClientContract:
    """`ClientStore`: clients by id with a version, the contact points each holds, the search
    index, owners' lists by name, everyone's by id, the custom fields."""

    @pytest.fixture
    def clients(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def add(self, clients: Subject[Any], *added: Client) -> None:
        def write(unit: Any) -> None:
            for client in added:
                clients.store.add(unit, client)

        clients.commit(write)

    def test_a_client_reads_back_as_added_at_version_one(self, clients):
        # when
        self.add(
            clients,
            _client("c1", phones=_phones(P1), emails=[{"address": E1}], tags=["VIP"], owner_id="olena"),
        )
        # then
        found = clients.store.get("c1")
        assert (found.name, found.owner_id, found.tags, found.version) == (
            "Олена Петренко",
            "olena",
            ["VIP"],
            1,
        )
        assert ([p.number for p in found.phones], [e.address for e in found.emails]) == ([P1], [E1])
        assert found.created_at == NOW
        assert clients.store.get("nope") is None

    def test_a_client_added_twice_fails_on_its_tag_and_the_first_stays(self, clients):
        # given
        self.add(clients, _client("c1", name="Перша"))
        # when
        with pytest.raises(ConditionFailed) as failed:
            self.add(clients, _client("c1", name="Друга"))
        # then
        assert failed.value.tag == "client"
        assert clients.store.get("c1").name == "Перша"

    def test_a_phone_another_client_holds_is_a_409_naming_the_holder_and_adds_nothing(self, clients):
        # given
        self.add(clients, _client("c1", phones=_phones(P1)))
        # when
        with pytest.raises(Problem) as conflict:
            self.add(clients, _client("c2", phones=_phones(P1), emails=[{"address": E1}]))
        # then
        assert conflict.value.status == 409
        assert (conflict.value.extra["field"], conflict.value.extra["existing_client_id"]) == ("phone", "c1")
        assert clients.store.get("c2") is None
        assert clients.store.holders([("phone", P1), ("email", E1)]) == {("phone", P1): "c1"}

    def test_every_contact_point_of_a_client_is_held_by_it(self, clients):
        # given a company with a contact person, a Telegram and a Viber id
        company = _client(
            "c1",
            name="ТОВ Вікна",
            kind="company",
            phones=_phones(P1),
            emails=[{"address": E1}],
            telegram="olena_p",
            viber="viber-1",
            contacts=[{"name": "Іван", "phones": [P2], "emails": ["ivan@firm.ua"]}],
        )
        # when
        self.add(clients, company)
        # then
        points = company.contact_points()
        assert len(points) == 6
        assert clients.store.holders(points) == {point: "c1" for point in points}
        assert clients.store.holders([("phone", P3)]) == {}
        assert clients.store.holders([]) == {}

    def test_a_replace_from_the_version_read_bumps_it_and_a_stale_one_is_a_409_changing_nothing(
        self, clients
    ):
        # given
        self.add(clients, _client("c1"))
        read = clients.store.get("c1")
        # when
        clients.commit(
            lambda unit: clients.store.replace(unit, read, read.model_copy(update={"note": "Перший"}))
        )
        with pytest.raises(Problem) as conflict:
            clients.commit(
                lambda unit: clients.store.replace(unit, read, read.model_copy(update={"note": "Запізнілий"}))
            )
        # then
        after = clients.store.get("c1")
        assert (after.note, after.version) == ("Перший", 2)
        assert (conflict.value.status, conflict.value.extra["client_id"]) == (409, "c1")

    def test_two_stale_replaces_dropping_the_same_point_give_the_second_a_409(self, clients):
        # given a client with two phones, read by two editors at version 1
        self.add(clients, _client("c1", phones=_phones(P1, P2)))
        read = clients.store.get("c1")
        dropped = read.model_copy(update={"phones": _client("x", phones=_phones(P2)).phones})
        clients.commit(
            lambda unit: clients.store.replace(unit, read, dropped.model_copy(update={"note": "1"}))
        )
        # when the second drops the same phone from the version both read
        with pytest.raises(Problem) as conflict:
            clients.commit(
                lambda unit: clients.store.replace(unit, read, dropped.model_copy(update={"note": "2"}))
            )
        # then it is told to reload (not a failed condition nobody answers: a 500), and nothing changed
        after = clients.store.get("c1")
        assert (conflict.value.status, after.note, after.version) == (409, "1", 2)

    def test_a_replace_releases_the_points_dropped_and_claims_the_new(self, clients):
        # given
        self.add(clients, _client("c1", phones=_phones(P1, P2)))
        read = clients.store.get("c1")
        # when
        changed = read.model_copy(update={"phones": _client("x", phones=_phones(P2, P3)).phones})
        clients.commit(lambda unit: clients.store.replace(unit, read, changed))
        # then
        assert clients.store.holders([("phone", P1), ("phone", P2), ("phone", P3)]) == {
            ("phone", P2): "c1",
            ("phone", P3): "c1",
        }
        self.add(clients, _client("c2", phones=_phones(P1)))
        assert clients.store.holders([("phone", P1)]) == {("phone", P1): "c2"}

    def test_a_replace_claiming_another_clients_point_is_a_409_and_changes_nothing(self, clients):
        # given
        self.add(clients, _client("c1", phones=_phones(P1)), _client("c2", phones=_phones(P2)))
        read = clients.store.get("c1")
        # when
        taking = read.model_copy(update={"name": "Інша", "phones": _client("x", phones=_phones(P2)).phones})
        with pytest.raises(Problem) as conflict:
            clients.commit(lambda unit: clients.store.replace(unit, read, taking))
        # then
        assert (conflict.value.status, conflict.value.extra["existing_client_id"]) == (409, "c2")
        after = clients.store.get("c1")
        assert (after.name, after.version) == ("Олена Петренко", 1)
        assert clients.store.holders([("phone", P1), ("phone", P2)]) == {
            ("phone", P1): "c1",
            ("phone", P2): "c2",
        }

    def test_a_replace_without_contact_points_leaves_them_where_they_were(self, clients):
        # given
        self.add(clients, _client("c1", phones=_phones(P1)))
        read = clients.store.get("c1")
        # when
        emptied = read.model_copy(update={"phones": [], "status": "merged", "merged_into": "c2"})
        clients.commit(lambda unit: clients.store.replace(unit, read, emptied, contact_points=False))
        # then
        assert clients.store.get("c1").phones == []
        assert clients.store.holders([("phone", P1)]) == {("phone", P1): "c1"}

    def test_handed_contact_points_belong_to_the_other_client(self, clients):
        # given
        self.add(clients, _client("c1", phones=_phones(P1), emails=[{"address": E1}]), _client("c2"))
        points = clients.store.get("c1").contact_points()
        # when
        clients.commit(lambda unit: clients.store.hand_contact_points(unit, points, "c1", "c2"))
        # then
        assert clients.store.holders(points) == {point: "c2" for point in points}

    def test_handing_points_the_giver_does_not_hold_fails_on_their_tag_and_changes_nothing(self, clients):
        # given
        self.add(clients, _client("c1", phones=_phones(P1)))
        # when
        with pytest.raises(ConditionFailed) as failed:
            clients.commit(lambda unit: clients.store.hand_contact_points(unit, [("phone", P1)], "c3", "c2"))
        # then
        assert failed.value.tag == "contact:phone"
        assert clients.store.holders([("phone", P1)]) == {("phone", P1): "c1"}

    def test_many_clients_by_id_are_those_that_exist(self, clients):
        # given
        self.add(clients, _client("c1"), _client("c2"), _client("c3"))
        # when
        found = clients.store.get_many(["c3", "missing", "c1"])
        # then
        assert sorted(_ids(found)) == ["c1", "c3"]
        assert clients.store.get_many([]) == []

    def test_a_name_fragment_finds_each_client_once_in_either_script(self, clients):
        # given
        self.add(
            clients,
            _client("c1", name="Олена Олешко"),
            _client("c2", name="Оленка Іваненко"),
            _client("c3", name="Петро Коваль"),
        )
        # when
        cyrillic = clients.store.search(parse_query("оле"), 10, lambda match: True)
        latin = clients.store.search(parse_query("olen"), 10, lambda match: True)
        # then
        assert _ids(cyrillic) == ["c1", "c2"]
        assert _ids(latin) == ["c1", "c2"]

    def test_phone_digits_and_an_email_find_a_client_with_masked_hints(self, clients):
        # given
        self.add(clients, _client("c1", phones=_phones(P1), emails=[{"address": E1}], owner_id="olena"))
        # when
        (by_phone,) = clients.store.search(parse_query("4501"), 10, lambda match: True)
        (by_email,) = clients.store.search(parse_query("olena@"), 10, lambda match: True)
        # then
        assert by_phone == by_email
        assert (by_phone.id, by_phone.name, by_phone.kind, by_phone.owner_id) == (
            "c1",
            "Олена Петренко",
            "person",
            "olena",
        )
        assert (by_phone.phone_hint, by_phone.email_hint) == ("…4501", "o…@example.com")
        assert clients.store.search(parse_query("4599"), 10, lambda match: True) == []

    def test_a_search_keeps_only_wanted_clients_up_to_the_limit(self, clients):
        # given
        owners = {"c1": "ivan", "c2": "olena", "c3": "olena", "c4": "olena"}
        self.add(clients, *(_client(cid, name="Петренко", owner_id=owner) for cid, owner in owners.items()))
        # when
        found = clients.store.search(parse_query("петренко"), 2, lambda match: match.owner_id == "olena")
        # then
        assert _ids(found) == ["c2", "c3"]

    def test_a_search_reads_at_most_five_pages_of_entries(self, clients):
        # given six clients nobody wants before the one wanted
        self.add(clients, *(_client(f"c{n}", name="Петренко", owner_id="ivan") for n in range(1, 7)))
        self.add(clients, _client("c7", name="Петренко", owner_id="olena"))

        def wanted(match: Any) -> bool:
            return match.owner_id == "olena"

        # when
        one_a_page = clients.store.search(parse_query("петренко"), 1, wanted)
        two_a_page = clients.store.search(parse_query("петренко"), 2, wanted)
        # then
        assert one_a_page == []
        assert _ids(two_a_page) == ["c7"]

    def test_candidates_have_the_other_words_of_the_query_too(self, clients):
        # given
        self.add(clients, _client("c1", name="Олена Петренко"), _client("c2", name="Іван Петренко"))
        # when
        candidates = clients.store.search_candidates(parse_query("олена петренко"), 10)
        # then
        assert candidates == ["c1"]

    def test_a_renamed_client_is_found_by_the_new_name_only(self, clients):
        # given
        self.add(clients, _client("c1", name="Олена Петренко"))
        read = clients.store.get("c1")
        # when
        clients.commit(
            lambda unit: clients.store.replace(unit, read, read.model_copy(update={"name": "Ірина Коваль"}))
        )
        # then
        assert clients.store.search(parse_query("петренко"), 10, lambda match: True) == []
        (found,) = clients.store.search(parse_query("коваль"), 10, lambda match: True)
        assert (found.id, found.name) == ("c1", "Ірина Коваль")

    def test_a_client_no_longer_active_leaves_the_search_index(self, clients):
        # given
        self.add(clients, _client("c1", phones=_phones(P1)))
        read = clients.store.get("c1")
        # when
        merged = read.model_copy(update={"status": "merged", "merged_into": "c2"})
        clients.commit(lambda unit: clients.store.replace(unit, read, merged, contact_points=False))
        # then
        assert clients.store.search(parse_query("петренко"), 10, lambda match: True) == []
        assert clients.store.search(parse_query("4501"), 10, lambda match: True) == []
        assert clients.store.search_entries(clients.store.get("c1")) == []

    def test_an_active_client_has_one_search_entry_per_index_key(self, clients):
        # given
        client = _client("c1", phones=_phones(P1, P2), emails=[{"address": E1}])
        # when
        entries = clients.store.search_entries(client)
        # then
        assert len(entries) == index_entry_count(client.name, client.all_phones(), client.all_emails()) > 3

    def test_an_owners_page_lists_their_active_clients_by_name(self, clients):
        # given
        self.add(
            clients,
            _client("c1", name="Петро", owner_id="olena", tags=["VIP"]),
            _client("c2", name="андрій", owner_id="olena"),
            _client("c3", name="Борис", owner_id="olena"),
            _client("c4", name="Антон", owner_id="ivan"),
            _client("c5", name="Никого", owner_id=None),
            _client("c6", name="Аааа", owner_id="olena"),
        )
        read = clients.store.get("c6")
        clients.commit(
            lambda unit: clients.store.replace(unit, read, read.model_copy(update={"status": "erased"}))
        )
        # when
        mine, _ = clients.store.page("olena", everyone=False, cursor=None, limit=10)
        unassigned, _ = clients.store.page(None, everyone=False, cursor=None, limit=10)
        # then
        assert _ids(mine) == ["c2", "c3", "c1"]
        assert (mine[2].name, mine[2].kind, mine[2].owner_id, mine[2].tags) == (
            "Петро",
            "person",
            "olena",
            ["VIP"],
        )
        assert mine[2].updated_at == NOW
        assert _ids(unassigned) == ["c5"]

    def test_everyones_page_lists_clients_by_id(self, clients):
        # given
        self.add(
            clients,
            _client("c2", name="Борис", owner_id="olena"),
            _client("c3", name="Антон", owner_id="ivan"),
            _client("c1", name="Петро"),
        )
        # when
        everyone, _ = clients.store.page(None, everyone=True, cursor=None, limit=10)
        # then
        assert _ids(everyone) == ["c1", "c2", "c3"]

    def test_pages_of_an_owners_clients_hold_each_once_by_name(self, clients):
        # given
        self.add(clients, *(_client(f"z{6 - n}", name=f"Клієнт {n}", owner_id="olena") for n in range(7)))

        def read(cursor: Any, limit: int) -> Any:
            return clients.store.page("olena", everyone=False, cursor=cursor, limit=limit)

        # when
        seen = _collect(read, 3, lambda summary: summary.name)
        # then
        assert seen == [f"Клієнт {n}" for n in range(7)]

    def test_pages_of_everyone_hold_each_client_once_by_id(self, clients):
        # given
        self.add(clients, *(_client(f"c{n}", name=f"Клієнт {6 - n}") for n in range(7)))

        def read(cursor: Any, limit: int) -> Any:
            return clients.store.page(None, everyone=True, cursor=cursor, limit=limit)

        # when
        seen = _collect(read, 3, lambda summary: summary.id)
        # then
        assert seen == [f"c{n}" for n in range(7)]

    def test_a_cursor_not_made_here_is_a_400(self, clients):
        # when
        with pytest.raises(Problem) as refused:
            clients.store.page("olena", everyone=False, cursor="forged.cursor", limit=10)
        # then
        assert refused.value.status == 400

    def test_an_owners_first_ids_come_by_name_with_a_key_while_more_follow(self, clients):
        # given
        self.add(
            clients,
            _client("c1", name="Віктор", owner_id="olena"),
            _client("c2", name="Андрій", owner_id="olena"),
            _client("c3", name="Борис", owner_id="olena"),
            _client("c4", name="Антон", owner_id="ivan"),
        )
        # when
        first, more = clients.store.ids_of_owner("olena", 2)
        every, end = clients.store.ids_of_owner("olena", 10)
        # then
        assert (first, more is not None) == (["c2", "c3"], True)
        assert (every, end) == (["c2", "c3", "c1"], None)

    def test_all_clients_come_in_id_order_whatever_their_status_each_once(self, clients):
        # given
        self.add(clients, *(_client(f"c{n}", name=f"Клієнт {n}") for n in range(5)))
        read = clients.store.get("c2")
        clients.commit(
            lambda unit: clients.store.replace(unit, read, read.model_copy(update={"status": "merged"}))
        )
        # when
        seen = _collect(clients.store.all_clients, 2, lambda client: (client.id, client.status))
        # then
        assert seen == [
            ("c0", "active"),
            ("c1", "active"),
            ("c2", "merged"),
            ("c3", "active"),
            ("c4", "active"),
        ]

    def test_custom_fields_are_none_at_version_zero_until_saved(self, clients):
        # when
        fields = clients.store.custom_fields()
        # then
        assert (fields.fields, fields.version) == ([], 0)
        assert clients.store.definitions() == []

    def test_saved_custom_fields_read_back_at_the_next_version(self, clients):
        # given
        room = CustomField(
            key="room_type", label="Тип приміщення", type="select", options=["квартира", "будинок"]
        )
        # when
        saved = []
        clients.commit(
            lambda unit: saved.append(
                clients.store.save_custom_fields(unit, CustomFieldSet(fields=[room], version=0))
            )
        )
        # then
        assert saved[0].version == 1
        assert clients.store.custom_fields() == CustomFieldSet(fields=[room], version=1)
        assert clients.store.definitions() == [room]

    def test_custom_fields_saved_from_a_stale_version_are_a_409_and_change_nothing(self, clients):
        # given
        first = CustomField(key="floor", label="Поверх", type="number")
        late = CustomField(key="late", label="Пізно", type="text")
        clients.commit(
            lambda unit: clients.store.save_custom_fields(unit, CustomFieldSet(fields=[first], version=0))
        )
        # when
        with pytest.raises(Problem) as stale:
            clients.commit(
                lambda unit: clients.store.save_custom_fields(unit, CustomFieldSet(fields=[late], version=0))
            )
        # then
        assert stale.value.status == 409
        assert clients.store.custom_fields() == CustomFieldSet(fields=[first], version=1)


class TestClientsInMemory(ClientContract):
    @pytest.fixture
    def clients(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryClients())


class TestClientsOnMoto(ClientContract):
    @pytest.fixture
    def clients(self, world: Any) -> Subject[Any]:
        from chalicelib.clients.store import ClientStore

        return on_moto(world, "clients", ClientStore)


# ------------------------------------------------------------------------------ audit


def _audit(entry_id: str, **fields: Any) -> AuditEntry:
    values: dict[str, Any] = {
        "id": entry_id,
        "action": "contacts_read",
        "actor_id": "olena",
        "client_id": "c1",
        "at": NOW,
    }
    values.update(fields)
    return AuditEntry(**values)


class AuditContract:
    """`AuditLog`: entries written at once or with a unit, read by client, by member of staff
    or by day, newest first."""

    @pytest.fixture
    def audit(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_an_entry_written_reads_back_by_client_by_actor_and_by_day(self, audit):
        # when
        audit.store.write(_audit("a1", detail="card"))
        # then
        by_client, _ = audit.store.page(client_id="c1", actor_id=None, day=None, cursor=None, limit=10)
        by_actor, _ = audit.store.page(client_id=None, actor_id="olena", day=None, cursor=None, limit=10)
        by_day, _ = audit.store.page(client_id=None, actor_id=None, day="2026-12-09", cursor=None, limit=10)
        assert by_client == by_actor == by_day == [_audit("a1", detail="card")]

    def test_an_entry_added_to_a_unit_is_kept_when_the_unit_commits(self, audit):
        # given
        unit = audit.new_unit()
        audit.store.add(unit, _audit("a1"))
        before, _ = audit.store.page(client_id="c1", actor_id=None, day=None, cursor=None, limit=10)
        # when
        unit.commit()
        # then
        after, _ = audit.store.page(client_id="c1", actor_id=None, day=None, cursor=None, limit=10)
        assert (before, _ids(after)) == ([], ["a1"])

    def test_entries_come_newest_first(self, audit):
        # given
        audit.store.write(_audit("now"))
        audit.store.write(_audit("later", at=NOW + timedelta(minutes=1)))
        audit.store.write(_audit("earlier", at=NOW - timedelta(minutes=1)))
        # when
        entries, _ = audit.store.page(client_id=None, actor_id="olena", day=None, cursor=None, limit=10)
        # then
        assert _ids(entries) == ["later", "now", "earlier"]

    def test_a_time_reads_back_in_utc_to_the_millisecond(self, audit):
        # given 10:00:00.001234 in Kyiv
        audit.store.write(_audit("a1", at=NOW.astimezone(KYIV) + timedelta(microseconds=1234)))
        # when
        (entry,), _ = audit.store.page(client_id="c1", actor_id=None, day=None, cursor=None, limit=10)
        # then
        assert entry.at == NOW + timedelta(milliseconds=1)
        assert entry.at.utcoffset() == timedelta(0)

    def test_an_entry_about_no_client_is_in_no_clients_page(self, audit):
        # given
        audit.store.write(_audit("a1", action="clients_exported", client_id=None))
        # when
        by_client, _ = audit.store.page(client_id="c1", actor_id=None, day=None, cursor=None, limit=10)
        by_actor, _ = audit.store.page(client_id=None, actor_id="olena", day=None, cursor=None, limit=10)
        # then
        assert by_client == []
        assert [(entry.id, entry.client_id) for entry in by_actor] == [("a1", None)]

    def test_a_day_holds_that_days_entries_only(self, audit):
        # given
        audit.store.write(_audit("today"))
        audit.store.write(_audit("tomorrow", at=NOW + timedelta(days=1)))
        # when
        today, _ = audit.store.page(client_id=None, actor_id=None, day="2026-12-09", cursor=None, limit=10)
        # then
        assert _ids(today) == ["today"]

    def test_the_same_entry_written_twice_is_kept_once(self, audit):
        # when
        audit.store.write(_audit("a1"))
        audit.store.write(_audit("a1"))
        # then
        entries, _ = audit.store.page(client_id="c1", actor_id=None, day=None, cursor=None, limit=10)
        assert _ids(entries) == ["a1"]

    def test_pages_of_a_clients_entries_hold_each_once_newest_first(self, audit):
        # given
        for n in range(7):
            audit.store.write(_audit(f"a{n}", at=NOW + timedelta(seconds=n)))

        def read(cursor: Any, limit: int) -> Any:
            return audit.store.page(client_id="c1", actor_id=None, day=None, cursor=cursor, limit=limit)

        # when
        seen = _collect(read, 3, lambda entry: entry.id)
        # then
        assert seen == [f"a{n}" for n in reversed(range(7))]

    def test_a_cursor_not_made_here_is_a_400(self, audit):
        # when
        with pytest.raises(Problem) as refused:
            audit.store.page(client_id="c1", actor_id=None, day=None, cursor="forged", limit=10)
        # then
        assert refused.value.status == 400


class TestAuditInMemory(AuditContract):
    @pytest.fixture
    def audit(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryAudit())


class TestAuditOnMoto(AuditContract):
    @pytest.fixture
    def audit(self, world: Any) -> Subject[Any]:
        from chalicelib.clients.store import AuditLog

        return on_moto(world, "clients", AuditLog)


# ------------------------------------------------------------------------------ field work


class FieldWorkContract:
    """`FieldWork`: which worker has an open job for which client."""

    @pytest.fixture
    def field_work(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_an_open_job_lets_its_worker_see_its_client_only(self, field_work):
        # given
        before = field_work.store.has_job("ivan", "c1")
        # when
        field_work.commit(lambda unit: field_work.store.open(unit, "ivan", "c1", "j1", "measurer"))
        # then
        assert before is False
        assert field_work.store.has_job("ivan", "c1") is True
        assert field_work.store.has_job("ivan", "c2") is False
        assert field_work.store.has_job("petro", "c1") is False

    def test_a_worker_sees_the_client_while_one_of_their_jobs_is_open(self, field_work):
        # given
        def open_two(unit: Any) -> None:
            field_work.store.open(unit, "ivan", "c1", "j1", "measurer")
            field_work.store.open(unit, "ivan", "c1", "j2", "installer")

        field_work.commit(open_two)
        # when
        field_work.commit(lambda unit: field_work.store.close(unit, "ivan", "c1", "j1"))
        one_left = field_work.store.has_job("ivan", "c1")
        field_work.commit(lambda unit: field_work.store.close(unit, "ivan", "c1", "j2"))
        # then
        assert one_left is True
        assert field_work.store.has_job("ivan", "c1") is False

    def test_a_job_opened_twice_is_closed_once(self, field_work):
        # given
        field_work.commit(lambda unit: field_work.store.open(unit, "ivan", "c1", "j1", "measurer"))
        field_work.commit(lambda unit: field_work.store.open(unit, "ivan", "c1", "j1", "measurer"))
        # when
        field_work.commit(lambda unit: field_work.store.close(unit, "ivan", "c1", "j1"))
        # then
        assert field_work.store.has_job("ivan", "c1") is False

    def test_closing_a_job_never_opened_changes_nothing(self, field_work):
        # given
        field_work.commit(lambda unit: field_work.store.open(unit, "ivan", "c1", "j1", "measurer"))
        # when
        field_work.commit(lambda unit: field_work.store.close(unit, "ivan", "c1", "other"))
        # then
        assert field_work.store.has_job("ivan", "c1") is True


class TestFieldWorkInMemory(FieldWorkContract):
    @pytest.fixture
    def field_work(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryFieldWork())


class TestFieldWorkOnMoto(FieldWorkContract):
    @pytest.fixture
    def field_work(self, world: Any) -> Subject[Any]:
        from chalicelib.clients.store import FieldWork

        return on_moto(world, "clients", FieldWork)


# ------------------------------------------------------------------------------ timeline


def _event(event_id: str, client_id: str = "c1", kind: str = "call", **fields: Any) -> TimelineEntry:
    values: dict[str, Any] = {
        "id": event_id,
        "client_id": client_id,
        "kind": kind,
        "event_type": "CallLogged",
        "occurred_at": NOW,
        "actor_id": "olena",
        "detail": {"result": "Домовились про замір", "answered": True},
    }
    values.update(fields)
    return TimelineEntry(**values)


class TimelineContract:
    """`TimelineStore`: a client's entries newest first (all, or of one kind), keyed by their
    event; background jobs read them oldest first to move or scrub them."""

    @pytest.fixture
    def timeline(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def record(self, timeline: Subject[Any], *entries: TimelineEntry) -> None:
        def write(unit: Any) -> None:
            for entry in entries:
                timeline.store.record(unit, entry)

        timeline.commit(write)

    def page(
        self, timeline: Subject[Any], client_id: str = "c1", kind: str | None = None
    ) -> list[TimelineEntry]:
        entries, _ = timeline.store.page(client_id, kind, None, 100)
        return entries

    def test_an_entry_reads_back_as_recorded_in_utc_to_the_millisecond(self, timeline):
        # given 10:00:00.001234 in Kyiv
        at = NOW.astimezone(KYIV) + timedelta(microseconds=1234)
        # when
        self.record(timeline, _event("e1", occurred_at=at, detail={"text": "Привіт", "n": [1, 2]}))
        # then
        (entry,) = self.page(timeline)
        assert entry == _event(
            "e1", occurred_at=NOW + timedelta(milliseconds=1), detail={"text": "Привіт", "n": [1, 2]}
        )
        assert entry.occurred_at.utcoffset() == timedelta(0)

    def test_entries_come_newest_first_whatever_order_they_arrive_in(self, timeline):
        # when
        self.record(timeline, _event("now"))
        self.record(timeline, _event("late", occurred_at=NOW - timedelta(hours=1)))
        self.record(timeline, _event("next", occurred_at=NOW + timedelta(hours=1)))
        # then
        assert _ids(self.page(timeline)) == ["next", "now", "late"]

    def test_an_event_delivered_twice_is_one_entry(self, timeline):
        # when
        self.record(timeline, _event("e1"))
        self.record(timeline, _event("e1"))
        # then
        assert _ids(self.page(timeline)) == ["e1"]

    def test_a_kind_keeps_the_entries_of_that_kind(self, timeline):
        # when
        self.record(
            timeline,
            _event("call"),
            _event("note", kind="note", occurred_at=NOW + timedelta(minutes=1)),
            _event("call2", occurred_at=NOW + timedelta(minutes=2)),
        )
        # then
        assert _ids(self.page(timeline, kind="call")) == ["call2", "call"]
        assert _ids(self.page(timeline, kind="note")) == ["note"]
        assert self.page(timeline, kind="deal") == []

    def test_each_client_has_a_timeline_of_its_own(self, timeline):
        # when
        self.record(timeline, _event("e1", client_id="c1"), _event("e2", client_id="c2"))
        # then
        assert _ids(self.page(timeline, "c1")) == ["e1"]
        assert _ids(self.page(timeline, "c2")) == ["e2"]

    def test_pages_hold_each_entry_once_newest_first(self, timeline):
        # given
        self.record(
            timeline,
            *(
                _event(f"e{n}", kind="call" if n % 2 else "note", occurred_at=NOW + timedelta(seconds=n))
                for n in range(9)
            ),
        )

        def read(kind: str | None) -> Callable[[Any, int], Any]:
            return lambda cursor, limit: timeline.store.page("c1", kind, cursor, limit)

        # when
        every = _collect(read(None), 3, lambda entry: entry.id)
        calls = _collect(read("call"), 3, lambda entry: entry.id)
        # then
        assert every == [f"e{n}" for n in reversed(range(9))]
        assert calls == ["e7", "e5", "e3", "e1"]

    def test_a_cursor_not_made_here_is_a_400(self, timeline):
        # when
        with pytest.raises(Problem) as refused:
            timeline.store.page("c1", None, "forged", 10)
        # then
        assert refused.value.status == 400

    def test_raw_pages_hold_each_entry_once_oldest_first(self, timeline):
        # given
        self.record(
            timeline,
            *(_event(f"e{n}", occurred_at=NOW + timedelta(seconds=n), detail={"n": n}) for n in range(7)),
        )
        self.record(timeline, _event("other", client_id="c2"))

        def read(start: Any, limit: int) -> Any:
            return timeline.store.raw_page("c1", start, limit)

        # when
        seen = _collect(read, 3, lambda item: json.loads(item.detail)["n"])
        # then
        assert seen == list(range(7))

    def test_moved_entries_are_the_other_clients_and_leave_their_own(self, timeline):
        # given
        self.record(timeline, _event("e1"), _event("e2", kind="note", occurred_at=NOW + timedelta(minutes=1)))
        self.record(timeline, _event("e3", client_id="c2", occurred_at=NOW - timedelta(minutes=1)))
        items, _ = timeline.store.raw_page("c1", None, 10)

        # when
        def move(unit: Any) -> None:
            for item in items:
                timeline.store.move(unit, item, "c2")

        timeline.commit(move)
        # then
        assert self.page(timeline, "c1") == []
        moved = self.page(timeline, "c2")
        assert [(entry.id, entry.client_id) for entry in moved] == [("e2", "c2"), ("e1", "c2"), ("e3", "c2")]
        assert moved[1] == _event("e1", client_id="c2")
        assert _ids(self.page(timeline, "c2", kind="note")) == ["e2"]

    def test_a_scrubbed_entry_keeps_all_but_its_detail(self, timeline):
        # given
        self.record(timeline, _event("e1"), _event("e2", occurred_at=NOW + timedelta(minutes=1)))
        (first, _), _ = timeline.store.raw_page("c1", None, 10)
        # when
        timeline.commit(lambda unit: timeline.store.scrub(unit, first, {"result": "", "answered": True}))
        # then
        later, scrubbed = self.page(timeline)
        assert scrubbed == _event("e1", detail={"result": "", "answered": True})
        assert later == _event("e2", occurred_at=NOW + timedelta(minutes=1))


class TestTimelineInMemory(TimelineContract):
    @pytest.fixture
    def timeline(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryTimeline())


class TestTimelineOnMoto(TimelineContract):
    @pytest.fixture
    def timeline(self, world: Any) -> Subject[Any]:
        from chalicelib.clients.store import TimelineStore

        return on_moto(world, "clients", TimelineStore)


# ------------------------------------------------------------------------------ exports


def _export(export_id: str, **fields: Any) -> ExportJob:
    values: dict[str, Any] = {
        "id": export_id,
        "requested_by": "admin",
        "requested_at": NOW,
        "encoding": "windows-1251",
        "delimiter": ";",
    }
    values.update(fields)
    return ExportJob(**values)


class ExportsContract:
    """`Exports`: export jobs moved on a step at a time, and each admin's export times."""

    @pytest.fixture
    def exports(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def test_an_export_reads_back_as_added(self, exports):
        # given
        job = _export("x1", cursor={"pk": {"S": "CLIENT#c1"}}, parts=[(1, '"etag"')], pending=[2])
        # when
        exports.commit(lambda unit: exports.store.add(unit, job))
        # then
        assert exports.store.get("x1") == job
        assert exports.store.get("nope") is None

    def test_an_export_added_twice_fails_and_the_first_stays(self, exports):
        # given
        exports.commit(lambda unit: exports.store.add(unit, _export("x1", delimiter=";")))
        # when
        with pytest.raises(ConditionFailed) as failed:
            exports.commit(lambda unit: exports.store.add(unit, _export("x1", delimiter=",")))
        # then
        assert failed.value.tag == ""
        assert exports.store.get("x1").delimiter == ";"

    def test_an_export_advanced_from_the_step_read_is_at_the_next(self, exports):
        # given
        exports.commit(lambda unit: exports.store.add(unit, _export("x1")))
        read = exports.store.get("x1")
        after = read.model_copy(
            update={"step": 1, "status": "running", "client_count": 3, "cursor": {"k": "c3"}}
        )
        # when
        exports.commit(lambda unit: exports.store.advance(unit, read, after, tag="export"))
        # then
        assert exports.store.get("x1") == after

    def test_an_export_advanced_from_a_stale_step_fails_on_its_tag_and_changes_nothing(self, exports):
        # given
        exports.commit(lambda unit: exports.store.add(unit, _export("x1")))
        read = exports.store.get("x1")
        exports.commit(
            lambda unit: exports.store.advance(unit, read, read.model_copy(update={"step": 1}), tag="export")
        )
        # when
        again = read.model_copy(update={"step": 1, "client_count": 99})
        with pytest.raises(ConditionFailed) as failed:
            exports.commit(lambda unit: exports.store.advance(unit, read, again, tag="stale:export"))
        # then
        assert failed.value.tag == "stale:export"
        assert (exports.store.get("x1").step, exports.store.get("x1").client_count) == (1, 0)

    def test_an_export_that_is_not_there_cannot_advance(self, exports):
        # given
        ghost = _export("x1")
        # when
        with pytest.raises(ConditionFailed) as failed:
            exports.commit(
                lambda unit: exports.store.advance(
                    unit, ghost, ghost.model_copy(update={"step": 1}), tag="export"
                )
            )
        # then
        assert failed.value.tag == "export"
        assert exports.store.get("x1") is None

    def test_an_admins_export_times_are_counted_a_revision_at_a_time(self, exports):
        # given
        fresh = exports.store.recent_exports("admin")
        # when
        exports.commit(lambda unit: exports.store.count_export(unit, "admin", [NOW], 0, timedelta(days=1)))
        once = exports.store.recent_exports("admin")
        later = [NOW, NOW + timedelta(hours=1)]
        exports.commit(lambda unit: exports.store.count_export(unit, "admin", later, 1, timedelta(days=1)))
        # then
        assert fresh == ([], 0)
        assert once == ([NOW], 1)
        assert exports.store.recent_exports("admin") == (later, 2)
        assert exports.store.recent_exports("other") == ([], 0)

    def test_counting_from_a_stale_revision_is_a_409_and_changes_nothing(self, exports):
        # given
        exports.commit(lambda unit: exports.store.count_export(unit, "admin", [NOW], 0, timedelta(days=1)))
        exports.commit(
            lambda unit: exports.store.count_export(unit, "admin", [NOW, NOW], 1, timedelta(days=1))
        )
        # when
        late = [NOW + timedelta(hours=2)]
        with pytest.raises(Problem) as stale:
            exports.commit(lambda unit: exports.store.count_export(unit, "admin", late, 1, timedelta(days=1)))
        # then
        assert stale.value.status == 409
        assert exports.store.recent_exports("admin") == ([NOW, NOW], 2)

    def test_counting_a_first_export_when_one_was_counted_is_a_409(self, exports):
        # given
        exports.commit(lambda unit: exports.store.count_export(unit, "admin", [NOW], 0, timedelta(days=1)))
        # when
        with pytest.raises(Problem) as raced:
            exports.commit(
                lambda unit: exports.store.count_export(
                    unit, "admin", [NOW + timedelta(seconds=1)], 0, timedelta(days=1)
                )
            )
        # then
        assert raced.value.status == 409
        assert exports.store.recent_exports("admin") == ([NOW], 1)


class TestExportsInMemory(ExportsContract):
    @pytest.fixture
    def exports(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryExports())


class TestExportsOnMoto(ExportsContract):
    @pytest.fixture
    def exports(self, world: Any) -> Subject[Any]:
        from chalicelib.clients.store.transfer import Exports

        return on_moto(world, "clients", Exports)


# ------------------------------------------------------------------------------ imports


def _import(import_id: str, **fields: Any) -> ImportJob:
    values: dict[str, Any] = {
        "id": import_id,
        "file_name": "clients.csv",
        "declared_size": 1200,
        "imported_by": "u-olena",
        "importer_username": "olena",
        "importer_roles": ["manager"],
        "created_at": NOW,
    }
    values.update(fields)
    return ImportJob(**values)


class _Refused(Exception):
    pass


class ImportsContract:
    """`Imports`: import jobs saved a revision at a time, the markers of rows done, the row
    errors by line."""

    @pytest.fixture
    def imports(self, request: pytest.FixtureRequest) -> Subject[Any]:
        raise NotImplementedError

    def save(
        self, imports: Subject[Any], before: ImportJob | None, after: ImportJob, **options: Any
    ) -> ImportJob:
        saved: list[ImportJob] = []
        imports.commit(lambda unit: saved.append(imports.store.save(unit, before, after, **options)))
        return saved[0]

    def test_a_new_import_is_saved_at_revision_one_and_reads_back(self, imports):
        # given
        job = _import("i1", header=["Ім'я", "Телефон"], mapping={0: "name", 1: "phone"})
        # when
        saved = self.save(imports, None, job)
        # then
        assert saved == job.model_copy(update={"revision": 1})
        assert imports.store.get("i1") == saved
        assert imports.store.get("nope") is None

    def test_a_save_from_the_revision_read_bumps_it(self, imports):
        # given
        self.save(imports, None, _import("i1"))
        read = imports.store.get("i1")
        # when
        saved = self.save(imports, read, read.model_copy(update={"status": "uploaded", "row_count": 12}))
        # then
        assert saved.revision == 2
        assert imports.store.get("i1") == saved

    def test_a_save_from_a_stale_revision_fails_on_its_tag_and_changes_nothing(self, imports):
        # given
        self.save(imports, None, _import("i1"))
        read = imports.store.get("i1")
        self.save(imports, read, read.model_copy(update={"status": "uploaded"}))
        # when
        with pytest.raises(ConditionFailed) as by_default:
            self.save(imports, read, read.model_copy(update={"status": "failed"}))
        with pytest.raises(ConditionFailed) as tagged:
            self.save(imports, read, read.model_copy(update={"status": "failed"}), tag="stale:import")
        # then
        assert (by_default.value.tag, tagged.value.tag) == ("import", "stale:import")
        assert (imports.store.get("i1").status, imports.store.get("i1").revision) == ("uploaded", 2)

    def test_a_stale_save_raises_what_its_conflict_means(self, imports):
        # given
        self.save(imports, None, _import("i1"))
        read = imports.store.get("i1")
        self.save(imports, read, read.model_copy(update={"status": "uploaded"}))
        # when / then
        with pytest.raises(_Refused):
            self.save(imports, read, read.model_copy(update={"status": "failed"}), on_conflict=_Refused)

    def test_a_new_import_saved_twice_fails_and_the_first_stays(self, imports):
        # given
        self.save(imports, None, _import("i1", file_name="first.csv"))
        # when
        with pytest.raises(ConditionFailed):
            self.save(imports, None, _import("i1", file_name="second.csv"))
        # then
        assert imports.store.get("i1").file_name == "first.csv"

    def test_a_row_marked_twice_fails_on_the_marker_tag_and_keeps_its_first_outcome(self, imports):
        # given
        imports.commit(lambda unit: imports.store.mark_row(unit, "i1", 7, "created", "c1"))
        # when
        with pytest.raises(ConditionFailed) as failed:
            imports.commit(lambda unit: imports.store.mark_row(unit, "i1", 7, "skipped", None))
        # then
        assert failed.value.tag == "import-row"
        assert imports.store.done_rows("i1", [7]) == {7: "created"}

    def test_done_rows_are_the_marked_lines_of_that_import(self, imports):
        # given
        def mark(unit: Any) -> None:
            imports.store.mark_row(unit, "i1", 2, "created", "c1")
            imports.store.mark_row(unit, "i1", 3, "linked", "c2")
            imports.store.mark_row(unit, "i1", 5, "failed", None)
            imports.store.mark_row(unit, "i2", 4, "skipped", None)

        imports.commit(mark)
        # when
        done = imports.store.done_rows("i1", [5, 2, 4, 3, 2])
        # then
        assert done == {2: "created", 3: "linked", 5: "failed"}
        assert imports.store.done_rows("i1", []) == {}

    def test_row_errors_read_back_by_line_and_a_line_kept_again_is_replaced(self, imports):
        # given
        imports.store.keep_errors(
            "i1",
            [
                ImportRowError(line=10, field="phone", message="Не телефон"),
                ImportRowError(line=9, field=None, message="Порожній рядок"),
            ],
        )
        # when
        imports.store.keep_errors("i1", [ImportRowError(line=10, field="email", message="Не e-mail")])
        # then
        errors, _ = imports.store.errors("i1", None, 10)
        assert errors == [
            ImportRowError(line=9, field=None, message="Порожній рядок"),
            ImportRowError(line=10, field="email", message="Не e-mail"),
        ]

    def test_pages_of_row_errors_hold_each_once_in_line_order(self, imports):
        # given
        lines = [100, 2, 11, 9, 1, 10, 12]
        imports.store.keep_errors(
            "i1", [ImportRowError(line=line, field=None, message="x") for line in lines]
        )
        imports.store.keep_errors("i2", [ImportRowError(line=3, field=None, message="other")])

        def read(cursor: Any, limit: int) -> Any:
            return imports.store.errors("i1", cursor, limit)

        # when
        seen = _collect(read, 3, lambda error: error.line)
        # then
        assert seen == sorted(lines)

    def test_a_cursor_not_made_here_is_a_400(self, imports):
        # when
        with pytest.raises(Problem) as refused:
            imports.store.errors("i1", "forged", 10)
        # then
        assert refused.value.status == 400


class TestImportsInMemory(ImportsContract):
    @pytest.fixture
    def imports(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryImports())


class TestImportsOnMoto(ImportsContract):
    @pytest.fixture
    def imports(self, world: Any) -> Subject[Any]:
        from chalicelib.clients.store.transfer import Imports

        return on_moto(world, "clients", Imports)


# ------------------------------------------------------------------------------ files


@dataclass
class Files:
    """The files store under test, and what a browser does with its presigned URLs."""

    store: Any
    put: Callable[[str, bytes], None]
    get: Callable[[str], bytes]


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


BIG_PART = fakes.PART_MIN_BYTES


class TransferFilesContract:
    """`TransferFiles`: the uploaded import file and its pieces, the export's pages and its
    multipart upload, and the presigned URLs to upload and download them."""

    @pytest.fixture
    def files(self, request: pytest.FixtureRequest) -> Files:
        raise NotImplementedError

    def test_nothing_uploaded_has_no_size_and_no_body(self, files):
        # when / then
        assert files.store.upload_size("i1") is None
        assert files.store.upload("i1") is None

    def test_a_body_put_to_the_upload_url_reads_back_with_its_size(self, files):
        # given
        body = "Ім'я;Телефон\r\nОлена;0671234567\r\n".encode("cp1251")
        # when
        files.put(files.store.upload_url("i1", 600), body)
        # then
        assert files.store.upload_size("i1") == len(body)
        assert files.store.upload("i1") == body
        assert files.store.upload("i2") is None

    def test_pieces_read_back_by_number(self, files):
        # when
        files.store.write_pieces("i1", [b'[["a"]]', b'[["b"]]', b'[["c"]]'])
        # then
        assert [files.store.piece("i1", n) for n in (2, 0, 1)] == [b'[["c"]]', b'[["a"]]', b'[["b"]]']

    def test_a_piece_not_written_is_no_such_key(self, files):
        # given
        files.store.write_pieces("i1", [b"[]"])
        # when
        with pytest.raises(ClientError) as missing:
            files.store.piece("i1", 1)
        # then
        assert _code(missing) == "NoSuchKey"

    def test_deleting_pieces_keeps_the_upload_and_other_imports_pieces(self, files):
        # given
        files.put(files.store.upload_url("i1", 600), b"name\r\n")
        files.store.write_pieces("i1", [b"[1]", b"[2]"])
        files.store.write_pieces("i2", [b"[3]"])
        # when
        files.store.delete_pieces("i1")
        # then
        with pytest.raises(ClientError):
            files.store.piece("i1", 0)
        assert files.store.upload("i1") == b"name\r\n"
        assert files.store.piece("i2", 0) == b"[3]"

    def test_export_pages_read_back_and_deleting_them_keeps_other_exports_pages(self, files):
        # given
        files.store.write_page("x1", 0, b"id;name\r\n")
        files.store.write_page("x1", 1, b"c1;Olena\r\n")
        files.store.write_page("x2", 0, b"other\r\n")
        read = [files.store.page("x1", 1), files.store.page("x1", 0)]
        # when
        files.store.delete_pages("x1")
        # then
        assert read == [b"c1;Olena\r\n", b"id;name\r\n"]
        with pytest.raises(ClientError) as missing:
            files.store.page("x1", 0)
        assert _code(missing) == "NoSuchKey"
        assert files.store.page("x2", 0) == b"other\r\n"

    def test_an_open_upload_is_found_again_until_completed(self, files):
        # given
        upload_id = files.store.open_upload("x1", "utf-8")
        # when
        again = files.store.open_upload("x1", "utf-8")
        other = files.store.open_upload("x2", "utf-8")
        # then
        assert again == upload_id != other
        assert files.store.upload_open("x1", upload_id) is True
        assert files.store.upload_open("x1", other) is False
        assert files.store.export_exists("x1") is False

    def test_a_completed_export_downloads_as_its_parts_joined(self, files):
        # given
        upload_id = files.store.open_upload("x1", "windows-1251")
        first = b"a" * BIG_PART
        parts = [
            (1, files.store.upload_part("x1", upload_id, 1, first)),
            (2, files.store.upload_part("x1", upload_id, 2, b"tail\r\n")),
        ]
        # when
        files.store.complete("x1", upload_id, parts)
        # then
        assert files.store.export_exists("x1") is True
        assert files.store.upload_open("x1", upload_id) is False
        assert files.get(files.store.download_url("x1", "clients.csv", 300)) == first + b"tail\r\n"
        assert files.store.open_upload("x1", "windows-1251") != upload_id

    def test_a_part_under_five_mib_before_the_last_is_refused_at_completion(self, files):
        # given
        upload_id = files.store.open_upload("x1", "utf-8")
        parts = [
            (1, files.store.upload_part("x1", upload_id, 1, b"small")),
            (2, files.store.upload_part("x1", upload_id, 2, b"last")),
        ]
        # when
        with pytest.raises(ClientError) as refused:
            files.store.complete("x1", upload_id, parts)
        # then
        assert _code(refused) == "EntityTooSmall"
        assert files.store.export_exists("x1") is False

    def test_completing_with_a_wrong_etag_is_an_invalid_part(self, files):
        # given
        upload_id = files.store.open_upload("x1", "utf-8")
        files.store.upload_part("x1", upload_id, 1, b"only")
        # when
        with pytest.raises(ClientError) as refused:
            files.store.complete("x1", upload_id, [(1, '"0123456789abcdef0123456789abcdef"')])
        # then
        assert _code(refused) == "InvalidPart"
        assert files.store.export_exists("x1") is False


class TestTransferFilesInMemory(TransferFilesContract):
    @pytest.fixture
    def files(self) -> Files:
        store = fakes.InMemoryTransferFiles()
        return Files(store, store.put_url, store.get_url)


class TestTransferFilesOnMoto(TransferFilesContract):
    @pytest.fixture
    def files(self, world: Any) -> Files:
        import requests
        from chalicelib.clients.store.transfer import TransferFiles

        def put(url: str, data: bytes) -> None:
            requests.put(url, data=data, timeout=30).raise_for_status()

        def get(url: str) -> bytes:
            answer = requests.get(url, timeout=30)
            answer.raise_for_status()
            return answer.content

        return Files(TransferFiles(world.services["clients"].store.settings), put, get)


# ------------------------------------------------------------------------------ staff


@dataclass
class Staff:
    """The staff directory under test, and how a member of staff joins it or leaves."""

    directory: Any
    join: Callable[[str, str, list[str]], None]
    leave: Callable[[str], None]


class StaffContract:
    """`UserPool` (`ports.StaffDirectory`): who works here, by username or a page at a time,
    with their roles and whether they still have access."""

    @pytest.fixture
    def staff(self, request: pytest.FixtureRequest) -> Staff:
        raise NotImplementedError

    def test_a_member_of_staff_is_found_by_username_with_name_and_roles(self, staff):
        # given
        staff.join("olena", "Олена Коваль", ["manager", "designer"])
        # when
        found = staff.directory.by_username("olena")
        # then
        assert (found.username, found.name, found.roles, found.active) == (
            "olena",
            "Олена Коваль",
            frozenset({"manager", "designer"}),
            True,
        )
        assert found.user_id
        assert staff.directory.by_username("nobody") is None

    def test_one_who_left_is_still_found_but_no_longer_active(self, staff):
        # given
        staff.join("petro", "Петро", ["manager"])
        # when
        staff.leave("petro")
        # then
        assert staff.directory.by_username("petro").active is False

    def test_pages_of_staff_hold_each_member_once(self, staff):
        # given
        for name in ("anna", "borys", "vira", "hanna", "dmytro"):
            staff.join(name, name.title(), ["manager"])
        # when
        seen = _collect(lambda cursor, limit: staff.directory.page(cursor, limit), 2, lambda m: m.username)
        # then
        assert sorted(seen) == ["anna", "borys", "dmytro", "hanna", "vira"]


class TestStaffInMemory(StaffContract):
    @pytest.fixture
    def staff(self) -> Staff:
        directory = fakes.InMemoryStaff()

        def join(username: str, name: str, roles: list[str]) -> None:
            directory.add(
                StaffMember(
                    f"sub-{username}", username, name, f"{username}@example.com", frozenset(roles), True
                )
            )

        def leave(username: str) -> None:
            member = directory.members[username]
            directory.add(dataclasses.replace(member, active=False))

        return Staff(directory, join, leave)


class TestStaffOnMoto(StaffContract):
    @pytest.fixture
    def staff(self, world: Any) -> Staff:
        from chalicelib.clients.store.staff import UserPool

        from lanka_platform import access

        store = world.services["clients"].store

        def join(username: str, name: str, roles: list[str]) -> None:
            world.cognito.admin_create_user(
                UserPoolId=world.pool_id,
                Username=username,
                UserAttributes=[
                    {"Name": "name", "Value": name},
                    {"Name": "email", "Value": f"{username}@example.com"},
                ],
                MessageAction="SUPPRESS",
            )
            for role in roles:
                world.cognito.admin_add_user_to_group(
                    UserPoolId=world.pool_id, Username=username, GroupName=role
                )

        def leave(username: str) -> None:
            unit = store.unit_of_work()
            access.revoke(store, unit, world.user_id(username), NOW, None)
            unit.commit()

        return Staff(UserPool(store), join, leave)
