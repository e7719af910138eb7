"""The reproduce grid: cells equal the whole run, schedulers agree exactly, runs resume."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sdmlib import experiments as ex
from sdmlib.reproduce import (Cell, cell_path, gpu_resources, grid_cells, parse_protocols, protocol_cells, reproduce,
                              run_cell, scheduler_name)
from sdmlib.reproduce.run import _stored

#: A small E1: binary, continuous and radius-less models (BLAS products, convergence loops).
TINY_E1 = ex.recall_protocol("E1", "reduced", n_queries=6, levels=(0, 6), radii=(11,),
                             models=("pattern_sdm", "continuous_sdm", "hopfield"), n_datasets=2)
TINY_E3 = ex.recall_protocol("E3", "reduced", n_queries=4, levels=(0, 8), radii=(19, 27), n_datasets=2)
TINY = {"E1": TINY_E1, "E3": TINY_E3}


def _key_cols(table: pd.DataFrame) -> pd.DataFrame:
    cols = list(ex.RESULT_COLUMNS) + ["protocol", "scale", "n", "m", "fraction", "estimator", "on_empty",
                                      "max_steps", "convergence"]
    return table[cols].sort_values(["model", "d", "seed", "h"], na_position="first").reset_index(drop=True)


def test_cells_together_are_the_whole_protocol_run():
    whole = ex.run_recall_protocol(TINY_E1, seed=3, progress=False).drop(columns=["master_seed"])
    cells = [c for c in reproduce_cells(TINY_E1, seed=3)]
    parts = pd.concat([run_cell(c, TINY_E1)[0] for c in reversed(cells)], ignore_index=True)  # any order
    parts["d"] = parts["d"].astype("Int64")
    pd.testing.assert_frame_equal(_key_cols(parts), _key_cols(whole), check_exact=True)


def reproduce_cells(p, seed=0):
    return protocol_cells(p.name, p.scale, seed, protocol=p)


@pytest.fixture(scope="module")
def serial_run(tmp_path_factory):
    return reproduce(["E1", "E3"], out=tmp_path_factory.mktemp("serial"), protocols_override=TINY, progress=False)


@pytest.mark.parametrize("scheduler", ["processes", "dask"])
def test_every_scheduler_gives_the_serial_numbers(tmp_path, scheduler, serial_run):
    serial = serial_run
    other = reproduce(["E1", "E3"], scheduler=scheduler, workers=2, out=tmp_path / scheduler,
                      protocols_override=TINY, progress=False)
    for name in ("E1", "E3"):
        pd.testing.assert_frame_equal(serial.tables[name], other.tables[name], check_exact=True)
        a = (serial.out / f"recall_{name}_reduced.csv").read_text().split("\n")
        b = (tmp_path / scheduler / f"recall_{name}_reduced.csv").read_text().split("\n")
        assert [x for x in a if not x.startswith("#")] == [x for x in b if not x.startswith("#")]
    prov = json.loads((tmp_path / scheduler / "provenance_E1_reduced.json").read_text())
    assert prov["scheduler"] == scheduler and len(prov["cells"]) == len(reproduce_cells(TINY_E1))
    workers = {c["worker"] for c in prov["cells"]}
    assert len(workers) == 2, f"a 2-worker {scheduler} run used workers {workers}"


def test_a_stopped_run_resumes_with_only_the_missing_cells(tmp_path):
    first = reproduce(["E3"], out=tmp_path, protocols_override=TINY, progress=False)
    cells = reproduce_cells(TINY_E3)
    assert first.computed == len(cells) and all(_stored(tmp_path, c) for c in cells)
    lost = cells[3]
    cell_path(tmp_path, lost).unlink()  # as if the run had stopped before this cell was stored
    (cell_path(tmp_path, cells[5]).with_suffix(".json")).unlink()  # stopped between the two files
    cell_path(tmp_path, cells[0]).with_name("junk.csv.tmp123").write_text("half a file")
    again = reproduce(["E3"], out=tmp_path, protocols_override=TINY, progress=False)
    assert (again.computed, again.skipped) == (2, len(cells) - 2)
    pd.testing.assert_frame_equal(first.tables["E3"], again.tables["E3"], check_exact=True)


def test_the_provenance_records_every_cell_with_its_seed_and_time(tmp_path):
    res = reproduce(["E3"], out=tmp_path, protocols_override=TINY, progress=False, command="python -m sdmlib x")
    prov = json.loads((tmp_path / "provenance_E3_reduced.json").read_text())
    assert prov["command"] == "python -m sdmlib x" and prov["scale"] == "reduced"
    assert {"numpy", "pandas", "python"} <= set(prov["versions"])
    assert prov["hardware"]["cores"] >= 1 and prov["started"] <= prov["finished"]
    keys = {c["key"] for c in prov["cells"]}
    assert keys == {c.key for c in reproduce_cells(TINY_E3)}
    assert all(c["seconds"] >= 0 and c["seed"] in (0, 1) for c in prov["cells"])
    assert prov["cells_computed_by_this_run"] == len(keys)
    header = [line for line in (tmp_path / "recall_E3_reduced.csv").read_text().splitlines() if line.startswith("#")]
    assert any(line.startswith("# commit: ") for line in header) and res.computed == len(keys)


def test_grid_sizes_follow_the_protocols():
    for name in ("E1", "E2", "E3", "E4"):
        for scale in ("reduced", "full"):
            p = ex.recall_protocol(name, scale)
            radius_models = sum(ex.model_spec(m, p.n, r=p.r).uses_radius for m in p.models)
            expected = (radius_models * len(ex.recall_protocol_radii(p)) + len(p.models) - radius_models) * p.n_datasets
            cells = protocol_cells(name, scale)
            assert len(cells) == expected and len({c.key for c in cells}) == expected
    assert len(grid_cells("all", "full")) == sum(len(protocol_cells(n, "full")) for n in ("E1", "E2", "E3", "E4"))
    assert {c.seed for c in protocol_cells("E1", "full", seed=7)} == {7, 8, 9}


@pytest.mark.parametrize("bad, message", [
    ("E5", "protocols must be among"), ("", "at least one"), ("E1,E1", "must not repeat"),
])
def test_bad_protocol_lists_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        parse_protocols(bad)


@pytest.mark.parametrize("bad, kind", [("slurm", ValueError), ("tcp://host", ValueError),
                                       ("tcp://:8786", ValueError), (3, TypeError)])
def test_bad_schedulers_are_refused(bad, kind):
    with pytest.raises(kind, match="scheduler"):
        scheduler_name(bad)


def test_run_cell_refuses_a_radius_outside_the_protocol():
    with pytest.raises(ValueError, match="cell.d"):
        run_cell(Cell("E3", "reduced", "neuron_sdm", 12, 0), TINY_E3)
    with pytest.raises(TypeError, match="cell"):
        run_cell(("E3", "reduced"), TINY_E3)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sdmlib", "reproduce", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("args, option", [
    (["--protocols", "E7"], "--protocols"), (["--scheduler", "pbs"], "--scheduler"),
    (["--workers", "0"], "--workers"), (["--scale", "huge"], "--scale"), (["--seed", "-1"], "--seed"),
])
def test_cli_errors_are_one_line_naming_the_option(args, option):
    done = _cli(*args, "--dry-run")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and option in done.stderr


def test_cli_dry_run_counts_cells_and_stored_ones(tmp_path):
    cells = protocol_cells("E3", "reduced")
    for cell in cells[:5]:  # five stored cells (both files), one with its record missing
        cell_path(tmp_path, cell).parent.mkdir(parents=True, exist_ok=True)
        cell_path(tmp_path, cell).write_text("x")
        cell_path(tmp_path, cell).with_suffix(".json").write_text("{}")
    cell_path(tmp_path, cells[9]).write_text("x")
    done = _cli("--protocols", "E3", "--out", str(tmp_path), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"E3 (reduced): {len(cells)} cells, 5 stored in {tmp_path}"


def test_the_torch_back_end_gives_the_numpy_numbers_on_binary_memories(tmp_path, serial_run):
    pytest.importorskip("torch")
    torch_run = reproduce(["E3"], out=tmp_path, protocols_override=TINY, progress=False, backend="torch",
                          device="cpu")
    cells = protocol_cells("E3", "reduced", protocol=TINY_E3.replace(backend="torch", device="cpu"))
    assert all(c.backend == "torch" and not c.gpu and c.key.endswith("-torch") for c in cells)
    got = torch_run.tables["E3"]
    assert (got["backend"] == "torch").all() and (got["device"] == "cpu").all()
    pd.testing.assert_frame_equal(got.drop(columns=["backend", "device"]), serial_run.tables["E3"], check_exact=True)


def test_a_tcp_address_reaches_an_existing_cluster_with_gpu_resources(tmp_path, serial_run):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                                  resources={"GPU": 1}, silence_logs=40) as cluster:
        run = reproduce(["E3"], scheduler=cluster.scheduler_address, out=tmp_path, protocols_override=TINY,
                        progress=False)
    pd.testing.assert_frame_equal(run.tables["E3"], serial_run.tables["E3"], check_exact=True)
    prov = json.loads((tmp_path / "provenance_E3_reduced.json").read_text())
    assert prov["scheduler"] == cluster.scheduler_address and prov["workers"] == "cluster"
    gpu_cell = Cell("E3", "full", "neuron_sdm", 19, 0, gpu=True, backend="torch")
    assert gpu_resources(gpu_cell, True) == {"GPU": 1} and gpu_resources(gpu_cell, False) is None
