"""No input text makes the loader crash, and every quote is the text at its offsets."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.extract import extract_text

FRAGMENTS = [
    "In 2024, we reached more than 52,000 people in the Timbuktu region.",
    "530,000\nOutpatient consultations\n",
    "¹ World Bank 2022\n",
    "Related news\n",
    "With its local partner Alliance Médicale (AMC), ",
    "843.827children with severe acute malnutrition³",
    "Nous avons soigné 12 345 enfants à Mopti.",
    "- ▶ trained 34 volunteers;\n",
    "\n\n\n",
    "USD 4.8 m",
    "nine",
]


def _check(text: str) -> None:
    extraction = extract_text(text, publisher="ALIMA", country="Mali")
    for fig in extraction.figures():
        assert text[fig.start : fig.end] == fig.quote
        assert fig.value >= 0
    for item in extraction.unclassified:
        assert text[item.start : item.end] == item.text
    for partner in extraction.partners:
        assert text[partner.start : partner.end] == partner.quote


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=600))
def test_random_unicode_does_not_crash(text: str) -> None:
    _check(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join))
def test_report_like_fragments_do_not_crash(text: str) -> None:
    _check(text)


@pytest.mark.slow
def test_empty_and_huge_lines() -> None:
    _check("")
    _check(" " * 10)
    _check("We reached 5,000 people. " * 2000)
    _check("x" * 200_000)
