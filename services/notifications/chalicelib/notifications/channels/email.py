"""E-mail through SES v2 (`SendEmail` with raw content): a MIME message with a text and an
HTML part, attachments (from S3, or inline like a calendar invite) and List-Unsubscribe."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from botocore.exceptions import BotoCoreError, ClientError
from chalicelib.notifications.channels import Delivery, DeliveryResult
from chalicelib.notifications.channels.settings import ChannelSettings

from lanka_platform import aws

# SES refuses these for good: waiting will not help.
_FINAL = {"MessageRejected", "BadRequestException", "NotFoundException", "MailFromDomainNotVerifiedException"}


class SesEmail:
    def __init__(self, settings: ChannelSettings, region: str, endpoint: str | None) -> None:
        self._settings = settings
        self._region = region
        self._endpoint = endpoint

    def mime(self, delivery: Delivery) -> bytes:
        message = EmailMessage()
        message["From"] = self._settings.email_sender
        message["To"] = delivery.to
        message["Subject"] = delivery.subject or ""
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = delivery.headers.get("Message-ID") or make_msgid(
            idstring=delivery.message_id, domain="lanka"
        )
        for name in ("In-Reply-To", "References"):
            if delivery.headers.get(name):
                message[name] = delivery.headers[name]
        if delivery.unsubscribe_url:
            message["List-Unsubscribe"] = f"<{delivery.unsubscribe_url}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(delivery.text)
        if delivery.html:
            message.add_alternative(delivery.html, subtype="html")
        s3 = None
        for attachment in delivery.attachments:
            maintype, _, subtype = attachment.content_type.partition(";")[0].strip().partition("/")
            if attachment.content is not None:
                params = dict(
                    part.strip().split("=", 1)
                    for part in attachment.content_type.split(";")[1:]
                    if "=" in part
                )
                message.add_attachment(
                    attachment.content, subtype=subtype, filename=attachment.filename, params=params
                )
                continue
            if s3 is None:
                s3 = aws.client("s3", self._region, self._endpoint)
            body = s3.get_object(Bucket=attachment.bucket, Key=attachment.key)["Body"].read()
            message.add_attachment(body, maintype=maintype, subtype=subtype, filename=attachment.filename)
        return message.as_bytes()

    def send(self, delivery: Delivery) -> DeliveryResult:
        try:
            raw = self.mime(delivery)
            extra = {}
            if self._settings.ses_configuration_set:
                extra["ConfigurationSetName"] = self._settings.ses_configuration_set
            answer = aws.client("sesv2", self._region, self._endpoint).send_email(
                FromEmailAddress=self._settings.email_sender,
                Destination={"ToAddresses": [delivery.to]},
                Content={"Raw": {"Data": raw}},
                **extra,
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            return DeliveryResult(ok=False, error=f"SES: {code}", retryable=code not in _FINAL)
        except BotoCoreError as error:
            return DeliveryResult(ok=False, error=f"SES: {type(error).__name__}")
        return DeliveryResult(ok=True, provider_message_id=str(answer.get("MessageId", "")))
