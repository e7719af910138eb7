r"""Per-head statistics of captured attention: the effective β, and what separates content from position.

The paper's statistic (:func:`effective_betas`) is the largest scaled score of one query,

.. math::

    \beta^{\text{eff}}_{l,h}(T) = \max_{t\ \text{visible to}\ T}\ \text{scale}_l\,q_{l,h,T}^\top k_{l,h,t}.

A head can make that maximum large for reasons SDM does not talk about: attending to the
previous token, to position 0 or a special token (an "attention sink"), or to itself.
:func:`head_statistics` therefore reports, for **every** query token, the effective β with and
without those keys, where the attention mass goes, how spread it is, how unequal the key norms
are (the SDM reading assumes equal norms), and the effective SDM radius of the whole attention
row (:func:`sdmlib.probe.effective_sdm_radius`). :func:`classify_heads` turns the
per-token table into head classes with stated rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from sdmlib._validate import check_choice, check_int, check_real
from sdmlib.probe.capture import TextCapture, _scaled_scores, recompute_attention

__all__ = [
    "effective_betas",
    "softmax_inputs",
    "softmax_input_histogram",
    "value_norms_vs_attention",
    "head_statistics",
    "HEAD_CLASSES",
    "summarise_heads",
    "classify_heads",
    "class_summary",
]

def _query_positions(cap: TextCapture, query: str) -> np.ndarray:
    if query == "last":
        regular = np.flatnonzero(~cap.special)
        return np.array([regular[-1] if regular.size else cap.n_tokens - 1])
    return np.arange(cap.n_tokens)


def effective_betas(
    captured: TextCapture | Iterable[TextCapture],
    *,
    query: str = "last",
    reduce: str | None = None,
):
    """Effective β of every head: the largest scaled score of a query over the keys it sees.

    .. math::

        \\beta^{\\text{eff}}_{l,h}(T) = \\max_{t\\ \\text{visible to}\\ T}
        \\text{scale}_l\\; q_{l,h,T}^\\top k_{l,h,t}
        = \\text{scale}_l\\,\\lVert q_T\\rVert\\,\\lVert k_{t^*}\\rVert\\cos\\theta_{t^*}.

    Parameters
    ----------
    captured : TextCapture or iterable of TextCapture
        From :func:`capture_attention`.
    query : {"last", "all"}
        ``"last"``: the last non-special token (the paper's statistic; for a causal model this is
        the last token, which sees every key, its own included). ``"all"``: every position (the
        per-token distribution; each sees the keys its mask allows).
    reduce : {None, "max", "mean"}
        With ``query="all"``: ``None`` keeps one row per query token; ``"max"`` / ``"mean"``
        aggregate the per-token β over the tokens of each text, layer and head (the norm
        columns are then averaged). Ignored for ``query="last"``.

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per model, text, layer, head (and query position): columns ``model, text,
        n_tokens, layer, head, query_pos, token, special, n_keys, beta_eff, key_pos, q_norm,
        k_norm, cos, scale, d_head``. ``k_norm`` and ``cos`` refer to the maximising key
        ``key_pos``.

    Examples
    --------
    Unit-norm q and k that coincide give exactly the scale:

    >>> import numpy as np
    >>> e = np.eye(4, dtype=np.float32)[None, None]          # [L=1, H=1, T=4, d=4]
    >>> cap = TextCapture("m", "t", list("abcd"), np.arange(4), np.zeros(4, bool), e, e, e,
    ...                   None, np.array([0.5]), True, None, "gpt2", 1)
    >>> df = effective_betas(cap)
    >>> df[["query_pos", "key_pos", "beta_eff", "cos"]].values.tolist()
    [[3.0, 3.0, 0.5, 1.0]]
    """
    import pandas as pd

    check_choice("query", query, ("last", "all"))
    check_choice("reduce", reduce, (None, "max", "mean"))
    caps = [captured] if isinstance(captured, TextCapture) else list(captured)
    if not caps or not all(isinstance(c, TextCapture) for c in caps):
        raise TypeError("captured: need TextCapture objects from capture_attention")
    frames = []
    for cap in caps:
        pos = _query_positions(cap, query)
        L, H, P = cap.n_layers, cap.n_heads, pos.size
        n_keys = np.empty((L, P), dtype=np.int64)
        beta = np.empty((L, H, P))
        arg = np.empty((L, H, P), dtype=np.int64)
        qn = np.linalg.norm(cap.q[:, :, pos].astype(np.float64), axis=-1)  # [L,H,P]
        kn_all = np.linalg.norm(cap.k.astype(np.float64), axis=-1)  # [L,H,T]
        for layer in range(L):
            vis = cap.visible(layer)[pos]  # [P, T]
            n_keys[layer] = vis.sum(axis=1)
            s = np.where(vis[None], _scaled_scores(cap, layer, pos), -np.inf)
            arg[layer] = s.argmax(axis=-1)
            beta[layer] = np.take_along_axis(s, arg[layer][..., None], axis=-1)[..., 0]
        kn = np.take_along_axis(kn_all, arg, axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = beta / (cap.scales[:, None, None] * qn * kn)
        lay, head, p = np.meshgrid(np.arange(L), np.arange(H), np.arange(P), indexing="ij")
        df = pd.DataFrame(
            {
                "model": cap.model,
                "text": cap.text,
                "n_tokens": cap.n_tokens,
                "layer": lay.ravel(),
                "head": head.ravel(),
                "query_pos": pos[p.ravel()],
                "token": np.asarray(cap.tokens, dtype=object)[pos[p.ravel()]],
                "special": cap.special[pos[p.ravel()]],
                "n_keys": n_keys[lay.ravel(), p.ravel()],
                "beta_eff": beta.ravel(),
                "key_pos": arg.ravel(),
                "q_norm": qn.ravel(),
                "k_norm": kn.ravel(),
                "cos": cos.ravel(),
                "scale": cap.scales[lay.ravel()],
                "d_head": cap.d_head,
            }
        )
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    if query == "all" and reduce is not None:
        keys = ["model", "text", "n_tokens", "layer", "head"]
        out = (
            out.groupby(keys, sort=False)
            .agg(
                beta_eff=("beta_eff", reduce),
                n_keys=("n_keys", "max"),
                q_norm=("q_norm", "mean"),
                k_norm=("k_norm", "mean"),
                cos=("cos", "mean"),
                scale=("scale", "first"),
                d_head=("d_head", "first"),
            )
            .reset_index()
        )
        out.insert(5, "reduce", reduce)
    return out


def _scores(cap: TextCapture, layer: int) -> np.ndarray:
    """Scaled scores ``[H, T, T]`` of one layer (float64, hidden keys not masked)."""
    return _scaled_scores(cap, layer)


def _sample_pairs(caps: list[TextCapture], max_points: int | None, seed: int):
    """Per text: (layer, head, query T, key t) of a uniform sample of the visible pairs."""
    shapes = []
    for cap in caps:
        T_idx, t_idx = np.nonzero(cap.visible())
        shapes.append((cap.n_layers, cap.n_heads, T_idx, t_idx))
    sizes = np.array([L * H * T.size for L, H, T, _ in shapes], dtype=np.int64)
    total = int(sizes.sum())
    chosen = None
    if max_points is not None:
        max_points = check_int("max_points", max_points, lo=1)
        if total > max_points:
            chosen = np.sort(np.random.default_rng(seed).choice(total, size=max_points, replace=False))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    for cap, (L, H, T_idx, t_idx), lo, hi in zip(caps, shapes, offsets[:-1], offsets[1:]):
        local = np.arange(hi - lo) if chosen is None else chosen[(chosen >= lo) & (chosen < hi)] - lo
        lay, head, p = np.unravel_index(local, (L, H, T_idx.size))
        yield cap, lay, head, T_idx[p], t_idx[p]


def softmax_inputs(
    captured: Iterable[TextCapture], *, max_points: int | None = None, seed: int = 0
) -> np.ndarray:
    r"""The visible softmax inputs ``scale · q·k`` of every text, layer, head and query (float64).

    Parameters
    ----------
    captured : iterable of TextCapture
    max_points : int or None
        Uniform random sample of this many (text, layer, head, query, key) pairs; ``None``
        returns all of them (:math:`L\cdot H\cdot T^2` per encoder text: large).
    seed : int
        Seed of the sample.

    Returns
    -------
    numpy.ndarray
        1-D.

    See Also
    --------
    softmax_input_histogram : exact counts over all pairs without holding them.
    """
    caps = list(captured)
    if max_points is None:
        out = []
        for cap in caps:
            vis = cap.visible()
            out.extend(_scores(cap, layer)[:, vis].ravel() for layer in range(cap.n_layers))
        return np.concatenate(out)
    out = []
    for cap, lay, head, T, t in _sample_pairs(caps, max_points, seed):
        q = cap.q[lay, head, T].astype(np.float64)
        k = cap.k[lay, head, t].astype(np.float64)
        out.append(np.einsum("pd,pd->p", q, k) * cap.scales[lay])
    return np.concatenate(out)


def softmax_input_histogram(captured: Iterable[TextCapture], bins: Sequence[float]):
    """Exact histogram of all visible softmax inputs, computed layer by layer.

    Parameters
    ----------
    captured : iterable of TextCapture
    bins : sequence of float
        Increasing bin edges.

    Returns
    -------
    counts : numpy.ndarray of int64
        ``len(bins) - 1`` counts.
    outside : int
        Number of inputs below the first or above the last edge (not in ``counts``).
    """
    edges = np.asarray(bins, dtype=float)
    if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
        raise ValueError("bins must be at least two strictly increasing edges")
    counts = np.zeros(edges.size - 1, dtype=np.int64)
    total = 0
    for cap in captured:
        vis = cap.visible()
        for layer in range(cap.n_layers):
            s = _scores(cap, layer)[:, vis]
            counts += np.histogram(s, bins=edges)[0]
            total += s.size
    return counts, int(total - counts.sum())


def value_norms_vs_attention(
    captured: Iterable[TextCapture],
    *,
    max_points: int | None = 100_000,
    seed: int = 0,
    min_attention: float = 0.0,
):
    r"""Attention weight received against the norm of the attended value vector (E9).

    One row per (text, layer, head, query ``T``, visible key ``t``): the weight
    :math:`a_{T,t}` the model gave and :math:`\lVert v_t\rVert`, plus their product, the length
    of that value's contribution to the output.

    Parameters
    ----------
    captured : iterable of TextCapture
        Captured with ``store_attentions=True``.
    max_points : int or None
        Uniform random sample of this many rows over all texts (``None``: all rows).
    seed : int
        Seed of the sample.
    min_attention : float
        Keep only pairs whose attention weight is at least this (then sampled); with ``0`` every
        visible pair is a candidate. Use it to see *all* the strongly attended keys, which a
        uniform sample of a long text almost never contains.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, text, layer, head, query_pos, key_pos, key_special, attention, v_norm,
        weighted`` (``key_special``: the key is a special token such as ``[SEP]``).
    """
    import pandas as pd

    caps = list(captured)
    min_attention = check_real("min_attention", min_attention, 0.0, 1.0)
    for cap in caps:
        if cap.attentions is None:
            raise ValueError("captured: attention weights were not stored (store_attentions=False)")
    if min_attention > 0:
        picks = []
        for cap in caps:
            lay, head, T, t = np.nonzero((cap.attentions >= min_attention) & cap.visible())
            picks.append((cap, lay, head, T, t))
        total = sum(p[1].size for p in picks)
        if max_points is not None and total > check_int("max_points", max_points, lo=1):
            chosen = np.sort(np.random.default_rng(seed).choice(total, size=max_points, replace=False))
            offsets = np.cumsum([0] + [p[1].size for p in picks])
            picks = [
                (cap, *(x[chosen[(chosen >= lo) & (chosen < hi)] - lo] for x in rest))
                for (cap, *rest), lo, hi in zip(picks, offsets[:-1], offsets[1:])
            ]
    else:
        picks = _sample_pairs(caps, max_points, seed)
    frames = []
    for cap, lay, head, T, t in picks:
        a = cap.attentions[lay, head, T, t].astype(np.float64)
        vn = np.linalg.norm(cap.v[lay, head, t].astype(np.float64), axis=-1)
        frames.append(
            pd.DataFrame(
                {
                    "model": cap.model,
                    "text": cap.text,
                    "layer": lay,
                    "head": head,
                    "query_pos": T,
                    "key_pos": t,
                    "key_special": cap.special[t],
                    "attention": a,
                    "v_norm": vn,
                    "weighted": a * vn,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)



# --------------------------------------------------------------------------------------------
# Per-head statistics that separate content from position
# --------------------------------------------------------------------------------------------


def _masked_max(s: np.ndarray, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max and argmax of ``s`` over the allowed keys (last axis); NaN and -1 where none is."""
    x = np.where(allowed, s, -np.inf)
    arg = x.argmax(axis=-1)
    val = np.take_along_axis(x, arg[..., None], axis=-1)[..., 0]
    none = ~allowed.any(axis=-1)
    return np.where(none, np.nan, val), np.where(none, -1, arg)


