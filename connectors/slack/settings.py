"""Slack settings (``DESKROUTE_SLACK_*``), built at the edge and handed to the connector."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from connectors.http import VendorHTTPSettings
from connectors.secrets import check_secret

DEFAULT_ACK = ("Thanks, I've passed this to our support team. Someone will answer here "
               "in this thread.")


class SlackSettings(VendorHTTPSettings):
    model_config = SettingsConfigDict(env_prefix="DESKROUTE_SLACK_", env_file=None,
                                      extra="ignore")

    signing_secret: SecretStr | None = None  # Basic Information → App Credentials
    bot_token: SecretStr | None = None  # xoxb-… (OAuth & Permissions)
    # Slack's Web API; tests point it at a fake Slack on 127.0.0.1
    base_url: str = "https://slack.com/api/"
    escalation_channel: str | None = None  # channel id (C0123…) the support team watches
    # user group tagged on escalations: its id (S0123…) → <!subteam^S0123>
    oncall_group: str | None = None
    # our own bot user (U0…): its messages are never answered. Read from the event's
    # ``authorizations`` when unset.
    bot_user_id: str | None = None
    # posted in the customer's thread when a ticket goes to a person; empty = say nothing
    escalation_ack: str = DEFAULT_ACK
    # Slack signs with a 5-minute window (slack_sdk's SignatureVerifier); not configurable
    max_text_chars: int = Field(default=39_000, ge=100)  # chat.postMessage truncates at 40k

    check_secrets = check_secret("signing_secret", "bot_token")
