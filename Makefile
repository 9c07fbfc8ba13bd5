# Inferlane — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON  ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
PY      := $(BIN)/python
STAMP   := $(VENV)/.installed
PROTOGEN := libs/protogen
PROTOS  := $(shell find protos -name '*.proto')
PROTO_STAMP := $(PROTOGEN)/.generated

export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

.PHONY: system-deps
system-deps: ## Install the Debian packages the platform needs (libpython3.11 for Triton, chromium for browser tests)
	@if ! ldconfig -p | grep -q 'libpython3.11.so.1.0'; then \
	  echo "installing libpython3.11 (Triton's python backend stub links it)"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq libpython3.11 >/dev/null; \
	fi
	@# The console's browser tests drive Debian's Chromium through Playwright (no browser download).
	@if ! test -x /usr/bin/chromium; then \
	  echo "installing chromium (the web console's end-to-end tests)"; \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
	  $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium >/dev/null; \
	fi

# The editable install (hatchling, pyproject.toml) puts the source roots on the venv's path
# and generates libs/protogen (hatch_build.py); `make protos` regenerates it after edits.
$(STAMP): pyproject.toml hatch_build.py | system-deps
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==25.3
	$(PY) -m pip install -q -e '.[dev,devstack]'
	@# The tritonserver binary ships in this wheel; its Python side is not used, and its
	@# pins (protobuf < 6) would hold back the rest of the stack, hence --no-deps.
	$(PY) -m pip install -q --no-deps nvidia-pytriton==0.7.0
	@touch $@

.PHONY: install
install: $(STAMP) protos ## Create .venv with pinned dependencies and generate protos

$(PROTO_STAMP): $(PROTOS) $(STAMP) tools/protogen.py
	$(PY) -m tools.protogen $(PROTOGEN)
	@touch $@

.PHONY: protos
protos: $(PROTO_STAMP) ## Generate Python code from protos/ into libs/protogen (never edit it)

.PHONY: sync-client
sync-client: install ## Regenerate the SDK's blocking client (libs/inferlane/client/sync.py) from aio.py with unasync
	$(PY) -m tools.generate_sync_client

.PHONY: client-wheel
client-wheel: install ## Build the inferlane-client wheel (the SDK and CLI alone, clients/python) into dist/
	$(PY) -m pip wheel -q --no-deps --no-build-isolation -w dist clients/python

.PHONY: run
run: install ## Run the whole platform on embedded defaults (a dead process is restarted; Ctrl-C stops everything)
	$(PY) -m tools.devstack

.PHONY: test
test: install ## Run the whole test suite (real PostgreSQL, NATS, Triton, gRPC servers)
	$(PY) -m pytest -q $(PYTEST_ARGS)

FUZZ_URL ?= http://127.0.0.1:8080

.PHONY: fuzz
fuzz: install ## schemathesis (every check, every operation, signed in) against a running stack: make run first; FUZZ_URL, FUZZ_ARGS="--max-examples 200"
	$(PY) -m tools.devstack.fuzz --url $(FUZZ_URL) $(FUZZ_ARGS)

.PHONY: bench
bench: install ## Benchmarks: platform, direct Triton, in-process (L0) and Celery + Redis legs interleaved in BENCH_ROUNDS rounds (default 3)
	$(PY) -m bench

.PHONY: bench-quick
bench-quick: install ## make bench with small sizes, one round and a 30 s Triton deadline (loaded machines), for development; BENCH_SECTIONS=inference,tasks picks sections
	BENCH_ROUNDS=$${BENCH_ROUNDS:-1} BENCH_ROWS=256 BENCH_TASK_ROWS=512 BENCH_LOAD_ROWS=256 \
	  BENCH_CLIENTS=200 BENCH_SINGLE_SAMPLES=20 BENCH_LATENCY_SAMPLES=50 BENCH_L0_SAMPLE=64 \
	  INFERENCE_TRITON_TIMEOUT_SECONDS=$${INFERENCE_TRITON_TIMEOUT_SECONDS:-30} $(PY) -m bench

.PHONY: bench-profile
bench-profile: install ## py-spy on every service while M2 and T-M5 run; prints where each process spends its time
	$(PY) -m bench.profile

.PHONY: bench-gpu
bench-gpu: install ## On a GPU machine: sentiment + embedding in Triton on the GPU vs in-process (adds torch to .venv)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m bench.gpu --out gpu-bench.json

.PHONY: eval
eval: install ## Every served version of sentiment on ../shared/data/reviews/dev.csv through Triton: macro-F1, accuracy, F1 per label
	$(PY) -m bench.evaluate $(EVAL_ARGS)

.PHONY: bench-load
bench-load: install ## Only the load leg of make bench: T-M1 quiet, then with two CPU hogs (0 failed)
	$(PY) -m bench.load

.PHONY: bench-search
bench-search: install ## Only the search leg of make bench: p50/p99 and recall@10 over BENCH_SEARCH_ROWS vectors, storing ÷ not interleaved over BENCH_SEARCH_ROUNDS (3)
	$(PY) -m bench.search

