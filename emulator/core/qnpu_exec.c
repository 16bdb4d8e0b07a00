/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: descriptor checks and execution (docs/hardware.md,
 * sections 10-15). Tensors are gathered from guest memory into dense host
 * buffers, computed on, and scattered back, as the device streams them
 * through its SRAM.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_internal.h"
#include "qnpu_exec.h"
#include "qnpu_ops.h"

static uint32_t exec_copy(struct qnpu_engine *eng, struct qnpu_vm *vm,
                          const struct qnpu_desc_copy *d,
                          struct qnpu_stats *st)
{
    struct qnpu_tens src, dst;
    uint32_t status;
    uint64_t bytes;
    uint8_t *buf;
    int i;

    status = qnpu_tensor_decode(&d->src, false, true, &src);
    if (status == QNPU_STATUS_OK) {
        status = qnpu_tensor_decode(&d->dst, true, true, &dst);
    }
    if (status != QNPU_STATUS_OK) {
        return status;
    }
    if (d->src.dtype != d->dst.dtype) {
        return QNPU_STATUS_INVALID_DESCRIPTOR;
    }
    for (i = 0; i < 4; i++) {
        if (src.dim[i] != dst.dim[i]) {
            return QNPU_STATUS_INVALID_DESCRIPTOR;
        }
    }
    if (src.over_limit || dst.over_limit) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (!qnpu_tensor_in_range(vm, &src, false) || !qnpu_tensor_in_range(vm, &dst, true)) {
        return QNPU_STATUS_MMU_FAULT;
    }

    bytes = src.elems * src.esize;
    buf = malloc(bytes);
    if (!buf) {
        return QNPU_STATUS_LIMIT_EXCEEDED;
    }
    if (qnpu_tensor_move(vm, &src, buf, false) || qnpu_tensor_move(vm, &dst, buf, true)) {
        free(buf);
        return QNPU_STATUS_MMU_FAULT;
    }
    free(buf);

    st->dram_rd = bytes;
    st->dram_wr = bytes;
    st->sram_rd = bytes;
    st->sram_wr = 2 * bytes;
    st->cycles = qnpu_max_u64(qnpu_div_up(bytes, 64), qnpu_dram_cycles(eng->cfg, 2 * bytes)) +
                 DESC_OVERHEAD_CYCLES;
    return QNPU_STATUS_OK;
}

/* Structure size of each op; 0 for ops this model does not implement. */
static const uint32_t op_size[QNPU_OP_COUNT] = {
    [QNPU_OP_NOP] = 0,
    [QNPU_OP_BARRIER] = sizeof(struct qnpu_desc_header),
    [QNPU_OP_COPY] = sizeof(struct qnpu_desc_copy),
    [QNPU_OP_CONV2D] = sizeof(struct qnpu_desc_conv2d),
    [QNPU_OP_FULLY_CONNECTED] = sizeof(struct qnpu_desc_fc),
    [QNPU_OP_MATMUL] = sizeof(struct qnpu_desc_matmul),
    [QNPU_OP_MAXPOOL] = sizeof(struct qnpu_desc_pool),
    [QNPU_OP_AVGPOOL] = sizeof(struct qnpu_desc_pool),
    [QNPU_OP_ADD] = sizeof(struct qnpu_desc_eltwise),
    [QNPU_OP_MUL] = sizeof(struct qnpu_desc_eltwise),
    [QNPU_OP_LUT] = sizeof(struct qnpu_desc_lut),
};

uint32_t qnpu_ops_supported(const struct qnpu_config *cfg)
{
    /* 1.0: NOP..MUL; 1.1 added LUT (hardware.md, revision history). */
    return cfg->version_minor ? (1u << QNPU_OP_COUNT) - 1 : (1u << QNPU_OP_LUT) - 1;
}

uint32_t qnpu_exec_desc(struct qnpu_engine *eng, struct qnpu_vm *vm,
                        const uint8_t *desc, uint32_t size,
                        struct qnpu_stats *st)
{
    struct qnpu_desc_header h;
    uint16_t op;

    memcpy(&h, desc, sizeof(h));
    op = le16toh(h.op);
    if (op >= QNPU_OP_COUNT || !(qnpu_ops_supported(eng->cfg) & (1u << op))) {
        return QNPU_STATUS_UNKNOWN_OP;
    }
    if (h.version != 1) {
        return QNPU_STATUS_UNSUPPORTED_VERSION;
    }
    if (h.flags || (op != QNPU_OP_NOP && size != op_size[op])) {
        return QNPU_STATUS_INVALID_DESCRIPTOR;
    }

    switch (op) {
    case QNPU_OP_NOP:
    case QNPU_OP_BARRIER:
        st->cycles = 1;
        return QNPU_STATUS_OK;
    case QNPU_OP_COPY: {
        struct qnpu_desc_copy d;

        memcpy(&d, desc, sizeof(d));
        return exec_copy(eng, vm, &d, st);
    }
    case QNPU_OP_CONV2D: {
        struct qnpu_desc_conv2d d;

        memcpy(&d, desc, sizeof(d));
        return qnpu_exec_conv2d(eng, vm, &d, st);
    }
    case QNPU_OP_FULLY_CONNECTED: {
        struct qnpu_desc_fc d;

        memcpy(&d, desc, sizeof(d));
        return qnpu_exec_fc(eng, vm, &d, st);
    }
    case QNPU_OP_MATMUL: {
        struct qnpu_desc_matmul d;

        memcpy(&d, desc, sizeof(d));
        return qnpu_exec_matmul(eng, vm, &d, st);
    }
    case QNPU_OP_MAXPOOL:
    case QNPU_OP_AVGPOOL: {
        struct qnpu_desc_pool d;

        memcpy(&d, desc, sizeof(d));
        return qnpu_exec_pool(eng, vm, &d, op == QNPU_OP_AVGPOOL, st);
    }
    case QNPU_OP_ADD:
    case QNPU_OP_MUL: {
        struct qnpu_desc_eltwise d;

        memcpy(&d, desc, sizeof(d));
        return qnpu_exec_eltwise(eng, vm, &d, op == QNPU_OP_MUL, st);
    }
    case QNPU_OP_LUT: {
        struct qnpu_desc_lut d;

        memcpy(&d, desc, sizeof(d));
        return qnpu_exec_lut(eng, vm, &d, st);
    }
    }
    return QNPU_STATUS_UNKNOWN_OP;
}
