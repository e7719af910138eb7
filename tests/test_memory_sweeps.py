"""The stored sweeps of 'Associative memories side by side': provenance, pooling and the re-check."""

import numpy as np
import pandas as pd
import pytest

from sdmlib import memory_sweeps
from sdmlib.experiments import recall_curves, model_spec
from sdmlib.data import random_patterns


@pytest.fixture(scope="module")
def small_table():
    """A load sweep at two small loads and two seeds (seconds)."""
    return memory_sweeps.load_sweep([0, 1], loads=[2, 6])


def test_load_cells_are_recall_curves_of_the_documented_protocol(small_table):
    cell = small_table[(small_table.model == "hopfield") & (small_table.m == 6) & (small_table.seed == 1)]
    direct = recall_curves({"hopfield": model_spec("hopfield", 64, estimator="ols")},
                           lambda s: random_patterns(6, 64, seed=s), [0, 8], seeds=[1], n_queries=6,
                           n_repeats=10, progress=False)
    np.testing.assert_allclose(cell["mean"].to_numpy(), direct["mean"].to_numpy())
    assert set(small_table["n_queries"]) == {64, 60}  # 2 x 32 repeats, 6 x 10 repeats


def test_write_read_round_trip_keeps_numbers_and_provenance(tmp_path, small_table):
    path = tmp_path / "sweeps.csv"
    memory_sweeps.write_sweeps(path, small_table, "python -m sdmlib.memory_sweeps --seeds 2", [0, 1])
    table, meta = memory_sweeps.read_sweeps(path)
    assert meta["command"].endswith("--seeds 2") and meta["seeds"] == "0 1"
    assert {"commit", "hardware", "software", "date"} <= set(meta)
    np.testing.assert_allclose(table["mean"], small_table["mean"], rtol=1e-9)
    assert table["d"].dtype == "Int64" and table["d"].isna().sum() == small_table["d"].isna().sum()


def test_recheck_finds_the_stored_numbers_and_catches_a_changed_one(small_table):
    ok = memory_sweeps.recheck_sample(pd.concat([small_table]), n_cells=6, seed=0)
    assert len(ok) == 6 and ok["max_diff"].max() < 1e-12
    broken = small_table.copy()
    broken.loc[broken["m"] == 6, "mean"] -= 0.01      # every m = 6 cell altered
    bad = memory_sweeps.recheck_sample(broken, n_cells=6, seed=0)
    assert (bad.loc[bad["m"] == 6, "max_diff"] > 0.009).all() and (bad.loc[bad["m"] == 2, "max_diff"] < 1e-12).all()


def test_summaries_pool_seeds(small_table):
    noise, load = memory_sweeps.summarize_sweeps(small_table)
    assert len(noise) == 0
    row = load[(load.model == "hopfield") & (load.m == 6) & (load.h == 8)].iloc[0]
    means = small_table[(small_table.model == "hopfield") & (small_table.m == 6) & (small_table.h == 8)]["mean"]
    assert row["mean"] == pytest.approx(means.mean()) and row["sem"] == pytest.approx(means.std(ddof=1) / np.sqrt(2))


def test_noise_cells_and_validation():
    cells = memory_sweeps.noise_cells()
    assert ("neuron_sdm", 11) not in cells and ("neuron_sdm", 19) in cells and ("pattern_sdm", 11) in cells
    with pytest.raises(ValueError, match="m must be 256"):
        memory_sweeps.recompute_cell("noise", "hopfield", None, 0, 64)
    with pytest.raises(ValueError, match="sweep must be one of"):
        memory_sweeps.recompute_cell("capacity", "hopfield", None, 0, 64)
    with pytest.raises(ValueError, match="model must be one of"):
        memory_sweeps.recompute_cell("load", "neuron_sdm", 19, 0, 64)
