# gemini-code-api — proxy-wasm filter for Envoy. `make help` lists the targets.

WASM           := dist/gemini-code-api.wasm
ENVOY_VERSION  ?= $(shell cat .envoy-version)
FUNC_E_VERSION := v1.6.0
# staticcheck, pinned; installed into dist/tools by `make vet`.
STATICCHECK    := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOBIN          ?= $(shell go env GOPATH)/bin
FUNC_E         := $(or $(shell command -v func-e 2>/dev/null),$(GOBIN)/func-e)
GO_SOURCES     := $(shell find . -name '*.go' -not -path './e2e/*' -not -path './tools/*' -not -path './deploy/*' -not -name '*_test.go') go.mod go.sum
OCI_LAYOUT     := dist/oci
IMAGE          ?=
PUSH_FLAGS     ?=

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: $(WASM) ## Build dist/gemini-code-api.wasm (standard Go, wasip1, c-shared; then wasm-opt -Oz, from npm, when Node is installed)

# The module Go links is then shrunk by binaryen's wasm-opt (-Oz: code only,
# about 7 % of the module; BENCHMARKS.md, "The module's size"), pinned in
# tools/wasm-opt/package-lock.json and installed there with `npm ci` on first
# use. Without Node the module is left as Go linked it, with a warning (it is
# then over the size guard of `make bench-check`); a wasm-opt that fails fails
# the build. The flags enable exactly the features Go's wasm output uses.
WASM_LINKED    := dist/gemini-code-api.linked.wasm
WASM_OPT_DIR   := tools/wasm-opt
WASM_OPT       := $(WASM_OPT_DIR)/node_modules/.bin/wasm-opt
WASM_OPT_FLAGS := -Oz --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory-opt --strip-debug --strip-producers

$(WASM): $(GO_SOURCES) $(WASM_OPT_DIR)/package-lock.json
	@mkdir -p dist
	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags='-s -w' -o $(WASM_LINKED) .
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		if [ ! -x $(WASM_OPT) ] || [ $(WASM_OPT_DIR)/package-lock.json -nt $(WASM_OPT_DIR)/node_modules/.package-lock.json ]; then \
			npm ci --prefix $(WASM_OPT_DIR) --no-audit --no-fund --loglevel=error || echo "warning: npm ci in $(WASM_OPT_DIR) failed"; \
		fi; \
	fi
	@set -e; if command -v node >/dev/null 2>&1 && [ -x $(WASM_OPT) ]; then \
		echo "$(WASM_OPT) $(WASM_OPT_FLAGS) $(WASM_LINKED) -o $(WASM)"; \
		$(WASM_OPT) $(WASM_OPT_FLAGS) $(WASM_LINKED) -o $(WASM).tmp && mv $(WASM).tmp $(WASM); \
	else \
		echo "warning: wasm-opt unavailable (needs Node >= 20 and npm): $(WASM) is the module as Go linked it, not optimized"; \
		cp $(WASM_LINKED) $(WASM); \
	fi
	@ls -l $(WASM_LINKED) $(WASM) | awk '{print "built " $$9 ": " $$5 " bytes"}'

.PHONY: test
test: build vet ## Build the module, check formatting and vet, run every test (translators, filter in Go and wasm, e2e)
	GCA_WASM=$(CURDIR)/$(WASM) go test -count=1 ./...
	cd internal/gjsonpretty && go test -count=1 ./...

.PHONY: vet
vet: ## gofmt check, go vet and staticcheck on every package (and staticcheck on the module as built for wasm)
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './e2e/node/node_modules/*')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...
	@GOBIN=$(CURDIR)/dist/tools go install $(STATICCHECK)
	dist/tools/staticcheck ./...
	GOOS=wasip1 GOARCH=wasm dist/tools/staticcheck -tests=false . ./filter/... ./translators/...

.PHONY: bench
BENCH_TRANSLATORS := 'ChatRequest|Stream50Events|MessagesRequest|AgentTurn'

