from flask_wtf import FlaskForm


class MarkDoneForm(FlaskForm):
    """Marking a lesson done: only the CSRF token."""
