/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: the device's behaviour in plain C, with no QEMU
 * dependency, so that it can be unit-tested, fuzzed and benchmarked on
 * the host. The QEMU device (emulator/qemu/qnpu.c) and libnpu's emu
 * plugin (emulator/plugin/npu_emu.c) are thin shells around it, and this
 * is the one header they include:
 *
 *   qnpu_config.h   a device instance's configuration and capabilities
 *   qnpu_mmu.h      the bus to system memory, the MMU and its TLB
 *   qnpu_kernels.h  the compute kernel families, picked by CPU
 *   qnpu_engine.h   the engine: configuration, MMU, kernels, buffers
 *   qnpu_job.h      running one job of the ring
 *
 * Everything else in emulator/core is internal to the core.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_CORE_H
#define QNPU_CORE_H

#include "qnpu_config.h"
#include "qnpu_engine.h"
#include "qnpu_job.h"
#include "qnpu_kernels.h"
#include "qnpu_mmu.h"

#endif /* QNPU_CORE_H */
