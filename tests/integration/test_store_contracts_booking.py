"""The booking service's stores and their in-memory fakes (tests/fakes/booking.py) hold to one
contract: every behaviour below runs on both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from chalicelib.booking.domain.bookings import Booking, CalendarEntry, Handover
from chalicelib.booking.domain.calendar import Busy, Resource, StaffMember, Zones, minute_of
from chalicelib.booking.domain.catalog import Offering
from chalicelib.booking.domain.policy import BookingPolicy
from chalicelib.booking.domain.pricing import Breakdown, CalculationRequest, Item, LineRequest, PriceBook
from chalicelib.booking.domain.quotes import Contact, Quote, WidgetSettings
from chalicelib.booking.domain.visits import Known
from chalicelib.booking.store.bookings import SHEETS
from chalicelib.booking.store.pricing import MERGE_BATCH
from store_contract import NOW, Subject, on_memory, on_moto

from lanka_platform.problems import Problem
from lanka_platform.storage import ConditionFailed
from tests.fakes import booking as fakes

ZONE = "Europe/Kyiv"
KYIV = ZoneInfo(ZONE)
STAMP_TAG = "directory-stamp"


def _kyiv(day: int, hour: int, minute: int = 0, *, month: int = 12) -> datetime:
    """A moment of December 2026 (or of `month` of 2027) on Kyiv's clock, in UTC."""
    year = 2026 if month == 12 else 2027
    return datetime(year, month, day, hour, minute, tzinfo=KYIV).astimezone(UTC)


def _collect(read: Callable[[str | None, int], tuple[list[Any], str | None]], limit: int) -> list[str]:
    """Every page of a paged read, the ids in order."""
    seen: list[str] = []
    cursor = None
    while True:
        items, cursor = read(cursor, limit)
        seen += [item.id for item in items]
        if cursor is None:
            return seen


# ------------------------------------------------------------------------------ the book


def _booking(booking_id: str, start: datetime, minutes: int = 60, **fields: Any) -> Booking:
    values: dict[str, Any] = {
        "id": booking_id,
        "services": ["measurement"],
        "service_names": ["Замір"],
        "starts_at": start,
        "ends_at": start + timedelta(minutes=minutes),
        "staff_id": "ivan",
        "staff_name": "Іван",
        "created_at": NOW,
    }
    values.update(fields)
    return Booking(**values)


def _block(block_id: str, start: datetime, minutes: int, owner: str = "ivan") -> Booking:
    return Booking(
        id=block_id,
        kind="block",
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        staff_id=owner,
        group=f"block:{block_id}",
        note="Ремонт авто",
        created_at=NOW,
    )


def _moved(booking: Booking, start: datetime, **fields: Any) -> Booking:
    return booking.model_copy(
        update={
            "starts_at": start,
            "ends_at": start + (booking.ends_at - booking.starts_at),
            "sequence": booking.sequence + 1,
            "version": booking.version + 1,
            **fields,
        }
    )


def _cancelled(booking: Booking) -> Booking:
    return booking.model_copy(
        update={"status": "cancelled", "sequence": booking.sequence + 1, "version": booking.version + 1}
    )


def _handover(booking_id: str, start: datetime) -> Handover:
    return Handover(
        booking_id=booking_id,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        services=["measurement"],
        title="Замір",
        staff_id="ivan",
        staff_name="Іван",
        successor_id=None,
        reason="Наступника не призначено.",
    )


DAY = (_kyiv(10, 0), _kyiv(11, 0))  # Thursday 10 December, Kyiv


