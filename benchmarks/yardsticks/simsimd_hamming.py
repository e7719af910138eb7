"""Yardstick: SimSIMD's bit-level Hamming ``cdist`` (one thread) then ``<= d``, in chunks of neurons.

    python benchmarks/yardsticks/simsimd_hamming.py CELL.npz [BATCH ...]

SimSIMD computes every distance (a float32 matrix), so the threshold is a numpy
pass over chunks of 2**16 neurons.
"""

from __future__ import annotations

import _common as c
import numpy as np

import simsimd


def main() -> None:
    cell, batches = c.main_args()
    n, d = int(cell["n"]), int(cell["d"])
    if n % 8:
        return
    nbytes = n // 8
    A8 = np.ascontiguousarray(np.ascontiguousarray(cell["A"]).view(np.uint8)[:, :nbytes])
    Q8 = np.ascontiguousarray(np.ascontiguousarray(cell["Q"]).view(np.uint8)[:, :nbytes])
    chunk = 1 << 16
    for B in batches:
        q = np.ascontiguousarray(Q8[:B])

        def run(q=q):
            sets = [[] for _ in range(q.shape[0])]
            for s in range(0, A8.shape[0], chunk):
                D = np.asarray(simsimd.cdist(q, A8[s : s + chunk], metric="hamming", dtype="bin8",
                                             out_dtype="float32", threads=1))
                qb, jj = np.nonzero(D <= d)
                for b in range(q.shape[0]):
                    sets[b].append(jj[qb == b] + s)
            return [np.concatenate(x) for x in sets]

        sets = run()
        c.check(cell, B, sets, "simsimd")
        caps = ",".join(k for k, v in simsimd.get_capabilities().items() if v)
        c.report("simsimd cdist", B, c.best_time(run, int(cell["repeats"])), sum(x.size for x in sets),
                 f"simsimd {simsimd.__version__} ({caps}), 1 thread")


if __name__ == "__main__":
    main()
