"""What SES tells of a sent e-mail (delivered, bounced, complained of): the message's new
status, what it adds to its mailing's totals, and which addresses we stop writing to."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from chalicelib.notifications.domain.messages import Attempt, MessageStatus, OutgoingMessage

from lanka_platform.contracts.notifications import EmailFeedbackReceived

Feedback = Literal["delivered", "bounced", "complained"]
KINDS: dict[str, Feedback] = {"Delivery": "delivered", "Bounce": "bounced", "Complaint": "complained"}
# The statuses each report may follow: a late "delivered" never hides a bounce or a complaint.
FOLLOWS: dict[Feedback, tuple[MessageStatus, ...]] = {
    "delivered": ("sent",),
    "bounced": ("sent", "delivered"),
    "complained": ("sent", "delivered"),
}


def kind_of(event: EmailFeedbackReceived) -> Feedback | None:
    return KINDS.get(event.eventType)


def reported(
    message: OutgoingMessage, feedback: Feedback, event: EmailFeedbackReceived, at: datetime
) -> OutgoingMessage | None:
    """The message after the report, in its log too; None when the report changes nothing
    (a repeat, or older than what is known)."""
    if message.status not in FOLLOWS[feedback]:
        return None
    detail = None
    if event.bounce is not None:
        detail = f"{event.bounce.bounceType}/{event.bounce.bounceSubType}".rstrip("/")
    elif event.complaint is not None:
        detail = event.complaint.complaintFeedbackType
    entry = Attempt(
        at=at, channel="email", outcome=feedback, provider_message_id=event.mail.messageId, error=detail
    )
    return message.model_copy(update={"status": feedback, "log": [*message.log, entry]})


def mailing_counts(before: MessageStatus, feedback: Feedback) -> dict[str, int]:
    """What a report adds to the mailing's totals: a bounce is a failure (and no longer a
    delivery, when SES said delivered first)."""
    counts = {"delivered": 0, "failed": 0, "complained": 0}
    if feedback == "delivered":
        counts["delivered"] += 1
    elif feedback == "bounced":
        counts["failed"] += 1
        if before == "delivered":
            counts["delivered"] -= 1
    else:
        counts["complained"] += 1
    return counts


def to_suppress(event: EmailFeedbackReceived) -> list[str]:
    """Addresses no e-mail goes to any more: a permanent bounce (no such mailbox) and a
    complaint (marked as spam). A transient bounce (mailbox full) is tried again later."""
    found: list[str] = []
    if event.bounce is not None and event.bounce.bounceType == "Permanent":
        found += [r.emailAddress for r in event.bounce.bouncedRecipients]
    if event.complaint is not None:
        found += [r.emailAddress for r in event.complaint.complainedRecipients]
    return sorted({address.strip().casefold() for address in found if address.strip()})
