"""Reading labelled ticket CSVs (``text,intent``) with errors a support-ops person can act on.

Every command that trains or evaluates starts here, so a bad file fails fast with a sentence
that names the file and the problem, instead of a stack trace deep inside scikit-learn.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from router.classify.base import OOS

LabelledRows = list[tuple[str, str]]


def read_labelled_csv(
    path: str | Path, *, min_classes: int = 2, empty_text: str = "error"
) -> LabelledRows:
    """Rows ``(text, intent)`` from a CSV with a header; extra columns are ignored.

    Raises ``ValueError`` for an empty or malformed file, a missing ``text``/``intent`` column,
    an empty intent, or fewer than ``min_classes`` in-scope intents. Empty texts raise by
    default; public data sets do contain a few, so ``empty_text="skip"`` drops them (training)
    and ``"keep"`` keeps them (a test set must route every row; an empty ticket escalates).
    """
    if empty_text not in ("error", "skip", "keep"):
        raise ValueError("empty_text must be 'error', 'skip' or 'keep'")
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"{file}: no such file")
    try:
        raw = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{file}: not a UTF-8 text file ({exc.reason})") from None
    if not raw.strip():
        raise ValueError(f"{file}: the file is empty; expected a header 'text,intent' and rows")
    try:
        reader = csv.DictReader(raw.splitlines())
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        reader.fieldnames = header
        missing = [col for col in ("text", "intent") if col not in header]
        if missing:
            raise ValueError(
                f"{file}: missing column(s) {', '.join(missing)}; the header must contain "
                f"'text' and 'intent' (found: {', '.join(header) or 'nothing'})"
            )
        rows: LabelledRows = []
        for line_no, record in enumerate(reader, start=2):
            text = (record.get("text") or "").strip()
            intent = (record.get("intent") or "").strip()
            if None in record:  # more fields than the header: a broken quote or delimiter
                raise ValueError(f"{file}, line {line_no}: more fields than the header has")
            if not text:
                if empty_text == "skip":
                    continue
                if empty_text == "error":
                    raise ValueError(f"{file}, line {line_no}: empty text")
            if not intent:
                raise ValueError(f"{file}, line {line_no}: empty intent")
            rows.append((text, intent))
    except csv.Error as exc:
        raise ValueError(f"{file}: malformed CSV ({exc})") from None
    if not rows:
        raise ValueError(f"{file}: a header but no rows")
    check_classes(rows, min_classes=min_classes, source=str(file))
    return rows


def check_classes(
    rows: Sequence[tuple[str, str]], *, min_classes: int = 2, source: str = ""
) -> None:
    """A classifier needs at least two in-scope intents; say so plainly if it has fewer."""
    if min_classes <= 0:
        return
    intents = {intent for _, intent in rows if intent != OOS}
    if len(intents) < min_classes:
        where = f"{source}: " if source else ""
        found = ", ".join(sorted(intents)) or "none"
        raise ValueError(
            f"{where}training needs at least {min_classes} in-scope intents (not '{OOS}'); "
            f"found {len(intents)}: {found}"
        )
