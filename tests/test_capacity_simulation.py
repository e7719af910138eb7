"""Stored simulations of the critical-distance chapter: encoding, re-running, intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sdmlib import capacity as cap
from sdmlib import capacity_simulation as sim

DATA = Path(__file__).resolve().parents[1] / "book" / "data"


def test_seeded_trial_is_one_trial_of_simulate_convergence():
    x = np.arange(0, 20, 3)
    a = sim.seeded_trial(32, 6, 30, None, x, key=[5, 6], steps=4)
    b = cap.simulate_convergence(32, 6, 30, None, x, trials=1, rng=np.random.default_rng([5, 6]), steps=4)[0]
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="key"):
        sim.seeded_trial(32, 6, 30, None, x, key=[-1])


def test_stored_n64_table_reruns_and_its_intervals_match_a_direct_computation(tmp_path):
    meta, conv = sim.load_converged_table(DATA / "critical_distance_sim_n64.csv")
    assert sorted(conv) == list(range(5, 24)) and all(c.shape == (500, 33) for c in conv.values())
    seed = int(meta["seed"].split()[0])
    for d, t in [(5, 0), (15, 499)]:  # two stored trials come out of the code again
        out = sim.seeded_trial(64, d, 1024, None, np.arange(33), [seed, 64, d, t], steps=10)
        assert np.array_equal(out == 0, conv[d][t])
    ci = sim.critical_distance_intervals({15: conv[15], 9: conv[9]}, resamples=200, rng=0)
    for d in (9, 15):  # the estimate is the scalar route on the mean converged fraction
        assert ci.loc[d, "cd"] == pytest.approx(sim.critical_distance_from_fraction(conv[d].mean(0), interpolate=True))
        assert ci.loc[d, "low"] <= ci.loc[d, "cd"] <= ci.loc[d, "high"] and ci.loc[d, "trials"] == 500


def test_one_read_crossings_on_a_small_memory():
    x = np.arange(0, 33, 4)
    dist = np.stack([sim.seeded_trial(64, 24, 50, 600, x, [1, t]) for t in range(20)])
    tab = sim.one_read_crossings(x, {(24, 600, 50): dist}, n=64, resamples=100, rng=0)
    row = tab.loc[(24, 600, 50)]
    assert row["simulated crossing"] == pytest.approx(sim.map_crossing(x, dist.mean(0)))
    assert row["95 % low"] <= row["simulated crossing"] <= row["95 % high"]
    exact = cap.convergence_map(64, 24, 50, 600, x, method="exact")
    assert row["exact per-bit model"] == pytest.approx(sim.map_crossing(x, exact))


def test_map_crossing_agrees_with_critical_distance_on_the_unit_grid():
    for n, d, m, r in [(64, 19, 1024, 2**64), (64, 20, 1024, None), (100, 40, 50, 10**4)]:
        y = cap.convergence_map(n, d, m, r)
        assert sim.map_crossing(np.arange(n + 1), y) == pytest.approx(
            cap.critical_distance(n, d, m, r, convention="interpolated"))
    with pytest.raises(ValueError, match="strictly increasing"):
        sim.map_crossing([0, 0, 1], [0, 0, 1])
