"""Queries, keys and values of real Transformers, and statistics of their attention heads.

A small package:

* :mod:`sdmlib.probe.capture` — capture through the model's own attention function
  (transformers' ``AttentionInterface``): queries and keys after RoPE and any q/k norm, the
  module's own scale and mask, checked against the model's attention;
* :mod:`sdmlib.probe.hooks` — the older route (forward hooks on the projections, RoPE applied
  here), kept as an independent cross-check;
* :mod:`sdmlib.probe.statistics` — the effective β (Bricken & Pehlevan 2021) and per-token,
  per-head statistics that separate content from position, with head classes;
* :mod:`sdmlib.probe.sdm_comparison` — SDM's reference βs, equivalent radii, and the effective
  SDM radius of an attention row;
* :mod:`sdmlib.probe.models`, :mod:`sdmlib.probe.texts`, :mod:`sdmlib.probe.cli` — offline
  loading, the book's texts, the stored tables' provenance header (the ``python -m sdmlib
  betas`` command is ``sdmlib.cli.betas``; ``cli_main`` is a thin wrapper around it).

``load_qknorm_scales`` lives in :mod:`sdmlib.qknorm` and is re-exported here.

Every public name is importable from ``sdmlib.probe`` itself. torch and transformers are
imported only inside the functions that need them, so ``import sdmlib.probe`` is cheap and the
SDM comparison, the statistics and the text reader work without the ``ml`` extra.

For layer :math:`l`, head :math:`h` and query position :math:`T` the softmax inputs are

.. math::

    s_{l,h,T,t} = \\text{scale}_l\\, q_{l,h,T}^\\top k_{l,h,t}
               = \\text{scale}_l\\,\\lVert q\\rVert\\,\\lVert k_t\\rVert\\cos\\theta_t,
    \\qquad
    \\beta^{\\text{eff}}_{l,h} = \\max_{t\\ \\text{visible to}\\ T} s_{l,h,T,t},

with the model's own scale (:math:`1/\\sqrt{d_{\\text{head}}}` in most models, but read, never
assumed).

Examples
--------
The sphere view of the effective β: a score is the product of the two norms, the cosine and the
scale, so a unit-norm query meeting an identical unit-norm key scores exactly the scale.

>>> import numpy as np
>>> q = np.array([3.0, 4.0]); k = np.array([[0.6, 0.8], [0.0, 1.0]])
>>> scale = 1 / np.sqrt(2)
>>> s = k @ q * scale
>>> cos = k @ q / (np.linalg.norm(q) * np.linalg.norm(k, axis=1))
>>> bool(np.allclose(s, np.linalg.norm(q) * np.linalg.norm(k, axis=1) * cos * scale))
True
"""

from __future__ import annotations

from sdmlib.probe.capture import CAPTURE_PREFIX, TextCapture, capture_attention, recompute_attention
from sdmlib.probe.cli import cli_main
from sdmlib.probe.hooks import SUPPORTED_MODEL_TYPES, attention_hooks, capture_attention_hooks
from sdmlib.probe.models import ModelNotAvailableError, load_model, minilm_path
from sdmlib.probe.sdm_comparison import (
    SDM_REGIONS,
    compare_to_sdm,
    effective_sdm_radius,
    sdm_log_weight_table,
    sdm_reference_betas,
    sdm_row_divergence,
)
from sdmlib.probe.statistics import (
    HEAD_CLASSES,
    class_summary,
    classify_heads,
    effective_betas,
    head_statistics,
    softmax_input_histogram,
    softmax_inputs,
    summarise_heads,
    value_norms_vs_attention,
)
from sdmlib.probe.texts import _REPO_ROOT, _book_data, read_texts  # noqa: F401 (private names used by tests)
from sdmlib.qknorm import load_qknorm_scales  # moved to sdmlib.qknorm; re-exported here

__all__ = [
    "SUPPORTED_MODEL_TYPES",
    "CAPTURE_PREFIX",
    "ModelNotAvailableError",
    "TextCapture",
    "minilm_path",
    "load_model",
    "capture_attention",
    "capture_attention_hooks",
    "attention_hooks",
    "recompute_attention",
    "effective_betas",
    "softmax_inputs",
    "softmax_input_histogram",
    "value_norms_vs_attention",
    "head_statistics",
    "HEAD_CLASSES",
    "summarise_heads",
    "classify_heads",
    "class_summary",
    "SDM_REGIONS",
    "sdm_reference_betas",
    "compare_to_sdm",
    "sdm_log_weight_table",
    "sdm_row_divergence",
    "effective_sdm_radius",
    "load_qknorm_scales",
    "read_texts",
    "cli_main",
]

