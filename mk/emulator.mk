# SPDX-License-Identifier: MIT
#
# mk/emulator.mk: the emulator core (host build, no QEMU), libnpu's emu
# plugin, QEMU with the qnpu device, and the core's libFuzzer target.
# Included by the top Makefile; variables and paths are its own.

EMU_SRCS := $(wildcard emulator/core/*.c)
EMU_OBJS := $(EMU_SRCS:emulator/core/%.c=$(B)/emu/%.o)
# QEMU's own warnings, so the core is clean when QEMU compiles it.
EMU_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -Iemulator/core -Ihw -Iuapi/drm \
	-Wmissing-prototypes -Wstrict-prototypes -Wshadow=local -Wvla \
	-Wold-style-definition -Wundef -Wwrite-strings -Wtype-limits \
	-Wimplicit-fallthrough=2

$(B)/emu/%.o: emulator/core/%.c $(wildcard emulator/core/*.h hw/*.h uapi/drm/*.h)
	@mkdir -p $(@D)
	$(CC) $(EMU_CFLAGS) -c $< -o $@

$(B)/emu/libqnpu-emu.a: $(EMU_OBJS)
	rm -f $@ && $(AR) rcs $@ $^

# libnpu's "emu" executor: the core as a plugin (GPL, loaded with dlopen).
EMU_PIC_OBJS := $(EMU_SRCS:emulator/core/%.c=$(B)/emu-pic/%.o)

$(B)/emu-pic/%.o: emulator/core/%.c $(wildcard emulator/core/*.h hw/*.h uapi/drm/*.h)
	@mkdir -p $(@D)
	$(CC) $(EMU_CFLAGS) -fPIC -c $< -o $@

$(B)/lib/libnpu-emu.so.0: emulator/plugin/npu_emu.c emulator/plugin/npu_emu_abi.h \
		$(EMU_PIC_OBJS)
	@mkdir -p $(@D)
	$(CC) $(EMU_CFLAGS) -fPIC -shared -Wl,-soname,libnpu-emu.so.0 $(filter-out %.h,$^) -o $@ \
		-lpthread

# QEMU (Debian's 10.0 source) with the qnpu device.
qemu:
	tools/build-qemu.sh

EMU_SIM := tests/host/emu_sim.c tests/host/emu_sim.h

# Fuzzing (libFuzzer, clang 14).
FUZZ_SECONDS ?= 60
FUZZ_CC := clang-14
FUZZ_CFLAGS := -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iemulator/core -Ihw -Iuapi/drm -Itests/host

$(B)/fuzz/fuzz_job: tests/fuzz/fuzz_job.c $(EMU_SIM) $(EMU_SRCS) \
		$(wildcard emulator/core/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $< tests/host/emu_sim.c $(EMU_SRCS) -o $@ -lpthread

$(B)/fuzz/seeds/.done: tests/fuzz/make-seeds.py
	python3 tests/fuzz/make-seeds.py $(@D) && touch $@

# make fuzz FUZZ_SECONDS=N: run the fuzz target for N seconds (corpus kept).
fuzz: $(B)/fuzz/fuzz_job $(B)/fuzz/seeds/.done
	@mkdir -p $(B)/fuzz/corpus
	$(B)/fuzz/fuzz_job -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
		$(B)/fuzz/corpus $(B)/fuzz/seeds
