"""The channels' own settings: secrets the providers share with us and where mail lands.

Validated once from the environment (`LANKA_` prefix, like the platform's settings); the
defaults are for the local stack only, and the CDK app sets real ones per deployment.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChannelSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LANKA_", extra="ignore", frozen=True)

    # The `secret_token` given to Telegram's setWebhook.
    telegram_secret_token: str = "lanka-local-telegram-secret"  # noqa: S105 - local default only
    # The Viber bot's auth token: Viber signs every callback with it.
    viber_auth_token: str = "lanka-local-viber-token"  # noqa: S105 - local default only
    # Signs the generic telephony webhooks (HMAC-SHA256 of `<timestamp>.<body>`).
    telephony_secret: str = "lanka-local-telephony-secret"  # noqa: S105 - local default only
    # Binotel: the token in the callback URL, our company id, and (in the cloud) its servers.
    binotel_token: str = "lanka-local-binotel-token"  # noqa: S105 - local default only
    binotel_company_id: str = "1"
    binotel_addresses: tuple[str, ...] = ()
    # What one webhook or form may weigh, and one e-mail.
    max_webhook_bytes: int = 64 * 1024
    max_mail_bytes: int = 10 * 1024 * 1024
    # Requests per minute per caller address.
    form_per_minute: int = 10
    webhook_per_minute: int = 600
    mail_domain: str = Field(default="lanka.local", description="Right side of our Message-IDs")


@cache
def channel_settings() -> ChannelSettings:
    return ChannelSettings()
