# sitegate: `make demo` runs the whole system on this machine, `make test` runs every test.
# Both install what is missing first (Debian packages through apt, Go modules).

export PATH := /usr/local/go/bin:$(PATH)
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X sitegate/agent/gateway.Version=$(VERSION) -X sitegate/agent/gateway.Commit=$(COMMIT)
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: OpenCV for the camera and vision code (cgo), mosquitto as the real broker in
# tests, gcc and pkg-config for cgo.
APT_PKGS := libopencv-dev mosquitto gcc g++ pkg-config

.PHONY: all deps build demo test test-short fuzz bench vet clean

all: build

deps:
	@command -v $(GO) >/dev/null || { echo "Go is not installed (expected at /usr/local/go)"; exit 1; }
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@$(GO) mod download

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/sitegate ./agent/cmd/sitegate

demo: build
	./bin/sitegate demo

vet: deps
	$(GO) vet ./...

# The whole suite, with the race detector. Tests start their own brokers on loopback ports.
test: deps vet
	$(GO) test -race -count=1 -timeout 20m ./...

test-short: deps
	$(GO) test -short -count=1 ./...

# Run every fuzz target for FUZZTIME each (the seed corpora already run in `make test`).
FUZZTIME ?= 30s
fuzz: deps
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