class BookingBookContract:
    """`BookingBook`: bookings by id, their claims on the owners' 15-minute buckets, the
    owners' month sheets (what availability reads, with versions), calendar entries, the
    handover list and a client's bookings. A book is one request's: `next_request()` gives
    another request's book over the same table."""

    @pytest.fixture
    def directory(self) -> Subject[Any]:
        raise NotImplementedError

    @pytest.fixture
    def book(self, directory: Subject[Any]) -> Subject[Any]:
        raise NotImplementedError

    @pytest.fixture
    def next_request(self, book: Subject[Any]) -> Callable[[], Any]:
        raise NotImplementedError

    @staticmethod
    def _add(book: Subject[Any], next_request: Callable[[], Any], *bookings: Booking) -> None:
        """Each booking added by a request of its own."""
        for booking in bookings:
            book.commit(lambda unit, booking=booking: next_request().add(unit, booking))

    @staticmethod
    def _ids(
        next_request: Callable[[], Any], owner: str = "ivan", span: tuple[datetime, datetime] = DAY
    ) -> list[str | None]:
        """The ids of what `owner` holds over `span`, as another request reads them."""
        return [row.booking_id for row in next_request().busy([owner], *span)[owner].busy]

    def test_a_booking_reads_back_as_added(self, book):
        # given
        booking = _booking("b1", _kyiv(10, 10), client_id="c1", before_minutes=15, zone="centre")
        # when
        book.commit(lambda unit: book.store.add(unit, booking))
        # then
        assert book.store.get("b1") == booking
        assert book.store.get("nope") is None

    def test_an_id_added_twice_is_condition_failed_and_the_first_stays(self, book, next_request):
        # given
        self._add(book, next_request, _booking("b1", _kyiv(10, 10)))
        # when
        with pytest.raises(ConditionFailed) as failed:
            book.commit(lambda unit: next_request().add(unit, _booking("b1", _kyiv(10, 14))))
        # then
        assert failed.value.tag == ""
        assert next_request().get("b1").starts_at == _kyiv(10, 10)
        assert self._ids(next_request) == ["b1"]

    def test_a_booking_holds_its_time_with_buffers_for_each_owner(self, book, next_request):
        # given
        booking = _booking(
            "b1",
            _kyiv(10, 10),
            before_minutes=15,
            after_minutes=30,
            resource_ids=["van"],
            on_site=True,
            zone="centre",
        )
        # when
        book.commit(lambda unit: book.store.add(unit, booking))
        # then
        held = next_request().busy(["ivan", "van", "petro"], *DAY)
        start = minute_of(_kyiv(10, 10))
        row = Busy(start, start + 60, start - 15, start + 90, "booking", True, "centre", None, "b1")
        assert held["ivan"].busy == [row]
        assert held["van"].busy == [row]
        assert held["petro"].busy == []
        assert (held["ivan"].claim_starts, held["ivan"].claim_ends, held["ivan"].booked) == (
            [start - 15],
            [start + 90],
            [start],
        )

    def test_a_claim_on_held_time_is_a_409_time_taken_and_changes_nothing(self, book, next_request):
        # given b1 holds 10:00-11:15 (with its buffer after)
        self._add(book, next_request, _booking("b1", _kyiv(10, 10), after_minutes=15))
        # when b2 wants 11:00-11:30
        with pytest.raises(Problem) as taken:
            book.commit(lambda unit: next_request().add(unit, _booking("b2", _kyiv(10, 11), minutes=30)))
        # then
        assert (taken.value.status, taken.value.kind) == (409, "time-taken")
        assert next_request().get("b2") is None
        assert self._ids(next_request) == ["b1"]
        self._add(book, next_request, _booking("b3", _kyiv(10, 11, 15), minutes=30))  # 11:15 was not claimed
        assert self._ids(next_request) == ["b1", "b3"]

    def test_claims_that_only_touch_both_hold(self, book, next_request):
        # when
        self._add(book, next_request, _booking("b1", _kyiv(10, 10)), _booking("b2", _kyiv(10, 11)))
        # then
        assert self._ids(next_request) == ["b1", "b2"]

    def test_a_group_visit_shares_its_time_while_seats_remain(self, book, next_request):
        # given
        workshop = {"group": "workshop", "seats": 2}
        self._add(
            book,
            next_request,
            _booking("w1", _kyiv(10, 10), **workshop),
            _booking("w2", _kyiv(10, 10), **workshop),
        )
        # when
        with pytest.raises(Problem) as full:
            book.commit(lambda unit: next_request().add(unit, _booking("w3", _kyiv(10, 10), **workshop)))
        with pytest.raises(Problem) as other:
            book.commit(
                lambda unit: next_request().add(unit, _booking("o1", _kyiv(10, 10), group="other", seats=2))
            )
        # then
        assert (full.value.kind, other.value.kind) == ("time-taken", "time-taken")
        held = next_request().busy(["ivan"], *DAY)["ivan"].busy
        assert [(row.booking_id, row.group) for row in held] == [("w1", "workshop"), ("w2", "workshop")]

    def test_two_bookings_added_in_one_unit_are_both_on_the_sheet(self, book, next_request):
        # when
        def write(unit: Any) -> None:
            book.store.add(unit, _booking("b2", _kyiv(10, 14)))
            book.store.add(unit, _booking("b1", _kyiv(10, 10)))

        book.commit(write)
        # then
        assert self._ids(next_request) == ["b1", "b2"]

    def test_a_visit_too_long_to_claim_at_once_is_a_422(self, book, next_request):
        # given 12 hours of a specialist and a van: 96 buckets, beyond one transaction
        long = _booking("long", _kyiv(10, 8), minutes=12 * 60, resource_ids=["van"])
        # when
        with pytest.raises(Problem) as refused:
            next_request().add(book.new_unit(), long)
        # then
        assert refused.value.status == 422
        assert refused.value.errors[0]["field"] == "services"

    def test_a_move_releases_the_old_time_and_claims_the_new(self, book, next_request):
        # given
        booking = _booking("b1", _kyiv(10, 10))
        self._add(book, next_request, booking)
        moved = _moved(booking, _kyiv(10, 14))
        # when
        book.commit(lambda unit: next_request().move(unit, booking, moved))
        # then
        assert next_request().get("b1") == moved
        assert next_request().busy(["ivan"], *DAY)["ivan"].claim_starts == [minute_of(_kyiv(10, 14))]
        self._add(book, next_request, _booking("b2", _kyiv(10, 10)))
        with pytest.raises(Problem) as taken:
            book.commit(lambda unit: next_request().add(unit, _booking("b3", _kyiv(10, 14))))
        assert taken.value.kind == "time-taken"

    def test_a_move_to_another_owner_frees_the_first(self, book, next_request):
        # given
        booking = _booking("b1", _kyiv(10, 10))
        self._add(book, next_request, booking)
        # when
        moved = _moved(booking, _kyiv(10, 10), staff_id="petro", staff_name="Петро")
        book.commit(lambda unit: next_request().move(unit, booking, moved))
        # then
        assert self._ids(next_request, "ivan") == []
        assert self._ids(next_request, "petro") == ["b1"]
        assert next_request().entries("ivan", *DAY) == []
        assert [entry.booking_id for entry in next_request().entries("petro", *DAY)] == ["b1"]

    def test_a_move_over_its_own_time_keeps_the_shared_buckets_held(self, book, next_request):
        # given
        booking = _booking("b1", _kyiv(10, 10))
        self._add(book, next_request, booking)
        # when 10:00-11:00 becomes 10:30-11:30
        book.commit(lambda unit: next_request().move(unit, booking, _moved(booking, _kyiv(10, 10, 30))))
        # then
        self._add(book, next_request, _booking("b2", _kyiv(10, 10), minutes=30))
        with pytest.raises(Problem) as taken:
            book.commit(lambda unit: next_request().add(unit, _booking("b3", _kyiv(10, 11), minutes=15)))
        assert taken.value.kind == "time-taken"
        assert self._ids(next_request) == ["b2", "b1"]

    def test_a_move_of_a_changed_booking_is_a_409_and_changes_nothing(self, book, next_request):
        # given
        booking = _booking("b1", _kyiv(10, 10))
        self._add(book, next_request, booking)
        book.commit(lambda unit: next_request().move(unit, booking, _moved(booking, _kyiv(10, 14))))
        # when the first version is moved again
        with pytest.raises(Problem) as conflict:
            book.commit(lambda unit: next_request().move(unit, booking, _moved(booking, _kyiv(10, 16))))
        # then
        assert (conflict.value.status, conflict.value.kind) == (409, "conflict")
        assert next_request().get("b1").starts_at == _kyiv(10, 14)
        assert next_request().busy(["ivan"], *DAY)["ivan"].claim_starts == [minute_of(_kyiv(10, 14))]
        self._add(book, next_request, _booking("b2", _kyiv(10, 16)))

    def test_a_group_visit_sharing_its_time_cannot_move_over_it(self, book, next_request):
        # given
        workshop = {"group": "workshop", "seats": 2}
        first = _booking("w1", _kyiv(10, 10), **workshop)
        self._add(book, next_request, first, _booking("w2", _kyiv(10, 10), **workshop))
        # when
        with pytest.raises(Problem) as refused:
            book.commit(lambda unit: next_request().move(unit, first, _moved(first, _kyiv(10, 10, 30))))
        # then
        assert (refused.value.status, refused.value.kind) == (409, "time-taken")
        assert refused.value.detail == "Other visitors share this time; it cannot move."
        assert next_request().get("w1").starts_at == _kyiv(10, 10)

    def test_a_lone_group_visit_moved_over_its_time_is_joined_at_its_new_start(self, book, next_request):
        # given
        workshop = {"group": "workshop", "seats": 2}
        first = _booking("w1", _kyiv(10, 10), **workshop)
        self._add(book, next_request, first)
        # when
        book.commit(lambda unit: next_request().move(unit, first, _moved(first, _kyiv(10, 10, 30))))
        # then
        self._add(book, next_request, _booking("w2", _kyiv(10, 10, 30), **workshop))
        with pytest.raises(Problem) as full:
            book.commit(lambda unit: next_request().add(unit, _booking("w3", _kyiv(10, 10, 30), **workshop)))
        assert full.value.kind == "time-taken"

    def test_a_cancel_keeps_the_booking_cancelled_and_frees_its_time(self, book, next_request):
        # given
        booking = _booking("b1", _kyiv(10, 10))
        self._add(book, next_request, booking)
        # when
        book.commit(lambda unit: next_request().cancel(unit, booking, _cancelled(booking)))
        # then
        after = next_request().get("b1")
        assert (after.status, after.version) == ("cancelled", 2)
        assert self._ids(next_request) == []
        assert next_request().entries("ivan", *DAY) == []
        self._add(book, next_request, _booking("b2", _kyiv(10, 10)))

    def test_a_cancel_of_a_changed_booking_is_a_409_and_changes_nothing(self, book, next_request):
        # given
        booking = _booking("b1", _kyiv(10, 10))
        self._add(book, next_request, booking)
        book.commit(lambda unit: next_request().move(unit, booking, _moved(booking, _kyiv(10, 14))))
        # when
        with pytest.raises(Problem) as conflict:
            book.commit(lambda unit: next_request().cancel(unit, booking, _cancelled(booking)))
        # then
        assert (conflict.value.status, conflict.value.kind) == (409, "conflict")
        assert next_request().get("b1").status == "confirmed"
        assert self._ids(next_request) == ["b1"]

    def test_a_month_changed_since_this_request_read_it_is_a_409_calendar_changed(self, book, next_request):
        # given this request read Ivan's month, then another booked in it
        reader = next_request()
        reader.busy(["ivan"], *DAY)
        self._add(book, next_request, _booking("b1", _kyiv(10, 10)))
        # when
        with pytest.raises(Problem) as changed:
            book.commit(lambda unit: reader.add(unit, _booking("b2", _kyiv(10, 14))))
        # then
        assert (changed.value.status, changed.value.kind) == (409, "calendar-changed")
        assert next_request().get("b2") is None
        assert self._ids(next_request) == ["b1"]
        self._add(book, next_request, _booking("b3", _kyiv(10, 14)))  # b2 claimed nothing

    def test_with_the_sheet_retried_a_changed_month_is_condition_failed_sheet(self, book, next_request):
        # given
        reader = next_request()
        reader.busy(["ivan"], *DAY)
        self._add(book, next_request, _booking("b1", _kyiv(10, 10)))
        unit = book.new_unit()
        unit.retried = frozenset(SHEETS)
        reader.add(unit, _booking("b2", _kyiv(10, 14)))
        # when
        with pytest.raises(ConditionFailed) as failed:
            unit.commit()
        # then
        assert failed.value.tag == "sheet"
        assert next_request().get("b2") is None

    def test_a_request_sees_a_month_as_it_first_read_it(self, book, next_request):
        # given
        reader = next_request()
        first = reader.busy(["ivan"], *DAY)
        self._add(book, next_request, _booking("b1", _kyiv(10, 10)))
        # when
        again = reader.busy(["ivan"], *DAY)
        # then
        assert first["ivan"].busy == again["ivan"].busy == []
        assert self._ids(next_request) == ["b1"]

    def test_a_look_at_claims_only_reads_afresh_and_is_not_kept_for_a_write(self, book, next_request):
        # given
        reader = next_request()
        reader.busy(["ivan"], *DAY, rows=False)
        self._add(book, next_request, _booking("b1", _kyiv(10, 10)))
        # when
        seen = reader.busy(["ivan"], *DAY, rows=False)
        book.commit(lambda unit: reader.add(unit, _booking("b2", _kyiv(10, 14))))
        # then
        assert seen["ivan"].claim_starts == [minute_of(_kyiv(10, 10))]
        assert self._ids(next_request) == ["b1", "b2"]

    def test_a_look_at_claims_only_gives_the_claims_and_no_rows(self, book, next_request):
        # given
        self._add(book, next_request, _booking("b1", _kyiv(10, 10), before_minutes=15))
        # when
        held = next_request().busy(["ivan", "petro"], *DAY, rows=False)
        # then
        start = minute_of(_kyiv(10, 10))
        assert (held["ivan"].claim_starts, held["ivan"].claim_ends, held["ivan"].booked) == (
            [start - 15],
            [start + 60],
            [start],
        )
        assert held["petro"].busy == []  # nothing booked in his month yet
        with pytest.raises(AssertionError):
            _ = held["ivan"].busy

    def test_a_look_ignoring_a_booking_leaves_it_out(self, book, next_request):
        # given
        self._add(book, next_request, _booking("b1", _kyiv(10, 10)), _booking("b2", _kyiv(10, 14)))
        # when
        held = next_request().busy(["ivan"], *DAY, ignoring="b1")
        # then
        assert [row.booking_id for row in held["ivan"].busy] == ["b2"]

    def test_a_claim_across_the_turn_of_a_month_is_in_both_months_and_counted_once(self, book, next_request):
        # given 23:30 on 31 December to 00:30 on 1 January, Kyiv
        self._add(book, next_request, _booking("nye", _kyiv(31, 23, 30)))
        new_year = (_kyiv(1, 0, month=1), _kyiv(2, 0, month=1))
        # when
        both = next_request().busy(["ivan"], _kyiv(31, 0), new_year[1])
        # then
        assert [row.booking_id for row in both["ivan"].busy] == ["nye"]
        assert self._ids(next_request, span=(_kyiv(31, 0), new_year[0])) == ["nye"]
        assert self._ids(next_request, span=new_year) == ["nye"]
        assert [entry.booking_id for entry in next_request().entries("ivan", _kyiv(31, 0), new_year[1])] == [
            "nye"
        ]

    def test_a_calendar_shows_the_entries_overlapping_the_range_by_claim_start(self, book, next_request):
        # given
        early = _booking("early", _kyiv(10, 8))  # ends as the range starts
        first = _booking("first", _kyiv(10, 9, 30))
        block = _block("repair", _kyiv(10, 11), 30)
        second = _booking("second", _kyiv(10, 12), before_minutes=30)
        late = _booking("late", _kyiv(10, 13))  # starts as the range ends
        petros = _booking("petros", _kyiv(10, 11), staff_id="petro")
        self._add(book, next_request, late, second, early, block, first, petros)
        # when
        entries = next_request().entries("ivan", _kyiv(10, 9), _kyiv(10, 13))
        # then
        assert entries == [CalendarEntry.of(first), CalendarEntry.of(block), CalendarEntry.of(second)]
        assert entries[1].title == "Ремонт авто"

    def test_an_update_keeps_the_time_and_shows_the_change_in_the_calendar(self, book, next_request):
        # given
        booking = _booking("b1", _kyiv(10, 10))
        self._add(book, next_request, booking)
        after = booking.model_copy(update={"client_id": "c1", "version": 2})
        # when
        book.commit(lambda unit: next_request().update(unit, booking, after))
        # then
        assert next_request().get("b1") == after
        assert [entry.client_id for entry in next_request().entries("ivan", *DAY)] == ["c1"]
        assert next_request().of_client("c1") == [after]
        assert self._ids(next_request) == ["b1"]

    def test_an_update_of_a_changed_booking_is_a_409_and_changes_nothing(self, book, next_request):
        # given
        booking = _booking("b1", _kyiv(10, 10))
        self._add(book, next_request, booking)
        book.commit(
            lambda unit: next_request().update(unit, booking, booking.model_copy(update={"version": 2}))
        )
        # when
        with pytest.raises(Problem) as conflict:
            book.commit(
                lambda unit: next_request().update(
                    unit, booking, booking.model_copy(update={"client_id": "late", "version": 2})
                )
            )
        # then
        assert (conflict.value.status, conflict.value.kind) == (409, "conflict")
        assert next_request().get("b1").client_id is None

    def test_an_update_of_a_cancelled_booking_puts_it_in_no_calendar(self, book, next_request):
        # given
        booking = _booking("b1", _kyiv(10, 10))
        self._add(book, next_request, booking)
        cancelled = _cancelled(booking)
        book.commit(lambda unit: next_request().cancel(unit, booking, cancelled))
        after = cancelled.model_copy(update={"client_id": "c1", "version": 3})
        # when
        book.commit(lambda unit: next_request().update(unit, cancelled, after))
        # then
        assert next_request().get("b1") == after
        assert next_request().entries("ivan", *DAY) == []

    def test_an_owners_future_bookings_are_those_from_now_on_blocks_aside(self, book, next_request):
        # given (now is 10:00 on 9 December in Kyiv)
        self._add(
            book,
            next_request,
            _booking("january", _kyiv(5, 12, month=1)),
            _booking("later", _kyiv(20, 12)),
            _booking("at-now", _kyiv(9, 10)),
            _booking("earlier-today", _kyiv(9, 8)),
            _block("block", _kyiv(15, 12), 60),
            _booking("petros", _kyiv(12, 12), staff_id="petro"),
        )
        # when
        future = next_request().future_of("ivan", NOW)
        # then
        assert future == ["at-now", "later", "january"]

    def test_flagged_bookings_are_listed_soonest_first_and_once(self, book):
        # given
        soon, late = _handover("soon", _kyiv(10, 10)), _handover("late", _kyiv(11, 10))
        # when
        for handover in (late, soon, soon):
            book.commit(lambda unit, handover=handover: book.store.flag(unit, handover))
        # then
        assert book.store.handovers() == [soon, late]
        assert book.store.handovers(limit=1) == [soon]

    def test_moving_or_cancelling_a_flagged_booking_takes_it_off_the_list(self, book, next_request):
        # given
        moving, cancelling = _booking("moving", _kyiv(10, 10)), _booking("cancelling", _kyiv(10, 14))
        self._add(book, next_request, moving, cancelling)
        for booking in (moving, cancelling):
            book.commit(
                lambda unit, booking=booking: book.store.flag(unit, _handover(booking.id, booking.starts_at))
            )
        # when
        book.commit(lambda unit: next_request().move(unit, moving, _moved(moving, _kyiv(10, 16))))
        book.commit(lambda unit: next_request().cancel(unit, cancelling, _cancelled(cancelling)))
        # then
        assert next_request().handovers() == []

    def test_a_clients_bookings_come_latest_start_first_cancelled_ones_too(self, book, next_request):
        # given
        first, second, third = (
            _booking("first", _kyiv(10, 10), client_id="c1"),
            _booking("second", _kyiv(11, 10), client_id="c1"),
            _booking("third", _kyiv(12, 10), client_id="c1"),
        )
        self._add(book, next_request, second, third, first, _booking("other", _kyiv(13, 10), client_id="c2"))
        book.commit(lambda unit: next_request().cancel(unit, third, _cancelled(third)))
        # when
        theirs = next_request().of_client("c1")
        # then
        assert [(booking.id, booking.status) for booking in theirs] == [
            ("third", "cancelled"),
            ("second", "confirmed"),
            ("first", "confirmed"),
        ]
        assert [booking.id for booking in next_request().of_client("c1", limit=2)] == ["third", "second"]
        assert next_request().of_client("nobody") == []

    def test_a_check_of_claims_reads_the_directorys_stamp_with_them(self, book, directory, next_request):
        # given
        self._add(book, next_request, _booking("b1", _kyiv(10, 10)))
        claims, before = next_request().claims_checked(["ivan"], *DAY, directory.store.stamp_key)
        # when
        directory.commit(lambda unit: directory.store.save_zones(unit, Zones(zones=["centre"], version=1)))
        _, after = next_request().claims_checked(["ivan"], *DAY, directory.store.stamp_key)
        # then
        assert claims["ivan"].claim_starts == [minute_of(_kyiv(10, 10))]
        assert before is None
        assert after["data"] == {"S": directory.store.stamp()}

    def test_a_check_of_claims_across_two_months_is_none(self, book, directory, next_request):
        # when
        checked = next_request().claims_checked(
            ["ivan"], _kyiv(31, 0), _kyiv(2, 0, month=1), directory.store.stamp_key
        )
        # then
        assert checked is None


