"""Where the providers are and the secrets to reach them (validated once per sweep)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class ChannelSettings(BaseSettings):
    """Providers and their secrets (the CDK app sets them from Secrets Manager)."""

    model_config = SettingsConfigDict(env_prefix="LANKA_", extra="ignore", frozen=True)

    email_sender: str = "Lanka <no-reply@lanka.example>"
    # Sent with this SES configuration set, SES reports deliveries, bounces and complaints
    # to the default bus (the CDK app creates it; None locally: moto reports nothing).
    ses_configuration_set: str | None = None
    # Where clients open links (the unsubscribe link goes to the clients service's API).
    public_base_url: str = "http://localhost:8000"
    sms_base_url: str = "https://api.turbosms.ua"
    sms_token: str = ""
    sms_sender: str = "Lanka"
    telegram_base_url: str = "https://api.telegram.org"
    telegram_bot_token: str = ""
    viber_base_url: str = "https://chatapi.viber.com"
    viber_token: str = ""
    viber_sender: str = "Lanka"
