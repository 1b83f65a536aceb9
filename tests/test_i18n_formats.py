"""Numbers, money, dates and counted words as each language writes them; amounts typed with the
reader's separators."""

from datetime import date, datetime, timedelta, timezone

import pytest
from flask_babel import force_locale, format_date
from werkzeug.datastructures import MultiDict

from app.blueprints.money_field import MoneyField
from app.i18n import MoneyInputError, credits_text, format_credits, format_file_size, format_money, parse_money

NBSP = "\u00a0"


@pytest.fixture
def currency(app):
    """Run with another platform currency (AULA_CURRENCY)."""
    saved = app.config["AULA_CURRENCY"]

    def _set(code):
        app.config["AULA_CURRENCY"] = code

    yield _set
    app.config["AULA_CURRENCY"] = saved


# --- money and numbers -------------------------------------------------------------------


@pytest.mark.parametrize("locale, code, expected", [
    ("it", "EUR", f"1.234,56{NBSP}€"),
    ("pt_BR", "BRL", f"R${NBSP}1.234,56"),
    ("pt_BR", "EUR", f"€{NBSP}1.234,56"),
    ("en", "EUR", "€1,234.56"),
])
def test_money_is_written_the_way_each_language_writes_it(app, currency, locale, code, expected):
    currency(code)
    with app.test_request_context(), force_locale(locale):
        assert format_money(123456) == expected


def test_money_keeps_its_cents_exactly(app):
    with app.test_request_context(), force_locale("it"):
        assert format_money(1) == f"0,01{NBSP}€"
        assert format_money(999_999_999_999) == f"9.999.999.999,99{NBSP}€"


@pytest.mark.parametrize("locale, expected", [("it", "1.234.567"), ("pt_BR", "1.234.567"), ("en", "1,234,567")])
def test_credits_are_grouped_by_locale(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        assert format_credits(1234567) == expected


@pytest.mark.parametrize("locale, expected", [
    ("it", "4 marzo 2026"), ("pt_BR", "4 de março de 2026"), ("en", "March 4, 2026"),
])
def test_dates_are_written_by_locale(app, locale, expected):
    with app.test_request_context(), force_locale(locale):
        assert format_date(date(2026, 3, 4), "long") == expected


@pytest.mark.parametrize("locale, day", [("it", "04/03/2026"), ("pt_BR", "04/03/2026"), ("en", "3/4/2026")])
def test_short_dates_in_lists_keep_the_year_in_full(app, locale, day):
    """Italian's own short pattern is dd/MM/yy: histories kept for years print 2026, not 26."""
    from app.i18n import format_day, format_moment

    with app.test_request_context(), force_locale(locale):
        assert format_day(date(2026, 3, 4), "short") == day
        assert format_moment(datetime(2026, 3, 4, 12, 5), "short").startswith(day)  # then the time, in the zone
        assert format_day("2026-03-04", "short") == day  # a day kept as text in an event's details


# --- plurals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("locale, zero, one, two", [
    ("en", "0 credits", "1 credit", "2 credits"),
    ("it", "0 crediti", "1 credito", "2 crediti"),  # Italian: 0 is plural
    ("pt_BR", "0 crédito", "1 crédito", "2 créditos"),  # Brazilian Portuguese: 0 is singular
])
def test_counted_credits_follow_each_languages_plural_rule(app, locale, zero, one, two):
    with app.test_request_context(), force_locale(locale):
        assert [credits_text(0), credits_text(1), credits_text(2)] == [zero, one, two]


@pytest.mark.parametrize("locale, zero, one, two", [
    ("en", "0 students enrolled.", "1 student enrolled.", "2 students enrolled."),
    ("it", "0 studenti iscritti.", "1 studente iscritto.", "2 studenti iscritti."),
    ("pt_BR", "0 aluno matriculado.", "1 aluno matriculado.", "2 alunos matriculados."),
])
def test_whole_sentences_agree_with_the_count(app, locale, zero, one, two):
    template = app.jinja_env.from_string(
        '{{ ngettext("%(num)s student enrolled.", "%(num)s students enrolled.", n, num=n|number) }}')  # as the bulk result says it
    with app.test_request_context(), force_locale(locale):
        assert [template.render(n=n) for n in (0, 1, 2)] == [zero, one, two]


@pytest.mark.parametrize("locale, sizes", [
    ("en", ["0 bytes", "1 byte", "2 bytes", "1.5 KB", "2.3 MB"]),
    ("it", ["0 byte", "1 byte", "2 byte", "1,5 KB", "2,3 MB"]),
    ("pt_BR", ["0 byte", "1 byte", "2 bytes", "1,5 KB", "2,3 MB"]),
])
def test_file_sizes_are_written_with_the_languages_decimal_mark_and_plural(app, locale, sizes):
    with app.test_request_context(), force_locale(locale):
        assert [format_file_size(n) for n in (0, 1, 2, 1536, 2_411_725)] == sizes


# --- amounts typed by people ---------------------------------------------------------------


