"""Languages: which ones Aula speaks, whose language an email or a PDF is written in, and
numbers, money and counted words as each language writes them.

A request's language is chosen in ``app.blueprints.language`` (the user's saved choice,
the visitor's choice, Accept-Language, the whitelabel partner's default, the platform's).
An email or a PDF is written in its *recipient's* language, which no request knows:
``recipient_locale`` answers it, and the outbox renders inside ``flask_babel.force_locale``.

Money is integer cents in the platform's currency (``AULA_CURRENCY``), formatted by
Babel for the current locale (``1.234,56 €`` in Italian, ``R$ 1.234,56`` in Brazilian
Portuguese with BRL, with the non-breaking space Babel gives). ``parse_money`` reads an
amount typed with the current locale's separators; digits other than ASCII 0-9 are refused.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as format_date_in, format_datetime as format_datetime_in
from babel.numbers import NumberFormatError, get_currency_symbol, get_decimal_symbol, get_group_symbol
from babel.numbers import format_decimal as format_decimal_in, parse_decimal
from flask import current_app, g, has_app_context
from flask_babel import (
    format_currency, format_date, format_datetime, format_decimal, format_time, get_locale, get_translations,
    lazy_gettext as _l, to_user_timezone,
)


def N_(message: str) -> str:
    """Marks ``message`` for extraction only: whoever shows it translates it then (``gettext(message)``).

    For messages chosen from a table of codes at reading time (audit actions), in the reader's language.
    """
    return message


def request_translations():
    """Flask-Babel's ``get_translations()``, looked up once per request rather than once per string.

    Kept where Flask-Babel keeps a context's translations (``babel_translations``), which
    ``force_locale`` saves, clears and restores and ``flask_babel.refresh`` clears: an email
    rendered in its recipient's language inside a request gets that language's catalog.
    """
    if not has_app_context():
        return get_translations()
    context = g.get("_flask_babel")
    translations = getattr(context, "babel_translations", None)
    if translations is None:
        translations = get_translations()
        context = g.get("_flask_babel")  # get_translations() made it if it was missing
        if context is not None:
            context.babel_translations = translations
    return translations


def current_locale():
    """``flask_babel.get_locale()``, read straight from where it keeps the request's locale once known
    (``force_locale`` sets it there too); Flask-Babel works it out the first time."""
    if has_app_context():
        locale = getattr(g.get("_flask_babel"), "babel_locale", None)
        if locale is not None:
            return locale
    return get_locale()


def in_reader_zone(value: datetime) -> datetime:
    """``flask_babel.to_user_timezone`` (a naive time is UTC), with the request's zone read straight from
    where Flask-Babel keeps it once known, and converted by ``zoneinfo`` rather than pytz (the same
    rules, a tenth of the time): a history converts a hundred times a page."""
    context = g.get("_flask_babel") if has_app_context() else None
    zone = getattr(context, "babel_tzinfo", None)
    if zone is None:
        return to_user_timezone(value)  # works the zone out and keeps it there
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    name = getattr(zone, "zone", None)  # a pytz zone's name; any other tzinfo converts as it is
    return value.astimezone(_zoneinfo(name) if name else zone)


@functools.lru_cache(maxsize=16)
def _zoneinfo(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def gettext(string: str, **variables) -> str:
    """``flask_babel.gettext`` through the request's one catalog lookup (lists and choices call it per row)."""
    text = request_translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """``flask_babel.ngettext`` through the request's one catalog lookup; ``%(num)s`` is ``num``."""
    variables.setdefault("num", num)
    return request_translations().ungettext(singular, plural, num) % variables


def install_template_gettext(app) -> None:
    """Templates' ``_``, ``gettext``, ``ngettext`` through ``request_translations`` (~100 strings a page)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # Jinja's ``_`` looks ``gettext`` up in the context on every call, then calls it: one call for two.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"]


def offered_locales() -> list[str]:
    """The languages Aula speaks, as configured (``LANGUAGES``): English, Italian, Brazilian Portuguese."""
    return list(current_app.config["LANGUAGES"])


def offered(code: str | None) -> str | None:
    """``code`` as one of the offered locales (``pt-BR`` and ``pt_br`` are ``pt_BR``), or None."""
    if not code:
        return None
    wanted = code.strip().replace("-", "_").lower()
    for locale in offered_locales():
        if locale.lower() == wanted:
            return locale
    return None


def platform_locale() -> str:
    """The platform's default language (``AULA_DEFAULT_LOCALE``, English unless set)."""
    return offered(current_app.config.get("BABEL_DEFAULT_LOCALE")) or "en"


