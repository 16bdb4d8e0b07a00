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

/* Relocated copy of a program's command buffers (executor.c). */
uint8_t *npu_relocate(const struct npu_program *p,
		      const uint64_t base[NPU_REGION_COUNT]);

#endif /* NPU_EXEC_INTERNAL_H */
