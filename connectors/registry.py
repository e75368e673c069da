"""Connector registry: built-ins plus any installed ``deskroute.connectors`` entry point.

Connectors are built at the edge from settings handed in (``Registry(settings={...})``);
nothing below reads the environment except a settings class built for a connector whose
settings were not handed in. A built connector is cached per registry, so one process keeps
one client (and one OAuth token) per vendor.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from importlib import import_module
from importlib.metadata import entry_points

from pydantic_settings import BaseSettings

from connectors.base import Connector

BUILTINS = {
    "generic": "connectors.generic.connector:GenericConnector",
    "zendesk": "connectors.zendesk.connector:ZendeskConnector",
    "freshdesk": "connectors.freshdesk.connector:FreshdeskConnector",
    "intercom": "connectors.intercom.connector:IntercomConnector",
    "helpscout": "connectors.helpscout.connector:HelpScoutConnector",
    "slack": "connectors.slack.connector:SlackConnector",
    "email": "connectors.email.connector:EmailConnector",
}


def _load(path: str) -> type[Connector]:
    module, _, attr = path.partition(":")
    cls: type[Connector] = getattr(import_module(module), attr)
    return cls


def available() -> dict[str, type[Connector]]:
    found = {name: _load(path) for name, path in BUILTINS.items()}
    for ep in entry_points(group="deskroute.connectors"):
        found.setdefault(ep.name, ep.load())
    return found


def build_connector(name: str, settings: BaseSettings | None = None) -> Connector:
    """One connector from its settings (read from ``DESKROUTE_*`` when none is given)."""
    classes = available()
    if name not in classes:
        raise KeyError(f"unknown connector {name!r}; known: {', '.join(sorted(classes))}")
    cls = classes[name]
    if settings is None and cls.settings_class is not None:
        settings = cls.settings_class()
    return cls(settings) if cls.settings_class is not None else cls()  # type: ignore[call-arg]


class Registry:
    """The connectors of one process, built lazily from the settings handed in."""

    def __init__(self, settings: Mapping[str, BaseSettings] | None = None) -> None:
        self._settings = dict(settings or {})
        self._built: dict[str, Connector] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Connector:
        with self._lock:
            if name not in self._built:
                self._built[name] = build_connector(name, self._settings.get(name))
            return self._built[name]

    def names(self) -> list[str]:
        return sorted(available())

    def build_all(self) -> Registry:
        """Build every connector now, so a bad setting (a short secret, a malformed URL)
        stops the process at start-up with pydantic's error naming the field, instead of
        failing the first webhook."""
        for name in self.names():
            self.get(name)
        return self


def get_connector(name: str) -> Connector:
    """Build one connector from the environment (for callers that hold no ``Registry``)."""
    return build_connector(name)
