"""Issue 3: the loaders on reports nobody tuned them on.

Each `tests/fixtures/reports/<name>.txt` is a report written for this test (not a copy of a real
page), with its YAML sidecar and `<name>.expected.json`: what a careful human reader extracts from
it. The extraction is compared with that reading as data (see `extraction_expectations.py`):

- every expected outcome / context figure is found, same value (±0.5), qualifier, year (and unit
  when the reading says `percent`);
- every expected partner is found (name or acronym, any of its labels) with the expected role;
- every expected work place is found: among the extracted places if the gazetteer knows it,
  else in `unclassified` as an unknown place-like name;
- no `not_figures` value (funding, targets, years, dates, codes, teasers) is a figure;
- at most one outcome beyond the careful reading;
- every figure's and partner's `quote` is `text[start:end]`.

One case per report; the failure message lists every shortfall of that report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extraction_expectations import check_report

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "reports"
REPORTS = sorted(p for p in FIXTURES.glob("*.txt"))


def test_fixture_set_is_complete() -> None:
    assert len(REPORTS) >= 8
    for path in REPORTS:
        assert path.with_suffix(".yaml").exists(), f"{path.name}: no sidecar"
        assert (FIXTURES / f"{path.stem}.expected.json").exists(), f"{path.name}: no expected file"
        assert 1500 <= path.stat().st_size <= 6144, f"{path.name}: keep fixtures 1.5-6 KB"


@pytest.mark.parametrize("path", REPORTS, ids=[p.stem for p in REPORTS])
def test_unseen_report(path: Path) -> None:
    check = check_report(path, FIXTURES / f"{path.stem}.expected.json")
    problems = check.problems()
    if problems:
        pytest.fail(
            f"{path.name}: {len(problems)} problem(s)\n  " + "\n  ".join(problems), pytrace=False
        )