@functools.lru_cache(maxsize=64)
def autonym(code: str) -> str:
    """A language's name in itself ("Italiano", "Português (Brasil)"): how a reader finds their own.

    The same for a code whoever asks (every page's language menu names each language): worked out once."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_choices() -> list[tuple[str, str]]:
    return [(code, autonym(code)) for code in offered_locales()]


def html_lang(locale) -> str:
    """The BCP 47 tag for ``<html lang>``: ``pt_BR`` is ``pt-BR``."""
    return str(locale or platform_locale()).replace("_", "-")


def recipient_locale(user) -> str:
    """The language to write to ``user`` in (an email, their certificate).

    Their saved choice, else their partner's default language, else the platform's.
    ``user`` may be None (an address with no account): the platform's.
    """
    if user is not None:
        chosen = offered(getattr(user, "locale", None))
        if chosen:
            return chosen
        partner = getattr(user, "partner", None)
        chosen = offered(getattr(partner, "default_locale", None)) if partner is not None else None
        if chosen:
            return chosen
    return platform_locale()


# --- numbers and counted words ----------------------------------------------------


def format_credits(value: int | None) -> str:
    """A number of credits with the locale's grouping (``1.234`` in Italian).

    Lists print this for every row: a whole number takes Python's grouping with the
    locale's separator where that is exactly what Babel writes (checked once per locale).
    """
    value = value or 0
    if isinstance(value, int) and not isinstance(value, bool):
        separator = _plain_grouping(str(current_locale()))
        if separator is not None:
            return f"{value:,}".replace(",", separator)
    return format_decimal(value)


@functools.lru_cache(maxsize=32)
def _plain_grouping(locale: str) -> str | None:
    """The locale's group separator if Babel groups whole numbers by three from 1,000 with a plain minus; else None."""
    separator = get_group_symbol(locale)
    samples = (0, 7, 999, 1_000, -1_234, 12_345, 1_234_567, -2_000_000_000)
    if all(format_decimal_in(n, locale=locale) == f"{n:,}".replace(",", separator) for n in samples):
        return separator
    return None


