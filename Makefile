# tokenprobs — every target builds the virtualenv it needs; only Python >= 3.11 and make are assumed.
PYTHON ?= python3
VENV   := .venv
VENV2  := .venv-openai2
DEMO   := .venv-demo
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: demo test lint test-openai3 test-openai2 bench docs integration integration-vllm clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -e ".[dev,pandas,rich,plot]" "openai>=3,<4"
	touch $@

# the second run: latest openai 2.x (httpx), and no optional extras
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
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

test-openai3: $(VENV)/.installed
	@$(VENV)/bin/python -c "import openai; print('openai', openai.__version__, '(httpx2)')"
	$(VENV)/bin/pytest -m "not integration" $(PYTEST_ARGS)

test-openai2: $(VENV2)/.installed
	@$(VENV2)/bin/python -c "import openai; print('openai', openai.__version__, '(httpx), no extras')"
	$(VENV2)/bin/pytest -m "not integration and not extras and not browser" $(PYTEST_ARGS)

test: lint test-openai3 test-openai2

bench: $(VENV)/.installed
	$(VENV)/bin/python bench/run.py

clean:
	rm -rf $(VENV) $(VENV2) $(DEMO) .mypy_cache .pytest_cache .ruff_cache
