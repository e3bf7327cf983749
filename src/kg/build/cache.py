"""What a build keeps between runs under the user's cache directory: each report's output
(one JSON file per report, keyed by input digest and pipeline fingerprint, so a full rebuild
re-extracts only what changed) and the reference data with what the pipeline derives from it,
pickled per fingerprint. A damaged or foreign file is rebuilt, never fatal; temporary files that
killed builds left are cleared (`clean_cache`).
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import asdict
from pathlib import Path
from typing import TypeVar

from kg.build.pipeline import ReportOutput
from kg.reference.loader import Reference, adopt_reference, build_reference
from kg.validate.engine import Violation

_T = TypeVar("_T")


class ReportCache:
    """Per-report outputs on disk: `<dir>/reports/<report-id>.json`."""

    def __init__(self, directory: Path | None, fingerprint: str) -> None:
        self.dir = directory / "reports" if directory is not None else None
        self.fingerprint = fingerprint

    def get(self, report_id: str, sha: str) -> ReportOutput | None:
        if self.dir is None or not sha:
            return None
        try:
            data = json.loads((self.dir / f"{report_id}.json").read_bytes())
        except (OSError, ValueError):
            return None
        if data.get("fingerprint") != self.fingerprint or data.get("input_sha") != sha:
            return None
        try:
            return ReportOutput(
                path=data["path"],
                input_sha=data["input_sha"],
                report_id=data["report_id"],
                facts=data["facts"],
                triples=data["triples"],
                nquads=data["nquads"].encode("utf-8"),
                inferred=data["inferred"].encode("utf-8"),
                shared=data["shared"].encode("utf-8"),
                violations=[Violation(**v) for v in data["violations"]],
                warnings=list(data.get("warnings", [])),
            )
        except (KeyError, TypeError):
            return None

    def put(self, out: ReportOutput) -> None:
        if self.dir is None or out.error or not out.input_sha or out.report_id is None:
            return
        data = {
            "fingerprint": self.fingerprint,
            "input_sha": out.input_sha,
            "path": out.path,
            "report_id": out.report_id,
            "facts": out.facts,
            "triples": out.triples,
            "nquads": out.nquads.decode("utf-8"),
            "inferred": out.inferred.decode("utf-8"),
            "shared": out.shared.decode("utf-8"),
            "violations": [asdict(v) for v in out.violations],
            "warnings": out.warnings,
        }
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.dir / f"{out.report_id}.json"
        tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, target)


# the reference data, kept in the cache
REFERENCE_PICKLE = "reference-{}.pickle"
PREPARED_PICKLE = "prepared-{}.pickle"


def use_cached_reference(cache_dir: Path | None, fingerprint: str) -> None:
    """Adopt the reference data of this fingerprint from the build cache, or build it and keep it
    there: unpickling takes about a tenth of parsing the ontology and reference files and
    generating the ISO places, which dominates an incremental build of one report.

    The fingerprint covers the code, the data files and the library versions, so a pickle is
    only used by the checkout that wrote it; a missing, unreadable or foreign one is rebuilt
    (from the files, never from what this process already holds, which may predate an edit).
    The cache directory is the user's own build output (a pickle runs code when loaded)."""
    if cache_dir is None:
        return
    reference = cached(cache_dir, REFERENCE_PICKLE, fingerprint, Reference)
    if reference is None:
        reference = build_reference()
        keep(cache_dir, REFERENCE_PICKLE, fingerprint, reference)
    adopt_reference(reference)


def cached(cache_dir: Path, name: str, fingerprint: str, kind: type[_T]) -> _T | None:
    """The `kind` object pickled in the cache for this fingerprint, or None."""
    try:
        with (cache_dir / name.format(fingerprint)).open("rb") as handle:
            loaded = pickle.load(handle)  # noqa: S301 - our own cache, keyed by fingerprint
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt, never fatal
        return None
    return loaded if isinstance(loaded, kind) else None


def keep(cache_dir: Path, name: str, fingerprint: str, value: object) -> None:
    """Pickle `value` for this fingerprint, replacing other fingerprints' files of `name`."""
    path = cache_dir / name.format(fingerprint)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob(name.format("*")):
            if old != path:
                old.unlink(missing_ok=True)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        try:
            with tmp.open("wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError:
        pass  # a cache that cannot be written only costs time


def clean_cache(cache_dir: Path | None) -> list[str]:
    """Delete the cache's temporary files that killed processes left (`<name>.tmp-<pid>`,
    the pid no longer running: the cache may be shared with another store's live build)."""
    if cache_dir is None:
        return []
    removed = 0
    for directory in (cache_dir, cache_dir / "reports"):
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            stem, sep, pid = entry.name.rpartition(".tmp-")
            if not sep or not stem or not pid.isdigit() or alive(int(pid)):
                continue
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass
    if not removed:
        return []
    return [
        f"removed {removed} unfinished cache file(s) under {cache_dir}, left by a build "
        "that was killed"
    ]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # not ours (EPERM): it exists
        return True
    return True
