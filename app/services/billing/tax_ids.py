"""Tax ids checked by their check digits: Italian partita IVA and codice fiscale, Brazilian CPF and CNPJ.

The one home of these rules: a company's VAT number (tenancy) and an
invoice's payer tax id (billing) both come through here. Each normaliser
drops spaces, dots, dashes and slashes, returns the canonical text (digits,
or upper-case letters and digits) and refuses, with ``TaxIdInvalid``, a
value of the wrong shape or whose check digit does not match.

- partita IVA: 11 digits (an "IT" prefix is allowed); the 11th is a Luhn-like
  check over the first ten (odd positions as they are, even positions doubled
  with 9 subtracted above 9).
- codice fiscale: 16 characters (6 letters, 2 digits, a month letter, 2 digits,
  a letter, 3 digits; digits may be replaced by the omocodia letters
  LMNPQRSTUV); the 16th letter is the check character of the odd/even tables.
- CPF: 11 digits, two mod-11 check digits (weights 10..2, then 11..2).
- CNPJ: 14 characters, two mod-11 check digits (weights 5..2,9..2 then 6..2,9..2);
  since July 2026 the first 12 may be letters too, each worth its ASCII code
  minus 48, which gives the same result as before for digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.models import TaxIdKind
from app.services import DomainError

_SEPARATORS = re.compile(r"[\s./\-]+")


class TaxIdInvalid(DomainError):
    field = "tax_id"


def _compact(raw: str | None) -> str:
    return _SEPARATORS.sub("", raw or "").upper()


def search_key(text: str | None) -> str:
    """What a person types to find a tax id, as it is stored: no separators, and a partita IVA without
    the "IT" the pages print before it ("IT 076.435-20567" finds 07643520567)."""
    value = "".join(ch for ch in _compact(text) if ch.isalnum())
    return value[2:] if value.startswith("IT") and value[2:].isdigit() else value


def _ascii_digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


# --- check digits ---------------------------------------------------------------------------


def partita_iva_is_valid(digits: str) -> bool:
    if not _ascii_digits(digits, 11):
        return False
    total = 0
    for position, char in enumerate(digits[:10]):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return (10 - total % 10) % 10 == int(digits[10])


_CF_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21,
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
]))
_CF_EVEN = {**{str(n): n for n in range(10)}, **{chr(65 + n): n for n in range(26)}}
_OMOCODE = "[0-9LMNPQRSTUV]"
_CF_SHAPE = re.compile(rf"[A-Z]{{6}}{_OMOCODE}{{2}}[ABCDEHLMPRST]{_OMOCODE}{{2}}[A-Z]{_OMOCODE}{{3}}[A-Z]")


def codice_fiscale_is_valid(code: str) -> bool:
    if not (code.isascii() and _CF_SHAPE.fullmatch(code)):
        return False
    total = sum((_CF_ODD if position % 2 == 0 else _CF_EVEN)[char] for position, char in enumerate(code[:15]))
    return chr(65 + total % 26) == code[15]


def cpf_is_valid(digits: str) -> bool:
    if not _ascii_digits(digits, 11) or len(set(digits)) == 1:
        return False
    for length in (9, 10):
        total = sum(int(d) * weight for d, weight in zip(digits[:length], range(length + 1, 1, -1)))
        check = total * 10 % 11 % 10
        if check != int(digits[length]):
            return False
    return True


_CNPJ_SHAPE = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
_CNPJ_WEIGHTS = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def cnpj_is_valid(value: str) -> bool:
    if not (value.isascii() and _CNPJ_SHAPE.fullmatch(value)) or len(set(value)) == 1:
        return False
    for weights in (_CNPJ_WEIGHTS, (6, *_CNPJ_WEIGHTS)):
        length = len(weights)
        remainder = sum((ord(c) - 48) * w for c, w in zip(value[:length], weights)) % 11
        if (0 if remainder < 2 else 11 - remainder) != int(value[length]):
            return False
    return True


# --- normalisers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: TaxIdKind
    label: str
    shape: str
    length: int
    is_valid: object


RULES = {
    TaxIdKind.IT_VAT: Rule(TaxIdKind.IT_VAT, _l("Italian partita IVA"), _l("11 digits"), 11, partita_iva_is_valid),
    TaxIdKind.IT_FISCAL_CODE: Rule(TaxIdKind.IT_FISCAL_CODE, _l("Italian codice fiscale"),
                                   _l("16 letters and digits"), 16, codice_fiscale_is_valid),
    TaxIdKind.BR_CPF: Rule(TaxIdKind.BR_CPF, _l("Brazilian CPF"), _l("11 digits"), 11, cpf_is_valid),
    TaxIdKind.BR_CNPJ: Rule(TaxIdKind.BR_CNPJ, _l("Brazilian CNPJ"), _l("14 characters"), 14, cnpj_is_valid),
}


def label(kind: str | TaxIdKind | None) -> str:
    rule = RULES.get(TaxIdKind(kind)) if kind in TaxIdKind.values() else None
    return str(rule.label) if rule else ""


def normalise_tax_id(kind: str | TaxIdKind, raw: str | None, *, field: str = "tax_id") -> str | None:
    """The tax id of ``kind`` in canonical form, None when empty; ``TaxIdInvalid`` when it does not check."""
    value = _compact(raw)
    if not value:
        return None
    if kind not in TaxIdKind.values():
        raise TaxIdInvalid(_l("Choose the kind of tax id."), field=field)
    rule = RULES[TaxIdKind(kind)]
    if rule.kind == TaxIdKind.IT_VAT and value.startswith("IT"):
        value = value[2:]
    digits_only = rule.kind in (TaxIdKind.IT_VAT, TaxIdKind.BR_CPF)
    if len(value) != rule.length or not value.isascii() or (digits_only and not value.isdigit()):
        raise TaxIdInvalid(_l("%(kind)s: enter %(shape)s.", kind=rule.label, shape=rule.shape), field=field)
    if not rule.is_valid(value):
        raise TaxIdInvalid(_l("This is not a valid %(kind)s: check the digits (the check digit does not match).",
                              kind=rule.label), field=field)
    return value


def normalise_company_vat(raw: str | None, *, field: str = "vat_number") -> str | None:
    """A company's VAT number: an Italian partita IVA (11 digits, optional "IT") or a Brazilian CNPJ (14)."""
    value = _compact(raw)
    if not value:
        return None
    digits = value[2:] if value.startswith("IT") else value
    shape_ok = digits.isascii() and (
        (len(digits) == 11 and digits.isdigit()) or (len(value) == 14 and _CNPJ_SHAPE.fullmatch(value)))
    if not shape_ok:
        raise TaxIdInvalid(_l('Enter an Italian partita IVA (11 digits, optionally after "IT") '
                              'or a Brazilian CNPJ (14 digits).'), field=field)
    return normalise_tax_id(company_vat_kind(value), value, field=field)


def company_vat_kind(value: str) -> TaxIdKind:
    """Which kind a company's VAT number is, from its shape (a CNPJ has 14 characters)."""
    compact = _compact(value)
    if compact.startswith("IT") or len(compact) != 14:
        return TaxIdKind.IT_VAT
    return TaxIdKind.BR_CNPJ


def formatted(kind: str | None, value: str | None) -> str:
    """The tax id as people write it: IT12345678901, 123.456.789-09, 12.345.678/0001-95."""
    if not value:
        return ""
    if kind == TaxIdKind.IT_VAT:
        return f"IT{value}"
    if kind == TaxIdKind.BR_CPF and len(value) == 11:
        return f"{value[:3]}.{value[3:6]}.{value[6:9]}-{value[9:]}"
    if kind == TaxIdKind.BR_CNPJ and len(value) == 14:
        return f"{value[:2]}.{value[2:5]}.{value[5:8]}/{value[8:12]}-{value[12:]}"
    return value
