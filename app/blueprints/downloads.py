"""File responses shared by several areas."""

from flask import abort, make_response

from app.models import Enrolment
from app.services.enrolment.certificate_pdf import certificate_pdf


def certificate_download(enrolment: Enrolment):
    if enrolment.certificate is None:
        abort(404)
    response = make_response(certificate_pdf(enrolment.certificate))
    response.mimetype = "application/pdf"
    filename = f"certificate-{enrolment.certificate.code}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
