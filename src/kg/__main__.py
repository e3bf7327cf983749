"""`python -m kg` runs the `kg` command (useful where pip's script directory is not on PATH)."""

from kg.cli import app

app(prog_name="kg")
