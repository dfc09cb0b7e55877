"""moto's DynamoDB Query made to read what DynamoDB reads: one partition, one key range.

moto 5.2.5 answers a Query on a table by sorting every item of the table (`all_items()`)
and walking them all to keep those of the queried partition key, then walking those to
keep the sort-key range: a Query costs O(table size), so anything timed on moto slows as
data grows, however well the access pattern is designed. `install()` changes that while it
is in force:

* a table's partitions (`Table.items[hash_key]`, a dict of sort key -> item) are kept in a
  dict that also knows its keys in sort order, re-sorted lazily by the first Query after a
  key came or went (`_SortedPartition`);
* `Table.query` looks the partition up by its key and finds the sort-key range by bisection
  (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN`, `begins_with`), then reads just the items of that
  range, as far as `Limit`, the 1 MB page limit and `ExclusiveStartKey` let it.

The answer is moto's own, to the item: the same items in the same order, the same
`ScannedCount`, and the same `LastEvaluatedKey`, including moto's quirk of returning one
when a page is full and the partition holds any further key, matching or not. The
filter expression and the projection are applied afterwards by moto's own code, as
moto does. Whatever the fast path does not model is left to moto's `Table.query`:
the legacy `QueryFilter` and non-key `KeyConditions`, sort keys that are not all strings
or all numbers, a `Limit` below 1, a `ScanIndexForward` that is not a boolean, and tables
created before `install()`.

A Query on an index (global or local) reads only its index partition: the table's items
grouped by each index's partition key are kept per index, grouped by the first Query of the
index (one walk of the table) and from then on kept up to date item by item: every item a
write puts, replaces, deletes or updates in place is moved to its group by the next Query
of the index, which makes anew just the groups it touched (a board of 5,000 deals read
after a move costs the move's few items, not a walk of the table). With one partition key
and one sort key of strings or numbers, a partition is also kept in moto's own index order
(`Table.sorted_items`: the index's sort key, then the table's keys), and the Query finds its key range and its
`ExclusiveStartKey` by bisection and pages as the base-table path does (`_page`); in any
other case moto's own `Table.query` answers, walking only that partition's items instead
of `all_items()` (moto sorts what it walks by keys unique to an item, so the order of the
walk does not matter). A write is anything that changes the table's partitions (`_Partitions`,
`_SortedPartition`: put, delete, replace, a cancelled transaction's items put back) and
every `UpdateItem` (it changes an item's attributes in place; the item is told after it).
A partition replaced whole, or a burst of more than `_MOST_PENDING` writes, has the index
grouped again by one walk, as moto always walks; reading it again costs its partition.

One assumption: an item is at most 405,000 bytes as moto counts them (moto refuses bigger
ones on every write), so a page holding less than 595,000 bytes can never be closed by the
size of an item it does not return.

`tests/integration/test_moto_query_patch.py` compares patched and unpatched answers.

`install()` also puts in force `moto_serializer`: moto's answers written without walking
botocore's shape model once per attribute value (see that module); and the emulator's
`dynamodb_transactions_roll_back_by_item`: moto 5.2.5 deep-copies every table a
`TransactWriteItems` touches, to restore it if the transaction is cancelled (a move of
one deal on a board of 5,000 copied ~15,000 items, seconds); with it, a transaction keeps
copies of just its own items. Whatever runs moto with `install()` (the local stack, the
integration tests, the benchmarks) runs it as the local stack does.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import functools
import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from lanka_local import moto_serializer

# Bumped on every change to a partition's set of keys: a sort order is valid for the
# generation it was computed at (a shared counter: `next()` is atomic under the GIL).
_GENERATIONS = itertools.count(1)
# moto's bound on the size of one item (`LimitedSizeDict`), checked on every write.
_LARGEST_ITEM = 405_000
_SORTABLE_TYPES = frozenset({"S", "N"})
# Writes an index keeps in hand before it is grouped by a walk again instead.
_MOST_PENDING = 20_000
_OPERATORS = {
    "=": "EQ",
    "EQ": "EQ",
    "<": "LT",
    "LT": "LT",
    "<=": "LE",
    "LE": "LE",
    ">": "GT",
    "GT": "GT",
    ">=": "GE",
    "GE": "GE",
    "BETWEEN": "BETWEEN",
    "BEGINS_WITH": "BEGINS_WITH",
}
_OPERANDS = {"BETWEEN": 2}

_lock = threading.Lock()
_installs = 0
_restore_moto: Callable[[], None] | None = None


def install() -> Callable[[], None]:
    """Put the partition-reading Query in force; returns the function that takes it back.

    Installs nest: moto is restored when every `install()` has been taken back. Only tables
    created while it is in force get sorted partitions; older ones keep moto's Query."""
    global _installs, _restore_moto
    with _lock:
        if _installs == 0:
            _restore_moto = _patch_moto()
        _installs += 1
    taken_back = False

    def uninstall() -> None:
        global _installs, _restore_moto
        nonlocal taken_back
        with _lock:
            if taken_back:
                return
            taken_back = True
            _installs -= 1
            if _installs == 0 and _restore_moto is not None:
                _restore_moto()
                _restore_moto = None

    return uninstall


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """`install()` for the duration of a `with` block."""
    take_back = install()
    try:
        yield
    finally:
        take_back()


