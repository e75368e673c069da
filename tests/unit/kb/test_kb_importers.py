"""Importers: every supported layout, every refusal, and deduplication by content."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from router.kb.importers import (
    BITEXT,
    MARKDOWN,
    QA_CSV,
    default_kb_path,
    detect_format,
    ensure_default_kb,
    import_file,
    read_entries,
    templatise,
)
from router.store.db import unit_of_work
from router.store.models import KBEntry


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_folder_one_entry_per_file(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    write(folder / "returns.md", "Intro line\n# Returning an item\n\nReturns within 30 days.\n")
    write(folder / "sub" / "no_heading.md", "Just a body.")
    write(folder / "shipping.md", "---\nintent: shipping_time\ncategory: SHIPPING\n---\n"
          "# Shipping times\nStandard shipping takes 3 to 5 business days.\n")
    write(folder / "notes.txt", "# Not an article")
    fmt, entries = read_entries(folder)
    assert fmt == MARKDOWN
    by_ref = {e.ref: e for e in entries}
    assert sorted(by_ref) == ["returns.md", "shipping.md", "sub/no_heading.md"]
    assert by_ref["returns.md"].title == "Returning an item"
    assert by_ref["returns.md"].answer == "Intro line\n\nReturns within 30 days."
    assert by_ref["sub/no_heading.md"].title == "no heading"
    assert by_ref["shipping.md"].intent == "shipping_time"
    assert by_ref["shipping.md"].category == "SHIPPING"


def test_qa_csv_with_and_without_intent(tmp_path: Path) -> None:
    path = write(tmp_path / "qa.csv", "Question,Answer,intent\nHow?,Like this.,howto\n"
                 "Why?,Because.,\n")
    fmt, entries = read_entries(path)
    assert fmt == QA_CSV
    assert [(e.question, e.answer, e.intent) for e in entries] == [
        ("How?", "Like this.", "howto"), ("Why?", "Because.", None)]


def test_bitext_layout_maps_columns_and_templatises_ids(tmp_path: Path) -> None:
    path = tmp_path / "bitext.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "intent", "category", "response"])
        w.writerow(["cancel order 113542617735902", "cancel_order", "ORDER",
                    "I can cancel order 113542617735902 via {{Order Details}}."])
    fmt, entries = read_entries(path)
    assert fmt == BITEXT
    (entry,) = entries
    assert entry.question == "cancel order 113542617735902"
    assert entry.answer == "I can cancel order {{Order Number}} via {{Order Details}}."
    assert (entry.intent, entry.category) == ("cancel_order", "ORDER")


def test_templatise_variants() -> None:
    assert templatise("check invoice #85632", "invoice #85632 is {{85632}}") == (
        "invoice {{Invoice Number}} is {{Invoice Number}}")
    # The synthetic answers sometimes append digits to the id of the question.
    assert templatise("cancel purchase 3707955617", "purchase 370795561790.") == (
        "purchase {{Order Number}}.")
    assert templatise("where is my parcel?", "Call 1200 for help.") == "Call 1200 for help."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty file"),
        ("foo,bar\n1,2\n", "unknown layout"),
        ("question,intent\nq,i\n", r"lacks column\(s\) answer"),
        ("text,intent,category\nt,i,c\n", r"lacks column\(s\) response"),
        ("question,answer\n", "no entries found"),
    ],
)
def test_bad_csv_files_raise_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path / "bad.csv", content)
    with pytest.raises(ValueError, match=message):
        read_entries(path)


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        detect_format(tmp_path / "nope.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"no \.md files"):
        read_entries(tmp_path / "empty")


def test_import_dedupes_within_file_and_across_imports(tmp_path: Path, kb_url: str) -> None:
    path = write(tmp_path / "qa.csv", "question,answer\nHow?,Like this.\nhow? ,like  THIS.\n"
                 "Empty?,\nOther?,Other answer.\n")
    with unit_of_work(kb_url) as session:
        first = import_file(session, path, kb="shop")
    assert (first.added, first.duplicates, first.skipped_empty) == (2, 1, 1)
    with unit_of_work(kb_url) as session:
        again = import_file(session, path, kb="shop")
        other_kb = import_file(session, path, kb="other")
    assert (again.added, again.duplicates) == (0, 3)
    assert other_kb.added == 2  # deduplication is per knowledge base
    with unit_of_work(kb_url) as session:
        assert session.scalar(select(func.count()).select_from(KBEntry)) == 4


def test_ensure_default_kb_imports_once(kb_url: str) -> None:
    with unit_of_work(kb_url) as session:
        added = ensure_default_kb(session)
    with unit_of_work(kb_url) as session:
        assert ensure_default_kb(session) == 0
        intents = set(session.scalars(select(KBEntry.intent)))
    assert added >= 30
    assert "password_reset" in intents and "product_availability" in intents


def test_shipped_kb_covers_the_shop_intents_with_safe_links() -> None:
    intents = ("password_reset order_status shipping_time return_policy refund_status "
               "cancel_order change_address payment_methods damaged_item missing_item "
               "account_delete discount_code invoice_request opening_hours_contact "
               "product_availability").split()
    _, entries = read_entries(default_kb_path())
    for intent in intents:
        assert sum(e.intent == intent for e in entries) >= 2, intent
    from router.guard.render import find_urls, url_host

    hosts = {url_host(u) for e in entries for u in find_urls(e.answer)}
    assert hosts == {"help.northwind.example"}