def _keys_for_mass(a: np.ndarray, mass: float) -> np.ndarray:
    """Smallest number of keys whose attention sums to at least ``mass`` (last axis)."""
    srt = -np.sort(-a, axis=-1)
    cum = np.cumsum(srt, axis=-1)
    return (cum < mass - 1e-12).sum(axis=-1) + 1


def head_statistics(
    captured: TextCapture | Iterable[TextCapture],
    *,
    mass: float = 0.9,
    sdm_radius: bool = True,
    radii: Sequence[int] | None = None,
    layers: Sequence[int] | None = None,
):
    r"""Per-token, per-head statistics of attention, as a tidy table (one row per text, layer, head, query).

    For query :math:`T` of head :math:`(l, h)` with scores :math:`s_t` and attention
    :math:`a_t` over its visible keys (the model's mask), the columns are

    * ``beta_eff``, ``key_pos``: :math:`\max_t s_t` and its key (the paper's statistic);
    * ``beta_noself``: the max over keys :math:`t\ne T`;
    * ``beta_content``, ``key_pos_content``: the max over *content* keys, i.e. not the query
      itself, not the previous token :math:`T-1`, not position 0 and not a special token
      (NaN when no such key is visible);
    * ``beta_self``, ``beta_prev``, ``beta_first``: :math:`s_T`, :math:`s_{T-1}`, :math:`s_0`
      (NaN where that key is hidden or does not exist); ``beta_special``: the max over special
      keys;
    * ``self_share``, ``prev_share``, ``first_share``, ``special_share``: attention on those keys;
      ``sink_share``: on position 0 or any special key; ``top_share``: :math:`\max_t a_t`;
    * ``entropy`` (nats), ``entropy_norm`` (divided by :math:`\log m`, NaN for :math:`m=1`),
      ``n_mass``: the fewest keys holding ``mass`` of the attention;
    * ``q_norm``; ``k_norm_cv`` and ``k_norm_ratio``: coefficient of variation and max/min of
      :math:`\lVert k_t\rVert` over the visible keys (0 and 1 if the SDM reading's equal-norm
      assumption held); ``cos_max``: the cosine of the ``beta_eff`` key;
    * ``sdm_radius``, ``sdm_kl``: the effective SDM radius of the row
      (:func:`sdmlib.probe.effective_sdm_radius`, :math:`n = d_{\text{head}}`)
      and its divergence; ``kl_uniform``: the divergence of the row from uniform weights, for
      scale.

    Attention is recomputed from the captured q, k, scale and mask (:func:`recompute_attention`,
    checked against the model at capture time).

    Parameters
    ----------
    captured : TextCapture or iterable of TextCapture
    mass : float
        Mass for ``n_mass``, in ``(0, 1]``.
    sdm_radius : bool
        Compute the effective SDM radius (the slowest column).
    radii : sequence of int, optional
        Radii searched (default ``1 .. d_head/2``).
    layers : sequence of int, optional
        Only these layers (default all); for spot checks of stored tables.

    Returns
    -------
    pandas.DataFrame
        Also ``model, text, n_tokens, layer, head, query_pos, token, special, n_keys, d_head``.

    Examples
    --------
    One causal head whose query matches the *previous* key exactly:

    >>> import numpy as np
    >>> k = np.eye(4, dtype=np.float32)[None, None] * 4
    >>> q = np.roll(k, 1, axis=2)                       # q_T = k_{T-1} for T = 1, 2, 3
    >>> cap = TextCapture("m", "t", list("abcd"), np.arange(4), np.zeros(4, bool), q, k, k,
    ...                   None, np.array([1.0]), True, None, "gpt2", 1)
    >>> df = head_statistics(cap, sdm_radius=False)
    >>> df[["query_pos", "key_pos", "beta_eff", "beta_prev", "beta_content"]].values.tolist()[1:]
    [[1.0, 0.0, 16.0, 16.0, nan], [2.0, 1.0, 16.0, 16.0, nan], [3.0, 2.0, 16.0, 16.0, 0.0]]
    """
    import pandas as pd

    from sdmlib.probe.sdm_comparison import effective_sdm_radius

    mass = check_real("mass", mass, 0.0, 1.0, lo_open=True)
    caps = [captured] if isinstance(captured, TextCapture) else list(captured)
    if not caps or not all(isinstance(c, TextCapture) for c in caps):
        raise TypeError("captured: need TextCapture objects from capture_attention")
    frames = []
    for cap in caps:
        H, T, dh = cap.n_heads, cap.n_tokens, cap.d_head
        which_layers = (
            np.arange(cap.n_layers)
            if layers is None
            else np.array([check_int("layers", x, lo=0, hi=cap.n_layers - 1) for x in layers], dtype=np.int64)
        )
        rows, cols = np.indices((T, T))
        self_k, prev_k, first_k = cols == rows, cols == rows - 1, cols == 0
        special_k = np.broadcast_to(cap.special[None, :], (T, T))
        positional = self_k | prev_k | first_k | special_k
        cols_out: dict[str, list] = {}

        def put(name, value):
            cols_out.setdefault(name, []).append(np.asarray(value))

        for layer in which_layers:
            vis = cap.visible(layer)
            s = _scaled_scores(cap, layer)  # [H, T, T]
            a = recompute_attention(cap, layer)
            q = cap.q[layer].astype(np.float64)
            k = cap.k[layer].astype(np.float64)
            qn, kn = np.linalg.norm(q, axis=-1), np.linalg.norm(k, axis=-1)  # [H, T]
            with np.errstate(invalid="ignore", divide="ignore"):
                cos = np.matmul(q, k.transpose(0, 2, 1)) / (qn[:, :, None] * kn[:, None, :])
            cos = np.nan_to_num(cos, nan=0.0)
            m = vis.sum(axis=-1)  # [T]
            beta, arg = _masked_max(s, vis[None])
            put("n_keys", np.broadcast_to(m, (H, T)))
            put("beta_eff", beta)
            put("key_pos", arg)
            put("beta_noself", _masked_max(s, (vis & ~self_k)[None])[0])
            bc, ac = _masked_max(s, (vis & ~positional)[None])
            put("beta_content", bc)
            put("key_pos_content", ac)
            put("beta_special", _masked_max(s, (vis & special_k)[None])[0])
            for name, which in (("self", self_k), ("prev", prev_k), ("first", first_k)):
                ok = (vis & which)[None]
                has = ok.any(axis=-1)
                put("beta_" + name, np.where(has, np.where(ok, s, 0.0).sum(axis=-1), np.nan))
                put(name + "_share", np.where(has, np.where(ok, a, 0.0).sum(axis=-1), np.nan if name == "prev" else 0.0))
            put("special_share", np.where((vis & special_k)[None], a, 0.0).sum(axis=-1))
            put("sink_share", np.where((vis & (first_k | special_k))[None], a, 0.0).sum(axis=-1))
            put("top_share", a.max(axis=-1))
            with np.errstate(divide="ignore", invalid="ignore"):
                ent = -np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0)), 0.0).sum(axis=-1)
                put("entropy", ent)
                put("entropy_norm", np.where(m > 1, ent / np.log(np.maximum(m, 2)), np.nan))
            put("n_mass", _keys_for_mass(np.where(vis[None], a, 0.0), mass))
            put("q_norm", qn)
            vk = vis.astype(np.float64)  # [T(query), T(key)]
            k_mean = kn @ vk.T / m  # [H, T]
            k_var = np.maximum((kn**2) @ vk.T / m - k_mean**2, 0.0)
            put("k_norm_cv", np.sqrt(k_var) / k_mean)
            put("k_norm_ratio", np.where(vis[None], kn[:, None, :], -np.inf).max(axis=-1)
                / np.where(vis[None], kn[:, None, :], np.inf).min(axis=-1))
            put("cos_max", np.take_along_axis(cos, np.maximum(arg, 0)[..., None], axis=-1)[..., 0])
            if sdm_radius:
                rad, kl = effective_sdm_radius(a, cos, dh, radii, visible=vis[None])
                put("sdm_radius", rad)
                put("sdm_kl", kl)
                with np.errstate(divide="ignore", invalid="ignore"):
                    put("kl_uniform", np.log(m)[None] - ent)
        lay, head, pos = np.meshgrid(which_layers, np.arange(H), np.arange(T), indexing="ij")
        data = {
            "model": cap.model,
            "text": cap.text,
            "n_tokens": T,
            "layer": lay.ravel(),
            "head": head.ravel(),
            "query_pos": pos.ravel(),
            "token": np.asarray(cap.tokens, dtype=object)[pos.ravel()],
            "special": cap.special[pos.ravel()],
            "d_head": dh,
        }
        for name, parts in cols_out.items():
            data[name] = np.stack(parts).ravel()  # [L, H, T] in C order, as the meshgrid
        frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


