"""The loaders on the seed reports: the figures a careful reader finds, with their words."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.extract import extract_report, extract_text
from kg.model import Extraction
from kg.reports import read_report


@pytest.fixture(scope="module")
def extracted(seed_reports: Path) -> dict[str, Extraction]:
    return {p.stem: extract_report(read_report(p)) for p in sorted(seed_reports.glob("*.txt"))}


def values(figures: list) -> dict[float, object]:  # type: ignore[type-arg]
    return {f.value: f for f in figures}


@pytest.mark.slow
def test_nrc_programme_figures_are_2023_outcomes(extracted: dict[str, Extraction]) -> None:
    nrc = extracted["nrc-mali-2023"]
    outcomes = values(nrc.outcomes)
    for value, sector in [
        (272_645, None),
        (68_736, "Education"),
        (58_627, "Food security"),
        (92_271, "Shelter"),
        (8_492, "Protection"),
        (64_720, "Information, counselling and legal assistance"),
        (35_568, "WASH"),
    ]:
        assert value in outcomes, value
        assert outcomes[value].year == 2023
        if sector:
            assert outcomes[value].sector is not None and outcomes[value].sector.label == sector


def test_nrc_displacement_figures_are_context(extracted: dict[str, Extraction]) -> None:
    nrc = extracted["nrc-mali-2023"]
    context = values(nrc.context_figures)
    outcomes = values(nrc.outcomes)
    for value in (150_000, 391_000, 85_484, 7_100_000, 1_722, 516_600):
        assert value in context and value not in outcomes
    assert context[391_000].qualifier == "at-least"
    assert context[516_600].qualifier == "approximately"
    assert 4_100_000 not in outcomes and 4_100_000 not in context  # a target
    reasons = {u.value: u.reason for u in nrc.unclassified}
    assert "target" in reasons[4_100_000]


def test_every_quote_is_the_text_at_its_offsets(
    extracted: dict[str, Extraction], seed_reports: Path
) -> None:
    for name, extraction in extracted.items():
        text = read_report(seed_reports / f"{name}.txt").text
        for fig in extraction.figures():
            assert text[fig.start : fig.end] == fig.quote
        for item in extraction.unclassified:
            assert text[item.start : item.end] == item.text
        for presence in extraction.presences:
            assert text[presence.start : presence.end] == presence.quote


def test_figure_on_the_line_above_its_label(extracted: dict[str, Extraction]) -> None:
    msf = values(extracted["msf-mali-2023"].outcomes)
    assert msf[530_000].counted == "Outpatient consultations"
    assert msf[530_000].year == 2023 and msf[530_000].year_source == "document"
    assert msf[530_000].indicator is not None
    assert 47_000 not in msf  # a related-news teaser


def test_footnoted_figures_keep_their_cited_source(extracted: dict[str, Extraction]) -> None:
    alima = extracted["alima-mali"]
    context = values(alima.context_figures)
    assert context[22_590_000].cited_source == "World Bank 2022"
    assert context[843_827].cited_source is not None
    assert 843_827 not in values(alima.outcomes)


def test_alima_partner_and_places(extracted: dict[str, Extraction]) -> None:
    alima = extracted["alima-mali"]
    partners = {(p.acronym or p.label, p.role) for p in alima.partners}
    assert any("AMCP" in name and role == "implementing-partner" for name, role in partners)
    labels = {p.label for p in alima.places}
    assert {"Timbuktu", "Mopti", "Koulikoro", "Bamako"} <= labels
    outcomes = values(alima.outcomes)
    assert outcomes[154_399].year == 2022
    assert outcomes[2_441].qualifier == "at-least"


def test_every_number_is_a_figure_or_has_a_reason(extracted: dict[str, Extraction]) -> None:
    for extraction in extracted.values():
        for item in extraction.unclassified:
            assert item.reason


def test_imc_undated_figures_stay_undated(extracted: dict[str, Extraction]) -> None:
    imc = values(extracted["imc-mali-factsheet-2025"].outcomes)
    assert imc[142].year is None  # "We currently operate…": the page gives no year
    assert imc[52_000].year == 2024 and imc[52_000].qualifier == "at-least"
    assert imc[86_000].qualifier == "approximately"


def test_partners_from_cues_and_government_counterparts() -> None:
    text = (
        "With its local partner Association Sahel Santé (ASS), Example Aid treated 3,000 "
        "children in the Mopti region. In partnership with the Ministry of Health, we "
        "trained 120 health workers."
    )
    extraction = extract_text(text, publisher="Example Aid", country="Mali")
    roles = {(p.label, p.role) for p in extraction.partners}
    assert ("Association Sahel Santé", "implementing-partner") in roles
    assert any(role == "government-counterpart" for _, role in roles)
    new = {p.label for p in extraction.new_organisations}
    assert "Association Sahel Santé" in new


def test_national_body_of_another_country_is_not_malis() -> None:
    text = "In 2023, we helped the Ministry of Health train 200 nurses in the Agadez region."
    extraction = extract_text(text, publisher="ALIMA", country="Niger")
    ministries = [p for p in extraction.partners if "Ministry" in p.label]
    assert ministries and all(p.iri.endswith("/ne-ministry-of-health") for p in ministries)
    assert [p.label for p in extraction.places] == ["Agadez"]
