"""Printing helpers: JSON for machines, rich tables for people, clean errors for both."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

# piped or redirected (a report saved to a file, CI logs) rich would assume 80 columns and cut
# wide tables; COLUMNS, where set, still wins
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200)
# soft_wrap: an error stays one line whatever the terminal width (logs, grep, CI output)
err_console = Console(stderr=True, soft_wrap=True)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def fail(message: str, code: int = 2) -> NoReturn:
    # one line however long: a wrapped message reads like several errors
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
    raise typer.Exit(code)


def kv_table(title: str, rows: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for k, v in rows.items():
        table.add_row(k, _fmt(v))
    return table


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list | tuple):
        return "\n".join(str(x) for x in v) or "-"
    if isinstance(v, dict):
        return ", ".join(f"{k}={_fmt(x)}" for k, x in v.items()) or "-"
    return "-" if v is None else str(v)
