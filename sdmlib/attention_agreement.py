r"""How far one SDM read and one SDM-attention read can differ: the total-variation bound.

For a query, write :math:`w` for the normalised read weights of the pattern-based binary
SDM (`sdmlib.memories.PatternSDM`, a neuron at every address) and :math:`w'` for the
softmax weights of `sdmlib.memories.SDMAttention` with the fitted β. The votes on bit
:math:`i` are :math:`s_i=\sum_\mu w_\mu(2p^\mu_i-1)` and :math:`s'_i` with :math:`w'`; since
:math:`|2p-1|=1`,

.. math:: |s_i-s'_i|\le\sum_\mu|w_\mu-w'_\mu| = 2\,\mathrm{TV}(w,w'),

so a bit whose margin :math:`|s_i|` exceeds :math:`2\,\mathrm{TV}` is read the same by both.
`read_agreement` computes every piece of this for a batch of queries.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sdmlib._validate import check_binary_array, check_int

__all__ = ["ReadAgreement", "read_agreement"]


@dataclass(frozen=True)
class ReadAgreement:
    """Per-query and per-bit comparison of the SDM and SDM-attention reads (`read_agreement`).

    Attributes
    ----------
    d : int
        Radius.
    beta : float
        The attention's β.
    tv : numpy.ndarray (B,)
        Total variation between the normalised SDM weights and the softmax weights.
    sdm_vote, att_vote : numpy.ndarray (B, n)
        The votes :math:`s_i` and :math:`s'_i` (in [-1, 1]).
    guaranteed : numpy.ndarray of bool (B, n)
        Bits with :math:`|s_i| > 2\\,\\mathrm{TV}`.
    equal : numpy.ndarray of bool (B, n)
        Bits the two reads (`read` of the two memories) set alike.
    w_target_sdm, w_target_att : numpy.ndarray (B,)
        Weight each read puts on the query's target pattern.
    """

    d: int
    beta: float
    tv: np.ndarray
    sdm_vote: np.ndarray
    att_vote: np.ndarray
    guaranteed: np.ndarray
    equal: np.ndarray
    w_target_sdm: np.ndarray
    w_target_att: np.ndarray

    def summary(self) -> dict:
        """One row: medians and means over queries (for a table of radii)."""
        gap = np.abs(self.sdm_vote - self.att_vote).max(axis=1) / (2 * self.tv)
        return dict(d=self.d, beta=self.beta, tv_median=float(np.median(self.tv)),
                    guaranteed=float(self.guaranteed.mean()), equal=float(self.equal.mean()),
                    vote_gap_over_2tv=float(np.median(gap)), w_target_sdm=float(self.w_target_sdm.mean()),
                    w_target_att=float(self.w_target_att.mean()))

    def fraction(self, which: str) -> tuple[float, float]:
        """``(mean, standard error over queries)`` of the per-query fraction of ``"guaranteed"``
        or ``"equal"`` bits."""
        if which not in ("guaranteed", "equal"):
            raise ValueError(f"which must be 'guaranteed' or 'equal', got {which!r}")
        per_query = getattr(self, which).mean(axis=1)
        se = per_query.std(ddof=1) / np.sqrt(per_query.size) if per_query.size > 1 else 0.0
        return float(per_query.mean()), float(se)


def read_agreement(patterns, queries, d: int, targets=None, *, estimator: str = "ols") -> ReadAgreement:
    r"""Compare one SDM read and one SDM-attention read of the same queries, bit by bit.

    Parameters
    ----------
    patterns : array_like of {0, 1} (m, n)
        Stored patterns (auto-associative).
    queries : array_like of {0, 1} (B, n)
        Queries.
    d : int
        Radius, ``1 <= d <= n``: of the SDM (a neuron at every address) and of the β fit.
        Every query needs a pattern within ``2d`` (else its SDM read is empty).
    targets : array_like of int (B,), optional
        Index of each query's target pattern (default: query ``i`` targets pattern ``i``,
        which needs ``B <= m``).
    estimator : {"ols", "as-published"}
        β estimator (`sdmlib.beta.fit_beta`, window ``dv = 0..d-1``).

    Returns
    -------
    ReadAgreement

    Examples
    --------
    The bound holds for every bit, and the bits it guarantees are read alike:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> P = rng.integers(0, 2, size=(100, 64), dtype=np.uint8)
    >>> q = P.copy(); q[:, :6] ^= 1
    >>> a = read_agreement(P, q, 11)
    >>> bool(np.all(np.abs(a.sdm_vote - a.att_vote) <= 2 * a.tv[:, None] + 1e-12))
    True
    >>> bool(np.all(a.equal[a.guaranteed])), a.fraction("guaranteed")
    (True, (1.0, 0.0))
    """
    from sdmlib.memories import PatternSDM, SDMAttention

    P = np.atleast_2d(check_binary_array("patterns", patterns, ndim=(2,)))
    m, n = P.shape
    q = np.atleast_2d(check_binary_array("queries", queries, ndim=(1, 2)))
    if m == 0 or q.shape[0] == 0:
        raise ValueError(f"patterns and queries must each hold at least one row, got {m} and {q.shape[0]}")
    if q.shape[1] != n:
        raise ValueError(f"queries must have n = {n} columns like the patterns, got {q.shape[1]}")
    d = check_int("d", d, lo=1, hi=n)
    if targets is None:
        if q.shape[0] > m:
            raise ValueError(f"give targets: {q.shape[0]} queries but only m = {m} patterns")
        targets = np.arange(q.shape[0])
    targets = np.asarray(targets)
    if targets.shape != (q.shape[0],) or targets.dtype.kind not in "iu" or targets.min() < 0 or targets.max() >= m:
        raise ValueError(f"targets must hold one pattern index in [0, {m - 1}] per query")
    sdm = PatternSDM(n=n, d=d).write(P)
    att = SDMAttention(n=n, d=d, space="binary", estimator=estimator).write(P)
    lw = sdm.log_weights(q)
    if not np.all(np.isfinite(lw.max(axis=1))):
        raise ValueError(f"every query needs a pattern within 2d = {2 * d} (else the SDM read is empty)")
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    w_att = att.weights(q)
    S = 2.0 * P - 1.0
    tv = 0.5 * np.abs(w - w_att).sum(axis=1)
    s_sdm, s_att = w @ S, w_att @ S
    rows = np.arange(q.shape[0])
    return ReadAgreement(d=d, beta=float(att.beta), tv=tv, sdm_vote=s_sdm, att_vote=s_att,
                         guaranteed=np.abs(s_sdm) > 2 * tv[:, None],
                         equal=sdm.read(q).outputs == att.read(q).outputs,
                         w_target_sdm=w[rows, targets], w_target_att=w_att[rows, targets])
