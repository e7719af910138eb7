"""The shared protocol of every associative memory: write, read, retrieve.

See :mod:`sdmlib.memories` for the protocol description.
"""

from __future__ import annotations

from typing import Any, Callable, Literal

import numpy as np

from sdmlib._validate import (
    check_binary_array,
    check_bool,
    check_choice,
    check_int,
    check_real,
    check_real_array,
)

__all__ = ["ReadResult", "RetrieveResult", "AssociativeMemory", "ON_EMPTY_CHOICES"]

#: Allowed values of the ``on_empty`` option.
ON_EMPTY_CHOICES = ("keep", "zero", "original")


class ReadResult:
    """Result of one batched read.

    Attributes
    ----------
    outputs
        The updated queries, an array ``(B, n_out)`` (or ``(n_out,)`` for a single
        query): ``uint8`` {0,1} for binary memories, ``float64`` for continuous ones.
    empty
        Boolean array, ``True`` where nothing was in range (no active neuron that
        holds a write, or every pattern weight zero), so the ``on_empty`` rule was applied.
    """

    __slots__ = ("outputs", "empty")

    def __init__(self, outputs, empty) -> None:
        self.outputs = outputs
        self.empty = empty

    def __repr__(self) -> str:
        return f"ReadResult(outputs shape {np.shape(self.outputs)}, n_empty={self.n_empty})"

    @property
    def n_empty(self) -> int:
        """Number of queries whose read found nothing in range."""
        return int(np.count_nonzero(self.empty))


class RetrieveResult:
    """Result of iterating reads to convergence (`AssociativeMemory.retrieve`).

    Attributes
    ----------
    outputs
        The final queries (renormalised to unit length for continuous memories
        when ``renormalize=True``).
    steps
        ``int64`` array: number of reads performed on each query. A query that is
        already a fixed point takes 1 step (the read that shows it does not move).
    converged
        Boolean array, ``True`` where the last read left the query unchanged
        (within ``tol``).
    empty_reads
        ``int64`` array: number of the query's reads that found nothing in range.
    """

    __slots__ = ("outputs", "steps", "converged", "empty_reads")

    def __init__(self, outputs, steps, converged, empty_reads) -> None:
        self.outputs = outputs
        self.steps = steps
        self.converged = converged
        self.empty_reads = empty_reads

    def __repr__(self) -> str:
        return (
            f"RetrieveResult(outputs shape {np.shape(self.outputs)}, mean steps "
            f"{float(np.mean(self.steps)):.3g}, converged {int(np.count_nonzero(self.converged))}, "
            f"n_empty={self.n_empty})"
        )

    @property
    def n_empty(self) -> int:
        """Number of queries with at least one empty read."""
        return int(np.count_nonzero(self.empty_reads))


def _as_batch_binary(name: str, value: Any, n: int) -> tuple[np.ndarray, bool]:
    arr = check_binary_array(name, value, ndim=(1, 2))
    single = arr.ndim == 1
    arr2 = np.atleast_2d(arr)
    if arr2.shape[1] != n:
        raise ValueError(f"{name} must have {n} columns (the memory's dimension), got {arr2.shape[1]}")
    return np.ascontiguousarray(arr2), single


