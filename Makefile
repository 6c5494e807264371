# ParcelAudit: every target creates .venv from pinned versions (constraints.txt) when needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COMPILED := $(VENV)/.compiled
# The screening hot path, compiled to C with mypyc (see src/parcelaudit/screening/native.py).
HOT := $(addprefix parcelaudit/screening/,text.py names.py transliteration.py scoring.py index.py screener.py)
SHARED ?= $(abspath ../shared/data)

.PHONY: demo test test-pg bench lint lock clean fresh compile system fuzz serve

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,spark]'
	touch $(STAMP)

$(COMPILED): $(STAMP) $(addprefix src/,$(HOT))
	@echo "compiling the screening hot path with mypyc (log: $(VENV)/mypyc.log)"
	@cd src && (../$(BIN)/mypyc --ignore-missing-imports $(HOT) > ../$(VENV)/mypyc.log 2>&1 \
		&& touch parcelaudit/screening/*.so) \
		|| echo "mypyc failed (see $(VENV)/mypyc.log): screening runs as plain Python"
	@touch $(COMPILED)

compile: $(COMPILED)

# System packages (Pango for PDFs, a CJK font, LibreOffice Calc for the workpaper test), when root and apt-get allow.
system:
	@bash scripts/install-system-packages.sh

demo: system $(COMPILED)
	$(BIN)/parcelaudit demo --out demo-out

# The review workbench on the demo store (made first when absent), with one sign-in per role printed.
SERVE_PORT ?= 8000
serve: system $(COMPILED)
	@test -f demo-out/parcelaudit.duckdb || $(BIN)/parcelaudit demo --out demo-out
	$(BIN)/parcelaudit serve --db demo-out/parcelaudit.duckdb --port $(SERVE_PORT) --demo-logins

# The whole suite on DuckDB, then every test that keeps data in a store (marker `store`, set from the store
# fixtures a test takes; tests/conftest.py fails a test that writes a store without them) on PostgreSQL when a
# server answers at $$PARCELAUDIT_TEST_PG (default postgresql://127.0.0.1:5432/test); without one, one line
# says the leg was skipped. The other tests never open a store, so a second run would repeat the first.
test: system $(COMPILED)
	$(BIN)/python -m pytest -n 2 --dist loadfile
	@if reason=$$($(BIN)/python -m tests.pg_server); then \
		echo "PostgreSQL leg: every store test (-m store) on $${PARCELAUDIT_TEST_PG:-postgresql://127.0.0.1:5432/test}"; \
		$(BIN)/python -m pytest -n 2 --dist loadfile -m store --store-engine postgresql -rs; \
	else echo "PostgreSQL leg skipped: $$reason"; fi

# The whole suite with every test's store on PostgreSQL (a fresh schema per test); skip reasons listed.
test-pg: system $(COMPILED)
	$(BIN)/python -m pytest -n 2 --dist loadfile --store-engine postgresql -rs

# Fuzz every reader for FUZZ_SECONDS in all (tests/fuzz/harness.py); failing inputs go to fuzz-findings/.
FUZZ_SECONDS ?= 300
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz.harness --seconds $(FUZZ_SECONDS)

bench: $(COMPILED)
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

lock: $(STAMP)
	@echo "# Pinned versions for every install (make uses: pip install -c constraints.txt). Regenerate with \`make lock\`." > constraints.txt
	$(BIN)/pip freeze --exclude-editable | grep -vi '^parcelaudit' >> constraints.txt

clean:
	rm -rf $(VENV) demo-out bench/work .pytest_cache .ruff_cache src/build src/.mypy_cache
	find src -name '*.so' -delete
