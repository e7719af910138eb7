"""Yardstick: the original's scan, a dense float ``torch.cdist(p=0)`` then ``<= d`` (one thread).

    python benchmarks/yardsticks/dense_cdist.py CELL.npz [BATCH ...]

The dense matrix needs ``4 n`` bytes per neuron, so it is timed on the first
``r_dense`` neurons (at most 20 000) and scaled by ``r / r_dense``; its active
sets are checked against the reference restricted to those neurons.
"""

from __future__ import annotations

import _common as c
import numpy as np

import torch


def main() -> None:
    cell, batches = c.main_args()
    torch.set_num_threads(1)
    n, d = int(cell["n"]), int(cell["d"])
    A, Q = cell["A"], cell["Q"]
    r = A.shape[0]
    rd = min(r, 20_000)
    bits = np.unpackbits(np.ascontiguousarray(A[:rd]).view(np.uint8), axis=1, bitorder="little")[:, :n]
    qbits = np.unpackbits(np.ascontiguousarray(Q).view(np.uint8), axis=1, bitorder="little")[:, :n]
    X = torch.from_numpy(bits.astype(np.float32))
    for B in batches:
        q = torch.from_numpy(qbits[:B].astype(np.float32))

        def run(q=q):
            dist = torch.cdist(q, X, p=0).numpy()
            return [np.flatnonzero(row <= d) for row in dist]

        sets = run()
        ptr, idx = cell["ptr"], cell["idx"]
        for b in range(B):
            ref = idx[ptr[b] : ptr[b + 1]]
            if not np.array_equal(sets[b], ref[ref < rd]):
                raise AssertionError(f"dense cdist: query {b} differs from the reference")
        t = c.best_time(run, max(1, int(cell["repeats"]) // 2))
        c.report("dense cdist (original)", B, t, int(ptr[B]), f"torch {torch.__version__}, timed at r={rd}, scaled",
                 scale=r / rd)


if __name__ == "__main__":
    main()
