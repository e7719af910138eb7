"""Execute the book's chapters in parallel into myst-nb's execution cache.

Jupyter Book 1.x executes notebooks one after another; on a 2-core machine the book's
execution is most of ``make test``. This script fills the execution cache that the build
reads (``execute_notebooks: cache``) with every chapter executed afresh, one process per
core, so that the build that follows finds every notebook cached and executes nothing.

Each chapter is read with myst-nb's own reader (the build hashes the same code cells, so the
cache matches), executed with its folder as working directory (as the build does), with the
build's timeout, and cached only if no cell failed. A failed chapter is reported with its
traceback and the script exits with status 1 (the build would re-execute it and fail too).

Usage (from the repository root, after ``jupyter-book clean --all .``)::

    python .ci/execute_notebooks.py --cache _build/.jupyter_cache

The larger chapter files start first (a proxy for their run time: the two longest chapters
are the two largest files), so that no long chapter starts last.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

MYST_NB_READER = {"name": "myst_nb_md", "type": "plugin"}


def toc_files(toc: Path, source: Path) -> list[Path]:
    """Every ``file:`` of a jb-book toc (and its root); toc paths are relative to the book's source folder."""
    data = yaml.safe_load(toc.read_text())
    files = [data["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data.get("parts", data.get("chapters", [])))
    return [source / f"{f}.md" for f in files]


def is_notebook(path: Path) -> bool:
    """A MyST notebook declares a kernel in its front matter; plain pages do not."""
    text = path.read_text(encoding="utf-8")
    return text.startswith("---") and "kernelspec:" in text.split("\n---", 1)[0]


def _execute(path: str, timeout: int):
    # Imported in the worker: each worker process runs one kernel at a time.
    from jupyter_cache.executors.utils import single_nb_execution
    from myst_nb.core.read import myst_nb_reader_plugin

    nb = myst_nb_reader_plugin(path)
    start = time.perf_counter()
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=timeout, allow_errors=False, meta_override=True)
    return nb, result.err is not None, result.exc_string, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", required=True, type=Path, help="myst-nb execution cache folder")
    parser.add_argument("--source", default=Path("."), type=Path, help="the book's source folder (default: .)")
    parser.add_argument("--toc", default=None, type=Path, help="the book's toc (default: SOURCE/_toc.yml)")
    parser.add_argument("--timeout", default=900, type=int, help="per-cell timeout in seconds (default: 900, as _config.yml)")
    parser.add_argument("--workers", default=os.cpu_count() or 1, type=int, help="parallel kernels (default: CPU count)")
    args = parser.parse_args(argv)

    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    # The kernels inherit this environment. With several kernels at once, BLAS and OpenMP
    # threads would oversubscribe the cores (OpenBLAS threads spin while they wait, which made
    # one chapter 5x slower): each kernel gets its share of the cores.
    share = str(max(1, (os.cpu_count() or 1) // args.workers))
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(name, share)

    cache = get_cache(str(args.cache))
    notebooks = [p.resolve() for p in toc_files(args.toc or args.source / "_toc.yml", args.source) if is_notebook(p)]
    # Only what the cache does not hold yet (a fresh cache after `clean --all`: everything).
    todo = []
    for path in notebooks:
        record = cache.add_nb_to_project(str(path), read_data=MYST_NB_READER)
        try:
            cache.match_cache_notebook(cache.get_project_notebook(record.pk).nb)
        except KeyError:
            todo.append(path)
    todo.sort(key=lambda p: p.stat().st_size, reverse=True)
    print(f"executing {len(todo)} of {len(notebooks)} notebooks with {args.workers} workers", flush=True)
    failed = []
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = {pool.submit(_execute, str(p), args.timeout): p for p in todo}
        for future in as_completed(futures):
            path = futures[future]
            nb, err, tb, seconds = future.result()
            if err:
                failed.append(path)
                print(f"FAILED {path.name} after {seconds:.0f} s\n{tb}", flush=True)
                continue
            cache.cache_notebook_bundle(
                CacheBundleIn(nb, str(path), data={"execution_seconds": seconds}), check_validity=False, overwrite=True
            )
            print(f"  {path.name}: {seconds:.0f} s", flush=True)
    print(f"all executed in {time.perf_counter() - start:.0f} s wall", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
