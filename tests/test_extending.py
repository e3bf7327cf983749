"""The editor walk-through of docs/extending-the-ontology.md, done for real in a temporary copy.

The test reads the page itself: every Turtle block preceded by ``<!-- append: FILE -->`` is
appended to that file of a copy of the repository, every block preceded by
``<!-- write: FILE -->`` is written, and every ``$ kg …`` line is run, in order, with `KG_HOME`
pointing at the copy. So the page and the test cannot drift apart. No code is changed: the new
sub-sector, indicator, organisation type, organisation and place are picked up by the loaders,
checked by the reasoner and the shapes, and counted by the broader sector's queries.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import resources
from kg.cli import app
from kg.extract import lexicons
from kg.reference import loader as reference

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "extending-the-ontology.md"

_BLOCK_RE = re.compile(r"<!-- (append|write): (\S+) -->\n```\w*\n(.*?)```", re.DOTALL)
_COMMAND_RE = re.compile(r"^\$ (kg .*)$", re.MULTILINE)

runner = CliRunner()


def _clear_caches() -> None:
    resources.clear_cache()
    reference.forget_reference()
    lexicons._BUILT.clear()


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the repository's data files, with KG_HOME and the working directory on it."""
    for name in ("ontology", "shapes", "queries"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for name in ("reference", "lexicon"):
        shutil.copytree(ROOT / "data" / name, tmp_path / "data" / name)
    (tmp_path / "data" / "reports").mkdir()
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("KG_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    _clear_caches()
    yield tmp_path
    monkeypatch.delenv("KG_HOME")
    _clear_caches()


def test_the_page_has_the_steps() -> None:
    text = DOC.read_text(encoding="utf-8")
    targets = [(kind, path) for kind, path, _ in _BLOCK_RE.findall(text)]
    assert ("append", "ontology/sectors.ttl") in targets
    assert ("append", "ontology/indicators.ttl") in targets
    assert ("append", "ontology/hkg.ttl") in targets
    assert ("append", "data/reference/organisations-national-ngos.ttl") in targets
    assert ("append", "data/reference/places-mali.ttl") in targets
    commands = _COMMAND_RE.findall(text)
    for expected in ("kg ontology check", "kg validate --reference", "kg build"):
        assert expected in commands
    assert any(c.startswith("kg query who-what-where --param sector=Health") for c in commands)


@pytest.mark.slow
def test_walk_through(checkout: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind, target, body in _BLOCK_RE.findall(text):
        path = checkout / target
        assert kind == "write" or path.is_file(), f"the page appends to a missing file {target}"
        with path.open("a" if kind == "append" else "w", encoding="utf-8") as handle:
            handle.write(("\n" if kind == "append" else "") + body)
    _clear_caches()

    outputs: dict[str, str] = {}
    for command in _COMMAND_RE.findall(text):
        args = shlex.split(command)[1:]
        if args[0] == "query":
            args += ["--format", "json"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, f"$ {command}\n{result.stdout}\n{result.stderr}"
        outputs[command] = result.stdout

    assert outputs["kg ontology check"].startswith("ok: ontology + reference data")

    extraction = json.loads(outputs["kg extract data/reports/sfm-mali-2024.txt --format json"])
    assert extraction["publisher"]["iri"].endswith("/org/sight-for-mali")
    by_value = {figure["value"]: figure for figure in extraction["outcomes"]}
    patients, surgeries = by_value[1200], by_value[300]
    assert patients["sector"]["iri"].endswith("/sector/eye-health")  # through "eye care"
    assert [p["label"] for p in patients["places"]] == ["Mopti"]
    assert surgeries["indicator"]["iri"].endswith("/indicator/cataract-surgeries")
    assert [p["iri"].rsplit("/", 1)[-1] for p in surgeries["places"]] == ["ml-somadougou"]

    assert "1 built, 0 failed" in outputs["kg build"]
    assert "violations: 0" in outputs["kg build"]

    rows = json.loads(outputs["kg query who-what-where --param sector=Health"])
    eye = [row for row in rows if row["sector"] == "Eye health"]
    assert {row["organisation"] for row in eye} == {"Sight for Mali Foundation"}
    assert "Mopti" in {row["place"] for row in eye}

    rows = json.loads(outputs["kg query organisations-in --param place=Mopti"])
    assert "Sight for Mali Foundation" in {row["organisation"] for row in rows}

    assert (checkout / "ontology" / "hkg.owl").is_file()
    assert (checkout / "build" / "docs" / "index.html").is_file()
    assert "sector-eye-health" in (checkout / "build" / "docs" / "index.html").read_text(
        encoding="utf-8"
    )
