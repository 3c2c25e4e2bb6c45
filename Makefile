# Every target creates .venv on a fresh machine; only Python 3.11+ and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint serve bench bench-sweep bench-selection clean calibrate calibrate-check workshop-answers

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
	$(BIN)/python -m pytest

# The what-if page on http://127.0.0.1:8050/ (docs/page.md); Ctrl-C stops it.
serve: $(STAMP)
	$(BIN)/evacsim serve scenarios/aleppo_2016.toml

# Engine speed and memory, appended to bench/RESULTS.md (a few minutes).
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
	rm -rf $(VENV)
