# SPDX-License-Identifier: GPL-2.0
#
# speaker: build, test and demo entry points (Debian 12, as root).
#
#   make              install what is missing, build module/speaker.ko for
#                     the 6.12 kernel, the user-space tools and the selftests
#   make check        build for 6.12 and 6.1 and run the selftests in a VM
#                     on each; ends with "N passed, N failed"
#   make demo         show speaker at work
#   make checkpatch   checkpatch.pl --strict on module/
#   make clean
#
# KDIR=DIR builds the in-place module against another kernel tree.

# Evaluated when used (after deps), so a fresh machine gets its kernels first.
KDIR ?= /lib/modules/$(shell scripts/kver.sh 6.12)/build

CHECKPATCH := build/ksrc/scripts/checkpatch.pl
# The module's own sources: what git tracks or would track (generated files
# are ignored), or, outside a git checkout, all but kbuild's *.mod.c.
MODULE_SOURCES = $(or $(shell git ls-files -co --exclude-standard \
	'module/*.[ch]' 2>/dev/null),$(filter-out %.mod.c,$(wildcard module/*.[ch])))
TOOLS_DIR := tools/seccomp-compile

.PHONY: all deps module tools selftests check demo checkpatch clean

all: module tools selftests

deps:
	@scripts/deps.sh

module: deps
	@scripts/build-module --in-place --kdir $(KDIR) 6.12

tools: deps
	@if [ -f $(TOOLS_DIR)/Makefile ]; then $(MAKE) -C $(TOOLS_DIR); fi

selftests: deps
	@$(MAKE) -C selftests

check: deps
	@scripts/check

demo: deps
	@echo "The demo arrives with the real-services work (redis, nginx,"
	@echo "mariadb under speaker in a VM). For now: make check."

checkpatch: deps
	@scripts/ksrc-extract
	$(CHECKPATCH) --no-tree --strict --terse -f $(MODULE_SOURCES)

clean:
	@if [ -f $(TOOLS_DIR)/Makefile ]; then $(MAKE) -C $(TOOLS_DIR) clean; fi
	@if [ -f $(KDIR)/Makefile ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build
