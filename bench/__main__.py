"""`make bench`: Lanka's figures, printed as a table and written to bench/results.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import aws_calls, board_scale, cold_start, report_scale, search_scale, slots_scale, webapp_scale

RESULTS = Path(__file__).resolve().parent / "results.json"
SERVICES = ["clients", "deals", "booking", "notifications"]
TARGETS = {
    "cold_start_ratio": ("<=", 1.3),
    "aws_calls.create_client": ("<=", 2),
    "aws_calls.create_client.TransactWriteItems": ("==", 1),
    # the card, and the audit entry of the read
    "aws_calls.get_client": ("<=", 2),
    "search_scale_ratio": ("<=", 1.2),
    "aws_calls.search_clients": ("==", 1),
    "aws_calls.timeline_page.Query": ("==", 1),
    # the Query, and the client's owner read to decide visibility (an authorization look-up)
    "aws_calls.timeline_page": ("<=", 2),
    "aws_calls.auth_lookups_per_request": ("<=", 1),
    "board_scale_ratio": ("<=", 1.2),
    "report_scale_ratio": ("<=", 1.2),
    "slots_month_ms": ("<=", 50),
    # at most one read per specialist-month (10), and the rate limit
    "slots_month_aws_calls": ("<=", 11),
    "slots_month_aws_calls.Query": ("<=", 10),
}


def verdict(name: str, value: float) -> str:
    matches = [
        prefix for prefix in TARGETS if name == prefix or (prefix.count(".") == 0 and name.startswith(prefix))
    ]
    matches.sort(key=lambda prefix: prefix != name)  # the figure's own target first
    for prefix in matches[:1]:
        operator, target = TARGETS[prefix]
        if True:
            ok = value <= target if operator == "<=" else value == target
            return f"{operator} {target}  {'ok' if ok else 'MISSED'}"
    return ""


def main() -> int:
    figures: dict[str, float] = {}
    figures.update(aws_calls.measure())
    figures.update(cold_start.measure(SERVICES))
    figures.update(search_scale.measure())
    figures.update(board_scale.measure())
    figures.update(report_scale.measure())
    figures.update(webapp_scale.measure())
    figures.update(slots_scale.measure())
    if "--with-restart" in sys.argv:
        from bench import emulator_restart

        figures.update(emulator_restart.measure_restart())
    RESULTS.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    width = max(len(name) for name in figures)
    print(f"{'figure':<{width}}  {'value':>10}  target")
    for name in sorted(figures):
        print(f"{name:<{width}}  {figures[name]:>10}  {verdict(name, figures[name])}")
    print(
        f"\nwritten to {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