def _as_batch_real(name: str, value: Any, n: int | None) -> tuple[np.ndarray, bool]:
    arr = check_real_array(name, value)
    if arr.ndim not in (1, 2):
        raise ValueError(f"{name} must have 1 or 2 dimensions, got {arr.ndim}")
    single = arr.ndim == 1
    arr2 = np.atleast_2d(arr)
    if n is not None and arr2.shape[1] != n:
        raise ValueError(f"{name} must have {n} columns (the memory's dimension), got {arr2.shape[1]}")
    return np.ascontiguousarray(arr2), single


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` scaled to unit length without overflow or underflow.

    Each row is first divided by its largest absolute entry (so the squares
    summed by the norm lie in ``[1, n]``), then by the norm of the result:
    rows of any finite scale (1e-300 to 1e300) get the same direction. Rows
    that are all zero stay zero (callers refuse or flag them).

    >>> import numpy as np
    >>> x = np.array([[3.0, 4.0], [3e300, 4e300], [3e-310, 4e-310], [0.0, 0.0]])
    >>> unit_rows(x).tolist()
    [[0.6, 0.8], [0.6, 0.8], [0.6, 0.8], [0.0, 0.0]]
    """
    scale = np.max(np.abs(x), axis=1, keepdims=True)
    y = x / np.where(scale > 0, scale, 1.0)
    ny = np.linalg.norm(y, axis=1, keepdims=True)
    return y / np.where(ny > 0, ny, 1.0)


def _zero_rows(x: np.ndarray) -> np.ndarray:
    return ~np.any(x != 0, axis=1)


def _unit_rows(name: str, x: np.ndarray) -> np.ndarray:
    if x.size and np.any(_zero_rows(x)):
        raise ValueError(f"{name} must have non-zero rows (continuous memories normalise them to unit length)")
    return unit_rows(x)


def iterate_reads(
    step: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray, int]],
    x: np.ndarray,
    max_steps: int,
    *,
    batch_rule: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iterate ``x <- step(x)`` on the rows that have not converged, in place.

    The convergence loop shared by every memory's ``retrieve`` and by the
    learned-projection evaluation. ``step(old)`` gets the still-active rows and
    returns ``(new, empty, still, changed)``: the updated rows, which reads were
    empty, which rows have converged, and a count of changed entries for the
    original's batch-global rule. With ``batch_rule=False`` (per query) a row is
    frozen as soon as it is ``still``; with ``batch_rule=True`` every row runs
    until a step changes nothing in the whole batch.

    Returns ``(steps, converged, empty_reads)`` per row.

    Examples
    --------
    Halving until below 1: the row that starts at 8 needs four steps.

    >>> import numpy as np
    >>> x = np.array([[8.0], [0.5]])
    >>> def halve(old):
    ...     new = old / 2
    ...     return new, np.zeros(len(old), bool), new[:, 0] < 1, 1
    >>> steps, converged, _ = iterate_reads(halve, x, 10)
    >>> steps.tolist(), converged.tolist(), x[:, 0].tolist()
    ([4, 1], [True, True], [0.5, 0.25])
    """
    B = x.shape[0]
    steps = np.zeros(B, dtype=np.int64)
    empty_reads = np.zeros(B, dtype=np.int64)
    converged = np.zeros(B, dtype=bool)
    active = np.arange(B)
    for _ in range(max_steps):
        if active.size == 0:
            break
        new, empty, still, changed = step(x[active])
        steps[active] += 1
        empty_reads[active] += empty
        x[active] = new
        if not batch_rule:
            converged[active[still]] = True
            active = active[~still]
        elif changed == 0:
            converged[:] = True
            active = active[:0]
    return steps, converged, empty_reads


class AssociativeMemory:
    """Base class: the write/read/retrieve protocol shared by all memories.

    Subclasses set ``binary`` and implement ``_store(addresses, pointers)`` and
    ``_read(queries) -> (raw_outputs, empty)``; the base class handles input
    validation, the empty-read rule and the convergence loop.
    """

    #: ``True`` for memories of {0,1} vectors, ``False`` for real vectors.
    binary: bool = True
    #: What the original code did when nothing was in range ("zero" or "keep").
    _original_on_empty: str = "zero"
    #: Whether reads use fresh randomness (finite-neuron stochastic rounding).
    stochastic: bool = False

    def __init__(self, n: int, on_empty: Literal["keep", "zero", "original"] = "keep") -> None:
        self.n = check_int("n", n, lo=1)
        check_choice("on_empty", on_empty, ON_EMPTY_CHOICES)
        self.on_empty = on_empty
        self.m = 0
        self.n_out: int | None = None

    # ------------------------------------------------------------------ protocol
    def write(self, addresses: Any, pointers: Any = None) -> "AssociativeMemory":
        """Store patterns: ``addresses`` (m, n) with ``pointers`` (m, n_out).

        ``pointers=None`` writes auto-associatively (pointer = address). Writes
        accumulate; every write must use the same ``n_out``. Returns ``self``.
        """
        if self.binary:
            a, _ = _as_batch_binary("addresses", addresses, self.n)
            if pointers is None:
                p = a
            else:
                p = np.atleast_2d(check_binary_array("pointers", pointers, ndim=(1, 2)))
                if p.shape[1] == 0:
                    raise ValueError("pointers must have at least 1 column, got 0")
        else:
            a, _ = _as_batch_real("addresses", addresses, self.n)
            a = _unit_rows("addresses", a)
            if pointers is None:
                p = a
            else:
                p, _ = _as_batch_real("pointers", pointers, None)
                if p.shape[1] == 0:
                    raise ValueError("pointers must have at least 1 column, got 0")
        if p.shape[0] != a.shape[0]:
            raise ValueError(
                f"addresses and pointers must have the same number of rows, got {a.shape[0]} and {p.shape[0]}"
            )
        if self.n_out is not None and p.shape[1] != self.n_out:
            raise ValueError(f"pointers must have {self.n_out} columns like the earlier writes, got {p.shape[1]}")
        if a.shape[0] == 0:
            return self
        self._store(a, np.ascontiguousarray(p))
        self.n_out = p.shape[1]
        self.m += a.shape[0]
        return self

    def read(self, queries: Any) -> ReadResult:
        """One batched read: every query is replaced by the memory's output.

        Where nothing is in range the ``on_empty`` rule applies: ``"keep"``
        returns the query unchanged, ``"zero"`` returns the all-zero vector (the
        original code's binary behaviour), ``"original"`` does whichever the
        original code did for this model. Such queries are flagged in
        ``ReadResult.empty``. A continuous read whose weighted sum is exactly
        the zero vector (the pointers cancel) is returned as that zero vector;
        `retrieve` treats it as an empty read.
        """
        q, single = self._prepare_queries(queries)
        out, empty = self._read_checked(q)
        if single:
            return ReadResult(out[0], empty[0])
        return ReadResult(out, empty)

    def retrieve(
        self,
        queries: Any,
        max_steps: int = 100,
        tol: float | None = None,
        *,
        convergence: Literal["per-query", "original"] = "per-query",
        renormalize: bool = True,
    ) -> RetrieveResult:
        """Iterate reads until each query stops changing (or ``max_steps``).

        Parameters
        ----------
        queries : array_like, (B, n) or (n,)
        max_steps : int
            Cap on the number of reads (the original used 100 for recall).
        tol : float, optional
            Binary memories: a query has converged when at most ``tol`` bits
            change (default 0). Continuous memories, ``convergence="per-query"``:
            when ``1 - cos(new, old) < tol`` (default 1e-9); with
            ``convergence="original"``: the batch stops when no entry of any
            query moves by more than ``tol`` (default 0.05, the original's rule).
        convergence : {"per-query", "original"}
            ``"per-query"`` freezes each query as soon as it has converged and
            records its own step count; ``"original"`` reproduces the original's
            batch-global test (every query runs until the whole batch is still).
        renormalize : bool
            Continuous memories only: rescale the queries to unit length after
            every step (the original's recall protocol).

        Notes
        -----
        Continuous memories: a read whose output is the zero vector (the
        pointers cancel, e.g. patterns :math:`e_1` and :math:`-e_1` read at
        :math:`e_2`) has no direction to renormalise or read again. It counts
        as an empty read (``empty_reads``) and the ``on_empty`` rule applies:
        ``"keep"`` leaves the query where it was (a fixed point, as for any
        empty read under that rule); ``"zero"`` leaves the zero vector and stops
        that query with ``converged=False``. No output is ever NaN.

        Returns
        -------
        RetrieveResult
        """
        max_steps = check_int("max_steps", max_steps, lo=1)
        check_choice("convergence", convergence, ("per-query", "original"))
        renormalize = check_bool("renormalize", renormalize)
        if self.n_out is not None and self.n_out != self.n:
            raise ValueError(
                f"retrieve iterates reads, so pointers must have n = {self.n} columns; this memory's have {self.n_out}"
            )
        if tol is None:
            tol = 0.0 if self.binary else (1e-9 if convergence == "per-query" else 0.05)
        tol = check_real("tol", tol, lo=0.0)
        x, single = self._prepare_queries(queries)
        x = x.astype(np.float64 if not self.binary else np.uint8, copy=True)
        if not self.binary and renormalize:
            x = _unit_rows("queries", x)

        def step(old: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
            if not self.binary and np.any(_zero_rows(old)):
                # rows that collapsed to zero under on_empty="zero" (kept running by the
                # batch-global rule) are not read again: they stay zero, an empty read
                new, empty = old.copy(), np.ones(old.shape[0], dtype=bool)
                live = ~_zero_rows(old)
                if np.any(live):
                    new[live], empty[live] = self._read_checked(old[live])
            else:
                new, empty = self._read_checked(old)
            if not self.binary:
                cancelled = _zero_rows(new) & ~empty
                if np.any(cancelled):
                    empty = empty | cancelled
                    if self._resolved_on_empty() == "keep":
                        new[cancelled] = old[cancelled]
            if self.binary:
                diff = np.count_nonzero(new != old, axis=1)
                return new, empty, diff <= tol, int(diff.sum())
            batch_changed = int(np.count_nonzero(np.abs(new - old) > tol))
            zn, zo = _zero_rows(new), _zero_rows(old)
            cos = np.einsum("ij,ij->i", unit_rows(new), unit_rows(old))  # scale-safe
            still = np.where(zn | zo, np.all(new == old, axis=1), 1.0 - cos < tol)
            still |= zn  # the zero vector has no direction: stop there (see Notes)
            if renormalize:
                ok = ~_zero_rows(new)
                new[ok] = unit_rows(new[ok])
            return new, empty, still, batch_changed

        steps, converged, empty_reads = iterate_reads(
            step, x, max_steps, batch_rule=(convergence == "original")
        )
        if not self.binary:
            converged &= ~_zero_rows(x)
        if single:
            return RetrieveResult(x[0], steps[0], converged[0], empty_reads[0])
        return RetrieveResult(x, steps, converged, empty_reads)

    # ------------------------------------------------------------------ helpers
    def _prepare_queries(self, queries: Any) -> tuple[np.ndarray, bool]:
        if self.binary:
            return _as_batch_binary("queries", queries, self.n)
        q, single = _as_batch_real("queries", queries, self.n)
        if q.size and np.any(_zero_rows(q)):
            raise ValueError("queries must have non-zero rows (continuous memories normalise them)")
        return q, single

    def _resolved_on_empty(self) -> str:
        return self._original_on_empty if self.on_empty == "original" else self.on_empty

    def _read_checked(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Read a validated batch and apply the empty rule."""
        if self.m == 0:
            out = np.zeros((q.shape[0], self.n), dtype=np.uint8 if self.binary else np.float64)
            empty = np.ones(q.shape[0], dtype=bool)
        else:
            # continuous memories read the unit queries (scale-safe); "keep" returns the query as given
            out, empty = self._read(q if self.binary else unit_rows(q))
        if np.any(empty):
            rule = self._resolved_on_empty()
            if rule == "keep":
                if out.shape[1] != q.shape[1]:
                    raise ValueError(
                        "on_empty='keep' needs pointers of the query's dimension; "
                        "use on_empty='zero' for this hetero-associative memory"
                    )
                out[empty] = q[empty]
            else:
                out[empty] = 0
        return out, empty

    def _store(self, addresses: np.ndarray, pointers: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def _read(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({params}) with m={self.m} stored patterns"

    def _params(self) -> dict:
        return {"n": self.n}
