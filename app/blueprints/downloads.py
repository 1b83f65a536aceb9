"""File responses shared by several areas."""

from flask import abort, make_response, send_file

from app.models import Enrolment, HomeworkSubmission
from app.services.enrolment.certificate_pdf import certificate_pdf
from app.services.enrolment.homework import stored_path


def certificate_download(enrolment: Enrolment):
    if enrolment.certificate is None:
        abort(404)
    response = make_response(certificate_pdf(enrolment.certificate))
    response.mimetype = "application/pdf"
    filename = f"certificate-{enrolment.certificate.code}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def homework_download(submission: HomeworkSubmission | None):
    """A homework file, always as an attachment of its checked type (the caller decided who may see it)."""
    path = stored_path(submission) if submission is not None else None
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=submission.content_type, as_attachment=True,
                         download_name=submission.file_name or path.name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
