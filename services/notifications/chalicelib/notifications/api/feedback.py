"""SES's reports on the e-mails we sent (delivered, bounced, complained of), from the
default bus through the notifications inbox (`resources.SES_FEEDBACK`): the message's
status and log, its mailing's totals, and the suppression of addresses that must not get
e-mail any more. No webhook: the rule on the account's own bus is the only way in, so
there is no signature to forge."""

from __future__ import annotations

from chalicelib.notifications.domain import feedback
from chalicelib.notifications.service import service
from chalicelib.notifications.store import MailingStore, MessageStore

from lanka_platform import observability
from lanka_platform.contracts.notifications import EmailFeedbackReceived
from lanka_platform.events import Envelope
from lanka_platform.ports import UnitOfWork


@service.handles(EmailFeedbackReceived)
def on_email_feedback(event: Envelope[EmailFeedbackReceived], unit: UnitOfWork) -> None:
    data = event.data
    kind = feedback.kind_of(data)
    if kind is None:
        return
    box = MessageStore(service.store)
    now = service.store.clock()
    for address in feedback.to_suppress(data):
        box.suppress(unit, address, kind, now)
    message = box.by_provider_id(data.mail.messageId)
    if message is None:
        # Not ours, or sent before the pointer was written: the suppression above still holds.
        observability.logger(service.name).info("A report on an unknown e-mail", extra={"kind": kind})
        return
    after = feedback.reported(message, kind, data, event.metadata.occurred_at)
    if after is None:
        return
    box.report(unit, message, after)
    if message.mailing_id:
        MailingStore(service.store).add_counts(
            unit, message.mailing_id, feedback.mailing_counts(message.status, kind)
        )
