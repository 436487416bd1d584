# driftgate build, test and benchmark targets. Everything runs offline: the
# test provider is built from test/provider and installed as a filesystem
# mirror, so terraform never needs the registry.

GO        ?= go
BIN       := bin
BUILD     := .build
MIRROR    := $(abspath $(BUILD)/mirror)
GOOS      := $(shell $(GO) env GOOS)
GOARCH    := $(shell $(GO) env GOARCH)
PROVIDER  := $(MIRROR)/registry.terraform.io/driftgate/dgtest/0.1.0/$(GOOS)_$(GOARCH)/terraform-provider-dgtest_v0.1.0
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GOTESTFLAGS ?=
STATICCHECK := $(abspath $(BUILD)/tools/staticcheck)
# OpenTofu for the second tier of the end-to-end tests, built from the Go
# module proxy by `make tofu`.
TOFU         := $(abspath $(BUILD)/tofu/tofu)
TOFU_VERSION ?= v1.10.10

export DRIFTGATE_TEST_MIRROR := $(MIRROR)

.PHONY: all build provider tofu gitea pebble test lint bench example example-stop example-pr example-pr-stop clean

all: lint build test

## build: the driftgate binary in bin/
build:
	$(GO) build -ldflags "-X main.buildVersion=$(VERSION)" -o $(BIN)/driftgate ./cmd/driftgate

## provider: the test provider, laid out as a filesystem mirror in .build/mirror
provider:
	$(GO) build -ldflags "-s -w" -o $(PROVIDER) ./test/provider

## tofu: OpenTofu $(TOFU_VERSION) built from the Go module proxy into .build/tofu (skipped when already built)
tofu:
	GO=$(GO) test/tools/build-tofu.sh $(TOFU_VERSION) $(TOFU)

## gitea: Gitea built from the Go module proxy into .build/gitea, for the
## tests against a real Gitea (skipped without it); idempotent
gitea:
	./test/tools/build-gitea.sh

## pebble: Let's Encrypt's ACME test server, from the Go module proxy into
## .build/pebble, for the ACME test (skipped without it); idempotent
pebble:
	./test/tools/build-pebble.sh

## test: every test (real terraform against the test provider); with
## .build/tofu/tofu built (make tofu), the end-to-end tests run against
## OpenTofu too (DRIFTGATE_TEST_TOFU)
test: provider
	DRIFTGATE_TEST_TOFU="$${DRIFTGATE_TEST_TOFU:-$(if $(wildcard $(TOFU)),$(TOFU))}" \
		$(GO) test -count=1 $(GOTESTFLAGS) ./...

## lint: gofmt, go vet and staticcheck
lint: $(STATICCHECK)
	@unformatted=$$(gofmt -l cmd planner runner store test); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

# staticcheck, pinned, built from the module proxy into .build/tools.
$(STATICCHECK):
	GOBIN=$(dir $(STATICCHECK)) $(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

## bench: discovery of 1,000 stacks, the plan ratio against raw terraform,
## run listing at 100k runs, store operations on PostgreSQL against bbolt,
## and 60 cold plans on 3 nodes against 1 node
bench: build provider
	$(GO) test -run '^$$' -bench 'Discover1000|Affected1000' -benchtime 20x ./planner
	$(GO) test -run '^$$' -bench 'Command1000' -benchtime 10x ./cmd/driftgate
	$(GO) test -run '^$$' -bench '^BenchmarkListRuns100k' -benchtime 300x ./store
	DRIFTGATE_TEST_POSTGRES_DURABLE=1 $(GO) test -run '^$$' -bench '^BenchmarkCompare' -benchtime 200x ./store ./store/postgres | $(GO) run ./test/bench/storeratio
	$(GO) run ./test/bench/planbench -driftgate $(BIN)/driftgate -mirror $(MIRROR)
	$(GO) run ./test/bench/planbench -driftgate $(BIN)/driftgate -mirror $(MIRROR) -cold-parallel 40 -parallel 2 -rounds 8
	$(GO) test -run '^$$' -bench '^BenchmarkCluster60$$' -benchtime 1x -timeout 30m ./test

## example: run driftgate on the bundled example (examples/quickstart)
example: build provider
	./examples/quickstart/run.sh $(abspath $(BIN)/driftgate) $(MIRROR)

## example-stop: stop the daemon make example started
example-stop:
	./examples/quickstart/run.sh --stop

## example-pr: the pull-request flow on a local Gitea (examples/pr): a PR on
## the bundled example gets driftgate's plan comment; without .build/gitea
## (make gitea) it says how to build it and exits 0
example-pr: build provider
	./examples/pr/run.sh $(abspath $(BIN)/driftgate) $(MIRROR) $(abspath $(BUILD)/gitea/gitea)

## example-pr-stop: stop the driftgate and Gitea make example-pr started
example-pr-stop:
	./examples/pr/run.sh --stop

clean:
	rm -rf $(BIN) $(BUILD)
