# Hookflow — the targets a developer and CI use. `make help` lists them.
SHELL := /bin/bash
GO    ?= go
PKGS  ?= ./...
TESTFLAGS ?= -race -count=1 -timeout 15m
# SQLite's full-text search (FTS5) is compiled into the driver with this tag;
# every go command of this Makefile and of the tests it runs uses it.
export GOFLAGS := -tags=sqlite_fts5

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: run
run: build ## Build and serve on http://localhost:8080 with SQLite in ./data
	./bin/hookflow

.PHONY: build
build: ## Build bin/hookflow
	$(GO) build -o bin/hookflow ./cmd/hookflow

.PHONY: generate
generate: ## Generate Go from the templ components
	$(GO) tool templ generate

.PHONY: test
test: test-deps ## Install what the tests need, then run every test (unit, HTTP, SQLite, Postgres, browser, fuzz seeds)
	$(GO) test $(TESTFLAGS) $(PKGS)

.PHONY: test-deps
test-deps: ## Install Debian's chromium and postgresql when missing (as root)
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then echo "make test needs:$$missing (run as root, or install them: apt-get install$$missing)"; exit 1; fi; \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@if [ "$$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then echo "the postgres user is missing: apt-get install postgresql"; exit 1; fi

.PHONY: bench
bench: build ## Run the reference, mixed, endpoint and hookburst workloads and print their tables (DB=postgres for Postgres; DURATION=20s per concurrency; WORKLOAD=endpoint for one)
	$(GO) run ./cmd/hookflow-bench -db $(or $(DB),sqlite) -duration $(or $(DURATION),20s) -workload $(or $(WORKLOAD),reference,mixed,endpoint,hookburst-nohook,hookburst)

.PHONY: lint
lint: ## gofmt, go vet, and fail when generated files are stale
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool templ generate
	@if [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then echo "generated files are stale: run make generate and commit"; git status --porcelain -- '*_templ.go'; exit 1; fi

.PHONY: screenshots
screenshots: test-deps ## Refresh the README's screenshots under static/img/
	mkdir -p static/img
	HOOKFLOW_SCREENSHOTS=$(CURDIR)/static/img $(GO) test -count=1 -run 'TestBrowserBuildRegistrationFlow|TestBrowserConnectionFlowOnOff|TestBrowserFailedRunAndRerun' ./web/browser/

.PHONY: clean
clean: ## Remove build output and test artifacts (keeps ./data)
	rm -rf bin .artifacts
