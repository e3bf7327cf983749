"""Where the project's data files live: one module so nothing else guesses paths.

In a source checkout (editable install, tests) the files are the repository's own
`ontology/`, `shapes/`, `queries/`, `data/reference/`, `data/lexicon/` and `data/export/`
(the schemas exports are checked against). In a wheel they are
shipped under `kg/assets/`. `KG_HOME` overrides both, so an ontology editor can point the tools
at a modified copy of the repository without reinstalling.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent

# asset name -> path relative to the repository root
_REPO_LAYOUT = {
    "ontology": "ontology",
    "shapes": "shapes",
    "queries": "queries",
    "reference": "data/reference",
    "lexicon": "data/lexicon",
    "gazetteers": "data/gazetteers",
    "export": "data/export",
}


@cache
def _repo_root() -> Path | None:
    home = os.environ.get("KG_HOME")
    if home:
        return Path(home).resolve()
    candidate = _PACKAGE_DIR.parent.parent  # src/kg -> repository root
    if (candidate / "ontology").is_dir() and (candidate / "pyproject.toml").is_file():
        return candidate
    return None


def asset_dir(name: str) -> Path:
    """Directory holding one kind of data file (ontology, shapes, queries, reference, lexicon)."""
    if name not in _REPO_LAYOUT:
        raise KeyError(f"unknown asset directory {name!r}")
    root = _repo_root()
    if root is not None:
        return root / _REPO_LAYOUT[name]
    return _PACKAGE_DIR / "assets" / name


def asset_files(name: str, pattern: str) -> list[Path]:
    """Files of one asset directory matching a glob, sorted so loading order is stable."""
    return sorted(asset_dir(name).glob(pattern))


def clear_cache() -> None:
    """Forget the resolved root (tests that set KG_HOME call this)."""
    _repo_root.cache_clear()


def query_text(folder: str, name: str) -> str:
    """The text of `queries/<folder>/<name>.rq`: the SPARQL of one part of the code (`internal`,
    `server`, `web`), read from the one tree every query lives in."""
    return (asset_dir("queries") / folder / f"{name}.rq").read_text(encoding="utf-8")


def internal_query(name: str) -> str:
    """The text of `queries/internal/<name>.rq`: a query the code runs for itself, its values
    given as bindings (substitutions, or VALUES for a remote endpoint), never pasted in."""
    return query_text("internal", name)
