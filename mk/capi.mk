# The C library (libagentdb.so / libagentdb.a, built by `make build`), its header, the C and Zig
# test suites, and `make install`. Included by the root Makefile, whose variables it uses:
# CARGO, CARGO_FLAGS, LIBDIR, PY, ROOT, VENV.
#
#   make test-c        header check, C suite (plain, then under valgrind), C++ header check,
#                      the example (linked against the .so, the .a, and via pkg-config)
#   make test-zig      `zig build test` and `zig build example` in zig/
#   make header        regenerate include/agentdb.h from rust/capi (cbindgen)
#   make check-header  fail if the committed include/agentdb.h differs from what the code generates
#   make install       PREFIX=/usr/local: lib/libagentdb.{so,a}, include/agentdb.h, lib/pkgconfig/agentdb.pc

.PHONY: test-c test-zig header check-header install cbindgen-tool c-tools c-programs

PREFIX           ?= /usr/local
CAPI_DIR         := $(ROOT)/rust/capi
HEADER           := $(ROOT)/include/agentdb.h
CAPI_OUT         := $(ROOT)/build/c
# cbindgen is pinned, so every machine generates the same header bytes; it is installed as a tool
# (not a build-dependency, which would change syn's features and rebuild LanceDB).
CBINDGEN_VERSION := 0.29.4
CBINDGEN_ROOT    := $(HOME)/.cache/agentdb/tools
CBINDGEN         := $(CBINDGEN_ROOT)/bin/cbindgen
ZIG              := $(PY) -m ziglang
CC               ?= cc
CXX              ?= c++
C_STRICT         := -std=c11 -Wall -Wextra -Werror -pedantic
CXX_STRICT       := -std=c++17 -Wall -Wextra -Werror -pedantic
# Linking the Rust static library needs the system libraries Rust's std uses.
STATIC_LIBS      := -lgcc_s -lutil -lrt -lpthread -lm -ldl
AGENTDB_VERSION  := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' $(ROOT)/Cargo.toml | head -n1)
# Each tests/c/test_*.c is one test program.
C_TESTS          := $(basename $(notdir $(wildcard $(ROOT)/tests/c/test_*.c)))
# --fair-sched: valgrind runs one thread at a time, and its default lock is unfair, so a thread that
# spins without a blocking call (test_drop_race's flusher) can starve the others for minutes; one
# CI run hung there. The fair lock hands the CPU round in order.
VALGRIND_FLAGS   := --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
                    --errors-for-leak-kinds=definite,indirect,possible --track-fds=no --fair-sched=yes \
                    --suppressions=$(ROOT)/tests/c/valgrind.supp --num-callers=40

cbindgen-tool:
	@if [ "$$($(CBINDGEN) --version 2>/dev/null)" != "cbindgen $(CBINDGEN_VERSION)" ]; then
	  echo ">> installing cbindgen $(CBINDGEN_VERSION) into $(CBINDGEN_ROOT)"
	  # Its own temporary target directory: never the workspace's.
	  env -u CARGO_TARGET_DIR $(CARGO) install cbindgen --version $(CBINDGEN_VERSION) --locked --root $(CBINDGEN_ROOT)
	fi

# valgrind (the C suite runs once under it) and pkg-config (the installed agentdb.pc is used).
c-tools:
	@if ! command -v valgrind >/dev/null 2>&1 || ! command -v pkg-config >/dev/null 2>&1; then
	  echo ">> installing valgrind pkg-config"
	  SUDO=$$( [ "$$(id -u)" = 0 ] && echo "" || echo sudo )
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq valgrind pkg-config
	fi

header: cbindgen-tool
	@cd $(CAPI_DIR)
	$(CBINDGEN) --quiet --config cbindgen.toml --crate agentdb-capi --output $(HEADER) .
	echo "wrote $(HEADER)"

check-header: cbindgen-tool
	@mkdir -p $(CAPI_OUT)
	cd $(CAPI_DIR)
	$(CBINDGEN) --quiet --config cbindgen.toml --crate agentdb-capi --output $(CAPI_OUT)/agentdb.h .
	if ! diff -u $(HEADER) $(CAPI_OUT)/agentdb.h; then
	  echo "include/agentdb.h is out of date with rust/capi: run 'make header' and commit it" >&2
	  exit 1
	fi
	echo "ok   include/agentdb.h matches rust/capi"

# The C programs, always rebuilt (they take a second; libagentdb comes from `make build`).
c-programs: build
	@mkdir -p $(CAPI_OUT)
	LINK_SO="-L$(LIBDIR) -Wl,-rpath,$(LIBDIR) -lagentdb"
	# Every tests/c/test_*.c is its own program (sharing tests/c/harness.h).
	for t in $(C_TESTS); do
	  $(CC) $(C_STRICT) -g -O1 -pthread -I$(ROOT)/include -I$(ROOT)/tests/c $(ROOT)/tests/c/$$t.c $$LINK_SO -lm -o $(CAPI_OUT)/$$t
	done
	$(CXX) $(CXX_STRICT) -I$(ROOT)/include $(ROOT)/tests/c/header_cpp.cpp $$LINK_SO -o $(CAPI_OUT)/header_cpp
	$(CC) $(C_STRICT) -O2 -I$(ROOT)/include $(ROOT)/examples/c/store_and_query.c $$LINK_SO -o $(CAPI_OUT)/store_and_query
	$(CC) $(C_STRICT) -O2 -I$(ROOT)/include $(ROOT)/examples/c/store_and_query.c $(LIBDIR)/libagentdb.a $(STATIC_LIBS) \
	  -o $(CAPI_OUT)/store_and_query_static