#: head classes of :func:`classify_heads`, in the order the rules are applied
HEAD_CLASSES = ("previous-token", "self", "sink", "content")


_MEANS = ("prev_share", "self_share", "sink_share", "prev_argmax", "top_share", "entropy_norm", "n_mass")
_MEDIANS = ("beta_eff", "beta_noself", "beta_content", "q_norm", "k_norm_cv", "cos_max", "sdm_radius", "sdm_kl", "kl_uniform")


def summarise_heads(stats, *, min_keys: int = 2):
    r"""One row per text and head: means and medians of :func:`head_statistics` over its query tokens.

    Only query tokens that are not special and see at least ``min_keys`` keys count (the first
    token of a causal model sees only itself). Means (``mean_<col>``) of ``prev_share,
    self_share, sink_share, top_share, entropy_norm, n_mass`` and of ``prev_argmax`` (whether the
    ``beta_eff`` key is :math:`T-1`); medians (``med_<col>``) of ``beta_eff, beta_noself,
    beta_content, q_norm, k_norm_cv, cos_max`` and, if present, ``sdm_radius, sdm_kl,
    kl_uniform``; ``n_queries``; and the paper's own query, the last non-special token:
    ``last_pos, last_token, last_beta_eff, last_key_pos, last_beta_content, last_beta_noself``.

    Parameters
    ----------
    stats : pandas.DataFrame
        From :func:`head_statistics`.
    min_keys : int
        Fewest visible keys for a query token to count.

    Returns
    -------
    pandas.DataFrame
        Keyed by ``model, text, layer, head``; also ``d_head`` and ``n_tokens``.
    """
    min_keys = check_int("min_keys", min_keys, lo=1)
    need = {"prev_share", "self_share", "sink_share", "key_pos", "query_pos", "special", "n_keys", "beta_eff"}
    if not need <= set(stats.columns):
        raise ValueError(f"stats: need the columns of head_statistics, missing {sorted(need - set(stats.columns))}")
    keys = ["model", "text", "layer", "head"]
    use = stats[(~stats.special.astype(bool)) & (stats.n_keys >= min_keys)].copy()
    if use.empty:
        raise ValueError("stats: no query token is a non-special token with at least min_keys keys")
    use["prev_argmax"] = (use.key_pos == use.query_pos - 1).astype(float)
    agg = {"d_head": ("d_head", "first"), "n_tokens": ("n_tokens", "first"), "n_queries": ("query_pos", "size")}
    agg |= {f"mean_{c}": (c, "mean") for c in _MEANS}
    agg |= {f"med_{c}": (c, "median") for c in _MEDIANS if c in use}
    out = use.groupby(keys, sort=True).agg(**agg)
    last = stats[~stats.special.astype(bool)].sort_values("query_pos").groupby(keys, sort=True).tail(1)
    last = last.set_index(keys)[["query_pos", "token", "beta_eff", "key_pos", "beta_content", "beta_noself"]]
    last.columns = ["last_pos", "last_token", "last_beta_eff", "last_key_pos", "last_beta_content", "last_beta_noself"]
    return out.join(last).reset_index()


