"""The store swap under real process kills (issue 20): a `kg build` child process is killed
with SIGKILL at each named point of a write (`kg.store._step`, replaced in the child), with
the atomic exchange and with the fallback renames. Whatever the point, the store opens with the
last good data (the previous store before the swap is committed, the new one after), and the
next build puts right what the killed one left and leaves nothing beside the store."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build.run import build
from kg.query.named import stats
from kg.store import dump_sorted, locate_store, open_store, recover_store
from store_support import dump

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "reports"
CHANGED = "msf-mali-2023"

# A child process: replace kg.store._step so that reaching POINT kills the process with
# SIGKILL (no cleanup of any kind runs), optionally make the atomic exchange unavailable, and
# run a build. Exit 3 means the point was never reached.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import kg.store
    point, swap, kind, reports, store, cache = sys.argv[1:7]

    def step(name):
        if name == point:
            os.kill(os.getpid(), signal.SIGKILL)

    kg.store._step = step
    if swap == "fallback":
        kg.store._exchange = lambda first, second: False
    from kg.build.run import build
    build([Path(reports)], Path(store), workers=1, full=kind == "full", cache_dir=Path(cache))
    sys.exit(3)
    """
)


@dataclass
class Corpora:
    old: Path  # the reports the base store was built from
    new: Path  # the same with one report changed
    base: Path  # the store built from `old`
    cache: Path
    old_dump: bytes
    new_dump: bytes


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Corpora:
    root = tmp_path_factory.mktemp("swap")
    old, new = root / "old", root / "new"
    shutil.copytree(SEEDS, old)
    shutil.copytree(SEEDS, new)
    report = new / f"{CHANGED}.txt"
    report.write_text(
        report.read_text(encoding="utf-8").replace("530,000", "531,000"), encoding="utf-8"
    )
    cache = root / "cache"
    base = root / "base" / "store"
    assert build([old], base, cache_dir=cache).ok
    expected = root / "expected" / "store"
    assert build([new], expected, cache_dir=cache).ok
    return Corpora(old, new, base, cache, dump(base), dump(expected))


# (point, swap): the points each swap goes through, and whether the new store is committed
POINTS = [
    ("locked", "exchange", False),
    ("filling", "exchange", False),
    ("filled", "exchange", False),
    ("swapped", "exchange", True),
    ("removing", "exchange", True),
    ("filled", "fallback", False),
    ("renamed-new", "fallback", False),
    ("displaced", "fallback", True),  # no directory at the path: the complete new one is found
    ("swapped", "fallback", True),
    ("removing", "fallback", True),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["incremental", "full"])
@pytest.mark.parametrize(("point", "swap", "committed"), POINTS)
def test_a_build_killed_at_each_step_leaves_a_store_with_the_last_good_data(
    corpora: Corpora, tmp_path: Path, kind: str, point: str, swap: str, committed: bool
) -> None:
    store = tmp_path / "build" / "store"
    shutil.copytree(corpora.base, store)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            point,
            swap,
            kind,
            str(corpora.new),
            str(store),
            str(corpora.cache),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr  # killed at `point`

    expected = corpora.new_dump if committed else corpora.old_dump
    assert dump(store) == expected  # every command opens the store with open_store
    assert stats(open_store(store))["quads"] > 0
    if swap == "fallback" and point == "displaced":
        # the one state with no directory at the path; `kg serve` puts the store back first,
        # as its query workers open the path itself
        assert not store.exists() and locate_store(store) != store
        assert any(line.startswith("restored") for line in recover_store(store))
    # the path itself holds a whole store (what kg serve's workers open)
    assert locate_store(store) == store
    direct = ox.Store.read_only(str(store))
    assert dump_sorted(direct) == expected
    del direct

    # the next build restores and removes what the killed one left
    again = build([corpora.new], store, workers=1, cache_dir=corpora.cache)
    assert again.ok, [r.error for r in again.failed]
    assert dump(store) == corpora.new_dump
    assert sorted(os.listdir(store.parent)) == ["store"]
    if point not in ("locked", "displaced"):
        assert again.cleaned, "the killed build left something to put right"


@pytest.mark.slow
def test_a_build_of_a_new_store_killed_before_the_swap_leaves_no_store(
    corpora: Corpora, tmp_path: Path
) -> None:
    """No store before: a build killed before its one rename leaves none (`kg stats`: no
    store), never a half-built one; the next build cleans up and builds it."""
    store = tmp_path / "build" / "store"
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            "filled",
            "exchange",
            "full",
            str(corpora.new),
            str(store),
            str(corpora.cache),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert not store.exists()
    with pytest.raises(FileNotFoundError):
        open_store(store)
    leftovers = sorted(os.listdir(store.parent))
    assert any(name.startswith("store.tmp-") for name in leftovers), leftovers
    again = build([corpora.new], store, workers=1, cache_dir=corpora.cache)
    assert again.ok and dump(store) == corpora.new_dump
    assert sorted(os.listdir(store.parent)) == ["store"]


@pytest.mark.slow
def test_what_the_previous_swap_left_on_a_crash_is_recovered(
    corpora: Corpora, tmp_path: Path
) -> None:
    """The state the two renames of earlier versions left when killed between them: no store
    at the path, the previous one under `store.old-PID` and the new one, maybe half-built,
    under `store.tmp-PID`. The store opens from `store.old-PID`; the next build moves it back
    and removes the rest."""
    store = tmp_path / "build" / "store"
    shutil.copytree(corpora.base, store.with_name("store.old-4242"))
    half = store.with_name("store.tmp-4242")
    half.mkdir()
    (half / "000012.sst").write_bytes(b"half")
    store.with_name("store.load-4242.nq").write_bytes(b"<a> <b> <c> <d> .\n" * 10)
    assert dump(store) == corpora.old_dump
    with pytest.raises(Exception, match="kg build"):
        open_store(store, read_only=False)
    result = build([corpora.old], store, workers=1, cache_dir=corpora.cache)
    assert result.ok and result.mode == "unchanged"  # the manifest came back with the store
    assert any("restored" in line and "store.old-4242" in line for line in result.cleaned)
    assert dump(store) == corpora.old_dump
    assert sorted(os.listdir(store.parent)) == ["store"]
