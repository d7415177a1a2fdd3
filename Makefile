# sitegate: `make demo` runs the whole system on this machine, `make test` runs every test.
# Both install what is missing first (Debian packages through apt, Go modules).

export PATH := /usr/local/go/bin:$(PATH)
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X sitegate/agent/gateway.Version=$(VERSION) -X sitegate/agent/gateway.Commit=$(COMMIT)
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages: OpenCV for the camera and vision code (cgo), mosquitto as the real broker in
# tests, gcc and pkg-config for cgo, libavcodec and libswscale for on-demand camera decoding.
APT_PKGS := libopencv-dev libavcodec-dev libswscale-dev mosquitto gcc g++ pkg-config ffmpeg chromium
# For `make font` only (the subset is committed): Noto Sans CJK and fontTools' subsetter.
FONT_PKGS := fonts-noto-cjk python3-fonttools

.PHONY: all deps font build demo test test-short test-faults fuzz bench budget vet clean

all: build

deps:
	@command -v $(GO) >/dev/null || { echo "Go is not installed (expected at /usr/local/go)"; exit 1; }
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@$(GO) mod download

# The evidence images' font: a subset of Noto Sans CJK SC Bold (agent/caption/font).
font:
	@missing=""; for p in $(FONT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	agent/caption/font/make-font.sh

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/sitegate ./agent/cmd/sitegate

demo: build
	./bin/sitegate demo

vet: deps
	$(GO) vet ./...

# The whole suite, with the race detector. Tests start their own brokers on loopback ports.
test: deps vet
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -tags matprofile -count=1 -run NoMatLeak ./drivers/camera/ ./models/mud/ ./agent/mudwatch/

# Store-and-forward fault tests against a real mosquitto (outages, SIGKILLs, broker restarts, a
# full 16 MiB tmpfs, mutual TLS): several minutes, and root for the tmpfs mount.
test-faults: deps
	$(GO) test -tags faults -count=1 -timeout 20m -v ./testbench/faults

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

# Instruction counts per event of each part, under callgrind (docs/budget.md); not in CI.
budget: deps
	@command -v valgrind >/dev/null || $(SUDO) apt-get install -y -qq --no-install-recommends valgrind
	GO=$(GO) ./testbench/budget/budget.sh

clean:
	rm -rf bin dist

# ---- arm64, camera-less builds, packages (docs/arm64-and-packages.md) ----
.PHONY: arm64-deps build-arm64 test-arm64 build-amd64 build-nocv test-nocv package

# arm64 with cgo: Debian's arm64 OpenCV lives in a sysroot (cross/arm64-sysroot.sh makes it once),
# the cross compilers build against it, and qemu-aarch64-static runs the results.
ARM64_SYSROOT ?= /var/cache/sitegate/sysroot-arm64
QEMU_ARM64    := $(CURDIR)/cross/qemu-arm64
ARM64_ENV     := CGO_ENABLED=1 GOOS=linux GOARCH=arm64 \
  CC="aarch64-linux-gnu-gcc --sysroot=$(ARM64_SYSROOT)" CXX="aarch64-linux-gnu-g++ --sysroot=$(ARM64_SYSROOT)" \
  PKG_CONFIG_SYSROOT_DIR=$(ARM64_SYSROOT) \
  PKG_CONFIG_LIBDIR=$(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu/pkgconfig:$(ARM64_SYSROOT)/usr/share/pkgconfig \
  SITEGATE_ARM64_SYSROOT=$(ARM64_SYSROOT)
# Shipped binaries: no symbol table or DWARF (stack traces keep their names).
RELEASE_FLAGS := -ldflags "$(LDFLAGS) -s -w"
# The static weighbridge-only build; GOFLAGS (not -tags) so that binaries tests build inherit it.
NOCV_ENV      := CGO_ENABLED=0 GOOS=linux GOFLAGS=-tags=nocv
# Debian versions start with a digit: v1.2.3 tags give 1.2.3, else 0~git<commits>.<commit>.
DEB_VERSION   ?= $(shell v=$$(git describe --tags --match 'v[0-9]*' 2>/dev/null) && echo "$${v#v}" | tr - + || echo "0~git$$(git rev-list --count HEAD 2>/dev/null || echo 0).$(COMMIT)")

arm64-deps:
	@cross/arm64-sysroot.sh $(ARM64_SYSROOT)

build-arm64: deps arm64-deps
	$(ARM64_ENV) $(GO) build $(RELEASE_FLAGS) -o bin/linux-arm64/sitegate ./agent/cmd/sitegate

build-amd64: deps
	CGO_ENABLED=1 GOOS=linux GOARCH=amd64 $(GO) build $(RELEASE_FLAGS) -o bin/linux-amd64/sitegate ./agent/cmd/sitegate

build-nocv: deps
	$(NOCV_ENV) GOARCH=amd64 $(GO) build $(RELEASE_FLAGS) -o bin/linux-amd64-nocv/sitegate ./agent/cmd/sitegate
	$(NOCV_ENV) GOARCH=arm64 $(GO) build $(RELEASE_FLAGS) -o bin/linux-arm64-nocv/sitegate ./agent/cmd/sitegate

# Every test, cross-compiled for arm64 and run under qemu (no -race: the race detector does not
# run under qemu-user; `make test` runs it natively). Tests that start the built agent run it
# through $SITEGATE_TEST_EXEC. The full log is kept in bin/test-arm64.log.
test-arm64: deps arm64-deps
	@mkdir -p bin
	@echo "go test ./... for linux/arm64 under qemu-aarch64-static"
	@start=$$(date +%s); \
	$(ARM64_ENV) SITEGATE_TEST_EXEC=$(QEMU_ARM64) $(GO) test -count=1 -timeout 30m -v -exec $(QEMU_ARM64) ./... > bin/test-arm64.log 2>&1; rc=$$?; \
	grep -E '^(ok|FAIL|---- FAIL|--- FAIL|panic:)|\[build failed\]|^\?' bin/test-arm64.log | grep -v '^?' ; \
	echo "arm64: $$(grep -c '^--- PASS' bin/test-arm64.log) tests passed ($$(grep -c '^ *--- PASS' bin/test-arm64.log) with subtests), $$(grep -c '^--- SKIP' bin/test-arm64.log) skipped, $$(grep -c '^--- FAIL' bin/test-arm64.log) failed, in $$(( $$(date +%s) - start )) s"; \
	exit $$rc

# The camera-less build: vet and test it natively, then its tests for arm64 under qemu.
test-nocv: deps arm64-deps
	$(NOCV_ENV) $(GO) vet ./...
	$(NOCV_ENV) $(GO) test -count=1 -timeout 20m ./...
	$(NOCV_ENV) GOARCH=arm64 SITEGATE_TEST_EXEC=$(QEMU_ARM64) $(GO) test -count=1 -timeout 20m -exec $(QEMU_ARM64) ./...

# .deb packages for amd64 and arm64, full (sitegate) and camera-less (sitegate-nocv), in dist/.
package: build-amd64 build-arm64 build-nocv
	@rm -rf dist && mkdir -p dist
	packaging/build-deb.sh -a amd64 -f cv   -b bin/linux-amd64/sitegate      -v $(DEB_VERSION) -o dist
	packaging/build-deb.sh -a arm64 -f cv   -b bin/linux-arm64/sitegate      -v $(DEB_VERSION) -o dist
	packaging/build-deb.sh -a amd64 -f nocv -b bin/linux-amd64-nocv/sitegate -v $(DEB_VERSION) -o dist
	packaging/build-deb.sh -a arm64 -f nocv -b bin/linux-arm64-nocv/sitegate -v $(DEB_VERSION) -o dist
	@ls -l dist
