"""Connector registry: built-ins plus any installed ``deskroute.connectors`` entry point."""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from connectors.base import Connector

Factory = Callable[[], Connector]


def _builtins() -> dict[str, Factory]:
    from connectors.generic.connector import GenericConnector

    return {"generic": GenericConnector}


def available() -> dict[str, Factory]:
    found = _builtins()
    for ep in entry_points(group="deskroute.connectors"):
        found.setdefault(ep.name, ep.load())
    return found


def get_connector(name: str) -> Connector:
    factories = available()
    if name not in factories:
        raise KeyError(f"unknown connector {name!r}; known: {', '.join(sorted(factories))}")
    return factories[name]()
