# Fault tests (docs/testing.md#fault-tests): included by the Makefile. `make test` runs the short versions
# of cluster/chaos with everything else; `make chaos` runs the long ones: more checks, pings
# and fault rounds (kill -9, rolling restart, SIGSTOP, PostgreSQL restart on a private
# instance, kill/restart cycles), one scenario at a time on three real ttrd processes.
# CHAOS_RUN picks scenarios (a go test -run pattern), e.g. make chaos CHAOS_RUN=TestPauseNode.

CHAOS_RUN ?= .

.PHONY: chaos
chaos: ## long fault scenarios on 3 ttrd processes (about 10 min)
	./.ci/ensure-postgres
	TTR_CHAOS_LONG=1 $(GO) test -count=1 -p 1 -timeout 60m -v -run '$(CHAOS_RUN)' ./cluster/chaos/
