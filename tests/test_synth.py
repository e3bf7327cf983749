"""`kg synth`: a deterministic synthetic corpus whose planted facts the loaders find."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.reports import read_report
from kg.tools.synth import Vocabulary, generate, read_planted

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary()


def digest(directory: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(directory)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.mark.slow
def test_same_seed_same_files_and_reports_do_not_depend_on_n(
    tmp_path: Path, vocab: Vocabulary
) -> None:
    generate(12, 3, tmp_path / "a", vocab)
    generate(12, 3, tmp_path / "b", vocab)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    generate(4, 3, tmp_path / "c", vocab)
    for name in ("synth-3-000000.txt", "synth-3-000003.yaml"):
        assert (tmp_path / "a" / "000" / name).read_bytes() == (
            tmp_path / "c" / "000" / name
        ).read_bytes()
    generate(4, 4, tmp_path / "d", vocab)
    assert digest(tmp_path / "c") != digest(tmp_path / "d")


def test_planted_facts_are_in_the_texts(tmp_path: Path, vocab: Vocabulary) -> None:
    generate(30, 5, tmp_path, vocab)
    planted = read_planted(tmp_path / "planted.jsonl")
    assert len(planted) == 30
    languages = {p.language for p in planted}
    assert languages == {"en", "fr"}
    for facts in planted:
        report = read_report(tmp_path / facts.file)  # the sidecar is valid too
        assert report.meta.report_id == facts.report_id
        assert facts.publisher.startswith("https://w3id.org/humanitarian-kg/id/org/")
        kinds = {f.kind for f in facts.figures}
        assert kinds == {"outcome", "context"}
        for figure in facts.figures:
            assert figure.text in report.text
            assert figure.indicator in vocab.ref.indicators
        for place in facts.places:
            assert vocab.ref.places[place].label in report.text
    assert any(p.partners for p in planted)


@pytest.mark.slow
def test_extraction_scores_on_the_synthetic_corpus(tmp_path: Path) -> None:
    """A smoke test of benchmarks/score_synth.py (the numbers are for benchmarks/RESULTS.md)."""
    result = CliRunner().invoke(
        app, ["synth", "--reports", "15", "--seed", "2", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import score_synth
    finally:
        sys.path.pop(0)
    summary = score_synth.summary(score_synth.score_corpus(tmp_path))
    assert summary["reports"] == 15
    assert summary["figure_recall_pct"] >= 50  # loose: the loaders change, this is a smoke test
    assert summary["figure_precision_pct"] >= 50
