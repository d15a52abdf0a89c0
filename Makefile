# Switchboard — developer entry points. Everything needs only Go; the targets
# install what else they need (wrk for bench, the linter through npm).
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...
SWAG  := $(GO) tool swag
DOCS_DIRS := cmd/gateway,internal/handlers,internal/domain

.PHONY: run test vet docs docs-check bench lint fuzz soak build

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

## docs: regenerate api/openapi.yaml (OpenAPI 3.1) from the swag annotations.
docs:
	@tmp=$$(mktemp -d) && \
	$(SWAG) init --v3.1 --quiet -g main.go -d $(DOCS_DIRS) -o $$tmp --outputTypes yaml >/dev/null && \
	mv $$tmp/swagger.yaml api/openapi.yaml && rm -rf $$tmp
	@echo "api/openapi.yaml regenerated"

## docs-check: fail when api/openapi.yaml is stale.
docs-check:
	@tmp=$$(mktemp -d) && \
	$(SWAG) init --v3.1 --quiet -g main.go -d $(DOCS_DIRS) -o $$tmp --outputTypes yaml >/dev/null && \
	if ! diff -q $$tmp/swagger.yaml api/openapi.yaml >/dev/null; then \
		diff -u api/openapi.yaml $$tmp/swagger.yaml | head -40; rm -rf $$tmp; \
		echo "api/openapi.yaml is stale: run 'make docs' and commit it"; exit 1; \
	fi; rm -rf $$tmp

## lint: lint the OpenAPI document with Redocly CLI (installed through npm on first use) and run go vet.
lint: vet
	npx --yes @redocly/cli@1 lint --format=stylish api/openapi.yaml

## bench: testing.B benchmarks of the hot paths.
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
