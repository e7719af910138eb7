"""Full-scale reproduction in one command, on one machine or a Dask cluster.

The recall protocols E1--E4 are grids of independent cells (model x radius x
replicate seed; every perturbation level and repeat inside a cell). Each cell's
numbers depend only on its own parameters and seed, so the same grid computed
serially, in local processes or on a Dask cluster gives identical tables, and a
stopped run resumes where it stopped. Command line::

    python -m sdmlib reproduce --protocols E1,E3 --scale full --scheduler dask --out runs/full

Modules: `sdmlib.reproduce.grid` (cells), `sdmlib.reproduce.cells` (computing
one cell), `sdmlib.reproduce.run` (schedulers, storage, provenance) and
`sdmlib.reproduce.stored` (the book's stored full-scale results and the check
that recomputes a sample of them).
"""

from sdmlib.reproduce.cells import CONFIG_COLUMNS, run_cell, single_thread_blas
from sdmlib.reproduce.grid import PROTOCOLS, Cell, grid_cells, parse_protocols, protocol_cells
from sdmlib.reproduce.run import SCHEDULERS, ReproduceResult, cell_path, read_protocol_table, reproduce, scheduler_name, gpu_resources
from sdmlib.reproduce.stored import compare_scales, load_stored, recheck_cells, stored_provenance

__all__ = [
    "Cell", "PROTOCOLS", "protocol_cells", "grid_cells", "parse_protocols", "run_cell", "single_thread_blas",
    "CONFIG_COLUMNS", "reproduce", "ReproduceResult", "SCHEDULERS", "read_protocol_table", "cell_path",
    "scheduler_name", "gpu_resources", "load_stored", "stored_provenance", "recheck_cells", "compare_scales",
]
