"""Unicode fonts for every PDF (certificates, invoices): any name prints as written.

Fonts come from pip packages (requirements.txt), embedded as subsets: Fira Sans for Latin
with diacritics, Greek and Cyrillic; IBM Plex Sans Arabic and WenQuanYi Micro Hei (Chinese,
Japanese, Korean) as fallbacks that fpdf2 switches to character by character; HarfBuzz
(uharfbuzz) joins Arabic letters and lays out right-to-left text. A fallback is loaded only
when the document's text needs it (the CJK font is 5 MB to parse). A character no font
has prints as an empty box, never as a made-up one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

# fpdf2, fontTools and the font packages (about 25 MB once imported) are imported where a
# PDF is drawn, not when the app starts: most processes never draw one.

# fpdf2 lists every character a fallback font lacks, and fontTools each table it subsets:
# neither helps whoever reads the log.
logging.getLogger("fpdf.output").setLevel(logging.ERROR)
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)


@dataclass(frozen=True)
class PdfFont:
    family: str
    regular: Path
    bold: Path | None = None
    collection_number: int = 0


@lru_cache(maxsize=1)
def fonts() -> tuple[PdfFont, tuple[PdfFont, ...]]:
    """The main font and its fallbacks, as installed by pip."""
    import fontpkg
    import paperang_p2_fonts_cjk

    main = PdfFont("FiraSans", fontpkg.path("Fira Sans", 400), fontpkg.path("Fira Sans", 700))
    arabic = PdfFont("IBMPlexSansArabic", fontpkg.path("IBM Plex Sans Arabic", 400),
                     fontpkg.path("IBM Plex Sans Arabic", 700))
    cjk = PdfFont("WenQuanYiMicroHei",
                  Path(paperang_p2_fonts_cjk.__file__).resolve().parent / "fonts" / "wqy-microhei.ttc")
    return main, (arabic, cjk)


@lru_cache(maxsize=None)
def coverage(font: PdfFont) -> frozenset[int]:
    """The code points ``font`` has a glyph for (read once per process: the files never change)."""
    from fontTools.ttLib import TTFont

    with TTFont(font.regular, fontNumber=font.collection_number, lazy=True) as ttfont:
        return frozenset(ttfont.getBestCmap())


def add_unicode_fonts(pdf: FPDF, texts: list[str]) -> str:
    """Register the main font and the fallbacks ``texts`` need; return the main family."""
    main, fallbacks = fonts()
    for font in (main,):
        pdf.add_font(font.family, "", font.regular)
        pdf.add_font(font.family, "B", font.bold)
    wanted = {ord(ch) for text in texts for ch in text if not ch.isspace()} - coverage(main)
    used = []
    for font in fallbacks:
        if not wanted:
            break
        if wanted & coverage(font):
            pdf.add_font(font.family, "", font.regular, collection_font_number=font.collection_number)
            if font.bold is not None:
                pdf.add_font(font.family, "B", font.bold, collection_font_number=font.collection_number)
            used.append(font.family)
            wanted -= coverage(font)
    if used:
        # exact_match=False: a bold line may use a fallback that has only a regular face.
        pdf.set_fallback_fonts(used, exact_match=False)
    pdf.set_text_shaping(True)
    return main.family
