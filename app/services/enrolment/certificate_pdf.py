"""The certificate as a PDF (fpdf2: pure Python, no system libraries)."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

from flask import current_app, url_for
from flask_babel import format_date, gettext as _
from fpdf import FPDF

from app.models import Certificate
from app.services.tenancy.look import logo_of


def _latin1(text: str) -> str:
    """The core PDF fonts cover Latin-1 (Italian and Portuguese included); fold the rest."""
    text = unicodedata.normalize("NFKC", text or "")
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(folded or "?")
    return "".join(out)


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
    enrolment = certificate.enrolment
    partner = enrolment.partner
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(_latin1(f"{certificate.course_title} - {certificate.student_name}"))
    pdf.set_author(_latin1(certificate.issuer_name))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_draw_color(40, 60, 110)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)

    _draw_logo(pdf, partner)
    pdf.set_font("Helvetica", "B", 14)
    pdf.set_xy(20, 22)
    pdf.cell(257, 10, _latin1(certificate.issuer_name), align="R")

    pdf.set_font("Helvetica", "B", 32)
    pdf.set_xy(10, 55)
    pdf.cell(277, 16, _latin1(_("Certificate of completion")), align="C")
    pdf.set_font("Helvetica", "", 15)
    pdf.set_xy(10, 80)
    pdf.cell(277, 10, _latin1(_("This certifies that")), align="C")
    pdf.set_font("Helvetica", "B", 26)
    pdf.set_xy(10, 93)
    pdf.cell(277, 14, _latin1(certificate.student_name), align="C")
    pdf.set_font("Helvetica", "", 15)
    pdf.set_xy(10, 112)
    pdf.cell(277, 10, _latin1(_("has completed the course")), align="C")
    pdf.set_font("Helvetica", "B", 20)
    pdf.set_xy(10, 124)
    pdf.multi_cell(277, 11, _latin1(certificate.course_title), align="C")
    pdf.set_font("Helvetica", "", 13)
    pdf.set_xy(10, 152)
    pdf.cell(277, 8, _latin1(_("on %(date)s", date=format_date(certificate.issued_at, "long"))), align="C")

    pdf.set_font("Helvetica", "", 10)
    pdf.set_xy(20, 182)
    verify = url_for("public.verify_certificate", code=certificate.code, _external=True)
    pdf.cell(257, 6, _latin1(_("Verification code %(code)s - %(url)s", code=certificate.code, url=verify)), align="L")
    return bytes(pdf.output())
