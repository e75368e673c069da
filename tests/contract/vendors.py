"""One small kit per helpdesk so the end-to-end tests run the same story against each fake:
open a conversation, send the vendor's webhook, read back replies, notes, tags and group."""

from __future__ import annotations

from typing import Any

from pydantic_settings import BaseSettings

from connectors.freshdesk.settings import FreshdeskSettings
from connectors.helpscout.settings import HelpScoutSettings
from connectors.intercom.settings import IntercomSettings
from connectors.zendesk.settings import ZendeskSettings
from tests.contract.fakes import freshdesk as fdk
from tests.contract.fakes import helpscout as hsk
from tests.contract.fakes import intercom as ick
from tests.contract.fakes import zendesk as zdk
from tests.contract.fakes.base import FakeVendor

FAST = {"retry_backoff_seconds": 0.01, "retry_max_wait_seconds": 2.0, "timeout_seconds": 1.0}


class Kit:
    name = ""
    reply_path = ""  # regex over "METHOD /path" of the public-reply call
    settings_class: type[BaseSettings]
    fake: Any

    def __enter__(self) -> Kit:
        self.fake.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.fake.__exit__(*exc)

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def settings(self, **over: Any) -> BaseSettings:
        return self.settings_class(**{**self.values(), **FAST, **over})

    def env(self) -> dict[str, str]:
        """The same settings as ``DESKROUTE_*`` variables (for the CLI)."""
        prefix = str(self.settings_class.model_config.get("env_prefix"))
        return {f"{prefix}{k}".upper(): str(v) for k, v in {**self.values(), **FAST}.items()}

    def secrets(self) -> list[str]:
        return [str(v) for k, v in self.values().items()
                if any(w in k for w in ("secret", "token", "api_key"))]

    # --- the story ------------------------------------------------------------------------------

    def open(self, text: str) -> str:
        raise NotImplementedError

    def opened_webhook(self, conv: str) -> tuple[bytes, dict[str, str]]:
        raise NotImplementedError

    def customer_writes(self, conv: str, text: str) -> tuple[bytes, dict[str, str]]:
        raise NotImplementedError

    def replies(self, conv: str) -> list[str]:
        raise NotImplementedError

    def notes(self, conv: str) -> list[str]:
        raise NotImplementedError

    def tags(self, conv: str) -> list[str]:
        raise NotImplementedError

    def group(self, conv: str) -> str | None:
        raise NotImplementedError

    # --- what the helpdesk reports afterwards (outcomes) -----------------------------------------

    def resolved(self, conv: str) -> tuple[bytes, dict[str, str]]:
        """An agent marks the conversation solved/closed: the vendor's webhook for it."""
        raise NotImplementedError

    def reopened(self, conv: str) -> tuple[bytes, dict[str, str]]:
        raise NotImplementedError

    def rated(self, conv: str) -> tuple[tuple[bytes, dict[str, str]], float]:
        """The customer rates the conversation: the webhook and the CSAT it means (1..5)."""
        raise NotImplementedError


class ZendeskKit(Kit):
    name, reply_path, settings_class = "zendesk", r"PUT /api/v2/tickets/\d+\.json", \
        ZendeskSettings

    def __init__(self) -> None:
        self.fake: zdk.FakeZendesk = zdk.FakeZendesk()

    def values(self) -> dict[str, Any]:
        return {"webhook_secret": zdk.SECRET, "base_url": self.fake.url, "email": zdk.EMAIL,
                "api_token": zdk.TOKEN, "escalation_group_id": "360001"}

    def open(self, text: str) -> str:
        return str(self.fake.open_ticket("Question", text))

    def opened_webhook(self, conv: str) -> tuple[bytes, dict[str, str]]:
        return self.fake.signed(self.fake.event("created", int(conv)))

    def customer_writes(self, conv: str, text: str) -> tuple[bytes, dict[str, str]]:
        t = self.fake.tickets[int(conv)]
        cid = self.fake.add_comment(t["id"], t["requester_id"], text)
        return self.fake.signed(self.fake.event("comment_added", t["id"], cid))

    def replies(self, conv: str) -> list[str]:
        return self.fake.public_replies(int(conv))

    def notes(self, conv: str) -> list[str]:
        return self.fake.notes(int(conv))

    def tags(self, conv: str) -> list[str]:
        return list(self.fake.tickets[int(conv)]["tags"])

    def group(self, conv: str) -> str | None:
        g = self.fake.tickets[int(conv)]["group_id"]
        return None if g is None else str(g)

    def resolved(self, conv: str) -> tuple[bytes, dict[str, str]]:
        return self.fake.signed(self.fake.status_event(int(conv), "OPEN", "SOLVED"))

    def reopened(self, conv: str) -> tuple[bytes, dict[str, str]]:
        return self.fake.signed(self.fake.status_event(int(conv), "SOLVED", "OPEN"))

    def rated(self, conv: str) -> tuple[tuple[bytes, dict[str, str]], float]:
        self.fake.rate(int(conv), "bad")  # a trigger on "Satisfaction is changed"
        return self.fake.signed({"ticket_id": conv, "event": "satisfaction"}), 1.0


