# tokenprobs — every target builds the virtualenv it needs; only Python >= 3.11 and make are assumed.
PYTHON ?= python3
VENV   := .venv
VENV2  := .venv-openai2
DEMO   := .venv-demo
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: demo test lint docs chromium test-openai3 test-openai2 bench integration integration-vllm clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -e ".[dev,pandas,rich,plot,distill,dask,playground]" "openai>=3,<4"
	touch $@

# the second run: latest openai 2.x (httpx), and no optional extras; the large fuzz profile runs
# once, in the first run (TOKENPROBS_FUZZ=default here keeps make test under 10 minutes)
$(VENV2)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV2)
	$(VENV2)/bin/pip install $(PIP_FLAGS) -e ".[dev]" "openai>=2,<3"
	touch $@

$(DEMO)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DEMO)
	$(DEMO)/bin/pip install $(PIP_FLAGS) -e ".[rich]"
	touch $@

demo: $(DEMO)/.installed
	$(DEMO)/bin/tokenprobs demo

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts
	$(VENV)/bin/mypy

docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir site

chromium:
	sh scripts/ensure_chromium.sh

test-openai3: $(VENV)/.installed chromium
	@$(VENV)/bin/python -c "import openai; print('openai', openai.__version__, '(httpx2)')"
	$(VENV)/bin/pytest -m "not integration" $(PYTEST_ARGS)

test-openai2: $(VENV2)/.installed
	@$(VENV2)/bin/python -c "import openai; print('openai', openai.__version__, '(httpx), no extras')"
	TOKENPROBS_FUZZ=default $(VENV2)/bin/pytest -m "not integration and not extras and not browser" $(PYTEST_ARGS)

test: lint docs test-openai3 test-openai2

integration: chromium
	bash scripts/integration.sh

integration-vllm:
	bash scripts/integration-vllm.sh

# every benchmark runs; the target exits non-zero when any of them missed a target (each prints
# MISSED, which one and by how much)
bench: $(VENV)/.installed
	@status=0; \
	for b in bench_parse bench_metrics bench_batch bench_labels bench_fields bench_distill; do \
		$(VENV)/bin/python bench/$$b.py || { status=1; echo "make bench: $$b missed a target"; }; \
	done; \
	exit $$status

clean:
	rm -rf $(VENV) $(VENV2) $(DEMO) .venv-llama site .mypy_cache .pytest_cache .ruff_cache
