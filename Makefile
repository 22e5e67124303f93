# tokenprobs — every target builds the virtualenv it needs; only Python >= 3.11 and make are assumed.
PYTHON ?= python3
VENV   := .venv
VENV2  := .venv-openai2
VENVF  := .venv-frameworks
DEMO   := .venv-demo
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: demo test lint docs chromium test-openai3 test-openai2 test-frameworks test-dist bench integration integration-vllm clean

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

# the third run: the frameworks whose objects tp.parse reads (LangChain, LiteLLM, pydantic-ai,
# DSPy), in a venv of their own so that the other two stay lean
$(VENVF)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENVF)
	$(VENVF)/bin/pip install $(PIP_FLAGS) -e ".[dev,frameworks]"
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
	$(VENV)/bin/pytest -m "not integration and not frameworks and not dist" $(PYTEST_ARGS)

test-openai2: $(VENV2)/.installed
	@$(VENV2)/bin/python -c "import openai; print('openai', openai.__version__, '(httpx), no extras')"
	TOKENPROBS_FUZZ=default $(VENV2)/bin/pytest -m "not integration and not extras and not browser and not frameworks and not dist" $(PYTEST_ARGS)

# only the framework tests (tests/frameworks/); TOKENPROBS_FRAMEWORKS=required makes a framework
# that failed to install an error there, not a skipped module
test-frameworks: $(VENVF)/.installed
	@$(VENVF)/bin/python -c "import importlib.metadata as m; print(*(f'{d} {m.version(d)}' for d in ('langchain-openai', 'langchain-ollama', 'ollama', 'litellm', 'pydantic-ai-slim', 'dspy', 'google-genai', 'openai')), sep=', ')"
	TOKENPROBS_FRAMEWORKS=required $(VENVF)/bin/pytest -m frameworks tests/frameworks $(PYTEST_ARGS)

# what `pip install pytokenprobs` gets: the sdist, the wheel built from it, installed with no
# extras in a virtualenv of its own and run from outside this checkout
test-dist: $(VENV)/.installed
	$(VENV)/bin/pytest -m dist tests/test_dist.py $(PYTEST_ARGS)

test: lint docs test-openai3 test-openai2 test-frameworks test-dist

integration: chromium
	bash scripts/integration.sh

integration-vllm:
	bash scripts/integration-vllm.sh

# every benchmark runs; the target exits non-zero when any of them missed a target (each prints
# MISSED, which one and by how much)
bench: $(VENV)/.installed
	@status=0; \
	for b in bench_parse bench_metrics bench_batch bench_labels bench_fields bench_distill; do \
		$(VENV)/bin/python bench/$$b.py $$([ $$b = bench_distill ] && echo --parallel --parallel-mb 1000 --parallel-repeat 3) || { status=1; echo "make bench: $$b missed a target"; }; \
	done; \
	exit $$status

clean:
	rm -rf $(VENV) $(VENV2) $(VENVF) $(DEMO) .venv-llama site .mypy_cache .pytest_cache .ruff_cache