class FreshdeskKit(Kit):
    name, reply_path, settings_class = "freshdesk", r"POST /api/v2/tickets/\d+/reply", \
        FreshdeskSettings

    def __init__(self) -> None:
        self.fake: fdk.FakeFreshdesk = fdk.FakeFreshdesk()

    def values(self) -> dict[str, Any]:
        return {"webhook_token": fdk.TOKEN, "base_url": self.fake.url, "api_key": fdk.API_KEY,
                "escalation_group_id": "42"}

    def _hook(self, conv: str, event: str) -> tuple[bytes, dict[str, str]]:
        body = b'{"ticket_id": "%s", "event": "%s"}' % (conv.encode(), event.encode())
        return body, {"X-Deskroute-Token": fdk.TOKEN, "content-type": "application/json"}

    def open(self, text: str) -> str:
        return str(self.fake.open_ticket("Question", f"<div>{text}</div>"))

    def opened_webhook(self, conv: str) -> tuple[bytes, dict[str, str]]:
        return self._hook(conv, "created")

    def customer_writes(self, conv: str, text: str) -> tuple[bytes, dict[str, str]]:
        self.fake.add_conversation(int(conv), f"<div>{text}</div>", incoming=True)
        return self._hook(conv, "replied")

    def replies(self, conv: str) -> list[str]:
        return self.fake.replies(int(conv))

    def notes(self, conv: str) -> list[str]:
        return self.fake.notes(int(conv))

    def tags(self, conv: str) -> list[str]:
        return list(self.fake.tickets[int(conv)]["tags"])

    def group(self, conv: str) -> str | None:
        g = self.fake.tickets[int(conv)]["group_id"]
        return None if g is None else str(g)

    def resolved(self, conv: str) -> tuple[bytes, dict[str, str]]:
        self.fake.set_status(int(conv), 4)  # Resolved; the rule "Status is changed" fires
        return self._hook(conv, "status")

    def reopened(self, conv: str) -> tuple[bytes, dict[str, str]]:
        self.fake.set_status(int(conv), 2)  # Open
        return self._hook(conv, "status")

    def rated(self, conv: str) -> tuple[tuple[bytes, dict[str, str]], float]:
        self.fake.rate(int(conv), 102)  # Very happy; the rule "Customer feedback is received"
        return self._hook(conv, "rating"), 4.33


