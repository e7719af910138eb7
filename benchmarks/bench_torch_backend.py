"""Benchmark of the memories' torch back end against the numba / numpy routes, on the same data.

    python benchmarks/bench_torch_backend.py                  # CPU: n = 64, 1024; r = 10**5, 10**6
    python benchmarks/bench_torch_backend.py --quick          # r = 10**5 only, fewer repeats
    python benchmarks/bench_torch_backend.py --device cuda --csv torch_gpu.csv   # on a GPU

For each size it times, after checking that the routes give identical results:

* ``NeuronSDM`` read of a batch of 1 and of ``--batch`` queries, and write of ``--batch``
  patterns: numba (one thread, the library's default) vs ``backend="torch"`` on ``--device``
  with its default product dtype (float32 on the CPU, float16 on CUDA for n <= 2048);
* ``PatternSDM`` (r = None), binary ``SDMAttention`` and continuous ``SDMAttention`` reads of
  ``--batch`` queries against ``--m`` stored patterns: numpy (numba popcount for the
  distances) vs torch;
* the streaming floor: one pass over the packed addresses (numba's ``stream_floor`` on the
  CPU; on CUDA a ``sum`` over the same bytes on the device), and every NeuronSDM time per
  query or pattern as a multiple of it.

Timings are the best of ``--repeats`` runs, wall clock, synchronised (every read returns
numpy arrays). This is a benchmark, not a test: the numbers depend on the machine and its
load, which is recorded (load average) with the hardware, versions, seed, command and commit
in every CSV row.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
from pathlib import Path
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from sdmlib._timing import best_time  # noqa: E402
from sdmlib.geometry import hamming_radius_for_fraction  # noqa: E402
from sdmlib.memories import NeuronSDM, PatternSDM, SDMAttention, numba_available, stream_floor  # noqa: E402


def hardware(device: str) -> dict:
    """CPU model, cores, GPU name, library versions, commit and load: one dict for every row."""
    import torch

    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout.splitlines():
            if line.startswith("Model name:"):
                info["cpu"] = line.split(":", 1)[1].strip()
    except (OSError, subprocess.SubprocessError):
        pass
    info["gpu"] = torch.cuda.get_device_name(0) if device.startswith("cuda") else ""
    info["torch"] = torch.__version__
    info["torch_threads"] = torch.get_num_threads()
    try:
        import numba

        info["numba"] = numba.__version__
    except ImportError:
        info["numba"] = ""
    info["numpy"] = np.__version__
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                        timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        info["commit"] = ""
    info["load_average_1min"] = round(os.getloadavg()[0], 2)
    return info


def torch_floor(A: np.ndarray, device: str, repeats: int) -> float:
    """One pass over the packed bytes on the device (an int64 sum), best of ``repeats``."""
    import torch

    t = torch.from_numpy(np.ascontiguousarray(A).view(np.int64)).to(device)

    def run():
        t.sum().item()

    run()
    return best_time(run, repeats)


def same_reads(a, b) -> bool:
    return bool(np.array_equal(a.outputs, b.outputs) and np.array_equal(a.empty, b.empty))


def bench_neuron(n: int, r: int, batch: int, device: str, repeats: int, seed: int) -> list[dict]:
    d = int(hamming_radius_for_fraction(n, 1e-3))
    rng = np.random.default_rng(seed)
    P = rng.integers(0, 2, size=(batch, n), dtype=np.uint8)
    Q = P.copy()
    Q[:, : max(1, n // 20)] ^= 1  # 5 % noise
    ref_backend = "numba" if numba_available() else "numpy"
    ref = NeuronSDM(n=n, d=d, r=r, seed=seed, backend=ref_backend)
    tor = NeuronSDM(n=n, d=d, r=r, seed=seed, backend="torch", device=device)
    if not np.array_equal(ref.addresses, tor.addresses):
        raise AssertionError("the same seed gave different neurons")
    t_write = {}
    for name, mem in (("ref", ref), ("torch", tor)):
        t0 = time.perf_counter()
        mem.write(P)
        t_write[name] = time.perf_counter() - t0
    # identical state and reads before anything is timed
    sa, sb = ref.active_neurons(Q), tor.active_neurons(Q)
    if not all(np.array_equal(x, y) for x, y in zip(sa, sb)):
        raise AssertionError(f"torch scan differs from {ref_backend} at n={n}, r={r}")
    if not same_reads(ref.read(Q), tor.read(Q)) or ref.touched != tor.touched:
        raise AssertionError(f"torch read differs from {ref_backend} at n={n}, r={r}")
    floor_cpu = best_time(lambda: stream_floor(ref.addresses), repeats)
    floor = floor_cpu if device == "cpu" else torch_floor(ref.addresses, device, repeats)
    rows = []
    for op, k, fn_ref, fn_t in (
        ("read", 1, lambda: ref.read(Q[:1]), lambda: tor.read(Q[:1])),
        ("read", batch, lambda: ref.read(Q), lambda: tor.read(Q)),
        ("write", batch, lambda: ref.write(P), lambda: tor.write(P)),
    ):
        for route, fn in ((ref_backend, fn_ref), (f"torch {device}", fn_t)):
            fn()  # warm (numba compile, CUDA kernels)
            sec = best_time(fn, repeats)
            this_floor = floor_cpu if route == ref_backend else floor
            rows.append(dict(memory="NeuronSDM", op=op, route=route, n=n, r=r, d=d, batch=k, m="",
                             seconds=sec, per_item_s=sec / k, floor_s=this_floor,
                             per_item_over_floor=sec / k / this_floor, equal=True))
    return rows


def bench_patterns(n: int, m: int, batch: int, device: str, repeats: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    P = rng.integers(0, 2, size=(m, n), dtype=np.uint8)
    Q = P[:batch].copy()
    Q[:, : max(1, n // 20)] ^= 1
    X = rng.standard_normal((m, n))
    Xq = X[:batch] + 0.2 * rng.standard_normal((batch, n))
    d = int(hamming_radius_for_fraction(n, 1e-3))
    cases = [
        ("PatternSDM", lambda **k: PatternSDM(n=n, d=d, **k), P, Q, True),
        ("SDMAttention binary", lambda **k: SDMAttention(n=n, beta=40.0, space="binary", **k), P, Q, True),
        ("SDMAttention continuous", lambda **k: SDMAttention(n=n, beta=40.0, **k), X, Xq, False),
    ]
    rows = []
    for name, mk, data, queries, binary in cases:
        a, b = mk().write(data), mk(backend="torch", device=device).write(data)
        ra, rb = a.read(queries), b.read(queries)
        ok = same_reads(ra, rb) if binary else bool(np.abs(ra.outputs - rb.outputs).max() < 1e-10)
        if not ok:
            raise AssertionError(f"{name}: torch read differs from numpy at n={n}, m={m}")
        for route, mem in (("numpy", a), (f"torch {device}", b)):
            mem.read(queries)
            sec = best_time(lambda: mem.read(queries), repeats)
            rows.append(dict(memory=name, op="read", route=route, n=n, r="", d=d if name == "PatternSDM" else "",
                             batch=batch, m=m, seconds=sec, per_item_s=sec / batch, floor_s="",
                             per_item_over_floor="", equal=True))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
    parser.add_argument("--quick", action="store_true", help="r = 10**5 only and 2 repeats")
    parser.add_argument("--n", type=int, nargs="*", default=[64, 1024])
    parser.add_argument("--r", type=int, nargs="*", default=None, help="neurons (default 10**5 10**6)")
    parser.add_argument("--m", type=int, default=10_000, help="stored patterns of the pattern-based memories")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--torch-threads", type=int, default=1, help="torch intra-op threads (numba: 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", default=None, help="also write the rows to this CSV file")
    args = parser.parse_args(argv)
    import pandas as pd
    import torch

    torch.set_num_threads(args.torch_threads)
    rs = args.r or ([10**5] if args.quick else [10**5, 10**6])
    repeats = args.repeats or (2 if args.quick else 3)
    info = hardware(args.device)
    root = Path(__file__).resolve().parents[1]

    def portable(arg: str) -> str:
        # the record names paths inside the repository relatively, and others as OUT/<name>
        if "/" not in arg:
            return arg
        path = Path(arg).resolve()
        return str(path.relative_to(root)) if path.is_relative_to(root) else f"OUT/{path.name}"

    given = [sys.argv[0], *(sys.argv[1:] if argv is None else argv)]
    command = "python " + " ".join(shlex.quote(portable(a)) for a in given)
    rows = []
    for n in args.n:
        for r in rs:
            print(f"NeuronSDM n={n} r={r} ...", flush=True)
            rows += bench_neuron(n, r, args.batch, args.device, repeats, args.seed)
        print(f"pattern-based n={n} m={args.m} ...", flush=True)
        rows += bench_patterns(n, args.m, args.batch, args.device, repeats, args.seed)
    df = pd.DataFrame(rows)
    for key, value in {"command": command, "seed": args.seed, **info}.items():
        df[key] = value
    show = ["memory", "op", "route", "n", "r", "m", "batch", "seconds", "per_item_s", "per_item_over_floor"]
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(df[show].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print({k: v for k, v in info.items()})
    if not args.device.startswith("cuda"):
        print("No GPU number here (no GPU on this machine). On a GPU run:\n"
              "  python benchmarks/bench_torch_backend.py --device cuda --csv torch_gpu.csv")
    if args.csv:
        df.to_csv(args.csv, index=False)
        print(f"wrote {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
