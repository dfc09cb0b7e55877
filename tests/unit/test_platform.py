"""The shared package's pure parts: money, ids, time, cursors, problems, groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from lanka_platform.auth import Principal, parse_groups
from lanka_platform.clock import from_iso, local, to_iso
from lanka_platform.ids import id_at, is_valid_id, lowest_id_at, new_id
from lanka_platform.money import Money
from lanka_platform.pagination import decode_cursor, encode_cursor
from lanka_platform.problems import Problem

SECRET = b"test-secret"


def test_money_from_major_units_is_exact():
    assert Money.of("1250.50").amount == 125050
    assert Money.of("0.1") + Money.of("0.2") == Money.of("0.3")


def test_money_in_different_currencies_does_not_add_up():
    with pytest.raises(ValueError, match="UAH"):
        Money(amount=100) + Money(amount=100, currency="EUR")


def test_money_rejects_a_float_amount_with_a_fraction():
    with pytest.raises(ValidationError):
        Money(amount=10.5)


def test_ids_sort_by_creation_time():
    earlier = id_at(datetime(2026, 1, 1, tzinfo=UTC))
    later = id_at(datetime(2026, 1, 2, tzinfo=UTC))
    assert earlier < later
    assert lowest_id_at(datetime(2026, 1, 2, tzinfo=UTC)) <= later
    assert lowest_id_at(datetime(2026, 1, 2, tzinfo=UTC)) > earlier
    assert is_valid_id(new_id()) and not is_valid_id("nope")


def test_times_are_stored_in_utc_and_shown_in_kyiv_with_dst():
    summer = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    winter = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert to_iso(summer) == "2026-07-01T09:00:00.000Z"
    assert local(summer).hour == 12
    assert local(winter).hour == 11
    assert from_iso(to_iso(summer)) == summer


def test_naive_time_is_refused():
    with pytest.raises(ValueError, match="naive"):
        to_iso(datetime(2026, 1, 1))


@given(st.dictionaries(st.sampled_from(["pk", "sk", "gsi1pk"]), st.text(min_size=1, max_size=40), min_size=1))
def test_cursor_round_trips(key):
    assert decode_cursor(encode_cursor(key, SECRET), SECRET) == key


def test_tampered_cursor_is_refused():
    cursor = encode_cursor({"pk": "CATALOG", "sk": "OFFERING#1"}, SECRET)
    assert cursor is not None
    forged = encode_cursor({"pk": "CLIENT#2", "sk": "PROFILE"}, b"other-secret")
    assert forged is not None
    with pytest.raises(Problem) as refused:
        decode_cursor(forged.split(".")[0] + "." + cursor.split(".")[1], SECRET)
    assert refused.value.status == 400


def test_validation_errors_become_422_with_field_paths():
    class Address(BaseModel):
        model_config = ConfigDict(extra="forbid")
        city: str

    class Person(BaseModel):
        model_config = ConfigDict(extra="forbid")
        address: Address

    with pytest.raises(ValidationError) as caught:
        Person.model_validate({"address": {"city": 5, "zip": "01001"}})
    problem = Problem.from_validation_error(caught.value)
    assert problem.status == 422
    assert {error["field"] for error in problem.errors} == {"address.city", "address.zip"}
    body = problem.body("/x")
    assert body["type"].startswith("https://") and body["instance"] == "/x"


def test_broken_json_becomes_400():
    class Anything(BaseModel):
        name: str

    with pytest.raises(ValidationError) as caught:
        Anything.model_validate_json(b'{"name": ')
    assert Problem.from_validation_error(caught.value).status == 400


@pytest.mark.parametrize(
    ("raw", "groups"),
    [
        (["admin", "head"], ["admin", "head"]),
        ("admin,head", ["admin", "head"]),
        ("[admin head]", ["admin", "head"]),
        (None, []),
    ],
)
def test_groups_as_api_gateway_passes_them(raw, groups):
    assert parse_groups(raw) == groups


def test_principal_keeps_only_known_roles_and_checks_them():
    principal = Principal.from_claims({"sub": "u1", "cognito:groups": "manager,superuser"})
    assert principal.roles == frozenset({"manager"})
    principal.require("manager", "head")
    with pytest.raises(Problem) as refused:
        principal.require("admin")
    assert refused.value.status == 403


def test_claims_without_subject_are_unauthorized():
    with pytest.raises(Problem) as refused:
        Principal.from_claims({"cognito:groups": "admin"})
    assert refused.value.status == 401


def test_frozen_clock_drives_ulids_in_order():
    base = datetime(2026, 11, 27, tzinfo=UTC)
    assert id_at(base) < id_at(base + timedelta(milliseconds=1))


class _Unit:
    """A unit of work whose commit fails on the tags of a script, one per commit."""

    def __init__(self, script: list[str | None]) -> None:
        self.script = script
        self.retried: frozenset[str] = frozenset()

    def commit(self) -> None:
        from lanka_platform.storage import ConditionFailed

        tag = self.script.pop(0)
        if tag is not None:
            raise ConditionFailed(tag)


def _retrying(script: list[str | None], **options):
    from lanka_platform.storage import commit_retrying

    built: list[_Unit] = []

    def new_unit() -> _Unit:
        return _Unit(script)

    def build(unit: _Unit) -> int:
        built.append(unit)
        return len(built)

    result, unit = commit_retrying(new_unit, build, ["sheet"], **options)  # type: ignore[arg-type]
    return result, unit, built


def test_a_unit_of_work_is_built_again_from_fresh_reads_while_its_reads_changed():
    # given two commits that find the sheet changed, then one that holds
    # when
    result, unit, built = _retrying(["sheet", "sheet", None])
    # then it was built three times, each on a new unit, and the last one answers
    assert result == 3
    assert len({id(each) for each in built}) == 3
    assert unit is built[-1]


def test_the_last_attempt_answers_what_its_conflict_means_and_a_stranger_conflict_at_once():
    from lanka_platform.storage import ConditionFailed

    # when every attempt finds the sheet changed
    with pytest.raises(ConditionFailed) as last:
        _retrying(["sheet", "sheet", "sheet"], attempts=3)
    # then the last attempt was made with nothing retried (its write's own conflict answers)
    assert last.value.tag == "sheet"
    # and a conflict of another write is not retried at all
    script: list[str | None] = ["version", None]
    with pytest.raises(ConditionFailed):
        _retrying(script)
    assert script == [None]


def test_attempts_that_run_out_answer_busy_when_asked_to():
    # when many racing requests keep taking the number
    with pytest.raises(Problem) as busy:
        _retrying(["sheet"] * 5, attempts=5, exhausted=Problem.busy)
    # then
    assert (busy.value.status, busy.value.headers) == (503, {"Retry-After": "1"})
