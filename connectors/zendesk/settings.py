"""Zendesk settings (``DESKROUTE_ZENDESK_*``), built at the edge and handed to the connector."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from connectors.http import VendorHTTPSettings
from connectors.secrets import check_secret


class ZendeskSettings(VendorHTTPSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_ZENDESK_", env_file=None,
                                      extra="ignore")

    webhook_secret: SecretStr | None = None  # the webhook's signing secret (Admin Center)
    replay_window_seconds: int = 300
    subdomain: str | None = None  # acme → https://acme.zendesk.com
    base_url: str | None = None  # overrides the subdomain (staging, tests)
    email: str | None = None  # the agent the API token belongs to
    api_token: SecretStr | None = None
    escalation_group_id: str | None = None
    escalation_tag: str = "deskroute_escalated"
    reply_status: str | None = "pending"  # status set with a public reply; empty = unchanged

    check_secrets = check_secret("webhook_secret", "api_token")

    @property
    def api_url(self) -> str | None:
        if self.base_url:
            return self.base_url.rstrip("/")
        return f"https://{self.subdomain}.zendesk.com" if self.subdomain else None
