"""`kg build` never loses data (issue 20): a report that fails keeps its last good graph,
marked stale; a build that would remove every report is refused without --prune and removed
reports are named; two builds of one store do not interleave; a killed build's workers die
with it and its leftovers are cleaned by the next build."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.build.run import RemovalRefused, build, stale_reports
from kg.cli import app
from kg.namespaces import report_graph
from kg.store import StoreBusyError, lock_store, open_store, read_manifest
from store_support import dump

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "reports"
runner = CliRunner()


def graph_lines(path: Path, report_id: str) -> list[str]:
    """The sorted N-Quads lines of one report's graph."""
    graph = f"<{report_graph(report_id)}>"
    return sorted(line for line in dump(path).decode().splitlines() if graph in line)


def kg(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    target = tmp_path / "reports"
    shutil.copytree(SEEDS, target)
    return target


# --- a report that fails keeps its last good graph, marked stale --------------------------------


@pytest.mark.slow
def test_a_report_that_fails_keeps_its_last_good_graph_marked_stale(
    corpus: Path, tmp_path: Path
) -> None:
    store, cache = tmp_path / "b" / "store", tmp_path / "b" / "cache"
    assert build([corpus], store, cache_dir=cache).ok
    before = dump(store)
    graph = graph_lines(store, "msf-mali-2023")
    assert graph

    report = corpus / "msf-mali-2023.txt"
    good = report.read_bytes()
    report.write_bytes(b"")  # emptied (a failed download, a truncated copy)
    result = build([corpus], store, cache_dir=cache)
    assert not result.ok  # the CLI exits 1
    [row] = result.stale
    assert (row.report_id, row.status) == ("msf-mali-2023", "stale")
    assert row.error and "empty file" in row.error and str(report) in row.error
    assert row.facts == 16 and row in result.failed
    assert dump(store) == before  # the graph and its inferred triples stay, byte for byte
    assert stale_reports(store) == {"msf-mali-2023": row.error}
    entry = json.loads(read_manifest(store) or b"")["reports"]["msf-mali-2023"]
    assert entry["stale"] == row.error

    again = build([corpus], store, cache_dir=cache)  # still failing: nothing to write
    assert again.mode == "unchanged" and not again.ok
    assert [r.report_id for r in again.stale] == ["msf-mali-2023"]
    assert dump(store) == before

    report.write_bytes(good.replace(b"530,000", b"531,000"))  # a good version replaces it
    fixed = build([corpus], store, cache_dir=cache)
    assert fixed.ok and not fixed.stale and stale_reports(store) == {}
    assert graph_lines(store, "msf-mali-2023") != graph
    assert build([corpus], tmp_path / "full" / "store", cache_dir=cache).ok
    assert dump(store) == dump(tmp_path / "full" / "store")


@pytest.mark.slow
def test_a_full_build_keeps_a_stale_graph_as_the_incremental_build_does(
    corpus: Path, tmp_path: Path
) -> None:
    """Same inputs, same store: a stale report's graph and inferred triples come from the
    previous store in a full build (`--full`, new code) and stay in an incremental one."""
    store, cache = tmp_path / "b" / "store", tmp_path / "b" / "cache"
    assert build([corpus], store, cache_dir=cache).ok
    before = dump(store)
    # a NUL byte after the first 8 KB: the file was corrupted (it used to be accepted)
    report = corpus / "imc-mali-factsheet-2025.txt"
    data = report.read_bytes()
    assert len(data) > 8192
    report.write_bytes(data[:8300] + b"\x00" + data[8300:])
    full = build([corpus], store, cache_dir=cache, full=True)
    assert full.mode == "full" and not full.ok
    [row] = full.stale
    assert "NUL byte at offset 8300" in (row.error or "")
    assert dump(store) == before
    incremental = build([corpus], store, cache_dir=cache)  # the manifest marks it stale
    assert incremental.mode == "unchanged" and dump(store) == before
    assert stale_reports(store) == {"imc-mali-factsheet-2025": row.error}


@pytest.mark.slow
def test_a_new_report_that_fails_is_failed_not_stale(corpus: Path, tmp_path: Path) -> None:
    store = tmp_path / "b" / "store"
    assert build([corpus], store, cache_dir=None).ok
    (corpus / "new-one.txt").write_bytes(b"\xff\xfe\x00n\x00e\x00w")
    result = build([corpus], store, cache_dir=None)
    assert [(r.path.name, r.status) for r in result.failed] == [("new-one.txt", "failed")]
    assert stale_reports(store) == {}


@pytest.mark.slow
def test_kg_build_and_kg_stats_show_stale_reports(corpus: Path, tmp_path: Path) -> None:
    store = tmp_path / "b" / "store"
    assert kg("build", str(corpus), "--store", str(store))[0] == 0
    (corpus / "nrc-mali-2023.txt").write_bytes(b"   \n")
    code, out, err = kg("build", str(corpus), "--store", str(store))
    assert code == 1
    assert "stale" in out and "4 built, 1 failed (1 stale)" in out
    assert "nrc-mali-2023.txt: empty file" in err and "marked stale" in err
    code, out, _ = kg("stats", "--store", str(store))
    assert code == 0
    assert "stale reports" in out and "nrc-mali-2023" in out and "empty file" in out


# --- removals --------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_build_that_would_remove_every_report_is_refused_without_prune(
    corpus: Path, tmp_path: Path
) -> None:
    store = tmp_path / "b" / "store"
    assert build([corpus], store, cache_dir=None).ok
    before = dump(store)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RemovalRefused, match="--prune") as refused:
        build([empty], store, cache_dir=None)
    assert len(refused.value.removed) == 5
    assert dump(store) == before
    assert sorted(os.listdir(store.parent)) == ["store"]

    code, _, err = kg("build", str(empty), "--store", str(store))
    assert code == 2
    assert "none of the 5 reports" in err and "--prune" in err and "not touched" in err
    assert dump(store) == before

    code, out, _ = kg("build", str(empty), "--store", str(store), "--prune")
    assert code == 0
    assert "5 removed" in out
    assert "removed: alima-mali, imc-mali-factsheet-2025, msf-mali-2020" in out
    assert stats_reports(store) == []


