"""The certificate as a PDF (fpdf2), in its holder's language, printing any name as written (app.services.pdf_fonts)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import force_locale, format_date, gettext as _

from app import i18n
from app.models import Certificate
from app.services.pdf_fonts import add_unicode_fonts
from app.services.tenancy.look import logo_of
from app.services.tenancy.sites import external_url

if TYPE_CHECKING:
    from fpdf import FPDF


def _local_logo(logo_url: str | None) -> Path | None:
    if not logo_url or not logo_url.startswith("/static/"):
        return None
    path = (Path(current_app.static_folder) / logo_url[len("/static/"):]).resolve()
    static_root = Path(current_app.static_folder).resolve()
    if static_root in path.parents and path.suffix.lower() in {".png", ".jpg", ".jpeg"} and path.is_file():
        return path
    return None


def _draw_logo(pdf: FPDF, partner) -> None:
    """The partner's uploaded logo, else a local /static/ PNG or JPEG logo; none if it cannot be read."""
    if partner is None:
        return
    uploaded = logo_of(partner.id) if partner.logo_version else None
    source = io.BytesIO(uploaded.data) if uploaded is not None else _local_logo(partner.logo_url)
    if source is None:
        return
    try:
        pdf.image(source if uploaded is not None else str(source), x=20, y=18, h=18)
    except Exception:  # noqa: BLE001 - a logo that does not decode leaves the certificate without one
        current_app.logger.warning("certificate: the logo of partner %s could not be drawn", partner.id)


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate in its holder's language (their choice, else their partner's, else the platform's)."""
    with force_locale(i18n.recipient_locale(certificate.enrolment.user)):
        return _certificate_pdf(certificate)


def _certificate_pdf(certificate: Certificate) -> bytes:
    partner = certificate.enrolment.partner
    verify = external_url("public.verify_certificate", partner, code=certificate.code)
    lines = {
        "title": _("Certificate of completion"),
        "certifies": _("This certifies that"),
        "completed": _("has completed the course"),
        "date": _("on %(date)s", date=format_date(certificate.issued_at, "long")),
        "verify": _("Verification code %(code)s - %(url)s", code=certificate.code, url=verify),
    }
    from fpdf import FPDF  # here, not at import: most processes never draw a certificate

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    family = add_unicode_fonts(pdf, [*lines.values(), certificate.student_name, certificate.course_title,
                              certificate.issuer_name])
    pdf.set_title(f"{certificate.course_title} - {certificate.student_name}")
    pdf.set_author(certificate.issuer_name)
    pdf.set_lang(i18n.html_lang(i18n.recipient_locale(certificate.enrolment.user)))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_draw_color(40, 60, 110)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)

    _draw_logo(pdf, partner)
    pdf.set_font(family, "B", 14)
    pdf.set_xy(20, 22)
    pdf.cell(257, 10, certificate.issuer_name, align="R")

    pdf.set_font(family, "B", 32)
    pdf.set_xy(10, 55)
    pdf.cell(277, 16, lines["title"], align="C")
    pdf.set_font(family, "", 15)
    pdf.set_xy(10, 80)
    pdf.cell(277, 10, lines["certifies"], align="C")
    pdf.set_font(family, "B", 26)
    pdf.set_xy(10, 93)
    pdf.cell(277, 14, certificate.student_name, align="C")
    pdf.set_font(family, "", 15)
    pdf.set_xy(10, 112)
    pdf.cell(277, 10, lines["completed"], align="C")
    pdf.set_font(family, "B", 20)
    pdf.set_xy(10, 124)
    pdf.multi_cell(277, 11, certificate.course_title, align="C")
    pdf.set_font(family, "", 13)
    pdf.set_xy(10, 152)
    pdf.cell(277, 8, lines["date"], align="C")

    pdf.set_font(family, "", 10)
    pdf.set_xy(20, 182)
    pdf.cell(257, 6, lines["verify"], align="L")
    return bytes(pdf.output())
