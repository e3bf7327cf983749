"""Every command's help: an example of its use, and no `<bool>` beside its flags (issue 21)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import typer
from typer.testing import CliRunner

from kg.cli import app

runner = CliRunner()


def _commands(group: object, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for name, command in sorted(getattr(group, "commands", {}).items()):
        if getattr(command, "commands", None):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_every_command_is_walked() -> None:
    assert {"build", "query", "serve"} <= {c[-1] for c in COMMANDS}
    assert ("ontology", "check") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_has_an_example_and_no_bool_type(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    example = re.search(r"Example: (kg [^│╭]*)", text)
    assert example, f"kg {' '.join(command)} --help has no example"
    assert example.group(1).startswith("kg " + " ".join(command)), example.group(1)
    assert "<bool>" not in result.output
