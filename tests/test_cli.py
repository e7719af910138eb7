"""The command-line package `sdmlib.cli`: every subcommand refuses bad input with one line.

Each row runs one subcommand with one bad argument and asserts exit status 2,
exactly one line on stderr that names the option, and no traceback. Also:
``--version``, every option's default in ``--help``, lazy imports (``beta``
never imports torch), and outputs checked before any work.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from sdmlib.cli import COMMANDS, main

OWNED = list(COMMANDS)
TEXTS = "TEXTS"  # replaced by a small texts file written in the test's folder

BAD = [
    ("beta", ["--n", "1000000", "--d", "11"], "--n"),
    ("beta", ["--n", "x", "--d", "11"], "--n"),
    ("beta", ["--n", "64", "--d", "40"], "--d"),
    ("beta", ["--n", "64", "--d", "1"], "--d"),
    ("beta", ["--n", "64", "--d", "11", "--space", "foo"], "--space"),
    ("beta", ["--d", "11"], "--n"),
    ("radius", ["--n", "64", "--beta", "nan"], "--beta"),
    ("radius", ["--n", "64", "--beta", "-1"], "--beta"),
    ("radius", ["--n", "3", "--beta", "10"], "--n"),
    ("radius", ["--n", "64", "--beta", "10", "--distance-weights", "binomial"], "--distance-weights"),
    ("radius", ["--n", "64", "--beta", "1e9"], "--clip"),
    ("recall", ["--protocol", "E1", "--out", "/nonexistent/x.csv"], "--out"),
    ("recall", ["--protocol", "E1", "--out", "."], "--out"),
    ("recall", ["--protocol", "E1", "--out", "x.txt"], "--out"),
    ("recall", ["--protocol", "E9"], "--protocol"),
    ("reproduce", ["--protocols", "E1,E9"], "--protocols"),
    ("reproduce", ["--scheduler", "tcp://host"], "--scheduler"),
    ("reproduce", ["--workers", "0"], "--workers"),
    ("reproduce", ["--seed", "-1"], "--seed"),
    ("recall", ["--protocol", "E1", "--seed", "1.5"], "--seed"),
    ("recall", ["--protocol", "E1", "--radii", "3,3"], "--radii"),
    ("figure", ["--out", "/nonexistent/a.png"], "--out"),
    ("figure", ["--out", "a.txt"], "--out"),
    ("figure", ["--out", "a.png", "--n", "2"], "--n"),
    ("figure", ["--out", "a.png", "--n", "10", "--d", "7"], "--d"),
    ("radii", ["--r", "2**-1"], "--r"),
    ("radii", ["--r", "0"], "--r"),
    ("radii", ["--m", "nan"], "--m"),
    ("radii", ["--P", "1"], "--P"),
    ("radii", ["--n", "0"], "--n"),
    ("radii", ["--n", "4000"], "--no-cd"),
    ("projection", ["--out", "/nonexistent_root_dir/x/y", "--data-path", "/nonexistent"], "--data-path"),
    ("projection", ["--out", "OUT", "--lr", "nan"], "--lr"),
    ("projection", ["--out", "OUT", "--h-range", "5", "1"], "--h-range"),
    ("projection", ["--out", "OUT", "--h-range", "5", "1000"], "--h-range"),
    ("projection", ["--out", "OUT", "--m", "100000"], "--m"),
    ("projection", ["--out", "OUT", "--d", "40"], "--d"),
    ("projection", ["--out", "FILE"], "--out"),
    ("projection", [], "--out"),
    # betas: every row is refused before the model is loaded (none loads one)
    ("betas", ["--texts", TEXTS, "--out", "b.csv"], "--model"),
    ("betas", ["--model", "minilm", "--texts", "/nonexistent.txt", "--out", "b.csv"], "--texts"),
    ("betas", ["--model", "minilm", "--texts", "OUT", "--out", "b.csv"], "--texts"),
    ("betas", ["--model", "minilm", "--texts", TEXTS, "--out", "/nonexistent/b.csv"], "--out"),
    ("betas", ["--model", "minilm", "--texts", TEXTS, "--out", "b.txt"], "--out"),
    ("betas", ["--model", "minilm", "--texts", TEXTS, "--out", "b.csv", "--max-length", "0"], "--max-length"),
    ("betas", ["--model", "minilm", "--texts", TEXTS, "--out", "b.csv", "--max-length", "2.5"], "--max-length"),
    ("betas", ["--model", "minilm", "--texts", TEXTS, "--out", "b.csv", "--table", "heads"], "--table"),
    ("betas", ["--model", "minilm", "--texts", TEXTS, "--out", "b.csv", "--table", "stats", "--sdm"], "--sdm"),
    ("betas", ["--model", "minilm", "--texts", TEXTS, "--out", "b.csv", "--reduce", "max"], "--reduce"),
    ("betas", ["--model", "minilm", "--texts", TEXTS, "--out", "b.csv", "--route", "hooks", "--attn", "sdpa"],
     "--route"),
    ("betas", ["--model", "minilm", "--texts", "BADJSON", "--out", "b.csv"], "--texts"),
    ("betas", ["--model", "", "--texts", TEXTS, "--out", "b.csv"], "--model"),
]


@pytest.mark.parametrize("command, argv, option", BAD, ids=[f"{c}-{' '.join(a)}" for c, a, _ in BAD])
def test_bad_argument_is_one_line_exit_2(command, argv, option, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("x")
    (tmp_path / "texts.txt").write_text("# a\nThe cat sat on the mat.\n")
    (tmp_path / "bad.jsonl").write_text('{"text": "fine"}\n{"text": \n')
    if command == "betas":
        (tmp_path / "out").mkdir()  # betas: --texts OUT is a folder, not a file
    names = {"OUT": "out", "FILE": "file", TEXTS: "texts.txt", "BADJSON": "bad.jsonl"}
    argv = [str(tmp_path / names[a]) if a in names else a for a in argv]
    if command == "betas":  # refused before loading the model: neither transformers nor torch is needed
        import sys as _sys

        before = set(_sys.modules)
    assert main([command, *argv]) == 2
    cap = capsys.readouterr()
    err = cap.err.strip().splitlines()
    assert len(err) == 1, cap.err
    assert err[0].startswith(f"sdmlib {command}: error: ") and option in err[0], err[0]
    assert "Traceback" not in cap.err + cap.out
    if command == "betas":
        assert not {m.split(".")[0] for m in set(_sys.modules) - before} & {"torch", "transformers"}


def test_every_owned_command_has_a_bad_row():
    assert set(OWNED) <= {c for c, _, _ in BAD}


def test_projection_device_without_gpu(capsys, tmp_path):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: --device cuda is valid here")
    assert main(["projection", "--out", str(tmp_path / "o"), "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--device" in err[0]
    assert not (tmp_path / "o").exists()  # nothing created before the failure


def test_unknown_command_and_version(capsys):
    assert main(["frobnicate"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    from sdmlib import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"sdmlib {__version__}"


@pytest.mark.parametrize("command", OWNED)
def test_help_shows_every_default(command, capsys):
    import importlib

    assert main([command, "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    parser = importlib.import_module(COMMANDS[command][0]).build_parser()
    formatter = parser._get_formatter()
    for action in parser._actions:
        if not action.option_strings or action.dest == "help" or action.const is True:
            continue
        text = " ".join(formatter._expand_help(action).split())
        assert ("(required)" if action.required else "(default: ") in text, f"{command}: {text}"
        # compare without whitespace: argparse wraps lines (also after hyphens)
        assert "".join(text.split()) in "".join(out.split()), f"{command} {action.option_strings[0]}: not shown"


def test_python_m_sdmlib_beta_never_imports_torch():
    # one subprocess: the real `python -m sdmlib` entry point, and -X importtime lists every import
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "sdmlib", "beta", "--n", "16", "--d", "3",
                          "--space", "binary"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "Taylor rate" in out.stdout, out.stderr[-2000:]
    imported = {line.split("|")[-1].strip().split(".")[0] for line in out.stderr.splitlines() if "|" in line}
    assert "sdmlib" in imported and "torch" not in imported


def test_outputs_checked_before_work(capsys):
    t = time.perf_counter()
    assert main(["recall", "--protocol", "E1", "--out", "/nonexistent/x.csv"]) == 2
    assert time.perf_counter() - t < 5  # refused at parse time, not after the run


def test_figure_adapts_radii_to_n(tmp_path, capsys):
    out = tmp_path / "f.png"
    assert main(["figure", "--out", str(out), "--n", "10"]) == 0
    assert out.stat().st_size > 0 and "radii 2, 3, 4" in capsys.readouterr().out


def test_recall_says_what_it_does_first(tmp_path, capsys):
    out = tmp_path / "r.csv"
    argv = ["recall", "--protocol", "E1", "--scale", "reduced", "--models", "pattern_sdm", "--radii", "5",
            "--levels", "0", "--datasets", "1", "--repeats", "1", "--queries", "2", "--out", str(out)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("recall: protocol E1") and out.exists()


@pytest.mark.parametrize("module, argv, option", [
    ("sdmlib.memory_sweeps", ["--seeds", "0", "--out", "x.csv"], "--seeds"),
    ("sdmlib.memory_sweeps", ["--out", "/nonexistent/x.csv"], "--out"),
    ("sdmlib.projection_runs", ["seeds", "--out", "/nonexistent/a.csv"], "--out"),
    ("sdmlib.projection_runs", ["seeds", "--out", "a.csv", "--threads", "0"], "--threads"),
])
def test_module_commands_one_line(module, argv, option, capsys, tmp_path, monkeypatch):
    import importlib

    monkeypatch.chdir(tmp_path)
    mod = importlib.import_module(module)
    entry = getattr(mod, "main", None) or getattr(mod, "_main")
    assert entry(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and option in err[0] and "Traceback" not in err[0]
