"""Background work: tasks are plain functions registered by name, started
with `enqueue(name, …)`; periodic ones also carry their interval. Without a
queue configured a task runs at once, in-process, so `make run` needs
nothing more."""
from __future__ import annotations

from datetime import timedelta
from typing import Callable

TASKS: dict[str, Callable] = {}
PERIODIC: dict[str, timedelta] = {}


def task(name: str, every: timedelta | None = None):
    """Register a task; with `every`, it also runs on that schedule."""
    def register(fn: Callable) -> Callable:
        if name in TASKS and TASKS[name] is not fn:
            raise ValueError(f"task {name} registered twice")
        TASKS[name] = fn
        if every is not None:
            PERIODIC[name] = every
        return fn
    return register


def enqueue(name: str, *args, **kwargs):
    """Start a registered task (here: at once, in this process)."""
    return TASKS[name](*args, **kwargs)
