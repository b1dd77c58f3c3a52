# SPDX-License-Identifier: GPL-2.0
#
# speaker: build, test and demo entry points (Debian 12, as root).
#
#   make              install what is missing, build module/speaker.ko for
#                     the 6.12 kernel, the user-space tools and the selftests
#   make check        build for 6.12 and 6.1 and run the selftests in a VM
#                     on each; ends with "N passed, N failed"
#   make demo         show speaker at work: redis in Docker in a VM, traced,
#                     enforced, attacked; APP=nginx or APP=mariadb for the
#                     others, ARGS= for scripts/demo's options
#   make checkpatch   checkpatch.pl --strict on module/
#   make bench        benchmarks in a VM per kernel (6.12, 6.1), side by
#                     side with native seccomp; writes BENCHMARKS.md
#   make install      speaker.ko into /lib/modules/KVER/updates (depmod),
#                     tools, helper scripts, man pages and profiles under
#                     PREFIX (/usr/local); DESTDIR is honoured
#   make uninstall    removes what make install put there
#   make dkms-source  module sources and dkms.conf to /usr/src/speaker-VERSION
#   make check-dkms   dkms build and install for both kernels, in a
#                     private tree (needs dkms, which deps.sh leaves out)
#   make check-install  make install with DESTDIR=/, depmod and modprobe in
#                     a VM on both kernels (slow: depmod under TCG)
#   make check-containers  the OCI hook under podman and the exported
#                     seccomp profile under Docker, in a VM on both kernels
#   make fuzz         the long fuzz run (FUZZ_INPUTS, default 1000000) of
#                     selftests/fuzz in a VM (FUZZ_KERNEL, default 6.12)
#   make debug-check  build a KASAN/lockdep/kmemleak 6.12 kernel (hours,
#                     cached) and run every selftest on it (not in CI)
#   make clean
#
# KDIR=DIR builds the in-place module against another kernel tree.
# KVER=VERSION installs for another kernel than the running one (uname -r);
# KO=FILE installs that module file instead of building one.

# Evaluated when used (after deps), so a fresh machine gets its kernels first.
KDIR ?= /lib/modules/$(shell scripts/kver.sh 6.12)/build

CHECKPATCH := build/ksrc/scripts/checkpatch.pl
# The module's own sources: what git tracks or would track (generated files
# are ignored), or, outside a git checkout, all but kbuild's *.mod.c.
MODULE_SOURCES = $(or $(shell git ls-files -co --exclude-standard \
	'module/*.[ch]' 2>/dev/null),$(filter-out %.mod.c,$(wildcard module/*.[ch])))
TOOLS_DIR := tools/seccomp-compile
HOOK_DIR := tools/oci-hook

PREFIX ?= /usr/local
KVER ?= $(shell uname -r)
KO ?= build/$(KVER)/module/speaker.ko
VERSION = $(shell sed -n 's/^\#define SPEAKER_VERSION[[:space:]]*"\(.*\)"$$/\1/p' module/speaker.h)
BINDIR = $(DESTDIR)$(PREFIX)/bin
SHAREDIR = $(DESTDIR)$(PREFIX)/share/speaker
MODULE_DEST = $(DESTDIR)/lib/modules/$(KVER)/updates
DKMS_SRC = $(DESTDIR)/usr/src/speaker-$(VERSION)
PROFILES = $(notdir $(patsubst %/booting,%,$(wildcard profiles/*/booting)))
# depmod only where the module is installed for real, not into a staging DESTDIR.
DEPMOD = if [ -z "$(DESTDIR)" ] || [ "$(DESTDIR)" = / ]; then depmod -a $(KVER); \
	else echo "DESTDIR is set: run depmod -a $(KVER) on the target"; fi

.PHONY: all deps module tools selftests check demo checkpatch clean \
	install install-module install-tools uninstall dkms-source check-dkms \
	check-install check-containers bench

all: module tools selftests

deps:
	@scripts/deps.sh

module: deps
	@scripts/build-module --in-place --kdir $(KDIR) 6.12

tools: deps
	@if [ -f $(TOOLS_DIR)/Makefile ]; then $(MAKE) -C $(TOOLS_DIR); fi
	@$(MAKE) -C $(HOOK_DIR)

