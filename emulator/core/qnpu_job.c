/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: job-level checks, command-buffer fetch and framing,
 * descriptor loop.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_exec.h"
#include "qnpu_job.h"

static void stats_add(struct qnpu_stats *to, const struct qnpu_stats *s)
{
    to->cycles += s->cycles;
    to->macs += s->macs;
    to->dram_rd += s->dram_rd;
    to->dram_wr += s->dram_wr;
    to->sram_rd += s->sram_rd;
    to->sram_wr += s->sram_wr;
}

static bool end(struct qnpu_job_result *res, uint32_t status, uint32_t offset)
{
    res->status = status;
    res->error_offset = offset;
    return true;
}

static bool end_fault(struct qnpu_job_result *res, const struct qnpu_vm *vm,
                      uint32_t status, uint32_t offset)
{
    res->fault = vm->fault;
    res->faulted = true;
    return end(res, status, offset);
}

/* Section 10.3: header and descriptor framing, before anything runs. */
static uint32_t check_framing(const uint8_t *buf, uint32_t size,
                              uint32_t *offset)
{
    struct qnpu_cmdbuf_header h;
    uint32_t off = sizeof(h), n;

    memcpy(&h, buf, sizeof(h));
    *offset = 0;
    if (le32toh(h.magic) != QNPU_CMDBUF_MAGIC || le32toh(h.size) != size ||
        h.flags || h.reserved[0] || h.reserved[1]) {
        return QNPU_STATUS_INVALID_HEADER;
    }
    if (le16toh(h.version) != QNPU_CMDBUF_VERSION) {
        return QNPU_STATUS_UNSUPPORTED_VERSION;
    }
    for (n = 0; n < le32toh(h.count); n++) {
        struct qnpu_desc_header d;
        uint32_t dsize;

        if (size - off < sizeof(d)) {
            return QNPU_STATUS_INVALID_HEADER;
        }
        memcpy(&d, buf + off, sizeof(d));
        dsize = le32toh(d.size);
        if (dsize < sizeof(d) || dsize % QNPU_CMDBUF_ALIGN ||
            dsize > size - off) {
            *offset = off;
            return QNPU_STATUS_INVALID_DESCRIPTOR;
        }
        off += dsize;
    }
    return off == size ? QNPU_STATUS_OK : QNPU_STATUS_INVALID_HEADER;
}

/*
 * The ring slot's checks of section 9.3, in order, and the binding of its
 * context: false when the job ends here (with @res filled).
 */
static bool job_slot_ok(struct qnpu_engine *eng, const struct qnpu_ring_slot *slot,
                        uint64_t ctxtbl, struct qnpu_vm *vm, struct qnpu_job_result *res)
{
    uint64_t va = le64toh(slot->cmdbuf_va);
    uint32_t size = le32toh(slot->cmdbuf_size), status, i;

    for (i = 0; i < 5; i++) {
        if (slot->reserved0[i]) {
            return !end(res, QNPU_STATUS_INVALID_HEADER, 0);
        }
    }
    if (le16toh(slot->flags) & ~QNPU_JOB_IRQ) {
        return !end(res, QNPU_STATUS_INVALID_HEADER, 0);
    }
    status = qnpu_mmu_bind(vm, eng->mmu, ctxtbl, eng->cfg->contexts,
                           le16toh(slot->ctx), va);
    if (status != QNPU_STATUS_OK) {
        return !end_fault(res, vm, status, 0);
    }
    if (va % 8 || size % 8 || size < sizeof(struct qnpu_cmdbuf_header)) {
        return !end(res, QNPU_STATUS_INVALID_HEADER, 0);
    }
    if (size > QNPU_MAX_CMDBUF) {
        return !end(res, QNPU_STATUS_LIMIT_EXCEEDED, 0);
    }
    if (va + size > (1ull << QNPU_VA_BITS)) {
        vm->fault = (struct qnpu_fault) {
            .addr = va > (1ull << QNPU_VA_BITS) ? va : 1ull << QNPU_VA_BITS,
            .ctx = vm->ctx, .reason = QNPU_FAULT_VA_RANGE,
        };
        return !end_fault(res, vm, QNPU_STATUS_MMU_FAULT, 0);
    }
    return true;
}

/* Run the descriptors of a framed command buffer; false when aborted. */
static bool job_descriptors(struct qnpu_engine *eng, struct qnpu_vm *vm, const uint8_t *buf,
                            struct qnpu_job_result *res)
{
    uint32_t count = le32toh(((const struct qnpu_cmdbuf_header *)buf)->count);
    uint32_t off = sizeof(struct qnpu_cmdbuf_header), i, status;

    for (i = 0; i < count; i++) {
        const struct qnpu_desc_header *d = (const void *)(buf + off);
        uint32_t dsize = le32toh(d->size);
        struct qnpu_stats s = { 0 };

        if (atomic_load(&eng->abort)) {
            return false;
        }
        status = qnpu_exec_desc(eng, vm, buf + off, dsize, &s);
        if (status == QNPU_STATUS_ABORTED) {
            return false;
        }
        if (status == QNPU_STATUS_MMU_FAULT) {
            return end_fault(res, vm, status, off);
        }
        if (status != QNPU_STATUS_OK) {
            return end(res, status, off);
        }
        stats_add(&res->stats, &s);
        off += dsize;
    }
    return end(res, QNPU_STATUS_OK, 0);
}

bool qnpu_job_run(struct qnpu_engine *eng, const struct qnpu_ring_slot *slot,
                  uint64_t ctxtbl, struct qnpu_job_result *res)
{
    uint64_t va = le64toh(slot->cmdbuf_va);
    uint32_t size = le32toh(slot->cmdbuf_size), status, off;
    struct qnpu_vm vm;
    uint8_t *buf;
    bool done;

    memset(res, 0, sizeof(*res));
    if (!job_slot_ok(eng, slot, ctxtbl, &vm, res)) {
        return true;
    }
    /* The device works from its own copy of the command buffer. */
    buf = malloc(size);
    if (!buf) {
        return end(res, QNPU_STATUS_LIMIT_EXCEEDED, 0);
    }
    if (qnpu_vm_read(&vm, va, buf, size)) {
        free(buf);
        return end_fault(res, &vm, QNPU_STATUS_MMU_FAULT, 0);
    }
    status = check_framing(buf, size, &off);
    done = status == QNPU_STATUS_OK ? job_descriptors(eng, &vm, buf, res) :
           end(res, status, off);
    free(buf);
    return done;
}
