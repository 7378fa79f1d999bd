# Rhizome: build, demo and test entry points.
#
#   make demo   install prerequisites, build, bring up the demo lab, run a command on every host
#   make test   install prerequisites, build, run the whole test suite (unit + lab integration)
#   make build  release builds of the controller and the static agent into bin/
#
# Both `demo` and `test` work on a fresh Debian 12 machine as root.

SHELL := /bin/bash
SWIFT ?= swift
BIN := bin
AGENT_SCRATCH := .build-agent
# The agent links static archives through the project's own pkg-config files.
STATIC_PKG_CONFIG := $(CURDIR)/pkgconfig/static

.PHONY: all deps build agent controller demo test lab-down clean

all: build

deps:
	@scripts/install-deps

controller:
	$(SWIFT) build -c release --product rhizome
	@mkdir -p $(BIN)
	install -m 755 "$$($(SWIFT) build -c release --show-bin-path)/rhizome" $(BIN)/rhizome

agent:
	PKG_CONFIG_PATH=$(STATIC_PKG_CONFIG) $(SWIFT) build -c release --product rhizome-agent \
		--static-swift-stdlib -Xswiftc -static-executable --scratch-path $(AGENT_SCRATCH)
	@mkdir -p $(BIN)
	strip -o $(BIN)/rhizome-agent.tmp $(AGENT_SCRATCH)/release/rhizome-agent
	mv -f $(BIN)/rhizome-agent.tmp $(BIN)/rhizome-agent
	gzip -9 -n -c $(BIN)/rhizome-agent > $(BIN)/rhizome-agent.gz
	@scripts/check-agent $(BIN)/rhizome-agent

build: controller agent

demo: deps build
	topology/lab up topology/demo.yml
	$(BIN)/rhizome exec -i topology/demo.yml all -m command -a 'uname -srm'
	$(BIN)/rhizome exec -i topology/demo.yml all -m ping
	$(BIN)/rhizome topology -i topology/demo.yml --probe

# The lab starts fresh (nothing left by an earlier run or a benchmark) and is
# taken down afterwards, whatever the result.
test: deps build
	topology/lab down --all
	RHIZOME_AGENT=$(CURDIR)/$(BIN)/rhizome-agent RHIZOME_BIN=$(CURDIR)/$(BIN)/rhizome \
		$(SWIFT) test --no-parallel 2>&1 | tee .test-output.log; status=$${PIPESTATUS[0]}; \
		topology/lab down --all; exit $$status

lab-down:
	topology/lab down --all

clean:
	rm -rf .build $(AGENT_SCRATCH) $(BIN)
