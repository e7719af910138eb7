"""Stored simulations of the critical-distance chapter (``book/critical_distance.md``).

Two tables, both made of independent trials, each trial seeded on its own
(``sdmlib.capacity_simulation.seeded_trial`` with key ``[SEED, tag, d, trial]``) so that the chapter can re-run any
single stored trial at build time and check that it comes out identical:

``book/data/critical_distance_sim_n64.csv``
    The paper's memory with one neuron at every address (``r=None``): n = 64, m = 1024,
    radii d = 5..23, TRIALS_64 trials per radius. A trial stores m fresh random patterns,
    reads ten times from queries with x = 0..32 bits of pattern 0 flipped, and records
    which x end exactly on the pattern, as a hexadecimal bit mask (bit x set: the query
    with x flipped bits converged; x = 0..32; ``sdmlib.capacity_simulation.decode_converged``).
    The chapter computes from it the interpolated critical distance per radius (where the
    converged fraction crosses one half) and a percentile-bootstrap interval over trials.

``book/data/critical_distance_sim_n256.csv``
    One read of memories with r random neurons at n = 256, where the one-step map crosses
    y = x steeply and the exact per-bit model, the Gaussian reconstruction and the binomial
    Gaussian model disagree by 8-14 bits: (d, r, m) = (110, 4000, 100) and (108, 6000, 300),
    TRIALS_256 trials each (fresh neurons and patterns per trial), x = 0, 4, ..., 128.
    Each row holds the distances after one read for all x of one trial (space-separated).

Usage (about 3 minutes on 2 idle CPU cores; 6.5 minutes on the shared machine that made the stored files)::

    .venv/bin/python benchmarks/critical_distance_simulations.py

Each file starts with ``#`` comment lines: command, seed, commit, hardware, date.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # small matrix products: threads only contend
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sdmlib.capacity_simulation import encode_converged, seeded_trial  # noqa: E402

SEED = 20211206
N64, M64, RADII_64, TRIALS_64, STEPS_64, XMAX_64 = 64, 1024, range(5, 24), 500, 10, 32
N256, SETTINGS_256, TRIALS_256, X_256 = 256, ((110, 4000, 100), (108, 6000, 300)), 300, np.arange(0, 129, 4)
TAG_64, TAG_256 = 64, 256


def n64_trial(d: int, trial: int) -> str:
    """Bit mask (hex) of the x = 0..32 that converge, one memory, ten reads."""
    return encode_converged(seeded_trial(N64, d, M64, None, np.arange(XMAX_64 + 1), [SEED, TAG_64, d, trial],
                                         steps=STEPS_64))


def n256_trial(d: int, r: int, m: int, trial: int) -> str:
    """Distances after one read for x in X_256 (space-separated integers)."""
    out = seeded_trial(N256, d, m, r, X_256, [SEED, TAG_256, d, trial], steps=1)
    return " ".join(str(int(v)) for v in out)


def _header(command: str) -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
        commit += " (modified tree)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    hw = f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} CPUs, {platform.system()}".strip()
    return (f"# command: {command}\n# seed: {SEED} (trial generator numpy.random.default_rng([seed, tag, d, trial]))\n"
            f"# commit: {commit}\n# hardware: {hw}; python {platform.python_version()}, numpy {np.__version__}\n"
            f"# date: {_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}\n")


def main() -> int:
    command = "python benchmarks/critical_distance_simulations.py"
    data = ROOT / "book" / "data"
    t0 = time.time()
    rows = [f"{d},{t},{n64_trial(d, t)}" for d in RADII_64 for t in range(TRIALS_64)]
    (data / "critical_distance_sim_n64.csv").write_text(
        _header(command) + f"# n={N64}, m={M64}, r=None (one neuron per address), steps={STEPS_64}, x=0..{XMAX_64}\n"
        "d,trial,converged\n" + "\n".join(rows) + "\n")
    t1 = time.time()
    rows = [f"{d},{r},{m},{t},{n256_trial(d, r, m, t)}" for d, r, m in SETTINGS_256 for t in range(TRIALS_256)]
    (data / "critical_distance_sim_n256.csv").write_text(
        _header(command) + f"# n={N256}, one read, x={' '.join(map(str, X_256))}\n"
        "d,r,m,trial,distances\n" + "\n".join(rows) + "\n")
    print(f"n = 64: {t1 - t0:.0f} s; n = 256: {time.time() - t1:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
