"""The independent route: forward hooks on each family's projections, and a re-implemented RoPE.

:func:`attention_hooks` hooks the layers that produce queries, keys and values (GPT-2: the fused
``c_attn``; BERT: ``query``/``key``/``value``; LLaMA-style: ``q_proj``/``k_proj``/``v_proj``, and
for Qwen3 the ``q_norm``/``k_norm`` that follow them) and the model's ``rotary_emb``, and applies
the rotation itself. It knows each family's layout and reads the scale from the config, so it
shares nothing with :mod:`sdmlib.probe.capture` (which records the arguments of the model's own
attention function): where the two agree, neither has misread the model. The tests hold them
against each other and against the model's ``output_attentions``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdmlib._validate import check_int, check_real
from sdmlib.probe.capture import (
    TextCapture,
    _batch,
    _check_max_length,
    _encode,
    _labels_and_items,
    recompute_attention,
)
from sdmlib.probe.models import _import_torch

__all__ = ["SUPPORTED_MODEL_TYPES", "attention_hooks", "capture_attention_hooks"]

#: architecture family -> ``model.config.model_type`` values handled by that family's hooks
SUPPORTED_MODEL_TYPES: dict[str, tuple[str, ...]] = {
    "gpt2": ("gpt2",),
    "bert": ("bert", "roberta"),
    "llama": ("llama", "mistral", "qwen2", "qwen3", "gemma"),
}

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
        if cfg.model_type in ("qwen2", "qwen3") and not getattr(cfg, "use_sliding_window", False):
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
        B, T = t.shape[:2]
        return t.detach().reshape(B, T, n, dh).transpose(1, 2)

    try:
        for i, mod in enumerate(attn):
            if spec.family == "gpt2":

                def hook(_m, _inp, out, i=i, split=mod.split_size):
                    q, k, v = out.split(split, dim=2)
                    raw[i] = {"q": heads(q, H), "k": heads(k, H), "v": heads(v, H)}

                handles.append(mod.c_attn.register_forward_hook(hook))
            else:
                names = ("query", "key", "value") if spec.family == "bert" else ("q_proj", "k_proj", "v_proj")
                if getattr(mod, "q_norm", None) is not None:  # Qwen3: the q/k norm follows the projection
                    names = ("q_norm", "k_norm", "v_proj")
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



def capture_attention_hooks(
    model,
    tokenizer,
    texts,
    *,
    model_name: str | None = None,
    max_length: int | None = None,
    batch_size: int = 1,
    store_attentions: bool = True,
    verify: bool = True,
    atol: float = 1e-5,
    progress: bool = False,
) -> list[TextCapture]:
    """:func:`sdmlib.probe.capture_attention` through the hooks (``route="hooks"``).

    Same parameters and result; needs eager attention, and checks the recomputed weights against
    the model's ``output_attentions``. Supports ``SUPPORTED_MODEL_TYPES`` only.
    """
    torch = _import_torch()
    spec = _spec(model)
    impl = getattr(model.config, "_attn_implementation", None)
    if impl != "eager":
        raise ValueError(
            f"model: attention implementation is {impl!r}; the hook route needs 'eager' "
            "(load with attn_implementation='eager' or call model.set_attn_implementation('eager')),"
            " because fused kernels never form the attention weights the check compares against"
        )
    batch_size = check_int("batch_size", batch_size, lo=1)
    atol = check_real("atol", atol, lo=0.0)
    max_length = _check_max_length(model.config, max_length)
    labels, items = _labels_and_items(texts)
    encoded = _encode(tokenizer, items, max_length, getattr(model.config, "vocab_size", None), labels)
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
                ids, mask = _batch(torch, chunk)
                out = model(input_ids=ids.to(device), attention_mask=mask.to(device), output_attentions=need_attn)
                attns = getattr(out, "attentions", None) if need_attn else None
                if need_attn and (not attns or attns[0] is None):
                    raise ValueError("model: returned no attention weights; load it with eager attention")
                layers = [store[i] for i in range(spec.n_layers)]
                for b, (x, tokens, special) in enumerate(chunk):
                    n = x.size

                    def grab(t):
                        return t[b, :, :n].float().cpu().numpy()

                    A = None
                    if need_attn:
                        A = np.stack([a[b, :, :n, :n].float().cpu().numpy() for a in attns])
                    cap = TextCapture(
                        model=name, text=labels[start + b], tokens=list(tokens), input_ids=x,
                        special=special,
                        q=np.stack([grab(lay["q"]) for lay in layers]),
                        k=np.stack([grab(lay["k"]) for lay in layers]),
                        v=np.stack([grab(lay["v"]) for lay in layers]),
                        attentions=A if store_attentions else None,
                        scales=spec.scales.copy(), causal=spec.causal, window=spec.window,
                        family=spec.family, n_kv_heads=spec.n_kv_heads, route="hooks",
                    )
                    if verify:
                        diff = max(
                            float(np.abs(recompute_attention(cap, i) - A[i]).max()) for i in range(spec.n_layers)
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
