# coalsurv: two commands do all the setup on a fresh machine.
#   make demo   -> creates .venv (Python from .python-version), installs, fits the bundled data,
#                  writes reports/demo.pdf
#   make test   -> creates .venv if needed, installs, runs the fast test suite
# Also: make lint (ruff + import layers), make slow (statistical validation), make bench
# (ratio benchmarks), make bench-families (the family table against plain PyMC), make gallery,
# make notebooks (installs JupyterLab, runs and renders the notebooks into
# reports/notebooks/executed/), make lab (opens them in JupyterLab), make validate
# (SBC and coverage of every model through the batch runner; tables and plots in
# reports/validation/).

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# the install lock: every install takes its versions from here (`make lock` regenerates it)
LOCK := constraints.txt
PIP_LOCKED := -c $(LOCK) --build-constraint $(LOCK)

.PHONY: setup demo test lint slow bench bench-families bench-members gallery notebooks lab validate clean lock

# Python from .python-version via pyenv when present, else python3.12 on PATH.
PYTHON_BOOT := $(shell (command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null) || command -v python3.12)

$(STAMP): pyproject.toml $(LOCK)
	@test -n "$(PYTHON_BOOT)" || (echo "error: Python 3.12 not found (install it with pyenv: pyenv install 3.12)" && exit 2)
	test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet -c $(LOCK) pip
	$(PY) -m pip install --quiet $(PIP_LOCKED) -e '.[test]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@echo "compiling the native kernel into numba's cache (a few minutes, once)"
	MPLBACKEND=Agg $(PY) scripts/warm_kernel.py
	@# bytecode of the package, which a process started with PYTHONDONTWRITEBYTECODE=1 would
	@# otherwise compile from source every time (~0.17 s of CPU in each fresh fit)
	$(PY) -m compileall -q coalsurv
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(VENV)/bin/coalsurv demo

test: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest -q -n auto --maxprocesses=4 --dist worksteal

lint: $(STAMP)
	$(VENV)/bin/ruff check coalsurv tests benchmarks
	$(PY) tests/test_layers.py

slow: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest -q -m slow

# every ratio benchmark: the standard model (BENCHMARKS.md's table), the family table (issue 23,
# reports/families_benchmark.md) and the mm() rows (issue 21: coalgov against plain PyMC, and
# 10^4 coalitions of 10^3 members, coalsurv only; reports/members_benchmark.md).
bench: $(STAMP)
	$(PY) benchmarks/run.py
	$(MAKE) bench-families
	$(MAKE) bench-members

bench-members: $(STAMP)
	uptime
	$(PY) benchmarks/members.py --rows coalgov-equal coalgov-power | tee reports/members_benchmark.md
	$(PY) benchmarks/members.py --rows sim10000 --no-baseline | tee -a reports/members_benchmark.md
	uptime

# the family table (issue 23): every row against its plain PyMC baseline, cold and warm, in one
# run; writes reports/families_benchmark.md. Options: make bench-families ARGS="--rows weibull
# weibull+cure --draws 300"
bench-families: $(STAMP)
	$(PY) -m compileall -q coalsurv
	uptime
	$(PY) benchmarks/families.py $(ARGS)
	uptime

gallery: $(STAMP)
	MPLBACKEND=Agg $(VENV)/bin/coalsurv gallery

# JupyterLab and nbconvert (the [notebook] extra), then run and render every notebook
NB_STAMP := $(VENV)/.notebook-installed
$(NB_STAMP): $(STAMP)
	$(PY) -m pip install --quiet $(PIP_LOCKED) -e '.[test,notebook]'
	touch $(NB_STAMP)

notebooks: $(NB_STAMP)
	$(PY) reports/notebooks/run_notebooks.py

lab: $(NB_STAMP)
	$(VENV)/bin/jupyter lab reports/notebooks

validate: $(STAMP)
	MPLBACKEND=Agg $(VENV)/bin/coalsurv batch validate -o reports/validation

# Regenerate the install lock from the newest versions pyproject.toml allows (deliberately:
# then `make test`, regenerate the golden values if the draws changed, commit together).
LOCK_VENV := build/lock-venv
lock:
	@test -n "$(PYTHON_BOOT)" || (echo "error: Python 3.12 not found" && exit 2)
	rm -rf $(LOCK_VENV) && $(PYTHON_BOOT) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet '.[test,notebook]'
	{ sed -n '/^#/p' $(LOCK); $(LOCK_VENV)/bin/python -m pip freeze --all --exclude coalsurv | sort -f; } > $(LOCK).new
	mv $(LOCK).new $(LOCK) && rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) build *.egg-info
