# SPDX-License-Identifier: MIT
#
# qnpu: one make for the whole stack, its rules in mk/*.mk by concern.
# Everything built goes under build/ (git-ignored); heavy trees (QEMU, the
# kernels) are reused.
#
#   make deps        install the Debian packages the project needs
#   make             driver, libnpu, tools, QEMU, guest kernel
#   make check       host tests and VM tests; ends "N passed, N failed"
#   make arm64       the arm64 lane: qemu-system-aarch64, Debian's arm64
#                    kernel, qnpu.ko and the guest programs cross-built
#   make demo        boot a VM with the NPU and run the demo
#   make bench       benchmarks
#   make install     DESTDIR=... PREFIX=...

SHELL := /bin/bash
TOP := $(CURDIR)
B := $(TOP)/build
PREFIX ?= /usr/local
DESTDIR ?=
UDEVDIR ?= /lib/udev

CC ?= gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-unused-parameter
KSELFTEST := $(B)/ksrc/linux-source-6.12/tools/testing/selftests
KSCRIPTS := $(B)/ksrc/linux-source-6.12/scripts
DRM_CFLAGS = $(shell pkg-config --cflags libdrm)
DRM_LIBS = $(shell pkg-config --libs libdrm)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka)

# Guest kernel version, known once `make deps` has run.
KV = $(shell cat $(B)/kver 2>/dev/null)
KDIR = /lib/modules/$(KV)/build

.PHONY: all deps driver libnpu tools qemu kernel ksrc check check-host \
	check-vm check-vm-debug kernel-debug driver-debug check-arm64 arm64 arm64-kernel \
	arm64-driver arm64-programs qemu-aarch64 check-lint check-fuzz check-conformance conformance fuzz model demo \
	bench install clean \
	distclean help

all: driver libnpu tools qemu kernel

help:
	@sed -n '3,15p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@mkdir -p $(B)
	@tools/deps.sh > $(B)/kver.new && mv $(B)/kver.new $(B)/kver

RESULTS := $(B)/test-results

include mk/driver.mk mk/libnpu.mk mk/emulator.mk mk/vm.mk mk/arm64.mk \
	mk/tests.mk mk/demo.mk mk/install.mk

check:
	@$(MAKE) -s deps
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@$(MAKE) -s check-lint check-host check-conformance check-fuzz check-vm \
		check-vm-debug check-arm64; \
		tools/test-summary $(RESULTS)

# ---- clean -----------------------------------------------------------
# clean keeps the heavy trees (QEMU, kernel); distclean removes build/.
clean:
	rm -rf $(B)/driver $(B)/driver-debug $(B)/libnpu $(B)/lib $(B)/emu $(B)/bin $(B)/tests \
		$(B)/arm64 $(RESULTS)

distclean:
	rm -rf $(B)
