"""What a board card carries for the staff app: its deal's version (a move from the board
sends the version the user saw) and its source channel (the board's source filter)."""

from __future__ import annotations

DEALS = "/api/deals"


def opened_deal(world, **fields):
    client = world.http.post(
        "/api/clients/clients", json={"name": "Олена"}, headers=world.headers("olena", "manager")
    ).get_json()
    world.router.deliver_all()
    response = world.http.post(
        f"{DEALS}/deals",
        json={"client_id": client["id"], "title": "Кухня", **fields},
        headers=world.headers("olena", "manager"),
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def column(world, stage):
    board = world.http.get(f"{DEALS}/pipelines/furniture/board", headers=world.headers("boss", "head"))
    assert board.status_code == 200, board.get_json()
    return next(item for item in board.get_json()["columns"] if item["stage"] == stage)


def test_a_board_card_carries_its_deals_source_and_version(world):
    # when
    opened = opened_deal(world, source_channel="telegram")
    # then
    (card,) = column(world, "new")["cards"]
    assert (card["id"], card["source_channel"], card["version"]) == (opened["id"], "telegram", 1)


def test_the_version_on_a_moved_card_is_the_one_a_next_move_needs(world):
    # given
    opened = opened_deal(world)
    world.http.post(
        f"{DEALS}/deals/{opened['id']}/move",
        json={"to_stage": "contacted", "version": 1},
        headers=world.headers("olena", "manager"),
    )
    (card,) = column(world, "contacted")["cards"]
    # when
    again = world.http.post(
        f"{DEALS}/deals/{opened['id']}/move",
        json={"to_stage": "measured", "version": card["version"]},
        headers=world.headers("olena", "manager"),
    )
    # then
    assert card["version"] == 2
    assert again.status_code == 200, again.get_json()
