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


# unusable input for every command: each must end with exit code 2 (docs/exit-codes.md)
UNUSABLE = {
    ("build",): ["build", "/no/such/reports"],
    ("docs",): ["docs", "--out", "/proc/no/such/dir"],
    ("export", "3w"): ["export", "3w", "--store", "/no/such/store"],
    ("export", "figures"): ["export", "figures", "--store", "/no/such/store"],
    ("extract",): ["extract", "/no/such/report.txt"],
    ("ontology", "check"): ["ontology", "check", "/no/such/file.ttl"],
    ("ontology", "export"): ["ontology", "export", "--no-such-option"],
    ("push",): ["push", "--endpoint", "http://127.0.0.1:9/query", "--store", "/no/such/store"],
    ("queries",): ["queries", "--no-such-option"],
    ("report",): ["report", "Timbuktu", "--store", "/no/such/store"],
    ("query",): ["query", "outcomes", "--store", "/no/such/store"],
    ("serve",): ["serve", "--store", "/no/such/store", "--port", "0"],
    ("stats",): ["stats", "--store", "/no/such/store"],
    ("synth",): ["synth", "--out", "/proc/no/such/dir", "--reports", "1"],
    ("validate",): ["validate", "/no/such/file.ttl"],
}


def test_every_command_has_an_unusable_input_case() -> None:
    assert set(UNUSABLE) == set(COMMANDS)


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_unusable_input_exits_2(command: tuple[str, ...]) -> None:
    result = runner.invoke(app, UNUSABLE[command])
    assert result.exit_code == 2, result.output
