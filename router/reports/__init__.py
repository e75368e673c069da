"""Support-ops reporting: outcomes, true cost, verified resolution (docs/METRICS.md).

Everything is computed by SQL aggregates over the store (``facts`` → ``aggregate``), never by
loading tickets, so the CLI, ``GET /report``, the dashboard and ``/metrics`` read the same
figures at any volume.
"""

from router.reports.build import build_report
from router.reports.window import Window, make_window, parse_since, parse_when

__all__ = ["Window", "build_report", "make_window", "parse_since", "parse_when"]
