r"""Capture queries, keys and values through the model's own attention function.

transformers (4.48 and later) dispatches every attention module of the supported architectures
through ``AttentionInterface``: the module computes its queries and keys (projections, q/k norm,
rotary embedding), then calls ``attention_interface(module, query, key, value, attention_mask,
scaling=module.scaling, ...)``. :func:`capture_attention` registers a function there that
records exactly those arguments and then calls the implementation the model was loaded with
(its own ``eager_attention_forward``, or ``sdpa``), so the model's output is unchanged. What is
recorded is what enters the softmax, whatever the architecture does before it:

* the query and the key **after** the rotary embedding and any q/k normalisation, and the key
  and value **before** the grouped-query repetition (:attr:`TextCapture.k` repeats them to one
  per query head, as ``repeat_kv`` does; :attr:`TextCapture.n_kv_heads` says how many are
  distinct);
* the module's own ``scaling`` (never an assumed :math:`1/\sqrt{d_{\text{head}}}`), and any
  logit soft-cap;
* the model's own attention mask, materialised (causal, sliding window and padding exactly as
  the model built them), as the boolean :attr:`TextCapture.visible_mask`.

For layer :math:`l`, head :math:`h`, query :math:`T` and key :math:`t` the softmax input is
:math:`s = \text{scale}_l\,q_{l,h,T}^\top k_{l,h,t}` (soft-capped if the model does so).

The older route, forward hooks on each family's projections plus a re-implemented RoPE, stays
in :mod:`sdmlib.probe.hooks` as an independent cross-check (``route="hooks"``).
"""

from __future__ import annotations

import contextvars
import numbers
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdmlib._validate import check_bool, check_choice, check_int, check_real
from sdmlib.probe.models import _import_torch, _import_transformers

__all__ = ["TextCapture", "recompute_attention", "capture_attention", "CAPTURE_PREFIX"]

