"""moto's DynamoDB answers written the way its own serializer writes them, without walking
botocore's shape model once per attribute value.

moto 5.2.5 turns every answer into JSON by walking the operation's output shape. An item's
attribute value (`AttributeValue`: one of S, N, B, SS, NS, BS, M, L, NULL, BOOL) costs it
ten member look-ups through its attribute picker, each with alias lookups, so an answer
costs about a millisecond per attribute value read: a Query page of 30 items of 30
attributes takes a second, where DynamoDB answers in milliseconds. Anything timed on moto
then measures moto's serializer more than the code under test.

`patch()` puts in front of moto's JSON structure serializer a direct writer for
`AttributeValue` shapes of DynamoDB, which writes what moto's walk writes: strings and
numbers as `str()` (moto's string rule, empty values kept as they are), binaries base64
encoded by moto's own `_base64`, sets and lists member by member, maps key by key, `NULL`
and `BOOL` as given, members whose value is None left out. A value of any other form
goes to moto's walk. `tests/integration/test_moto_serializer.py` checks both give the
same JSON for generated items of every type, nested.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_SERVICES = frozenset({"dynamodb", "dynamodbstreams"})
_STRINGS = frozenset({"S", "N"})
_STRING_SETS = frozenset({"SS", "NS"})
_AS_GIVEN = frozenset({"NULL", "BOOL"})


class _Unmodelled(Exception):
    """A value the direct writer does not model: moto's walk writes it."""


def _string(value: Any) -> Any:
    # moto's `_serialize_type_string`: `str()` unless None, {} or [].
    return str(value) if value not in (None, {}, []) else value


def _attribute(value: Any, encode: Callable[[Any], str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Unmodelled
    written: dict[str, Any] = {}
    for name, member in value.items():
        if member is None:
            continue
        if name in _STRINGS:
            written[name] = _string(member)
        elif name in _AS_GIVEN:
            written[name] = member
        elif name in _STRING_SETS:
            written[name] = [_string(item) for item in _listed(member)]
        elif name == "B":
            written[name] = encode(member)
        elif name == "BS":
            written[name] = [encode(item) for item in _listed(member)]
        elif name == "M":
            if not isinstance(member, dict):
                raise _Unmodelled
            written[name] = {key: _attribute(item, encode) for key, item in member.items()}
        elif name == "L":
            written[name] = [_attribute(item, encode) for item in _listed(member)]
        else:
            raise _Unmodelled
    return written


def _listed(member: Any) -> list[Any]:
    if not isinstance(member, list):
        raise _Unmodelled
    return member


def patch() -> Callable[[], None]:
    """Put the direct writer in force; returns the function that takes it back."""
    from moto.core.serialize import BaseJSONSerializer

    moto_structure = BaseJSONSerializer._serialize_type_structure

    def _serialize_type_structure(serializer: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            key
            and value is not None
            and shape.name == "AttributeValue"
            and serializer.service_model.service_name in _SERVICES
        ):
            try:
                written = _attribute(value, serializer._base64)
            except _Unmodelled:
                pass
            else:
                serializer._default_serialize(serialized, written, shape, key)
                return
        moto_structure(serializer, serialized, value, shape, key)

    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]

    def restore() -> None:
        BaseJSONSerializer._serialize_type_structure = moto_structure  # type: ignore[method-assign]

    return restore
