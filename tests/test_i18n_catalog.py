"""The translation gate, parts 1 and 2: the catalogs on disk are current and complete.

1. ``messages.pot`` is what the code and templates say today (extracted again into a temporary
   file and compared, the header and its dates aside).
2. Every ``it`` and ``pt_BR`` entry is there, translated, not fuzzy, and keeps its source's
   placeholders (``%(name)s``, ``%s``, ``{name}``) and HTML tags.

When one fails: ``make update-translations``, translate the new entries in
app/translations/{it,pt_BR}/LC_MESSAGES/messages.po (see app/translations/GLOSSARY.md), and
``make test``.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import polib
import pytest

from app.i18n_catalog import LOCALES, TEMPLATE, TRANSLATIONS, extract
from tests.i18n_gate import CLOSE, OPEN

PLURAL_FORMS = {"it": "nplurals=2; plural=(n != 1);", "pt_BR": "nplurals=2; plural=(n > 1);"}
PLACEHOLDER = re.compile(r"%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[sdifr]|%[sdifr]|\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
FIX = "run `make update-translations`, then translate the new entries (app/translations/GLOSSARY.md)"


def _entries(catalog) -> list[str]:
    """Every entry as text, the header left out (it carries the extraction date)."""
    return [str(entry) for entry in catalog if entry.msgid]


def test_messages_pot_matches_the_strings_in_the_code(tmp_path):
    fresh = polib.pofile(str(extract(tmp_path / "messages.pot")))
    committed = polib.pofile(str(TEMPLATE))
    if _entries(fresh) != _entries(committed):
        new = {e.msgid for e in fresh} - {e.msgid for e in committed}
        gone = {e.msgid for e in committed} - {e.msgid for e in fresh}
        pytest.fail(f"messages.pot is out of date: {FIX}.\n"
                    f"New or changed: {sorted(new)[:20]}\nNo longer used: {sorted(gone)[:20]}\n"
                    "(or only their locations or comments changed)")


@pytest.fixture(scope="module", params=LOCALES)
def catalog(request):
    path = TRANSLATIONS / request.param / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"no catalog for {request.param}: pybabel init -l {request.param}"
    return request.param, polib.pofile(str(path))


def test_every_entry_of_the_template_is_in_each_catalog(catalog):
    locale, po = catalog
    template = {(e.msgctxt, e.msgid) for e in polib.pofile(str(TEMPLATE)) if e.msgid}
    have = {(e.msgctxt, e.msgid) for e in po if e.msgid and not e.obsolete}
    assert not template - have, f"{locale}: missing {sorted(m for _c, m in template - have)[:20]}: {FIX}"
    assert not have - template, f"{locale}: entries no longer in the code: {sorted(m for _c, m in have - template)[:20]}"


def test_the_plural_rule_of_each_catalog_is_its_languages(catalog):
    locale, po = catalog
    assert po.metadata.get("Plural-Forms") == PLURAL_FORMS[locale]
    assert po.metadata.get("Language") == locale


def test_every_entry_is_translated_and_not_fuzzy(catalog):
    locale, po = catalog
    untranslated = [e.msgid for e in po if e.msgid and not e.obsolete and not _translated(e)]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags and e.msgid]
    assert not untranslated, f"{locale}: {len(untranslated)} untranslated, e.g. {untranslated[:10]}: {FIX}"
    assert not fuzzy, f"{locale}: fuzzy entries to review, then remove the flag: {fuzzy[:10]}"


def _translated(entry) -> bool:
    if entry.msgid_plural:
        return len(entry.msgstr_plural) == 2 and all(v.strip() for v in entry.msgstr_plural.values())
    return bool(entry.msgstr.strip())


def _translations(entry) -> list[tuple[str, str]]:
    """(source, translation) pairs: each plural form against the plural source."""
    if entry.msgid_plural:
        return [(entry.msgid_plural, text) for text in entry.msgstr_plural.values()]
    return [(entry.msgid, entry.msgstr)]


def test_translations_keep_the_placeholders_of_their_source(catalog):
    locale, po = catalog
    wrong = []
    for entry in po:
        if not entry.msgid or not _translated(entry):
            continue
        for source, text in _translations(entry):
            if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(text)):
                wrong.append(f"{entry.msgid!r} -> {text!r}")
    assert not wrong, f"{locale}: placeholders differ:\n" + "\n".join(wrong[:20])


def test_translations_keep_the_html_tags_of_their_source(catalog):
    locale, po = catalog
    wrong = []
    for entry in po:
        if not entry.msgid or not _translated(entry):
            continue
        for source, text in _translations(entry):
            if sorted(TAG.findall(source)) != sorted(TAG.findall(text)):
                wrong.append(f"{entry.msgid!r} -> {text!r}")
    assert not wrong, f"{locale}: HTML tags differ:\n" + "\n".join(wrong[:20])


def test_translations_do_not_use_the_pseudo_locales_marks(catalog):
    locale, po = catalog
    marked = [e.msgid for e in po if any(OPEN in t or CLOSE in t for _s, t in _translations(e))]
    assert not marked, f"{locale}: ‹ › are the pseudo-locale's marks; use “ ” or « »: {marked[:10]}"


# --- strings that live in tables -----------------------------------------------------------


def test_wtforms_own_messages_are_all_in_the_catalog():
    """An upgrade of WTForms that adds a message fails here until it is listed in app/wtforms_messages.py."""
    import wtforms

    from app.wtforms_messages import MESSAGES

    shipped = polib.pofile(str(Path(wtforms.__file__).parent / "locale" / "wtforms.pot"))
    listed = {m if isinstance(m, str) else m[0] for m in MESSAGES}
    missing = [e.msgid for e in shipped if e.msgid and e.msgid not in listed]
    assert not missing, f"add these WTForms messages to app/wtforms_messages.py: {missing}"


# Every audited action's sentence: tests/test_audit_trail.py checks that each recorded action has one
# (through gettext), so the checks above cover its translations.
