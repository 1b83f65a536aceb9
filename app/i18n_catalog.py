"""The message catalogs on disk: extracting ``messages.pot``, updating and compiling each language.

One place for the pybabel arguments, used by the Makefile (``make extract-messages``,
``make update-translations``, ``make translations``) and by the gate in
``tests/test_i18n_catalog.py``, which extracts into a temporary file and compares it with the
committed ``messages.pot``::

    python -m app.i18n_catalog extract [OUTPUT]   # the template, from the code and templates
    python -m app.i18n_catalog update             # merge the template into it/ and pt_BR/ .po files
    python -m app.i18n_catalog compile            # .po -> .mo (not committed; make run/test do it)

Locations are written without line numbers (``--add-location=file``) and entries sorted, so a
change elsewhere in a file does not change the template: it changes when a string does.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
MAPPING = ROOT / "babel.cfg"
LOCALES = ("it", "pt_BR")  # English is the source language: it needs no catalog

KEYWORDS = ("_l", "lazy_gettext", "_n:1,2", "lazy_ngettext:1,2", "lazy_pgettext:1c,2", "N_", "Nn_:1,2")
COMMENT_TAG = "TRANSLATORS:"


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


@contextmanager
def _in_root():
    """Locations in the template are paths relative to the repository (``app/web.py``)."""
    before = os.getcwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(before)


def extract(output: Path = TEMPLATE) -> Path:
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    output = Path(output).resolve()
    with _in_root():
        _pybabel(
            "extract", "-F", str(MAPPING), *keywords, "-c", COMMENT_TAG, "--strip-comment-tags",
            "--add-location=file", "--sort-output", "--no-wrap",
            "--project=Aula", "--copyright-holder=Aula", "--msgid-bugs-address=-",
            "--ignore-dirs=.* ._ tests migrations benchmarks instance __pycache__",
            "-o", str(output), ".",
        )
    return output


def update() -> None:
    for locale in LOCALES:
        _pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "-l", locale,
                 "--no-wrap", "--ignore-obsolete", "--no-fuzzy-matching")


def compile_catalogs(directory: Path = TRANSLATIONS) -> None:
    _pybabel("compile", "-d", str(directory), "--statistics")


if __name__ == "__main__":  # pragma: no cover - the Makefile's entry point
    command, *rest = sys.argv[1:] or ["compile"]
    if command == "extract":
        extract(Path(rest[0]) if rest else TEMPLATE)
    elif command == "update":
        update()
    elif command == "compile":
        compile_catalogs()
    else:
        sys.exit(f"unknown command {command!r}: extract, update or compile")