# The items an index Query walks instead of `all_items()`, per thread: (table, items).
_walking = threading.local()


def _patch_moto() -> Callable[[], None]:
    from moto.core.responses import BaseResponse
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    moto_init = Table.__init__
    moto_query = Table.query
    moto_all_items = Table.all_items
    moto_update_item = DynamoDBBackend.update_item
    from moto.utilities.aws_headers import gen_amzn_requestid_long

    def __init__(table: Any, *args: Any, **kwargs: Any) -> None:
        moto_init(table, *args, **kwargs)
        table.items = _Partitions()

    @functools.wraps(moto_all_items)
    def all_items(table: Any) -> list[Any]:
        walking = getattr(_walking, "items", None)
        if walking is not None and walking[0] is table:
            return list(walking[1])
        return moto_all_items(table)  # type: ignore[no-any-return]

    @functools.wraps(moto_update_item)
    def update_item(backend: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        # The item's attributes change in place: its index groups follow once it is written
        # (a new item is put, and counted, by moto's own `put_item`).
        table = backend.tables.get(table_name)
        try:
            return moto_update_item(backend, table_name, *args, **kwargs)
        finally:
            _updated(table, args[0] if args else kwargs.get("key"))

    @functools.wraps(moto_query)  # `Table.query.__wrapped__` stays moto's own
    def query(
        table: Any,
        hash_key: Any,
        range_comparison: str | None,
        range_objs: list[Any],
        limit: int,
        exclusive_start_key: dict[str, Any],
        scan_index_forward: bool,
        projection_expressions: list[list[str]] | None,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: list[tuple[str, Any]] | None = None,
        range_key_conditions: list[tuple[str, str, list[Any]]] | None = None,
        **filter_kwargs: Any,
    ) -> tuple[list[Any], int, dict[str, Any] | None]:
        if index_name and not filter_kwargs and not consistent_read:
            walk = _index_partition(table, index_name, hash_key_conditions)
            found = None
            if walk is not None and walk.sorted is not None:
                found = _query_index(
                    table, walk, range_comparison, range_objs, limit, exclusive_start_key,
                    scan_index_forward, range_key_conditions,
                )  # fmt: skip
            if found is not None:
                index = table.get_index(index_name)
                results = [index.project(item) for item in copy.deepcopy(found[0])]
                if filter_expression is not None:
                    results = [item for item in results if filter_expression.expr(item)]
                if projection_expressions:
                    results = [item.project(projection_expressions) for item in results]
                return results, found[1], found[2]
            if walk is not None:
                _walking.items = (table, walk.items)
                try:
                    return moto_query(  # type: ignore[no-any-return]
                        table,
                        hash_key,
                        range_comparison,
                        range_objs,
                        limit,
                        exclusive_start_key,
                        scan_index_forward,
                        projection_expressions,
                        index_name,
                        consistent_read,
                        filter_expression,
                        hash_key_conditions=hash_key_conditions,
                        range_key_conditions=range_key_conditions,
                    )
                finally:
                    _walking.items = None
        page = None
        if not index_name and not filter_kwargs:
            try:
                page = _query_partition(
                    table,
                    hash_key,
                    range_comparison,
                    range_objs,
                    limit,
                    exclusive_start_key,
                    scan_index_forward,
                    range_key_conditions,
                )
            except _PartitionChanged:
                page = None
        if page is None:
            return moto_query(  # type: ignore[no-any-return]
                table,
                hash_key,
                range_comparison,
                range_objs,
                limit,
                exclusive_start_key,
                scan_index_forward,
                projection_expressions,
                index_name,
                consistent_read,
                filter_expression,
                hash_key_conditions=hash_key_conditions,
                range_key_conditions=range_key_conditions,
                **filter_kwargs,
            )
        items, scanned_count, last_evaluated_key = page
        # The rest is moto's `Table.query` as it is: copies, then filter, then projection.
        results = copy.deepcopy(items)
        if filter_expression is not None:
            results = [item for item in results if filter_expression.expr(item)]
        if projection_expressions:
            results = [item.project(projection_expressions) for item in results]
        return results, scanned_count, last_evaluated_key

    Table.__init__ = __init__  # type: ignore[method-assign,assignment,unused-ignore]
    Table.query = query  # type: ignore[method-assign,assignment,unused-ignore]
    Table.all_items = all_items  # type: ignore[method-assign,assignment,unused-ignore]
    DynamoDBBackend.update_item = update_item  # type: ignore[method-assign,assignment,unused-ignore]
    restore_serializer = moto_serializer.patch()
    moto_enrich = BaseResponse.__dict__["_enrich_response"]

    def enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        # moto looks for an XML <RequestId> with a regular expression over every answer: a
        # DynamoDB answer (JSON) of a few hundred KB cost milliseconds for nothing.
        if isinstance(body, str) and "<RequestId>" not in body:
            if "status" in headers:
                headers["status"] = str(headers["status"])
            gen_amzn_requestid_long(headers)
            return headers, body
        return moto_enrich.__func__(headers, body)  # type: ignore[no-any-return]

    BaseResponse._enrich_response = staticmethod(enrich_response)  # type: ignore[method-assign,assignment,unused-ignore]
    # The emulator's module imports this one: its transaction patch is read when put in force.
    from lanka_local.emulator import dynamodb_transactions_roll_back_by_item

    restore_transactions = dynamodb_transactions_roll_back_by_item()

    restore_s3_events = _patch_s3_events()
    restore_projection = _patch_projection()
    restore_input_paths = _patch_event_input_paths()
    restore_visible_messages = _patch_visible_messages()
    from moto.core import responses as moto_responses

    moto_method_names = moto_responses.method_names_from_class
    # moto lists a response class's methods (`inspect.getmembers`) on every request.
    moto_responses.method_names_from_class = functools.cache(moto_method_names)

    def restore() -> None:
        restore_visible_messages()
        moto_responses.method_names_from_class = moto_method_names
        restore_input_paths()
        restore_projection()
        restore_s3_events()
        restore_transactions()
        BaseResponse._enrich_response = moto_enrich  # type: ignore[method-assign,assignment,unused-ignore]
        Table.__init__ = moto_init  # type: ignore[method-assign,assignment,unused-ignore]
        Table.query = moto_query  # type: ignore[method-assign,assignment,unused-ignore]
        Table.all_items = moto_all_items  # type: ignore[method-assign,assignment,unused-ignore]
        DynamoDBBackend.update_item = moto_update_item  # type: ignore[method-assign,assignment,unused-ignore]
        restore_serializer()

    return restore


def _updated(table: Any, key: Any) -> None:
    """An `UpdateItem` of `key` ran (committed or not): the item's index groups follow it."""
    partitions = getattr(table, "items", None)
    if not isinstance(partitions, _Partitions) or not partitions.grouped():
        return
    from moto.dynamodb.models.dynamo_type import DynamoType

    try:
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        item = table.get_item(hash_value, range_value)
    except Exception:  # noqa: BLE001 - a key moto refused: group every item again
        partitions.wrote()
        return
    if item is not None:
        partitions.changed(None, item)


def _group_value(value: Any) -> tuple[str, Any] | None:
    """An index key value as moto compares it (type and cast value); None for a type an
    index key cannot have."""
    kind = getattr(value, "type", None)
    if kind not in ("S", "N", "B"):
        return None
    return kind, value.cast_value


def _index_partition(
    table: Any, index_name: str, hash_key_conditions: list[tuple[str, Any]] | None
) -> _IndexPartition | None:
    """The items an index Query on `hash_key_conditions` has to walk; None when this case
    is left to moto (then it walks every item)."""
    partitions = getattr(table, "items", None)
    if not isinstance(partitions, _Partitions) or not hash_key_conditions:
        return None
    index = next((found for found in table.all_indexes() if found.name == index_name), None)
    if index is None:
        return None  # moto says which indexes there are
    hash_attrs = tuple(key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH")
    given = dict(hash_key_conditions)
    if len(given) != len(hash_key_conditions) or set(given) != set(hash_attrs):
        return None
    key = tuple(_group_value(given[name]) for name in hash_attrs)
    if None in key:
        return None
    range_attrs = tuple(key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE")
    groups = partitions.index_groups(index_name, hash_attrs)
    group = groups.get(key)
    if group is None:
        return _IndexPartition({})
    if group.sorted is None and not group.tried and len(hash_attrs) == 1 and len(range_attrs) == 1:
        group.sort(table, index_name, hash_attrs[0], range_attrs[0])
    return group


class _IndexPartition:
    """The items of one index partition key; once a Query asked, also in moto's index order
    (index range key, then the table's keys) with their range-key values, when these are
    all strings or all numbers. Never changed once made: a write makes a new one, so a
    Query reading this one reads one consistent set."""

    def __init__(self, members: dict[int, Any]) -> None:
        self.members = members  # id(item) -> item
        self.items = list(members.values())
        self.sorted: tuple[list[Any], list[Any], str, str, str, list[str], list[str | None]] | None = None
        self.tried = False
        self.sort_attrs: list[str] | None = None  # what moto sorts the items by

    def sort(self, table: Any, index_name: str, hash_attr: str, range_attr: str) -> None:
        self.tried = True
        # moto's index Query leaves out items without the index's range key
        items = [item for item in self.items if item.attrs.get(range_attr)]
        types = {item.attrs[range_attr].type for item in items}
        if len(types) > 1 or not types <= _SORTABLE_TYPES:
            return
        hash_attrs = [hash_attr, table.hash_key_attr]
        range_attrs: list[str | None] = [range_attr, table.range_key_attr]
        ordered = table.sorted_items(hash_attrs, range_attrs, items)  # moto's own order
        values = [item.attrs[range_attr].cast_value for item in ordered]
        key_type = types.pop() if types else "S"
        self.sorted = (ordered, values, key_type, index_name, range_attr, hash_attrs, range_attrs)
        self.sort_attrs = table._generate_attr_to_sort_by(hash_attrs, range_attrs)

    def updated(self, members: dict[int, Any], touched: set[int]) -> _IndexPartition:
        """This group after writes: `members` as they are now, `touched` the ids of the items
        that came, went or changed. Its order is mended, not sorted anew: the touched items
        are taken out and the present ones put back where moto's sort puts them (bisection
        by moto's sort key, unique to an item); in any case it cannot mend, the next Query
        sorts the group again."""
        fresh = _IndexPartition(members)
        if self.sorted is None or self.sort_attrs is None:
            return fresh
        ordered, values, key_type, index_name, range_attr, hash_attrs, range_attrs = self.sorted
        attrs = self.sort_attrs
        kept = [(item, value) for item, value in zip(ordered, values, strict=True) if id(item) not in touched]
        new_ordered = [item for item, _ in kept]
        new_values = [value for _, value in kept]

        def sort_key(item: Any) -> tuple[Any, ...]:
            return tuple(item.attrs[name] for name in attrs)

        try:
            for identity in touched:
                item = members.get(identity)
                value = item.attrs.get(range_attr) if item is not None else None
                if not value:
                    continue  # gone, or not in moto's index order
                if value.type != key_type:
                    return fresh
                at = bisect.bisect_left(new_ordered, sort_key(item), key=sort_key)
                new_ordered.insert(at, item)
                new_values.insert(at, value.cast_value)
        except (KeyError, TypeError):
            return fresh
        fresh.sorted = (new_ordered, new_values, key_type, index_name, range_attr, hash_attrs, range_attrs)
        fresh.sort_attrs = attrs
        fresh.tried = True
        return fresh


def _query_index(
    table: Any,
    partition: _IndexPartition,
    range_comparison: str | None,
    range_objs: list[Any],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    scan_index_forward: Any,
    range_key_conditions: list[tuple[str, str, list[Any]]] | None,
) -> tuple[list[Any], int, dict[str, Any] | None] | None:
    """moto's answer to an index Query before projection and filter, reading only the
    index partition's key range; None when this case is left to moto."""
    assert partition.sorted is not None
    ordered, values, key_type, index_name, range_attr, hash_attrs, range_attrs = partition.sorted
    if scan_index_forward not in (True, False):
        return None
    if limit is not None and (type(limit) is not int or limit < 1):
        return None
    if range_key_conditions and (len(range_key_conditions) != 1 or range_key_conditions[0][0] != range_attr):
        return None
    forward = scan_index_forward is True
    if not ordered:
        return [], 0, None
    found = _key_range(values, key_type, range_comparison, range_objs)
    if found is None:
        return None
    low, high = found
    count = len(ordered)
    start, end = (low, high) if forward else (count - high, count - low)
    candidates: Sequence[Any] = ordered if forward else ordered[::-1]
    return _page(
        table,
        candidates,
        start,
        end,
        limit,
        exclusive_start_key,
        forward,
        (index_name, hash_attrs, range_attrs),
    )


class _Partitions(defaultdict[Any, Any]):
    """A table's partitions (hash key -> `_SortedPartition`, or -> the item when the table
    has no sort key), told of every item that comes, goes or changes, and each index's items
    grouped by its partition key: grouped once by the first Query of the index (one walk of
    the table), then kept up to date item by item (`_IndexGroups`), so a Query after a write
    costs what the write changed, not what the table holds."""

    def __init__(self, *args: Any) -> None:
        super().__init__(_SortedPartition, *args[1:])
        self._groups: dict[str, _IndexGroups] = {}
        self._lock = threading.Lock()
        self.walks = 0  # how often an index was grouped by walking the whole table

    def grouped(self) -> bool:
        """Whether any index is grouped (else a write has nothing to keep up to date)."""
        return bool(self._groups)

    def wrote(self) -> None:
        """A change not told item by item (a partition replaced whole): group again."""
        with self._lock:
            self._groups.clear()

    def changed(self, old: Any, new: Any) -> None:
        """`old` left the table (or None), `new` is in it (or None; an item changed in place
        is both): each grouped index moves them to their groups at its next Query."""
        if not self._groups:
            return
        with self._lock:
            for name, groups in list(self._groups.items()):
                if old is not None and old is not new:
                    groups.pending.append((False, old))
                if new is not None:
                    groups.pending.append((True, new))
                if len(groups.pending) > _MOST_PENDING:
                    del self._groups[name]  # a burst of writes: one walk is cheaper

    def _partition_went(self, value: Any) -> None:
        if isinstance(value, _SortedPartition):
            if dict.__len__(value):
                self.wrote()
        else:
            self.changed(value, None)

    def __missing__(self, key: Any) -> Any:
        partition = _SortedPartition()
        self[key] = partition
        return partition

    def __setitem__(self, key: Any, value: Any) -> None:
        old = dict.get(self, key)
        if isinstance(value, _SortedPartition):
            value._owner = self
        super().__setitem__(key, value)
        if old is not None:
            self._partition_went(old)
        if isinstance(value, _SortedPartition):
            if dict.__len__(value):
                self.wrote()  # a partition put whole (a restored copy)
        else:
            self.changed(None, value)

    def __delitem__(self, key: Any) -> None:
        old = dict.get(self, key)
        super().__delitem__(key)
        self._partition_went(old)

    def pop(self, key: Any, *default: Any) -> Any:
        had = dict.get(self, key)
        value = super().pop(key, *default)
        if had is not None:
            self._partition_went(had)
        return value

    def popitem(self) -> tuple[Any, Any]:
        pair = super().popitem()
        self._partition_went(pair[1])
        return pair

    def clear(self) -> None:
        super().clear()
        self.wrote()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __ior__(self, other: Any) -> _Partitions:  # type: ignore[misc]
        self.update(other)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (None,), None, None, iter(dict(self).items()))

    def __copy__(self) -> _Partitions:
        copied = type(self)()
        copied.update(self)
        return copied

    def index_groups(self, name: str, hash_attrs: tuple[str, ...]) -> dict[Any, _IndexPartition]:
        """The table's items by their `hash_attrs` values (as `_group_value` gives them).
        (moto sorts what a Query walks by the index's keys and the table's, unique to an
        item: the order of the walk does not matter.)"""
        from moto.dynamodb.models.dynamo_type import Item

        with self._lock:
            cached = self._groups.get(name)
            if cached is not None and cached.hash_attrs == hash_attrs:
                cached.catch_up()
                return cached.groups
            # Registered before the walk: what is written meanwhile is told to it as well.
            groups = self._groups[name] = _IndexGroups(hash_attrs)
        self.walks += 1
        walked: list[Any] = []
        for partition in list(self.values()):
            for item in list(partition.values()) if isinstance(partition, dict) else [partition]:
                if isinstance(item, Item):
                    walked.append(item)
        with self._lock:
            # Writes told while walking come after what the walk saw: they stand.
            groups.build(walked)
            groups.catch_up()
            return groups.groups


class _IndexGroups:
    """One index's items by its partition key, and the items written since they were last
    brought up to date (`pending`: in order, each as in the table or gone)."""

    def __init__(self, hash_attrs: tuple[str, ...]) -> None:
        self.hash_attrs = hash_attrs
        self.groups: dict[Any, _IndexPartition] = {}
        self.where: dict[int, tuple[Any, Any]] = {}  # id(item) -> (item, its group's key)
        self.pending: list[tuple[bool, Any]] = []

    def key_of(self, item: Any) -> Any:
        values = [item.attrs.get(attr) for attr in self.hash_attrs]
        if any(not value for value in values):
            return None  # not in the index
        key = tuple(_group_value(value) for value in values)
        return None if None in key else key

    def build(self, items: list[Any]) -> None:
        """The groups from a walk of the whole table."""
        grouped: dict[Any, dict[int, Any]] = defaultdict(dict)
        where = self.where
        for item in items:
            key = self.key_of(item)
            if key is not None:
                grouped[key][id(item)] = item
                # The item itself is kept: its id is not given to another while it is here.
                where[id(item)] = (item, key)
        self.groups = {key: _IndexPartition(members) for key, members in grouped.items()}

    def catch_up(self) -> None:
        """Move the pending items to their groups; every group they touch is made anew,
        its order mended (`_IndexPartition.updated`)."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        fresh: dict[Any, dict[int, Any]] = {}
        touched: dict[Any, set[int]] = defaultdict(set)

        def members(key: Any) -> dict[int, Any]:
            found = fresh.get(key)
            if found is None:
                group = self.groups.get(key)
                found = fresh[key] = dict(group.members) if group is not None else {}
            return found

        for present, item in pending:
            placed = self.where.pop(id(item), None)
            if placed is not None:
                members(placed[1]).pop(id(item), None)
                touched[placed[1]].add(id(item))
            if not present:
                continue
            key = self.key_of(item)
            if key is not None:
                members(key)[id(item)] = item
                touched[key].add(id(item))
                self.where[id(item)] = (item, key)
        for key, found in fresh.items():
            group = self.groups.get(key)
            if not found:
                self.groups.pop(key, None)
            elif group is None:
                self.groups[key] = _IndexPartition(found)
            else:
                self.groups[key] = group.updated(found, touched[key])


class _SortedPartition(dict[Any, Any]):
    """One partition of a table: sort key -> item, as moto keeps it, plus its keys in
    moto's sort order (by `DynamoType.cast_value`), computed when first asked for after
    a key came or went. Replacing the item of a key keeps the order."""

    _generation = 0
    _order: tuple[int, tuple[list[Any], list[Any]] | None] | None = None
    _owner: _Partitions | None = None  # the table's partitions, told of every write

    def _keys_changed(self) -> None:
        self._generation = next(_GENERATIONS)

    def __setitem__(self, key: Any, value: Any) -> None:
        old = dict.get(self, key)
        count = len(self)
        super().__setitem__(key, value)
        if len(self) != count:
            self._keys_changed()
        if self._owner is not None:
            self._owner.changed(old, value)  # a replaced item: the order stands, its groups may not

    def __delitem__(self, key: Any) -> None:
        old = dict.get(self, key)
        super().__delitem__(key)
        self._keys_changed()
        if self._owner is not None:
            self._owner.changed(old, None)

    def pop(self, key: Any, *default: Any) -> Any:
        old = dict.get(self, key)
        value = super().pop(key, *default)
        if old is not None:
            self._keys_changed()
            if self._owner is not None:
                self._owner.changed(old, None)
        return value

    def popitem(self) -> tuple[Any, Any]:
        pair = super().popitem()
        self._keys_changed()
        if self._owner is not None:
            self._owner.changed(pair[1], None)
        return pair

    def clear(self) -> None:
        super().clear()
        self._keys_changed()
        if self._owner is not None:
            self._owner.wrote()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._keys_changed()
        if self._owner is not None:
            self._owner.wrote()

    def __ior__(self, other: Any) -> _SortedPartition:  # type: ignore[override,misc]
        super().__ior__(other)
        self._keys_changed()
        if self._owner is not None:
            self._owner.wrote()
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (dict(self),))

    def __copy__(self) -> _SortedPartition:
        return type(self)(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> _SortedPartition:
        copied = type(self)()
        memo[id(self)] = copied
        for key, value in dict.items(self):
            dict.__setitem__(copied, copy.deepcopy(key, memo), copy.deepcopy(value, memo))
        return copied

    def in_order(self) -> tuple[list[Any], list[Any]] | None:
        """The keys in ascending order and their sort values; None when the keys are not
        all strings or all numbers (then moto's own Query answers)."""
        # Writers change the keys, then the generation: keys read after the generation
        # are at least that new, and a later write makes this order stale.
        generation = self._generation
        order = self._order
        if order is not None and order[0] == generation:
            return order[1]
        keys = list(self)  # one C call: atomic against writers in other threads
        types = {getattr(key, "type", None) for key in keys}
        sorted_keys: tuple[list[Any], list[Any]] | None = None
        if len(types) <= 1 and types <= _SORTABLE_TYPES:
            pairs = sorted(((key.cast_value, key) for key in keys), key=lambda pair: pair[0])
            sorted_keys = ([key for _, key in pairs], [value for value, _ in pairs])
        self._order = (generation, sorted_keys)
        return sorted_keys


class _PartitionChanged(Exception):
    """A key went away while a Query read the partition: let moto answer instead."""


class _InQueryOrder(Sequence[Any]):
    """The items of a partition in the order the Query reads them."""

    def __init__(self, partition: dict[Any, Any], keys: list[Any], forward: bool) -> None:
        self._partition = partition
        self._keys = keys
        self._forward = forward

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        key = self._keys[index if self._forward else len(self._keys) - 1 - index]
        item = dict.get(self._partition, key)
        if item is None:
            raise _PartitionChanged
        return item


def _query_partition(
    table: Any,
    hash_key: Any,
    range_comparison: str | None,
    range_objs: list[Any],
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    scan_index_forward: Any,
    range_key_conditions: list[tuple[str, str, list[Any]]] | None,
) -> tuple[list[Any], int, dict[str, Any] | None] | None:
    """moto's answer to a table Query before filter and projection, reading one partition;
    None when this case is left to moto."""
    from moto.dynamodb.models.dynamo_type import Item

    if hash_key is None or scan_index_forward not in (True, False):
        return None
    if limit is not None and (type(limit) is not int or limit < 1):
        return None
    forward = scan_index_forward is True
    if table.range_key_attr is None:
        if range_comparison or range_key_conditions:
            return None
        item = table.items.get(hash_key)
        candidates: Sequence[Any] = [item] if isinstance(item, Item) else []
        return _page(table, candidates, 0, len(candidates), limit, exclusive_start_key, forward)

    if range_key_conditions and (
        len(range_key_conditions) != 1 or range_key_conditions[0][0] != table.range_key_attr
    ):
        return None
    partition = table.items.get(hash_key)
    if partition is None:
        return [], 0, None
    if not isinstance(partition, _SortedPartition):
        return None
    order = partition.in_order()
    if order is None:
        return None
    keys, values = order
    if not keys:
        return [], 0, None
    found = _key_range(values, keys[0].type, range_comparison, range_objs)
    if found is None:
        return None
    low, high = found
    count = len(keys)
    start, end = (low, high) if forward else (count - high, count - low)
    return _page(
        table, _InQueryOrder(partition, keys, forward), start, end, limit, exclusive_start_key, forward
    )


def _key_range(
    values: list[Any], key_type: str, comparison: str | None, operands: list[Any]
) -> tuple[int, int] | None:
    """Where the sort values that satisfy the key condition lie in `values` (ascending):
    [low, high); None for a condition the bisection does not model."""
    if comparison is None:
        return 0, len(values)
    operator = _OPERATORS.get(comparison)
    if operator is None or len(operands) != _OPERANDS.get(operator, 1):
        return None
    if any(getattr(operand, "type", None) != key_type for operand in operands):
        return None
    if operator == "BEGINS_WITH" and key_type != "S":
        return None
    bounds = [operand.cast_value for operand in operands]
    value = bounds[0]
    if operator == "EQ":
        return bisect.bisect_left(values, value), bisect.bisect_right(values, value)
    if operator == "LT":
        return 0, bisect.bisect_left(values, value)
    if operator == "LE":
        return 0, bisect.bisect_right(values, value)
    if operator == "GT":
        return bisect.bisect_right(values, value), len(values)
    if operator == "GE":
        return bisect.bisect_left(values, value), len(values)
    if operator == "BETWEEN":
        low = bisect.bisect_left(values, bounds[0])
        return low, max(low, bisect.bisect_right(values, bounds[1]))
    # begins_with: the keys that have the prefix come first among those not below it.
    low = bisect.bisect_left(values, value)
    high = bisect.bisect_left(values, True, lo=low, key=lambda key: not key.startswith(value))
    return low, high


def _page(
    table: Any,
    candidates: Sequence[Any],
    match_start: int,
    match_end: int,
    limit: int | None,
    exclusive_start_key: dict[str, Any] | None,
    forward: bool,
    index_keys: tuple[str, list[str], list[str | None]] | None = None,
) -> tuple[list[Any], int, dict[str, Any] | None]:
    """moto's paging loop over `candidates` (the partition in query order), of which
    [match_start, match_end) satisfy the key condition, visiting only the items it returns.

    moto skips the candidates up to `ExclusiveStartKey` (a prefix, found here by bisection
    with moto's own comparison), then, for every candidate left, closes the page if it is
    full (`Limit`) or if adding that candidate would pass 1 MB, and otherwise takes it if
    it matches. Candidates before the matching ones meet an empty page, which neither
    limit closes."""
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT

    # An index's name and its key attributes as moto's index Query orders by them.
    index_name, hash_attrs, range_attrs = index_keys or (None, [table.hash_key_attr], [table.range_key_attr])
    start = 0
    if exclusive_start_key is not None and candidates:
        start = bisect.bisect_left(
            range(len(candidates)),
            True,
            key=lambda index: (
                not table._item_comes_before_dct(
                    candidates[index], exclusive_start_key, hash_attrs, range_attrs, forward
                )
            ),
        )
    results: list[Any] = []
    size = 0
    for index in range(max(start, match_start), match_end):
        item = candidates[index]
        item_size = item.size()
        if len(results) == limit or size + item_size > RESULT_SIZE_LIMIT:
            return results, len(results), table._get_last_evaluated_key(results[-1], index_name)
        results.append(item)
        size += item_size
    following = range(max(start, match_end), len(candidates))
    if results and following:
        if len(results) == limit:
            return results, len(results), table._get_last_evaluated_key(results[-1], index_name)
        if size + _LARGEST_ITEM > RESULT_SIZE_LIMIT:
            for index in following:
                if size + candidates[index].size() > RESULT_SIZE_LIMIT:
                    return results, len(results), table._get_last_evaluated_key(results[-1], index_name)
    return results, len(results), None


def _patch_projection() -> Callable[[], None]:
    """A projected read converts only the attributes it names.

    moto 5.2.5's `Item.project` converts the whole item to plain JSON once per path of the
    ProjectionExpression, so reading two short attributes of an item that also holds 40 kB
    costs as much as reading it whole, several times over. The same conversion, merge and
    answer, but of the named top-level attributes, once."""
    from boto3.dynamodb.types import TypeDeserializer
    from botocore.utils import merge_dicts
    from moto.dynamodb.models.dynamo_type import Item, serializer
    from moto.dynamodb.models.utilities import find_nested_key

    moto_project = Item.project
    deserializer = TypeDeserializer()

    @functools.wraps(moto_project)
    def project(item: Any, projection_expressions: list[list[str]]) -> Any:
        names = {path[0] for path in projection_expressions if path}
        if any("[" in name for name in names):
            return moto_project(item, projection_expressions)
        plain = {
            name: deserializer.deserialize(item.attrs[name].to_regular_json())
            for name in names
            if name in item.attrs
        }
        result: dict[str, Any] = {}
        for path in projection_expressions:
            merge_dicts(result, find_nested_key(path, plain))
        return Item(hash_key=item.hash_key, range_key=item.range_key, attrs=serializer.serialize(result)["M"])

    Item.project = project  # type: ignore[method-assign,assignment,unused-ignore]

    def restore() -> None:
        Item.project = moto_project  # type: ignore[method-assign,assignment,unused-ignore]

    return restore


def _patch_s3_events() -> Callable[[], None]:
    """A bucket's EventBridge notification put on the *default* bus as AWS does, through
    its rules' input transformers. moto 5.2.5 hands the event to every rule of every bus
    and skips the transformers (`send_to_targets(event, transform_input=False)`), so a
    rule that reshapes S3's events (`resources.INBOUND_MAIL`) would deliver them raw."""
    import json

    from moto.s3 import notifications

    moto_send = notifications._send_event_bridge_message

    def send(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
        from moto.events.models import events_backends

        detail = {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": {
                "key": key.name,
                "size": key.size,
                "eTag": key.etag.replace('"', ""),
                "version-id": key.version_id,
                "sequencer": "617f08299329d189",
            },
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": account_id,
            "source-ip-address": "1.2.3.4",
            "reason": event_name.split(":")[1],
        }
        events_backends[account_id][bucket.region_name].put_events(
            [
                {
                    "Source": "aws.s3",
                    "DetailType": notifications._detail_type(event_name),
                    "Detail": json.dumps(detail),
                    "Resources": [bucket.arn],
                    "EventBusName": "default",
                }
            ]
        )

    notifications._send_event_bridge_message = send  # type: ignore[assignment]

    def restore() -> None:
        notifications._send_event_bridge_message = moto_send

    return restore


def _patch_event_input_paths() -> Callable[[], None]:
    """moto's EventBridge builds a JSONPath parser (a PLY grammar read from its tables, about
    2 ms) for each of the eight input paths of every target of every event it delivers, a
    target with no InputTransformer included: a parsed path is kept instead (they are few)."""
    import jsonpath_ng.ext as jsonpath

    moto_parse = jsonpath.parse
    jsonpath.parse = functools.lru_cache(maxsize=512)(moto_parse)

    def restore() -> None:
        jsonpath.parse = moto_parse

    return restore


def _patch_visible_messages() -> Callable[[], None]:
    """moto's SQS finds a queue's visible messages (on every receive), and counts its delayed
    and in-flight ones (for the queue's attributes, which it reads on every message sent),
    by asking each message whether it is visible and whether it is delayed, each asking the
    clock: a clock read (about 6 us) per message in the queue and question, so sending to or
    receiving from an inbox a thousand messages deep cost tens of ms. One clock read per walk
    gives the same answers."""
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import Queue

    moto_properties = {
        name: Queue.__dict__[name]
        for name in (
            "messages",
            "approximate_number_of_messages_delayed",
            "approximate_number_of_messages_not_visible",
        )
    }

    def messages(queue: Any) -> list[Any]:
        now = unix_time_millis()
        return [
            message
            for message in queue._messages
            if now > message.visible_at and not now < message.delayed_until
        ]

    def delayed(queue: Any) -> int:
        now = unix_time_millis()
        return sum(1 for message in queue._messages if now < message.delayed_until)

    def not_visible(queue: Any) -> int:
        now = unix_time_millis()
        return sum(1 for message in queue._messages if not now > message.visible_at)

    Queue.messages = property(messages)  # type: ignore[method-assign,assignment,unused-ignore]
    Queue.approximate_number_of_messages_delayed = property(delayed)  # type: ignore[method-assign,assignment,unused-ignore]
    Queue.approximate_number_of_messages_not_visible = property(not_visible)  # type: ignore[method-assign,assignment,unused-ignore]

    def restore() -> None:
        for name, moto_property in moto_properties.items():
            setattr(Queue, name, moto_property)

    return restore