class TestBookingBookInMemory(BookingBookContract):
    @pytest.fixture
    def directory(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryDirectory())

    @pytest.fixture
    def book(self, directory: Subject[Any]) -> Subject[Any]:
        return on_memory(fakes.InMemoryBookingBook(ZONE, directory=directory.store))

    @pytest.fixture
    def next_request(self, book: Subject[Any]) -> Callable[[], Any]:
        return lambda: fakes.InMemoryBookingBook(ZONE, book.store.calendars, book.store.directory)


class TestBookingBookOnMoto(BookingBookContract):
    @pytest.fixture
    def directory(self, world: Any) -> Subject[Any]:
        from chalicelib.booking.store import Directory

        return on_moto(world, "booking", Directory)

    @pytest.fixture
    def book(self, world: Any) -> Subject[Any]:
        from chalicelib.booking.store import BookingBook

        return on_moto(world, "booking", lambda table: BookingBook(table, ZONE))

    @pytest.fixture
    def next_request(self, world: Any) -> Callable[[], Any]:
        from chalicelib.booking.store import BookingBook

        table = world.services["booking"].store
        return lambda: BookingBook(table, ZONE)


# ------------------------------------------------------------------------------ the directory


def _member(staff_id: str, version: int = 1, **fields: Any) -> StaffMember:
    values: dict[str, Any] = {"name": staff_id.capitalize(), "skills": ["measure"]}
    values.update(fields)
    return StaffMember(id=staff_id, version=version, **values)


