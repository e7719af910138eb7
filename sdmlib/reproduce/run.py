"""Running a reproduction grid: schedulers, resumable storage, provenance.

`reproduce` sends every cell that is not yet in the output folder to a
scheduler and stores each result as soon as it arrives, so that a run that is
stopped (or a worker that dies) loses only the cells in flight: the same
command started again skips what is stored. The schedulers are

``"serial"``
    this process, one cell after the other;
``"processes"``
    a local pool of worker processes (`concurrent.futures`), one per core;
``"dask"``
    a ``distributed.LocalCluster`` sized to the machine (one single-threaded
    worker process per core);
``"tcp://HOST:PORT"``
    an existing Dask cluster (for example one started by ``dask-jobqueue``
    on Slurm/PBS, or ``dask scheduler`` / ``dask worker`` by hand). Cells
    flagged ``gpu`` ask for a ``GPU`` resource when a worker offers one.

Workers only compute; the client writes every file, so workers need no shared
file system. Layout of the output folder ``OUT``::

    OUT/cells/<protocol>-<scale>/<cell key>.csv    rows of one cell
    OUT/cells/<protocol>-<scale>/<cell key>.json   its seed, wall time, host, pid, start
    OUT/recall_<protocol>_<scale>.csv              all rows of a protocol (# header lines)
    OUT/provenance_<protocol>_<scale>.json         the run that computed them: command, commit,
                                                   versions, hardware, scheduler, start/end, and
                                                   every cell with its seed, wall time and worker

Examples
--------
A resumed run computes only what is missing:

>>> import tempfile
>>> from sdmlib import experiments as ex
>>> tiny = {"E3": ex.recall_protocol("E3", "reduced", n_queries=2, levels=(0,), radii=(19, 27))}
>>> out = tempfile.mkdtemp()
>>> first = reproduce(["E3"], out=out, protocols_override=tiny, progress=False)
>>> again = reproduce(["E3"], out=out, protocols_override=tiny, progress=False)
>>> first.computed, again.computed, again.skipped, bool(first.tables["E3"].equals(again.tables["E3"]))
(12, 0, 12, True)
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from sdmlib._validate import check_bool, check_choice, check_int
from sdmlib.reproduce.cells import run_cell
from sdmlib.reproduce.grid import Cell, parse_protocols, protocol_cells

__all__ = ["reproduce", "ReproduceResult", "SCHEDULERS", "read_protocol_table", "cell_path", "scheduler_name",
           "gpu_resources"]

#: Scheduler names; a ``tcp://HOST:PORT`` address is also accepted.
SCHEDULERS: tuple[str, ...] = ("serial", "processes", "dask")

_VERSIONED = ("numpy", "scipy", "pandas", "numba", "torch", "dask", "distributed", "threadpoolctl")


@dataclasses.dataclass
class ReproduceResult:
    """What `reproduce` did: the tables per protocol and what it computed or skipped."""

    tables: dict[str, Any]
    computed: int
    skipped: int
    out: Path
    provenance: dict[str, Any]


def scheduler_name(scheduler: str) -> str:
    """Validate a scheduler: one of `SCHEDULERS` or a ``tcp://HOST:PORT`` address.

    Examples
    --------
    >>> scheduler_name("dask"), scheduler_name("tcp://10.0.0.5:8786")
    ('dask', 'tcp://10.0.0.5:8786')
    """
    if not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be a string, got {type(scheduler).__name__}")
    if scheduler.startswith("tcp://"):
        host, _, port = scheduler[len("tcp://"):].rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"scheduler must be tcp://HOST:PORT with a port in 1..65535, got {scheduler!r}")
        return scheduler
    check_choice("scheduler", scheduler, SCHEDULERS)
    return scheduler


def cell_path(out: str | os.PathLike, cell: Cell) -> Path:
    """Where the rows of ``cell`` are stored under ``out`` (its ``.json`` record sits beside)."""
    return Path(out) / "cells" / f"{cell.protocol}-{cell.scale}" / f"{cell.key}.csv"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _store_cell(out: Path, cell: Cell, rows: Any, info: dict[str, Any]) -> None:
    path = cell_path(out, cell)
    _atomic_write(path, rows.to_csv(index=False, float_format="%.17g"))
    _atomic_write(path.with_suffix(".json"), json.dumps(info, sort_keys=True) + "\n")


def _stored(out: Path, cell: Cell) -> bool:
    path = cell_path(out, cell)
    return path.is_file() and path.with_suffix(".json").is_file()


def _read_cell(out: Path, cell: Cell) -> tuple[Any, dict[str, Any]]:
    import pandas as pd

    path = cell_path(out, cell)
    rows = pd.read_csv(path)
    rows["d"] = rows["d"].astype("Int64")
    return rows, json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _gpus() -> list[str]:
    try:
        text = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    try:
        out["sdmbook"] = metadata.version("sdmbook")
    except metadata.PackageNotFoundError:
        pass
    return out


def _header(prov: Mapping[str, Any], protocol: str, scale: str, seeds: Sequence[int]) -> list[str]:
    return [
        f"# command: {prov['command']}",
        f"# protocol: {protocol} at scale {scale}; replicate seeds {list(seeds)}",
        f"# commit: {prov['commit']}",
        f"# hardware: {prov['hardware']['cpu']}, {prov['hardware']['cores']} logical cores; "
        f"GPU: {', '.join(prov['hardware']['gpus']) or 'none'}",
        f"# scheduler: {prov['scheduler']} ({prov['workers']} workers)",
        "# versions: " + ", ".join(f"{k} {v}" for k, v in prov["versions"].items()),
        f"# written: {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC')}",
    ]


def read_protocol_table(path: str | os.PathLike) -> tuple[Any, dict[str, str]]:
    """Read ``recall_<protocol>_<scale>.csv``: the table and its ``#`` header fields.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("# command: x\\n# commit: abc\\nmodel,d\\na,5\\n")
    >>> table, header = read_protocol_table(p)
    >>> header["commit"], int(table["d"].iloc[0])
    ('abc', 5)
    """
    import pandas as pd

    header: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].strip().partition(":")
            header[key.strip()] = value.strip()
    table = pd.read_csv(path, comment="#")
    if "d" in table.columns:
        table["d"] = table["d"].astype("Int64")
    return table, header


def _pool_results(cells: Sequence[Cell], scheduler: str, workers: int,
                  protocols: Mapping[str, Any]) -> Iterator[tuple[Cell, Any, dict[str, Any]]]:
    """Yield (cell, rows, info) as cells finish, in any order."""
    if scheduler == "serial":
        for cell in cells:
            rows, info = run_cell(cell, protocols.get(cell.protocol))
            yield cell, rows, {**info, "worker": "serial"}
        return
    if scheduler == "processes":
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(run_cell, c, protocols.get(c.protocol)): c for c in cells}
            for fut in as_completed(futures):
                rows, info = fut.result()
                yield futures[fut], rows, {**info, "worker": f"process {info['pid']}"}
        return
    yield from _dask_results(cells, scheduler, workers, protocols)


def gpu_resources(cell: Cell, cluster_has_gpu: bool) -> dict[str, int] | None:
    """The Dask resource request of a cell: one ``GPU`` for a GPU cell on a cluster that offers GPUs.

    On a cluster without ``GPU`` resources a GPU cell runs on any worker (and fails
    there if that worker has no CUDA device); CPU cells never ask.

    Examples
    --------
    >>> gpu_cell = Cell("E1", "full", "pattern_sdm", 11, 0, gpu=True, backend="torch")
    >>> gpu_resources(gpu_cell, True), gpu_resources(gpu_cell, False), gpu_resources(Cell("E1", "full", "hopfield", None, 0), True)
    ({'GPU': 1}, None, None)
    """
    return {"GPU": 1} if (cell.gpu and cluster_has_gpu) else None


def _dask_results(cells: Sequence[Cell], scheduler: str, workers: int,
                  protocols: Mapping[str, Any]) -> Iterator[tuple[Cell, Any, dict[str, Any]]]:
    try:
        from distributed import Client, LocalCluster, as_completed, get_worker
    except ImportError:
        raise ImportError("the dask schedulers need dask.distributed: pip install 'sdmbook[scale]'") from None

    def on_worker(cell: Cell, protocol: Any) -> tuple[Any, dict[str, Any]]:
        rows, info = run_cell(cell, protocol)
        return rows, {**info, "worker": get_worker().address}

    cluster = None
    if scheduler == "dask":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    else:
        client = Client(scheduler, timeout="30s")
    try:
        info = client.scheduler_info()
        has_gpu = any("GPU" in (w.get("resources") or {}) for w in info.get("workers", {}).values())
        futures = {}
        for cell in cells:
            resources = gpu_resources(cell, has_gpu)
            fut = client.submit(on_worker, cell, protocols.get(cell.protocol), key=f"sdmlib-{cell.key}",
                                pure=False, resources=resources)
            futures[fut] = cell
        for fut in as_completed(futures):
            rows, cell_info = fut.result()
            yield futures[fut], rows, cell_info
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def reproduce(protocols: str | Sequence[str] = "all", scale: str = "reduced", scheduler: str = "serial",
              out: str | os.PathLike = "reproduce-out", *, seed: int = 0, workers: int | None = None,
              progress: bool | None = None, command: str | None = None, backend: str = "numpy",
              device: str | None = None,
              protocols_override: Mapping[str, Any] | None = None) -> ReproduceResult:
    """Run recall protocols as a grid of independent cells, resumably; see the module text.

    Parameters
    ----------
    protocols : str or sequence of str
        ``"E1,E3"``, ``["E1", "E3"]`` or ``"all"`` (E1--E4).
    scale : {"reduced", "full"}
        The book's scale or the paper's (`sdmlib.experiments.recall_protocol`).
    scheduler : {"serial", "processes", "dask"} or "tcp://HOST:PORT"
        Where cells run. Results do not depend on it (each cell runs with one
        BLAS thread and derives every random draw from its own seed).
    out : path
        Output folder (created); cells already stored there are not recomputed.
    seed : int
        Master seed ``>= 0`` (replicates ``seed, seed + 1, ...``).
    workers : int or None
        Worker processes of the local schedulers, ``1 <= workers <= 1024``
        (``None``: the number of cores). Ignored for ``serial`` and ``tcp://``.
    progress : bool or None
        A ``tqdm`` bar with an ETA over the cells still to compute (``None``:
        only on a terminal).
    command : str, optional
        The command line to record (default: ``sys.argv``).
    backend : {"numpy", "torch"}
        Array library of the memories (`sdmlib.experiments.model_spec`); torch
        cells are stored under their own keys.
    device : str or None
        Torch device of ``backend="torch"`` (``"cpu"``, ``"cuda"``, ...). Cells on
        ``cuda`` ask a Dask cluster for a worker with a ``GPU`` resource when one
        has it (``dask worker ... --resources GPU=1``).
    protocols_override : mapping, optional
        ``name -> RecallProtocol`` to run instead of the named protocol at
        ``scale`` (tests and small demonstrations; the cells use its radii).

    Returns
    -------
    ReproduceResult
        ``tables[name]``: every row of protocol ``name`` (sorted by model
        order, radius, seed, level), also written to ``OUT/recall_<name>_<scale>.csv``.
    """
    names = parse_protocols(protocols)
    check_choice("scale", scale, ("full", "reduced"))
    scheduler = scheduler_name(scheduler)
    seed = check_int("seed", seed, lo=0)
    cores = os.cpu_count() or 1
    workers = cores if workers is None else check_int("workers", workers, lo=1, hi=1024)
    progress = None if progress is None else check_bool("progress", progress)
    if scheduler == "serial":
        workers = 1
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    from sdmlib import experiments as ex

    check_choice("backend", backend, ("numpy", "torch"))
    override = dict(protocols_override or {})
    if backend != "numpy" or device is not None:
        for name in names:
            base = override.get(name, None) or ex.recall_protocol(name, scale)
            override[name] = base.replace(backend=backend, device=device)

    cells: list[Cell] = []
    for name in names:
        cells += protocol_cells(name, scale, seed, protocol=override.get(name))
    todo = [c for c in cells if not _stored(out, c)]
    prov = {
        "command": command if command is not None else " ".join(shlex.quote(a) for a in sys.argv),
        "commit": (_git("rev-parse", "HEAD") or "unknown")
        + (" (sdmlib had uncommitted changes)" if _git("status", "--porcelain", "sdmlib") else ""),
        "versions": _versions(),
        "hardware": {"cpu": _cpu(), "cores": cores, "gpus": _gpus(), "platform": platform.platform()},
        "scheduler": scheduler,
        "backend": backend if device is None else f"{backend} on {device}",
        "workers": workers if not scheduler.startswith("tcp://") else "cluster",
        "protocols": list(names),
        "scale": scale,
        "master_seed": seed,
        "started": _now(),
    }
    _say(progress, f"reproduce: {', '.join(names)} at {scale} scale, {len(cells)} cells "
                   f"({len(cells) - len(todo)} stored in {out}, {len(todo)} to compute) on {scheduler}"
                   + (f" with {workers} workers" if scheduler in ("processes", "dask") else ""))
    bar = _bar(progress, len(todo))
    try:
        for cell, rows, info in _pool_results(todo, scheduler, workers, override):
            _store_cell(out, cell, rows, info)
            bar.update(1)
    finally:
        bar.close()
    prov["finished"] = _now()

    import pandas as pd

    tables: dict[str, Any] = {}
    for name in names:
        mine = [c for c in cells if c.protocol == name]
        parts, records = [], []
        for cell in mine:
            rows, info = _read_cell(out, cell)
            parts.append(rows)
            records.append({"protocol": name, "model": cell.model, "d": cell.d, **info})
        table = pd.concat(parts, ignore_index=True)
        table["d"] = table["d"].astype("Int64")
        tables[name] = table
        record_path = out / f"provenance_{name}_{scale}.json"
        if record_path.is_file() and not any(c.protocol == name for c in todo):
            continue  # nothing new: keep the record (and table) of the run that computed the cells
        record = {**prov, "protocols": [name], "cells": records,
                  "cells_computed_by_this_run": sum(c.protocol == name for c in todo),
                  "cell_seconds_total": round(sum(r["seconds"] for r in records), 1)}
        _atomic_write(record_path, json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")
        seeds = sorted({c.seed for c in mine})
        text = "\n".join(_header(prov, name, scale, seeds)) + "\n" + table.to_csv(index=False, float_format="%.17g")
        _atomic_write(out / f"recall_{name}_{scale}.csv", text)
    _say(progress, f"reproduce: wrote {', '.join(f'recall_{n}_{scale}.csv' for n in names)} and their "
                   f"provenance_<protocol>_{scale}.json records to {out}")
    return ReproduceResult(tables, len(todo), len(cells) - len(todo), out, prov)


def _cpu() -> str:
    from sdmlib.provenance import cpu_model

    return cpu_model()


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _say(progress: bool | None, text: str) -> None:
    if progress is not False:
        print(text, flush=True)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(progress: bool | None, total: int) -> Any:
    if progress is False or total == 0:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="cells", unit="cell", disable=None if progress is None else False,
                smoothing=0.05)
