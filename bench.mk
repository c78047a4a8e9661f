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
	$(MAKE) bench-dashboard

# The dashboard's costs (docs/benchmarks.md "Dashboard"): a 100-row page of a 1,000-check
# account rendered, and the aggregate's 304 answer to a poll, on one core.
.PHONY: bench-dashboard
bench-dashboard: ## dashboard render and 304-poll benchmarks (~1 min)
	$(GO) test ./http/web/ -run '^$$' -bench 'Dashboard100Rows|Aggregate304' -benchtime 3s -cpu 1

.PHONY: bench-quick
bench-quick: bench-build ## benchmark smoke test, scenarios scaled down (~1.5 min): results in bin/bench-quick/
	./.ci/ensure-postgres
	./$(BIN)/ttr-bench run -quick -bin $(BIN) -via 'make bench-quick' $(BENCH_FLAGS)
