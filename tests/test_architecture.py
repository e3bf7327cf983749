"""The layout of `src/kg` (issue 19): each stage of the flow is one package or module, and
imports only point downstream, lazy imports inside functions included.

The flow, report text → facts → RDF → store → validated, reasoned graph → build → answers,
is `STAGES` below, first to last. A module may import its own stage and any earlier one, never
a later one: a newcomer who changes a stage only has to read what comes before it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

# Each stage: the modules and packages it is made of, by dotted name.
STAGES: tuple[tuple[str, ...], ...] = (
    ("kg", "kg.folding", "kg.namespaces", "kg.model", "kg.resources", "kg.reports", "kg.geo"),
    ("kg.reference",),  # ontology, vocabularies, gazetteer: loaded once, passed as Reference
    ("kg.extract",),  # text → facts
    ("kg.emit",),  # facts → RDF
    ("kg.store",),  # the embedded store, read by every stage after it
    ("kg.validate",),  # SHACL
    ("kg.reason",),  # materialised inferences, HermiT
    ("kg.query",),  # named queries, local and remote backends
    ("kg.build",),  # reports → store
    ("kg.push",),  # the store → a remote store
    ("kg.export",),  # the store → HXL and other ecosystem formats
    ("kg.server",),  # the endpoint and its pages
    ("kg.tools",),  # developer and curator tools
    ("kg.cli", "kg.__main__"),
)


def _rank(module: str) -> int:
    best = None
    for rank, members in enumerate(STAGES):
        for member in members:
            if module == member or (member != "kg" and module.startswith(member + ".")):
                best = rank
    if best is None:
        if module == "kg" or module.count(".") == 0:
            return 0
        raise AssertionError(f"{module} belongs to no stage: add it to STAGES")
    return best


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted((SRC / "kg").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((".".join(parts), path))
    return out


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every kg import, at the top or inside a function."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "kg":
                found += [(node.lineno, f"kg.{alias.name}") for alias in node.names]
            elif node.module.startswith("kg."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("kg.")]
    return [(line, name) for line, name in found if name != "kg.__version__"]


def test_every_module_belongs_to_a_stage() -> None:
    for module, _path in _modules():
        _rank(module)


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: str(v))
def test_imports_point_downstream(module: str, path: Path) -> None:
    upstream = [
        f"{path.relative_to(SRC)}:{line} imports {name} (a later stage)"
        for line, name in _imports(path)
        if _rank(name) > _rank(module)
    ]
    assert not upstream, "\n".join(upstream)


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    # the test above can fail: a lazy import of a later stage inside a function is found
    source = tmp_path / "emit.py"
    source.write_text("def f():\n    from kg.build.run import build\n", encoding="utf-8")
    assert [_rank(name) > _rank("kg.emit") for _line, name in _imports(source)] == [True]


def test_every_package_says_what_it_is_for() -> None:
    for init in sorted((SRC / "kg").rglob("__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{init.relative_to(SRC)} has no docstring"


LONG = 500  # lines: past this a module must say why it is one file


def test_a_long_module_says_why_it_is_one_file() -> None:
    """A newcomer who opens a long file first reads why it was not split ("One file: …")."""
    unexplained = []
    for path in sorted((SRC / "kg").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LONG:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if not re.search(r"^One file: \S", doc, re.MULTILINE):
            unexplained.append(str(path.relative_to(SRC)))
    assert unexplained == []


def _empty_containers(tree: ast.Module) -> list[str]:
    """Module-level names bound to an empty dict, list or set: state filled at run time."""
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        empty = (
            (isinstance(value, ast.Dict) and not value.keys)
            or (isinstance(value, (ast.List, ast.Set)) and not value.elts)
            or (
                isinstance(value, ast.Call)
                and isinstance(value.func, ast.Name)
                and value.func.id in {"dict", "list", "set", "defaultdict"}
                and not value.args
            )
        )
        if empty and isinstance(target, ast.Name):
            names.append(target.id)
    return names


def test_module_level_state_is_only_the_documented_caches() -> None:
    """State is passed, not imported: each process-wide cache is named in
    docs/architecture.md ("Process-wide state") with why it is safe."""
    documented = (SRC.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    undocumented = []
    for path in sorted((SRC / "kg").rglob("*.py")):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        for name in _empty_containers(ast.parse(path.read_text(encoding="utf-8"))):
            if f"`{module}.{name}`" not in documented:
                undocumented.append(f"{module}.{name}")
    assert undocumented == []


def test_the_state_check_sees_a_new_cache() -> None:
    tree = ast.parse("_SEEN: dict[str, int] = {}\nTABLE = {'a': 1}\n_LIST = list()\n")
    assert _empty_containers(tree) == ["_SEEN", "_LIST"]


def test_every_hkg_term_the_code_writes_is_declared_by_the_ontology() -> None:
    # what kg.namespaces promises: a term used in code and missing from ontology/ is a typo
    # or an undocumented addition, and SHACL would not see it either
    from rdflib import Graph

    from kg.namespaces import HKG
    from kg.resources import asset_files

    ontology = Graph()
    for path in asset_files("ontology", "*.ttl"):
        ontology.parse(path, format="turtle")
    declared = {str(s) for s in ontology.subjects()}
    used = set()
    for _module, path in _modules():
        text = path.read_text(encoding="utf-8")
        used |= {(m, path.name) for m in re.findall(r"\bHKG\.([A-Za-z_][A-Za-z0-9_]*)", text)}
    missing = sorted(
        f"hkg:{term} ({name})" for term, name in used if str(HKG[term]) not in declared
    )
    assert not missing, missing
