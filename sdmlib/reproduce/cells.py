"""Computing one cell of a reproduction grid.

`run_cell` is the only function a worker runs. It computes the recall rows of
one (protocol, scale, model, radius, replicate seed) with
`sdmlib.experiments.recall_curves`, with one BLAS thread (so that a matrix
product sums in the same order on a laptop, in a process pool and on a Dask
worker), and returns the rows with a record of where and how long it ran.

Examples
--------
A cell's rows are the rows of the whole protocol run for that model, radius and seed:

>>> from sdmlib import experiments as ex
>>> from sdmlib.reproduce.grid import Cell
>>> p = ex.recall_protocol("E3", "reduced", n_queries=4, levels=(0, 8), radii=(19,))
>>> whole = ex.run_recall_protocol(p, seed=0, progress=False)
>>> rows, info = run_cell(Cell("E3", "reduced", "neuron_sdm", 19, 1), protocol=p)
>>> mine = whole[(whole.model == "neuron_sdm") & (whole.seed == 1)].reset_index(drop=True)
>>> bool((rows[list(ex.RESULT_COLUMNS)] == mine[list(ex.RESULT_COLUMNS)]).all().all()), info["key"]
(True, 'E3-reduced-neuron_sdm-d19-s1')
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import time
from typing import Any

from sdmlib.reproduce.grid import Cell

__all__ = ["run_cell", "single_thread_blas", "CONFIG_COLUMNS"]

#: Configuration columns a cell adds to the `sdmlib.experiments.RESULT_COLUMNS`, so that a
#: stored table says how it was made (as `sdmlib.experiments.run_recall_protocol` does).
CONFIG_COLUMNS: tuple[str, ...] = (
    "protocol", "scale", "n", "m", "fraction", "estimator", "on_empty", "max_steps", "convergence",
)


@contextlib.contextmanager
def single_thread_blas():
    """Run the block with one BLAS/OpenMP thread (threadpoolctl when installed).

    One thread makes the order of every floating-point sum the same on any
    machine layout; the parallelism of a reproduction is over cells instead.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the environment variables set by the schedulers then hold
        yield
        return
    with threadpool_limits(limits=1):
        yield


def run_cell(cell: Cell, protocol: Any = None) -> tuple[Any, dict[str, Any]]:
    """Compute one cell: its result rows and a record of the run.

    Parameters
    ----------
    cell : Cell
        From `sdmlib.reproduce.grid.protocol_cells`.
    protocol : sdmlib.experiments.RecallProtocol, optional
        The protocol to run the cell under (default: ``cell.protocol`` at
        ``cell.scale``, as `sdmlib.experiments.recall_protocol` defines it);
        used by tests and the book to run a cell of a modified protocol.

    Returns
    -------
    rows : pandas.DataFrame
        One row per perturbation level: `sdmlib.experiments.RESULT_COLUMNS`
        plus `CONFIG_COLUMNS`.
    info : dict
        ``key``, ``seed``, ``seconds`` (wall time of the computation),
        ``host``, ``pid`` and ``started`` (UTC, ISO 8601).
    """
    from sdmlib import experiments as ex

    if not isinstance(cell, Cell):
        raise TypeError(f"cell must be a sdmlib.reproduce.Cell, got {type(cell).__name__}")
    p = ex.recall_protocol(cell.protocol, cell.scale) if protocol is None else protocol
    radii = ex.recall_protocol_radii(p)
    if p.backend != cell.backend:
        raise ValueError(f"cell.backend is {cell.backend!r}, the protocol's back end is {p.backend!r}")
    spec = ex.model_spec(cell.model, p.n, r=p.r, estimator=p.estimator, on_empty=p.on_empty, backend=p.backend,
                         device=p.device)
    if spec.uses_radius and cell.d not in radii:
        raise ValueError(f"cell.d must be one of the protocol's radii {list(radii)}, got {cell.d}")
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    t0 = time.perf_counter()
    with single_thread_blas():
        rows = ex.recall_curves(
            {cell.model: spec},
            ex.recall_protocol_patterns(p),
            p.levels,
            radii=[cell.d] if spec.uses_radius else [],
            seeds=[cell.seed],
            n_repeats=p.n_repeats,
            n_queries=p.n_queries,
            max_steps=p.max_steps,
            convergence=p.convergence,
            no_closer=p.no_closer,
            progress=False,
        )
    seconds = time.perf_counter() - t0
    fraction_of = dict(zip(radii, p.fractions)) if not p.radii else {}
    rows.insert(0, "protocol", p.name)
    rows.insert(1, "scale", p.scale)
    rows["n"] = p.n
    rows["m"] = p.m
    rows["fraction"] = [math.nan if cell.d is None else fraction_of.get(int(cell.d), math.nan)] * len(rows)
    rows["estimator"] = p.estimator
    rows["on_empty"] = p.on_empty
    rows["max_steps"] = p.max_steps
    rows["convergence"] = p.convergence
    if p.backend != "numpy":  # numpy tables keep their columns; other back ends say which ran
        rows["backend"] = p.backend
        rows["device"] = p.device or "default"
    info = {"key": cell.key, "seed": cell.seed, "seconds": round(seconds, 3), "host": socket.gethostname(),
            "pid": os.getpid(), "started": started}
    return rows, info
