# The Python package as users get it: a wheel and an sdist built by maturin from pyproject.toml,
# and the Python suite run against the wheel installed in a venv of its own. Included by the root
# Makefile, whose variables it uses: CARGO_TARGET_DIR, PY, ROOT, VENV.
#
#   make wheel        dist/agentdb_embedded-*-cp310-abi3-manylinux_*.whl (release, --locked) and
#                     dist/agentdb_embedded-*.tar.gz; fails unless `auditwheel show` finds the
#                     wheel manylinux-compliant and its name says abi3 + manylinux
#   make check-sdist  builds a wheel from that sdist alone (pip, isolated build with maturin from
#                     the index) into build/sdist-wheel/; tests/test_installed.py compares its
#                     files with dist's wheel
#   make notebook     re-executes examples/quickstart.ipynb against the wheel, saves its outputs
#   make test-wheel   part of `make test`: installs dist's wheel (and every extra) into .venv-wheel
#                     and runs the whole Python suite against it, from a copy of tests/ and
#                     examples/ where the source tree's python/ is not reachable
#
# Build cost: maturin builds only the extension crate with the same target directory, profile and
# Cargo.lock as `make build`, so LanceDB is not recompiled. maturin sets PYO3_* variables that
# `cargo build` does not, so each switch between the two rebuilds pyo3, numpy and our two crates
# (~20 s for maturin, ~30 s back for cargo here). The sdist build also reuses the target directory:
# cargo hashes path crates by their path inside the workspace, so the unpacked tree in /tmp maps to
# the same artifacts (10-20 s here, most of it pip installing maturin into the isolated build env).

.PHONY: wheel check-sdist test-wheel wheel-venv wheel-install notebook

DIST           := $(ROOT)/dist
WHEEL_VENV     := $(ROOT)/.venv-wheel
WHEEL_PY       := $(WHEEL_VENV)/bin/python
WHEEL_STAMP    := $(WHEEL_VENV)/.deps-stamp
WHEEL_TEST_DIR := $(ROOT)/build/wheel-test
SDIST_WHEEL    := $(ROOT)/build/sdist-wheel

wheel: setup
	@rm -rf $(DIST) && mkdir -p $(DIST) $(ROOT)/build
	start=$$SECONDS
	$(VENV)/bin/maturin build --release --locked --out $(DIST)
	echo ">> wheel built in $$((SECONDS - start)) s"
	$(VENV)/bin/maturin sdist --out $(DIST)
	# maturin keeps only the workspace members the extension needs (rust/node goes) but copies the
	# whole Cargo.lock, and a --locked build of that sdist then fails ("cannot update the lock
	# file": maturin issue #2609). So the sdist's lock is trimmed to what its workspace reaches:
	# `cargo update --workspace --offline` removes the unreachable entries and changes no other
	# (test_installed.py checks every entry left is the checkout's, byte for byte).
	sdist=$$(ls $(DIST)/*.tar.gz)
	unpacked=$$(mktemp -d)
	top=$$(basename $$sdist .tar.gz)
	tar -xzf $$sdist -C $$unpacked
	(cd $$unpacked/$$top && $(CARGO) update --workspace --offline --quiet)
	tar -czf $$sdist -C $$unpacked $$top
	rm -rf $$unpacked
	whl=$$(ls $(DIST)/*.whl)
	case "$$(basename $$whl)" in
	  *-cp310-abi3-manylinux_*_x86_64.whl|*-cp310-abi3-manylinux_*_aarch64.whl) ;;
	  *) echo "wheel is not tagged abi3 + manylinux: $$whl"; exit 1 ;;
	esac
	# auditwheel wraps its report at 80 columns: squeeze the whitespace before matching.
	$(PY) -m auditwheel show "$$whl" | tee $(ROOT)/build/auditwheel.txt
	tr -s '[:space:]' ' ' < $(ROOT)/build/auditwheel.txt | grep -q 'consistent with the following platform tag: "manylinux_' \
	  || { echo "auditwheel: not a manylinux wheel"; exit 1; }

# --no-cache-dir: pip would otherwise keep every 100 MB wheel it builds from the sdist.
check-sdist: wheel
	@rm -rf $(SDIST_WHEEL) && mkdir -p $(SDIST_WHEEL)
	start=$$SECONDS
	$(PY) -m pip wheel -q --no-deps --no-cache-dir -w $(SDIST_WHEEL) $(DIST)/*.tar.gz
	echo ">> wheel built from the sdist alone in $$((SECONDS - start)) s: $$(ls $(SDIST_WHEEL))"

# A venv of its own, never the dev one: no .pth to python/, no extension copied into the source tree.
# Recreated from scratch whenever the requirements or the package's metadata change.
$(WHEEL_STAMP): requirements-dev.txt pyproject.toml
	rm -rf $(WHEEL_VENV)
	python3 -m venv $(WHEEL_VENV)
	$(WHEEL_PY) -m pip install -q --upgrade pip
	$(WHEEL_PY) -m pip install -q -r requirements-dev.txt
	touch $@

wheel-venv: $(WHEEL_STAMP)

# The wheel and every extra into .venv-wheel, replacing the package a previous run installed.
wheel-install: wheel $(WHEEL_STAMP)
	@whl=$$(ls $(DIST)/*.whl)
	extras=$$($(PY) -c 'import tomllib; print(",".join(tomllib.load(open("$(ROOT)/pyproject.toml", "rb"))["project"]["optional-dependencies"]))')
	$(WHEEL_PY) -m pip uninstall -q -y agentdb-embedded 2>/dev/null || true
	$(WHEEL_PY) -m pip install -q --no-deps --force-reinstall "$$whl"
	# Every extra must resolve from the index (test_installed.py checks each is satisfied).
	$(WHEEL_PY) -m pip install -q "$$whl[$$extras]"

test-wheel: check-sdist wheel-install
	# The suite runs from a copy: tests that put <repo>/python on sys.path or PYTHONPATH (for the
	# source-tree run) find nothing there, so every import is the installed package.
	@rm -rf $(WHEEL_TEST_DIR) && mkdir -p $(WHEEL_TEST_DIR)
	# README.md and bench/ too: tests run the README's examples and check the benchmark harness.
	cp -r $(ROOT)/tests $(ROOT)/examples $(ROOT)/bench $(ROOT)/README.md $(ROOT)/pyproject.toml $(WHEEL_TEST_DIR)/
	find $(WHEEL_TEST_DIR) -name __pycache__ -prune -exec rm -rf {} +
	cd $(WHEEL_TEST_DIR)
	start=$$SECONDS
	AGENTDB_TEST_INSTALLED=1 AGENTDB_SOURCE_ROOT=$(ROOT) AGENTDB_DIST=$(DIST) AGENTDB_SDIST_WHEEL=$(SDIST_WHEEL) \
	MYPY_CACHE_DIR=$(WHEEL_VENV)/.mypy_cache $(WHEEL_PY) -m pytest -q tests
	echo ">> Python suite against the installed wheel: $$((SECONDS - start)) s"

# Re-executes examples/quickstart.ipynb against the installed wheel and stores it with its outputs
# (tests/test_notebook.py executes it again in `make test` and checks the stored copy has them).
notebook: wheel-install
	@tmp=$$(mktemp -d)
	cd $$tmp
	$(WHEEL_PY) -c 'import sys, nbformat; from nbclient import NotebookClient; nb = nbformat.read(sys.argv[1], as_version=4); NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False).execute(); nbformat.write(nb, sys.argv[1])' $(ROOT)/examples/quickstart.ipynb
	rm -rf $$tmp
