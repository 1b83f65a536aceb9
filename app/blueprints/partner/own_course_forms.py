"""Forms of a whitelabel partner's own courses and their lessons."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from app.services.catalog.own_courses import BODY_MAX, DESCRIPTION_MAX, TITLE_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OwnCourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)], filters=[_strip],
                        render_kw={"maxlength": TITLE_MAX})
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX)], filters=[_strip],
                                render_kw={"rows": 4})


class LessonForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)], filters=[_strip],
                        render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(_l("Content"), validators=[Length(max=BODY_MAX)], render_kw={"rows": 6})
    has_homework = BooleanField(_l("Has homework"))
    is_checkpoint = BooleanField(
        _l("Checkpoint"),
        description=_l("When checkpoints are on, a participant must complete this lesson before the next opens."),
    )


class MoveLessonForm(FlaskForm):
    # The pressed button's value: <button name="direction" value="up">.
    direction = StringField(validators=[DataRequired(), AnyOf(["up", "down"])])


class DeleteLessonForm(FlaskForm):
    """A confirmed delete: only the CSRF token."""
