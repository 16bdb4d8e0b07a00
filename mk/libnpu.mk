# SPDX-License-Identifier: MIT
#
# mk/libnpu.mk: libnpu (static, shared), its ONNX protobuf code, and the
# tools and examples built on it.
# Included by the top Makefile; variables and paths are its own.

# One folder per layer (docs/libnpu.md, libnpu/src/LAYERS).
NPU_SRCS := $(wildcard libnpu/src/*/*.c)
# The ONNX reader's protobuf code, generated from Debian's onnx.proto.
ONNX_PROTO := /usr/include/onnx/onnx.proto
ONNX_GEN := $(B)/onnx-gen
NPU_OBJS := $(NPU_SRCS:libnpu/src/%.c=$(B)/libnpu/%.o) $(B)/libnpu/onnx.pb-c.o
NPU_HDRS := $(wildcard libnpu/include/npu/*.h libnpu/src/*/*.h) $(ONNX_GEN)/onnx.pb-c.h \
	emulator/plugin/npu_emu_abi.h
NPU_SOVER := 0
PROTOBUF_LIBS = $(shell pkg-config --libs libprotobuf-c)
NPU_LIBS = $(DRM_LIBS) $(PROTOBUF_LIBS) -lpthread -lm -ldl
NPU_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -fPIC -fvisibility=hidden \
	-Ilibnpu/include -Ilibnpu/src -Iuapi/drm -Ihw -Iemulator/plugin -I$(ONNX_GEN) $(DRM_CFLAGS)

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
	rm -f $@ && $(AR) rcs $@ $^

# Tools and examples.
TOOL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -Ilibnpu/include

tools: $(B)/bin/npu-info $(B)/bin/npu-top $(B)/bin/npu-run $(B)/bin/hello_npu \
	$(B)/bin/conv_npu $(B)/bin/chain_npu python

# The Python module qnpu (python/qnpu): the package and its C extension over
# libnpu.a (Debian's python3-dev); PYTHONPATH=$(B)/python uses it in place.
python: $(B)/python/qnpu/__init__.py $(B)/python/qnpu/_qnpu.so

$(B)/python/qnpu/__init__.py: python/qnpu/__init__.py
	@mkdir -p $(@D)
	cp $< $@

$(B)/python/qnpu/_qnpu.so: python/qnpu/_qnpu.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -Wno-missing-field-initializers -fPIC -shared \
		$$(/usr/bin/python3-config --includes) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS)

$(B)/bin/npu-run: $(wildcard tools/npu-run/*.c tools/npu-run/*.h) $(B)/lib/libnpu.a \
		$(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $(filter %.c,$^) -o $@ $(B)/lib/libnpu.a $(NPU_LIBS)

$(B)/bin/npu-top: tools/npu-top.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm -ldl

$(B)/bin/conv_npu: examples/conv_npu.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Werror -std=gnu11 -Ilibnpu/include -Iuapi $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm -ldl

$(B)/bin/chain_npu: examples/chain_npu.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Werror -std=gnu11 -Ilibnpu/include -Iuapi $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm

$(B)/bin/hello_npu: examples/hello_npu.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Werror -std=gnu11 -Ilibnpu/include -Iuapi $< -o $@ \
		$(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm

$(B)/bin/npu-info: tools/npu-info.c $(B)/lib/libnpu.a $(NPU_HDRS)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -Iuapi/drm $< -o $@ $(B)/lib/libnpu.a $(NPU_LIBS) -lpthread -lm -ldl
