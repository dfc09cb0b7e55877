"""The staff web app in a real headless Chromium on a big base: the board with 5,000 deals
and the client list with 100,000 clients, first render and interactions.

The base is seeded as `board_scale` and `search_scale` seed theirs (the items the stores
queue, loaded straight into the in-process moto, with `lanka_local.moto_patches`
installed); the local gateway (the four services, the staff app's files, real tokens) is
served over HTTP from a thread, and Debian's chromium drives the app as a user would.

Figures (milliseconds, median of SAMPLES):
- `first_render`: from the start of navigation to the app's own `lanka:<screen>` mark,
  set once the screen is drawn with its data (read from the browser's performance timeline);
- interactions, wall time from the action to what the user waits for: the board's "show
  more" in a column, a move by the keyboard menu (until the server confirmed it), the next
  page of the client list, and a search typed into the box (this one includes the box's
  300 ms debounce).
LANKA_BENCH_WEBAPP_DEALS and LANKA_BENCH_WEBAPP_CLIENTS set the sizes, LANKA_BENCH_WEBAPP_SAMPLES
the samples.

The client list is read through a GSI (`CLIENTS`, or the owner's). moto walks the whole
table for an index Query; `moto_patches` has it walk only the index partition asked for
(the table's items grouped per index once, then kept up to date write by write, so the
board read after a move costs the move's items), so a list page costs what its partition
holds, as on DynamoDB (one Query of 50 items), and the figures with 100,000
clients measure the app, not the emulator. The first index read after seeding groups the
table once: the warm-up visit of the list pays it (`clients_grouping_ms`).
`api_clients_page_ms` is the API's share of a page.
"""

from __future__ import annotations

import gc
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from moto import mock_aws

from bench import board_scale, search_scale
from bench.aws_calls import _ENVIRONMENT
from bench.seeding import create_table, staff_world
from lanka_local import moto_patches
from lanka_platform import aws

DEALS = int(os.environ.get("LANKA_BENCH_WEBAPP_DEALS", "5000"))
CLIENTS = int(os.environ.get("LANKA_BENCH_WEBAPP_CLIENTS", "100000"))
SAMPLES = int(os.environ.get("LANKA_BENCH_WEBAPP_SAMPLES", "5"))
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
STATIC = Path(__file__).resolve().parent.parent / "src" / "lanka_local" / "static"


def _serve(gateway: Any) -> tuple[str, Any]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, gateway, threaded=False)
    server.RequestHandlerClass.log_request = lambda *args, **kwargs: None  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _first_render(page: Any, url: str, screen: str, ready: str) -> float:
    page.goto(url)
    page.wait_for_selector(ready)
    return float(
        page.evaluate(f"() => performance.getEntriesByName('lanka:{screen}').map(e => e.startTime).pop()")
    )


def _timed(action: Any) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1)


def measure() -> dict[str, float]:
    os.environ.update(_ENVIRONMENT)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from playwright.sync_api import sync_playwright

    with moto_patches.installed(), mock_aws():
        from lanka_platform.settings import Settings
        from lanka_platform.storage import Store

        http, loaded, users = staff_world([("head", "head")])
        token, head = users["head"]
        deals, clients = loaded["deals"].service, loaded["clients"].service
        gc.disable()
        started = time.perf_counter()
        create_table("deals", "lanka-deals-webapp")
        board_scale._seed(deals, "lanka-deals-webapp", DEALS, [head, "manager-2", "manager-3"])
        create_table("clients", "lanka-clients-webapp")
        search_scale._seed(clients, "lanka-clients-webapp", CLIENTS, [head, "manager-2", "manager-3"])
        seeded = time.perf_counter() - started
        deals.__dict__["store"] = Store(Settings(service="deals", table_name="lanka-deals-webapp"), ())
        clients.__dict__["store"] = Store(Settings(service="clients", table_name="lanka-clients-webapp"), ())
        gc.collect()
        gc.freeze()
        gc.enable()
        gateway = http.application
        gateway.static_dir = STATIC
        origin, server = _serve(gateway)
        figures: dict[str, list[float]] = {}

        def note(name: str, value: float) -> None:
            figures.setdefault(name, []).append(value)

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                context.add_init_script(f"sessionStorage.setItem('lanka.id_token', {token!r});")
                page = context.new_page()
                page.set_default_timeout(60_000)
                _first_render(page, f"{origin}/#/board", "board", "section.column li.deal-card")  # warm up
                note(
                    "clients_grouping_ms",
                    _timed(lambda: _first_render(page, f"{origin}/#/clients", "clients", "ul.rows li a")),
                )
                for _ in range(SAMPLES):
                    page.goto("about:blank")
                    note(
                        "board_first_render_ms",
                        _first_render(page, f"{origin}/#/board", "board", "section.column li.deal-card"),
                    )
                    first = page.locator("section.column").first
                    shown = first.locator("li.deal-card").count()
                    note(
                        "board_show_more_ms",
                        _timed(
                            lambda first=first, shown=shown: (
                                first.get_by_role("button", name="Показати ще").click(),
                                first.locator(f"li.deal-card >> nth={shown}").wait_for(),
                            )
                        ),
                    )
                    moving = first.locator("li.deal-card").first

                    def move(moving: Any = moving) -> None:
                        moving.get_by_role("button", name="Перемістити").click()
                        moving.get_by_role("menuitem").first.click()
                        page.get_by_text("переміщено в етап").wait_for()

                    note("board_move_ms", _timed(move))
                for _ in range(SAMPLES):
                    page.goto("about:blank")
                    note(
                        "clients_first_render_ms",
                        _first_render(page, f"{origin}/#/clients", "clients", "ul.rows li a"),
                    )
                    note(
                        "clients_next_page_ms",
                        _timed(
                            lambda: (
                                page.get_by_role("button", name="Далі").click(),
                                page.get_by_text("Сторінка 2").wait_for(),
                            )
                        ),
                    )
                    box = page.get_by_label("Пошук клієнта")
                    note(
                        "clients_search_ms",
                        _timed(
                            lambda box=box: (
                                box.fill("петр"),
                                page.locator("#search-results li a").first.wait_for(),
                            )
                        ),
                    )
                browser.close()
            # The same reads without the browser, to tell the API's share from the app's.
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(SAMPLES):
                for name, path in (
                    ("api_board_ms", "/api/deals/pipelines/furniture/board?limit=20"),
                    ("api_clients_page_ms", "/api/clients/clients?owner=all&limit=50"),
                ):
                    note(name, _timed(lambda path=path: http.get(path, headers=headers)))
                board = http.get("/api/deals/pipelines/furniture/board?limit=1", headers=headers).get_json()
                stages = [column["stage"] for column in board["columns"]]
                card = next(column["cards"][0] for column in board["columns"] if column["cards"])
                target = next(stage for stage in stages[:-1] if stage != board["columns"][0]["stage"])
                body = {"to_stage": target, "version": card["version"]}
                path = f"/api/deals/deals/{card['id']}/move"
                moved = _timed(lambda path=path, body=body: http.post(path, json=body, headers=headers))
                note("api_move_ms", moved)
        finally:
            server.shutdown()
    aws.forget_clients()
    gc.unfreeze()
    result = {f"webapp.{name}": _median(values) for name, values in figures.items()}
    result["webapp.deals"] = DEALS
    result["webapp.clients"] = CLIENTS
    result["webapp.seed_seconds"] = round(seeded, 1)
    return result


if __name__ == "__main__":
    for name, value in measure().items():
        print(f"{name:36} {value}")