def classify_heads(stats, *, threshold: float = 0.5, min_keys: int = 2):
    r"""Classify each head as previous-token, self, sink or content, by where its attention goes.

    The rules, applied in this order to the head's query tokens that are not special tokens
    and see at least ``min_keys`` keys (means over those tokens, pooled over all texts):

    1. **previous-token** if the mean attention on the previous token, ``prev_share``, is at
       least ``threshold``;
    2. **self** if the mean ``self_share`` is at least ``threshold``;
    3. **sink** if the mean ``sink_share`` (position 0 and special tokens) is at least
       ``threshold``;
    4. otherwise **content**: most of the attention goes to ordinary keys chosen by what they
       hold, the case SDM's reading is about.

    Parameters
    ----------
    stats : pandas.DataFrame
        From :func:`head_statistics` (per token), or its :func:`summarise_heads` (per text and
        head; the pooled means are then the ``n_queries``-weighted means, which equal the
        per-token ones exactly).
    threshold : float
        Mean attention share, in ``(0, 1]``.
    min_keys : int
        With a per-token table: queries with fewer visible keys are left out.

    Returns
    -------
    pandas.DataFrame
        One row per ``model, layer, head``: the pooled means ``prev_share, self_share,
        sink_share, prev_argmax, top_share, entropy_norm, n_mass``, ``n_queries`` and
        ``head_class`` (categorical, ``HEAD_CLASSES``).
    """
    import pandas as pd

    threshold = check_real("threshold", threshold, 0.0, 1.0, lo_open=True)
    summary = stats if "n_queries" in stats.columns else summarise_heads(stats, min_keys=min_keys)
    cols = [f"mean_{c}" for c in _MEANS]
    if not set(cols) <= set(summary.columns):
        raise ValueError(f"stats: a summary needs the columns {cols}")
    w = summary.n_queries.to_numpy(dtype=float)
    weighted = summary[cols].mul(w, axis=0)
    weighted["n_queries"] = w
    weighted[["model", "layer", "head"]] = summary[["model", "layer", "head"]]
    pooled = weighted.groupby(["model", "layer", "head"], sort=True).sum()
    out = pooled[cols].div(pooled.n_queries, axis=0)
    out.columns = list(_MEANS)
    out["n_queries"] = pooled.n_queries.astype(np.int64)
    out = out.reset_index()
    cls = np.select(
        [out.prev_share >= threshold, out.self_share >= threshold, out.sink_share >= threshold],
        list(HEAD_CLASSES[:3]),
        default=HEAD_CLASSES[3],
    )
    out["head_class"] = pd.Categorical(cls, categories=list(HEAD_CLASSES), ordered=True)
    return out


