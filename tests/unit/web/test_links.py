"""Which partner URLs become links: https to an allowed host only, whatever tricks the text."""

from __future__ import annotations

import pytest

from leadbridge.web.links import linkable, partner_link

AVITO = ["avito.ru", "www.avito.ru", "m.avito.ru"]


@pytest.mark.parametrize(
    "url",
    [
        "https://www.avito.ru/moskva/telefony/iphone_13_128_gb_1234567890",
        "https://avito.ru/i/1",
        "https://m.avito.ru/sankt-peterburg/planshety/ipad_1",
        "https://spb.avito.ru/x",  # a subdomain of an allowed host
        "HTTPS://WWW.AVITO.RU/x",
        "https://www.avito.ru:443/x",
    ],
)
def test_avitos_own_urls_are_links(url: str) -> None:
    assert linkable(url, AVITO)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "http://www.avito.ru/x",  # not https
        "//www.avito.ru/x",  # no scheme of its own
        "/leads/1",
        "https://avito.ru.evil.example/x",
        "https://evilavito.ru/x",
        "https://www.avito.ru@evil.example/x",  # credentials: the host is evil.example
        "https://evil.example\\@www.avito.ru/x",  # browsers read the backslash as a slash
        "https://evil.example\\.avito.ru/x",
        "https://www.avito.ru:8443/x",
        "https://www.avito.ru:99999/x",  # no such port: urlsplit raises
        "https://[www.avito.ru/x",  # unparsable
        "https://www.avito.ru./x",
        "https:///x",
        "",
    ],
)
def test_anything_else_is_not(url: str) -> None:
    assert not linkable(url, AVITO)


def test_the_link_and_the_plain_text_are_escaped() -> None:
    link = partner_link('https://www.avito.ru/x?a=1&b="2"', AVITO)
    assert link == (
        '<a href="https://www.avito.ru/x?a=1&amp;b=&#34;2&#34;" rel="noopener noreferrer">'
        "https://www.avito.ru/x?a=1&amp;b=&#34;2&#34;</a>"
    )
    assert partner_link('javascript:alert("<b>")', AVITO) == "javascript:alert(&#34;&lt;b&gt;&#34;)"
    assert partner_link(None, AVITO) == "—"


def test_the_allowed_hosts_are_a_setting() -> None:
    assert linkable("https://example.com/a", ["Example.COM "])
    assert not linkable("https://www.avito.ru/a", ["example.com"])
    assert not linkable("https://www.avito.ru/a", [])
