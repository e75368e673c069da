"""Help Scout settings (``DESKROUTE_HELPSCOUT_*``), built at the edge and handed in."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from connectors.http import VendorHTTPSettings
from connectors.secrets import check_secret


class HelpScoutSettings(VendorHTTPSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_HELPSCOUT_", env_file=None,
                                      extra="ignore")

    secret: SecretStr | None = None  # the Webhooks app's secret key (40 characters at most)
    app_id: str | None = None  # My Apps → your app: the OAuth2 client id
    app_secret: SecretStr | None = None  # … and its client secret
    base_url: str = "https://api.helpscout.net"
    token_url: str | None = None  # default: {base_url}/v2/oauth2/token
    # the user deskroute replies as; unset: the app's owner, the user its token acts as
    # (asked of GET /v2/users/me once, to recognise deskroute's own replies and closes)
    user_id: str | None = None
    escalation_assignee_id: str | None = None  # a user or team id
    escalation_tag: str = "deskroute-escalated"
    reply_status: Literal["active", "pending", "closed"] | None = "pending"

    check_secrets = check_secret("secret", "app_secret")

    @property
    def oauth_token_url(self) -> str:
        return self.token_url or f"{self.base_url.rstrip('/')}/v2/oauth2/token"
