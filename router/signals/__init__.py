"""Cheap risk signals that policies use to escalate (see docs/SIGNALS.md)."""

from router.signals.base import (
    SIGNAL_NAMES,
    SignalDetector,
    build_detectors,
    detect_signals,
)
from router.signals.settings import SignalSettings

__all__ = [
    "SIGNAL_NAMES",
    "SignalDetector",
    "SignalSettings",
    "build_detectors",
    "detect_signals",
]
