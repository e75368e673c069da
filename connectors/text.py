"""Helpdesk message bodies to the plain text the classifier and the models read.

Vendors hand over HTML (Intercom, Help Scout, Freshdesk) with the quoted e-mail history still
attached. Answering the quote instead of the new message is the classic support-bot mistake,
so quoted blocks are dropped: ``<blockquote>``, vendor quote containers (Freshdesk's
``freshdesk_quote``, Gmail's ``gmail_quote``), ``>``-prefixed lines and everything after an
"On … wrote:" or "-----Original Message-----" line.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset({
    "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "pre", "section", "article", "header", "footer",
})
_DROP_TAGS = frozenset({"script", "style", "head", "title", "blockquote"})
_QUOTE_CLASSES = ("freshdesk_quote", "gmail_quote", "yahoo_quoted", "moz-cite-prefix",
                  "ms-outlook-quote")
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr"})

_ENTITY = re.compile(r"&(amp|lt|gt|quot|apos|nbsp|#\d+|#x[0-9a-fA-F]+);")
_REPLY_HEADER = re.compile(
    r"^\s*(On .{0,300}wrote:|Le .{0,300}a écrit\s?:|Am .{0,300}schrieb .{0,100}:|"
    r"-{2,}\s*Original Message\s*-{2,}|_{5,}|From:\s.+)\s*$",
    re.IGNORECASE,
)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, dropping)
        self._dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = " ".join(v or "" for k, v in attrs if k == "class")
        drop = tag in _DROP_TAGS or any(c in classes for c in _QUOTE_CLASSES)
        if tag in _BLOCK_TAGS and not self._dropping:
            self.parts.append("\n")
        if tag in _VOID:
            return
        self._stack.append((tag, drop))
        if drop:
            self._dropping += 1

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, drop = self._stack.pop()
            if drop:
                self._dropping -= 1
            if open_tag == tag:
                break
        if tag in _BLOCK_TAGS and not self._dropping:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, one paragraph per line, quotes removed."""
    if "<" not in markup:
        return html.unescape(markup)
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def strip_quoted(text: str) -> str:
    """Drop ``>`` lines and everything from a reply header ("On … wrote:") on."""
    kept: list[str] = []
    for line in text.splitlines():
        if _REPLY_HEADER.match(line) and any(k.strip() for k in kept):
            break  # a header above everything would be the message itself, not a quote
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


def clean_body(body: str, *, is_html: bool | None = None) -> str:
    """HTML or plain text to the new message only, whitespace tidied."""
    looks_html = bool(re.search(r"<[a-zA-Z/][^>]*>", body)) if is_html is None else is_html
    if looks_html:
        text = html_to_text(body)
    else:  # vendors escape plain text too ("Fish &amp; chips")
        text = html.unescape(body) if _ENTITY.search(body) else body
    text = strip_quoted(text.replace("\r\n", "\n").replace("\xa0", " "))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:  # HTML paragraphs become lines; plain text keeps one blank line
        if line or (not looks_html and out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def plain_to_html(text: str) -> str:
    """A plain-text answer as the HTML body helpdesk APIs expect (escaped, lines kept)."""
    return "<br>".join(html.escape(line) for line in text.splitlines()) or html.escape(text)


_SENT_FROM = re.compile(
    r"^(sent from my \S.{0,60}|sent from (mail|outlook|yahoo mail) for \S.{0,40}|"
    r"get outlook for \S.{0,40}|envoyé de mon \S.{0,40}|von meinem \S.{0,60} gesendet)\.?$",
    re.IGNORECASE,
)


def strip_signature(text: str) -> str:
    """Drop an e-mail signature: everything from the ``-- `` separator line (RFC 3676), and a
    trailing "Sent from my iPhone"-style line. A separator on the first line is kept (then
    the whole message would go)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if i and line.rstrip() == "--":
            lines = lines[:i]
            break
    while lines and (not lines[-1].strip() or _SENT_FROM.match(lines[-1].strip())):
        if len([x for x in lines if x.strip()]) == 1 and lines[-1].strip():
            break  # the message is only that line: keep it
        lines.pop()
    return "\n".join(lines).strip()
