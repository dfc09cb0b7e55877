"""A sheet's claims column says what its lines say."""

from __future__ import annotations

from chalicelib.booking.store.bookings import _held, _held_of_columns, sheet_columns
from hypothesis import given
from hypothesis import strategies as st

# A month of Kyiv minutes since the epoch (March 2027) and the lines of one owner in it.
MONTH = 28_000_000
lines = st.lists(
    st.builds(
        lambda n, kind, start, minutes, before, after, site: (
            f"id{n}|{kind}|{MONTH + start}|{minutes}|{before}|{after}|{site}||"
        ),
        st.integers(0, 10**6),
        st.sampled_from("bk"),
        st.integers(0, 44_640),
        st.integers(15, 8 * 60),
        st.integers(0, 120),
        st.integers(0, 120),
        st.sampled_from("01"),
    ),
    max_size=60,
).map(lambda found: sorted(found, key=lambda line: int(line.split("|")[2])))


@given(lines)
def test_the_column_holds_the_claims_and_bookings_of_the_lines(sheet):
    text = "\n".join(sheet)
    expected = _held(text)
    # when
    held = _held_of_columns(sheet_columns(sheet), text)
    # then
    assert held.claim_starts == expected.claim_starts
    assert held.claim_ends == expected.claim_ends
    assert held.booked == expected.booked
    assert held.busy == expected.busy


def test_claims_read_without_lines_refuse_to_make_up_rows():
    held = _held_of_columns(sheet_columns([f"a|b|{MONTH}|30|0|0|0||"]), None)
    assert held.claim_starts == [MONTH]
    try:
        held.busy  # noqa: B018 - the property is what is tested
    except AssertionError:
        return
    raise AssertionError("rows were made up without the lines")
