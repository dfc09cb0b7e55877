"""Messages to clients that other services ask for (automation's template messages).

Each request is kept as an outgoing message, queued until a channel sends it; the same
request delivered twice is one message (its id comes from the requester).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from lanka_platform.schema import Schema

MessageStatus = Literal["queued", "sent", "delivered", "failed"]


class OutgoingMessage(Schema):
    id: str
    client_id: str
    template: str
    channel: str | None
    deal_id: str | None
    variables: dict[str, str]
    status: MessageStatus
    requested_at: datetime


class MessagePage(Schema):
    items: list[OutgoingMessage]
    next_cursor: str | None = None
