"""Table-driven bad-input tests of the probe (issue #15), on a tiny random BERT with a tiny vocabulary.

Every row feeds one bad argument to `capture_attention` or `read_texts` and asserts the
exception class and that the message names the parameter (or the file and line). Then the
identities the audit found broken: token ids given directly get the same special-token
mask (so ``query="last"`` picks the same token and the same beta) as the text given as a
string; ``max_length`` never returns more tokens than asked for. No download: the model and
the tokenizer are built from a config and a vocabulary file written here.
"""

from __future__ import annotations

import numpy as np
import pytest

from sdmlib import probe

torch = pytest.importorskip("torch", reason="needs the ml extra")
transformers = pytest.importorskip("transformers", reason="needs the ml extra")
torch.set_num_threads(1)

WORDS = "the cat sat on mat a dog ran to park and it was sunny".split()
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]


@pytest.fixture(scope="module")
def bert():
    tok = transformers.BertTokenizerFast(vocab={w: i for i, w in enumerate(VOCAB)}, do_lower_case=True)
    assert tok(TEXT)["input_ids"].count(tok.unk_token_id) == 0
    torch.manual_seed(2)
    model = transformers.BertModel(transformers.BertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
        vocab_size=len(VOCAB), max_position_embeddings=32, initializer_range=0.3), add_pooling_layer=False)
    model.set_attn_implementation("eager")
    return model.eval(), tok


TEXT = "the cat sat on the mat and it was sunny"


def _cases(model, tok):
    cap = lambda texts, **kw: probe.capture_attention(model, tok, texts, store_attentions=False, **kw)  # noqa: E731
    return [
        ("max-length-1", lambda: cap(TEXT, max_length=1), ValueError, "max_length"),
        ("max-length-2-only-specials", lambda: cap(TEXT, max_length=2), ValueError, "max_length"),
        ("max-length-0", lambda: cap(TEXT, max_length=0), ValueError, "max_length"),
        ("max-length-beyond-positions", lambda: cap(TEXT, max_length=33), ValueError, "max_length"),
        ("max-length-float", lambda: cap(TEXT, max_length=4.5), TypeError, "max_length"),
        ("bytes", lambda: cap(b"the cat"), TypeError, "bytes"),
        ("bytes-in-list", lambda: cap([b"the cat"]), TypeError, "texts['text0']"),
        ("float-ids", lambda: cap([[2, 5.5, 3]]), TypeError, "texts['text0']"),
        ("bool-ids", lambda: cap([[True, False]]), TypeError, "texts['text0']"),
        ("negative-id", lambda: cap([[2, -1, 3]]), ValueError, "texts['text0']"),
        ("id-beyond-vocab", lambda: cap([[2, len(VOCAB), 3]]), ValueError, "texts['text0']"),
        ("ragged-ids", lambda: cap([[[2, 5], [6]]]), ValueError, "texts['text0']"),
        ("empty-ids", lambda: cap([[]]), ValueError, "texts['text0']"),
        ("only-special-ids", lambda: cap([[2, 3]]), ValueError, "texts['text0']"),
        ("empty-text", lambda: cap(""), ValueError, "texts['text0']"),
        ("blank-text-labelled", lambda: cap({"x": "   "}), ValueError, "texts['x']"),
        ("no-texts", lambda: cap([]), ValueError, "texts"),
        ("int-texts", lambda: cap(5), TypeError, "texts"),
        ("none-texts", lambda: cap(None), TypeError, "texts"),
        ("none-item", lambda: cap(["the cat", None]), TypeError, "texts['text1']"),
        ("strings-need-tokenizer", lambda: probe.capture_attention(model, None, TEXT), TypeError, "tokenizer"),
        ("verify-str", lambda: cap(TEXT, verify="no"), TypeError, "verify"),
        ("progress-int", lambda: cap(TEXT, progress=1), TypeError, "progress"),
        ("store-attentions-str", lambda: probe.capture_attention(model, tok, TEXT, store_attentions="yes"),
         TypeError, "store_attentions"),
        ("batch-size-0", lambda: cap(TEXT, batch_size=0), ValueError, "batch_size"),
        ("atol-nan", lambda: cap(TEXT, atol=float("nan")), ValueError, "atol"),
        ("route", lambda: cap(TEXT, route="bogus"), ValueError, "route"),
        ("model-name-int", lambda: cap(TEXT, model_name=3), TypeError, "model_name"),
        ("not-a-model", lambda: probe.capture_attention(object(), tok, TEXT), ValueError, "model"),
        # the hook route shares the same checks
        ("hooks-max-length-1", lambda: cap(TEXT, max_length=1, route="hooks"), ValueError, "max_length"),
        ("hooks-float-ids", lambda: cap([[2, 5.5, 3]], route="hooks"), TypeError, "texts['text0']"),
        ("hooks-verify-str", lambda: cap(TEXT, verify="no", route="hooks"), TypeError, "verify"),
        ("hooks-empty-text", lambda: cap("", route="hooks"), ValueError, "texts['text0']"),
    ]


