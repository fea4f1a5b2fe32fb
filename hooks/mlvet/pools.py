"""Process pools for the parallel runs (`check`, `secrets`): how many, and how they start."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def process_pool(
    jobs: int, initializer: Callable[..., None], initargs: tuple[object, ...]
) -> ProcessPoolExecutor:
    # Forked where the platform can: the workers start with every module imported.
    name = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(name),
        initializer=initializer,
        initargs=initargs,
    )
