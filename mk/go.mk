# The Go module (go/, cgo over the C ABI, linking libagentdb.a statically) and its example.
# Included by the root Makefile, whose variables it uses: LIBDIR, ROOT.
#
#   make test-go    gofmt check, go vet, `go test -race ./...` in go/, and the quickstart example
#                   (examples/go/quickstart) built into one binary (no libagentdb.so needed: checked
#                   with ldd), run, and its output checked
#   make bench-go   `go test -bench` of search and writes (figures in bench/results/go.md)
#
# The Go caches live under ~/.cache/agentdb/go, so a clean clone needs nothing set up; modules (none
# today: the package uses the standard library only) would come from the Go module proxy.
# GOTOOLCHAIN=local: use the installed go, never download another one.

.PHONY: test-go bench-go

GO          ?= go
GO_CACHE    := $(HOME)/.cache/agentdb/go
GO_ENV      := GOPATH=$(GO_CACHE)/path GOCACHE=$(GO_CACHE)/build GOMODCACHE=$(GO_CACHE)/mod GOTOOLCHAIN=local \
               CGO_ENABLED=1 CGO_CFLAGS="-I$(ROOT)/include" CGO_LDFLAGS="-L$(LIBDIR)"
GO_OUT      := $(ROOT)/build/go

test-go: build
	@command -v $(GO) >/dev/null || { echo "go not found: install Go 1.26 (https://go.dev/dl/)"; exit 1; }
	cd $(ROOT)/go
	unformatted=$$(gofmt -l . $(ROOT)/examples/go)
	if [ -n "$$unformatted" ]; then echo "gofmt: $$unformatted" >&2; exit 1; fi
	$(GO_ENV) $(GO) vet ./...
	# object_store_test.go runs against moto on loopback, started for this command.
	$(GO_ENV) $(PY) $(ROOT)/tests/object_store_server.py run -- $(GO) test -race -count=1 ./...
	mkdir -p $(GO_OUT)
	cd $(ROOT)/examples/go
	$(GO_ENV) $(GO) vet ./...
	$(GO_ENV) $(GO) build -o $(GO_OUT)/quickstart ./quickstart
	if ldd $(GO_OUT)/quickstart | grep -q libagentdb; then echo "quickstart links libagentdb dynamically" >&2; exit 1; fi
	rm -rf $(GO_OUT)/quickstart-db
	$(GO_OUT)/quickstart $(GO_OUT)/quickstart-db | tee $(GO_OUT)/quickstart.out
	grep -q '^hit apple 0.000 a fruit$$' $(GO_OUT)/quickstart.out
	grep -q '^missing collection: ErrNotFound$$' $(GO_OUT)/quickstart.out
	grep -q '^recalled Ann likes green tea$$' $(GO_OUT)/quickstart.out
	grep -q '^rag reset$$' $(GO_OUT)/quickstart.out
	# Run again on the same directory: reopening finds what the first run wrote.
	$(GO_OUT)/quickstart $(GO_OUT)/quickstart-db | cmp - $(GO_OUT)/quickstart.out
	echo "ok   examples/go/quickstart (one static binary, run twice)"

bench-go: build
	cd $(ROOT)/go
	$(GO_ENV) $(GO) test -run '^$$' -bench . -benchtime 2s -count 1 ./...
