# SPDX-License-Identifier: MIT
#
# mk/arm64.mk: the arm64 lane. The NPU as a device-tree platform device
# (qnpu-platform) on QEMU's aarch64 virt machine, Debian's arm64 kernel
# with an accel-enabled drm.ko (tools/arm64-kernel.sh, cached outside the
# checkout), qnpu.ko and the guest programs cross-built (static), and the
# lane's VM tests (tests/vm/run-lane arm64).
# Included by the top Makefile; variables and paths are its own.

ARM64_B := $(B)/arm64
ARM64_DIR_FILE := $(B)/arm64-kernel.dir
ARM64_CROSS := aarch64-linux-gnu-
ARM64_PROGS := npu-info npu-run npu-top hello_npu conv_npu chain_npu $(notdir $(VM_TESTS))

arm64: qemu-aarch64 arm64-driver arm64-programs

qemu-aarch64:
	tools/build-qemu.sh aarch64

arm64-kernel: | $(B)/kver
	@mkdir -p $(B)
	@tools/arm64-kernel.sh > $(ARM64_DIR_FILE).new
	@mv $(ARM64_DIR_FILE).new $(ARM64_DIR_FILE)

# qnpu.ko against the arm64 headers and the accel-enabled drm.ko's symbols.
arm64-driver: arm64-kernel $(DRIVER_SRC)
	@mkdir -p $(ARM64_B)/driver
	@rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		--exclude '*.mod*' --exclude 'modules.order' --exclude 'Module.symvers' \
		driver $(ARM64_B)/driver/
	@rsync -a Kbuild uapi hw $(ARM64_B)/driver/
	@d=$$(cat $(ARM64_DIR_FILE)); \
		$(MAKE) -s -C $$d/$$(cat $$d/version)/build M=$(ARM64_B)/driver W=1 \
		KCFLAGS="-Werror -DCONFIG_DRM_ACCEL=1" \
		KBUILD_EXTRA_SYMBOLS=$$d/drm/Module.symvers modules

# libnpu, the tools and the VM tests for the guest: this Makefile again,
# into build/arm64, with the cross compiler and the arm64 libdrm and
# protobuf-c of the kernel cache's sysroot, linked statically.
arm64-programs: arm64-kernel ksrc
	@mkdir -p $(ARM64_B)
	@ln -sfn $(B)/ksrc $(ARM64_B)/ksrc
	@# glibc warns at every static link that libnpu can dlopen (the emu
	@# executor's plugin, never used in the guest): those lines are dropped.
	@set -o pipefail; s=$$(cat $(ARM64_DIR_FILE))/sysroot; \
		$(MAKE) -s B=$(ARM64_B) CC=$(ARM64_CROSS)gcc AR=$(ARM64_CROSS)ar \
		CFLAGS="-O2 -g -static -I$$s/usr/include -L$$s/usr/lib/aarch64-linux-gnu" \
		DRM_CFLAGS="-I$$s/usr/include/libdrm" \
		$(addprefix $(ARM64_B)/bin/,$(ARM64_PROGS)) 2>&1 | \
		{ grep -v -e "Using 'dlopen' in statically linked" \
			-e "in function \`emu_setup'" || true; }

# The device-tree binding, then the VM selftests on the platform device.
check-arm64: arm64 tools $(ZOO_VM)/.done
	@mkdir -p $(RESULTS)
	@tools/run-test arm64-dt-binding $(RESULTS) -- tests/dt/check-binding
	@tests/vm/run-lane arm64 $(RESULTS) arm64
