"""Untrusted files are parsed in worker processes with hard limits on memory, CPU and wall time.

A parser that aborts (a Rust allocation failure in python-calamine is SIGABRT, not an exception),
runs out of memory or hangs takes down its worker only: the task comes back as a `Failure`, the
worker is replaced, and the run goes on with the next file. Workers live for a whole run and
read in parallel, one per core; the same pool serves every stage that opens a sender's file. Each
worker is handed its next task while it still runs one, so it never waits for the caller to finish
with a result (the caller records and answers each file, and that waits on the disk).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

try:
    import resource
except ImportError:  # Windows: no address-space or CPU limits; the wall-clock limit still holds
    resource = None  # type: ignore[assignment]

MEMORY_BYTES = 512 << 20  # address space of one worker: a template needs under 200 MB
CPU_SECONDS = 60  # CPU time of one task
WALL_SECONDS = 120.0  # wall time of one task, counted by the parent
# What the fork server imports once, so that each process forked from it starts ready: the isolated
# workers' code, which reads a file, and what marks a copy of it for its sender.
PRELOAD = ["pipeline.intake.worker", "pipeline.intake.feedback"]
# Tasks a worker holds at once: the one it runs and the next.
DEPTH = 2


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = MEMORY_BYTES
    cpu_seconds: int = CPU_SECONDS
    wall_seconds: float = WALL_SECONDS


@dataclass(frozen=True)
class Failure:
    """A task that did not return: `kind` is crashed, memory, timeout or error."""

    kind: str
    detail: str


def start_method() -> str:
    # forkserver: a clean, small process to fork workers from (no inherited threads or locks);
    # spawn where there is no fork (Windows, and macOS by default).
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _context():
    """Where workers start; a fork server first imports what they need, and nothing of the caller's
    __main__ (a test runner, a script)."""
    context = multiprocessing.get_context(start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(PRELOAD)
    return context


def start_early() -> None:
    """Starts the fork server now: it imports the workers' code while the caller goes on (a run loads
    its plan and checks its archive meanwhile), so the first worker is ready sooner."""
    if _context().get_start_method() == "forkserver":
        multiprocessing.forkserver.ensure_running()


def _limit(limits: Limits) -> None:
    if resource is None:
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _cpu_budget(limits: Limits) -> None:
    """CPU time is counted per process, so each task's budget starts from what the worker used so far."""
    if resource is None:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = int(used.ru_utime + used.ru_stime) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = spent + limits.cpu_seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _serve(connection: Connection, limits: Limits, setup: Callable[..., None] | None, setup_args: tuple,
           stderr: str | None = None) -> None:
    if stderr is not None:  # what a parser prints (a Rust panic, a warning) goes to the run's logs
        with contextlib.suppress(OSError):
            os.dup2(os.open(stderr, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), 2)
    _limit(limits)
    if setup is not None:
        setup(*setup_args)
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        function, args = job
        _cpu_budget(limits)
        try:
            reply: tuple[str, Any] = ("ok", function(*args))
        except MemoryError:
            reply = ("memory", "MemoryError")
        except BaseException as exc:
            reply = ("error", f"{type(exc).__name__}: {str(exc)[:300]}")
        try:
            connection.send(reply)
        except Exception as exc:  # the result could not be sent back (too large, or not picklable)
            connection.send(("error", f"{type(exc).__name__}: {str(exc)[:300]}"))


class _Worker:
    def __init__(self, context, limits: Limits, setup, setup_args, stderr: str | None = None):
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, limits, setup, setup_args, stderr), daemon=True)
        self.process.start()
        child.close()
        self.tasks: deque[_Task] = deque()  # sent, oldest first: it runs the first
        self.started = 0.0  # when it started the first, as far as the parent can tell
        # A task sent to a busy worker waits in the pipe: only one that fits in the pipe's buffer, so
        # that the parent never blocks on a worker that is itself blocked sending a large result.
        self.queued_bytes = _pipe_buffer(self.connection) // 2

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.connection.close()


def _pipe_buffer(connection: Connection) -> int:
    try:
        with socket.socket(fileno=os.dup(connection.fileno())) as end:
            return int(end.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF))
    except OSError:  # not a socket (Windows' named pipes): nothing is sent ahead
        return 0


@dataclass
class _Task:
    job: int
    function: Callable
    args: tuple
    payload: bytes | None = None  # pickled when first needed (its size decides if a busy worker may
    # hold it), dropped once sent

    def pickled(self) -> bytes:
        if self.payload is None:
            self.payload = bytes(ForkingPickler.dumps((self.function, self.args)))
        return self.payload


