"""The AttentionInterface capture route on five architectures, against two independent routes.

For GPT-2, BERT, LLaMA (grouped keys), Qwen3 (q/k norm, grouped keys, d_head != hidden/heads)
and Gemma (one key head): the captured q, k, scale and mask must reproduce the model's own
``output_attentions`` (eager) through a numpy softmax written here, and must equal what the
older hook route (projection hooks + RoPE applied by us) captures. Tiny random models are built
from configs (no download), with a large initialisation so that attention is peaked.
"""

from __future__ import annotations

import numpy as np
import pytest

from sdmlib import probe

torch = pytest.importorskip("torch", reason="needs the ml extra")
transformers = pytest.importorskip("transformers", reason="needs the ml extra")
torch.set_num_threads(1)

TEXTS = {"short": [5, 17, 3, 99, 42, 8, 61], "long": [7, 1, 88, 23, 4, 56, 12, 9, 70, 31, 2, 45, 19]}


def _build(kind: str, attn: str = "eager"):
    common = dict(hidden_size=64, num_hidden_layers=2, intermediate_size=96, vocab_size=100,
                  max_position_embeddings=64, initializer_range=0.3)
    rope = dict(rope_theta=100.0)
    torch.manual_seed({"gpt2": 1, "bert": 2, "llama": 3, "qwen3": 4, "gemma": 5}[kind])
    if kind == "gpt2":
        model = transformers.GPT2Model(transformers.GPT2Config(
            n_layer=2, n_head=4, n_embd=64, n_positions=64, vocab_size=100, bos_token_id=0,
            eos_token_id=0, initializer_range=0.3))
    elif kind == "bert":
        model = transformers.BertModel(transformers.BertConfig(num_attention_heads=4, **common),
                                       add_pooling_layer=False)
    elif kind == "llama":
        model = transformers.LlamaModel(transformers.LlamaConfig(
            num_attention_heads=4, num_key_value_heads=2, **common, **rope))
    elif kind == "qwen3":
        model = transformers.Qwen3Model(transformers.Qwen3Config(
            num_attention_heads=4, num_key_value_heads=2, head_dim=24, **common, **rope))
        with torch.no_grad():  # non-trivial q/k-norm gains, so that pre- and post-norm differ
            for layer in model.layers:
                layer.self_attn.q_norm.weight.uniform_(0.5, 2.0)
                layer.self_attn.k_norm.weight.uniform_(0.5, 2.0)
    else:
        model = transformers.GemmaModel(transformers.GemmaConfig(
            num_attention_heads=4, num_key_value_heads=1, head_dim=16, **common, **rope))
    model.set_attn_implementation(attn)
    return model.eval()


KINDS = ["gpt2", "bert", "llama", "qwen3", "gemma"]
CAUSAL = {"gpt2": True, "bert": False, "llama": True, "qwen3": True, "gemma": True}
SHAPE = {"gpt2": (4, 16, 4), "bert": (4, 16, 4), "llama": (4, 16, 2), "qwen3": (4, 24, 2), "gemma": (4, 16, 1)}


@pytest.fixture(scope="module")
def models():
    return {kind: _build(kind) for kind in KINDS}


@pytest.fixture(scope="module")
def captures(models):
    return {kind: probe.capture_attention(m, None, TEXTS, batch_size=2) for kind, m in models.items()}


def _numpy_softmax(q, k, scale, causal):
    s = np.einsum("htd,hsd->hts", q.astype(np.float64), k.astype(np.float64)) * scale
    T = s.shape[-1]
    if causal:
        s = np.where(np.tril(np.ones((T, T), dtype=bool))[None], s, -np.inf)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("kind", KINDS)
