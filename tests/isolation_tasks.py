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


