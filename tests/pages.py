"""Reading a list page's pagination links, as a reader follows them."""

from __future__ import annotations

import html as html_lib
import re


def page_link(html: str, rel: str) -> str | None:
    """The href of the pagination link ``rel`` ("next" or "prev"), or None when it is disabled or absent."""
    match = re.search(rf'<a class="page-link" rel="{rel}" href="([^"]*)"', html)
    if match is None or match.group(1) == "#":
        return None
    return html_lib.unescape(match.group(1))
