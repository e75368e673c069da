"""Is a draft safe to hand to a helpdesk widget, a Slack message or an HTML e-mail?

Connectors render replies in places we do not control, so the draft must carry no markup
that a renderer would execute or fetch (HTML, scripts, event handlers, remote images) and no
link to a domain the operator has not allow-listed: a model that invents a link sends the
customer somewhere nobody vetted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

HTML_REASON = "html/script in draft"
IMAGE_REASON = "markdown image in draft"

_HTML_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?\s*>"),  # any tag ("a < b > c" is not)
    re.compile(r"<!--|<!\s*doctype|<\s*script|&lt;\s*/?\s*script", re.IGNORECASE),
    re.compile(r"\b(?:javascript|vbscript)\s*:|\bdata\s*:\s*text/html", re.IGNORECASE),
    re.compile(r"\bon[a-z]{3,}\s*=\s*[\"'`]", re.IGNORECASE),  # onerror="...", onclick='...'
)
_IMAGE_RE = re.compile(r"!\[[^\]]*\]\s*[\[(]")

_TLDS = (
    "com|net|org|io|co|uk|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|pt|ie|eu|us|ca|au|nz|in|jp|"
    "cn|ru|br|mx|info|biz|app|dev|ai|me|ly|tv|xyz|site|online|shop|store|gov|edu|example|test"
)
_SCHEME_URL_RE = re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`)\]]+|\bwww\.[^\s<>\"'`)\]]+", re.I)
_BARE_DOMAIN_RE = re.compile(
    r"(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:" + _TLDS + r")(?![\w-])"
    r"(?:/[^\s<>\"'`)\]]*)?",
    re.IGNORECASE,
)
_EMAIL_MASK_RE = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
_TRAILING_PUNCT = ".,;:!?*_"


def _mask(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def find_url_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) for every link-like string, in text order; see :func:`find_urls`."""
    text = _mask(text, _EMAIL_MASK_RE)
    found: list[tuple[int, int, str]] = []
    for pattern in (_SCHEME_URL_RE, _BARE_DOMAIN_RE):
        for m in pattern.finditer(text):
            url = m.group().rstrip(_TRAILING_PUNCT)
            found.append((m.start(), m.start() + len(url), url))
        text = _mask(text, pattern)
    return sorted(found)


def find_urls(text: str) -> list[str]:
    """URLs with a scheme, ``www.`` links and bare domains with a common TLD, in text order.

    E-mail addresses are not links; bare domains count because most renderers auto-link them.
    """
    return [url for _, _, url in find_url_spans(text)]


def url_host(url: str) -> str:
    """Lower-case host of a URL that may lack a scheme."""
    if "://" not in url:
        url = "http://" + url
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:  # malformed port or IPv6 literal
        return ""


def domain_allowed(host: str, allowed_domains: Sequence[str]) -> bool:
    """A host is allowed when it is an allow-listed domain or a subdomain of one."""
    for domain in allowed_domains:
        d = domain.strip().lower().lstrip(".")
        if d and (host == d or host.endswith("." + d)):
            return True
    return False


def disallowed_links(text: str, allowed_domains: Sequence[str]) -> list[str]:
    """One reason per distinct host that is not allow-listed (all hosts when the list is empty)."""
    reasons: list[str] = []
    for url in find_urls(text):
        host = url_host(url) or url
        reason = f"link to non-allow-listed domain: {host}"
        if not domain_allowed(host, allowed_domains) and reason not in reasons:
            reasons.append(reason)
    return reasons


def safe_to_render(text: str) -> list[str]:
    """Reasons the draft could execute or fetch something when rendered; empty when safe."""
    reasons: list[str] = []
    if any(pattern.search(text) for pattern in _HTML_RES):
        reasons.append(HTML_REASON)
    if _IMAGE_RE.search(text):
        reasons.append(IMAGE_REASON)
    return reasons
