# The Makefile is the project's interface: `make run` and `make test` set up a fresh machine.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO      ?= go
BIN     := bin
DATA    ?= ./data
ADDR    ?= 127.0.0.1:8080
# BENCH_MOD is the benchmark harness's own module (see bench.mk).
BENCH_MOD := cmd/ttr-bench

.PHONY: help
help: ## list targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

.PHONY: build
build: ## build bin/ttrd
	$(GO) build -trimpath -o $(BIN)/ttrd ./cmd/ttrd

.PHONY: run
run: build ## build and start one node on the embedded store (data in ./data)
	./$(BIN)/ttrd --http-addr $(ADDR) --data-dir $(DATA)

.PHONY: test
test: ## all tests (unit, both stores, actors, end-to-end on the real binary, web UI in headless Chromium)
	./.ci/ensure-postgres
	./.ci/ensure-tools
	./.ci/ensure-chromium
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v /cluster/chaos)
	@# The fault tests run three ttrd processes with timing bounds: alone, so the other
	@# packages' tests do not starve them of the machine's two cores.
	$(GO) test -count=1 -timeout 20m ./cluster/chaos/
	@# The benchmark harness is a module of its own (cmd/ttr-bench/go.mod), so that its
	@# plotting libraries stay out of the daemon's module graph; `go list ./...` skips it.
	cd $(BENCH_MOD) && $(GO) vet ./... && $(GO) test -race -count=1 ./...

.PHONY: test-web
test-web: ## the web UI's tests: pages, sessions, and the browser journeys in headless Chromium
	./.ci/ensure-chromium
	$(GO) test -count=1 ./http/session/ ./http/account/ ./http/web/...
	$(GO) test -count=1 -run 'TestWeb|TestCookie|TestStatusPage' ./cmd/ttrd/

.PHONY: screenshots
screenshots: ## every web UI page in light and dark as PNGs in docs/screenshots/ (headless Chromium)
	./.ci/ensure-chromium
	TTR_SCREENSHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^(TestScreenshots|TestStatusPagePublic)$$' ./cmd/ttrd/

.PHONY: generate
generate: ## regenerate protobuf code with the pinned tools (no system protoc)
	cd messages && $(GO) tool buf generate

.PHONY: lint
lint: ## gofmt, go vet, generated code up to date
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	cd $(BENCH_MOD) && $(GO) vet ./...
	$(GO) test -count=1 -run TestGeneratedCodeIsCurrent ./messages/

.PHONY: fuzz
fuzz: ## run each fuzzer for a minute
	$(GO) test -run '^$$' -fuzz FuzzParseCron -fuzztime 60s ./actors/schedule/
	$(GO) test -run '^$$' -fuzz FuzzParseOnCalendar -fuzztime 60s ./actors/schedule/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 60s ./http/pingpath/
	$(GO) test -run '^$$' -fuzz FuzzDecodeMeta -fuzztime 60s ./cluster/
	$(GO) test -run '^$$' -fuzz FuzzDecodeEnvelope -fuzztime 60s ./cluster/
	$(GO) test -run '^$$' -fuzz FuzzParsePingQuery -fuzztime 60s ./http/
	$(GO) test -run '^$$' -fuzz FuzzDecodeCheckBody -fuzztime 60s ./http/

.PHONY: cluster-up
cluster-up: build ## three nodes on 127.0.0.1:8081-8083 sharing the local PostgreSQL
	./.ci/cluster up

.PHONY: cluster-down
cluster-down: ## stop the three local nodes
	./.ci/cluster down

.PHONY: clean
clean: ## remove build output (not ./data)
	rm -rf $(BIN)

include bench.mk

include chaos.mk
include soak.mk
