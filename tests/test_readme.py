"""The README's example output is what `kg build --answers` prints today (tools/readme_example.py
regenerates it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str = "readme_example"):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_readme_example_output_is_what_the_build_prints() -> None:
    tool = _tool()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert tool.readme_block(readme) == tool.example_output(), (
        "README.md's example output is stale: run python tools/readme_example.py"
    )


def test_a_readme_without_the_block_is_an_error() -> None:
    tool = _tool()
    try:
        tool.readme_block("# A README\n\nNo example here.\n")
    except ValueError as exc:
        assert "Example output" in str(exc)
    else:
        raise AssertionError("a README without the example block was accepted")


@pytest.mark.slow
def test_the_readme_layout_lists_every_module_of_the_package() -> None:
    tool = _tool("readme_layout")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert tool.readme_block(readme) == tool.layout(), (
        "README.md's src/kg layout is stale: run python tools/readme_layout.py"
    )
    modules = sorted(p.name for p in (ROOT / "src" / "kg").rglob("*.py"))
    for name in set(modules) - {"__init__.py", "__main__.py"}:
        assert f" {name} " in tool.layout(), name


def test_a_module_without_a_docstring_is_refused(tmp_path: Path) -> None:
    tool = _tool("readme_layout")
    bare = tmp_path / "bare.py"
    bare.write_text("x = 1\n", encoding="utf-8")
    tool.ROOT = tmp_path
    try:
        tool.summary(bare)
    except ValueError as exc:
        assert "docstring" in str(exc)
    else:
        raise AssertionError("a module without a docstring was listed")