#: name prefix of the attention functions this module registers in ``AttentionInterface``
CAPTURE_PREFIX = "sdmbook_capture_"
_BASE_IMPLEMENTATIONS = ("eager", "sdpa")
_ACTIVE: contextvars.ContextVar = contextvars.ContextVar("sdmlib_probe_recorder", default=None)
_REGISTERED: set[str] = set()


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
        Score scale per layer, ``[L]``: the ``scaling`` each attention module passed to its
        attention function (hook route: read from the config).
    causal : bool
        Whether position ``T`` sees only keys ``t <= T``.
    window : int or None
        Sliding-window length (keys with ``T - t >= window`` are hidden), if any.
    family : str
        The config's ``model_type`` (interface route) or the hook family (``"gpt2"``, ``"bert"``,
        ``"llama"``).
    n_kv_heads : int
        Number of distinct key/value heads (``< H`` for grouped-query attention).
    max_abs_diff : float
        Largest difference between the recomputed and the model's attention weights
        (NaN when not verified or when the model's kernel returns no weights).
    visible_mask : numpy.ndarray or None
        Boolean ``[L, T, T]``: the model's own mask per layer (interface route). ``None``: the
        mask follows from ``causal`` and ``window``.
    softcaps : numpy.ndarray or None
        Logit soft-cap per layer (``s -> c tanh(s / c)``; NaN where none), or ``None``.
    route : str
        ``"interface"`` (AttentionInterface) or ``"hooks"``.
    max_output_diff : float
        Largest difference between ``recompute_attention(...) @ v`` and the attention output the
        model computed (interface route; NaN when not verified).
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
    visible_mask: np.ndarray | None = None
    softcaps: np.ndarray | None = None
    route: str = "hooks"
    max_output_diff: float = float("nan")

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

    def visible(self, layer: int | None = None) -> np.ndarray:
        """Boolean ``[T, T]`` matrix: entry ``[T, t]`` says whether query ``T`` sees key ``t``.

        Parameters
        ----------
        layer : int, optional
            The layer (masks differ between layers of models with sliding-window layers).
            Without it, the mask shared by all layers; a ValueError if they differ.
        """
        if self.visible_mask is not None:
            if layer is not None:
                return self.visible_mask[check_int("layer", layer, lo=0, hi=self.n_layers - 1)]
            first = self.visible_mask[0]
            if not (self.visible_mask == first[None]).all():
                raise ValueError("layer: the layers' masks differ (sliding-window layers); pass layer=")
            return first
        T = self.n_tokens
        rows, cols = np.indices((T, T))
        vis = np.ones((T, T), dtype=bool)
        if self.causal:
            vis &= cols <= rows
        if self.window is not None:
            vis &= rows - cols < self.window
        return vis




def _encode(tokenizer, texts, max_length, vocab_size=None, labels=None):
    """Token ids, tokens and special-token masks for each text (no padding).

    Strings are tokenized (with the tokenizer's special tokens); token-id sequences are used
    as given, and with a tokenizer their special tokens (``[CLS]``, ``[SEP]``, BOS, ...) are
    found by ``tokenizer.get_special_tokens_mask`` so that both forms of one text give the same
    mask. Every text must keep at least one non-special token within ``max_length``.
    """
    from sdmlib._validate import check_int_array

    labels = labels if labels is not None else [f"text{i}" for i in range(len(texts))]
    n_special = None
    if tokenizer is not None and max_length is not None and hasattr(tokenizer, "num_special_tokens_to_add"):
        n_special = int(tokenizer.num_special_tokens_to_add())
        if max_length <= n_special:
            raise ValueError(
                f"max_length must be >= {n_special + 1} (the tokenizer adds {n_special} special tokens "
                f"and each text needs one token of its own), got {max_length}"
            )
    out = []
    for label, text in zip(labels, texts):
        where = f"texts[{label!r}]"
        if isinstance(text, str):
            if tokenizer is None:
                raise TypeError("texts: strings need a tokenizer; pass tokenizer= or token-id lists")
            if not text.strip():
                raise ValueError(f"{where} is empty (or only whitespace); give it some text")
            enc = tokenizer(
                text,
                truncation=max_length is not None,
                max_length=max_length,
                return_special_tokens_mask=True,
            )
            ids = np.asarray(enc["input_ids"], dtype=np.int64)
            special = np.asarray(enc["special_tokens_mask"], dtype=bool)
            if max_length is not None and ids.size > max_length:
                raise ValueError(
                    f"max_length = {max_length} leaves no room for the text after the tokenizer's "
                    f"{int(special.sum())} special tokens; use a larger max_length"
                )
        elif isinstance(text, (bytes, bytearray, memoryview)):
            raise TypeError(f"{where} must be a str or a sequence of token ids, got {type(text).__name__} "
                            "(decode bytes to str first)")
        elif isinstance(text, (Sequence, np.ndarray)) or hasattr(text, "tolist"):
            ids = check_int_array(where, text.tolist() if hasattr(text, "tolist") else list(text), lo=0,
                                  hi=None if vocab_size is None else int(vocab_size) - 1, ndim=1, nonempty=True)
            if max_length is not None:
                ids = ids[:max_length]
            if tokenizer is not None and getattr(tokenizer, "all_special_ids", None) is not None:
                # the tokens a tokenizer adds ([CLS], [SEP], BOS, ...): its special ids except [UNK],
                # which stands for a text token (the string route does not mark it either)
                added = set(tokenizer.all_special_ids) - {getattr(tokenizer, "unk_token_id", None)}
                special = np.isin(ids, np.fromiter(added, dtype=np.int64, count=len(added)))
            else:
                special = np.zeros(ids.size, dtype=bool)  # no tokenizer: no token is known to be special
        else:
            raise TypeError(f"{where} must be a str or a sequence of token ids, got {type(text).__name__} {text!r}")
        if ids.size == 0:
            raise ValueError(f"{where} encodes to zero tokens")
        if special.all():
            raise ValueError(f"{where} holds only special tokens; there is no text token to probe")
        tokens = (
            tokenizer.convert_ids_to_tokens(ids.tolist())
            if tokenizer is not None
            else [str(i) for i in ids.tolist()]
        )
        out.append((ids, tokens, special))
    return out


def _scaled_scores(capture: TextCapture, layer: int, rows: np.ndarray | None = None) -> np.ndarray:
    """float64 softmax inputs ``[H, P, T]`` of one layer (soft-capped if the model does so);
    hidden keys are *not* masked. ``rows``: query positions (default all)."""
    q = capture.q[layer].astype(np.float64)
    if rows is not None:
        q = q[:, rows]
    k = capture.k[layer].astype(np.float64)
    s = np.matmul(q, k.transpose(0, 2, 1)) * float(capture.scales[layer])
    if capture.softcaps is not None and np.isfinite(capture.softcaps[layer]):
        cap = float(capture.softcaps[layer])
        s = cap * np.tanh(s / cap)
    return s


def recompute_attention(capture: TextCapture, layer: int):
    """softmax(q kᵀ · scale) with the model's mask, for one layer, as float64 ``[H, T, T]``.

    .. math::

        a_{h,T,t} = \\frac{\\exp(s_{h,T,t})\\,[t\\ \\text{visible}]}{\\sum_{t'} \\exp(s_{h,T,t'})
        \\,[t'\\ \\text{visible}]},\\qquad s = \\text{scale}\\cdot q k^\\top

    (with the model's soft-cap :math:`s\\to c\\tanh(s/c)` where it has one).

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
    s = _scaled_scores(capture, layer)
    s = np.where(capture.visible(layer)[None], s, -np.inf)
    s -= s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------------------------
# The AttentionInterface route
# --------------------------------------------------------------------------------------------


class _Recorder:
    """Collects, per forward pass, what each attention module hands to its attention function."""

    def __init__(self, keep_outputs: bool):
        self.keep_outputs = keep_outputs
        self.calls: list[dict[str, Any]] = []

    def record(self, module, query, key, value, mask, scaling, softcap, extra, output):
        if key.shape[-2] != query.shape[-2]:
            raise ValueError(
                "model: an attention module attends over a different sequence (cross-attention or a "
                "cache); capture_attention supports self-attention over the whole input only"
            )
        for name in ("s_aux", "sinks"):
            if extra.get(name) is not None:
                raise ValueError(f"model: attention uses learnt sink logits ({name!r}); not supported")
        self.calls.append(
            {
                "layer_idx": getattr(module, "layer_idx", None),
                "q": query.detach(),
                "k": key.detach(),
                "v": value.detach(),
                "mask": None if mask is None else mask.detach(),
                "scaling": float(query.shape[-1] ** -0.5 if scaling is None else scaling),
                "softcap": float("nan") if softcap is None else float(softcap),
                "window": extra.get("sliding_window"),
                "causal": bool(getattr(module, "is_causal", False)),
                "out": output.detach() if self.keep_outputs else None,
            }
        )


def _base_function(base: str, module):
    """The attention function the model would have used: its own eager one, or the registered one."""
    if base == "eager":
        fn = getattr(sys.modules.get(type(module).__module__), "eager_attention_forward", None)
        if fn is None:
            raise ValueError(
                f"model: {type(module).__name__} has no module-level eager_attention_forward; load it "
                "with attn_implementation='sdpa' or use route='hooks'"
            )
        return fn
    from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

    return ALL_ATTENTION_FUNCTIONS[base]


def _capturing_attention(base, module, query, key, value, attention_mask, scaling=None, dropout=0.0, **kwargs):
    fn = _base_function(base, module)
    softcap = kwargs.get("softcap")
    out, weights = fn(module, query, key, value, attention_mask, scaling=scaling, dropout=dropout, **kwargs)
    recorder = _ACTIVE.get()
    if recorder is not None:
        recorder.record(module, query, key, value, attention_mask, scaling, softcap, kwargs, out)
    return out, weights


def _materialised_mask(base, *args, **kwargs):
    """The base implementation's mask, never skipped (so the mask the model uses is always seen)."""
    from transformers.masking_utils import eager_mask, sdpa_mask

    kwargs["allow_is_bidirectional_skip"] = False
    if base == "eager":
        kwargs.pop("allow_is_causal_skip", None)
        return eager_mask(*args, **kwargs)
    kwargs["allow_is_causal_skip"] = False
    return sdpa_mask(*args, **kwargs)


def _register(base: str) -> str:
    """Register the capturing attention (and mask) function for one base implementation."""
    import functools

    _import_transformers()
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    name = CAPTURE_PREFIX + base
    if name not in _REGISTERED:
        AttentionInterface.register(name, functools.partial(_capturing_attention, base))
        AttentionMaskInterface.register(name, functools.partial(_materialised_mask, base))
        _REGISTERED.add(name)
    return name


def _visible_from_mask(mask, q_len: int, causal: bool):
    """Boolean ``[B, T, T]`` from the model's 4-D mask (bool: True = attend; float: additive)."""
    torch = _import_torch()
    if mask is None:  # only reachable if transformers skipped the mask despite the request
        vis = torch.ones((q_len, q_len), dtype=torch.bool)
        return (vis.tril() if causal else vis)[None]
    m = mask[:, 0] if mask.ndim == 4 else mask
    if m.dtype == torch.bool:
        return m
    return m > torch.finfo(m.dtype).min / 2


def _labels_and_items(texts):
    if isinstance(texts, str):
        texts = [texts]
    if isinstance(texts, (bytes, bytearray)):
        raise TypeError("texts must be a str, a sequence of str or token-id sequences, or a mapping; got bytes "
                        "(decode them to str first)")
    if not isinstance(texts, (Mapping, Sequence, np.ndarray)):
        raise TypeError(f"texts must be a str, a sequence of str or token-id sequences, or a mapping; got "
                        f"{type(texts).__name__}")
    if isinstance(texts, np.ndarray) and texts.ndim == 1 and texts.dtype.kind in "iuf":
        texts = [texts]  # one token-id array
    elif isinstance(texts, Sequence) and texts and all(isinstance(t, numbers.Integral) for t in texts):
        texts = [texts]  # one token-id list
    if isinstance(texts, Mapping):
        labels, items = [str(k) for k in texts.keys()], list(texts.values())
    else:
        items = list(texts)
        labels = [f"text{i}" for i in range(len(items))]
    if not items:
        raise ValueError("texts: need at least one text")
    return labels, items


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
    route: str = "interface",
) -> list[TextCapture]:
    """Queries, keys and values of every layer and head, as the model's attention function sees them.

    ``route="interface"`` (default) registers a recording function in transformers'
    ``AttentionInterface`` for the duration of the call (see the module docstring);
    ``route="hooks"`` uses forward hooks on the projections (:mod:`sdmlib.probe.hooks`), the
    independent cross-check. Then, for each layer, with the captured scale and mask,

    .. math::

        \\mathrm{softmax}\\big(q k^\\top\\cdot\\text{scale} + \\text{mask}\\big) = A_{\\text{model}}

    is checked against the model's own attention weights ``A`` (``verify=True``; eager
    attention), and, on the interface route, :math:`A\\,v` against the attention output the
    model computed (any kernel).

    Parameters
    ----------
    model : transformers.PreTrainedModel
        A model whose attention dispatches through ``AttentionInterface`` (GPT-2, BERT, RoBERTa,
        LLaMA, Mistral, Qwen2, Qwen3, Gemma, ... are tested), loaded with ``eager`` or ``sdpa``
        attention; the hook route supports ``SUPPORTED_MODEL_TYPES`` with eager attention.
    tokenizer : transformers tokenizer or None
        Needed when ``texts`` are strings; ``None`` with token-id lists.
    texts : str, sequence of str, sequence of token-id sequences, or mapping label -> text
        The inputs; labels default to ``text0``, ``text1``, ... A single list (or 1-D array)
        of ints is one text. Strings must not be empty; token ids must be integers in
        ``[0, vocab_size)`` and are used as given (include the model's special tokens): with a
        tokenizer, its special ids other than ``[UNK]`` are marked ``special`` exactly as when
        the same text is given as a string, so ``query="last"`` picks the same token. Bytes are
        refused (decode them first). Every text must keep at least one non-special token.
    model_name : str, optional
        Label for the ``model`` column (default: the config's ``_name_or_path`` or model type).
    max_length : int, optional
        Truncate each text to at most this many tokens, special tokens included (default: the
        model's position limit, which is also the largest value allowed). With a tokenizer
        that adds ``k`` special tokens it must be ``>= k + 1``. Token-id sequences are cut to
        their first ``max_length`` ids.
    batch_size : int
        Texts per forward pass. Batches are right-padded; the padding is masked in the model and
        trimmed from the result, so every batch size gives the same numbers.
    store_attentions : bool
        Keep the model's attention weights (``[L, H, T, T]`` per text; needs eager attention).
    verify : bool
        Raise if the recomputed attention differs from the model's by more than ``atol``.
    atol : float
        Tolerance of the check (float32 arithmetic gives about 1e-7); for the output check it is
        multiplied by ``max(1, max |v|)``.
    progress : bool
        Show a tqdm progress bar over the texts.
    route : {"interface", "hooks"}
        Capture route.

    Returns
    -------
    list of TextCapture
        One per text, padding removed.

    Raises
    ------
    ValueError
        If the model does not dispatch through ``AttentionInterface`` (or, for the hooks, is an
        unsupported family), uses an unsupported kernel (flash, flex), attends across sequences,
        or the check fails; if the weights are requested from a kernel that never forms them.

    Notes
    -----
    **Why the weights need eager attention.** SDPA and flash kernels fuse softmax(q kᵀ)·v into
    one call and never form the attention weights; with ``output_attentions=True``
    transformers returns none. The interface route still verifies such models, through the
    attention output.

    **What is captured, exactly.** The query and key after RoPE and any q/k norm (so no rotary
    embedding is re-implemented here), the module's ``scaling`` and soft-cap, and the mask the
    model built (requested un-skipped, so causal, sliding-window and padding masks are all
    materialised). The model's output is unchanged: the recording function calls the model's
    own attention function. The captured tensors are float32 copies on the CPU, shape
    ``[L, H, T, d_head]`` per text (keys and values repeated to one per query head).
    """
    check_choice("route", route, ("interface", "hooks"))
    _check_flags(store_attentions=store_attentions, verify=verify, progress=progress, model_name=model_name)
    if route == "hooks":
        from sdmlib.probe.hooks import capture_attention_hooks

        return capture_attention_hooks(
            model, tokenizer, texts, model_name=model_name, max_length=max_length,
            batch_size=batch_size, store_attentions=store_attentions, verify=verify, atol=atol,
            progress=progress,
        )
    torch = _import_torch()
    config = getattr(model, "config", None)
    if config is None or not hasattr(config, "model_type"):
        raise ValueError("model: not a transformers model (it has no config.model_type)")
    base = getattr(config, "_attn_implementation", None)
    if base not in _BASE_IMPLEMENTATIONS:
        raise ValueError(
            f"model: attention implementation is {base!r}; capture_attention supports 'eager' and "
            "'sdpa' (load with attn_implementation='eager' or call model.set_attn_implementation)"
        )
    if store_attentions and base != "eager":
        raise ValueError(
            "store_attentions: the model's attention weights exist only with 'eager' attention "
            f"(this model uses {base!r}); pass store_attentions=False or load it with "
            "attn_implementation='eager'"
        )
    batch_size = check_int("batch_size", batch_size, lo=1)
    atol = check_real("atol", atol, lo=0.0)
    max_length = _check_max_length(config, max_length)
    labels, items = _labels_and_items(texts)
    encoded = _encode(tokenizer, items, max_length, getattr(config, "vocab_size", None), labels)
    name = model_name or str(getattr(config, "_name_or_path", "") or config.model_type)
    device = next(model.parameters()).device
    want_weights = base == "eager" and (store_attentions or verify)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc="texts", unit="text")
    results: list[TextCapture] = []
    was_training = model.training
    model.eval()
    capture_name = _register(base)
    recorder = _Recorder(keep_outputs=verify)
    token = _ACTIVE.set(recorder)
    model.set_attn_implementation(capture_name)
    try:
        with torch.no_grad():
            for start in range(0, len(items), batch_size):
                chunk = encoded[start : start + batch_size]
                ids, mask = _batch(torch, chunk)
                recorder.calls.clear()
                out = model(
                    input_ids=ids.to(device), attention_mask=mask.to(device), output_attentions=want_weights
                )
                calls = _ordered_calls(recorder.calls)
                attns = getattr(out, "attentions", None) if want_weights else None
                if want_weights and (not attns or attns[0] is None or len(attns) != len(calls)):
                    raise ValueError("model: returned no attention weights for every layer")
                for b, (x, tokens, special) in enumerate(chunk):
                    cap = _assemble(calls, b, x, tokens, special, name, labels[start + b], config.model_type)
                    A = None
                    if attns is not None:
                        A = np.stack([a[b, :, : x.size, : x.size].float().cpu().numpy() for a in attns])
                    cap.attentions = A if store_attentions else None
                    if verify:
                        _verify(cap, calls, b, A, atol, name)
                    results.append(cap)
                    if bar is not None:
                        bar.update(1)
    finally:
        model.set_attn_implementation(base)
        _ACTIVE.reset(token)
        if bar is not None:
            bar.close()
        model.train(was_training)
    return results