bench: build ## Benchmarks (BENCHMARKS.md): translators natively and compiled to wasm, then module time on the e2e host next to a do-nothing module, and linear memory over 100k requests
	go test -run '^$$' -bench $(BENCH_TRANSLATORS) -benchmem ./translators/openai/ ./translators/anthropic/
	@mkdir -p dist/bench && go build -o dist/bench/wazero github.com/tetratelabs/wazero/cmd/wazero
	@set -e; for p in openai anthropic; do \
		GOOS=wasip1 GOARCH=wasm go test -c -o dist/bench/$$p.test.wasm ./translators/$$p/; \
		echo "== translators/$$p compiled to wasip1, on wazero"; \
		(cd translators/$$p && ../../dist/bench/wazero run -mount=.:/ ../../dist/bench/$$p.test.wasm -test.run '^$$' -test.bench $(BENCH_TRANSLATORS) -test.benchmem | grep Benchmark); \
	done
	GCA_WASM=$(CURDIR)/$(WASM) go run ./tools/modbench -variants memstats,gcoff -memory $${BENCH_REQUESTS:-100000}

.PHONY: bench-check
bench-check: build ## CI guard: module time per scenario over the do-nothing module's, and module size, within tools/modbench/thresholds.json
	GCA_WASM=$(CURDIR)/$(WASM) go run ./tools/modbench -n 200 -memory 2000 -check tools/modbench/thresholds.json

# FUZZERS lists every fuzz target of the repository as <package dir>:<FuzzName>,
# found in the test files, so a new fuzzer is run without editing this file.
FUZZERS = $(shell grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' . | sed 's|/[^/]*:func |:|' | sort)

# run-fuzzers runs each of FUZZERS for $(1).
define run-fuzzers
	@set -e; for f in $(FUZZERS); do \
		pkg=$$(echo $$f | cut -d: -f1); name=$$(echo $$f | cut -d: -f2); \
		echo "== $$name ($$pkg), $(1)"; \
		go test $$pkg -run '^$$' -fuzz "^$$name\$$" -fuzztime $(1); \
	done
endef

.PHONY: fuzz
fuzz: ## Run every fuzzer in the repo (FUZZTIME each, default 30s)
	$(call run-fuzzers,$${FUZZTIME:-30s})

# fuzz-short bounds each fuzzer by a number of executions, not a duration:
# Go 1.26's fuzz coordinator can fail a duration-bound run with a spurious
# "context deadline exceeded" when its deadline races a busy worker
# (golang/go#75804, fixed in Go 1.27).
.PHONY: fuzz-short
fuzz-short: ## Run every fuzzer briefly, as CI does after make test (FUZZTIME each, default 20000x: an execution count, not a duration, golang/go#75804)
	$(call run-fuzzers,$${FUZZTIME:-20000x})

.PHONY: soak
soak: build ## Soak the module on the e2e host: mixed, hostile, cancelled and cut requests for SOAK (default 60s); no trap, no lost answer, flat memory
	GCA_SOAK=$${SOAK:-60s} GCA_WASM=$(CURDIR)/$(WASM) go test -count=1 -run '^TestSoak$$' -v ./e2e/

$(GOBIN)/func-e:
	go install github.com/tetratelabs/func-e/cmd/func-e@$(FUNC_E_VERSION)

.PHONY: run
run: build $(FUNC_E) ## Run Envoy (version from .envoy-version, via func-e) on envoy.yaml: listener :10000, admin 127.0.0.1:9901
	ENVOY_VERSION=$(ENVOY_VERSION) $(FUNC_E) run -c envoy.yaml

.PHONY: e2e-envoy
e2e-envoy: build $(FUNC_E) ## Run the e2e tests against a real Envoy (downloads it with func-e unless ENVOY_BIN is set)
	ENVOY_BIN="$${ENVOY_BIN:-$$(ENVOY_VERSION=$(ENVOY_VERSION) $(FUNC_E) which)}" \
		GCA_WASM=$(CURDIR)/$(WASM) go test ./e2e/... -count=1 -v

.PHONY: oci
oci: build ## Package the module as OCI images for Istio/Envoy Gateway in dist/oci (OCI layout; no Docker needed)
	go run ./tools/oci/cmd/gca-oci build -wasm $(WASM) -out $(OCI_LAYOUT)

.PHONY: push
push: ## Push dist/oci: IMAGE=registry/repo:tag gets the compat image, tag-oci the Wasm artifact (docker login credentials; PUSH_FLAGS=-insecure for plain HTTP)
	@if [ -z "$(IMAGE)" ]; then echo "usage: make push IMAGE=registry.example.com/gemini-code-api:0.1.0"; exit 2; fi
	@$(MAKE) --no-print-directory oci
	go run ./tools/oci/cmd/gca-oci push -layout $(OCI_LAYOUT) -image $(IMAGE) $(PUSH_FLAGS)

.PHONY: clean
clean: ## Remove build output
	rm -rf dist
