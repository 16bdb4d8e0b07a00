# SPDX-License-Identifier: MIT
#
# mk/vm.mk: the guest kernels (Debian's, and the debug kernel with its own
# qnpu.ko), the VM selftest programs, and the two VM lanes.
# Included by the top Makefile; variables and paths are its own.

VM_TESTS := $(patsubst tests/vm/%.c,$(B)/bin/%,$(wildcard tests/vm/*_test.c))

# Debian's 6.12 kernel for the guest.
kernel: | $(B)/kver
	tools/fetch-kernel.sh

$(B)/bin/%_test: tests/vm/%_test.c $(wildcard uapi/drm/*.h tests/vm/*.h tests/lib/*.h) \
		$(B)/lib/libnpu.a | ksrc
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wall -Werror -std=gnu11 -I$(KSELFTEST) -Iuapi/drm \
		-Ihw -Ilibnpu/include $(DRM_CFLAGS) $< -o $@ $(B)/lib/libnpu.a \
		$(NPU_LIBS) -lpthread -lm

# Zoo programs for the guest (rules in mk/tests.mk, next to the zoo).
ZOO_VM := $(B)/zoo-vm

check-vm: driver qemu kernel tools $(VM_TESTS) $(ZOO_VM)/.done
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

check-vm-debug: driver-debug qemu tools $(VM_TESTS) $(ZOO_VM)/.done
	@mkdir -p $(RESULTS)
	@QNPU_VM_KERNEL_DIR=$$(cat $(DEBUG_KDIR_FILE)) \
		QNPU_VM_KO=$(B)/driver-debug/driver/qnpu.ko \
		tests/vm/run-lane vmdbg $(RESULTS) debug
