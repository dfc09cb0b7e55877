"""The company's messaging settings: quiet hours, the pace of mailings."""

from __future__ import annotations

from chalicelib.notifications.domain.mailings import MailingPace
from chalicelib.notifications.domain.quiet import QuietHours
from chalicelib.notifications.service import service
from chalicelib.notifications.store import SettingsStore

from lanka_platform.api import Call


@service.route("/settings/quiet-hours", response=QuietHours, roles=("admin", "head"))
def get_quiet_hours(call: Call) -> QuietHours:
    """When SMS and messenger messages to clients wait for the morning (company time)."""
    return SettingsStore(call.store).quiet_hours()


@service.route("/settings/quiet-hours", "PUT", body=QuietHours, response=QuietHours, roles=("admin",))
def save_quiet_hours(call: Call, body: QuietHours) -> QuietHours:
    """Change the quiet hours (default 21:00–08:00)."""
    SettingsStore(call.store).save_quiet_hours(call.unit, body)
    return body


@service.route("/settings/mailing-pace", response=MailingPace, roles=("admin", "head"))
def get_mailing_pace(call: Call) -> MailingPace:
    """How many messages of mailings go out a minute (default 600)."""
    return SettingsStore(call.store).mailing_pace()


@service.route("/settings/mailing-pace", "PUT", body=MailingPace, response=MailingPace, roles=("admin",))
def save_mailing_pace(call: Call, body: MailingPace) -> MailingPace:
    """Change the pace (1 to 3,000 a minute; keep it within the provider's sending rate)."""
    SettingsStore(call.store).save_mailing_pace(call.unit, body)
    return body
