"""Number and qualifier parsing: the forms reports use, and properties that hold for any input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.extract import extract_text
from kg.extract.lexicons import default_lexicons
from kg.extract.numbers import find_numbers, parse_digits
from kg.extract.text import fold


def numbers(text: str) -> list[tuple[str, float, str, str]]:
    lex = default_lexicons().numbers
    return [(n.text, n.value, n.unit, n.role) for n in find_numbers(text, fold(text), lex)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("154,399 consultations", 154_399),
        ("843.827children", 843_827),
        ("12 345 personnes", 12_345),
        ("12\u00a0345 personnes", 12_345),
        ("12\u202f345 personnes", 12_345),
        ("3,5 millions de personnes", 3_500_000),
        ("2,4 million people", 2_400_000),
        ("7.1 million people", 7_100_000),
        ("1.5 M people", 1_500_000),
        ("half a million people", 500_000),
        ("five mobile clinics", 5),
        ("nine regions", 9),
        ("twelve communes", 12),
        ("cinq centres de santé", 5),
        ("vingt et un enfants", 21),
        ("twenty-five people", 25),
        ("trois cents personnes", 300),
        ("68,736people benefited", 68_736),
        ("530,000\nOutpatient consultations", 530_000),
        ("more than one million people", 1_000_000),
        ("22.59 million habitants", 22_590_000),
        ("22’400 consultations aux urgences", 22_400),  # Swiss grouping (MSF Geneva)
        ("plus de 4'000 interventions", 4_000),
        ("a population of 7 million 500 thousand", 7_500_000),  # one number in two parts
        ("2 millions et 300 mille personnes", 2_300_000),
    ],
)
def test_number_forms(text: str, value: float) -> None:
    found = [n for n in numbers(text) if n[3] == "figure"]
    assert len(found) == 1, found
    assert found[0][1] == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("In 2024, we reached", "year"),
        ("December 10, 2024—The town", "date"),
        ("Interview 11 Nov 2021", "date"),
        ("the COVID-19 pandemic", "code"),
        ("for the 1st time", "ordinal"),
    ],
)
def test_numbers_that_are_not_figures(text: str, role: str) -> None:
    roles = {n[3] for n in numbers(text)}
    assert role in roles
    assert "figure" not in roles


def test_percent_and_money_are_kept_apart() -> None:
    assert numbers("45% of children")[0][2] == "percent"
    assert numbers("USD 4.8 m for the response")[0][2] == "money"
    assert numbers("USD 4.8 m for the response")[0][1] == pytest.approx(4_800_000)


def test_word_numbers_need_a_noun() -> None:
    assert numbers("one of the few organizations") == []
    assert numbers("a six-year long crisis") == []


@pytest.mark.parametrize(
    ("sentence", "qualifier"),
    [
        ("In 2024, we reached more than 52,000 people.", "at-least"),
        ("We treated over 2,441 children.", "at-least"),
        ("We reached nearly 86,000 people.", "approximately"),
        ("We reached almost 1 million people.", "approximately"),
        ("We reached about 5,000 people.", "approximately"),
        ("We reached some 5,000 people.", "approximately"),
        ("We reached around 5,000 people.", "approximately"),
        ("We reached up to 5,000 people.", "at-most"),
        ("Nous avons atteint plus de 5 000 personnes.", "at-least"),
        ("Nous avons atteint près de 5 000 personnes.", "approximately"),
        ("Nous avons atteint environ 5 000 personnes.", "approximately"),
        ("Nous avons atteint jusqu'à 5 000 personnes.", "at-most"),
        ("We reached 5,000 people.", "exact"),
    ],
)
def test_qualifiers(sentence: str, qualifier: str) -> None:
    extraction = extract_text(sentence, publisher="NRC", country="Mali")
    assert [f.qualifier for f in extraction.outcomes] == [qualifier]


# --- properties ---------------------------------------------------------------------------


@given(st.integers(min_value=1000, max_value=999_999_999))
def test_thousands_with_comma_round_trip(n: int) -> None:
    assert parse_digits(f"{n:,}") == n


@given(
    st.integers(min_value=1000, max_value=999_999_999),
    st.sampled_from([".", " ", "\u00a0", "’", "'"]),
)
def test_thousands_with_other_separators_round_trip(n: int, sep: str) -> None:
    assert parse_digits(f"{n:,}".replace(",", sep)) == n


@given(st.integers(min_value=0, max_value=999), st.integers(min_value=1, max_value=9))
def test_decimal_comma_and_point(whole: int, tenth: int) -> None:
    assert parse_digits(f"{whole},{tenth}") == pytest.approx(whole + tenth / 10)
    assert parse_digits(f"{whole}.{tenth}") == pytest.approx(whole + tenth / 10)


@given(st.integers(min_value=1, max_value=999_999), st.sampled_from(["people", "personnes"]))
def test_a_count_in_a_sentence_is_found_with_its_value(n: int, noun: str) -> None:
    text = f"We reached {n:,} {noun} in 2023."
    figures = [x for x in numbers(text) if x[3] == "figure"]
    assert [x[1] for x in figures] == [n]


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_spans_that_are_exact_substrings(text: str) -> None:
    lex = default_lexicons().numbers
    for n in find_numbers(text, fold(text), lex):
        assert text[n.start : n.end] == n.text
        assert n.value >= 0


@pytest.mark.parametrize(
    "text",
    [
        "Millions of its people are dependent on food aid",
        "des milliers de familles ont fui",
        "brindamos asistencia a decenas de miles de nigerianos",
    ],
)
def test_vague_plurals_are_no_numbers(text: str) -> None:
    assert [n for n in numbers(text) if n[3] == "figure"] == []


def test_a_currency_code_beside_a_number_makes_it_money() -> None:
    found = numbers("distributed 60,000.00 LKR and XOF 5 000 000 to 12 all-women groups")
    assert [(n[1], n[2]) for n in found] == [(60_000, "money"), (5_000_000, "money"), (12, "count")]
