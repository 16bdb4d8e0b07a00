/* SPDX-License-Identifier: MIT */
/*
 * The ABI between libnpu (MIT) and libnpu-emu.so, the emulator core as a
 * plugin (GPL-2.0-or-later), which libnpu loads with dlopen for its "emu"
 * executor. Both sides include this header: the plugin defines these
 * functions, libnpu looks them up by name. Change any of them and
 * NPU_EMU_PLUGIN_VERSION goes up; libnpu refuses another version.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_EMU_ABI_H
#define NPU_EMU_ABI_H

#include <stdint.h>

#define NPU_EMU_PLUGIN_VERSION	1

/* A simulated system: memory regions at device addresses, one context. */
struct npu_emu;

/* The version this plugin speaks. */
typedef int npu_emu_plugin_version_fn(void);

/*
 * A system with @nregions regions, region i of @size[i] bytes at device
 * address @va[i]; their host addresses come back in @host[i]. @workers
 * worker threads compute. NULL when out of memory or the layout is bad.
 */
typedef struct npu_emu *npu_emu_open_fn(unsigned int nregions,
					const uint64_t *va,
					const uint64_t *size, void **host,
					unsigned int workers);

/*
 * Run the command buffer of @cb_size bytes at @cb_va as one job; 0 with
 * the device's status, the failing descriptor's offset and the modelled
 * cycles, or a negative errno when the job could not run at all.
 */
typedef int npu_emu_run_fn(struct npu_emu *e, uint64_t cb_va,
			   uint32_t cb_size, uint32_t *status,
			   uint32_t *error_offset, uint64_t *cycles);

typedef void npu_emu_close_fn(struct npu_emu *e);

npu_emu_plugin_version_fn npu_emu_plugin_version;
npu_emu_open_fn npu_emu_open;
npu_emu_run_fn npu_emu_run;
npu_emu_close_fn npu_emu_close;

#endif /* NPU_EMU_ABI_H */
