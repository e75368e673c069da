"""Secrets are checked when settings are built: weak ones stop start-up, naming the variable."""

from __future__ import annotations

import base64
import secrets

import pytest
from pydantic import ValidationError

from connectors.generic.connector import GenericSettings
from connectors.secrets import GENERATE_HINT
from router.api.app import create_app
from router.cli.errors import user_message
from router.settings import APISettings

WEAK = ["whsec_", "whsec_!!!!", "whsec_abc", "whsec_QUJD", "", " ", "a", "hunter2", "changeme",
        "your-webhook-secret-here", "xxxxxxxxxxxxxxxxxxxxxxxx", "aaaaaaaaaaaaaaaaaaaa",
        "CHANGEME-CHANGEME-CHANGEME"]
STRONG = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "t0k3n-for-tests-only",
          "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
          secrets.token_urlsafe(24), secrets.token_hex(16)]


@pytest.mark.parametrize("value", WEAK)
@pytest.mark.parametrize("field,variable", [("webhook_secret", "DESKROUTE_WEBHOOK_SECRET"),
                                           ("admin_token", "DESKROUTE_ADMIN_TOKEN")])
def test_weak_secrets_are_refused_naming_the_variable(value: str, field: str,
                                                      variable: str) -> None:
    with pytest.raises(ValidationError) as err:
        APISettings(**{field: value})
    message = user_message(err.value) or ""  # what `deskroute serve` prints, one line
    assert message.startswith(f"invalid setting {variable}: ") and "\n" not in message


@pytest.mark.parametrize("value", WEAK)
def test_the_generic_connector_refuses_the_same_secrets(value: str) -> None:
    with pytest.raises(ValidationError) as err:
        GenericSettings(webhook_secret=value)
    assert (user_message(err.value) or "").startswith("invalid setting DESKROUTE_WEBHOOK_SECRET")


@pytest.mark.parametrize("value", STRONG)
def test_random_and_documented_secrets_are_accepted(value: str) -> None:
    assert APISettings(webhook_secret=value, admin_token=value).webhook_secret == value
    assert GenericSettings(webhook_secret=value).webhook_secret == value


def test_unset_secrets_stay_unset() -> None:
    settings = APISettings(webhook_secret=None, admin_token=None)
    assert settings.webhook_secret is None and settings.admin_token is None


@pytest.mark.parametrize("variable", ["DESKROUTE_WEBHOOK_SECRET", "DESKROUTE_ADMIN_TOKEN"])
def test_the_app_refuses_to_start_with_a_weak_secret(variable: str, sqlite_url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, "whsec_")
    with pytest.raises(ValidationError) as err:
        create_app(database_url=sqlite_url, embedded_worker=False)
    assert user_message(err.value) == (
        f"invalid setting {variable}: decodes to 0 bytes; at least 16 are needed; "
        f"{GENERATE_HINT}")
