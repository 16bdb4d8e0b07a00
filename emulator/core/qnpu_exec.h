/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: executing one descriptor (docs/hardware.md 10.4, 13).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_EXEC_H
#define QNPU_EXEC_H

#include "qnpu_engine.h"

/*
 * Run the descriptor of @size bytes at @desc in @vm; enum qnpu_status,
 * QNPU_STATUS_ABORTED when a reset stopped it. @stats gets its figures.
 */
uint32_t qnpu_exec_desc(struct qnpu_engine *eng, struct qnpu_vm *vm,
                        const uint8_t *desc, uint32_t size,
                        struct qnpu_stats *stats);

#endif /* QNPU_EXEC_H */
