"""The text a chat shows for `parse_mode=HTML`: tags taken out, entities decoded, unsupported
tags refused as the Bot API refuses them ("can't parse entities"). Markdown modes are kept as
sent: the simulator does not parse them."""

from __future__ import annotations

from html.parser import HTMLParser

# core.telegram.org/bots/api#html-style
SUPPORTED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
        "a", "tg-emoji", "code", "pre", "blockquote",
    }
)  # fmt: skip


class MarkupRefused(ValueError):
    pass


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SUPPORTED_TAGS:
            raise MarkupRefused(f'Unsupported start tag "{tag}"')

    def handle_endtag(self, tag: str) -> None:
        if tag not in SUPPORTED_TAGS:
            raise MarkupRefused(f'Unsupported end tag "{tag}"')

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def shown_text(text: str, parse_mode: str | None) -> str:
    """Raises `MarkupRefused` for HTML the Bot API would not take."""
    if (parse_mode or "").upper() != "HTML":
        return text
    parser = _Text()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)
