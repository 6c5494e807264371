# ParcelAudit: every target creates .venv from pinned versions (constraints.txt) when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= $(abspath ../shared/data)

.PHONY: demo test bench lint lock clean fresh

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/parcelaudit demo --out demo-out

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

lock: $(STAMP)
	@echo "# Pinned versions for every install (make uses: pip install -c constraints.txt). Regenerate with \`make lock\`." > constraints.txt
	$(BIN)/pip freeze --exclude-editable | grep -vi '^parcelaudit' >> constraints.txt

clean:
	rm -rf $(VENV) demo-out bench/work .pytest_cache .ruff_cache