def stats_reports(store: Path) -> list[str]:
    from kg.query.named import stats

    return sorted(row["report"] for row in stats(open_store(store))["reports"].values())


@pytest.mark.slow
def test_removed_reports_are_named_in_full_and_incremental_builds(
    corpus: Path, tmp_path: Path
) -> None:
    """A partial removal needs no --prune (docs/decisions/0004) but is named; a full build
    used to say "0 removed"."""
    store = tmp_path / "b" / "store"
    assert build([corpus], store, cache_dir=None).ok
    for suffix in (".txt", ".yaml"):
        (corpus / f"nrc-mali-2023{suffix}").unlink()
    full = build([corpus], store, cache_dir=None, full=True)
    assert full.ok and full.mode == "full"
    assert (full.removed, full.removed_reports) == (1, ["nrc-mali-2023"])
    for suffix in (".txt", ".yaml"):
        (corpus / f"alima-mali{suffix}").unlink()
    code, out, _ = kg("build", str(corpus), "--store", str(store))
    assert code == 0 and "1 removed" in out and "removed: alima-mali" in out
    assert "nrc-mali-2023" not in stats_reports(store)


# --- one build at a time -----------------------------------------------------------------------

HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from kg.store import lock_store
    with lock_store(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


@pytest.mark.slow
def test_a_second_build_of_the_same_store_is_refused_while_one_runs(
    corpus: Path, tmp_path: Path
) -> None:
    store = tmp_path / "b" / "store"
    assert build([corpus], store, cache_dir=None).ok
    before = dump(store)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(store), "60"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreBusyError) as busy:
            build([corpus], store, cache_dir=None, full=True)
        assert busy.value.holder == holder.pid
        code, _, err = kg("build", str(corpus), "--store", str(store))
        assert code == 2 and f"process {holder.pid} is already writing" in err
        assert dump(store) == before
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    # the holder was killed: its lock went with it, and the next build tidies up
    assert build([corpus], store, cache_dir=None, full=True).ok
    assert sorted(os.listdir(store.parent)) == ["store"]


