# The retention soak (docs/operations.md "Retention"): included by the Makefile, not part of
# `make test`. Two ttrd nodes on fresh stores — one with a small --ping-log-limit and the
# retention pass every minute, one keeping every ping — take 1,000 checks' pings at a fixed
# rate in alternating one-minute slices for SOAK_DURATION each (so about twice that in all);
# after every slice both stores' sizes are sampled. The report (bin/soak-<store>/soak.md)
# compares throughput and p99 and says whether the pruned store stayed flat once every check
# reached the limit; on PostgreSQL it also shows pg_stat_user_tables for the pings table
# (live and dead rows, autovacuum runs). SOAK_FLAGS passes any `ttr-bench soak` flag.

SOAK_STORE    ?= sqlite
SOAK_DURATION ?= 10m
SOAK_FLAGS    ?=

.PHONY: soak
soak: ## retention soak: pruned vs unpruned node, interleaved, ≥ 20 min (SOAK_STORE=sqlite|postgres)
	$(GO) build -trimpath -o $(BIN)/ttrd ./cmd/ttrd
	cd $(BENCH_MOD) && $(GO) build -trimpath -o $(CURDIR)/$(BIN)/ttr-bench .
	if [ "$(SOAK_STORE)" = postgres ]; then ./.ci/ensure-postgres; fi
	./$(BIN)/ttr-bench soak -store $(SOAK_STORE) -duration $(SOAK_DURATION) -bin $(BIN) -out $(BIN)/soak-$(SOAK_STORE) $(SOAK_FLAGS)
