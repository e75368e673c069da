"""Bad training files must fail with a sentence naming the problem, not deep in scikit-learn."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.classify.dataio import read_labelled_csv


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text(body, encoding="utf-8")
    return path


def test_reads_rows_and_ignores_extra_columns(tmp_path: Path) -> None:
    path = _write(tmp_path, "text,intent,category\nhello there,greet,x\nbye now,leave,y\n")
    assert read_labelled_csv(path) == [("hello there", "greet"), ("bye now", "leave")]


def test_header_is_case_insensitive_and_bom_tolerant(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text("\ufeffText,Intent\r\na b,one\r\nc d,two\r\n", encoding="utf-8")
    assert read_labelled_csv(path) == [("a b", "one"), ("c d", "two")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("text,intent\n", "no rows"),
        ("text,label\nhello,greet\n", "missing column(s) intent"),
        ("words\nhello\n", "missing column(s) text, intent"),
        ("text,intent\nhello,greet\nhi,greet\n", "at least 2 in-scope intents"),
        ("text,intent\nhello,greet\nnope,oos\n", "at least 2 in-scope intents"),
        ("text,intent\nhello,greet\n,leave\n", "line 3: empty text"),
        ("text,intent\nhello,greet\nbye,\n", "line 3: empty intent"),
        ("text,intent\nhello,greet,extra\nbye,leave\n", "more fields"),
    ],
)
def test_bad_files_raise_clear_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_labelled_csv(_write(tmp_path, body))


def test_missing_file_and_binary_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such file"):
        read_labelled_csv(tmp_path / "nope.csv")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(ValueError, match="UTF-8"):
        read_labelled_csv(binary)


def test_empty_text_policies(tmp_path: Path) -> None:
    path = _write(tmp_path, "text,intent\nhello,greet\n  ,greet\nbye,leave\n")
    assert len(read_labelled_csv(path, empty_text="skip")) == 2
    kept = read_labelled_csv(path, empty_text="keep")
    assert kept[1] == ("", "greet")


def test_test_sets_may_have_one_class(tmp_path: Path) -> None:
    path = _write(tmp_path, "text,intent\nhello,greet\n")
    assert read_labelled_csv(path, min_classes=0) == [("hello", "greet")]