@pytest.mark.parametrize("locale, typed, cents", [
    ("it", "1.234,56", 123456),
    ("it", "1234,5", 123450),
    ("it", "12", 1200),
    ("it", "€ 12,50", 1250),
    ("pt_BR", "1.234,56", 123456),
    ("pt_BR", "0,99", 99),
    ("en", "1,234.56", 123456),
    ("en", "1234.56", 123456),
    ("en", " €12.5 ", 1250),
])
def test_an_amount_is_read_with_the_languages_separators(app, locale, typed, cents):
    with app.test_request_context(), force_locale(locale):
        assert parse_money(typed) == cents


def test_a_brazilian_amount_may_carry_the_real_sign(app, currency):
    currency("BRL")
    with app.test_request_context(), force_locale("pt_BR"):
        assert parse_money("R$ 1.234,56") == 123456


@pytest.mark.parametrize("typed", ["１２３", "١٢٣", "١٢٫٥٠", "۱۲", "12３"])
def test_full_width_and_other_non_ascii_digits_are_refused_with_a_message(app, typed):
    with app.test_request_context(), force_locale("en"), pytest.raises(MoneyInputError) as refused:
        parse_money(typed)
    assert str(refused.value) == "Type the amount with the digits 0 to 9."


def test_an_english_amount_typed_in_italian_gets_a_suggestion(app):
    with app.test_request_context(), force_locale("it"), pytest.raises(MoneyInputError) as refused:
        parse_money("12.50")
    assert "12,50" in str(refused.value)


@pytest.mark.parametrize("typed", ["-5", "1,234", "12,345", "abc", "1e5", "0x10"])
def test_negative_or_malformed_amounts_are_refused(app, typed):
    with app.test_request_context(), force_locale("it"), pytest.raises(MoneyInputError):
        parse_money(typed)


def test_an_amount_above_the_limit_is_refused(app):
    with app.test_request_context(), force_locale("en"), pytest.raises(MoneyInputError) as refused:
        parse_money("9" * 40)
    assert str(refused.value) == "The amount is too large."


def _money_form(app, typed):
    from flask_wtf import FlaskForm

    class PriceForm(FlaskForm):
        class Meta:
            csrf = False

        price = MoneyField("Price")

    return PriceForm(formdata=MultiDict({"price": typed}))


def test_the_money_field_gives_cents_and_shows_them_back_in_the_readers_format(app):
    with app.test_request_context(headers={"Accept-Language": "it"}):
        form = _money_form(app, "1.234,56")
        assert form.validate() and form.price.data == 123456
        form.price.raw_text = None
        assert form.price._value() == "1.234,56"


def test_the_money_field_refuses_in_the_readers_language_and_keeps_what_was_typed(app):
    with app.test_request_context(headers={"Accept-Language": "it"}):
        form = _money_form(app, "１２")
        assert not form.validate()
        assert form.price.errors == ["Scriva l'importo con le cifre da 0 a 9."]
        assert 'value="１２"' in str(form.price())


# Every 7 h 13 min across a year: both DST changes in Rome, every month, both halves of the day.
_MOMENTS = [datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=433 * i) for i in range(1215)]


@pytest.mark.parametrize("locale", ["it", "pt_BR", "en"])
def test_list_dates_and_times_are_exactly_what_babel_writes_in_the_platforms_zone(app, locale):
    """Lists format dates with a pattern worked out once per locale; it must write what Babel
    writes, day for day across both changes of daylight saving time in Rome."""
    from flask_babel import format_datetime, format_time

    from app.i18n import _four_digit_year, format_clock, format_day, format_moment

    with app.test_request_context(), force_locale(locale):
        from flask_babel import get_locale

        short_day, short_moment = _four_digit_year(get_locale(), "date"), _four_digit_year(get_locale(), "datetime")
        for moment in _MOMENTS:
            assert format_day(moment, "short") == format_date(moment, short_day)
            assert format_day(moment) == format_date(moment, "medium")
            assert format_day(moment.date(), "short") == format_date(moment.date(), short_day)
            assert format_moment(moment, "short") == format_datetime(moment, short_moment)
            assert format_clock(moment) == format_time(moment, "short")
            assert format_clock(moment, "medium") == format_time(moment, "medium")
            assert format_clock(moment.replace(tzinfo=None)) == format_time(moment, "short")  # naive is UTC
        late_evening_utc = datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc)  # already the 29th in Rome
        assert format_day(late_evening_utc, "short") == format_day(date(2026, 3, 29), "short")


def test_a_pattern_that_babel_writes_differently_is_left_to_babel(app):
    """A field the fast path does not know (the weekday) is never guessed: Babel formats it."""
    from babel import Locale

    from app.i18n import _numeric_formatter

    assert _numeric_formatter(Locale.parse("it"), "EEEE d MMM y", "date") is None
    assert _numeric_formatter(Locale.parse("it"), "d MMM y", "date") is not None


def test_a_day_or_a_time_of_day_given_to_the_datetime_filters_is_still_written_by_babel(app):
    from datetime import time

    from flask_babel import format_datetime, format_time

    from app.i18n import format_clock, format_moment

    with app.test_request_context(), force_locale("it"):
        assert format_moment(date(2026, 3, 29), "short") == format_datetime(date(2026, 3, 29), "dd/MM/y, HH:mm")
        assert format_clock(time(14, 5)) == format_time(time(14, 5), "short") == "14:05"
