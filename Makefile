# edgelive — the two commands: `make run` starts the appliance, `make test` passes the tests.
SWIFT ?= swift
RELEASE_BIN := .build/release/edgelive
# One release configuration for everything (run, tests, bench, the .deb): the Swift runtime linked statically,
# so the tested binary is the shipped one and the two never rebuild each other.
RELEASE := -c release --static-swift-stdlib --product edgelive
DATA_DIR ?= ./data
ARGS ?=
# make fuzz: seconds per fuzz target (FUZZ_TARGETS empty = all; scripts/fuzz.sh list). make test runs each for
# FUZZ_TEST_SECONDS.
FUZZ_SECONDS ?= 300
FUZZ_TEST_SECONDS ?= 6
FUZZ_TARGETS ?=

.PHONY: run test build release unit e2e bench setup clean deb fuzz

setup:
	@scripts/setup.sh run

build:
	$(SWIFT) build

release:
	$(SWIFT) build $(RELEASE)

run:
	@scripts/setup.sh run
	@$(SWIFT) build $(RELEASE)
	exec $(RELEASE_BIN) serve --data-dir $(DATA_DIR) $(ARGS)

# Unit tests run one at a time: tests that run ffmpeg or libx264 synchronously hold Swift's cooperative threads (one per
# core, two here) for seconds, and in parallel they starved the timing-sensitive network tests (a stalled fake server,
# an idle timeout overtaken). Serial they take about a minute.
SWIFT_TEST := $(SWIFT) test --no-parallel

test:
	@scripts/setup.sh test
	$(SWIFT) build $(RELEASE)
	$(SWIFT_TEST)
	scripts/fuzz.sh run $(FUZZ_TEST_SECONDS)
	SWIFT=$(SWIFT) scripts/build-deb.sh > .build/deb-path
	EDGELIVE_BIN=$(RELEASE_BIN) EDGELIVE_DEB=$$(tail -n1 .build/deb-path) .venv/bin/pytest -q Tests/e2e

# .build/deb/edgelive_<version>_<arch>.deb: release binary with the Swift runtime linked statically, units,
# default configuration; see systemd/README.md.
deb:
	@scripts/setup.sh deb
	SWIFT=$(SWIFT) scripts/build-deb.sh

# Every fuzz target (Tests/Fuzz, libFuzzer + AddressSanitizer) for FUZZ_SECONDS each, then a table: target,
# executions, exec/s, crashes, corpus size. Fails on a crash and prints the reproducer's path.
fuzz:
	@scripts/setup.sh fuzz
	scripts/fuzz.sh run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

unit:
	$(SWIFT_TEST)

e2e:
	@scripts/setup.sh test
	$(SWIFT) build $(RELEASE)
	EDGELIVE_BIN=$(RELEASE_BIN) .venv/bin/pytest -q Tests/e2e

bench:
	@scripts/setup.sh bench
	$(SWIFT) build $(RELEASE)
	EDGELIVE_BIN=$(RELEASE_BIN) python3 scripts/bench.py

clean:
	rm -rf .build data
