"""The book's stored full-scale results, and the check that recomputes a sample of them.

A full-scale reproduction (``python -m sdmlib reproduce --scale full``) takes
hours on a laptop, so the book runs the reduced protocols at every build and
*shows* the full-scale numbers from a stored run under ``book/data/full/``:
``recall_<protocol>_full.csv`` per protocol (``#`` header lines: command,
commit, hardware, scheduler, versions) and ``provenance_<protocol>_full.json``
(the run, with the seed, wall time and worker of every cell). `recheck_cells` recomputes a
random sample of the stored cells from their seeds and reports any difference,
so the stored numbers cannot drift from the code without a failing check.

Examples
--------
A stored table holds one row per (model, radius, seed, level), as the cells wrote them:

>>> import tempfile, pathlib
>>> from sdmlib import experiments as ex
>>> from sdmlib.reproduce import reproduce
>>> tiny = {"E3": ex.recall_protocol("E3", "reduced", n_queries=2, levels=(0, 4), radii=(19,))}
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> _ = reproduce(["E3"], out=out, protocols_override=tiny, progress=False)
>>> table, header = load_stored("E3", "reduced", root=out)
>>> len(table), sorted(set(table.seed)), header["scheduler"]
(12, [0, 1, 2], 'serial (1 workers)')
>>> report = recheck_cells("E3", "reduced", k=2, seed=1, root=out, protocols_override=tiny)
>>> len(report), bool(report["identical"].all())
(2, True)
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from sdmlib._validate import check_choice, check_int, check_real
from sdmlib.reproduce.cells import run_cell
from sdmlib.reproduce.grid import PROTOCOLS, Cell
from sdmlib.reproduce.run import read_protocol_table

__all__ = ["FULL_DIR", "stored_root", "load_stored", "stored_provenance", "cell_seconds", "recheck_cells",
           "compare_scales"]

#: Folder of the book's stored full-scale run, relative to ``book/data``.
FULL_DIR = "full"

#: Columns a recomputed cell must reproduce exactly.
_COMPARED = ("n_queries", "mean", "std", "baseline", "steps", "steps_max", "n_unconverged", "n_empty")


def stored_root(root: str | os.PathLike | None = None) -> Path:
    """The folder of the stored run: ``root``, else ``book/data/full`` (see `sdmlib.data.book_data_path`)."""
    if root is not None:
        return Path(root)
    from sdmlib.data import book_data_path

    return book_data_path(f"{FULL_DIR}/recall_E1_full.csv").parent


def load_stored(protocol: str, scale: str = "full", root: str | os.PathLike | None = None) -> tuple[Any, dict[str, str]]:
    """The stored table of ``protocol`` and its header fields (`sdmlib.reproduce.run.read_protocol_table`)."""
    check_choice("protocol", protocol, PROTOCOLS)
    check_choice("scale", scale, ("full", "reduced"))
    path = stored_root(root) / f"recall_{protocol}_{scale}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"protocol: no stored table {path.name} in {path.parent}")
    return read_protocol_table(path)


def stored_provenance(protocol: str, scale: str = "full", root: str | os.PathLike | None = None) -> dict[str, Any]:
    """The ``provenance_<protocol>_<scale>.json`` of the stored run (command, commit, hardware, cells, ...)."""
    check_choice("protocol", protocol, PROTOCOLS)
    check_choice("scale", scale, ("full", "reduced"))
    path = stored_root(root) / f"provenance_{protocol}_{scale}.json"
    if not path.is_file():
        raise FileNotFoundError(f"protocol: no stored record {path.name} in {path.parent}")
    return json.loads(path.read_text(encoding="utf-8"))


def cell_seconds(protocol: str, scale: str = "full", root: str | os.PathLike | None = None) -> Any:
    """One row per stored cell of ``protocol``: key, model, d, seed, seconds, worker, host, start."""
    import pandas as pd

    prov = stored_provenance(protocol, scale, root)
    table = pd.DataFrame(prov["cells"])
    table["d"] = table["d"].astype("Int64")
    return table


def recheck_cells(protocol: str, scale: str = "full", *, k: int = 2, seed: int = 0, max_seconds: float = 60.0,
                  root: str | os.PathLike | None = None,
                  protocols_override: Mapping[str, Any] | None = None) -> Any:
    """Recompute ``k`` stored cells of ``protocol``, drawn at random, and compare them exactly.

    Parameters
    ----------
    protocol : {"E1", "E2", "E3", "E4"}
    scale : {"full", "reduced"}
    k : int
        Cells to recompute, ``1 <= k <= 100`` (at most the cells that qualify).
    seed : int
        Seed of the draw (``>= 0``): a different seed checks different cells.
    max_seconds : float
        Only cells whose stored wall time is at most this many seconds are
        drawn (``> 0``), so that a build-time check stays short; the draw is
        uniform among them.
    root : path, optional
        Folder of the stored run (default ``book/data/full``).
    protocols_override : mapping, optional
        As in `sdmlib.reproduce.run.reproduce` (for runs made with one).

    Returns
    -------
    pandas.DataFrame
        One row per recomputed cell: model, d, seed, stored seconds,
        recomputed seconds, the largest absolute difference over the compared
        columns, and ``identical`` (every compared value equal, after the
        round trip through the stored CSV's 17 significant digits).
    """
    import pandas as pd

    check_choice("protocol", protocol, PROTOCOLS)
    check_choice("scale", scale, ("full", "reduced"))
    k = check_int("k", k, lo=1, hi=100)
    seed = check_int("seed", seed, lo=0)
    max_seconds = check_real("max_seconds", max_seconds, lo=0.0, lo_open=True)
    table, _ = load_stored(protocol, scale, root)
    cells = cell_seconds(protocol, scale, root)
    eligible = cells[cells["seconds"] <= max_seconds].sort_values("key").reset_index(drop=True)
    if eligible.empty:
        raise ValueError(f"max_seconds: no stored cell of {protocol} took <= {max_seconds} s")
    pick = np.random.default_rng(seed).choice(len(eligible), size=min(k, len(eligible)), replace=False)
    override = dict(protocols_override or {})
    out = []
    for i in sorted(pick):
        row = eligible.iloc[int(i)]
        d = None if pd.isna(row["d"]) else int(row["d"])
        cell = Cell(protocol, scale, row["model"], d, int(row["seed"]))
        fresh, info = run_cell(cell, override.get(protocol))
        fresh = pd.read_csv(io.StringIO(fresh.to_csv(index=False, float_format="%.17g")))
        mask = (table["model"] == cell.model) & (table["seed"] == cell.seed)
        mask &= table["d"].isna() if d is None else (table["d"] == d)
        stored = table[mask].sort_values("h").reset_index(drop=True)
        fresh = fresh.sort_values("h").reset_index(drop=True)
        same_shape = len(stored) == len(fresh) and list(stored["h"]) == list(fresh["h"])
        diff = (max(float(np.max(np.abs(stored[c].to_numpy(float) - fresh[c].to_numpy(float)))) for c in _COMPARED)
                if same_shape else float("inf"))
        out.append({"model": cell.model, "d": d, "seed": cell.seed, "stored_seconds": float(row["seconds"]),
                    "seconds": info["seconds"], "max_abs_diff": diff, "identical": bool(same_shape and diff == 0.0)})
    result = pd.DataFrame(out)
    result["d"] = result["d"].astype("Int64")
    return result


def compare_scales(full: Any, reduced: Any, *, z: float = 1.96, resolution: float = 1.0) -> Any:
    """Set pooled full-scale and reduced-scale recall side by side.

    Parameters
    ----------
    full, reduced : pandas.DataFrame
        Tables of `sdmlib.experiments.summarize_recall` (one row per model, d, r, h;
        columns ``mean``, ``sem``, ``std``, ``n_queries``) of independent runs.
    z : float
        Normal quantile of the intervals (``> 0``; 1.96: 95 %).
    resolution : float
        Passed to `sdmlib.recall_analysis.standard_error` (``>= 0``): the error bar of a
        point where every query scored the same is ``resolution / N``.

    Returns
    -------
    pandas.DataFrame
        model, d, h, ``full``/``full_se``/``full_queries``, ``reduced``/``reduced_se``/
        ``reduced_queries``, ``difference`` (reduced − full), ``z_diff`` (the difference
        over its combined standard error) and ``interval`` (``z`` times that error);
        rows present at both scales only.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame(dict(model=["a"], d=[5], h=[0], mean=[0.9], sem=[0.01], std=[0.3], n_queries=[15360]))
    >>> r = f.assign(mean=[0.95], sem=[0.03], n_queries=[96])
    >>> row = compare_scales(f, r).iloc[0]
    >>> round(float(row["difference"]), 3), round(float(row["z_diff"]), 2)   # 0.05 / sqrt(0.01² + 0.0306²)
    (0.05, 1.55)
    """
    from sdmlib.recall_analysis import standard_error

    z = check_real("z", z, lo=0.0, lo_open=True)
    resolution = check_real("resolution", resolution, lo=0.0)
    keys = ["model", "d", "h"]
    parts = []
    for name, table in (("full", full), ("reduced", reduced)):
        t = table[keys + ["mean", "n_queries"]].copy()
        t[f"{name}_se"] = standard_error(table, resolution=resolution)
        parts.append(t.rename(columns={"mean": name, "n_queries": f"{name}_queries"}))
    both = parts[0].merge(parts[1], on=keys, how="inner")
    se = np.hypot(both["full_se"].to_numpy(float), both["reduced_se"].to_numpy(float))
    both["difference"] = both["reduced"] - both["full"]
    both["z_diff"] = both["difference"] / se
    both["interval"] = z * se
    return both.reset_index(drop=True)
