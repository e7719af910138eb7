"""Wall-clock timing shared by the benchmarks and the performance chapter.

Examples
--------
>>> best_time(lambda: sum(range(10)), repeats=3) >= 0.0
True
"""

from __future__ import annotations

import time
from typing import Callable

__all__ = ["best_time"]


def best_time(fn: Callable[[], object], repeats: int = 5) -> float:
    """Smallest wall time of ``repeats`` calls of ``fn``, in seconds.

    The minimum, not the mean: on a shared machine noise only ever adds time.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be an integer >= 1, got {repeats}")
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
