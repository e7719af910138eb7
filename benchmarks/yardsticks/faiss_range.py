"""Yardstick: faiss ``IndexBinaryFlat.range_search`` (one thread), single query and batched.

    python benchmarks/yardsticks/faiss_range.py CELL.npz [BATCH ...]

faiss keeps distances strictly below its radius, so it is given ``d + 1``.
"""

from __future__ import annotations

import _common as c
import numpy as np

import faiss


def main() -> None:
    cell, batches = c.main_args()
    n, d = int(cell["n"]), int(cell["d"])
    if n % 8:
        return  # binary faiss indexes need whole bytes
    faiss.omp_set_num_threads(1)
    nbytes = n // 8
    index = faiss.IndexBinaryFlat(n)
    index.add(np.ascontiguousarray(cell["A"]).view(np.uint8)[:, :nbytes])
    Q8 = np.ascontiguousarray(cell["Q"]).view(np.uint8)[:, :nbytes]
    for B in batches:
        q = np.ascontiguousarray(Q8[:B])

        def run(q=q):
            return index.range_search(q, d + 1)

        lims, _, ids = run()
        c.check(cell, B, [ids[lims[b] : lims[b + 1]] for b in range(B)], "faiss")
        c.report("faiss range_search", B, c.best_time(run, int(cell["repeats"])), lims[B],
                 f"faiss {faiss.__version__}, IndexBinaryFlat, 1 thread")


if __name__ == "__main__":
    main()
