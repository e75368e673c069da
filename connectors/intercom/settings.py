"""Intercom settings (``DESKROUTE_INTERCOM_*``), built at the edge and handed in."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from connectors.http import VendorHTTPSettings
from connectors.secrets import check_secret


class IntercomSettings(VendorHTTPSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_INTERCOM_", env_file=None,
                                      extra="ignore")

    client_secret: SecretStr | None = None  # Developer Hub → your app → Basic information
    access_token: SecretStr | None = None  # Developer Hub → your app → Authentication
    admin_id: str | None = None  # the teammate deskroute replies as
    base_url: str = "https://api.intercom.io"  # api.eu.intercom.io / api.au.intercom.io
    api_version: str = "2.11"
    escalation_team_id: str | None = None
    escalation_tag: str = "deskroute_escalated"

    check_secrets = check_secret("client_secret", "access_token")