def _resource(resource_id: str, version: int = 1, **fields: Any) -> Resource:
    values: dict[str, Any] = {"name": resource_id.capitalize(), "kind": "vehicle"}
    values.update(fields)
    return Resource(id=resource_id, version=version, **values)


def _offering(key: str, **fields: Any) -> Offering:
    values: dict[str, Any] = {"key": key, "id": key, "name": f"Послуга {key}", "duration_minutes": 60}
    values.update(fields)
    return Offering(created_at=NOW, **values)


class DirectoryContract:
    """`Directory`: staff and resources by id, the zones and the policy, each saved by
    version; the stamp of the last change (one per unit of work); what a process remembers."""

    @pytest.fixture
    def directory(self) -> Subject[Any]:
        raise NotImplementedError

    def test_there_is_no_stamp_before_the_first_change_and_each_change_stamps_anew(self, directory):
        # given
        before = directory.store.stamp()
        # when
        directory.commit(lambda unit: directory.store.save_member(unit, _member("ivan"), new=True))
        first = directory.store.stamp()
        directory.commit(lambda unit: directory.store.save_resource(unit, _resource("van"), new=True))
        second = directory.store.stamp()
        # then
        assert before is None
        assert first is not None
        assert second not in (None, first)

    def test_many_changes_in_one_unit_write_one_stamp(self, directory):
        # given
        marked: list[bool] = []

        def write(unit: Any) -> None:
            directory.store.save_member(unit, _member("ivan"), new=True)
            directory.store.save_resource(unit, _resource("van"), new=True)
            directory.store.save_zones(unit, Zones(zones=["centre"], version=1))
            marked.append(unit.has(STAMP_TAG))

        # when
        directory.commit(write)
        # then
        assert marked == [True]
        assert directory.store.stamp() is not None
        assert (directory.store.member("ivan").name, directory.store.resource("van").name) == ("Ivan", "Van")
        assert directory.store.zones().zones == ["centre"]

    def test_staff_read_back_by_id_and_all_in_id_order(self, directory):
        # given
        def write(unit: Any) -> None:
            directory.store.save_member(unit, _member("petro", home_zone="left"), new=True)
            directory.store.save_member(unit, _member("ivan", user_id="user-ivan"), new=True)

        # when
        directory.commit(write)
        # then
        assert [member.id for member in directory.store.staff()] == ["ivan", "petro"]
        assert directory.store.member("ivan") == _member("ivan", user_id="user-ivan")
        assert directory.store.member("nobody") is None

    def test_a_new_member_with_a_taken_id_is_a_409_and_changes_nothing(self, directory):
        # given
        directory.commit(lambda unit: directory.store.save_member(unit, _member("ivan"), new=True))
        stamp = directory.store.stamp()
        # when
        with pytest.raises(Problem) as conflict:
            directory.commit(
                lambda unit: directory.store.save_member(unit, _member("ivan", name="Другий"), new=True)
            )
        # then
        assert conflict.value.status == 409
        assert directory.store.member("ivan").name == "Ivan"
        assert directory.store.stamp() == stamp

    def test_a_change_at_the_next_version_is_kept_and_a_stale_one_is_a_409(self, directory):
        # given
        directory.commit(lambda unit: directory.store.save_member(unit, _member("ivan"), new=True))
        # when
        directory.commit(
            lambda unit: directory.store.save_member(unit, _member("ivan", 2, active=False), new=False)
        )
        with pytest.raises(Problem) as conflict:
            directory.commit(
                lambda unit: directory.store.save_member(unit, _member("ivan", 2, name="Пізно"), new=False)
            )
        # then
        after = directory.store.member("ivan")
        assert (after.version, after.active, after.name) == (2, False, "Ivan")
        assert conflict.value.status == 409

    def test_a_change_of_a_member_never_saved_is_a_409(self, directory):
        # when
        with pytest.raises(Problem) as conflict:
            directory.commit(lambda unit: directory.store.save_member(unit, _member("ghost", 2), new=False))
        # then
        assert conflict.value.status == 409
        assert directory.store.member("ghost") is None
        assert directory.store.stamp() is None

    def test_resources_read_back_in_id_order_and_are_saved_by_version(self, directory):
        # given
        def write(unit: Any) -> None:
            directory.store.save_resource(unit, _resource("van"), new=True)
            directory.store.save_resource(unit, _resource("room"), new=True)

        directory.commit(write)
        # when
        directory.commit(
            lambda unit: directory.store.save_resource(unit, _resource("van", 2, kind="car"), new=False)
        )
        with pytest.raises(Problem) as conflict:
            directory.commit(lambda unit: directory.store.save_resource(unit, _resource("van", 2), new=False))
        # then
        assert [resource.id for resource in directory.store.resources()] == ["room", "van"]
        assert (directory.store.resource("van").version, directory.store.resource("van").kind) == (2, "car")
        assert directory.store.resource("nothing") is None
        assert conflict.value.status == 409

    def test_the_zones_and_the_policy_are_the_defaults_until_saved(self, directory):
        # then
        assert directory.store.zones() == Zones()
        assert directory.store.policy() == BookingPolicy()

    def test_the_zones_are_saved_by_version(self, directory):
        # given
        first = Zones(zones=["centre", "left"], version=1)
        directory.commit(lambda unit: directory.store.save_zones(unit, first))
        # when
        with pytest.raises(Problem) as conflict:
            directory.commit(lambda unit: directory.store.save_zones(unit, Zones(zones=["right"], version=1)))
        directory.commit(
            lambda unit: directory.store.save_zones(
                unit, Zones(zones=["centre"], default_travel_minutes=30, version=2)
            )
        )
        # then
        assert conflict.value.status == 409
        assert directory.store.zones() == Zones(zones=["centre"], default_travel_minutes=30, version=2)

    def test_the_policy_is_saved_by_version(self, directory):
        # given
        directory.commit(
            lambda unit: directory.store.save_policy(unit, BookingPolicy(company_name="Ланка", version=1))
        )
        # when
        with pytest.raises(Problem) as conflict:
            directory.commit(
                lambda unit: directory.store.save_policy(
                    unit, BookingPolicy(change_window_hours=1, version=3)
                )
            )
        # then
        assert conflict.value.status == 409
        assert directory.store.policy() == BookingPolicy(company_name="Ланка", version=1)

    def test_what_was_remembered_after_a_stamp_is_known(self, directory):
        # given
        offerings, staff = [_offering("measurement")], [_member("ivan")]
        directory.store.remember(None, offerings, staff)
        unknown = directory.store.known()
        # when
        directory.store.remember("stamp-1", offerings, staff)
        # then
        assert unknown is None
        assert directory.store.known() == Known("stamp-1", tuple(offerings), tuple(staff))


