/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: op entry points (qnpu_exec.c dispatches to them).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_OPS_H
#define QNPU_OPS_H

#include "qnpu_cmdbuf.h"
#include "qnpu_engine.h"

uint32_t qnpu_exec_conv2d(struct qnpu_engine *eng, struct qnpu_vm *vm,
                          const struct qnpu_desc_conv2d *d,
                          struct qnpu_stats *st);
uint32_t qnpu_exec_fc(struct qnpu_engine *eng, struct qnpu_vm *vm,
                      const struct qnpu_desc_fc *d, struct qnpu_stats *st);
uint32_t qnpu_exec_matmul(struct qnpu_engine *eng, struct qnpu_vm *vm,
                          const struct qnpu_desc_matmul *d,
                          struct qnpu_stats *st);
uint32_t qnpu_exec_pool(struct qnpu_engine *eng, struct qnpu_vm *vm,
                        const struct qnpu_desc_pool *d, bool avg,
                        struct qnpu_stats *st);
uint32_t qnpu_exec_eltwise(struct qnpu_engine *eng, struct qnpu_vm *vm,
                           const struct qnpu_desc_eltwise *d, bool mul,
                           struct qnpu_stats *st);
uint32_t qnpu_exec_lut(struct qnpu_engine *eng, struct qnpu_vm *vm,
                       const struct qnpu_desc_lut *d, struct qnpu_stats *st);

/**
 * qnpu_parallel_rows() - run @fn over rows [0, @rows) split across the
 *	engine's worker threads
 */
void qnpu_parallel_rows(struct qnpu_engine *eng,
                        void (*fn)(void *opaque, size_t r0, size_t r1),
                        void *opaque, size_t rows);

#endif /* QNPU_OPS_H */
