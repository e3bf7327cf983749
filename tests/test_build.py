"""`kg.build.run`: the same inputs give the same store; incremental builds equal full ones; failures
leave the previous store as it was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

import kg.build.pipeline
from kg.build.run import build
from kg.namespaces import HKG
from kg.query.named import stats
from kg.store import open_store, read_manifest
from store_support import dump

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "reports"


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "reports"
    shutil.copytree(SEEDS, target)
    return target


def full_dump(reports: Path, tmp_path: Path, name: str, cache: Path | None = None) -> bytes:
    """A full build of `reports` from scratch (or from `cache`), for comparison."""
    store = tmp_path / name / "store"
    result = build([reports], store, full=True, cache_dir=cache)
    assert result.ok, [r.error for r in result.failed] + [result.validation.text()]
    return dump(store)


@pytest.mark.slow
def test_same_inputs_same_dump_whatever_the_workers(tmp_path: Path) -> None:
    one = build([SEEDS], tmp_path / "a" / "store", workers=1, cache_dir=None)
    two = build([SEEDS], tmp_path / "b" / "store", workers=2, cache_dir=None)
    assert one.ok and two.ok
    assert two.wall["workers"] == 2
    assert dump(tmp_path / "a" / "store") == dump(tmp_path / "b" / "store")
    assert one.triples == two.triples and one.inferred == two.inferred
    assert [(r.report_id, r.facts, r.triples) for r in one.reports] == [
        (r.report_id, r.facts, r.triples) for r in two.reports
    ]


@pytest.mark.slow
def test_incremental_builds_equal_full_builds(corpus: Path, tmp_path: Path) -> None:
    store = tmp_path / "inc" / "store"
    cache = tmp_path / "inc" / "cache"
    first = build([corpus], store)
    assert first.mode == "full" and first.ok
    assert read_manifest(store) is not None

    again = build([corpus], store)  # nothing changed: the store is not touched
    assert again.mode == "unchanged" and again.ok
    assert again.count("unchanged") == 5 and again.triples == first.triples

    report = corpus / "msf-mali-2023.txt"
    report.write_text(
        report.read_text(encoding="utf-8").replace("530,000", "531,000"), encoding="utf-8"
    )
    changed = build([corpus], store)
    assert changed.mode == "incremental" and changed.ok
    assert (changed.count("built"), changed.count("unchanged")) == (1, 4)
    assert dump(store) == full_dump(corpus, tmp_path, "full1", cache)

    for suffix in (".txt", ".yaml"):
        (corpus / f"nrc-mali-2023{suffix}").rename(tmp_path / f"nrc-mali-2023{suffix}")
    removed = build([corpus], store)
    assert removed.mode == "incremental" and removed.removed == 1 and removed.ok
    assert dump(store) == full_dump(corpus, tmp_path, "full2", cache)

    for suffix in (".txt", ".yaml"):
        (tmp_path / f"nrc-mali-2023{suffix}").rename(corpus / f"nrc-mali-2023{suffix}")
    added = build([corpus], store)
    assert added.mode == "incremental" and added.count("cached") == 1  # its output was cached
    assert dump(store) == full_dump(corpus, tmp_path, "full3", cache)
    assert added.triples == changed.triples
    # the manifest's counts, kept up to date without counting the store, are the store's
    counts = stats(open_store(store))
    written = json.loads(read_manifest(store) or b"")
    assert (written["quads"], written["graphs"]) == (counts["quads"], counts["graphs"])


@pytest.mark.slow
def test_a_report_that_cannot_be_read_is_named_and_the_others_build(
    corpus: Path, tmp_path: Path
) -> None:
    (corpus / "broken.txt").write_bytes(b"\x00\x01binary")
    result = build([corpus], tmp_path / "s" / "store", cache_dir=None)
    assert [r.path.name for r in result.failed] == ["broken.txt"]
    assert "binary" in (result.failed[0].error or "")
    assert result.store is not None and len(result.reports) == 6
    assert not result.ok  # the CLI exits 1


def _break_one_report(monkeypatch: pytest.MonkeyPatch, report_id: str) -> None:
    """Make the emitted graph of one report violate the shapes (a negative value)."""
    real = kg.build.pipeline.emit_report

    def emit(extraction: object, known: object) -> object:
        graph = real(extraction, known)  # type: ignore[arg-type]
        if extraction.meta.report_id == report_id:  # type: ignore[attr-defined]
            figure = next(s for s, _, _ in graph.triples((None, HKG.value, None)))
            graph.set((URIRef(str(figure)), HKG.value, Literal("-5", datatype=XSD.decimal)))
        return graph

    monkeypatch.setattr(kg.build.pipeline, "emit_report", emit)


@pytest.mark.slow
def test_violations_leave_the_previous_store(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s" / "store"
    assert build([corpus], store, cache_dir=None).ok
    before = dump(store)
    _break_one_report(monkeypatch, "msf-mali-2023")
    report = corpus / "msf-mali-2023.txt"  # changed, so the incremental build processes it
    report.write_text(report.read_text(encoding="utf-8") + "\nMore text.\n", encoding="utf-8")
    result = build([corpus], store, workers=1, cache_dir=None)
    assert result.mode == "incremental"
    assert result.violations >= 1 and result.store is None
    assert "hkg:value" in result.validation.text()  # type: ignore[union-attr]
    assert dump(store) == before
    full = build([corpus], store, workers=1, cache_dir=None, full=True)
    assert full.violations >= 1 and full.store is None
    assert dump(store) == before
    assert sorted(p.name for p in store.parent.iterdir()) == ["store"]


@pytest.mark.slow
def test_organisations_minted_by_several_reports_are_validated_together(tmp_path: Path) -> None:
    """Two reports name the same acronym for two different names: the store would hold one
    organisation with two labels, so the build stops (each report alone is valid)."""
    reports = tmp_path / "reports"
    reports.mkdir()
    for name, partner in (("a", "Association Alpha Santé"), ("b", "Groupe Beta Développement")):
        (reports / f"{name}.txt").write_text(
            f"Our response\nWith its local partner {partner} (ABX-ML), MSF supported "
            "1,200 consultations in the Mopti region in 2023.\n",
            encoding="utf-8",
        )
        (reports / f"{name}.yaml").write_text("publisher: MSF\ncountry: Mali\n", encoding="utf-8")
    result = build([reports], tmp_path / "s" / "store", cache_dir=None)
    assert result.store is None
    assert {v.focus_node for v in result.validation.violations} == {  # type: ignore[union-attr]
        "https://w3id.org/humanitarian-kg/id/org/abx-ml"
    }


@pytest.mark.slow
def test_the_reference_data_is_kept_in_the_cache_by_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second process adopts the pickled reference data instead of building it; a damaged
    pickle is rebuilt; another fingerprint's pickle is replaced, never used."""
    import pickle

    from kg.build.cache import use_cached_reference
    from kg.build.run import pipeline_fingerprint
    from kg.reference import loader as ref

    cache = tmp_path / "cache"
    fingerprint = pipeline_fingerprint()
    built = []
    real = ref.build_reference

    def counting() -> ref.Reference:
        built.append(1)
        return real()

    monkeypatch.setattr("kg.build.cache.build_reference", counting)
    monkeypatch.setattr(ref, "_LOADED", {})
    use_cached_reference(cache, fingerprint)
    pickled = cache / f"reference-{fingerprint}.pickle"
    assert built == [1] and pickled.is_file()
    first = ref.load_reference()

    ref.forget_reference()  # as a fresh process
    use_cached_reference(cache, fingerprint)
    assert built == [1]  # adopted, not built
    again = ref.load_reference()
    assert again is not first
    assert again.organisations == first.organisations and again.places == first.places
    assert again.reference.isomorphic(first.reference)
    assert set(again.ontology) == set(first.ontology)

    pickled.write_bytes(b"not a pickle")
    use_cached_reference(cache, fingerprint)
    assert built == [1, 1]
    assert isinstance(pickle.loads(pickled.read_bytes()), ref.Reference)  # noqa: S301 - ours

    use_cached_reference(cache, "another-fingerprint")
    assert built == [1, 1, 1]
    assert [p.name for p in cache.glob("reference-*.pickle")] == [
        "reference-another-fingerprint.pickle"
    ]


