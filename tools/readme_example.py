"""The README's "Example output": what `kg build --answers` prints on the seed reports.

    python tools/readme_example.py          # rewrite the block in README.md
    python tools/readme_example.py --check  # exit 1 when README.md is out of step

The block is the build table, its summary line and the first answer in full, then "…" (the
other answers follow in the real output). The build runs in a temporary directory so the
summary names the default store, `build/store`; the timing line is left out (it changes from
run to run). `tests/test_readme.py` runs the check, so the README never goes stale.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
WIDTH = "100"
_BLOCK = re.compile(r"(## Example output\n\n```text\n)(.*?)(\n```\n)", re.DOTALL)


def example_output() -> str:
    """Run `kg build --answers` on a copy of `data/reports` and keep what the README shows."""
    from kg.cli import app

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(ROOT / "data" / "reports", Path(tmp) / "data" / "reports")
        here = Path.cwd()
        os.chdir(tmp)
        try:
            result = CliRunner().invoke(
                app, ["build", "--answers"], env={"COLUMNS": WIDTH, "NO_COLOR": "1"}
            )
        finally:
            os.chdir(here)
    if result.exit_code != 0:
        raise RuntimeError(f"kg build --answers failed ({result.exit_code}):\n{result.output}")
    lines = [line.rstrip() for line in result.output.splitlines()]
    lines = [line for line in lines if not line.startswith("full build:")]
    answers = [i for i, line in enumerate(lines) if "(kg query " in line]
    end = answers[1] if len(answers) > 1 else len(lines)
    kept = lines[:end]
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(["$ kg build --answers", *kept, "…"])


def readme_block(text: str) -> str:
    m = _BLOCK.search(text)
    if m is None:
        raise ValueError("README.md has no '## Example output' text block")
    return m.group(2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is in step")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    fresh = example_output()
    if args.check:
        if readme_block(text) != fresh:
            print("README.md's example output is stale: run python tools/readme_example.py")
            return 1
        return 0
    README.write_text(
        _BLOCK.sub(lambda m: m.group(1) + fresh + m.group(3), text, count=1), encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
