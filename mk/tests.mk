# SPDX-License-Identifier: MIT
#
# mk/tests.mk: host test programs and the host, conformance and fuzz
# checks; the lists of what runs are tests/host/run-lane and tests/vm/run-lane.
# Included by the top Makefile; variables and paths are its own.

HOST_TESTS := $(patsubst tests/host/%.c,$(B)/tests/%,$(wildcard tests/host/test_*.c))

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
	$(CC) $(TOOL_CFLAGS) -DEMU_PLUGIN_PATH='"$(B)/lib/libnpu-emu.so.0"' \
		-DNPU_RUN='"$(B)/bin/npu-run"' $< -o $@ \
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

$(B)/tests/test_onnx_attrs: tests/host/test_onnx_attrs.c $(B)/lib/libnpu.a \
		$(B)/lib/libnpu-emu.so.0 $(TEST_MODELS)/.done $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -DEMU_PLUGIN_PATH='"$(B)/lib/libnpu-emu.so.0"' \
		-DTEST_MODELS='"$(TEST_MODELS)"' $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) \
		$(CMOCKA_LIBS) -lm

$(B)/tests/test_device_limits: tests/host/test_device_limits.c $(B)/lib/libnpu.a \
		$(B)/lib/libnpu-emu.so.0 $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -DEMU_PLUGIN_PATH='"$(B)/lib/libnpu-emu.so.0"' $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS) -lm

# The model zoo (models/zoo/make_zoo.py, Debian's python3-torch and
# python3-torchvision), built once into build/zoo.
ZOO := $(B)/zoo
$(ZOO)/.done: models/zoo/make_zoo.py
	/usr/bin/python3 $< $(@D) && touch $@

# Zoo models for the device in the guest: compiled on the host, with the
# emulator's answer (tests/host/zoo_vm_prepare.c); between them they hold a
# LUT, a broadcast Mul, a chained Concat and channel gathers.
ZOO_VM_MODELS := mobilenet_v3_small_opset17_b1.onnx efficientnet_b0_opset13_b1.onnx \
	googlenet_opset13_b1.onnx shufflenet_v2_x1_0_opset17_b1.onnx vit_tiny_opset13_b1.onnx
$(B)/tests/zoo_vm_prepare: tests/host/zoo_vm_prepare.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) -lm
$(ZOO_VM)/.done: $(B)/tests/zoo_vm_prepare $(ZOO)/.done $(B)/lib/libnpu-emu.so.0 mk/tests.mk
	@rm -rf $(@D) && mkdir -p $(@D)
	NPU_EMU_PLUGIN=$(B)/lib/libnpu-emu.so.0 $< $(ZOO) $(@D) $(ZOO_VM_MODELS)
	@touch $@

$(B)/tests/test_zoo: tests/host/test_zoo.c $(B)/lib/libnpu.a $(B)/lib/libnpu-emu.so.0 \
		$(ZOO)/.done $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -DEMU_PLUGIN_PATH='"$(B)/lib/libnpu-emu.so.0"' \
		-DZOO='"$(ZOO)"' $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS) -lm

$(B)/tests/test_quant: tests/host/test_quant.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) $(CMOCKA_LIBS) -lm
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

# Conformance against ONNX Runtime (tests/conformance): COUNT random
# QLinearConv/QLinearMatMul models on emu and ref; make conformance for more.
CONF_COUNT ?= 600
CONF_SEED ?= 1
# Then npu-run --export-onnx on zoo models: ORT on the QDQ export against emu.
check-conformance conformance: libnpu tools $(TEST_MODELS)/.done $(ZOO)/.done
	@mkdir -p $(RESULTS)
	@tools/ort-setup.sh >/dev/null
	@tools/run-test conformance $(RESULTS) -- \
		tests/conformance/run $(B)/conformance $(CONF_COUNT) $(CONF_SEED)
	@tools/run-test conformance-attrs $(RESULTS) -- \
		node tests/conformance/ort_attrs.js $(TEST_MODELS)/attrs
	@tools/run-test conformance-export $(RESULTS) -- \
		tests/conformance/export-check $(ZOO) $(B)/conformance-export

check-host: $(HOST_TESTS) $(B)/tests/tsan/test_emu_vs_ref libnpu tools
	@mkdir -p $(RESULTS)
	@tests/host/run-lane $(B) $(RESULTS)

check-fuzz: $(B)/fuzz/fuzz_job $(B)/fuzz/seeds/.done
	@mkdir -p $(RESULTS)
	@tools/run-test fuzz-job $(RESULTS) -- tools/run-fuzz $(B)/fuzz/fuzz_job \
		$(FUZZ_SECONDS) $(B)/fuzz/corpus $(B)/fuzz/seeds