.PHONY: bench-scale
bench-scale: install ## One 1,000,000-row batch task, every process's memory watched, its CSV export streamed 3 times (~6 min)
	$(PY) -m bench.scale

.PHONY: lint
lint: install ## ruff + mypy, buf lint and buf breaking (against protos/baseline.binpb) on protos, hadolint on the Dockerfile
	$(BIN)/ruff check libs services tests bench tools hatch_build.py
	$(BIN)/ruff format --check libs services tests bench tools hatch_build.py
	$(BIN)/mypy libs/inferlane services bench tools hatch_build.py
	cd protos && ../$(BIN)/buf lint
	cd protos && ../$(BIN)/buf breaking --against baseline.binpb
	$(BIN)/hadolint Dockerfile

.PHONY: proto-baseline
proto-baseline: install ## Record protos/ as the contract `make lint` holds them to (protos/baseline.binpb; commit it with a deliberate break or a release)
	cd protos && ../$(BIN)/buf build -o baseline.binpb

.PHONY: hooks
hooks: install ## Install the git pre-commit hook (.pre-commit-config.yaml: what make lint runs)
	$(BIN)/pre-commit install

.PHONY: k8s-validate
k8s-validate: install ## Render every kustomize variant and validate it offline (--strict)
	set -o pipefail; for v in k8s/overlays/dev k8s/overlays/prod k8s/observability; do \
	  kubectl kustomize $$v | $(BIN)/kubernetes-validate --strict --quiet - || exit 1; done

.PHONY: image
image: ## Build the container image (needs a Docker engine; CI elsewhere builds it)
	docker build -t inferlane:$$(git rev-parse --short HEAD) .

.PHONY: format
format: install ## Format the Python code with ruff
	$(BIN)/ruff format libs services tests tools hatch_build.py
	$(BIN)/ruff check --fix libs services tests tools hatch_build.py

.PHONY: migrate
migrate: install ## Apply every service's migrations to DATABASE_URL
	for svc in auth datasets tasks; do $(PY) -m inferlane.common.migrate $$svc upgrade || exit 1; done

.PHONY: docs
docs: install ## Regenerate the README's configuration table from the settings classes
	$(PY) -m tools.config_doc

# ---- models (training venv .venv-train: torch etc.; serving never needs it)
TRAIN_VENV  := .venv-train
TRAIN_PY    := $(TRAIN_VENV)/bin/python
TRAIN_REQS  := services/inference/training/requirements.txt
TRAIN_STAMP := $(TRAIN_VENV)/.installed
TRAINING    := services/inference/training

$(TRAIN_STAMP): $(TRAIN_REQS)
	@test -x $(TRAIN_PY) || $(PYTHON) -m venv $(TRAIN_VENV)
	@# torch first and alone: pip then takes the build for this machine (CPU wheel here).
	$(TRAIN_PY) -m pip install -q torch==2.13.0
	$(TRAIN_PY) -m pip install -q -r $(TRAIN_REQS)
	@touch $@

.PHONY: train-sentiment
train-sentiment: $(TRAIN_STAMP) ## Sentiment v2: fine-tune all of MiniLM + TF-IDF blend, export to model_repository/sentiment/2 (GPU if any; ~1 h on 2 busy CPU cores)
	HF_HUB_OFFLINE=1 $(TRAIN_PY) -m services.inference.training.train_sentiment_v2 $(TRAIN_ARGS)
	HF_HUB_OFFLINE=1 $(TRAIN_PY) -m services.inference.training.export_sentiment_v2

.PHONY: calibrate-sentiment
calibrate-sentiment: $(TRAIN_STAMP) ## Sentiment v2: try finer blend weight / class biases / TF-IDF C on train's holdout, judged by 5-fold inside it; writes only a clear gain (no retraining; ~15 min)
	$(TRAIN_PY) -m services.inference.training.calibrate_sentiment_v2 --write

.PHONY: train-sentiment-v1
train-sentiment-v1: $(TRAIN_STAMP) ## Sentiment v1: top-2-layer MiniLM fine-tune to model_repository/sentiment/1, then shrink (~35 min on 2 CPU cores)
	HF_HUB_OFFLINE=1 $(TRAIN_PY) $(TRAINING)/train_sentiment.py --no-card $(TRAIN_ARGS)
	$(TRAIN_PY) -m services.inference.training.shrink

.PHONY: export-embedding
export-embedding: $(TRAIN_STAMP) ## Export the original MiniLM encoder as int8 ONNX to model_repository/embedding, then shrink
	HF_HUB_OFFLINE=1 $(TRAIN_PY) $(TRAINING)/export_embedding.py
	$(TRAIN_PY) -m services.inference.training.shrink

.PHONY: train-diabetes
train-diabetes: $(TRAIN_STAMP) ## Fit the diabetes-progression regressor (scikit-learn data) to model_repository/diabetes-progression
	$(TRAIN_PY) $(TRAINING)/train_diabetes.py

.PHONY: clean
clean: ## Remove the venv, generated code and embedded data (.data)
	rm -rf $(VENV) $(PROTOGEN) .data .pytest_cache .mypy_cache .ruff_cache *.egg-info
