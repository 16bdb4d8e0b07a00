# SPDX-License-Identifier: MIT
#
# mk/demo.mk: the demo's model, make demo and make bench.
# Included by the top Makefile; variables and paths are its own.

# Retrain the Fashion-MNIST CNN (Debian's python3-torch); the ONNX file and
# its FP32 accuracy (model.json) are committed, so this is never required.
model:
	@tools/deps.sh model >/dev/null
	/usr/bin/python3 models/fashion_mnist/train.py

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
	@$(MAKE) -s all $(B)/bench/bench_emu $(B)/bench/bench_calib $(B)/bin/npu_overhead \
		$(ZOO)/.done
	bench/run $(B)/bench

# Calibration time (the FP32 import of a zoo model), next to ONNX Runtime.
$(B)/bench/bench_calib: bench/bench_calib.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) -lm

# Driver overhead, run in a VM: tools/qnpu-vm -- npu_overhead
$(B)/bin/npu_overhead: bench/npu_overhead.c $(wildcard uapi/drm/*.h hw/*.h \
		libnpu/include/npu/*.h) $(B)/lib/libnpu.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Werror -std=gnu11 -Iuapi/drm -Ihw -Ilibnpu/include \
		$(DRM_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm
