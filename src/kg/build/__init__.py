"""The build: reports in, a validated and reasoned store out (`kg build`).

`run` walks the reports and writes the store (`kg build`), `pipeline` takes one report through
extract → emit → validate → infer; the worker pool and the cache of per-report results live in
`run` too.
"""
