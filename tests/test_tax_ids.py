"""Tax ids are checked by their check digits: known good numbers pass, one wrong digit is refused."""

import pytest

from app.models import TaxIdKind
from app.services.billing import tax_ids
from app.services.billing.tax_ids import TaxIdInvalid, normalise_tax_id

VALID = [
    (TaxIdKind.IT_VAT, "07643520567", "07643520567"),
    (TaxIdKind.IT_VAT, "IT 00743110157", "00743110157"),
    (TaxIdKind.IT_VAT, "01114601006", "01114601006"),
    (TaxIdKind.IT_FISCAL_CODE, "RSSMRA85T10A562S", "RSSMRA85T10A562S"),
    (TaxIdKind.IT_FISCAL_CODE, "mrtmtt91d08f205j", "MRTMTT91D08F205J"),
    (TaxIdKind.BR_CPF, "529.982.247-25", "52998224725"),
    (TaxIdKind.BR_CPF, "111.444.777-35", "11144477735"),
    (TaxIdKind.BR_CNPJ, "11.222.333/0001-81", "11222333000181"),
    (TaxIdKind.BR_CNPJ, "12.345.678/0001-95", "12345678000195"),
    (TaxIdKind.BR_CNPJ, "12.ABC.345/01DE-35", "12ABC34501DE35"),  # alphanumeric CNPJ (from July 2026)
]


@pytest.mark.parametrize("kind, raw, stored", VALID)
def test_known_valid_tax_ids_are_accepted_in_canonical_form(kind, raw, stored):
    assert normalise_tax_id(kind, raw) == stored


@pytest.mark.parametrize("kind, raw", [
    (TaxIdKind.IT_VAT, "07643520568"),
    (TaxIdKind.IT_VAT, "12345678901"),
    (TaxIdKind.IT_FISCAL_CODE, "RSSMRA85T10A562T"),
    (TaxIdKind.IT_FISCAL_CODE, "MRTMTT91D08F205K"),
    (TaxIdKind.BR_CPF, "529.982.247-24"),
    (TaxIdKind.BR_CPF, "111.444.777-53"),
    (TaxIdKind.BR_CNPJ, "11.222.333/0001-82"),
    (TaxIdKind.BR_CNPJ, "12.ABC.345/01DE-36"),
])
def test_a_wrong_check_digit_is_refused_and_says_so(kind, raw):
    with pytest.raises(TaxIdInvalid) as refused:
        normalise_tax_id(kind, raw)
    assert "check digit" in str(refused.value.message)
    assert refused.value.field == "tax_id"


@pytest.mark.parametrize("kind, raw", [
    (TaxIdKind.IT_VAT, "1234567890"),
    (TaxIdKind.IT_VAT, "ABCDEFGHIJK"),
    (TaxIdKind.IT_FISCAL_CODE, "RSSMRA85T10A562"),
    (TaxIdKind.IT_FISCAL_CODE, "RSSMRA85Z10A562S"),  # no month Z
    (TaxIdKind.BR_CPF, "5299822472"),
    (TaxIdKind.BR_CPF, "５２９９８２２４７２５"),
    (TaxIdKind.BR_CNPJ, "1122233300018"),
])
def test_a_tax_id_of_the_wrong_shape_is_refused(kind, raw):
    with pytest.raises(TaxIdInvalid):
        normalise_tax_id(kind, raw)


@pytest.mark.parametrize("kind, raw", [(TaxIdKind.BR_CPF, "111.111.111-11"),
                                       (TaxIdKind.BR_CNPJ, "00.000.000/0000-00")])
def test_repeated_digits_pass_the_arithmetic_but_are_refused(kind, raw):
    with pytest.raises(TaxIdInvalid):
        normalise_tax_id(kind, raw)


def test_an_empty_tax_id_is_none_and_an_unknown_kind_is_refused():
    assert normalise_tax_id(TaxIdKind.BR_CPF, "  ") is None
    with pytest.raises(TaxIdInvalid):
        normalise_tax_id("de_vat", "DE123456789")


def test_a_company_vat_number_is_a_partita_iva_or_a_cnpj_by_its_length():
    assert tax_ids.normalise_company_vat("IT07643520567") == "07643520567"
    assert tax_ids.normalise_company_vat("11.222.333/0001-81") == "11222333000181"
    with pytest.raises(TaxIdInvalid) as refused:
        tax_ids.normalise_company_vat("07643520568")
    assert refused.value.field == "vat_number"


def test_tax_ids_are_shown_as_people_write_them():
    assert tax_ids.formatted(TaxIdKind.IT_VAT, "07643520567") == "IT07643520567"
    assert tax_ids.formatted(TaxIdKind.BR_CPF, "52998224725") == "529.982.247-25"
    assert tax_ids.formatted(TaxIdKind.BR_CNPJ, "11222333000181") == "11.222.333/0001-81"
    assert tax_ids.formatted(TaxIdKind.IT_FISCAL_CODE, "RSSMRA85T10A562S") == "RSSMRA85T10A562S"
