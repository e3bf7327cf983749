"""Helpers the store and build tests share."""

from __future__ import annotations

from pathlib import Path

from kg.store import dump_sorted, open_store


def dump(path: Path) -> bytes:
    """Every quad of the store at `path` as sorted N-Quads: equal bytes, equal content."""
    store = open_store(path)
    try:
        return dump_sorted(store)
    finally:
        del store
