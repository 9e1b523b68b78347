"""Tasks for the worker-pool tests: importable by name, as a worker needs them."""

import os
import time


def echo(value):
    return value


def abort(_value):
    os.abort()


def hang(_value):
    time.sleep(600)


def spin(_value):
    while True:
        pass


def allocate(megabytes):
    return len(bytearray(megabytes << 20))


def fail(_value):
    raise ValueError("a defect")


def by_name(name, value):
    """Any task above, for a map that mixes them."""
    return globals()[name](value)


def started_at(seconds):
    """When it started, after which it works for `seconds`."""
    start = time.monotonic()
    time.sleep(seconds)
    return start


def reply_of(size, _payload):
    return b"r" * size


def noisy(value):
    """Prints on the worker's error output, as a parser's panic or warning does."""
    os.write(2, b"thread '<unnamed>' panicked at calamine: noise for the run log\n")
    return value