def spreadsheet_separators(locale=None) -> tuple[str, str]:
    """The field separator and decimal mark a spreadsheet in the reader's language expects of a CSV.

    Excel takes a CSV's columns from the system's list separator: ";" where the decimal mark is a
    comma (Italian, Brazilian Portuguese), so a comma-separated file opens as one column there.
    """
    code = str(locale or get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return (";", ",") if get_decimal_symbol(code) == "," else (",", ".")


def credits_text(value: int | None) -> str:
    """"1 credit", "2 credits" (and "0 crediti", "0 crédito") by the language's plural rule."""
    value = value or 0
    return ngettext("%(count)s credit", "%(count)s credits", value, count=format_credits(value))


@functools.lru_cache(maxsize=16)
def _four_digit_year(locale: Locale, kind: str) -> str:
    """The locale's short date (or date and time) pattern with the year in full: Italian's "dd/MM/yy"
    would print 30/11/26 in lists and histories people keep for years."""
    short_date = re.sub(r"(?<!y)y{1,2}(?!y)", "y", locale.date_formats["short"].pattern)
    if kind == "date":
        return short_date
    combined = str(locale.datetime_formats["short"])
    return combined.replace("{1}", short_date).replace("{0}", locale.time_formats["short"].pattern)


def format_day(value, fmt: str = "medium") -> str:
    """A date in the reader's locale (an ISO string from stored details too); "short" with a four-digit year.

    A date and time is the day it is in the platform's zone."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    locale = current_locale()
    if isinstance(value, datetime):
        value = in_reader_zone(value)
    pattern = _four_digit_year(locale, "date") if fmt == "short" else _named_pattern(locale, "date", fmt)
    fast = _numeric_formatter(locale, pattern, "date") if pattern else None
    return fast(value) if fast else format_date(value, pattern or fmt, rebase=False)


def format_moment(value, fmt: str = "medium") -> str:
    """A date and time in the reader's locale and zone; "short" with a four-digit year."""
    if not value:
        return ""
    locale = current_locale()
    if fmt == "short":
        pattern = _four_digit_year(locale, "datetime")
        fast = _numeric_formatter(locale, pattern, "datetime") if isinstance(value, datetime) else None
        return fast(in_reader_zone(value)) if fast else format_datetime(value, pattern)
    return format_datetime(value, fmt)


def format_clock(value, fmt: str = "short") -> str:
    """A time of day in the reader's locale and zone ("14:05", "2:05 PM")."""
    if not value:
        return ""
    locale = current_locale()
    pattern = _named_pattern(locale, "time", fmt)
    fast = None
    if pattern and isinstance(value, datetime):
        fast = _numeric_formatter(locale, pattern, "datetime")
    return fast(in_reader_zone(value)) if fast else format_time(value, fmt)


# --- dates and times in lists: the locale's pattern worked out once ------------------------
#
# A history lists fifty dates and times; Babel reads each pattern afresh for each. The patterns
# lists use (short dates, times, "d MMM y") are numbers, month abbreviations and punctuation: such
# a pattern becomes a formatter once per locale, and is used only if it writes exactly what Babel
# writes for every month, both halves of the day and one- and two-digit days (checked then).


def _named_pattern(locale: Locale, kind: str, fmt: str) -> str | None:
    """The locale's pattern for a named format ("short", "medium"…); None for a pattern given as is."""
    formats = locale.date_formats if kind == "date" else locale.time_formats
    return formats[fmt].pattern if fmt in ("short", "medium", "long", "full") else None


_FIELD = re.compile(r"([A-Za-z])\1*|'(?:[^']|'')*'|[^A-Za-z']+")
# Every month (days 1-28, hours across the day), then a few edges: midnight, noon, 23:05, a 2000s year.
_SAMPLES = [datetime(2026, month, 1 + (month * 5) % 28, (month * 7) % 24, month * 4, 7, tzinfo=timezone.utc)
            for month in range(1, 13)] + [
    datetime(*moment, 7, tzinfo=timezone.utc)
    for moment in [(2005, 1, 9, 0, 0), (2031, 12, 31, 12, 59), (2026, 6, 15, 23, 5), (2026, 3, 3, 11, 30)]]


def _fields(locale: Locale) -> dict:
    months = locale.months["format"]["abbreviated"]
    periods = locale.day_periods["format"]["abbreviated"]
    return {
        "d": lambda v: str(v.day), "dd": lambda v: f"{v.day:02}",
        "M": lambda v: str(v.month), "MM": lambda v: f"{v.month:02}", "MMM": lambda v: months[v.month],
        "y": lambda v: str(v.year), "yyyy": lambda v: f"{v.year:04}",
        "H": lambda v: str(v.hour), "HH": lambda v: f"{v.hour:02}",
        "h": lambda v: str(v.hour % 12 or 12), "hh": lambda v: f"{v.hour % 12 or 12:02}",
        "mm": lambda v: f"{v.minute:02}", "ss": lambda v: f"{v.second:02}",
        "a": lambda v: periods["pm" if v.hour >= 12 else "am"],
    }


@functools.lru_cache(maxsize=64)
def _numeric_formatter(locale: Locale, pattern: str, kind: str):
    """``pattern`` as a function of a date (``kind`` "date") or a datetime already in the reader's zone,
    or None where the pattern has a field this does not know or writes anything Babel would not."""
    known = _fields(locale)
    parts = []
    for match in _FIELD.finditer(pattern):
        text = match.group(0)
        if text.startswith("'"):
            parts.append(text[1:-1].replace("''", "'") if text != "''" else "'")
        elif text[0].isalpha():
            if text not in known:
                return None
            parts.append(known[text])
        else:
            parts.append(text)

    def formatted(value) -> str:
        return "".join(part if isinstance(part, str) else part(value) for part in parts)

    for sample in _SAMPLES:
        if kind == "date":
            expected = format_date_in(sample.date(), pattern, locale=locale)
            got = formatted(sample.date())
        else:
            expected = format_datetime_in(sample, pattern, tzinfo=timezone.utc, locale=locale)
            got = formatted(sample)
        if got != expected:
            return None
    return formatted


def format_file_size(size: int | None) -> str:
    """A file's size with the locale's decimal mark: "820 bytes", "1,5 KB", "2,3 MB" (1 KB = 1024 bytes)."""
    size = size or 0
    if size < 1024:
        return ngettext("%(num)s byte", "%(num)s bytes", size)  # under 1024: no grouping
    if size < 1024 * 1024:
        return gettext("%(size)s KB", size=format_decimal(round(size / 1024, 1)))
    return gettext("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


def format_money(cents: int | None, currency: str | None = None) -> str:
    """Integer cents as money in the current locale: ``1.234,56 €`` (it), ``R$ 1.234,56`` (pt_BR, BRL)."""
    currency = currency or current_app.config["AULA_CURRENCY"]
    amount = (Decimal(cents or 0) / 100).quantize(Decimal("0.01"))
    return format_currency(amount, currency)


# --- amounts typed by people -------------------------------------------------------


class MoneyInputError(ValueError):
    """An amount that cannot be read; ``str()`` is the message for the person who typed it."""


_SPACES = re.compile(r"[\s\u00a0\u202f\u2007]+")
MAX_MONEY_CENTS = 100_000_000_000  # a thousand million in the currency's units: far above any price


def parse_money(text: str, *, locale=None, currency: str | None = None, max_cents: int = MAX_MONEY_CENTS) -> int:
    """The amount ``text`` means, in integer cents, read with the locale's separators.

    Italian and Portuguese write ``1.234,56``, English ``1,234.56``; a grouping that does
    not fit the locale is refused with a suggestion (``12.50`` in Italian: "did you mean
    12,50?"). The platform currency's symbol or code may surround the number. Only ASCII
    digits are accepted: full-width (``１２``) or Arabic-Indic (``١٢``) digits look like
    numbers but are refused with a message, as are negative amounts and more than two decimals.
    """
    locale = locale or get_locale() or Locale.parse(platform_locale())
    currency = currency or current_app.config["AULA_CURRENCY"]
    raw = _SPACES.sub("", text or "")
    for mark in {currency, get_currency_symbol(currency, locale=locale), get_currency_symbol(currency, "en")}:
        raw = raw.replace(mark, "")
    if not raw:
        raise MoneyInputError(_l("Enter an amount."))
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in raw):
        raise MoneyInputError(_l("Type the amount with the digits 0 to 9."))
    if raw.startswith("-"):
        raise MoneyInputError(_l("The amount cannot be negative."))
    shown = (text or "").strip()[:30]
    not_an_amount = _l("“%(value)s” is not an amount. Example: %(example)s", value=shown,
                       example=format_decimal_in(Decimal("1234.56"), "#,##0.00", locale=locale))
    separators = re.escape(get_decimal_symbol(locale) + get_group_symbol(locale))
    if not re.fullmatch(rf"[0-9{separators}]+", raw):
        raise MoneyInputError(not_an_amount)
    try:
        value = parse_decimal(raw, locale=locale, strict=True)
    except NumberFormatError as error:
        suggestion = _money_suggestion(error, locale)
        if suggestion:
            raise MoneyInputError(_l("“%(value)s” is not an amount here. Did you mean %(suggestion)s?",
                                     value=shown, suggestion=suggestion)) from None
        raise MoneyInputError(not_an_amount) from None
    try:
        if value != value.quantize(Decimal("0.01")):
            raise MoneyInputError(_l("Use at most two decimals."))
        cents = int((value * 100).to_integral_value(rounding=ROUND_HALF_EVEN))
    except InvalidOperation:
        raise MoneyInputError(_l("The amount is too large.")) from None
    if cents > max_cents:
        raise MoneyInputError(_l("The amount is too large."))
    return cents


def _money_suggestion(error: NumberFormatError, locale) -> str | None:
    """Babel's reading of a mistyped number that takes the last separator as the decimal one
    ("12.50" in Italian: 12,50), written back with two decimals; None when there is none."""
    for suggestion in reversed(getattr(error, "suggestions", None) or []):
        try:
            value = parse_decimal(suggestion, locale=locale, strict=True)
        except NumberFormatError:
            continue
        if value == value.quantize(Decimal("0.01")):
            return format_decimal_in(value, "#,##0.00", locale=locale)
    return None
