# Rhizome: build, demo and test entry points.
#
#   make demo   install prerequisites, build, bring up the demo lab, run a command on every host
#   make test   install prerequisites, build, run the whole test suite (unit + lab integration)
#   make build  release builds of the controller and the static agent into bin/
#   make install [PREFIX=/usr/local] [DESTDIR=]   install what `make build` made,
#               shell completions and the man page; `make uninstall` removes exactly that
#   make man    regenerate docs/rhizome.1 with swift-argument-parser's generate-manual plugin
#   make fuzz [FUZZ_SECONDS=20]   every libFuzzer target for that long (at once); a crash fails
#               and leaves its input where the unit tests replay it (see Fuzz/run-all.sh)
#
# Both `demo` and `test` work on a fresh Debian 12 machine as root.

SHELL := /bin/bash
SWIFT ?= swift
BIN := bin
AGENT_SCRATCH := .build-agent
# The agent links static archives through the project's own pkg-config files.
STATIC_PKG_CONFIG := $(CURDIR)/pkgconfig/static

# Installation layout. The controller finds the agent at ../libexec/rhizome/
# from its own directory (AgentLocator.installedRelativePath), so PREFIX can be anything.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
AGENTDIR := $(PREFIX)/libexec/rhizome
MANDIR := $(PREFIX)/share/man/man1
BASH_COMPLETIONS := $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETIONS := $(PREFIX)/share/zsh/site-functions
FISH_COMPLETIONS := $(PREFIX)/share/fish/vendor_completions.d
# Every file install writes; uninstall removes these and nothing else.
INSTALLED := $(BINDIR)/rhizome $(AGENTDIR)/rhizome-agent $(AGENTDIR)/rhizome-agent.gz $(MANDIR)/rhizome.1 \
	$(BASH_COMPLETIONS)/rhizome $(ZSH_COMPLETIONS)/_rhizome $(FISH_COMPLETIONS)/rhizome.fish

# Seconds each fuzz target runs in `make fuzz` and `make test`.
FUZZ_SECONDS ?= 20

.PHONY: all deps build agent controller demo test fuzz lab-down clean install uninstall man

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
# taken down afterwards, whatever the result. Fuzzing runs after the suite,
# whatever its result, and fails the run when it finds something.
test: deps build
	topology/lab down --all
	RHIZOME_AGENT=$(CURDIR)/$(BIN)/rhizome-agent RHIZOME_BIN=$(CURDIR)/$(BIN)/rhizome \
		$(SWIFT) test --no-parallel 2>&1 | tee .test-output.log; status=$${PIPESTATUS[0]}; \
		topology/lab down --all; \
		Fuzz/run-all.sh $(FUZZ_SECONDS) || status=1; exit $$status

fuzz:
	Fuzz/run-all.sh $(FUZZ_SECONDS)

lab-down:
	topology/lab down --all

# Builds only what is missing: `make build && sudo make install` builds as the
# user and installs as root.
$(BIN)/rhizome:
	$(MAKE) controller
$(BIN)/rhizome-agent $(BIN)/rhizome-agent.gz &:
	$(MAKE) agent

install: $(BIN)/rhizome $(BIN)/rhizome-agent $(BIN)/rhizome-agent.gz
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(AGENTDIR)" "$(DESTDIR)$(MANDIR)" \
		"$(DESTDIR)$(BASH_COMPLETIONS)" "$(DESTDIR)$(ZSH_COMPLETIONS)" "$(DESTDIR)$(FISH_COMPLETIONS)"
	install -m 755 $(BIN)/rhizome "$(DESTDIR)$(BINDIR)/rhizome"
	install -m 755 $(BIN)/rhizome-agent "$(DESTDIR)$(AGENTDIR)/rhizome-agent"
	install -m 644 $(BIN)/rhizome-agent.gz "$(DESTDIR)$(AGENTDIR)/rhizome-agent.gz"
	install -m 644 docs/rhizome.1 "$(DESTDIR)$(MANDIR)/rhizome.1"
	$(BIN)/rhizome --generate-completion-script bash > "$(DESTDIR)$(BASH_COMPLETIONS)/rhizome"
	$(BIN)/rhizome --generate-completion-script zsh > "$(DESTDIR)$(ZSH_COMPLETIONS)/_rhizome"
	$(BIN)/rhizome --generate-completion-script fish > "$(DESTDIR)$(FISH_COMPLETIONS)/rhizome.fish"

# The shared directories stay; libexec/rhizome is ours and goes when empty.
uninstall:
	for file in $(INSTALLED); do rm -f "$(DESTDIR)$$file"; done
	rmdir "$(DESTDIR)$(AGENTDIR)" 2>/dev/null || true

# The page is checked in, so that installing needs no further build. The
# plugin builds every product first: in debug mode that is the build tests
# already made (release would optimise the agent and benchmarks for nothing),
# and the page is the same.
man:
	$(SWIFT) package plugin generate-manual --configuration debug
	cp .build/plugins/GenerateManual/outputs/rhizome/rhizome.1 docs/rhizome.1

clean:
	rm -rf .build $(AGENT_SCRATCH) $(BIN)
