/* SPDX-License-Identifier: MIT */
/*
 * libnpu: the executors' internals shared with tests (internal).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef NPU_EXEC_INTERNAL_H
#define NPU_EXEC_INTERNAL_H

#include <stdint.h>

#include "program/program.h"

/* CPU steps, shared by the executors (cpu_steps.c). */
void npu_cpu_step(const struct npu_step *s, uint8_t *arena,
		  const uint8_t *weights);

/* The regions as the reference executor sees them: device address -> host. */
struct npu_ref_mem {
	uint64_t base[NPU_REGION_COUNT];
	uint64_t size[NPU_REGION_COUNT];
	uint8_t *host[NPU_REGION_COUNT];
};

/* Run one descriptor on the reference (ref_desc.c); its enum qnpu_status. */
uint32_t npu_ref_run_desc(const struct npu_ref_mem *m, const uint8_t *desc);

/* Relocated copy of a program's command buffers (executor.c). */
uint8_t *npu_relocate(const struct npu_program *p,
		      const uint64_t base[NPU_REGION_COUNT]);

#endif /* NPU_EXEC_INTERNAL_H */
