# Every target creates .venv on a fresh machine; only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-pythons test-lowest lint serve bench bench-sweep bench-selection clean calibrate calibrate-check workshop-answers schema

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The main job: the Aleppo baseline, run folder and figures under results/.
run: $(STAMP)
	$(BIN)/evacsim run scenarios/aleppo_2016.toml

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2  # both cores: the suite is ~10 CPU minutes

# The engines agree bit for bit on every supported Python, not only this one: a venv per
# Python of pyenv (PYTHONS) under .venv-pythons/, the equivalence tests on each (minutes).
PYTHONS ?= 3.11.7 3.12.1 3.13.0
EQUIVALENCE := tests/test_vector_equivalence.py tests/test_model_rules.py tests/test_compiled_loop.py
test-pythons:
	set -e; for v in $(PYTHONS); do \
	  echo "== Python $$v"; \
	  test -x .venv-pythons/$$v/bin/python || PYENV_VERSION=$$v python -m venv .venv-pythons/$$v; \
	  .venv-pythons/$$v/bin/pip install --quiet --upgrade pip; \
	  .venv-pythons/$$v/bin/pip install --quiet -e '.[test]'; \
	  .venv-pythons/$$v/bin/python -m pytest -q -p no:cacheprovider $(EQUIVALENCE); \
	done

# The declared lower bounds are true: the run-time dependencies at the oldest versions
# pyproject.toml allows (>= read as ==), in .venv-lowest/, and the tests of the engines and
# the studies that use SciPy and SimPy (minutes).
LOWEST_TESTS := $(EQUIVALENCE) tests/test_des_analytic.py tests/test_sweep.py tests/test_calibrate.py
test-lowest:
	test -x .venv-lowest/bin/python || $(PYTHON) -m venv .venv-lowest
	.venv-lowest/bin/pip install --quiet --upgrade pip
	$(PYTHON) -c "import re, tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; print('\n'.join(re.sub(r'>=([^,]+).*', r'==\1', d) for d in deps))" > .venv-lowest/lowest.txt
	.venv-lowest/bin/pip install --quiet -c .venv-lowest/lowest.txt -e . pytest hypothesis
	.venv-lowest/bin/pip freeze | grep -iE '^(simpy|numpy|scipy|matplotlib|tqdm)=='
	# SALib 1.6 (the sensitivity extra's floor) needs numpy 2: no Saltelli sweep on numpy 1.26
	.venv-lowest/bin/python -m pytest -q -p no:cacheprovider -k "not saltelli" $(LOWEST_TESTS)

# The what-if page on http://127.0.0.1:8050/ (docs/page.md); Ctrl-C stops it.
serve: $(STAMP)
	$(BIN)/evacsim serve scenarios/aleppo_2016.toml

# In one run: CPU µs per replication of both engines at R = 10^2..10^5 and their ratio, both
# scenarios; evacsim run --reps 1000000 (wall, CPU, peak memory); import sim and --help CPU.
# Appended to bench/RESULTS.md (about 10 min of CPU; bench/engines.py --quick for a look).
bench: $(STAMP)
	$(BIN)/python bench/engines.py

# A 1,000-point x 1,000-replication sweep of the baseline against the reference engine,
# appended to bench/RESULTS.md (a few minutes).
bench-sweep: $(STAMP)
	$(BIN)/python bench/sweep.py

# The certification's probability of correct selection over thousands of seeds, appended to
# bench/RESULTS.md (a few minutes).
bench-selection: $(STAMP)
	$(BIN)/python bench/selection.py

# Rewrite scenarios/schemas/ from the loader's checks (after adding or changing a key).
schema: $(STAMP)
	$(BIN)/evacsim schema --out scenarios/schemas

# Rewrite docs/workshop-answers.md by running the workshop's commands (a few seconds).
workshop-answers: $(STAMP)
	$(BIN)/python docs/workshop_answers.py

# Fit the Aleppo baseline to the reported figures: results/calibration/<id>/ (a few minutes).
calibrate: $(STAMP)
	$(BIN)/evacsim calibrate scenarios/calibration/aleppo_2016_targets.toml

# Parameter recovery: calibrate against the model's own figures at known values (minutes).
calibrate-check: $(STAMP)
	$(BIN)/python bench/calibrate_check.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .venv-pythons .venv-lowest
