"""Freshdesk settings (``DESKROUTE_FRESHDESK_*``), built at the edge and handed in."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from connectors.http import VendorHTTPSettings
from connectors.secrets import check_secret


class FreshdeskSettings(VendorHTTPSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_FRESHDESK_", env_file=None,
                                      extra="ignore")

    # Freshdesk signs nothing: the automation rule sends this token in a custom header.
    webhook_token: SecretStr | None = None
    token_header: str = "X-Deskroute-Token"
    domain: str | None = None  # acme → https://acme.freshdesk.com
    base_url: str | None = None  # overrides the domain (staging, tests)
    api_key: SecretStr | None = None  # Profile settings → "Your API Key"
    escalation_group_id: str | None = None
    escalation_tag: str = "deskroute_escalated"
    reply_status: int | None = None  # 3 = Pending after a reply; unset = leave the status

    check_secrets = check_secret("webhook_token", "api_key")

    @property
    def api_url(self) -> str | None:
        if self.base_url:
            return self.base_url.rstrip("/")
        return f"https://{self.domain}.freshdesk.com" if self.domain else None