def class_summary(classes, per_head_beta, *, beta_column: str = "beta_eff"):
    """The paper's statistic per head class: count, median and max of the per-head β.

    Parameters
    ----------
    classes : pandas.DataFrame
        From :func:`classify_heads`.
    per_head_beta : pandas.DataFrame or pandas.Series
        The per-head statistic, indexed (or with columns) ``layer, head`` (and ``model``), e.g.
        the maximum over texts of the last-token ``beta_eff``.
    beta_column : str
        Its column name when a table is given.

    Returns
    -------
    pandas.DataFrame
        Index ``head_class``; columns ``heads, median, max, argmax`` (``argmax``: "layer L head
        H" of the largest).
    """
    import pandas as pd

    if isinstance(per_head_beta, pd.Series):
        per_head_beta = per_head_beta.rename(beta_column).reset_index()
    keys = [k for k in ("model", "layer", "head") if k in per_head_beta.columns]
    merged = classes.merge(per_head_beta[keys + [beta_column]], on=keys, how="inner")
    if len(merged) != len(classes):
        raise ValueError("per_head_beta: does not cover every classified head")
    rows = {}
    for cls, g in merged.groupby("head_class", observed=False):
        if g.empty:
            rows[cls] = {"heads": 0, "median": np.nan, "max": np.nan, "argmax": ""}
            continue
        top = g.loc[g[beta_column].idxmax()]
        rows[cls] = {
            "heads": len(g),
            "median": float(g[beta_column].median()),
            "max": float(g[beta_column].max()),
            "argmax": f"layer {int(top.layer)} head {int(top['head'])}",
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "head_class"
    return out