CASE_IDS = [c[0] for c in _cases(None, None)]


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_capture_bad_input_names_the_parameter(bert, case_id):
    _, call, exc, name = next(c for c in _cases(*bert) if c[0] == case_id)
    with pytest.raises(exc) as info:
        call()
    assert name in str(info.value), str(info.value)


@pytest.mark.parametrize("route", ["interface", "hooks"])
def test_token_ids_keep_the_special_token_mask(bert, route):
    model, tok = bert
    ids = tok(TEXT)["input_ids"]
    as_text, as_ids = probe.capture_attention(model, tok, [TEXT, ids], store_attentions=False, route=route)
    assert as_ids.special.tolist() == as_text.special.tolist()
    assert as_ids.special[0] and as_ids.special[-1] and not as_ids.special[1:-1].any()
    b_text = probe.effective_betas([as_text]).beta_eff.to_numpy()
    b_ids = probe.effective_betas([as_ids]).beta_eff.to_numpy()
    np.testing.assert_array_equal(b_text, b_ids)  # query="last" picks the same (non-special) token
    # one token-id list (or array) is one text, not a list of one-token texts
    one = probe.capture_attention(model, tok, np.asarray(ids), store_attentions=False)
    assert len(one) == 1 and one[0].special.tolist() == as_text.special.tolist()


@pytest.mark.parametrize("max_length", [3, 4, 7])
def test_max_length_is_an_upper_bound(bert, max_length):
    model, tok = bert
    (c,) = probe.capture_attention(model, tok, TEXT, max_length=max_length, store_attentions=False)
    assert len(c.tokens) == max_length and c.special[0] and c.special[-1] and not c.special[1:-1].all()


# --------------------------------------------------------------------------- read_texts
def test_read_texts_names_file_and_line(tmp_path):
    bad_json = tmp_path / "t.jsonl"
    bad_json.write_text('{"text": "fine"}\n{"text": "broken\n')
    with pytest.raises(ValueError, match=r"t\.jsonl.*line 2 is not valid JSON"):
        probe.read_texts(bad_json)
    not_obj = tmp_path / "l.jsonl"
    not_obj.write_text('{"text": "fine"}\n[1, 2]\n')
    with pytest.raises(ValueError, match=r"l\.jsonl.*line 2 must hold a JSON object"):
        probe.read_texts(not_obj)
    non_str = tmp_path / "n.jsonl"
    non_str.write_text('{"text": 5}\n')
    with pytest.raises(ValueError, match=r"n\.jsonl.*line 1.*must be a string"):
        probe.read_texts(non_str)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("first line\nsecond caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin\.txt.*line 2 is not valid UTF-8"):
        probe.read_texts(latin)
    with pytest.raises(TypeError, match="path"):
        probe.read_texts(5)
    with pytest.raises(TypeError, match="details"):
        probe.read_texts(latin, details="yes")
    with pytest.raises(FileNotFoundError, match="nope"):
        probe.read_texts(tmp_path / "nope.txt")
