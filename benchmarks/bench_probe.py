"""Overhead of sdmlib.probe's capture against a plain forward pass.

Same model, same token ids, one text per forward pass, one CPU thread:

* ``plain``     : ``model(input_ids, attention_mask)`` with the model's own attention kernel;
* ``capture``   : ``capture_attention(..., store_attentions=False, verify=False)``: the
                  AttentionInterface route, including the copies of every layer's q, k, v to
                  float32 numpy arrays (the mask is materialised, GQA keys repeated);
* ``hooks``     : the older route (``route="hooks"``), same copies;
* ``verified``  : ``capture_attention`` with the default checks (recomputed softmax against the
                  model's weights and output).

Target: ``capture / plain <= 1.15``. The variants are interleaved round by round, so that load
from other processes on a shared machine hits them alike; on a loaded machine repeat with more
``--repeats``.

Usage::

    python benchmarks/bench_probe.py [--model minilm|tiny-gpt2|PATH] [--attn eager|sdpa] [--repeats 5] [--texts N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sdmlib import probe  # noqa: E402


def _tiny_gpt2():
    import torch
    import transformers

    cfg = transformers.GPT2Config(n_layer=4, n_head=4, n_embd=128, n_positions=512, vocab_size=1000,
                                  bos_token_id=0, eos_token_id=0)
    torch.manual_seed(0)
    model = transformers.GPT2Model(cfg).eval()
    model.set_attn_implementation("eager")
    return model, None


def _timed(variants: dict, repeats: int) -> dict:
    """Median wall time of each variant; the variants are interleaved round by round, so that
    load from other processes on a shared machine hits them alike."""
    for fn in variants.values():
        fn()  # warm-up
    times = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="minilm", help="minilm (default), tiny-gpt2, or a local model folder")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--texts", type=int, default=4, help="number of book texts to use")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--attn", default="eager", choices=("eager", "sdpa"), help="the model's attention kernel")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    if args.model == "tiny-gpt2":
        model, tok = _tiny_gpt2()
    else:
        try:
            model, tok = probe.load_model(args.model, attn_implementation=args.attn)
        except probe.ModelNotAvailableError as exc:
            print(f"{exc}\nfalling back to a tiny random GPT-2", file=sys.stderr)
            model, tok = _tiny_gpt2()
    texts = list(probe.read_texts(ROOT / "book" / "data" / "probe_texts.txt").values())[: args.texts]
    if tok is not None:
        ids = [tok(t, truncation=True, max_length=512)["input_ids"] for t in texts]
    else:
        rng = np.random.default_rng(0)
        ids = [rng.integers(1, 1000, size=min(512, len(t.split()) * 4 // 3)).tolist() for t in texts]
    model.set_attn_implementation(args.attn)
    inputs = [torch.tensor([x]) for x in ids]
    n_layers = int(model.config.num_hidden_layers)

    def plain():
        with torch.no_grad():
            for x in inputs:
                model(input_ids=x, attention_mask=torch.ones_like(x))

    def capture():
        probe.capture_attention(model, None, ids, store_attentions=False, verify=False)

    variants = {"plain": plain, "capture": capture}
    if args.attn == "eager":
        variants["hooks"] = lambda: probe.capture_attention(model, None, ids, store_attentions=False,
                                                            verify=False, route="hooks")
    variants["verified"] = lambda: probe.capture_attention(model, None, ids, store_attentions=False, verify=True)
    med = _timed(variants, args.repeats)
    t_plain = med["plain"]
    rows = list(med.items())
    tokens = sum(len(x) for x in ids)
    print(f"model {model.config.model_type} ({n_layers} layers, {args.attn}), {len(ids)} texts, {tokens} tokens, "
          f"{args.threads} thread(s), median of {args.repeats}")
    print(f"{'variant':<10} {'seconds':>9} {'ratio':>7}")
    for name, t in rows:
        print(f"{name:<10} {t:9.4f} {t / t_plain:7.3f}")
    ratio = med["capture"] / t_plain
    print(f"capture overhead ratio {ratio:.3f} (target <= 1.15): {'ok' if ratio <= 1.15 else 'ABOVE TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