selftests: deps
	@$(MAKE) -C selftests

check: deps
	@scripts/check

bench: deps
	@scripts/bench/run

demo: deps
	@scripts/demo --app $(or $(APP),redis) $(ARGS)

checkpatch: deps
	@scripts/ksrc-extract
	$(CHECKPATCH) --no-tree --strict --terse -f $(MODULE_SOURCES)

clean:
	@if [ -f $(TOOLS_DIR)/Makefile ]; then $(MAKE) -C $(TOOLS_DIR) clean; fi
	@$(MAKE) -C $(HOOK_DIR) clean
	@if [ -f $(KDIR)/Makefile ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

# --- installation ---------------------------------------------------------
# Not behind deps: installing never runs apt-get. What is missing or older
# than its sources is built first.

install: install-module install-tools

build/%/module/speaker.ko: Kbuild $(MODULE_SOURCES) module/gen-syscall-names.sh
	@scripts/build-module $*

install-module: $(KO)
	install -D -m 0644 $(KO) $(MODULE_DEST)/speaker.ko
	@$(DEPMOD)

# speaker-run finds speaker-compile beside itself once installed.
install-tools:
	$(MAKE) -C $(TOOLS_DIR) install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	$(MAKE) -C $(HOOK_DIR) install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	install -D -m 0755 scripts/speaker-run $(BINDIR)/speaker-run
	@for p in $(PROFILES); do \
		echo "install profile $$p"; \
		install -d $(SHAREDIR)/profiles/$$p && \
		install -m 0644 profiles/$$p/booting profiles/$$p/running \
			profiles/$$p/shutdown $(SHAREDIR)/profiles/$$p/ || exit 1; \
	done

uninstall:
	rm -f $(MODULE_DEST)/speaker.ko
	@$(DEPMOD)
	rm -f $(BINDIR)/speaker-compile $(BINDIR)/speaker-run \
		$(DESTDIR)$(PREFIX)/share/man/man1/speaker-compile.1
	$(MAKE) -C $(HOOK_DIR) uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)
	rm -rf $(addprefix $(SHAREDIR)/profiles/,$(PROFILES))
	@rmdir $(SHAREDIR)/profiles 2>/dev/null || true
	@rmdir $(SHAREDIR) 2>/dev/null || true

# DKMS rebuilds the module from these for each new kernel: see dkms.conf.
dkms-source:
	@grep -q '^PACKAGE_VERSION="$(VERSION)"$$' dkms.conf || \
		{ echo "dkms.conf: PACKAGE_VERSION is not $(VERSION)" >&2; exit 1; }
	install -d $(DKMS_SRC)/module
	install -m 0644 dkms.conf Kbuild $(DKMS_SRC)/
	install -m 0644 $(MODULE_SOURCES) $(DKMS_SRC)/module/
	install -m 0755 module/gen-syscall-names.sh $(DKMS_SRC)/module/

check-dkms:
	@scripts/check-dkms

check-install:
	@scripts/check-guest install

check-containers:
	@scripts/check-guest containers

# --- hardening runs (not part of check) --------------------------------------

FUZZ_KERNEL ?= 6.12
FUZZ_INPUTS ?= 1000000
FUZZ_TIMEOUT ?= 21600

.PHONY: fuzz debug-check

# SPEAKER_FUZZ_SEED=N in the environment replays a run.
fuzz: deps
	@scripts/build-module $(FUZZ_KERNEL)
	@$(MAKE) -C selftests
	scripts/vm-run --kernel $(FUZZ_KERNEL) \
		--module build/$$(scripts/kver.sh $(FUZZ_KERNEL))/module/speaker.ko \
		--timeout $(FUZZ_TIMEOUT) --log build/fuzz-$(FUZZ_KERNEL).log \
		--env SPEAKER_FUZZ_LONG=$(FUZZ_INPUTS) \
		$(if $(SPEAKER_FUZZ_SEED),--env SPEAKER_FUZZ_SEED=$(SPEAKER_FUZZ_SEED)) \
		-- build/selftests/fuzz -t long_run

debug-check: deps
	@scripts/debug-kernel check
