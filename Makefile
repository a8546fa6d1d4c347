# AgentDB — one entry point for a fresh machine and for CI.
#   make demo   set everything up, then load GloVe into AgentDB and query it
#   make test   set everything up, then run every suite (cargo, pytest, C, Zig)
#
# LanceDB is heavy: the cargo target directory lives outside the clone, so a fresh clone on a
# machine that built once before reuses it. Everything builds with one profile (--release).

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

ROOT        := $(abspath .)
export CARGO_TARGET_DIR ?= $(HOME)/.cache/agentdb/target
CARGO       ?= cargo
PROFILE     := release
LIBDIR      := $(CARGO_TARGET_DIR)/$(PROFILE)
VENV        := $(ROOT)/.venv
PY          := $(VENV)/bin/python
NATIVE      := $(ROOT)/python/agentdb/_native.abi3.so
STAMP       := $(VENV)/.deps-stamp
CARGO_FLAGS := --release --locked

.PHONY: all setup system-deps venv build test test-rust test-python demo stress bench bench-kernels bench-ann bench-rag clean help

all: build

help:
	@echo "make demo | make test | make build | make bench | make clean"

# protoc (and the well-known .proto includes) are needed by LanceDB's build scripts.
system-deps:
	@if ! command -v protoc >/dev/null 2>&1 || [ ! -e /usr/include/google/protobuf/timestamp.proto ]; then
	  echo ">> installing protobuf-compiler libprotobuf-dev (needed to build LanceDB)"
	  SUDO=$$( [ "$$(id -u)" = 0 ] && echo "" || echo sudo )
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq protobuf-compiler libprotobuf-dev
	fi
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (rustup) first"; exit 1; }

$(STAMP): requirements-dev.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	# The package is used from the source tree (like `maturin develop`): python/ on the path.
	echo "$(ROOT)/python" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/agentdb-dev.pth
	touch $@

venv: $(STAMP)

setup: system-deps venv

# One cargo invocation for the whole workspace, so every crate resolves the same features and
# LanceDB is compiled once. The extension module is then placed where `import agentdb` finds it.
build: setup
	$(CARGO) build $(CARGO_FLAGS) --workspace
	# Copy then rename: overwriting in place would crash a Python process that has it loaded.
	cp -f $(LIBDIR)/lib_native.so $(NATIVE).tmp && mv -f $(NATIVE).tmp $(NATIVE)

test-rust: setup
	$(CARGO) test $(CARGO_FLAGS) --workspace

# The native module's stub (python/agentdb/_native.pyi) checked against the built module by mypy's
# stubtest, as pydantic-core does: a name, parameter, default or constant's type that differs fails
# the suite. No allowlist: stubtest judges every name today. Should one ever be needed, it goes in
# rust/python/stubtest-allowlist.txt (`--allowlist`), each entry with the reason stubtest cannot
# judge it.
.PHONY: test-stub
test-stub: build
	cd $(ROOT)/python && MYPY_CACHE_DIR=$(VENV)/.mypy_cache $(PY) -m mypy.stubtest agentdb._native

test-python: build test-stub
	$(PY) -m pytest -q tests

# The Python suite runs once, against the installed wheel (test-wheel, mk/wheel.mk; its
# test_installed.py runs stubtest on the installed stub); `make test-python` runs it on the source tree.
test: build test-rust test-wheel test-c test-zig test-node test-go

demo: build
	$(PY) examples/glove_demo.py

# The long modes of the randomized concurrency and crash tests (`make test` runs them short):
# cross-process readers against a writer for AGENTDB_XPROC_SECONDS, AGENTDB_CRASH_ITERATIONS
# SIGKILL rounds, AGENTDB_SESSION_CYCLES open-write-close sessions. Each defaults below; set one
# to change it. Prints the figures (torn reads, per-cycle times, file counts).
stress: build
	AGENTDB_XPROC_SECONDS=$${AGENTDB_XPROC_SECONDS:-300} \
	AGENTDB_CRASH_ITERATIONS=$${AGENTDB_CRASH_ITERATIONS:-300} \
	AGENTDB_SESSION_CYCLES=$${AGENTDB_SESSION_CYCLES:-1000} \
	  $(PY) -m pytest -q -s tests/test_cross_process.py tests/test_crash.py tests/test_compaction.py

# Benchmarks measure; they are not tests and `make test` does not run them. Results land in
# bench/results/, which the README quotes.
bench-deps: build
	$(PY) -m pip install -q -r bench/requirements.txt

bench-kernels: bench-deps
	$(PY) bench/kernels.py

bench-ann: bench-deps
	$(PY) bench/ann.py

# RAG retrieval quality (NumPy's docstrings; a seeded sample of 250, since the embedding model is
# the slow part on a small machine: about 10 minutes here).
bench-rag: bench-deps
	$(PY) bench/rag.py --max-docs 250

# Memory recall: evidence recall@k on months-long synthetic conversations for the default, the
# similarity-only and the old linear weights, and default recall latency at 100k memories
# (about 10 minutes here, mostly embedding; the embeddings are cached for later runs).
.PHONY: bench-memory
bench-memory: bench-deps
	$(PY) bench/memory_recall.py
	$(PY) bench/memory.py

bench: bench-kernels bench-ann bench-rag

clean:
	rm -f $(NATIVE)
	rm -rf $(VENV) build

# The C library, its header, the C and Zig suites, `make install`.
include mk/capi.mk

# Fuzzing: `make fuzz` (long libFuzzer runs), and the short C-ABI fuzz run of `make test`.
include mk/fuzz.mk

# The wheel and sdist (maturin), and the Python suite against the installed wheel.
include mk/wheel.mk

# The Node.js package (napi-rs addon rust/node) and its suite.
include mk/node.mk

# The Go module over the C ABI, its tests and its example (`make test-go`, `make bench-go`).
include mk/go.mk