def _check_flags(*, model_name, **flags):
    """The boolean options and the label of `capture_attention` (shared with the hook route)."""
    for key, value in flags.items():
        check_bool(key, value)
    if model_name is not None and not isinstance(model_name, str):
        raise TypeError(f"model_name must be a str or None, got {type(model_name).__name__} {model_name!r}")


def _check_max_length(config, max_length):
    limit = getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", None)
    if max_length is None:
        return int(limit) if limit else None
    return check_int("max_length", max_length, lo=1, hi=int(limit) if limit else None)


def _batch(torch, chunk):
    T = max(ids.size for ids, _, _ in chunk)
    ids = torch.zeros((len(chunk), T), dtype=torch.long)
    mask = torch.zeros((len(chunk), T), dtype=torch.long)
    for b, (x, _, _) in enumerate(chunk):
        ids[b, : x.size] = torch.from_numpy(x)
        mask[b, : x.size] = 1
    return ids, mask


def _ordered_calls(calls):
    if not calls:
        raise ValueError(
            "model: no attention module called transformers' AttentionInterface; this architecture "
            "does not dispatch attention through it (try route='hooks')"
        )
    idx = [c["layer_idx"] for c in calls]
    if all(i is not None for i in idx) and sorted(idx) == list(range(len(calls))):
        return sorted(calls, key=lambda c: c["layer_idx"])
    return list(calls)  # call order is layer order