class TestDirectoryInMemory(DirectoryContract):
    @pytest.fixture
    def directory(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryDirectory())


class TestDirectoryOnMoto(DirectoryContract):
    @pytest.fixture
    def directory(self, world: Any, monkeypatch: pytest.MonkeyPatch) -> Subject[Any]:
        from chalicelib.booking.store import Directory
        from chalicelib.booking.store import directory as directory_module

        # What a warm process remembers outlives a test: each test starts cold.
        monkeypatch.setattr(directory_module, "_known", {})
        return on_moto(world, "booking", Directory)


# ------------------------------------------------------------------------------ the catalog


class OfferingCatalogContract:
    """`OfferingCatalog`: offerings by key, all of them in key order or by pages; every change
    stamps the directory."""

    @pytest.fixture
    def directory(self) -> Subject[Any]:
        raise NotImplementedError

    @pytest.fixture
    def catalog(self, directory: Subject[Any]) -> Subject[Any]:
        raise NotImplementedError

    def test_an_offering_reads_back_by_key_and_all_come_in_key_order(self, catalog):
        # given
        measurement = _offering("measurement", at_client_address=True, required_skills=["measure"])

        def write(unit: Any) -> None:
            catalog.store.add(unit, measurement)
            catalog.store.add(unit, _offering("consultation"))

        # when
        catalog.commit(write)
        # then
        assert catalog.store.get("measurement") == measurement
        assert catalog.store.get("nothing") is None
        assert [offering.key for offering in catalog.store.all()] == ["consultation", "measurement"]

    def test_an_offering_added_twice_is_a_409_and_the_first_stays(self, catalog):
        # given
        catalog.commit(lambda unit: catalog.store.add(unit, _offering("measurement")))
        # when
        with pytest.raises(Problem) as conflict:
            catalog.commit(lambda unit: catalog.store.add(unit, _offering("measurement", name="Інше")))
        # then
        assert conflict.value.status == 409
        assert catalog.store.get("measurement").name == "Послуга measurement"

    def test_a_replace_changes_the_offering(self, catalog):
        # given
        catalog.commit(lambda unit: catalog.store.add(unit, _offering("measurement")))
        # when
        catalog.commit(
            lambda unit: catalog.store.replace(unit, _offering("measurement", duration_minutes=90))
        )
        # then
        assert catalog.store.get("measurement").duration_minutes == 90

    def test_a_replace_of_an_unknown_offering_is_a_404_and_adds_nothing(self, catalog):
        # when
        with pytest.raises(Problem) as missing:
            catalog.commit(lambda unit: catalog.store.replace(unit, _offering("measurement")))
        # then
        assert missing.value.status == 404
        assert catalog.store.get("measurement") is None
        assert catalog.store.all() == []

    def test_pages_of_the_catalog_hold_each_offering_once_in_key_order(self, catalog):
        # given
        def write(unit: Any) -> None:
            for number in (4, 1, 6, 0, 3, 5, 2):
                catalog.store.add(unit, _offering(f"service-{number}"))

        catalog.commit(write)

        def read(cursor: str | None, limit: int) -> tuple[list[Any], str | None]:
            found = catalog.store.page(limit, cursor)
            return found.items, found.next_cursor

        # when
        seen = _collect(read, 3)
        # then
        assert seen == [f"service-{number}" for number in range(7)]

    def test_each_change_of_the_catalog_stamps_the_directory_anew(self, catalog, directory):
        # given
        before = directory.store.stamp()
        # when
        catalog.commit(lambda unit: catalog.store.add(unit, _offering("measurement")))
        added = directory.store.stamp()
        catalog.commit(
            lambda unit: catalog.store.replace(unit, _offering("measurement", duration_minutes=30))
        )
        replaced = directory.store.stamp()
        # then
        assert before is None
        assert added is not None
        assert replaced not in (None, added)

    def test_a_catalog_and_a_directory_change_in_one_unit_write_one_stamp(self, catalog, directory):
        # given
        marked: list[bool] = []

        def write(unit: Any) -> None:
            catalog.store.add(unit, _offering("measurement"))
            marked.append(unit.has(STAMP_TAG))
            directory.store.save_member(unit, _member("ivan"), new=True)

        # when
        catalog.commit(write)
        # then
        assert marked == [True]
        assert directory.store.member("ivan") is not None
        assert catalog.store.get("measurement") is not None