@pytest.mark.slow
def test_lock_store_can_wait_for_the_other_writer(tmp_path: Path) -> None:
    store = tmp_path / "store"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(store), "1.5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with lock_store(store, wait=True) as lock:
            assert time.monotonic() - started > 0.5
            assert lock.path == store
            assert (tmp_path / "store.lock").read_text().strip() == str(os.getpid())
    finally:
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
    assert not (tmp_path / "store.lock").exists()  # nothing left beside the store


# --- a killed build: workers die with it, leftovers are cleaned ------------------------------


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found.update(int(child) for child in text)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie is dead, only not yet reaped


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_workers_die_with_a_killed_build_and_the_next_build_cleans_up(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for copy in range(6):  # 30 reports: the workers have many seconds of work
        for source in sorted(SEEDS.glob("*.txt")):
            shutil.copy(source, reports / f"{source.stem}-{copy}.txt")
            shutil.copy(source.with_suffix(".yaml"), reports / f"{source.stem}-{copy}.yaml")
    store = tmp_path / "b" / "store"
    cache = tmp_path / "b" / "cache"
    script = (
        "import sys; from pathlib import Path; from kg.build.run import build; "
        "build([Path(sys.argv[1])], Path(sys.argv[2]), workers=2, cache_dir=Path(sys.argv[3]))"
    )
    child = subprocess.Popen([sys.executable, "-c", script, str(reports), str(store), str(cache)])
    everything: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and child.poll() is None:
            workers = {
                pid
                for pid in _children(child.pid)
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
            }
            if len(workers) >= 2 and any(cache.glob("reports/*.json")):
                break  # the workers are processing reports
            time.sleep(0.1)
        assert child.poll() is None and len(workers) >= 2, "the build did not start its workers"
        everything = _children(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_running(pid) for pid in everything):
            time.sleep(0.1)
        survivors = [pid for pid in everything if _running(pid)]
        assert not survivors, f"processes {survivors} outlived the build"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for pid in everything:
            if _running(pid):  # started by this test: do not leave them behind on failure
                os.kill(pid, signal.SIGKILL)
    left = sorted(os.listdir(store.parent))
    assert any(name.startswith("store.load-") for name in left), left
    result = build([reports], store, workers=1, cache_dir=cache)
    assert result.ok
    assert any("load file" in line for line in result.cleaned)
    assert sorted(os.listdir(store.parent)) == ["cache", "store"]
    assert not [p for p in cache.rglob("*") if ".tmp-" in p.name]


def test_a_worker_outside_linux_watches_its_parent(tmp_path: Path) -> None:
    """The fallback of `die_with_parent`: a thread that exits the process once its parent
    is gone (here run on Linux too, directly)."""
    grandchild = tmp_path / "grandchild.pid"
    middle = textwrap.dedent(
        f"""
        import subprocess, sys, time
        code = "import os, time; from kg.build.workers import watch_parent; " \\
               "open({str(grandchild)!r}, 'w').write(str(os.getpid())); " \\
               "watch_parent(os.getppid(), 0.05); time.sleep(60)"
        subprocess.Popen([sys.executable, "-c", code])
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", middle])
    try:
        deadline = time.monotonic() + 60
        while not grandchild.exists() or not grandchild.read_text():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        pid = int(grandchild.read_text())
        assert _running(pid)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.05)
    assert not _running(pid)


@pytest.mark.slow
def test_cache_files_of_dead_processes_are_removed_not_those_of_live_ones(
    corpus: Path, tmp_path: Path
) -> None:
    """The cache may be shared by builds of several stores: only the temporary files whose
    process is gone are removed."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    cache = tmp_path / "b" / "cache"
    (cache / "reports").mkdir(parents=True)
    gone = cache / "reports" / f"msf-mali-2023.json.tmp-{dead.pid}"
    live = cache / "reports" / f"another-store-report.json.tmp-{os.getpid()}"
    pickle = cache / f"reference-x.pickle.tmp-{dead.pid}"
    for path in (gone, live, pickle):
        path.write_bytes(b"{")
    result = build([corpus], tmp_path / "b" / "store", cache_dir=cache)
    assert result.ok
    assert not gone.exists() and not pickle.exists() and live.exists()
    assert any("2 unfinished cache file(s)" in line for line in result.cleaned)
