"""Runtime settings of a service, validated once from the environment (pydantic-settings)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lanka_platform import resources


class Settings(BaseSettings):
    """What a service needs to know about where it runs.

    Names of AWS resources default to the ones in `resources`, so a service only needs
    `LANKA_SERVICE`; the CDK app still sets each one explicitly.
    """

    model_config = SettingsConfigDict(env_prefix="LANKA_", extra="ignore", frozen=True)

    service: str
    table_name: str = ""
    event_bus_name: str = resources.EVENT_BUS
    region: str = Field(default="eu-central-1", validation_alias="AWS_REGION")
    # Set locally (the emulator); empty in AWS, where the SDK finds the real endpoints.
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    timezone: str = "Europe/Kyiv"
    currency: str = "UAH"
    phone_region: str = "UA"
    max_body_bytes: int = 256 * 1024
    page_size: int = 50
    # How long an outbox entry may wait for its own event to come back before the sweep
    # publishes it again.
    outbox_grace_seconds: int = 120
    # How long a consumer remembers an event id it has processed.
    dedup_ttl_days: int = 14
    idempotency_ttl_hours: int = 24
    # Signs pagination cursors; the CDK app sets a generated secret per deployment.
    cursor_secret: str = "lanka-local-cursor-secret"  # noqa: S105 - local default only
    # Signs links sent to clients (unsubscribe, booking management); set per deployment.
    link_secret: str = "lanka-local-link-secret"  # noqa: S105 - local default only
    documents_bucket: str = f"{resources.PREFIX}-documents"
    exports_bucket: str = f"{resources.PREFIX}-exports"
    imports_bucket: str = f"{resources.PREFIX}-imports"
    inbound_mail_bucket: str = f"{resources.PREFIX}-inbound-mail"

    def model_post_init(self, __context: object) -> None:
        if not self.table_name:
            object.__setattr__(self, "table_name", resources.service(self.service).table.name)

    @property
    def source(self) -> str:
        return f"{resources.PREFIX}.{self.service}"
