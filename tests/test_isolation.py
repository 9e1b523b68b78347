"""The worker pool: whatever a task does to its worker, the caller gets an answer for that task and
every other task still runs."""

import resource
import time

import pytest

from pipeline.isolation import Failure, Limits, WorkerPool
from tests import isolation_tasks as tasks


@pytest.fixture
def pool():
    with WorkerPool(2, Limits(memory_bytes=512 << 20, cpu_seconds=2, wall_seconds=4)) as workers:
        yield workers


def test_results_come_back_in_order(pool):
    assert list(pool.map(tasks.echo, [(n,) for n in range(50)])) == list(range(50))


def test_an_abort_a_hang_a_spin_and_a_huge_allocation_each_fail_alone(pool):
    jobs = [(tasks.echo, 1), (tasks.abort, 2), (tasks.echo, 3), (tasks.hang, 4), (tasks.echo, 5),
            (tasks.spin, 6), (tasks.allocate, 4096), (tasks.fail, 8), (tasks.echo, 9)]
    started = time.monotonic()
    results = [pool.call(function, value) for function, value in jobs]
    assert results[0] == 1 and results[2] == 3 and results[4] == 5 and results[8] == 9
    assert results[1] == Failure("crashed", "signal SIGABRT")
    assert results[3] == Failure("timeout", "over 4 s")
    assert isinstance(results[5], Failure) and results[5].kind == "timeout"  # its CPU time ran out first
    assert results[6] == Failure("memory", "MemoryError")
    assert results[7] == Failure("error", "ValueError: a defect")
    assert time.monotonic() - started < 30


def test_a_worker_cannot_grow_past_its_limit(pool):
    assert pool.call(tasks.allocate, 100) == 100 << 20
    assert pool.call(tasks.allocate, 600) == Failure("memory", "MemoryError")
    assert pool.call(tasks.allocate, 100) == 100 << 20  # a fresh worker took over


def test_a_call_inside_a_map_gets_its_own_answer(pool):
    results = []
    for value in pool.map(tasks.echo, [(n,) for n in range(10)]):
        results.append((value, pool.call(tasks.echo, value * 100)))
    assert results == [(n, n * 100) for n in range(10)]


def test_the_callers_memory_is_not_limited(pool):
    pool.call(tasks.echo, 1)
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY
