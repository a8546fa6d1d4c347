# Fuzzing (issue 11): libFuzzer targets for the filter compiler (SQL and JSON dicts), the WAL
# record decoder, the HNSW index file loader and the metadata JSON parser (rust/fuzz), and a C-ABI
# fuzzer driving random call sequences under ASan/UBSan (tests/c/fuzz). Included by the root
# Makefile, whose variables it uses: CARGO, CARGO_TARGET_DIR, LIBDIR, ROOT, STATIC_LIBS.
#
#   make fuzz          every target for FUZZ_SECONDS each (default 600), one after the other
#                      FUZZ_TARGETS="metadata_json capi" to choose, FUZZ_SEED for the seed,
#                      FUZZ_JOBS=2 to run two targets at a time
#   make fuzz-build    only build the instrumented targets (build/fuzz/bin/)
#   make test-fuzz     part of `make test`: a short seeded run of the C-ABI fuzzer against the
#                      libagentdb.so of `make build` (the Rust targets' corpora are replayed by
#                      `cargo test`: rust/engine/tests/fuzz_corpus.rs)
#
# Build cost: the fuzz build shares the root's target directory, profile and (a copy of) its
# Cargo.lock, so every dependency — LanceDB's few hundred crates — is the artifact `make build`
# made and is not recompiled; only agentdb-engine and the C ABI are compiled again, with
# sanitizer coverage (through rust/fuzz/rustc-wrapper.sh, so no flag reaches the dependencies),
# overflow checks and debug assertions: a few minutes. See rust/fuzz/Cargo.toml.
#
# Findings: libFuzzer writes the input of a crash, leak, timeout or OOM into
# build/fuzz/artifacts/<target>/; copy it into rust/fuzz/corpus/<target>/ (or tests/c/fuzz/corpus/)
# as crash-<what>, so `make test` replays it from then on, and note it in rust/fuzz/RESULTS.md.

.PHONY: fuzz fuzz-build fuzz-check fuzz-tools fuzz-capi-so test-fuzz

FUZZ_DIR      := $(ROOT)/rust/fuzz
FUZZ_OUT      := $(ROOT)/build/fuzz
FUZZ_RUST     := filter_sql filter_json wal_decode index_load metadata_json
FUZZ_TARGETS  ?= $(FUZZ_RUST) capi
FUZZ_SECONDS  ?= 600
FUZZ_SEED     ?= 1
FUZZ_JOBS     ?= 1
# Per input: 10 s is a hang; 4 GB is runaway memory. Leak detection is off: the engine's runtime
# (tokio, LanceDB's caches) keeps allocations for the life of the process by design.
FUZZ_FLAGS    ?= -timeout=10 -rss_limit_mb=4096 -max_len=4096 -detect_leaks=0 -print_final_stats=1
FUZZ_NICE     ?= nice -n 19
export ASAN_OPTIONS  ?= detect_leaks=0
export UBSAN_OPTIONS ?= print_stacktrace=1
CLANG         ?= clang
CAPI_FUZZ_SRC := $(ROOT)/tests/c/fuzz/fuzz_capi.c
CAPI_FUZZ_CC  := -g -O1 -std=c11 -Wall -Wextra -Werror -I$(ROOT)/include \
                 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
# The newest clang's libFuzzer (a shell expression: clang may be installed by fuzz-tools first).
LIBFUZZER     := $$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2>/dev/null | sort -V | tail -n1)

# clang (its libFuzzer and sanitizer runtimes), from the distribution's packages.
fuzz-tools:
	@if ! command -v $(CLANG) >/dev/null 2>&1 || [ -z "$(LIBFUZZER)" ]; then
	  echo ">> installing clang (libFuzzer, ASan, UBSan)"
	  SUDO=$$( [ "$$(id -u)" = 0 ] && echo "" || echo sudo )
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq clang
	fi

# Refuses to build when a dependency would resolve with other features (or versions) than in the
# root workspace: that dependency and everything above it — LanceDB — would be compiled again.
# (`cargo build -p agentdb-engine` alone is such a case: see rust/fuzz/Cargo.toml.)
TREE_FMT := --offline -e features,normal,build --prefix none -f '{p} [{f}]' --workspace
fuzz-check:
	@mkdir -p $(FUZZ_OUT)
	# The root's exact dependency versions (a copy: cargo trims it to this workspace's crates).
	cp -f $(ROOT)/Cargo.lock $(FUZZ_DIR)/Cargo.lock
	$(CARGO) tree $(TREE_FMT) --manifest-path $(ROOT)/Cargo.toml | sed 's/ (\*)$$//' | sort -u > $(FUZZ_OUT)/tree-root.txt
	$(CARGO) tree $(TREE_FMT) --manifest-path $(FUZZ_DIR)/Cargo.toml | sed 's/ (\*)$$//' | sort -u > $(FUZZ_OUT)/tree-fuzz.txt
	if comm -13 $(FUZZ_OUT)/tree-root.txt $(FUZZ_OUT)/tree-fuzz.txt | grep -vE '^agentdb-(engine|fuzz|fuzz-capi)\b'; then
	  echo "error: the fuzz workspace resolves the dependencies above differently from the root workspace;" >&2
	  echo "       building it would recompile them and LanceDB. Align rust/fuzz/Cargo.toml first." >&2
	  exit 1
	fi
	echo "ok   the fuzz workspace reuses every dependency of the root workspace"

# The Rust targets and the instrumented C ABI (libagentdb_fuzz_capi.a), then the C-ABI fuzzer.
fuzz-build: build fuzz-tools fuzz-check
	@mkdir -p $(FUZZ_OUT)/bin
	cd $(FUZZ_DIR)
	RUSTC_WRAPPER=$(FUZZ_DIR)/rustc-wrapper.sh AGENTDB_LIBFUZZER="$(LIBFUZZER)" \
	  $(FUZZ_NICE) $(CARGO) build --release --offline --workspace 2>&1 | tee $(FUZZ_OUT)/build.log
	# A dependency compiled here means the fuzz build's features, profile or lock drifted from
	# the root's (every dependency would then be rebuilt): say so loudly.
	if grep -E '^ *Compiling ' $(FUZZ_OUT)/build.log | grep -vE ' (agentdb-engine|agentdb-fuzz|agentdb-fuzz-capi) '; then
	  echo "warning: the fuzz build compiled dependencies (above): compare rust/fuzz/Cargo.toml's profile and features with the root's" >&2
	fi
	for t in $(FUZZ_RUST); do cp -f $(LIBDIR)/$$t $(FUZZ_OUT)/bin/$$t; done
	$(CLANG) $(CAPI_FUZZ_CC) $(CAPI_FUZZ_SRC) $(LIBDIR)/libagentdb_fuzz_capi.a $(STATIC_LIBS) -o $(FUZZ_OUT)/bin/capi
	echo "fuzz targets in $(FUZZ_OUT)/bin: $(FUZZ_RUST) capi"

# The C-ABI fuzzer against the uninstrumented libagentdb.so of `make build` (coverage feedback
# from the C side only): what `make test` runs, built in a second.
fuzz-capi-so: build fuzz-tools
	@mkdir -p $(FUZZ_OUT)
	$(CLANG) $(CAPI_FUZZ_CC) $(CAPI_FUZZ_SRC) -L$(LIBDIR) -Wl,-rpath,$(LIBDIR) -lagentdb -o $(FUZZ_OUT)/capi-so

# One target (in a shell function): $(call fuzz_run,BINARY,TARGET,CORPUS): a work corpus under
# build/fuzz/work/ (kept between runs) seeded from the committed one, which libFuzzer only reads;
# the target's dictionary (rust/fuzz/dict/<target>.dict) if it has one; artifacts and the log
# under build/fuzz/.
define fuzz_run
	mkdir -p $(FUZZ_OUT)/work/$(2) $(FUZZ_OUT)/artifacts/$(2) $(FUZZ_OUT)/logs
	echo ">> fuzzing $(2) for $(FUZZ_SECONDS) s (seed $(FUZZ_SEED)), log build/fuzz/logs/$(2).log"
	dict=$(FUZZ_DIR)/dict/$(2).dict; dict=$$( [ -e $$dict ] && echo -dict=$$dict || true )
	$(FUZZ_NICE) $(1) $(FUZZ_FLAGS) $$dict -seed=$(FUZZ_SEED) -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=$(FUZZ_OUT)/artifacts/$(2)/ $(FUZZ_OUT)/work/$(2) $(3) > $(FUZZ_OUT)/logs/$(2).log 2>&1 \
	  && echo "ok   $(2): $$(grep -E '^stat::number_of_executed_units' $(FUZZ_OUT)/logs/$(2).log | awk '{print $$2}') runs, $$(grep -oE 'cov: [0-9]+' $(FUZZ_OUT)/logs/$(2).log | tail -n1)" \
	  || { echo "FINDING in $(2): see build/fuzz/logs/$(2).log and build/fuzz/artifacts/$(2)/"; tail -n 40 $(FUZZ_OUT)/logs/$(2).log; return 1; }
endef

fuzz: fuzz-build
	@failed=0
	run() {
	  case $$1 in
	    capi) $(call fuzz_run,$(FUZZ_OUT)/bin/capi,capi,$(ROOT)/tests/c/fuzz/corpus) ;;
	    *)    $(call fuzz_run,$(FUZZ_OUT)/bin/$$1,$$1,$(FUZZ_DIR)/corpus/$$1) ;;
	  esac
	}
	if [ "$(FUZZ_JOBS)" -gt 1 ]; then
	  pids=()
	  for t in $(FUZZ_TARGETS); do
	    run $$t & pids+=($$!)
	    while [ "$$(jobs -rp | wc -l)" -ge "$(FUZZ_JOBS)" ]; do sleep 1; done
	  done
	  for p in "$${pids[@]}"; do wait $$p || failed=1; done
	else
	  for t in $(FUZZ_TARGETS); do run $$t || failed=1; done
	fi
	test $$failed -eq 0

# In `make test`: the C-ABI fuzzer, seeded, for a fixed number of inputs after replaying its
# corpus (a few seconds; the long runs are `make fuzz`).
FUZZ_TEST_RUNS ?= 300
test-fuzz: fuzz-capi-so
	@mkdir -p $(FUZZ_OUT)/test-work $(FUZZ_OUT)/artifacts/capi-so
	rm -rf $(FUZZ_OUT)/test-work/*
	AGENTDB_FUZZ_DIR=$(FUZZ_OUT) $(FUZZ_OUT)/capi-so -seed=1 -runs=$(FUZZ_TEST_RUNS) -timeout=30 -detect_leaks=0 -max_len=1024 \
	  -artifact_prefix=$(FUZZ_OUT)/artifacts/capi-so/ $(FUZZ_OUT)/test-work $(ROOT)/tests/c/fuzz/corpus \
	  > $(FUZZ_OUT)/test-fuzz.log 2>&1 || { tail -n 40 $(FUZZ_OUT)/test-fuzz.log; echo "C-ABI fuzzer: finding (build/fuzz/test-fuzz.log)" >&2; exit 1; }
	echo "ok   C-ABI fuzzer: corpus + $(FUZZ_TEST_RUNS) seeded inputs, no finding"

test: test-fuzz