class TestOfferingCatalogInMemory(OfferingCatalogContract):
    @pytest.fixture
    def directory(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryDirectory())

    @pytest.fixture
    def catalog(self, directory: Subject[Any]) -> Subject[Any]:
        return on_memory(fakes.InMemoryOfferingCatalog(directory.store))


class TestOfferingCatalogOnMoto(OfferingCatalogContract):
    @pytest.fixture
    def directory(self, world: Any) -> Subject[Any]:
        from chalicelib.booking.store import Directory

        return on_moto(world, "booking", Directory)

    @pytest.fixture
    def catalog(self, world: Any) -> Subject[Any]:
        from chalicelib.booking.store import OfferingCatalog

        return on_moto(world, "booking", OfferingCatalog)


# ------------------------------------------------------------------------------ price books


def _price_book(version: int, unit_price: int = 100_000) -> PriceBook:
    return PriceBook(
        items=[Item(key="wardrobe", name="Шафа", name_en="Wardrobe", unit="m2", unit_price=unit_price)],
        version=version,
        saved_at=NOW,
        saved_by="admin",
    )


class PriceBooksContract:
    """`PriceBooks`: each save a new version, kept; the current one is the latest, saved
    only over the version the editor read."""

    @pytest.fixture
    def books(self) -> Subject[Any]:
        raise NotImplementedError

    def test_there_is_no_price_book_before_the_first_save(self, books):
        # then
        assert books.store.current() is None
        assert books.store.version(1) is None

    def test_each_save_is_a_new_version_and_the_current_is_the_latest(self, books):
        # when
        for version in (1, 2, 3):
            books.commit(
                lambda unit, version=version: books.store.save(unit, _price_book(version, version * 1000))
            )
        # then
        assert books.store.current() == _price_book(3, 3000)
        assert [books.store.version(version).items[0].unit_price for version in (1, 2, 3)] == [
            1000,
            2000,
            3000,
        ]
        assert books.store.version(4) is None

    def test_a_first_save_over_an_existing_book_is_a_409_and_changes_nothing(self, books):
        # given
        books.commit(lambda unit: books.store.save(unit, _price_book(1, 1000)))
        # when
        with pytest.raises(Problem) as conflict:
            books.commit(lambda unit: books.store.save(unit, _price_book(1, 9999)))
        # then
        assert (conflict.value.status, conflict.value.extra) == (409, {"current_version": 0})
        assert books.store.current() == _price_book(1, 1000)
        assert books.store.version(1) == _price_book(1, 1000)

    def test_a_save_over_a_stale_version_is_a_409_and_changes_nothing(self, books):
        # given
        books.commit(lambda unit: books.store.save(unit, _price_book(1, 1000)))
        books.commit(lambda unit: books.store.save(unit, _price_book(2, 2000)))
        # when another editor saves what they made of version 1
        with pytest.raises(Problem) as conflict:
            books.commit(lambda unit: books.store.save(unit, _price_book(2, 9999)))
        # then
        assert (conflict.value.status, conflict.value.extra) == (409, {"current_version": 1})
        assert books.store.current() == _price_book(2, 2000)
        assert books.store.version(2) == _price_book(2, 2000)

    def test_a_save_skipping_a_version_is_a_409(self, books):
        # given
        books.commit(lambda unit: books.store.save(unit, _price_book(1)))
        # when
        with pytest.raises(Problem) as conflict:
            books.commit(lambda unit: books.store.save(unit, _price_book(3)))
        # then
        assert conflict.value.status == 409
        assert books.store.current().version == 1
        assert books.store.version(3) is None


