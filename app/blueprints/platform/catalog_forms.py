"""Forms of the platform's catalog: courses, lessons, products, offers, and homework review."""

from __future__ import annotations

import re
from datetime import date


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.blueprints.fields import SelectField, WholeNumberField
from app.blueprints.money_field import MoneyField
from app.blueprints.wallet_history import DayField
from app.models import ReleaseMode, ReviewMethod
from app.models.base import parse_id
from app.services.catalog.lessons import BODY_MAX, DESCRIPTION_MAX, TITLE_MAX, URL_MAX
from app.services.catalog.products import OfferValues

# No course has more lessons than this; the service checks the course's own count.
LESSONS_MAX = 10_000


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)], filters=[_strip],
                        render_kw={"maxlength": TITLE_MAX})
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX)], filters=[_strip],
                                render_kw={"rows": 3})


class LessonForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)], filters=[_strip],
                        render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(_l("Content"), validators=[Length(max=BODY_MAX)], render_kw={"rows": 5})
    video_url = StringField(_l("Video URL (optional)"), validators=[Optional(), Length(max=URL_MAX)],
                            filters=[_strip], render_kw={"placeholder": "https://", "inputmode": "url"})
    has_homework = BooleanField(_l("Has homework"))
    is_checkpoint = BooleanField(_l("Checkpoint"))


class MoveLessonForm(FlaskForm):
    direction = StringField(validators=[DataRequired(), AnyOf(["up", "down"])])


class NumberListField(StringField):
    """Whole numbers separated by commas or spaces, e.g. ``0, 7, 14``; ``data`` is a list of ints."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw_text = raw
        self.data = []
        for number, part in enumerate((p for p in re.split(r"[,;\s]+", raw) if p), start=1):
            if not re.fullmatch(r"-?\d{1,6}", part) or not part.isascii():
                raise ValueError(_l("Lesson %(n)s: “%(value)s” is not a whole number of days.",
                                    n=number, value=part[:20]))
            self.data.append(int(part))

    def _value(self):
        if getattr(self, "raw_text", None) is not None:
            return self.raw_text
        return ", ".join(str(n) for n in self.data or [])


class DateListField(StringField):
    """Dates YYYY-MM-DD separated by commas or spaces; ``data`` is a list of dates."""

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw_text = raw
        self.data = []
        for number, part in enumerate((p for p in re.split(r"[,;\s]+", raw) if p), start=1):
            try:
                self.data.append(date.fromisoformat(part) if len(part) == 10 and part.isascii() else None)
            except ValueError:
                self.data.append(None)
            if self.data[-1] is None:
                raise ValueError(_l("Lesson %(n)s: “%(value)s” is not a date; use YYYY-MM-DD.",
                                    n=number, value=part[:20]))

    def _value(self):
        if getattr(self, "raw_text", None) is not None:
            return self.raw_text
        return ", ".join(d.isoformat() for d in self.data or [])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProductForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=TITLE_MAX)], filters=[_strip],
                       render_kw={"maxlength": TITLE_MAX})
    course_ids = MultiCheckboxField(_l("Courses"), coerce=parse_id, validate_choice=False)  # None: "Unknown course."

    def __init__(self, courses, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.course_ids.choices = [(course.id, course.title) for course in courses]


REVIEW_LABELS = {
    ReviewMethod.AUTOMATIC.value: _l("Automatic: accepted as soon as it is handed in"),
    ReviewMethod.TEACHER.value: _l("By a teacher (review queue)"),
    ReviewMethod.NONE.value: _l("None: no homework is asked"),
}


class OfferForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=TITLE_MAX)], filters=[_strip])
    price = MoneyField(_l("Price"))
    lessons_available = WholeNumberField(_l("Lessons available"), validators=[Optional()], maximum=LESSONS_MAX)
    release_mode = RadioField(_l("Release schedule"), default=ReleaseMode.DELAYS.value, choices=[
        SelectChoice(ReleaseMode.DELAYS.value, _l("Delays in days after the start date")),
        SelectChoice(ReleaseMode.DATES.value, _l("Fixed dates")),
    ])
    release_delays = NumberListField(_l("Delays (days), one per lesson in order"),
                                     render_kw={"placeholder": "0, 7, 14"})
    release_dates = DateListField(_l("Dates, one per lesson in order"),
                                  render_kw={"placeholder": "2026-01-12, 2026-01-19"})
    review_method = SelectField(_l("Homework review"), default=ReviewMethod.AUTOMATIC.value,
                                choices=[SelectChoice(k, v) for k, v in REVIEW_LABELS.items()])
    checkpoints = BooleanField(_l("Checkpoints on (a checkpoint lesson must be completed before the next opens)"))

    def values(self) -> OfferValues:
        return OfferValues(
            name=self.name.data or "", price_cents=self.price.data, lessons_available=self.lessons_available.data,
            release_mode=self.release_mode.data, release_delays=self.release_delays.data or [],
            release_dates=self.release_dates.data or [], review_method=self.review_method.data,
            checkpoints=bool(self.checkpoints.data),
        )

    @classmethod
    def of(cls, values: OfferValues) -> "OfferForm":
        form = cls(formdata=None, data={
            "name": values.name, "price": values.price_cents, "lessons_available": values.lessons_available,
            "release_mode": values.release_mode, "release_delays": values.release_delays,
            "release_dates": values.release_dates, "review_method": values.review_method,
            "checkpoints": values.checkpoints,
        })
        return form


class PreviewForm(FlaskForm):
    """The start date of the schedule preview (GET; changes nothing)."""

    class Meta:
        csrf = False

    start = DayField(_l("Start date"))


class ReturnHomeworkForm(FlaskForm):
    comment = TextAreaField(_l("Comment for the student"), validators=[DataRequired(), Length(max=5000)],
                            render_kw={"rows": 3})
