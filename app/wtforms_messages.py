"""WTForms' own messages ("This field is required."), kept in Aula's catalog.

Listed here so that ``pybabel extract`` puts them in ``messages.pot``: they are then
translated with the rest of the interface (same words, same formal register) and checked
by the same gate, pseudo-locale included. ``app.blueprints.language`` hands WTForms Aula's
translations instead of the catalog WTForms ships (which has no ``pt_BR`` and no pseudo-locale).

``tests/test_i18n_catalog.py`` compares this list with the ``wtforms.pot`` that the installed
WTForms ships, so an upgrade that adds a message fails until it is listed (and translated) here.
"""


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where WTForms shows it."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural for extraction."""
    return singular, plural


MESSAGES = (
    N_("Invalid field name '%s'."),
    N_('Field must be equal to %(other_name)s.'),
    Nn_('Field must be at least %(min)d character long.',
        'Field must be at least %(min)d characters long.'),
    Nn_('Field cannot be longer than %(max)d character.',
        'Field cannot be longer than %(max)d characters.'),
    Nn_('Field must be exactly %(max)d character long.',
        'Field must be exactly %(max)d characters long.'),
    N_('Field must be between %(min)d and %(max)d characters long.'),
    N_('Number must be at least %(min)s.'),
    N_('Number must be at most %(max)s.'),
    N_('Number must be between %(min)s and %(max)s.'),
    N_('Date must be at least %(min)s.'),
    N_('Date must be at most %(max)s.'),
    N_('Date must be between %(min)s and %(max)s.'),
    N_('This field is required.'),
    N_('Invalid input.'),
    N_('Invalid email address.'),
    N_('Invalid IP address.'),
    N_('Invalid Mac address.'),
    N_('Invalid URL.'),
    N_('Invalid UUID.'),
    N_('Invalid value, must be one of: %(values)s.'),
    N_("Invalid value, can't be any of: %(values)s."),
    N_('This field cannot be edited.'),
    N_('This field is disabled and cannot have a value.'),
    N_('Invalid CSRF Token.'),
    N_('CSRF token missing.'),
    N_('CSRF failed.'),
    N_('CSRF token expired.'),
    N_('Invalid Choice: could not coerce.'),
    N_('Choices cannot be None.'),
    N_('Not a valid choice.'),
    N_('Invalid choice(s): one or more data inputs could not be coerced.'),
    Nn_("'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field."),
    N_('Not a valid datetime value.'),
    N_('Not a valid date value.'),
    N_('Not a valid time value.'),
    N_('Not a valid week value.'),
    N_('Not a valid integer value.'),
    N_('Not a valid decimal value.'),
    N_('Not a valid float value.'),
)
