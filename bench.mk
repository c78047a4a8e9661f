# Benchmarks (docs/benchmarks.md): included by the Makefile. Both targets build ttrd, the reference server
# and the harness first, make sure PostgreSQL answers (as `make test` does), and run
# cmd/ttr-bench, which installs wrk with apt-get when it is missing and we are root: the
# throughput configurations (reference, ttrd on SQLite, on PostgreSQL, a 3-node cluster), then
# the scenarios (idle checks, deadlines, alerts). BENCH_FLAGS passes any `ttr-bench run` flag.

BENCH_FLAGS ?=

.PHONY: bench-build
bench-build:
	$(GO) build -trimpath -o $(BIN)/ttrd ./cmd/ttrd
	$(GO) build -trimpath -o $(BIN)/ttr-ref ./cmd/ttr-ref
	@# A module of its own, built from its directory (its go.mod replaces the root module
	@# with this checkout).
	cd $(BENCH_MOD) && $(GO) build -trimpath -o $(CURDIR)/$(BIN)/ttr-bench .

.PHONY: bench
bench: bench-build ## full benchmark and scenarios (~11 min): results in docs/benchmarks.md and docs/bench-latest/
	./.ci/ensure-postgres
	./$(BIN)/ttr-bench run -bin $(BIN) -via 'make bench' $(BENCH_FLAGS)

.PHONY: bench-quick
bench-quick: bench-build ## benchmark smoke test, scenarios scaled down (~1.5 min): results in bin/bench-quick/
	./.ci/ensure-postgres
	./$(BIN)/ttr-bench run -quick -bin $(BIN) -via 'make bench-quick' $(BENCH_FLAGS)
