"""Partners' URLs on dashboard pages: a link only when it is https to an allowed host.

An Avito lead's `itemUrl` comes from outside; as an `href` it could be `javascript:` or lead an
operator to a look-alike site, so anything else is shown as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from markupsafe import Markup, escape

# Browsers read a backslash as a slash and drop tabs and newlines; Python's parser does not, so
# a URL with them could name one host here and reach another there.
UNSAFE = re.compile(r"[\\\s\x00-\x1f\x7f]")
_LINK = Markup('<a href="{url}" rel="noopener noreferrer">{url}</a>')


def linkable(url: str, allowed_hosts: Iterable[str]) -> bool:
    """https, no credentials, no unusual port, and the host one of `allowed_hosts` or below."""
    if UNSAFE.search(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() != "https" or "@" in parts.netloc or port not in (None, 443):
        return False
    return any(host == allowed or host.endswith("." + allowed) for allowed in _hosts(allowed_hosts))


def partner_link(url: str | None, allowed_hosts: Iterable[str]) -> Markup:
    """The URL as a link if `linkable`, else as escaped text; "—" when there is none."""
    if not url:
        return Markup("—")
    if linkable(url, allowed_hosts):
        return _LINK.format(url=url)  # format() escapes the URL in both places
    return escape(url)


def _hosts(allowed_hosts: Iterable[str]) -> list[str]:
    return [host.strip().lower().rstrip(".") for host in allowed_hosts if host.strip()]
