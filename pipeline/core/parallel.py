"""Work on trusted data spread over every core: a province's templates, its units' reports.

Nothing here opens a sender's file (isolation.py does that, under limits), so the workers may be
forked from this process. `spread` calls function(*shared, item) for each item and returns the
results in order; `shared` (the plan, the rules, a consolidation) is inherited by forked workers
(sent once to each where there is no fork). Below MIN_ITEMS items, or on one core, it works in this
process: starting workers costs more than a few items.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from pipeline.core import gc_pause

MIN_ITEMS = 40
_SHARED: tuple = ()


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def spread(function: Callable[..., Any], shared: tuple, items: Sequence, *, parallel: bool | None = None,
           chunk: int | None = None) -> list:
    """`parallel`: whether the items are worth workers (default: at least MIN_ITEMS of them); `chunk`:
    items handed to a worker at a time (default: an eighth of each worker's share)."""
    workers = workers_for(len(items), len(items) >= MIN_ITEMS if parallel is None else parallel)
    if not workers:
        return [function(*shared, item) for item in items]
    chunk = chunk or max(1, len(items) // (8 * workers))
    with executor(shared, workers) as pool:
        return list(pool.map(call, [(function, item) for item in items], chunksize=chunk))


def workers_for(jobs: int, worth: bool) -> int:
    """How many worker processes `jobs` get: none (work here) when they are not worth it, on one core,
    or inside an isolated worker."""
    workers = min(cores(), jobs)
    return workers if worth and workers >= 2 and not _in_worker() else 0


@contextlib.contextmanager
def executor(shared: tuple, workers: int) -> Iterator[ProcessPoolExecutor]:
    """Worker processes that call function(*shared, item) for jobs (function, item) given to `call`.
    Forked where the system can (the workers inherit `shared`: a national consolidation is tens of
    megabytes to pickle), else spawned, each sent `shared` once."""
    global _SHARED
    if "fork" in multiprocessing.get_all_start_methods():
        _SHARED = shared
        # What the workers inherit is left out of garbage collection: its passes would visit every
        # object of the consolidation, in each worker, and copy the memory pages they touch.
        try:
            forked = multiprocessing.get_context("fork")
            with gc_pause.frozen(), ProcessPoolExecutor(workers, mp_context=forked) as pool:
                yield pool
        finally:
            _SHARED = ()
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_keep, initargs=(shared,)) as pool:
        yield pool


def _keep(shared: tuple) -> None:
    global _SHARED
    _SHARED = shared


def call(job: tuple) -> Any:
    function, item = job
    return function(*_SHARED, item)


def _in_worker() -> bool:
    """A daemonic process (an isolated worker) may not start processes of its own."""
    return bool(multiprocessing.current_process().daemon)
