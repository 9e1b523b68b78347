"""The worker pool: whatever a task does to its worker, the caller gets an answer for that task and
every other task still runs."""

import resource
import threading
import time

import pytest

from pipeline.intake.isolation import Failure, Limits, WorkerPool
from tests.support import isolation_tasks as tasks

pytestmark = pytest.mark.slow


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


def test_in_a_map_each_task_gets_its_own_answer_whatever_the_task_before_it_did(pool):
    """A worker holds its next task while it runs one: when it dies, hangs or is replaced, the task it
    held runs on another worker, once."""
    jobs = [("echo", 1), ("abort", 2), ("echo", 3), ("hang", 4), ("echo", 5), ("spin", 6), ("echo", 7),
            ("allocate", 4096), ("echo", 9), ("fail", 10), ("echo", 11), ("echo", 12)]
    results = list(pool.map(tasks.by_name, jobs))
    assert [results[i] for i in (0, 2, 4, 6, 8, 10, 11)] == [1, 3, 5, 7, 9, 11, 12]
    assert results[1] == Failure("crashed", "signal SIGABRT")
    assert results[3] == Failure("timeout", "over 4 s")
    assert isinstance(results[5], Failure) and results[5].kind == "timeout"
    assert results[7] == Failure("memory", "MemoryError")
    assert results[9] == Failure("error", "ValueError: a defect")
    assert pool.call(tasks.echo, "after") == "after"


def test_a_worker_that_died_idle_is_replaced_when_it_is_given_a_task(pool):
    assert pool.call(tasks.echo, 0) == 0
    for worker in pool.workers:
        worker.process.kill()
        worker.process.join()
    assert list(pool.map(tasks.echo, [(n,) for n in range(1, 6)])) == [1, 2, 3, 4, 5]


def test_a_worker_goes_on_to_the_task_after_next_while_the_caller_is_busy_with_a_result():
    """The next task is sent before a result is handed over; the one after it too, so a worker that
    finishes first does not wait for the caller."""
    with WorkerPool(1, Limits(wall_seconds=30)) as one:
        starts, done = [], []
        for start in one.map(tasks.started_at, [(0.1,)] * 5):
            starts.append(start)
            time.sleep(0.5)  # the caller records and answers the file
            done.append(time.monotonic())
    assert all(starts[k + 2] < done[k] - 0.2 for k in range(3))


def test_large_tasks_and_large_results_do_not_block_each_other():
    """A task is sent to a busy worker only when it fits in the pipe: the parent never waits on a
    worker that waits for the parent to take a large result."""
    with WorkerPool(1, Limits(wall_seconds=60)) as one:
        sizes = []

        def consume():
            jobs = [(4_000_000, b"p" * size) for size in (90_000, 500_000, 1_000, 3_000_000, 100_000)]
            sizes.extend(len(result) for result in one.map(tasks.reply_of, jobs))

        reader = threading.Thread(target=consume, daemon=True)
        reader.start()
        reader.join(60)
        if reader.is_alive():
            for worker in one.workers:
                worker.process.kill()
        assert sizes == [4_000_000] * 5


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


def test_a_submitted_task_runs_while_the_caller_goes_on_through_a_map(pool):
    """submit() does not wait: the task goes out before the map's read-ahead, and its result is kept
    until asked for, whatever the map takes meanwhile."""
    submitted, values = [], []
    asked = time.monotonic()
    for value in pool.map(tasks.echo, [(n,) for n in range(6)]):
        values.append(value)
        if value == 1:
            submitted.append(pool.submit(tasks.started_at, 0.3))
            assert time.monotonic() - asked < 0.25  # not waited for
    assert values == list(range(6))
    started = pool.result(submitted[0])
    assert started - asked < 0.3  # it went out at once, before the map's last tasks were done
    job = pool.submit(tasks.echo, 7)
    waited = 0
    while not pool.ready(job):  # taken in passing, as a run takes its marked copies
        time.sleep(0.01)
        waited += 1
    assert waited < 200 and pool.result(job) == 7
    assert pool.result(pool.submit(tasks.fail, 0)).kind == "error"
