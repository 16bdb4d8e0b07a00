# SPDX-License-Identifier: MIT
#
# qnpu: one Makefile for the whole stack. Everything built goes under
# build/ (git-ignored); heavy trees (QEMU, the kernel) are reused.
#
#   make deps        install the Debian packages the project needs
#   make             driver, libnpu, tools, QEMU, guest kernel
#   make check       host tests and VM tests; ends "N passed, N failed"
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
	check-vm check-vm-debug kernel-debug driver-debug check-lint check-fuzz check-conformance conformance fuzz model demo \
	bench install clean \
	distclean help

all: driver libnpu tools qemu kernel

help:
	@sed -n '3,13p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@mkdir -p $(B)
	@tools/deps.sh > $(B)/kver.new && mv $(B)/kver.new $(B)/kver

# ---- kernel driver ---------------------------------------------------
DRIVER_SRC := Kbuild $(wildcard driver/*.c driver/*.h driver/Kbuild) \
	$(wildcard uapi/drm/*.h hw/*.h)

driver: $(B)/driver/driver/qnpu.ko

$(B)/driver/driver/qnpu.ko: $(DRIVER_SRC) | $(B)/kver
	@mkdir -p $(B)/driver
	@rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		--exclude '*.mod*' --exclude 'modules.order' --exclude 'Module.symvers' \
		driver $(B)/driver/
	@rsync -a Kbuild uapi hw $(B)/driver/
	$(MAKE) -s -C $(KDIR) M=$(B)/driver W=1 KCFLAGS=-Werror modules

$(B)/kver:
	$(MAKE) deps

# ---- libnpu ----------------------------------------------------------
NPU_SRCS := $(wildcard libnpu/src/*.c)
# The ONNX reader's protobuf code, generated from Debian's onnx.proto.
ONNX_PROTO := /usr/include/onnx/onnx.proto
ONNX_GEN := $(B)/onnx-gen
NPU_OBJS := $(NPU_SRCS:libnpu/src/%.c=$(B)/libnpu/%.o) $(B)/libnpu/onnx.pb-c.o
NPU_HDRS := $(wildcard libnpu/include/npu/*.h libnpu/src/*.h) $(ONNX_GEN)/onnx.pb-c.h
NPU_SOVER := 0
PROTOBUF_LIBS = $(shell pkg-config --libs libprotobuf-c)
NPU_LIBS = $(DRM_LIBS) $(PROTOBUF_LIBS) -lpthread -lm -ldl
NPU_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -fPIC -fvisibility=hidden \
	-Ilibnpu/include -Iuapi/drm -Ihw -I$(ONNX_GEN) $(DRM_CFLAGS)

$(ONNX_GEN)/onnx.pb-c.c $(ONNX_GEN)/onnx.pb-c.h: $(ONNX_PROTO)
	@mkdir -p $(ONNX_GEN)
	protoc-c --c_out=$(ONNX_GEN) -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

$(B)/libnpu/onnx.pb-c.o: $(ONNX_GEN)/onnx.pb-c.c $(ONNX_GEN)/onnx.pb-c.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -std=gnu11 -fPIC -fvisibility=hidden -I$(ONNX_GEN) -c $< -o $@

libnpu: $(B)/lib/libnpu.so $(B)/lib/libnpu.a $(B)/lib/libnpu-emu.so.0

$(B)/libnpu/%.o: libnpu/src/%.c $(NPU_HDRS) $(wildcard uapi/drm/*.h)
	@mkdir -p $(@D)
	$(CC) $(NPU_CFLAGS) -c $< -o $@

$(B)/lib/libnpu.so: $(NPU_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libnpu.so.$(NPU_SOVER) -o $@.$(NPU_SOVER) $^ $(NPU_LIBS)
	ln -sf libnpu.so.$(NPU_SOVER) $@

$(B)/lib/libnpu.a: $(NPU_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# ---- emulator core (host build, no QEMU) -----------------------------
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
	rm -f $@ && ar rcs $@ $^

# libnpu's "emu" executor: the core as a plugin (GPL, loaded with dlopen).
EMU_PIC_OBJS := $(EMU_SRCS:emulator/core/%.c=$(B)/emu-pic/%.o)

$(B)/emu-pic/%.o: emulator/core/%.c $(wildcard emulator/core/*.h hw/*.h uapi/drm/*.h)
	@mkdir -p $(@D)
	$(CC) $(EMU_CFLAGS) -fPIC -c $< -o $@

$(B)/lib/libnpu-emu.so.0: emulator/plugin/npu_emu.c $(EMU_PIC_OBJS)
	@mkdir -p $(@D)
	$(CC) $(EMU_CFLAGS) -fPIC -shared -Wl,-soname,libnpu-emu.so.0 $^ -o $@ \
		-lpthread

# ---- tools -----------------------------------------------------------
TOOL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -Ilibnpu/include

tools: $(B)/bin/npu-info $(B)/bin/npu-top $(B)/bin/npu-run $(B)/bin/hello_npu \
	$(B)/bin/conv_npu

$(B)/bin/npu-run: tools/npu-run.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS)

$(B)/bin/npu-top: tools/npu-top.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm -ldl

$(B)/bin/conv_npu: examples/conv_npu.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Werror -std=gnu11 -Ilibnpu/include -Iuapi $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm -ldl

$(B)/bin/hello_npu: examples/hello_npu.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Werror -std=gnu11 -Ilibnpu/include -Iuapi $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm

$(B)/bin/npu-info: tools/npu-info.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm -ldl

# ---- QEMU and the guest kernel ---------------------------------------
qemu:
	tools/build-qemu.sh

kernel: | $(B)/kver
	tools/fetch-kernel.sh

# Headers and scripts taken from Debian's linux-source-6.12.
ksrc: $(B)/ksrc/.done

$(B)/ksrc/.done:
	@mkdir -p $(B)/ksrc
	tar -C $(B)/ksrc -xJf /usr/src/linux-source-6.12.tar.xz --wildcards \
		'linux-source-6.12/tools/testing/selftests/kselftest*.h' \
		'linux-source-6.12/scripts/checkpatch.pl' \
		'linux-source-6.12/scripts/spelling.txt' \
		'linux-source-6.12/scripts/const_structs.checkpatch'
	touch $@

# ---- tests -----------------------------------------------------------
HOST_TESTS := $(patsubst tests/host/%.c,$(B)/tests/%,$(wildcard tests/host/test_*.c))
VM_TESTS := $(patsubst tests/vm/%.c,$(B)/bin/%,$(wildcard tests/vm/*_test.c))
RESULTS := $(B)/test-results

$(B)/tests/test_libnpu: tests/host/test_libnpu.c $(B)/lib/libnpu.a
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -Iuapi/drm -Ilibnpu/src $< -o $@ $(B)/lib/libnpu.a \
		$(NPU_LIBS) $(CMOCKA_LIBS) -lm

$(B)/tests/test_ref: tests/host/test_ref.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -Ilibnpu/src -Iuapi/drm $< -o $@ $(B)/lib/libnpu.a \
		$(NPU_LIBS) $(CMOCKA_LIBS) -lm

$(B)/tests/test_exec: tests/host/test_exec.c tests/lib/randnet.h $(B)/lib/libnpu.a \
		$(B)/lib/libnpu-emu.so.0
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -DEMU_PLUGIN_PATH='"$(B)/lib/libnpu-emu.so.0"' $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS) -lpthread -lm -ldl

$(B)/tests/test_onnx: tests/host/test_onnx.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS)

$(B)/tests/test_npy: tests/host/test_npy.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS)

$(B)/tests/test_onnx_import: tests/host/test_onnx_import.c $(B)/lib/libnpu.a \
		$(B)/lib/libnpu-emu.so.0 $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -DEMU_PLUGIN_PATH='"$(B)/lib/libnpu-emu.so.0"' $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS)

$(B)/tests/test_onnx_nodes: tests/host/test_onnx_nodes.c tests/lib/onnx_case.h \
		$(B)/lib/libnpu.a $(B)/lib/libnpu-emu.so.0 $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -DEMU_PLUGIN_PATH='"$(B)/lib/libnpu-emu.so.0"' $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS)

$(B)/tests/test_npu_run: tests/host/test_npu_run.c $(B)/lib/libnpu.a \
		$(B)/lib/libnpu-emu.so.0 $(B)/bin/npu-run $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -DEMU_PLUGIN_PATH='"$(B)/lib/libnpu-emu.so.0"' $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS)

TEST_MODELS := $(B)/test-models
$(TEST_MODELS)/.done: tests/models/make_test_models.py
	/usr/bin/python3 $< $(@D) && touch $@

$(B)/tests/test_onnx_ops: tests/host/test_onnx_ops.c $(B)/lib/libnpu.a \
		$(B)/lib/libnpu-emu.so.0 $(TEST_MODELS)/.done $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -DEMU_PLUGIN_PATH='"$(B)/lib/libnpu-emu.so.0"' \
		-DTEST_MODELS='"$(TEST_MODELS)"' $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) \
		$(CMOCKA_LIBS) -lm

$(B)/tests/test_quant: tests/host/test_quant.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS) -lm

EMU_SIM := tests/host/emu_sim.c tests/host/emu_sim.h

$(B)/tests/test_emu_%: tests/host/test_emu_%.c $(EMU_SIM) $(B)/emu/libqnpu-emu.a \
		$(B)/lib/libnpu.a
	@mkdir -p $(@D)
	$(CC) $(EMU_CFLAGS) -Ilibnpu/src -Ilibnpu/include $< tests/host/emu_sim.c -o $@ \
		$(B)/emu/libqnpu-emu.a $(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS) \
		-lpthread -lm

# The same test built with ThreadSanitizer: the worker pool, under races.
$(B)/tests/tsan/test_emu_vs_ref: tests/host/test_emu_vs_ref.c $(EMU_SIM) $(EMU_SRCS) \
		$(wildcard emulator/core/*.h) $(B)/lib/libnpu.a
	@mkdir -p $(@D)
	$(CC) $(EMU_CFLAGS) -O1 -fsanitize=thread -Ilibnpu/src -Ilibnpu/include $< \
		tests/host/emu_sim.c $(EMU_SRCS) -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) \
		$(CMOCKA_LIBS) -lpthread -lm

$(B)/bin/%_test: tests/vm/%_test.c $(wildcard uapi/drm/*.h tests/vm/*.h tests/lib/*.h) \
		$(B)/lib/libnpu.a | ksrc
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Werror -std=gnu11 -I$(KSELFTEST) -Iuapi/drm \
		-Ihw -Ilibnpu/include $(DRM_CFLAGS) $< -o $@ $(B)/lib/libnpu.a \
		$(NPU_LIBS) -lpthread -lm

# ---- fuzzing (libFuzzer, clang 14) -----------------------------------
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

check:
	@$(MAKE) -s deps
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@$(MAKE) -s check-lint check-host check-conformance check-fuzz check-vm \
		check-vm-debug; \
		tools/test-summary $(RESULTS)

# Conformance against ONNX Runtime (tests/conformance): COUNT random
# QLinearConv/QLinearMatMul models on emu and ref; make conformance for more.
CONF_COUNT ?= 600
CONF_SEED ?= 1
check-conformance conformance: libnpu tools
	@mkdir -p $(RESULTS)
	@tools/ort-setup.sh >/dev/null
	@tools/run-test conformance $(RESULTS) -- \
		tests/conformance/run $(B)/conformance $(CONF_COUNT) $(CONF_SEED)

check-host: $(HOST_TESTS) $(B)/tests/tsan/test_emu_vs_ref libnpu tools
	@mkdir -p $(RESULTS)
	@tools/run-test host-install $(RESULTS) -- tools/check-install
	@tools/run-test host-npu-run $(RESULTS) -- sh -c 'echo 1..3; \
		NPU_RUN_QUIET=1 NPU_EMU_PLUGIN=$(B)/lib/libnpu-emu.so.0 $(B)/bin/npu-run \
		--executor emu --images 300 --calib-images 50 --calib percentile \
		--json $(RESULTS)/npu-run.json models/fashion_mnist/fashion_mnist_cnn.onnx \
		>/dev/null && grep -q "\"int8_bytes\": 119376" $(RESULTS)/npu-run.json && \
		awk -F": " "/int8_top1/ { exit !(\$$2 + 0 > 0.88) }" $(RESULTS)/npu-run.json && \
		echo "ok 1 npu-run quantizes and evaluates the model on emu" || \
		{ cat $(RESULTS)/npu-run.json; echo "not ok 1 npu-run"; }; \
		NPU_RUN_QUIET=1 NPU_EMU_PLUGIN=$(B)/lib/libnpu-emu.so.0 $(B)/bin/npu-run \
		--executor emu --images 100 --calib-images 30 --granularity per-tensor \
		--sqnr 20 --json $(RESULTS)/npu-run-pt.json \
		models/fashion_mnist/fashion_mnist_cnn.onnx >/dev/null && \
		grep -q "\"granularity\": \"per-tensor\"" $(RESULTS)/npu-run-pt.json && \
		test $$(grep -c "sqnr_db" $(RESULTS)/npu-run-pt.json) -ge 8 && \
		awk -F": " "/sqnr_db/ { if (\$$3 + 0 < 10) bad = 1 } END { exit bad }" \
		$(RESULTS)/npu-run-pt.json && \
		echo "ok 2 npu-run per-tensor weights with per-layer SQNR" || \
		{ cat $(RESULTS)/npu-run-pt.json; echo "not ok 2 npu-run per-tensor/SQNR"; }; \
		rm -rf $(RESULTS)/plot; NPU_RUN_QUIET=1 $(B)/bin/npu-run --executor ref \
		--images 20 --calib-images 20 --calib entropy --plot-data $(RESULTS)/plot \
		models/fashion_mnist/fashion_mnist_cnn.onnx >/dev/null && \
		test $$(wc -l < $(RESULTS)/plot/sqnr.dat) -ge 9 && \
		grep -q entropy $(RESULTS)/plot/hist_range.dat && \
		tools/demo-plot $(RESULTS)/plot $(RESULTS)/plot/q.png && \
		head -c 4 $(RESULTS)/plot/q.png | grep -q PNG && \
		echo "ok 3 the demo plot from npu-run --plot-data" || \
		echo "not ok 3 demo plot"'
	@tools/run-test host-example-conv $(RESULTS) -- sh -c 'echo 1..2; \
		$(B)/bin/conv_npu ref && echo "ok 1 conv_npu on ref" || \
		echo "not ok 1 conv_npu on ref"; \
		NPU_EMU_PLUGIN=$(B)/lib/libnpu-emu.so.0 $(B)/bin/conv_npu emu && \
		echo "ok 2 conv_npu on emu" || echo "not ok 2 conv_npu on emu"' 
	@for t in $(HOST_TESTS); do \
		tools/run-test host-$$(basename $$t) $(RESULTS) -- \
			env CMOCKA_MESSAGE_OUTPUT=TAP $$t; \
	done
	@# without address randomisation: older TSan runtimes refuse the layouts
	@# of kernels with more mmap randomisation bits
	@tools/run-test host-tsan-test_emu_vs_ref $(RESULTS) -- setarch $$(uname -m) -R \
		env CMOCKA_MESSAGE_OUTPUT=TAP TSAN_OPTIONS=halt_on_error=1:exitcode=66 \
		$(B)/tests/tsan/test_emu_vs_ref

check-fuzz: $(B)/fuzz/fuzz_job $(B)/fuzz/seeds/.done
	@mkdir -p $(RESULTS)
	@tools/run-test fuzz-job $(RESULTS) -- tools/run-fuzz $(B)/fuzz/fuzz_job \
		$(FUZZ_SECONDS) $(B)/fuzz/corpus $(B)/fuzz/seeds

check-lint: driver ksrc
	@mkdir -p $(RESULTS)
	@tools/run-test lint-checkpatch $(RESULTS) -- tools/check-driver checkpatch
	@tools/run-test lint-sparse $(RESULTS) -- tools/check-driver sparse

ONNX_NODE := /usr/share/libonnx-testdata/data/node
ONNX_QCASES = $(filter-out %_expanded,$(wildcard $(ONNX_NODE)/test_*convinteger* \
	$(ONNX_NODE)/test_*quantizelinear* $(ONNX_NODE)/test_qlinear* \
	$(ONNX_NODE)/test_matmulinteger))

check-vm: driver qemu kernel tools $(VM_TESTS)
	@mkdir -p $(RESULTS)
	@tests/vm/run-lane vm $(RESULTS)

# The same VM selftests on a debug kernel (KASAN, lockdep, kmemleak, UBSAN,
# DMA-API debug, failslab; tools/debug-kernel/config), built once into a
# cache outside the checkout (tools/build-debug-kernel.sh), with a qnpu.ko
# built against it.
DEBUG_KDIR_FILE := $(B)/kernel-debug.dir

kernel-debug: | $(B)/kver
	@mkdir -p $(B)
	@tools/build-debug-kernel.sh > $(DEBUG_KDIR_FILE).new
	@mv $(DEBUG_KDIR_FILE).new $(DEBUG_KDIR_FILE)

driver-debug: kernel-debug $(DRIVER_SRC)
	@mkdir -p $(B)/driver-debug
	@rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		--exclude '*.mod*' --exclude 'modules.order' --exclude 'Module.symvers' \
		driver $(B)/driver-debug/
	@rsync -a Kbuild uapi hw $(B)/driver-debug/
	@d=$$(cat $(DEBUG_KDIR_FILE)); \
		$(MAKE) -s -C $$d/$$(cat $$d/version)/build M=$(B)/driver-debug W=1 \
		KCFLAGS="-Werror -g" modules

check-vm-debug: driver-debug qemu tools $(VM_TESTS)
	@mkdir -p $(RESULTS)
	@QNPU_VM_KERNEL_DIR=$$(cat $(DEBUG_KDIR_FILE)) \
		QNPU_VM_KO=$(B)/driver-debug/driver/qnpu.ko \
		tests/vm/run-lane vmdbg $(RESULTS) debug

# ---- the demo model --------------------------------------------------
# Retrain the Fashion-MNIST CNN (Debian's python3-torch); the ONNX file and
# its FP32 accuracy (model.json) are committed, so this is never required.
model:
	@tools/deps.sh model >/dev/null
	/usr/bin/python3 models/fashion_mnist/train.py

# ---- demo, bench -----------------------------------------------------
# The main job: quantize the Fashion-MNIST model by calibration and compile
# it (host), then boot a VM with the emulated NPU and run the 10,000 test
# images through the driver; FP32 accuracy comes from models/.../model.json.
DEMO_IMAGES ?= 10000
FM := /usr/share/datasets/fashion-mnist

demo:
	@$(MAKE) -s deps
	@$(MAKE) -s all
	@mkdir -p $(B)/demo
	NPU_RUN_QUIET=1 $(B)/bin/npu-run --executor ref --images 100 --sqnr 100 \
		--plot-data $(B)/demo/plot --save $(B)/demo/fashion.qnpu \
		--json $(B)/demo/host.json models/fashion_mnist/fashion_mnist_cnn.onnx
	tools/qnpu-vm --timeout 1800 --file $(B)/demo/fashion.qnpu:/data/fashion.qnpu \
		--file $(FM)/t10k-images-idx3-ubyte.gz:/data/fm/t10k-images-idx3-ubyte.gz \
		--file $(FM)/t10k-labels-idx1-ubyte.gz:/data/fm/t10k-labels-idx1-ubyte.gz \
		-- sh -c 'npu-info && NPU_RUN_QUIET=1 npu-run --program /data/fashion.qnpu \
		--dataset /data/fm --executor npu --images $(DEMO_IMAGES) \
		--json /tmp/demo.json && echo @@JSON && cat /tmp/demo.json' \
		> $(B)/demo/vm.log
	sed '/^@@JSON/,$$d' $(B)/demo/vm.log
	sed '1,/^@@JSON/d' $(B)/demo/vm.log > $(B)/demo/vm.json
	tools/demo-plot $(B)/demo/plot $(B)/demo/quantization.png
	tools/demo-report models/fashion_mnist/model.json $(B)/demo/host.json \
		$(B)/demo/vm.json $(B)/demo.json $(B)/demo/quantization.png

$(B)/bench/bench_emu: bench/bench_emu.c $(EMU_SIM) $(B)/emu/libqnpu-emu.a
	@mkdir -p $(@D)
	$(CC) $(EMU_CFLAGS) -O3 -Itests/host $< tests/host/emu_sim.c -o $@ \
		$(B)/emu/libqnpu-emu.a -lpthread

# Benchmarks (not tests): the emulator core next to ONNX Runtime and
# PyTorch in one run, the demo's model end to end, the driver's overhead;
# a table on stdout, build/bench.json and docs/performance.md.
bench:
	@mkdir -p $(B)
	@tools/deps.sh bench > $(B)/kver.new && mv $(B)/kver.new $(B)/kver
	@$(MAKE) -s all $(B)/bench/bench_emu $(B)/bin/npu_overhead
	bench/run $(B)/bench

# Driver overhead, run in a VM: tools/qnpu-vm -- npu_overhead
$(B)/bin/npu_overhead: bench/npu_overhead.c $(wildcard uapi/drm/*.h hw/*.h \
		libnpu/include/npu/*.h) $(B)/lib/libnpu.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Werror -std=gnu11 -Iuapi/drm -Ihw -Ilibnpu/include \
		$(DRM_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm

# ---- install ---------------------------------------------------------
install: libnpu tools
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/npu \
		$(DESTDIR)$(PREFIX)/include/drm $(DESTDIR)$(PREFIX)/bin
	install -m 644 libnpu/include/npu/*.h $(DESTDIR)$(PREFIX)/include/npu/
	install -m 644 uapi/drm/qnpu_accel.h uapi/drm/qnpu_cmdbuf.h \
		$(DESTDIR)$(PREFIX)/include/drm/
	install -m 755 $(B)/lib/libnpu.so.$(NPU_SOVER) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libnpu.so.$(NPU_SOVER) $(DESTDIR)$(PREFIX)/lib/libnpu.so
	install -m 644 $(B)/lib/libnpu.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/lib/libnpu-emu.so.0 $(DESTDIR)$(PREFIX)/lib/
	sed -e 's|@PREFIX@|$(PREFIX)|' libnpu/libnpu.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/libnpu.pc
	install -m 755 $(B)/bin/npu-info $(B)/bin/npu-top $(B)/bin/npu-run \
		$(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(UDEVDIR)/rules.d
	install -m 644 driver/70-qnpu.rules $(DESTDIR)$(UDEVDIR)/rules.d/

# ---- clean -----------------------------------------------------------
# clean keeps the heavy trees (QEMU, kernel); distclean removes build/.
clean:
	rm -rf $(B)/driver $(B)/libnpu $(B)/lib $(B)/emu $(B)/bin $(B)/tests \
		$(RESULTS)

distclean:
	rm -rf $(B)
