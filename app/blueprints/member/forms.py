"""Forms of the member area: marking a lesson done, handing in homework."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import TextAreaField
from wtforms.validators import Length

from app.services.enrolment.homework import TEXT_MAX


class MarkDoneForm(FlaskForm):
    """Marking a lesson done: only the CSRF token."""


class HomeworkForm(FlaskForm):
    text = TextAreaField(_l("Your answer"), validators=[Length(max=TEXT_MAX)], render_kw={"rows": 6})
    file = FileField(_l("Or attach a file"), description=_l(
        "PDF, image (PNG, JPEG, GIF, WebP) or office document (Word, Excel, PowerPoint, OpenDocument)."),
        render_kw={"accept": ".pdf,.png,.jpg,.jpeg,.gif,.webp,.docx,.xlsx,.pptx,.odt,.ods,.odp,.doc,.xls,.ppt"})