class IntercomKit(Kit):
    name, reply_path, settings_class = "intercom", r"POST /conversations/\d+/reply", \
        IntercomSettings

    def __init__(self) -> None:
        self.fake: ick.FakeIntercom = ick.FakeIntercom()

    def values(self) -> dict[str, Any]:
        return {"client_secret": ick.CLIENT_SECRET, "access_token": ick.ACCESS_TOKEN,
                "admin_id": ick.BOT_ADMIN, "base_url": self.fake.url,
                "escalation_team_id": ick.TEAM}

    def open(self, text: str) -> str:
        return self.fake.start(f"<p>{text}</p>")

    def opened_webhook(self, conv: str) -> tuple[bytes, dict[str, str]]:
        return self.fake.signed(self.fake.notification("conversation.user.created", conv))

    def customer_writes(self, conv: str, text: str) -> tuple[bytes, dict[str, str]]:
        self.fake.add_part(conv, f"<p>{text}</p>")
        return self.fake.signed(self.fake.notification("conversation.user.replied", conv))

    def replies(self, conv: str) -> list[str]:
        return [p for p in self.fake.parts(conv, "comment")
                if p not in self._customer_parts(conv)]

    def _customer_parts(self, conv: str) -> list[str]:
        return [p["body"] for p in self.fake.conversations[conv]["conversation_parts"]
                ["conversation_parts"] if p["author"]["type"] != "admin"]

    def notes(self, conv: str) -> list[str]:
        return self.fake.parts(conv, "note")

    def tags(self, conv: str) -> list[str]:
        return self.fake.tag_names(conv)

    def group(self, conv: str) -> str | None:
        g = self.fake.conversations[conv]["team_assignee_id"]
        return None if g is None else str(g)

    def resolved(self, conv: str) -> tuple[bytes, dict[str, str]]:
        self.fake.set_state(conv, "closed")
        return self.fake.signed(self.fake.notification("conversation.admin.closed", conv))

    def reopened(self, conv: str) -> tuple[bytes, dict[str, str]]:
        self.fake.set_state(conv, "open")
        return self.fake.signed(self.fake.notification("conversation.admin.opened", conv))

    def rated(self, conv: str) -> tuple[tuple[bytes, dict[str, str]], float]:
        self.fake.rate(conv, 4)
        return self.fake.signed(self.fake.notification("conversation.rating.added", conv)), 4.0


class HelpScoutKit(Kit):
    name, reply_path, settings_class = "helpscout", r"POST /v2/conversations/\d+/reply", \
        HelpScoutSettings

    def __init__(self) -> None:
        self.fake: hsk.FakeHelpScout = hsk.FakeHelpScout()

    def values(self) -> dict[str, Any]:
        return {"secret": hsk.SECRET, "app_id": hsk.APP_ID, "app_secret": hsk.APP_SECRET,
                "base_url": self.fake.url, "escalation_assignee_id": str(hsk.TEAM_ID)}

    def open(self, text: str) -> str:
        return str(self.fake.start("Question", f"<p>{text}</p>"))

    def opened_webhook(self, conv: str) -> tuple[bytes, dict[str, str]]:
        return self.fake.signed(self.fake.payload(int(conv)), "convo.created")

    def customer_writes(self, conv: str, text: str) -> tuple[bytes, dict[str, str]]:
        self.fake.add_thread(int(conv), "customer", f"<p>{text}</p>")
        return self.fake.signed(self.fake.payload(int(conv)), "convo.customer.reply.created")

    def replies(self, conv: str) -> list[str]:
        return self.fake.threads_of(int(conv), "message")

    def notes(self, conv: str) -> list[str]:
        return self.fake.threads_of(int(conv), "note")

    def tags(self, conv: str) -> list[str]:
        return self.fake.tag_names(int(conv))

    def group(self, conv: str) -> str | None:
        a = self.fake.conversations[int(conv)]["assignee"]
        return None if a is None else str(a["id"])

    def resolved(self, conv: str) -> tuple[bytes, dict[str, str]]:
        self.fake.set_status(int(conv), "closed")
        return self.fake.signed(self.fake.payload(int(conv)), "convo.status")

    def reopened(self, conv: str) -> tuple[bytes, dict[str, str]]:
        self.fake.set_status(int(conv), "active")
        return self.fake.signed(self.fake.payload(int(conv)), "convo.status")

    def rated(self, conv: str) -> tuple[tuple[bytes, dict[str, str]], float]:
        return self.fake.signed(self.fake.rating(int(conv), "Okay"), "satisfaction.ratings"), 3.0


KITS: dict[str, type[Kit]] = {k.name: k for k in (ZendeskKit, FreshdeskKit, IntercomKit,
                                                   HelpScoutKit)}
EXPECTED_GROUP = {"zendesk": "360001", "freshdesk": "42", "intercom": ick.TEAM,
                  "helpscout": str(hsk.TEAM_ID)}
EXPECTED_TAG = {"zendesk": "deskroute_escalated", "freshdesk": "deskroute_escalated",
                "intercom": "deskroute_escalated", "helpscout": "deskroute-escalated"}


def fake_of(kit: Kit) -> FakeVendor:
    fake: FakeVendor = kit.fake
    return fake