@pytest.mark.slow
def test_what_the_pipeline_derives_from_the_reference_is_kept_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second process takes the reference triples and their inferences from the cache
    instead of running the rules again, and processes a report exactly as a fresh pipeline."""
    from kg.build.run import pipeline_fingerprint
    from kg.build.workers import new_pipeline
    from kg.reason import materialise as inference

    cache = tmp_path / "cache"
    fingerprint = pipeline_fingerprint()
    ran = []
    real = inference._run_rules

    def counting(*args: object, **kwargs: object) -> object:
        ran.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(inference, "_run_rules", counting)
    first = new_pipeline(cache, fingerprint)
    assert ran == [1]
    assert (cache / f"prepared-{fingerprint}.pickle").is_file()
    second = new_pipeline(cache, fingerprint)
    assert ran == [1]  # the reference's inferences came from the cache
    assert second.reasoner.reference_inferred == first.reasoner.reference_inferred
    assert second.reasoner.reference_stated == first.reasoner.reference_stated
    assert second.ontology_triples == first.ontology_triples
    assert second.reference_triples == first.reference_triples
    report = SEEDS / "msf-mali-2023.txt"
    one, two = first.process(report), second.process(report)
    assert (one.nquads, one.inferred, one.violations) == (two.nquads, two.inferred, two.violations)
    assert one.inferred  # the report's rules did run


def test_find_reports_walks_directories_as_paths_sort(tmp_path: Path) -> None:
    """Sorted as `Path` objects sort (`a/b.txt` before `a-b.txt`, which plain strings would
    not), report suffixes only, regular files only, symlinked directories not followed."""
    from kg.reports import find_reports

    names = ["a/b.txt", "a-b.txt", "a/c/d.md", "z.txt", "a/x.yaml", "B.txt", ".hidden/e.txt"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("text", encoding="utf-8")
    (tmp_path / "dir.txt").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "a", target_is_directory=True)
    (tmp_path / "link.txt").symlink_to(tmp_path / "z.txt")
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    expected = sorted(p for p in tmp_path.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
    found = find_reports([tmp_path])
    assert found == expected
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        ".hidden/e.txt",
        "B.txt",
        "a/b.txt",
        "a/c/d.md",
        "a-b.txt",
        "link.txt",
        "z.txt",
    ]
    assert find_reports([tmp_path / "z.txt"]) == [tmp_path / "z.txt"]  # a file: as given


@pytest.mark.slow
def test_a_build_writes_nothing_beside_its_store(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 21: `kg build --store X` wrote `cache/` into X's parent; the cache is the user's."""
    cache_root = tmp_path / "user-cache"
    monkeypatch.setenv("KG_CACHE_DIR", str(cache_root))
    store = tmp_path / "elsewhere" / "store"
    result = build([corpus], store, workers=1)
    assert result.ok
    assert sorted(p.name for p in store.parent.iterdir()) == ["store"]
    assert any((cache_root / "builds").rglob("*.json"))  # the per-report outputs went there