class WorkerPool:
    """Worker processes with limits; `map` keeps the order of its tasks and never raises for one."""

    def __init__(self, size: int | None = None, limits: Limits | None = None,
                 setup: Callable[..., None] | None = None, setup_args: tuple = (), stderr: Path | None = None):
        """`stderr`: a file the workers' own error output is appended to (default: the caller's)."""
        self.stderr = str(stderr) if stderr is not None else None
        self.size = max(1, size or os.cpu_count() or 1)
        self.limits = limits or Limits()
        self.setup, self.setup_args = setup, setup_args
        self.context = _context()
        self.workers: list[_Worker] = []
        self._next_job = 0
        self._results: dict[int, Any] = {}
        self._retry: deque[_Task] = deque()  # tasks a stopped worker held: they go out first
        self._submitted: deque[_Task] = deque()  # tasks not waited for (submit): next after those

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.workers:
            with contextlib.suppress(OSError, ValueError):
                worker.connection.send(None)
        for worker in self.workers:
            worker.process.join(2)
            worker.stop()
        self.workers = []

    def call(self, function: Callable, *args) -> Any:
        return next(self.map(function, [args]))

    def submit(self, function: Callable, *args) -> int:
        """function(*args) in a worker, not waited for: a job number for `ready` and `result`. It goes
        out before the tasks a map reads ahead, while the caller goes on (within a map, too)."""
        self._next_job += 1
        self._submitted.append(_Task(self._next_job, function, args))
        self._advance()
        return self._next_job

    def ready(self, job: int) -> bool:
        """Whether the result of a submitted job has come back (results are taken in passing)."""
        self._advance()
        return job in self._results

    def _advance(self) -> None:
        """Take the results that are back and send what the workers have room for, without waiting."""
        self._collect(block=False)
        self._dispatch(deque())

    def result(self, job: int) -> Any:
        """The result of a submitted job (or its Failure), waited for."""
        while job not in self._results:
            self._dispatch(deque())
            if not any(w.tasks for w in self.workers):
                raise RuntimeError(f"task {job} was lost")
            self._collect()
        return self._results.pop(job)

    def map(self, function: Callable, arguments: Iterable[tuple], window: int | None = None) -> Iterator[Any]:
        """function(*args) for each args, in a worker; yields results (or Failures) in order. At most
        `window` tasks (default: enough to keep every worker's next task ready) are read ahead of the
        one the caller waits for. Maps may nest (a caller may `call` while it consumes a `map`):
        results are kept per task."""
        pending = iter(arguments)
        window = window or (DEPTH + 1) * self.size
        queue: deque[_Task] = deque()
        order: deque[int] = deque()
        exhausted = False
        while True:
            while not exhausted and len(order) < window:
                try:
                    args = next(pending)
                except StopIteration:
                    exhausted = True
                    break
                self._next_job += 1
                queue.append(_Task(self._next_job, function, args))
                order.append(self._next_job)
            self._collect(block=False)
            self._dispatch(queue)
            if order and order[0] in self._results:
                yield self._results.pop(order.popleft())
                continue
            if exhausted and not order:
                return
            if not any(w.tasks for w in self.workers):  # nothing runs that could bring it: a defect
                raise RuntimeError(f"task {order[0]} was lost")
            self._collect()

    def _dispatch(self, queue: deque[_Task]) -> None:
        """Tasks to workers: an idle one first, a new one while the pool has room, then one that runs
        a single task, as its next (tasks a replaced worker held go first, then submitted ones)."""
        while self._retry or self._submitted or queue:
            source = self._retry or self._submitted or queue
            task = source[0]
            worker = self._worker_for(task)
            if worker is None:
                return
            source.popleft()
            try:
                worker.connection.send_bytes(task.pickled())
                task.payload = None  # a file's bytes: kept once, in the task's arguments
            except (OSError, ValueError):  # the worker is gone: replace it and try again
                source.appendleft(task)
                if worker.tasks:  # its end is ready to read: what it ran is answered as any crash
                    self._collect()
                else:
                    self._replace(worker)
                continue
            if not worker.tasks:
                worker.started = time.monotonic()
            worker.tasks.append(task)

    def _worker_for(self, task: _Task) -> _Worker | None:
        idle = next((w for w in self.workers if not w.tasks), None)
        if idle is not None:
            return idle
        if len(self.workers) < self.size:
            self.workers.append(_Worker(self.context, self.limits, self.setup, self.setup_args, self.stderr))
            return self.workers[-1]
        return next((w for w in self.workers if len(w.tasks) < DEPTH and len(task.pickled()) <= w.queued_bytes),
                    None)

    def _collect(self, block: bool = True) -> None:
        """Results that have come back; with `block`, waits for at least one (or a worker's end, or
        the wall-clock limit of the oldest running task)."""
        results = self._results
        busy = [w for w in self.workers if w.tasks]
        if not busy:
            return
        deadline = min(w.started for w in busy) + self.limits.wall_seconds
        ready = wait([w.connection for w in busy] + [w.process.sentinel for w in busy],
                     timeout=max(0.0, deadline - time.monotonic()) if block else 0)
        for worker in busy:
            job = worker.tasks[0].job
            if worker.connection in ready:
                try:
                    status, value = worker.connection.recv()
                except (EOFError, OSError):  # it died while the parent listened
                    results[job] = Failure(_crash_kind(worker), _exit_detail(worker))
                    self._replace(worker)
                    continue
                results[job] = value if status == "ok" else Failure(status, value)
                worker.tasks.popleft()
                worker.started = time.monotonic()  # it went on with the next task, if it holds one
                if status == "memory":  # its heap may be left fragmented near the limit
                    self._replace(worker)
            elif worker.process.sentinel in ready:
                results[job] = Failure(_crash_kind(worker), _exit_detail(worker))
                self._replace(worker)
            elif time.monotonic() - worker.started >= self.limits.wall_seconds:
                results[job] = Failure("timeout", f"over {self.limits.wall_seconds:.0f} s")
                self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        """Stops a worker; the tasks it held, but for one answered, go to the next worker first (one
        it had started when it was stopped runs again from the start)."""
        if worker.tasks and worker.tasks[0].job in self._results:
            worker.tasks.popleft()
        self._retry.extendleft(reversed(worker.tasks))
        worker.tasks.clear()
        worker.stop()
        self.workers.remove(worker)


def _exit_detail(worker: _Worker) -> str:
    worker.process.join(1)
    code = worker.process.exitcode
    if code is not None and code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _crash_kind(worker: _Worker) -> str:
    worker.process.join(1)
    code = worker.process.exitcode
    # SIGXCPU: over its CPU time; SIGKILL from the kernel's OOM killer or SIGABRT from a failed
    # allocation: out of memory, as far as anyone can tell from outside.
    if code is not None and code < 0 and sys.platform != "win32" and -code == signal.SIGXCPU:
        return "timeout"
    return "crashed"
