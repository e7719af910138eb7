"""The grid of a reproduction: every protocol as a list of independent cells.

A *cell* is the smallest unit of work whose result depends only on its own
parameters and seed: for the recall protocols E1--E4 it is one memory model at
one radius on one data set (replicate seed), with every perturbation level and
repeat of the protocol inside it. Its rows are exactly the rows that
`sdmlib.experiments.run_recall_protocol` produces for that (model, d, seed),
because every random draw there is derived from the replicate seed and a
purpose key (data, targets, perturbations per repeat and level, neurons per
model and radius), never from the order in which cells run. So a grid can be
computed serially, in local processes or on a cluster, in any order, and give
the same numbers.

Examples
--------
The reduced E1 grid: 7 radius models x 6 radii + 2 models without a radius, for 3 seeds:

>>> cells = protocol_cells("E1", "reduced")
>>> len(cells), len({c.key for c in cells}) == len(cells)
(132, True)
>>> cells[0].key
'E1-reduced-pattern_sdm-d5-s0'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from sdmlib._validate import check_choice, check_int

__all__ = ["Cell", "PROTOCOLS", "protocol_cells", "grid_cells", "parse_protocols"]

#: Protocols the reproduce command knows, in the order it runs them.
PROTOCOLS: tuple[str, ...] = ("E1", "E2", "E3", "E4")


@dataclass(frozen=True, order=True)
class Cell:
    """One independent unit of a reproduction grid.

    Attributes
    ----------
    protocol : str
        ``"E1"`` ... ``"E4"``.
    scale : {"full", "reduced"}
    model : str
        Model label (`sdmlib.experiments.RECALL_MODELS`).
    d : int or None
        Hamming radius (``None`` for models without one).
    seed : int
        Replicate seed: the data set, targets, perturbations and neurons of the
        cell all derive from it.
    gpu : bool
        Whether the cell runs on a GPU (``device="cuda..."``): on a Dask
        cluster it then asks for a worker with a ``GPU`` resource, when one
        offers it.
    backend : {"numpy", "torch"}
        Array library of the cell's memories (part of the key: a torch cell is
        stored apart from its numpy twin).
    """

    protocol: str
    scale: str
    model: str
    d: int | None
    seed: int
    gpu: bool = False
    backend: str = "numpy"

    @property
    def key(self) -> str:
        """A file-name-safe identifier, unique within a grid."""
        d = "none" if self.d is None else str(self.d)
        tail = "" if self.backend == "numpy" else f"-{self.backend}"
        return f"{self.protocol}-{self.scale}-{self.model}-d{d}-s{self.seed}{tail}"


def protocol_cells(name: str, scale: str = "reduced", seed: int = 0, *, protocol: Any = None) -> list[Cell]:
    """Every cell of recall protocol ``name`` at ``scale``, for master seed ``seed``.

    Parameters
    ----------
    name : {"E1", "E2", "E3", "E4"}
    scale : {"full", "reduced"}
    seed : int
        Master seed ``>= 0``; the replicates are ``seed, seed + 1, ...``
        (``RecallProtocol.n_datasets`` of them), as in
        `sdmlib.experiments.run_recall_protocol`.
    protocol : sdmlib.experiments.RecallProtocol, optional
        A modified protocol named ``name`` at ``scale`` (its models, radii,
        back end and device define the cells); default: the standard one.

    Returns
    -------
    list of Cell
        Ordered by model, radius, seed (the protocol's model order).

    Examples
    --------
    >>> [c.key for c in protocol_cells("E3", "full")][:2]
    ['E3-full-neuron_sdm-d5-s0', 'E3-full-neuron_sdm-d5-s1']
    """
    from sdmlib import experiments as ex

    check_choice("name", name, PROTOCOLS)
    check_choice("scale", scale, ("full", "reduced"))
    seed = check_int("seed", seed, lo=0)
    if protocol is None:
        p = ex.recall_protocol(name, scale)
    elif not isinstance(protocol, ex.RecallProtocol) or protocol.name != name or protocol.scale != scale:
        raise ValueError(f"protocol must be a RecallProtocol named {name!r} at scale {scale!r}")
    else:
        p = protocol
    radii = ex.recall_protocol_radii(p)
    gpu = p.backend == "torch" and (p.device or "").startswith("cuda")
    cells = []
    for model in p.models:
        spec = ex.model_spec(model, p.n, r=p.r, estimator=p.estimator, on_empty=p.on_empty)
        for d in radii if spec.uses_radius else (None,):
            for s in range(seed, seed + p.n_datasets):
                cells.append(Cell(name, scale, model, None if d is None else int(d), s, gpu=gpu, backend=p.backend))
    return cells


def parse_protocols(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"E1,E3"`` or ``["E1", "E3"]`` -> ``("E1", "E3")``; ``"all"`` -> every protocol.

    Examples
    --------
    >>> parse_protocols("e3, E1"), parse_protocols("all") == PROTOCOLS
    (('E1', 'E3'), True)
    """
    items = [t.strip() for t in text.split(",")] if isinstance(text, str) else [str(t).strip() for t in text]
    items = [t.upper() for t in items if t]
    if items == ["ALL"]:
        return PROTOCOLS
    if not items:
        raise ValueError(f"protocols must name at least one of {', '.join(PROTOCOLS)}")
    for t in items:
        if t not in PROTOCOLS:
            raise ValueError(f"protocols must be among {', '.join(PROTOCOLS)} (or 'all'), got {t!r}")
    if len(set(items)) != len(items):
        raise ValueError(f"protocols must not repeat a protocol, got {text!r}")
    return tuple(p for p in PROTOCOLS if p in items)


def grid_cells(protocols: Sequence[str], scale: str = "reduced", seed: int = 0) -> list[Cell]:
    """The cells of several protocols, in protocol order (see `protocol_cells`).

    Examples
    --------
    >>> len(grid_cells(["E1", "E3"], "full")) == len(protocol_cells("E1", "full")) + len(protocol_cells("E3", "full"))
    True
    """
    return [c for name in parse_protocols(protocols) for c in protocol_cells(name, scale, seed)]
