"""Work on trusted data spread over every core: a province's templates, its units' reports.

Nothing here opens a sender's file (isolation.py does that, under limits). `spread` calls
function(*shared, item) for each item and returns the results in order; `shared` (the plan, the
rules, a consolidation) goes to each worker process once. Below MIN_ITEMS items, or on one core, it
works in this process: starting workers costs more than a few items.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .isolation import PRELOAD, start_method

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
    workers = min(cores(), len(items))
    worth = len(items) >= MIN_ITEMS if parallel is None else parallel
    if not worth or workers < 2 or _in_worker():
        return [function(*shared, item) for item in items]
    context = multiprocessing.get_context(start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    chunk = chunk or max(1, len(items) // (8 * workers))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_keep, initargs=(shared,)) as pool:
        return list(pool.map(_call, [(function, item) for item in items], chunksize=chunk))


def _keep(shared: tuple) -> None:
    global _SHARED
    _SHARED = shared


def _call(job: tuple) -> Any:
    function, item = job
    return function(*_SHARED, item)


def _in_worker() -> bool:
    """A daemonic process (an isolated worker) may not start processes of its own."""
    return bool(multiprocessing.current_process().daemon)
