"""Derived data kept on disk between runs: the compiled reference data and gazetteer indexes.

Both take seconds to build from their sources (Turtle files, pycountry, GeoNames) and a tenth of
a second to load, so every command after the first starts fast. An entry is named by a digest of
everything it is built from (the data files, the code that builds it, the packages' versions):
when any of them changes, the entry is simply not found and is built again. The directory is the
user's cache directory (`platformdirs`), or `KG_CACHE_DIR`; deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

CACHE_ENV = "KG_CACHE_DIR"


def cache_dir() -> Path:
    """Where derived data is kept: `KG_CACHE_DIR`, else the user's cache directory."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("humanitarian-kg", appauthor=False))


def build_cache_dir(store: Path) -> Path:
    """Where `kg build` keeps the per-report outputs of the store at `store`: under the user's
    cache directory, one folder per store (by its absolute path), never beside the store (a
    build must not write outside the store it was asked to write)."""
    key = hashlib.sha256(str(Path(store).resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "builds" / key


def digest(files: Iterable[Path], packages: Iterable[str] = (), extra: str = "") -> str:
    """A digest of files' names and bytes, installed packages' versions and a free text."""
    h = hashlib.sha256(extra.encode())
    for name in sorted(packages):
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        h.update(f"\0{name} {version}".encode())
    for path in sorted(files):
        if path.is_file():
            h.update(f"\0{path.name}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:24]


def load_or_build(kind: str, key: str, build: Callable[[], T]) -> T:
    """The object cached as `kind` for this key, or `build()` kept for next time.

    Only the few most recent entries of a kind are kept (several checkouts may share the
    cache). A damaged or unreadable entry is rebuilt; a cache that cannot be written only
    costs time."""
    folder = cache_dir()
    path = folder / f"{kind}-{key}.pickle"
    try:
        with path.open("rb") as handle:
            value: T = pickle.load(handle)  # noqa: S301 - our own cache
            return value
    except Exception:  # noqa: BLE001, S110 - missing or damaged: (re)built below
        pass
    value = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        with tmp.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        prune(folder, f"{kind}-*.pickle")
    except OSError:
        pass
    return value


KEEP = 4


def prune(folder: Path, pattern: str, keep: int = KEEP) -> None:
    """Remove all but the `keep` most recently written entries matching `pattern`."""
    entries = []
    for entry in folder.glob(pattern):
        try:
            entries.append((entry.stat().st_mtime, entry))
        except OSError:
            continue
    for _, old in sorted(entries, reverse=True)[keep:]:
        try:
            if old.is_dir():
                for child in old.iterdir():
                    child.unlink(missing_ok=True)
                old.rmdir()
            else:
                old.unlink(missing_ok=True)
        except OSError:
            pass
