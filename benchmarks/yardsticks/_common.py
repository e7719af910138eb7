"""Shared by the yardstick scripts: load one benchmark cell, check a result, time, report.

Each yardstick runs in its own process (``bench_sdm.py`` starts it), so that
OpenMP runtimes (faiss's libgomp, torch's) never share a process with each other
or with numba. The cell file (``.npz``) holds the packed addresses ``A``
(C order), the packed queries ``Q``, ``n``, ``d``, ``repeats`` and the reference
CSR result ``ptr``/``idx`` computed by sdmlib; a yardstick's active sets are
checked equal to it before it is timed. Results are printed as one JSON line
per timing.
"""

from __future__ import annotations

import json
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402


def load(path: str) -> dict:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def check(cell: dict, batch: int, sets: list[np.ndarray], method: str) -> None:
    """Raise unless ``sets[b]`` equals the reference active set of query ``b`` for all b < batch."""
    ptr, idx = cell["ptr"], cell["idx"]
    for b in range(batch):
        ref = idx[ptr[b] : ptr[b + 1]]
        got = np.sort(np.asarray(sets[b], dtype=np.int64))
        if not np.array_equal(got, ref):
            raise AssertionError(f"{method}: query {b} finds {got.size} neurons, the reference {ref.size}")


def best_time(fn, repeats: int) -> tuple[float, float]:
    """Best wall time and best process CPU time of ``repeats`` calls (seconds)."""
    wall = cpu = float("inf")
    for _ in range(max(1, int(repeats))):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        c1, w1 = time.process_time(), time.perf_counter()
        wall, cpu = min(wall, w1 - w0), min(cpu, c1 - c0)
    return wall, cpu


def report(method: str, batch: int, times: tuple[float, float], active: int, note: str = "", scale: float = 1.0) -> None:
    """One JSON line: wall and CPU seconds (times ``scale``), the active count and a note."""
    print(json.dumps(dict(method=method, batch=batch, seconds=times[0] * scale, cpu_seconds=times[1] * scale,
                          active=int(active), note=note)), flush=True)


def main_args() -> tuple[dict, list[int]]:
    """``script.py CELL.npz [BATCH ...]``: the cell and the batch sizes to time (default 1 and all)."""
    cell = load(sys.argv[1])
    B = cell["Q"].shape[0]
    batches = [int(b) for b in sys.argv[2:]] or sorted({1, B})
    return cell, batches