class TestPriceBooksInMemory(PriceBooksContract):
    @pytest.fixture
    def books(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryPriceBooks())


class TestPriceBooksOnMoto(PriceBooksContract):
    @pytest.fixture
    def books(self, world: Any) -> Subject[Any]:
        from chalicelib.booking.store.pricing import PriceBooks

        return on_moto(world, "booking", PriceBooks)


# ------------------------------------------------------------------------------ quotes


def _quote(quote_id: str, created_at: datetime = NOW, **fields: Any) -> Quote:
    breakdown = Breakdown(
        price_book_version=1, currency="UAH", lines=[], items_total=120_000, discounts=[],
        minimum_order_surcharge=0, fees=[], net=120_000, vat_mode="none", vat_percent=0, vat=0, rounding=0,
        total=120_000,
    )  # fmt: skip
    values: dict[str, Any] = {
        "id": quote_id,
        "status": "open",
        "subject": "Шафа-купе 2400×600 мм",
        "request": CalculationRequest(lines=[LineRequest(item="wardrobe", inputs={"width": 2400})]),
        "breakdown": breakdown,
        "price_book_version": 1,
        "total": 120_000,
        "currency": "UAH",
        "valid_until": created_at + timedelta(days=14),
        "created_at": created_at,
    }
    values.update(fields)
    return Quote(**values)


CONTACT = Contact(name="Олена Петренко", phone="067 123 45 67", email="olena@example.com")


