# The Node.js package (node/, npm name agentdb-embedded) on the napi-rs addon rust/node, built by
# the same workspace `cargo build` as everything else. Included by the root Makefile, whose
# variables it uses: CARGO, CARGO_FLAGS, CARGO_TARGET_DIR, LIBDIR, ROOT.
#
#   make build-node        the addon copied to node/agentdb.node (after `make build`)
#   make node-types        regenerate node/native.d.ts from rust/node (napi-derive's type defs)
#   make check-node-types  fail if the committed node/native.d.ts differs from what rust/node declares
#   make test-node         part of `make test`: the declarations check, `node --test` (which also
#                          packs the package and runs an example from an install of the tarball)
#                          and `tsc --noEmit` over the tests and examples
#   make bench-node        per-call overhead of a small search, Node vs the C ABI (bench/results/node.md)

.PHONY: build-node node-deps node-types check-node-types test-node bench-node

NODE_DIR     := $(ROOT)/node
NODE_ADDON   := $(NODE_DIR)/agentdb.node
NODE_STAMP   := $(NODE_DIR)/node_modules/.deps-stamp
# napi-derive writes the crate's TypeScript declarations here while rustc expands its macros.
# Exported for every cargo run of the Makefile, so the value never changes between runs (a change
# reruns the crate's build script and recompiles it).
export NAPI_TYPE_DEF_TMP_FOLDER := $(CARGO_TARGET_DIR)/napi-typedef
NODE_TYPEDEF := $(NAPI_TYPE_DEF_TMP_FOLDER)/agentdb-node

# The folder must exist before rustc runs the macros: an order-only prerequisite of `build`.
build: | $(NAPI_TYPE_DEF_TMP_FOLDER)
$(NAPI_TYPE_DEF_TMP_FOLDER):
	mkdir -p $@

build-node: build
	# Copy then rename: overwriting in place would crash a node process that has it loaded.
	cp -f $(LIBDIR)/libagentdb_node.so $(NODE_ADDON).tmp && mv -f $(NODE_ADDON).tmp $(NODE_ADDON)

# typescript, @types/node and @napi-rs/cli (its type-def renderer), pinned by package-lock.json.
$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-deps: $(NODE_STAMP)

# The type defs are written only when rust/node compiles: if a fresh crate left none (a new
# target directory), it is touched and built again.
$(NODE_TYPEDEF): build
	@if [ ! -s $@ ]; then
	  touch $(ROOT)/rust/node/src/lib.rs
	  $(CARGO) build $(CARGO_FLAGS) --workspace
	fi

node-types: $(NODE_TYPEDEF) node-deps
	cd $(NODE_DIR) && node scripts/typegen.mjs $(NAPI_TYPE_DEF_TMP_FOLDER)

check-node-types: $(NODE_TYPEDEF) node-deps
	cd $(NODE_DIR) && node scripts/typegen.mjs $(NAPI_TYPE_DEF_TMP_FOLDER) --check

test-node: build-node node-deps check-node-types
	@cd $(NODE_DIR)
	start=$$SECONDS
	# test/object_store.test.mjs runs against moto on loopback, started for this command.
	$(PY) $(ROOT)/tests/object_store_server.py run -- node --test --test-concurrency=1 test/
	npx --no-install tsc -p tsconfig.json
	echo ">> Node suite: $$((SECONDS - start)) s"

bench-node: build-node c-programs
	$(CC) -O2 -I$(ROOT)/include $(ROOT)/bench/node_overhead.c -L$(LIBDIR) -Wl,-rpath,$(LIBDIR) -lagentdb -lm -o $(CAPI_OUT)/node_overhead
	node $(ROOT)/bench/node_overhead.mjs --c-bench $(CAPI_OUT)/node_overhead --out $(ROOT)/bench/results/node.md
