"""Where a client is reached: a projection of clients' `ClientContactsChanged`, and the
order in which a message tries the channels.

Contact details belong to clients; notifications keeps this copy only to send (one item per
client, replaced on every change, gone on erase, and a merged client's copy goes with it:
the survivor's event carries both clients' contacts).
"""

from __future__ import annotations

from typing import Literal

from lanka_platform.schema import Schema

Channel = Literal["email", "sms", "telegram", "viber"]
Locale = Literal["uk", "en"]

# Without a preference: the cheapest channel that shows the whole message first.
DEFAULT_ORDER: tuple[Channel, ...] = ("telegram", "viber", "email", "sms")


class ContactCard(Schema):
    client_id: str
    name: str
    phones: list[str] = []
    emails: list[str] = []
    telegram: str | None = None
    viber: str | None = None
    preferred_channel: Channel | None = None
    locale: Locale = "uk"
    marketing_consent: bool = False
    tags: list[str] = []
    source_channel: str | None = None
    version: int = 0

    def address(self, channel: Channel) -> str | None:
        """The client's address on `channel`, or None when they have none there."""
        if channel == "email":
            return self.emails[0] if self.emails else None
        if channel == "sms":
            return self.phones[0] if self.phones else None
        if channel == "telegram":
            # A bot reaches a person by their numeric id only (a username is for finding them).
            return self.telegram if self.telegram and self.telegram.isdigit() else None
        return self.viber


def channel_order(card: ContactCard, requested: str | None) -> list[Channel]:
    """The channels to try, first to last: the requested one (or the client's preferred
    one), then the rest; channels without an address are left out."""
    first = requested if requested in DEFAULT_ORDER else card.preferred_channel
    order: list[Channel] = [channel for channel in DEFAULT_ORDER if channel == first]
    order += [channel for channel in DEFAULT_ORDER if channel != first]
    return [channel for channel in order if card.address(channel)]