test-c: check-header c-programs c-tools
	@cd $(CAPI_OUT)
	./header_cpp
	rm -rf example-db example-db-static
	./store_and_query example-db $(ROOT)/examples/c/vectors.txt 3 0.9 0.1 0.1 0 | tee example.out
	grep -q "^  apple " example.out
	./store_and_query_static example-db-static $(ROOT)/examples/c/vectors.txt 3 0.9 0.1 0.1 0 > example-static.out
	cmp example.out example-static.out
	echo "ok   examples/c/store_and_query (shared and static libagentdb)"
	# Install into a scratch prefix (as `make install` does), then build the example via pkg-config.
	rm -rf prefix
	$(call install_to,$(CAPI_OUT)/prefix,$(CAPI_OUT)/prefix)
	PKG="env PKG_CONFIG_PATH=$(CAPI_OUT)/prefix/lib/pkgconfig pkg-config"
	$(CC) $(C_STRICT) $(ROOT)/examples/c/store_and_query.c $$($$PKG --cflags --libs agentdb) \
	  -Wl,-rpath,$(CAPI_OUT)/prefix/lib -o store_and_query_pc
	./store_and_query_pc example-db $(ROOT)/examples/c/vectors.txt 3 0.9 0.1 0.1 0 > example-pc.out
	cmp example.out example-pc.out
	echo "ok   make install + pkg-config agentdb"
	# tests/c/test_object_store.c needs an S3 server: moto on loopback, for this recipe's length.
	eval "$$($(PY) $(ROOT)/tests/object_store_server.py start $(CAPI_OUT)/moto)"
	trap '$(PY) $(ROOT)/tests/object_store_server.py stop $(CAPI_OUT)/moto' EXIT
	for t in $(C_TESTS); do
	  echo ">> $$t under valgrind"
	  valgrind $(VALGRIND_FLAGS) --log-file=$$t.valgrind.log ./$$t > $$t.valgrind-run.out || {
	    cat $$t.valgrind-run.out; tail -n 80 $$t.valgrind.log; echo "valgrind found errors or leaks (build/c/$$t.valgrind.log)" >&2; exit 1; }
	  grep -E "ERROR SUMMARY|definitely lost|indirectly lost|possibly lost" $$t.valgrind.log | sed 's/^==[0-9]*== /    valgrind: /'
	  tail -n1 $$t.valgrind-run.out | sed 's/^/    under valgrind: /'
	done
	# One closing line for all C programs, in the same form as the other suites.
	passed=0; failed=0
	for t in $(C_TESTS); do
	  echo ">> $$t"
	  ./$$t | tee $$t.out || true
	  read -r p f < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$$/\1 \2/p' $$t.out | tail -n1)
	  passed=$$((passed + p)); failed=$$((failed + f))
	done
	echo "C: $$passed passed, $$failed failed"
	test $$failed -eq 0

test-zig: build
	@mkdir -p $(ROOT)/build
	cd $(ROOT)/zig
	# zig/tests/object_store_test.zig runs against moto on loopback, started for this command.
	$(PY) $(ROOT)/tests/object_store_server.py run -- $(ZIG) build test example -Dlib-dir=$(LIBDIR) --summary all 2>&1 | tee $(ROOT)/build/zig-test.log
	# One closing line in the same form as the other suites.
	sed -n 's/.* \([0-9]*\)\/\([0-9]*\) tests passed.*/\1 \2/p' $(ROOT)/build/zig-test.log | tail -n1 |
	  { read -r ok all; echo "Zig: $$ok passed, $$((all - ok)) failed"; }

# $(call install_to,DESTINATION,PREFIX): the files of `make install` (PREFIX goes into agentdb.pc).
define install_to
	install -d "$(1)/lib/pkgconfig" "$(1)/include"
	install -m 755 $(LIBDIR)/libagentdb.so "$(1)/lib/libagentdb.so"
	install -m 644 $(LIBDIR)/libagentdb.a "$(1)/lib/libagentdb.a"
	install -m 644 $(HEADER) "$(1)/include/agentdb.h"
	sed -e 's|@PREFIX@|$(2)|g' -e 's|@VERSION@|$(AGENTDB_VERSION)|g' -e 's|@STATIC_LIBS@|$(STATIC_LIBS)|g' \
	  $(CAPI_DIR)/agentdb.pc.in > "$(1)/lib/pkgconfig/agentdb.pc"
	echo "installed libagentdb $(AGENTDB_VERSION) into $(1)"
endef

install: build
	@$(call install_to,$(DESTDIR)$(PREFIX),$(PREFIX))