def test_interface_capture_reproduces_output_attentions(models, captures, kind):
    H, dh, n_kv = SHAPE[kind]
    modules = [m for m in models[kind].modules() if hasattr(m, "scaling")]
    for cap in captures[kind]:
        T = len(TEXTS[cap.text])
        assert cap.route == "interface" and cap.q.shape == cap.k.shape == (2, H, T, dh)
        assert cap.n_kv_heads == n_kv and cap.causal == CAUSAL[kind]
        assert cap.max_abs_diff <= 1e-5 and cap.max_output_diff <= 1e-5
        # the scale is the module's own attribute, not an assumed 1/sqrt(d_head)
        np.testing.assert_allclose(cap.scales, [float(m.scaling) for m in modules])
        for layer in range(2):
            ref = _numpy_softmax(cap.q[layer], cap.k[layer], cap.scales[layer], CAUSAL[kind])
            np.testing.assert_allclose(ref, cap.attentions[layer], atol=1e-5, rtol=0)
            np.testing.assert_array_equal(cap.visible(layer), np.tril(np.ones((T, T), bool)) if CAUSAL[kind]
                                          else np.ones((T, T), bool))
        assert cap.attentions.max() > 0.5  # peaked: a wrong q or k could not pass by accident
        # grouped keys: query heads sharing a key head get identical keys
        rep = H // n_kv
        for h in range(H):
            np.testing.assert_array_equal(cap.k[:, h], cap.k[:, (h // rep) * rep])


@pytest.mark.parametrize("kind", KINDS)
def test_interface_and_hook_routes_agree(models, captures, kind):
    hooked = probe.capture_attention(models[kind], None, TEXTS, batch_size=1, route="hooks")
    for a, b in zip(captures[kind], hooked):
        assert b.route == "hooks" and b.max_abs_diff <= 1e-5
        for name in "qkv":
            np.testing.assert_allclose(getattr(a, name), getattr(b, name), atol=2e-5, rtol=1e-5)
        np.testing.assert_allclose(a.scales, b.scales, rtol=1e-12)


def test_qwen3_capture_is_after_the_qk_norm(models, captures):
    """q_proj's output (before q_norm and RoPE) does not reproduce the attention; ours does."""
    model = models["qwen3"]
    raw = {}
    attn = model.layers[0].self_attn
    handle = attn.q_proj.register_forward_hook(lambda m, i, o: raw.__setitem__("q", o.detach()))
    ids = torch.tensor([TEXTS["long"]])
    with torch.no_grad():
        out = model(input_ids=ids, output_attentions=True)
    handle.remove()
    cap = [c for c in captures["qwen3"] if c.text == "long"][0]
    q_pre = raw["q"].view(1, ids.shape[1], 4, 24).transpose(1, 2)[0].numpy()
    wrong = _numpy_softmax(q_pre, cap.k[0], cap.scales[0], True)
    assert np.abs(wrong - out.attentions[0][0].numpy()).max() > 1e-2
    # RMS-normed with gains: the captured norms are not the projection's
    assert not np.allclose(np.linalg.norm(cap.q[0], axis=-1), np.linalg.norm(q_pre, axis=-1), rtol=1e-2)


def test_a_changed_module_scale_is_read_not_assumed():
    model = _build("llama")
    model.layers[1].self_attn.scaling = 0.1  # what a model with its own scale rule would do
    (cap,) = probe.capture_attention(model, None, [TEXTS["long"]])
    np.testing.assert_allclose(cap.scales, [16**-0.5, 0.1])
    assert cap.max_abs_diff <= 1e-5
    ref = _numpy_softmax(cap.q[1], cap.k[1], 0.1, True)
    np.testing.assert_allclose(ref, cap.attentions[1], atol=1e-5)
    # the hook route reads the scale from the config, and refuses a module that disagrees
    with pytest.raises(ValueError, match="scales scores by 0.1"):
        probe.capture_attention(model, None, [TEXTS["long"]], route="hooks")


def test_sdpa_model_is_verified_through_its_output_and_left_unchanged(captures):
    model = _build("llama", attn="sdpa")
    ids = torch.tensor([TEXTS["long"]])
    with torch.no_grad():
        before = model(input_ids=ids).last_hidden_state
    (cap,) = probe.capture_attention(model, None, {"long": TEXTS["long"]}, store_attentions=False)
    assert model.config._attn_implementation == "sdpa"  # restored
    assert np.isnan(cap.max_abs_diff) and cap.max_output_diff <= 1e-5
    eager = [c for c in captures["llama"] if c.text == "long"][0]
    np.testing.assert_allclose(cap.q, eager.q, atol=1e-5)
    np.testing.assert_allclose(cap.k, eager.k, atol=1e-5)
    with torch.no_grad():
        after = model(input_ids=ids).last_hidden_state
    torch.testing.assert_close(before, after, rtol=0, atol=0)


def test_sliding_window_mask_is_the_models_own():
    torch.manual_seed(7)
    cfg = transformers.MistralConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                     num_key_value_heads=2, intermediate_size=96, vocab_size=100,
                                     max_position_embeddings=64, initializer_range=0.3,
                                     rope_theta=100.0, sliding_window=4)
    model = transformers.MistralModel(cfg)
    model.set_attn_implementation("eager")
    (cap,) = probe.capture_attention(model.eval(), None, [TEXTS["long"]])
    T = len(TEXTS["long"])
    rows, cols = np.indices((T, T))
    band = (cols <= rows) & (rows - cols < 4)
    np.testing.assert_array_equal(cap.visible(0), band)
    assert cap.window == 4 and cap.max_abs_diff <= 1e-5
    betas = probe.effective_betas(cap, query="all")
    assert (betas.n_keys == np.minimum(betas.query_pos + 1, 4)).all()


def test_model_without_attention_interface_and_cross_attention_raise():
    class NoInterface(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.config = transformers.GPT2Config(n_layer=1, n_head=2, n_embd=8, vocab_size=10)
            self.config._attn_implementation = "eager"
            self.lin = torch.nn.Linear(2, 2)

        def set_attn_implementation(self, name):
            self.config._attn_implementation = name

        def forward(self, input_ids, attention_mask=None, output_attentions=False):
            return transformers.modeling_outputs.BaseModelOutput(last_hidden_state=input_ids, attentions=(None,))

    model = NoInterface()
    with pytest.raises(ValueError, match="AttentionInterface"):
        probe.capture_attention(model, None, [[1, 2, 3]], store_attentions=False, verify=False)
    assert model.config._attn_implementation == "eager"  # restored after the error
