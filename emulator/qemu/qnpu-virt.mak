# SPDX-License-Identifier: GPL-2.0-or-later
# qemu-system-aarch64 for the qnpu arm64 lane: the virt machine and the
# qnpu devices only (tools/build-qemu.sh aarch64).
CONFIG_ARM_VIRT=y
CONFIG_QNPU=y
CONFIG_QNPU_PLATFORM=y
