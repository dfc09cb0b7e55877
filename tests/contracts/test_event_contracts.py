"""Event contracts: exported schemas match the code, and an incompatible change bumps the version."""

from __future__ import annotations

import json

import pytest

from lanka_platform import resources
from lanka_platform.contracts import registry
from lanka_platform.contracts.__main__ import schema_of, schema_path

CONTRACTS = sorted(registry().values(), key=lambda contract: contract.detail_type)


def breaking_changes(old: dict, new: dict) -> list[str]:
    """What a consumer built on `old` would trip over in `new`."""
    problems = []
    old_data = old["$defs"][old["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
    new_data = new["$defs"][new["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
    for name, spec in old_data["properties"].items():
        if name not in new_data["properties"]:
            problems.append(f"field {name} removed")
        elif spec.get("type") != new_data["properties"][name].get("type") or spec.get("anyOf") != new_data[
            "properties"
        ][name].get("anyOf"):
            problems.append(f"field {name} changed type")
    for name in set(new_data.get("required", [])) - set(old_data.get("required", [])):
        problems.append(f"field {name} became required")
    return problems


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.detail_type)
def test_exported_schema_matches_the_contract(contract):
    # given
    path = schema_path(contract)
    # then
    assert path.exists(), f"run `python -m lanka_platform.contracts` to export {path.name}"
    committed = json.loads(path.read_text())
    current = schema_of(contract)
    breaking = breaking_changes(committed, current)
    assert not breaking, f"{contract.detail_type}: {breaking}: bump its version and export a new schema"
    assert committed == current, "compatible change: re-export with `python -m lanka_platform.contracts`"


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda contract: contract.detail_type)
def test_contract_names_follow_the_convention(contract):
    assert contract.source.startswith("lanka.")
    assert contract.detail_type[0].isupper()
    producer = resources.service(contract.source.removeprefix("lanka."))
    assert contract.detail_type in producer.publishes


def test_breaking_change_is_detected():
    # given
    contract = CONTRACTS[0]
    old = schema_of(contract)
    new = json.loads(json.dumps(old))
    data = new["$defs"][new["properties"]["data"]["$ref"].rsplit("/", 1)[1]]
    removed = sorted(data["properties"])[0]
    del data["properties"][removed]
    # then
    assert breaking_changes(old, new) == [f"field {removed} removed"]


def test_every_consumed_event_has_a_contract_and_a_publisher():
    published = {detail_type for service in resources.SERVICES for detail_type in service.publishes}
    for service in resources.SERVICES:
        for detail_type in service.consumes:
            assert detail_type in registry()
            assert detail_type in published
