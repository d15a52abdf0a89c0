# Switchboard — developer entry points. Everything needs only Go; the targets
# install what else they need (wrk for bench, the linter through npm).
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...
SWAG  := $(GO) tool swag
OAPI  := $(GO) tool oapi-codegen
REDOCLY_VERSION ?= 2.77.0
DOCS_DIRS := cmd/gateway,internal/handlers,internal/domain

.PHONY: run test vet docs docs-check bench lint fuzz build

## run: start the gateway with sandbox upstreams and in-memory stores; prints a caller token and a curl line.
run:
	SWITCHBOARD_SANDBOX=$${SWITCHBOARD_SANDBOX:-true} $(GO) run ./cmd/gateway

## build: a static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/gateway ./cmd/gateway

## test: vet, race-enabled tests, and a check that api/openapi.yaml matches the annotations.
test: vet docs-check
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

vet:
	$(GO) vet $(PKGS)

# gen-openapi writes the document generated from the annotations to $(1):
# swag v2 (OpenAPI 3.1), then openapifix for what swag cannot express.
define gen-openapi
	tmp=$$(mktemp -d) && \
	$(SWAG) init --v3.1 --quiet -g main.go -d $(DOCS_DIRS) -o $$tmp --outputTypes yaml 2>/dev/null >/dev/null && \
	$(GO) run ./internal/tools/openapifix < $$tmp/swagger.yaml > $(1) && rm -rf $$tmp
endef

# gen-client writes the typed Go client generated from the document $(1)
# to $(2) (oapi-codegen; the 3.1 document is read as it is).
define gen-client
	$(OAPI) -config client/oapi-codegen.yaml $(1) > $(2)
endef

## docs: regenerate api/openapi.yaml (OpenAPI 3.1) from the swag annotations, and the typed client in client/.
docs:
	@$(call gen-openapi,api/openapi.yaml)
	@$(call gen-client,api/openapi.yaml,client/client.gen.go)
	@echo "api/openapi.yaml and client/client.gen.go regenerated"

## docs-check: fail when api/openapi.yaml or client/client.gen.go is stale.
docs-check:
	@out=$$(mktemp) && gen=$$(mktemp) && $(call gen-openapi,$$out) && $(call gen-client,$$out,$$gen) && \
	if ! diff -q $$out api/openapi.yaml >/dev/null; then \
		diff -u api/openapi.yaml $$out | head -40; rm -f $$out $$gen; \
		echo "api/openapi.yaml is stale: run 'make docs' and commit it"; exit 1; \
	fi; \
	if ! diff -q $$gen client/client.gen.go >/dev/null; then \
		diff -u client/client.gen.go $$gen | head -40; rm -f $$out $$gen; \
		echo "client/client.gen.go is stale: run 'make docs' and commit it"; exit 1; \
	fi; rm -f $$out $$gen

## lint: lint the OpenAPI document with Redocly CLI (installed through npm on first use) and run go vet.
lint: vet
	npx --yes @redocly/cli@$(REDOCLY_VERSION) lint --format=stylish api/openapi.yaml

## bench: testing.B benchmarks and wrk load runs (about 50 min on 2 idle cores); prints the table and writes docs/BENCHMARKS.md.
##        BENCHFLAGS passes flags to ./bench (e.g. BENCHFLAGS='-duration 5s -economy 0').
bench:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "bench: installing wrk"; \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(GO) run ./bench $(BENCHFLAGS)

## fuzz: run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/action
	$(GO) test -run '^$$' -fuzz '^FuzzParsePhone$$' -fuzztime $(FUZZTIME) ./internal/action
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime $(FUZZTIME) ./internal/auth
	$(GO) test -run '^$$' -fuzz '^FuzzParseTenants$$' -fuzztime $(FUZZTIME) ./internal/config

## soak: a bounded mixed workload (reads, writes with idempotency keys, injected upstream faults, mirrored
## live accounts with SSE clients and webhook receivers, an empty Redis restart, a replica SIGKILLed) over
## 3 replicas on a redis-server of its own for SOAK_DURATION (default 5m); prints the figures of the
## README's "Soak" section.
SOAK_DURATION ?= 5m
.PHONY: soak overload
soak:
	$(GO) run ./internal/tools/soak -duration $(SOAK_DURATION)

## overload: 10x every tenant's inbound limit over 3 replicas for OVERLOAD_DURATION (default 2m).
OVERLOAD_DURATION ?= 2m
overload:
	$(GO) run ./internal/tools/soak -overload -overload-duration $(OVERLOAD_DURATION)