def _assemble(calls, b, x, tokens, special, name, label, model_type) -> TextCapture:
    n = x.size
    H = int(calls[0]["q"].shape[1])
    n_kv = int(calls[0]["k"].shape[1])
    if H % n_kv:
        raise ValueError(f"model: {H} query heads cannot share {n_kv} key/value heads evenly")
    rep = H // n_kv

    def grab(t, repeat=1):
        t = t[b, :, :n]
        if repeat > 1:
            t = t.repeat_interleave(repeat, dim=0)
        return t.float().cpu().numpy()

    q = np.stack([grab(c["q"]) for c in calls])
    k = np.stack([grab(c["k"], rep) for c in calls])
    v = np.stack([grab(c["v"], rep) for c in calls])
    vis = np.stack(
        [_visible_from_mask(c["mask"], c["q"].shape[2], c["causal"])[min(b, _mask_batch(c) - 1), :n, :n].cpu().numpy()
         for c in calls]
    )
    windows = {c["window"] for c in calls if c["window"] is not None}
    softcaps = np.array([c["softcap"] for c in calls])
    return TextCapture(
        model=name, text=label, tokens=list(tokens), input_ids=x, special=special,
        q=q, k=k, v=v, attentions=None,
        scales=np.array([c["scaling"] for c in calls]),
        causal=all(c["causal"] for c in calls),
        window=min(windows) if windows else None,
        family=str(model_type), n_kv_heads=n_kv, visible_mask=vis,
        softcaps=softcaps if np.isfinite(softcaps).any() else None,
        route="interface",
    )


def _mask_batch(call) -> int:
    m = call["mask"]
    return 1 if m is None else int(m.shape[0])


def _verify(cap: TextCapture, calls, b, A, atol, name):
    n = cap.n_tokens
    worst_w, worst_o = 0.0, 0.0
    for i in range(cap.n_layers):
        a = recompute_attention(cap, i)
        if A is not None:
            worst_w = max(worst_w, float(np.abs(a - A[i]).max()))
        out = calls[i]["out"][b, :n].double().cpu().numpy()  # [T, H, d]
        mine = np.einsum("hts,hsd->thd", a, cap.v[i].astype(np.float64))
        scale = max(1.0, float(np.abs(cap.v[i]).max()))
        worst_o = max(worst_o, float(np.abs(mine - out).max()) / scale)
    cap.max_abs_diff = worst_w if A is not None else float("nan")
    cap.max_output_diff = worst_o
    if not (worst_o <= atol and (A is None or worst_w <= atol)):
        raise ValueError(
            f"captured q/k do not reproduce the attention of {name!r} on {cap.text!r}: max "
            f"|weight difference| {worst_w:.3g}, max |output difference| / max(1, |v|) {worst_o:.3g} "
            f"> atol {atol:g}; this architecture variant is not supported"
        )
