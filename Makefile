# jwt-micro-system task runner. `make` alone lists the targets.

GO          ?= go
MODULES     := shared auth-api web-frontend loadtest e2e
PKGS        := $(addsuffix /...,$(addprefix ./,$(MODULES)))
BIN         := bin
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -s -w -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
# (stderr dropped: make up must not open with "go: not found" on a machine without Go)
STATICCHECK := $(shell $(GO) env GOPATH 2>/dev/null)/bin/staticcheck
BENCHTIME   ?= 1s
BENCHCOUNT  ?= 1
FUZZTIME    ?= 60s
# Allowed RSS growth between the soak's first and last window (0.10: 10 %).
SOAK_MAX_RSS_GROWTH ?= 0.10

.DEFAULT_GOAL := help
.PHONY: help build test lint bench fuzz clean tools load soak

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# auth-api: -tags nomsgpack builds gin without its MessagePack codec (unused; about 1.5 MiB less).
build: ## build bin/auth-api and bin/web-frontend (static, trimmed)
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -tags nomsgpack -ldflags '$(LDFLAGS)' -o $(BIN)/auth-api ./auth-api
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/web-frontend ./web-frontend

test: ## run every test that needs no containers, with the race detector
	$(GO) test -race -count=1 $(PKGS)
	@# Login timing (unknown user vs wrong password) is measured without -race.
	$(GO) test -count=1 -run '^TestLoginTimingDoesNotRevealUsers$$' -v ./auth-api/internal/server

tools: $(STATICCHECK) ## install the pinned lint tools

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: tools ## gofmt check, go vet, staticcheck
	@unformatted=$$(gofmt -l $(MODULES)); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

bench: ## run the Go benchmarks (benchstat-ready; BENCHTIME, BENCHCOUNT)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(BENCHCOUNT) $(PKGS)

fuzz: ## run each fuzz target for FUZZTIME (default 60s)
	FUZZTIME=$(FUZZTIME) bash scripts/fuzz.sh

load: ## wrk on loopback, interleaved with a trivial server: ratios, logins vs bcrypt, memory (LOAD_DURATION=10s)
	$(GO) run ./loadtest/cmd/load

SOAK_DURATION ?= 2m
SOAK_WORKERS  ?= 8

soak: ## mixed load on loopback for SOAK_DURATION (default 2m): no 5xx, nothing lost, flat RSS
	$(GO) run ./loadtest/cmd/soak -duration $(SOAK_DURATION) -workers $(SOAK_WORKERS) -max-rss-growth $(SOAK_MAX_RSS_GROWTH)

clean: ## remove build output; stop the stack and remove the images it made (the database volume stays)
	rm -rf $(BIN)
	@if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then \
		scripts/down.sh --images; \
	else \
		echo "clean: no Docker engine answers: no images to remove"; \
	fi

# ---- Docker Compose stack (scripts/*.sh, loadtest/cmd/image; compose v2 plugin or docker-compose v1) ----
.PHONY: up down logs e2e builder-image

up: ## check Docker, builder image (offline one if no registry), .env (fresh secrets), compose up --build
	@scripts/up.sh $(UP_ARGS)

down: ## stop and remove the stack's containers (DOWN_ARGS=-v: the database volume too; --images: our images)
	@scripts/down.sh $(DOWN_ARGS)

logs: ## follow the stack's logs
	@scripts/compose.sh logs -f --tail=100

builder-image: ## make the offline Go builder image from the host toolchain; prints its tag
	@$(GO) run ./loadtest/cmd/image builder

e2e: ## build the images offline, run the stack in containers and drive it over HTTP (SKIP_E2E=1 without Docker)
	@scripts/e2e.sh

# ---- Docker Swarm (deploy/stack.yml; loadtest/cmd/swarm) ----
.PHONY: swarm-up swarm-down swarm-e2e

swarm-up: ## deploy the stack on Swarm with PostgreSQL (3+3 replicas; creates a single-node swarm if none)
	$(GO) run ./loadtest/cmd/swarm up

swarm-down: ## remove what swarm-up made (and the swarm, if swarm-up created it)
	$(GO) run ./loadtest/cmd/swarm down

swarm-e2e: ## fresh single-node swarm under load: replicas, kills, postgres restart, rolling update; removes it all
	$(GO) run ./loadtest/cmd/swarm e2e
