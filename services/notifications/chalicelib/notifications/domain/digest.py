"""The head's morning digest: yesterday's numbers (counted from events as they happen, into
one item per company day) and what is overdue now, sent at 08:00 company time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from lanka_platform.schema import Schema

DIGEST_AT = time(8, 0)


class DayStats(Schema):
    requests: int = 0
    won: int = 0
    lost: int = 0
    payments: int = 0
    paid: dict[str, int] = {}
    tasks_done: int = 0
    overdue: int = 0


def company_day(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def due_day(now: datetime, zone: str) -> date | None:
    """The company day whose digest is due at `now` (today's, from 08:00), or None before."""
    here = now.astimezone(ZoneInfo(zone))
    return here.date() if here.time() >= DIGEST_AT else None


def text(day: date, stats: DayStats, overdue: list[str], overdue_more: bool) -> str:
    yesterday = day - timedelta(days=1)
    paid = ", ".join(f"{amount / 100:.2f} {currency}" for currency, amount in sorted(stats.paid.items()))
    lines = [
        f"Зведення за {yesterday.strftime('%d.%m.%Y')}:",
        f"• нових звернень: {stats.requests}",
        f"• угод виграно: {stats.won}, програно: {stats.lost}",
        f"• оплат: {stats.payments}" + (f" ({paid})" if paid else ""),
        f"• виконано задач: {stats.tasks_done}",
        f"• прострочено задач за день: {stats.overdue}",
    ]
    if overdue:
        lines.append("Прострочено зараз:")
        lines += [f"• {title}" for title in overdue]
        if overdue_more:
            lines.append("• … (повний список — у розділі «Прострочене»)")
    else:
        lines.append("Прострочених задач зараз немає.")
    return "\n".join(lines)
