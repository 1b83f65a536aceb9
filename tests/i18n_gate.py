"""Tools of the translation gate: the pseudo-locale, and finding visible text that skipped gettext.

The pseudo-locale is built from ``messages.pot`` at test time (polib): every run of words in
every message becomes ``‹Àççéñtéd wórds›``, while placeholders (``%(name)s``, ``{name}``),
HTML tags and entities stay as they are, *outside* the marks. Rendered in that locale, a page
whose visible text still has a word outside ‹…› shows text that did not go through gettext
(or a value put into a message that is itself untranslated), unless it is data: a whole value
stored in the database (a name, an email, a course title), a number, a link, a month name from
Babel... (``DataWords``). Data is matched as whole values, not word by word: the demo's data is
English, and its words one by one would let any English sentence made of them through.
"""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
from babel import Locale

from app.i18n_catalog import TEMPLATE

PSEUDO_LOCALE = "en_001"  # a real CLDR locale (so Babel formats dates and numbers) that Aula never offers
OPEN, CLOSE = "‹", "›"  # in every embedded PDF font; never used by Aula's own messages

_TOKEN = re.compile(
    r"(%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[sdifr]"  # %(name)s
    r"|%[sdifr%]"  # %s
    r"|\{[A-Za-z_][A-Za-z0-9_]*\}"  # {name}
    r"|<[^<>]+>"  # an HTML tag
    r"|&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)"  # an entity
)
_ACCENTS = str.maketrans("aeiouycnAEIOUYCN", "áéíóúýçñÁÉÍÓÚÝÇÑ")


def pseudo(message: str) -> str:
    """``message`` with each run of text accented and marked, placeholders and tags untouched."""
    out = []
    for part in _TOKEN.split(message):
        if not part:
            continue
        if _TOKEN.fullmatch(part) or not re.search(r"[^\W\d_]", part):
            out.append(part)
        else:
            core = part.strip()
            lead, trail = part[: len(part) - len(part.lstrip())], part[len(part.rstrip()):]
            out.append(f"{lead}{OPEN}{core.translate(_ACCENTS)}{CLOSE}{trail}")
    return "".join(out)


def build_pseudo_catalog(directory: Path, template: Path = TEMPLATE) -> Path:
    """Write and compile ``<directory>/en_001/LC_MESSAGES/messages.mo`` from the template."""
    catalog = polib.pofile(str(template))
    catalog.metadata["Language"] = PSEUDO_LOCALE
    catalog.metadata["Plural-Forms"] = "nplurals=2; plural=(n != 1);"
    for entry in catalog:
        if entry.msgid_plural:
            entry.msgstr_plural = {0: pseudo(entry.msgid), 1: pseudo(entry.msgid_plural)}
        else:
            entry.msgstr = pseudo(entry.msgid)
    target = directory / PSEUDO_LOCALE / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    catalog.save_as_mofile(str(target / "messages.mo"))
    return directory


# --- what a person sees -------------------------------------------------------------------

_SKIP_ELEMENTS = {"script", "style", "template", "noscript"}
_TEXT_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "aria-roledescription",
                    "data-error-message", "data-offline-message"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in _SKIP_ELEMENTS and tag not in _VOID:
            self._skip += 1
        for name, value in attrs.items():
            if value and (name in _TEXT_ATTRIBUTES):
                self.texts.append(value)
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.texts.append(attrs["value"])
        if tag == "meta" and attrs.get("name") == "description" and attrs.get("content"):
            self.texts.append(attrs["content"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in _SKIP_ELEMENTS:
            self._skip -= 1

    def handle_endtag(self, tag):
        if tag in _SKIP_ELEMENTS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def visible_texts(html: str) -> list[str]:
    """The text nodes and the text-bearing attributes of an HTML page or fragment."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.texts


def csv_texts(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def xlsx_texts(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return [str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row
            if cell is not None] + list(workbook.sheetnames)


# --- what is data ----------------------------------------------------------------------------

WORD = re.compile(r"[^\W\d_]{2,}")
# Links, email addresses and #rrggbb colours are data, whatever letters they hold.
_ADDRESSES = re.compile(r"https?://\S*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|#[0-9a-fA-F]{6}\b")
_MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")


def strip_marked(text: str) -> str:
    """The text without its translated (marked) runs, innermost first."""
    while True:
        stripped = _MARKED.sub(" ", text)
        if stripped == text:
            return text
        text = stripped


class DataWords:
    """What may stand outside the marks: data (whole values people typed), not interface text."""

    def __init__(self, *values: str):
        self.words: set[str] = set()
        self.phrases: set[str] = set()
        self._pattern = None
        self.add(*values)

    def add(self, *values) -> None:
        for value in values:
            if value and WORD.search(str(value)):
                for line in str(value).splitlines():
                    if line.strip():
                        self.phrases.add(line.strip())
                self._pattern = None

    def add_words(self, *values) -> None:
        for value in values:
            if value:
                self.words.update(word.casefold() for word in WORD.findall(str(value)))

    def add_locale_data(self, code: str) -> None:
        """Names Babel writes into dates and numbers in ``code`` (months, days, AM/PM, eras)."""
        locale = Locale.parse(code)
        for context in locale.months.values():
            for width in context.values():
                self.add_words(*width.values())
        for context in locale.days.values():
            for width in context.values():
                self.add_words(*width.values())
        for width in locale.day_periods.get("format", {}).values():
            self.add_words(*width.values())
        for width in locale.eras.values():
            self.add_words(*width.values())

    def _without_data(self, text: str) -> str:
        if self._pattern is None:
            phrases = sorted(self.phrases, key=len, reverse=True)
            alternatives = "|".join(re.escape(phrase) for phrase in phrases)
            self._pattern = (re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
                             if phrases else None)
        return self._pattern.sub(" ", text) if self._pattern else text

    def leftovers(self, texts: list[str]) -> list[str]:
        """Words of ``texts`` that are neither marked nor data, each once, in order."""
        found = []
        for text in texts:
            for word in WORD.findall(self._without_data(_ADDRESSES.sub(" ", strip_marked(text)))):
                if word.casefold() not in self.words and word not in found:
                    found.append(word)
        return found
