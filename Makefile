# Both servers, their database and their checks. `make help` lists targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO       ?= go
BIN      := bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
DEV_DB   := scripts/dev-db.sh
# Loads the database URLs (and TEST_DATABASE_URL, PG_BINDIR) from the running cluster.
DB_ENV   = eval "$$(bash $(DEV_DB) env)"

.PHONY: help run test build db db-stop db-status migrate bench validate interop lint deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deps: ## download Go modules
	@echo "deps: downloading Go modules (first time only)" >&2
	$(GO) mod download

build: ## build both binaries into bin/
	@echo "build: compiling bin/codebase-mcp and bin/workflow-mcp (the first build compiles the tree-sitter grammars with cgo: about 2 minutes on 2 cores; later builds take seconds)" >&2
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/codebase-mcp ./cmd/codebase-mcp
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/workflow-mcp ./cmd/workflow-mcp

db: ## install (if needed) and start the local PostgreSQL + pgvector cluster
	@echo "db: starting the local PostgreSQL cluster (the first time it installs PostgreSQL and builds pgvector: about 30 s to a few minutes)" >&2
	bash $(DEV_DB) start >/dev/null

db-stop: ## stop the local cluster
	bash $(DEV_DB) stop

db-status: ## show the local cluster's state
	bash $(DEV_DB) status

migrate: db build ## apply both servers' migrations to the local databases
	$(DB_ENV); export LOG_FORMAT=$${LOG_FORMAT:-text}; $(BIN)/codebase-mcp migrate && $(BIN)/workflow-mcp migrate

run: deps migrate ## start the database and both servers in the foreground (Ctrl-C stops both)
	bash scripts/run.sh

test: db ## unit, integration and end-to-end tests against the local database, and go vet
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/...
	$(GO) vet -tags interop ./test/interop/...
	$(DB_ENV); $(GO) test -race -count=1 -tags e2e ./...

bench: migrate ## /health and /metrics latency of both servers, search over HTTP on 10,000 generated files (reports in bench-results/)
	bash scripts/bench.sh

.PHONY: load-full soak cover
# The scenario suite (test/scenarios) through test/cmd/validate: progress while it runs, then
# performance_reports/<timestamp>/report.{json,md,html}, a summary, exit 1 on a failure or regression.
VALIDATE_PROFILE ?= short
validate: db ## the six-scenario validation suite and performance report (VALIDATE_PROFILE=ci|short|full; about 20 min on 2 cores)
	$(DB_ENV); $(GO) run ./test/cmd/validate --profile $(VALIDATE_PROFILE)

load-full: db ## scenario 4 with the spec's full load profile (2 m ramp to 10, 5 m to 50, 10 m hold, 2 m down)
	$(DB_ENV); $(GO) run ./test/cmd/validate --profile full --run 'Scenario4'

soak: db ## 1-hour load at 50 clients, sampling RSS, CPU, goroutines and pool utilization (growth in the report)
	$(DB_ENV); $(GO) run ./test/cmd/validate --profile soak --run 'Scenario4/Ramp'

# Coverage of the server code (the packages the two binaries link; test helpers and test/ tools are
# not counted) from up to three sources, merged block by block: the unit and integration tests with
# -coverpkg (cross-package calls count), the e2e and security suites running coverage binaries
# (go build -cover, counters in GOCOVERDIR; see test/testbin) and, with COVER_SCENARIOS=1, the
# scenario suite's ci profile the same way (about 3 minutes more).
COVER     := $(BIN)/coverage
COVER_SCENARIOS ?=
cover: db ## coverage of unit, integration, e2e and security tests (binaries too): bin/coverage/coverage.html, packages.txt
	rm -rf $(COVER) && mkdir -p $(COVER)/binaries $(COVER)/scenarios
	@echo "cover: unit and integration tests (go test -coverpkg)" >&2
	mod=$$($(GO) list -m); pkgs=$$($(GO) list -deps ./cmd/codebase-mcp ./cmd/workflow-mcp | grep "^$$mod/" | paste -sd, -); \
	$(DB_ENV); $(GO) test -count=1 -covermode=count -coverpkg="$$pkgs" -coverprofile=$(COVER)/unit.out ./... \
	  | sed -E 's/ of statements in .*/ of statements in the server packages/'
	@echo "cover: e2e and security suites against coverage binaries" >&2
	$(DB_ENV); COVER_BINARIES_DIR=$(abspath $(COVER))/binaries $(GO) test -count=1 -tags e2e ./test/e2e/... ./test/security/...
	if [ -n "$(COVER_SCENARIOS)" ]; then \
	  echo "cover: scenario suite, ci profile, against coverage binaries" >&2; \
	  $(DB_ENV); COVER_BINARIES_DIR=$(abspath $(COVER))/scenarios VALIDATE_PROFILE=ci $(GO) test -count=1 -timeout 40m -tags scenarios ./test/scenarios; \
	fi
	@# A server killed (not stopped) writes no counters: say how many runs did.
	for d in binaries $(if $(COVER_SCENARIOS),scenarios); do \
	  runs=$$(ls $(COVER)/$$d | grep -c '^covcounters\.' || true); \
	  if [ "$$runs" -eq 0 ]; then echo "cover: no server process wrote coverage counters to $(COVER)/$$d" >&2; exit 1; fi; \
	  echo "cover: $$runs server processes wrote coverage counters to $(COVER)/$$d" >&2; \
	  $(GO) tool covdata textfmt -i=$(COVER)/$$d -o $(COVER)/$$d.out; \
	done
	mod=$$($(GO) list -m); \
	{ echo "# Statement coverage of the packages linked into codebase-mcp and workflow-mcp."; \
	  echo "# UNIT: go test -coverpkg ./... (unit and integration tests, real PostgreSQL)."; \
	  echo "# BINARIES: the binaries built with -cover, run by the e2e and security suites."; \
	  $(if $(COVER_SCENARIOS),echo "# SCENARIOS: the same binaries run by the scenario suite (ci profile)."; ,) \
	  echo "# COVERAGE: a statement counts as covered if any source ran it."; \
	  $(GO) run ./test/cmd/covertable -o $(COVER)/coverage.out -trim "$$mod/" unit=$(COVER)/unit.out binaries=$(COVER)/binaries.out \
	    $(if $(COVER_SCENARIOS),scenarios=$(COVER)/scenarios.out); \
	} | tee $(COVER)/packages.txt
	$(GO) tool cover -html=$(COVER)/coverage.out -o $(COVER)/coverage.html
	@echo "cover: $(COVER)/coverage.html and $(COVER)/packages.txt (merged profile: $(COVER)/coverage.out)" >&2

interop: db ## the official TypeScript and Go MCP SDK clients and mcp-go's SSE client against both servers (needs node and npm)
	$(DB_ENV); $(GO) test -count=1 -tags interop ./test/interop/...

.PHONY: scale
# Private clusters (primary + pg_basebackup standby), two replicas of each server, nginx; see test/scale.
# SCALE_OUT=file.json keeps the figures; SCALE_ONCE_FILES, SCALE_KILL_FILES, SCALE_LOAD_TIME, SCALE_CONCURRENCY size it.
scale: db ## scale-out test: 2 replicas of each server behind nginx on a primary + streaming replica, a replica killed mid-job; search throughput (about 5 min)
	$(DB_ENV); $(GO) test -count=1 -v -timeout 30m -tags scale -run TestScaleOut ./test/scale/...

lint: ## gofmt and go vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./test/...

clean: ## remove build output (the database in .data/ is kept)
	rm -rf $(BIN)
