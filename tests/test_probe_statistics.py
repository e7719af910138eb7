"""Per-head statistics, head classes and the effective SDM radius, against hand computations.

Every column of ``head_statistics`` is recomputed here by explicit loops over keys from the
captured q, k and scale of a tiny random GPT-2 and BERT (independent numpy softmax), and on
hand-built heads whose answer is known: a previous-token head, a sink head, a self head and a
content head. The effective SDM radius is checked against a brute-force search over radii with
``sdmlib.beta.sdm_weights``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sdmlib import probe
from sdmlib.probe import TextCapture

torch = pytest.importorskip("torch", reason="needs the ml extra")
transformers = pytest.importorskip("transformers", reason="needs the ml extra")
torch.set_num_threads(1)


@pytest.fixture(scope="module")
def caps():
    torch.manual_seed(11)
    gpt2 = transformers.GPT2Model(transformers.GPT2Config(
        n_layer=2, n_head=2, n_embd=32, n_positions=64, vocab_size=50, bos_token_id=0,
        eos_token_id=0, initializer_range=0.3))
    gpt2.set_attn_implementation("eager")
    bert = transformers.BertModel(transformers.BertConfig(
        hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        vocab_size=50, max_position_embeddings=64, initializer_range=0.3), add_pooling_layer=False)
    bert.set_attn_implementation("eager")
    ids = [[3, 9, 14, 2, 27, 8, 40, 5, 11], [7, 30, 21, 4, 16, 33]]
    g = probe.capture_attention(gpt2.eval(), None, ids)
    b = probe.capture_attention(bert.eval(), None, ids)
    for c in b:  # mark the first and last token special, like [CLS] ... [SEP]
        c.special[[0, -1]] = True
    return {"gpt2": g, "bert": b}


def _hand_row(cap, layer, head, T):
    """Everything about one attention row by explicit loops (float64)."""
    vis = [t for t in range(cap.n_tokens) if cap.visible(layer)[T, t]]
    q = cap.q[layer, head, T].astype(float)
    s = {t: float(q @ cap.k[layer, head, t].astype(float)) * cap.scales[layer] for t in vis}
    z = sum(math.exp(v) for v in s.values())
    a = {t: math.exp(v) / z for t, v in s.items()}
    content = [t for t in vis if t not in (T, T - 1, 0) and not cap.special[t]]
    norms = np.array([np.linalg.norm(cap.k[layer, head, t].astype(float)) for t in vis])
    srt = sorted(a.values(), reverse=True)
    n90 = next(i + 1 for i in range(len(srt)) if sum(srt[: i + 1]) >= 0.9 - 1e-12)
    best = max(s, key=s.get)
    return {
        "n_keys": len(vis),
        "beta_eff": max(s.values()),
        "key_pos": best,
        "beta_noself": max((v for t, v in s.items() if t != T), default=np.nan),
        "beta_content": max((s[t] for t in content), default=np.nan),
        "beta_first": s.get(0, np.nan),
        "beta_prev": s.get(T - 1, np.nan) if T >= 1 else np.nan,
        "self_share": a.get(T, 0.0),
        "sink_share": sum(v for t, v in a.items() if t == 0 or cap.special[t]),
        "top_share": max(a.values()),
        "entropy": -sum(v * math.log(v) for v in a.values()),
        "n_mass": n90,
        "k_norm_cv": norms.std() / norms.mean(),
        "k_norm_ratio": norms.max() / norms.min(),
        "q_norm": float(np.linalg.norm(q)),
        "cos_max": s[best] / (cap.scales[layer] * np.linalg.norm(q) * np.linalg.norm(cap.k[layer, head, best])),
    }


@pytest.mark.parametrize("kind", ["gpt2", "bert"])
def test_every_statistic_matches_a_hand_computation(caps, kind):
    stats = probe.head_statistics(caps[kind])
    assert len(stats) == sum(c.n_layers * c.n_heads * c.n_tokens for c in caps[kind])
    for cap in caps[kind]:
        sub = stats[stats.text == cap.text].set_index(["layer", "head", "query_pos"])
        for layer in range(cap.n_layers):
            for head in range(cap.n_heads):
                for T in range(cap.n_tokens):
                    row, hand = sub.loc[(layer, head, T)], _hand_row(cap, layer, head, T)
                    for col, value in hand.items():
                        assert row[col] == pytest.approx(value, rel=1e-6, abs=1e-9, nan_ok=True), (col, layer, head, T)
    # causal: the first token sees only itself, so it has no previous-token and no content key
    first = stats[(stats.query_pos == 0)] if kind == "gpt2" else None
    if first is not None:
        assert first.beta_prev.isna().all() and first.beta_content.isna().all() and (first.n_keys == 1).all()


def _hand_capture(kind: str, T: int = 12, d: int = 16, seed: int = 0) -> TextCapture:
    """One causal head built so that its attention goes where ``kind`` says."""
    rng = np.random.default_rng(seed)
    k = rng.normal(size=(T, d))
    k /= np.linalg.norm(k, axis=1, keepdims=True)
    if kind == "previous-token":
        q = np.vstack([k[:1], k[:-1]]) * 8          # q_T points at k_{T-1}
    elif kind == "self":
        q = k * 8
    elif kind == "sink":
        q = np.repeat(k[:1], T, axis=0) * 8        # every query points at position 0
    else:  # content: each query points at a key chosen by what it holds, 2-5 back
        back = rng.integers(2, 6, size=T)
        q = np.stack([k[max(0, t - b)] if t - b >= 1 else rng.normal(size=d) for t, b in enumerate(back)]) * 8
    q4, k4 = q.astype(np.float32)[None, None], k.astype(np.float32)[None, None]
    return TextCapture(kind, kind, [f"w{i}" for i in range(T)], np.arange(T), np.zeros(T, bool),
                       q4, k4, k4, None, np.array([1.0]), True, None, "hand", 1)


def test_hand_built_heads_get_their_class():
    caps = [_hand_capture(kind) for kind in ("previous-token", "self", "sink", "content")]
    stats = probe.head_statistics(caps, sdm_radius=False)
    classes = probe.classify_heads(stats).set_index("model")
    assert classes.head_class.astype(str).to_dict() == {
        "previous-token": "previous-token", "self": "self", "sink": "sink", "content": "content"}
    prev = classes.loc["previous-token"]
    assert prev.prev_argmax == 1.0 and prev.prev_share > 0.9
    # the previous-token head's beta_eff is its previous-token score; the content beta is far lower
    s = stats[(stats.model == "previous-token") & (stats.query_pos >= 1)]
    np.testing.assert_allclose(s.beta_eff, s.beta_prev)
    assert (s.beta_content.dropna() < s.beta_eff.loc[s.beta_content.notna()]).all()
    # equal key norms by construction
    np.testing.assert_allclose(stats.k_norm_cv, 0.0, atol=1e-6)
    with pytest.raises(ValueError, match="threshold"):
        probe.classify_heads(stats, threshold=0)


def test_class_summary_is_a_groupby_of_the_per_head_statistic():
    caps = [_hand_capture(kind, seed=i) for i, kind in enumerate(["sink", "sink", "content"])]
    for i, c in enumerate(caps):
        c.model = f"m{i}"
    classes = probe.classify_heads(probe.head_statistics(caps, sdm_radius=False))
    per_head = pd.DataFrame({"model": ["m0", "m1", "m2"], "layer": 0, "head": 0, "beta_eff": [3.0, 7.0, 5.0]})
    summary = probe.class_summary(classes, per_head)
    assert summary.loc["sink", "heads"] == 2 and summary.loc["sink", "max"] == 7.0
    assert summary.loc["sink", "median"] == 5.0 and summary.loc["content", "max"] == 5.0
    assert summary.loc["previous-token", "heads"] == 0
    with pytest.raises(ValueError, match="cover"):
        probe.class_summary(classes, per_head.iloc[:2])


def _brute_radius(a, cos, n, eps=1e-9):
    from sdmlib.beta import sdm_weights

    best, best_kl = None, np.inf
    for d in range(1, n // 2 + 1):
        w = sdm_weights(n, d, cos, on_empty="zeros")
        w = (1 - eps) * w + eps / len(a)
        kl = sum(ai * math.log(ai / wi) for ai, wi in zip(a, w) if ai > 0)
        if kl < best_kl - 1e-15:
            best, best_kl = d, kl
    return best, best_kl


def test_effective_sdm_radius_is_the_brute_force_minimum():
    rng = np.random.default_rng(3)
    n = 16
    for trial in range(40):
        m = int(rng.integers(2, 12))
        cos = np.clip(rng.uniform(-0.3, 1.0, size=m), -1, 1)
        logits = rng.normal(scale=rng.uniform(0.5, 6.0), size=m)
        a = np.exp(logits - logits.max()); a /= a.sum()
        radius, kl = probe.effective_sdm_radius(a, cos, n)
        d, kl_b = _brute_radius(a, cos, n)
        assert int(radius) == d and float(kl) == pytest.approx(kl_b, rel=1e-9, abs=1e-12)
    # rows that are SDM's weights recover their radius, with divergence ~0
    cos = 1 - 2 * np.arange(0, 9) / n
    for d in range(2, n // 2 + 1):
        from sdmlib.beta import sdm_weights

        r, kl = probe.effective_sdm_radius(sdm_weights(n, d, cos), cos, n)
        assert int(r) == d and kl < 1e-7
    with pytest.raises(ValueError, match="radii"):
        probe.effective_sdm_radius(a, cos[: a.size], n, radii=[0, 3])


def test_effective_sdm_radius_in_the_table_uses_the_visible_keys(caps):
    cap = caps["gpt2"][0]
    stats = probe.head_statistics(cap)
    row = stats[(stats.layer == 1) & (stats["head"] == 0) & (stats.query_pos == 5)].iloc[0]
    a = probe.recompute_attention(cap, 1)[0, 5, :6]
    q, k = cap.q[1, 0, 5].astype(float), cap.k[1, 0, :6].astype(float)
    cos = k @ q / (np.linalg.norm(k, axis=1) * np.linalg.norm(q))
    d, kl = _brute_radius(a, cos, cap.d_head)
    assert row.sdm_radius == d and row.sdm_kl == pytest.approx(kl, rel=1e-6)
    assert row.kl_uniform == pytest.approx(math.log(6) + float((a * np.log(a)).sum()), rel=1e-9)


def test_summary_and_pooled_classes_equal_direct_means(caps):
    stats = probe.head_statistics(caps["gpt2"])
    summary = probe.summarise_heads(stats)
    assert len(summary) == 2 * 2 * 2  # texts x layers x heads
    use = stats[(stats.n_keys >= 2) & ~stats.special]
    for (text, layer, head), g in use.groupby(["text", "layer", "head"]):
        row = summary[(summary.text == text) & (summary.layer == layer) & (summary["head"] == head)].iloc[0]
        assert row.n_queries == len(g) and row.mean_sink_share == pytest.approx(g.sink_share.mean())
        assert row.med_sdm_radius == g.sdm_radius.median()
        last = stats[(stats.text == text) & (stats.layer == layer) & (stats["head"] == head)].iloc[-1]
        assert row.last_beta_eff == last.beta_eff and row.last_pos == last.query_pos
    # classes pooled from the summary are the per-token means over both texts
    classes = probe.classify_heads(summary)
    direct = use.assign(prev_argmax=(use.key_pos == use.query_pos - 1).astype(float))
    means = direct.groupby(["layer", "head"])[["prev_share", "self_share", "sink_share", "prev_argmax"]].mean()
    np.testing.assert_allclose(classes[["prev_share", "self_share", "sink_share", "prev_argmax"]], means, rtol=1e-12)
    pd.testing.assert_frame_equal(classes, probe.classify_heads(stats))
    # the summary's last-token beta is the paper's statistic
    last = probe.effective_betas(caps["gpt2"])
    np.testing.assert_allclose(summary.sort_values(["text", "layer", "head"]).last_beta_eff,
                               last.sort_values(["text", "layer", "head"]).beta_eff, rtol=1e-12)
    # layers= computes the same rows for that layer only
    one = probe.head_statistics(caps["gpt2"], layers=[1])
    pd.testing.assert_frame_equal(one.reset_index(drop=True),
                                  stats[stats.layer == 1].reset_index(drop=True), check_dtype=False)
