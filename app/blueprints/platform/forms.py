from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A button that changes state: only the CSRF token."""
