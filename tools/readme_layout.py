"""The README's layout of `src/kg/`: one line per module and package, from its own docstring.

    python tools/readme_layout.py          # rewrite the block in README.md
    python tools/readme_layout.py --check  # exit 1 when README.md is out of step

Each entry is the first sentence of the module's (or package's `__init__.py`) docstring, so a
new module appears in the README as soon as it has a docstring, and a renamed one never leaves
a stale line behind. `tests/test_readme.py` runs the check.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PACKAGE = ROOT / "src" / "kg"
NAME_COLUMN = 30  # where descriptions start, as in the rest of the README's layout
WIDTH = 100
START = "src/kg/                     the package, one folder per stage (docs/architecture.md):\n"
_BLOCK = re.compile(re.escape(START) + r"((?:  .*\n)*)")
_SKIP = {"__main__.py", "py.typed"}


def summary(path: Path) -> str:
    """The docstring's first sentence, on one line."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    if not doc:
        raise ValueError(f"{path.relative_to(ROOT)} has no docstring: say what it is for")
    text = " ".join(doc.split("\n\n", 1)[0].split())
    first = re.split(r"(?<=[.:])\s+(?=[A-Z`(])", text, maxsplit=1)[0]
    return first.rstrip(".:")


def _entry(depth: int, name: str, text: str) -> list[str]:
    lead = "  " * depth + name
    indent = " " * NAME_COLUMN
    lines = textwrap.wrap(text, WIDTH - NAME_COLUMN, break_on_hyphens=False)
    first = lead.ljust(NAME_COLUMN) if len(lead) < NAME_COLUMN else lead + " "
    return [first + lines[0]] + [indent + line for line in lines[1:]]


def layout() -> str:
    """The block's body: every module of `src/kg`, packages with their modules below them."""
    out: list[str] = []

    def walk(folder: Path, depth: int) -> None:
        for path in sorted(folder.iterdir(), key=lambda p: (p.is_dir(), p.name)):
            if path.name in _SKIP or path.name == "__init__.py" or path.name.startswith("."):
                continue
            if path.is_dir():
                init = path / "__init__.py"
                if not init.is_file():
                    continue  # data folders (web/) are not code
                out.extend(_entry(depth, path.name + "/", summary(init)))
                walk(path, depth + 1)
            elif path.suffix == ".py":
                out.extend(_entry(depth, path.name, summary(path)))

    walk(PACKAGE, 1)
    return "".join(line.rstrip() + "\n" for line in out)


def readme_block(readme: str) -> str:
    """The layout block as the README has it now."""
    m = _BLOCK.search(readme)
    if m is None:
        raise ValueError("README.md has no src/kg layout block (a line starting 'src/kg/ …')")
    return m.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    current, wanted = readme_block(readme), layout()
    if args.check:
        if current != wanted:
            print("README.md's src/kg layout is stale: run python tools/readme_layout.py")
            return 1
        return 0
    m = _BLOCK.search(readme)
    if m is None:  # readme_block above raised already; this keeps mypy sure
        return 1
    README.write_text(readme[: m.start(1)] + wanted + readme[m.end(1) :], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
