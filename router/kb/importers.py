"""Turn support-team files into knowledge-base rows.

Three layouts cover what support teams actually have: a folder of Markdown help articles, a
spreadsheet of approved question/answer pairs, and the Bitext customer-support data set. The
layout is detected from the path and the CSV header so that ``kb import FILE`` needs no flags,
and every unreadable input fails with a ``ValueError`` that says what was expected.

Bitext answers repeat the order number of the question they were written for; such values are
turned back into ``{{Order Number}}`` placeholders on import, so an approved answer never leaks
one customer's order number into another customer's reply.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from router.store.models import KBEntry

MARKDOWN = "markdown"
QA_CSV = "qa-csv"
BITEXT = "bitext"

_QA_COLUMNS = ("question", "answer")
_BITEXT_COLUMNS = ("text", "response")
# Order/invoice ids in a question: five or more digits, maybe after a short prefix (ORD-).
_INSTANCE_ID_RE = re.compile(r"(?:(?<![\w-])[A-Za-z]{2,5}-)?(?<!\d)\d{5,}(?!\d)")
_INVOICE_WORD_RE = re.compile(r"\b(?:invoice|bill|receipt)\b", re.IGNORECASE)
_FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


@dataclass(frozen=True)
class EntryData:
    """One approved answer before it is stored."""

    ref: str
    question: str
    answer: str
    title: str = ""
    intent: str | None = None
    category: str | None = None

    @property
    def content_hash(self) -> str:
        """Identity for deduplication: same question and answer (whitespace/case aside)."""
        norm = " ".join(f"{self.question}\n{self.answer}".split()).casefold()
        return hashlib.sha256(norm.encode()).hexdigest()


@dataclass(frozen=True)
class ImportReport:
    source: str
    format: str
    kb: str
    added: int
    duplicates: int
    skipped_empty: int


def detect_format(path: Path) -> str:
    """``markdown`` for a folder or .md file, else the CSV layout named by its header."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir() or path.suffix.lower() in (".md", ".markdown"):
        return MARKDOWN
    columns = _header(path)
    if "text" in columns or "response" in columns:
        _require(path, columns, _BITEXT_COLUMNS, "Bitext (text,intent,category,response)")
        return BITEXT
    if "question" in columns or "answer" in columns:
        _require(path, columns, _QA_COLUMNS, "Q&A (question,answer[,intent])")
        return QA_CSV
    raise ValueError(
        f"{path}: unknown layout (columns {', '.join(columns) or 'none'}); expected a folder "
        "of .md files, a CSV with question,answer[,intent] or the Bitext layout "
        "text,intent,category,response"
    )


def read_entries(path: Path) -> tuple[str, list[EntryData]]:
    """Parse ``path`` into entries (no database access); raises ValueError on bad input."""
    fmt = detect_format(path)
    entries = _read_markdown(path) if fmt == MARKDOWN else _read_csv(path, fmt)
    if not entries:
        raise ValueError(f"{path}: no entries found (empty file or folder)")
    return fmt, entries


def import_file(session: Session, path: Path, *, kb: str = "default") -> ImportReport:
    """Read ``path`` and add its new entries to ``kb`` (flushes; the caller commits)."""
    fmt, entries = read_entries(path)
    added, duplicates, empty = import_entries(session, entries, kb=kb, source=path.name)
    return ImportReport(str(path), fmt, kb, added, duplicates, empty)


def import_entries(
    session: Session, entries: Iterable[EntryData], *, kb: str, source: str
) -> tuple[int, int, int]:
    """Insert entries not yet in ``kb``; returns (added, duplicates, skipped_empty)."""
    seen = set(session.scalars(select(KBEntry.content_hash).where(KBEntry.kb == kb)))
    added = duplicates = empty = 0
    for entry in entries:
        if not entry.answer.strip():
            empty += 1
            continue
        digest = entry.content_hash
        if digest in seen:
            duplicates += 1
            continue
        seen.add(digest)
        session.add(
            KBEntry(
                kb=kb, source=source[:255], ref=entry.ref[:255], title=entry.title,
                question=entry.question, answer=entry.answer, intent=entry.intent,
                category=entry.category, content_hash=digest,
            )
        )
        added += 1
    session.flush()
    return added, duplicates, empty