class QuotesContract:
    """`Quotes`: quotes by id with a revision and the contact details kept until the client is
    known; a client's and a deal's quotes newest first; the contacts of quotes never linked
    dropped once old; a merged client's quotes re-pointed."""

    @pytest.fixture
    def quotes(self) -> Subject[Any]:
        raise NotImplementedError

    def _link(
        self, quotes: Subject[Any], quote_id: str, *, keep_contact: bool = False, **owners: str
    ) -> None:
        stored = quotes.store.get(quote_id)
        linked = stored.quote.model_copy(update=owners)
        contact = stored.contact if keep_contact else None
        quotes.commit(lambda unit: quotes.store.replace(unit, stored, linked, contact))

    def test_a_quote_reads_back_with_its_contact_at_revision_one(self, quotes):
        # given
        quote = _quote("q1")
        # when
        quotes.commit(lambda unit: quotes.store.add(unit, quote, CONTACT))
        # then
        stored = quotes.store.get("q1")
        assert (stored.quote, stored.contact, stored.revision) == (quote, CONTACT, 1)
        assert quotes.store.get("nothing") is None

    def test_a_quote_added_twice_is_condition_failed_and_the_first_stays(self, quotes):
        # given
        quotes.commit(lambda unit: quotes.store.add(unit, _quote("q1"), CONTACT))
        # when
        with pytest.raises(ConditionFailed) as failed:
            quotes.commit(lambda unit: quotes.store.add(unit, _quote("q1", total=1), CONTACT))
        # then
        assert failed.value.tag == ""
        assert quotes.store.get("q1").quote.total == 120_000

    def test_a_replace_with_the_revision_read_bumps_it_and_a_stale_one_is_a_409(self, quotes):
        # given
        quotes.commit(lambda unit: quotes.store.add(unit, _quote("q1"), CONTACT))
        read = quotes.store.get("q1")
        # when
        quotes.commit(
            lambda unit: quotes.store.replace(unit, read, read.quote.model_copy(update={"total": 1}), CONTACT)
        )
        with pytest.raises(Problem) as conflict:
            quotes.commit(
                lambda unit: quotes.store.replace(
                    unit, read, read.quote.model_copy(update={"total": 2}), CONTACT
                )
            )
        # then
        after = quotes.store.get("q1")
        assert (after.quote.total, after.revision, after.contact) == (1, 2, CONTACT)
        assert conflict.value.status == 409

    def test_a_quote_linked_to_a_client_and_a_deal_is_listed_under_both(self, quotes):
        # given
        quotes.commit(lambda unit: quotes.store.add(unit, _quote("q1"), CONTACT))
        # when
        self._link(quotes, "q1", client_id="c1")
        self._link(quotes, "q1", deal_id="d1")
        # then
        stored = quotes.store.get("q1")
        assert (stored.quote.client_id, stored.quote.deal_id, stored.contact, stored.revision) == (
            "c1",
            "d1",
            None,
            3,
        )
        assert [quote.id for quote in quotes.store.page_of("CLIENT", "c1", 10, None)[0]] == ["q1"]
        assert [quote.id for quote in quotes.store.page_of("DEAL", "d1", 10, None)[0]] == ["q1"]
        assert quotes.store.page_of("CLIENT", "c2", 10, None) == ([], None)

    def test_pages_of_a_clients_quotes_hold_each_once_newest_first(self, quotes):
        # given
        def write(unit: Any) -> None:
            for number in (3, 0, 6, 1, 5, 2, 4):
                quotes.store.add(unit, _quote(f"q{number}", NOW + timedelta(minutes=number)), CONTACT)

        quotes.commit(write)
        for number in range(7):
            self._link(quotes, f"q{number}", client_id="c1", keep_contact=True)
        # when
        seen = _collect(lambda cursor, limit: quotes.store.page_of("CLIENT", "c1", limit, cursor), 3)
        # then
        assert seen == [f"q{number}" for number in reversed(range(7))]

    def test_the_oldest_contacts_made_before_the_cutoff_are_forgotten_a_batch_at_a_time(self, quotes):
        # given quotes made 40, 35, 32 and 1 days ago, none linked
        ages = {"q40": 40, "q35": 35, "q32": 32, "q1": 1}

        def write(unit: Any) -> None:
            for quote_id, days in ages.items():
                quotes.store.add(unit, _quote(quote_id, NOW - timedelta(days=days)), CONTACT)

        quotes.commit(write)
        cutoff = NOW - timedelta(days=30)
        counts: list[int] = []
        # when
        for _ in range(3):
            unit = quotes.new_unit()
            counts.append(quotes.store.forget_contacts(unit, cutoff, limit=2))
            unit.commit()
        # then
        assert counts == [2, 1, 0]
        forgotten = {quote_id: quotes.store.get(quote_id) for quote_id in ages}
        assert {quote_id: (s.contact is None, s.revision) for quote_id, s in forgotten.items()} == {
            "q40": (True, 2),
            "q35": (True, 2),
            "q32": (True, 2),
            "q1": (False, 1),
        }

    def test_a_quote_made_at_the_cutoff_keeps_its_contact(self, quotes):
        # given
        cutoff = NOW - timedelta(days=30)
        quotes.commit(lambda unit: quotes.store.add(unit, _quote("q1", cutoff), CONTACT))
        unit = quotes.new_unit()
        # when
        count = quotes.store.forget_contacts(unit, cutoff)
        unit.commit()
        # then
        assert count == 0
        assert quotes.store.get("q1").contact == CONTACT

    def test_a_quote_whose_client_is_known_is_not_forgotten_again(self, quotes):
        # given
        quotes.commit(lambda unit: quotes.store.add(unit, _quote("q1", NOW - timedelta(days=40)), CONTACT))
        self._link(quotes, "q1", client_id="c1")
        unit = quotes.new_unit()
        # when
        count = quotes.store.forget_contacts(unit, NOW - timedelta(days=30))
        unit.commit()
        # then
        assert count == 0
        assert quotes.store.get("q1").revision == 2

    def test_a_merged_clients_quotes_move_to_the_survivor(self, quotes):
        # given
        def write(unit: Any) -> None:
            quotes.store.add(unit, _quote("q1"), CONTACT)
            quotes.store.add(unit, _quote("q2", NOW + timedelta(minutes=1)), CONTACT)

        quotes.commit(write)
        self._link(quotes, "q1", client_id="merged")
        self._link(quotes, "q2", client_id="merged", deal_id="d1", keep_contact=True)
        unit = quotes.new_unit()
        # when
        moved = quotes.store.repoint_client(unit, "merged", "survivor")
        unit.commit()
        # then
        assert moved == 2
        assert [quote.id for quote in quotes.store.page_of("CLIENT", "survivor", 10, None)[0]] == ["q2", "q1"]
        assert quotes.store.page_of("CLIENT", "merged", 10, None) == ([], None)
        q2 = quotes.store.get("q2")
        assert (q2.quote.client_id, q2.quote.deal_id, q2.contact, q2.revision) == (
            "survivor",
            "d1",
            CONTACT,
            3,
        )
        assert [quote.client_id for quote in quotes.store.page_of("DEAL", "d1", 10, None)[0]] == ["survivor"]

    def test_a_merge_moves_at_most_a_batch_of_quotes_at_once(self, quotes):
        # given one more of the merged client's quotes than a batch
        count = MERGE_BATCH + 1
        ids = [f"q{number:02d}" for number in range(count)]

        def write(unit: Any) -> None:
            for number, quote_id in enumerate(ids):
                quotes.store.add(unit, _quote(quote_id, NOW + timedelta(minutes=number)), CONTACT)

        def link(unit: Any) -> None:
            for quote_id in ids:
                stored = quotes.store.get(quote_id)
                quotes.store.replace(
                    unit, stored, stored.quote.model_copy(update={"client_id": "merged"}), CONTACT
                )

        quotes.commit(write)
        quotes.commit(link)
        moved: list[int] = []
        # when
        for _ in range(3):
            unit = quotes.new_unit()
            moved.append(quotes.store.repoint_client(unit, "merged", "survivor"))
            unit.commit()
        # then
        assert moved == [MERGE_BATCH, count - MERGE_BATCH, 0]
        assert (
            sorted(
                _collect(lambda cursor, limit: quotes.store.page_of("CLIENT", "survivor", limit, cursor), 20)
            )
            == ids
        )


class TestQuotesInMemory(QuotesContract):
    @pytest.fixture
    def quotes(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryQuotes())


class TestQuotesOnMoto(QuotesContract):
    @pytest.fixture
    def quotes(self, world: Any) -> Subject[Any]:
        from chalicelib.booking.store.pricing import Quotes

        return on_moto(world, "booking", Quotes)


# ------------------------------------------------------------------------------ widget settings


class WidgetSettingsContract:
    """`WidgetSettingsStore`: one document, the defaults until it is saved."""

    @pytest.fixture
    def settings(self) -> Subject[Any]:
        raise NotImplementedError

    def test_the_settings_are_the_defaults_until_saved(self, settings):
        # then
        assert settings.store.get() == WidgetSettings()

    def test_a_save_replaces_what_was_saved_before(self, settings):
        # given
        first = WidgetSettings(allowed_origins=["https://mebli.example.com"], quote_valid_days=7)
        settings.commit(lambda unit: settings.store.save(unit, first))
        saved = settings.store.get()
        # when
        settings.commit(lambda unit: settings.store.save(unit, WidgetSettings(quote_valid_days=30)))
        # then
        assert saved == first
        assert settings.store.get() == WidgetSettings(quote_valid_days=30)


class TestWidgetSettingsInMemory(WidgetSettingsContract):
    @pytest.fixture
    def settings(self) -> Subject[Any]:
        return on_memory(fakes.InMemoryWidgetSettings())


class TestWidgetSettingsOnMoto(WidgetSettingsContract):
    @pytest.fixture
    def settings(self, world: Any) -> Subject[Any]:
        from chalicelib.booking.store.pricing import WidgetSettingsStore

        return on_moto(world, "booking", WidgetSettingsStore)