def templatise(question: str, answer: str) -> str:
    """Replace ids copied from the question into the answer with a number placeholder.

    The Bitext answers sometimes wrap the id in braces, prefix it with ``#`` or append digits
    to it, so those variants are replaced too.
    """
    placeholder = (
        "{{Invoice Number}}" if _INVOICE_WORD_RE.search(question) else "{{Order Number}}"
    )
    for value in sorted(set(_INSTANCE_ID_RE.findall(question)), key=len, reverse=True):
        pattern = rf"(?:\{{\{{\s*#?{re.escape(value)}\d*\s*\}}\}}|#?(?<!\d){re.escape(value)}\d*)"
        answer = re.sub(pattern, lambda _m: placeholder, answer)
    return answer


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        row = next(csv.reader(fh), None)
    if not row or not any(cell.strip() for cell in row):
        raise ValueError(f"{path}: empty file (no CSV header)")
    return [cell.strip().lower() for cell in row]


def _require(path: Path, columns: Sequence[str], needed: Sequence[str], layout: str) -> None:
    missing = [c for c in needed if c not in columns]
    if missing:
        raise ValueError(f"{path}: looks like the {layout} layout but lacks column(s) "
                         f"{', '.join(missing)}")


def _read_csv(path: Path, fmt: str) -> list[EntryData]:
    q_col, a_col = _BITEXT_COLUMNS if fmt == BITEXT else _QA_COLUMNS
    entries: list[EntryData] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        reader.fieldnames = [(name or "").strip().lower() for name in reader.fieldnames or []]
        for line, row in enumerate(reader, start=2):
            question = (row.get(q_col) or "").strip()
            answer = (row.get(a_col) or "").strip()
            entries.append(
                EntryData(
                    ref=f"row {line}",
                    question=question,
                    answer=templatise(question, answer),
                    intent=(row.get("intent") or "").strip() or None,
                    category=(row.get("category") or "").strip() or None,
                )
            )
    return entries


def _read_markdown(path: Path) -> list[EntryData]:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.md") if p.is_file())
    if not files:
        raise ValueError(f"{path}: no .md files in this folder")
    entries = []
    for file in files:
        text = file.read_text(encoding="utf-8-sig")
        meta, text = _front_matter(text)
        title, body = _split_title(text, default=file.stem.replace("-", " ").replace("_", " "))
        ref = str(file.relative_to(path)) if path.is_dir() else file.name
        entries.append(
            EntryData(ref=ref, question=title, answer=body, title=title,
                      intent=meta.get("intent"), category=meta.get("category"))
        )
    return entries


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Optional ``---`` block with ``key: value`` lines (intent, category)."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    meta = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            meta[key.strip().lower()] = value.strip().strip("'\"")
    return meta, text[match.end():]


def _split_title(text: str, *, default: str) -> tuple[str, str]:
    """Title = the first ``# `` heading (removed from the body), else the file name."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("# "):
            return line[2:].strip(), "\n".join(lines[:i] + lines[i + 1:]).strip()
    return default, text.strip()


def default_kb_path() -> Path:
    """The approved answers shipped for the demo shop (Northwind Goods)."""
    from router.settings import DATA_DIR

    return DATA_DIR / "shop_kb.csv"


def count_entries(session: Session) -> int:
    """How many approved answers the store holds (all knowledge bases)."""
    return int(session.scalar(select(func.count(KBEntry.id))) or 0)


def ensure_default_kb(session: Session, *, kb: str = "default", path: Path | None = None) -> int:
    """Import the shipped KB when the table is empty; returns the rows added (flushes only).

    Loading a KB never imports anything by itself: only the demo (and operators who want it)
    call this, so a real deployment never answers from the demo shop's policies.
    """
    if session.scalar(select(KBEntry.id).limit(1)) is not None:
        return 0
    return import_file(session, path or default_kb_path(), kb=kb).added
