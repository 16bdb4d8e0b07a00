/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A simulated system for host tests of the emulator core: RAM, page tables
 * and command buffers built from docs/hardware.md, independently of the
 * core.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <stdlib.h>
#include <string.h>

#include "emu_sim.h"

static int ram_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
    struct sys *s = opaque;

    if (pa >= RAM_SIZE || len > RAM_SIZE - pa) {
        return -1;
    }
    memcpy(buf, s->ram + pa, len);
    return 0;
}

static int ram_write(void *opaque, uint64_t pa, const void *buf, size_t len)
{
    struct sys *s = opaque;

    if (pa >= RAM_SIZE || len > RAM_SIZE - pa) {
        return -1;
    }
    memcpy(s->ram + pa, buf, len);
    return 0;
}

uint64_t *u64_at(struct sys *s, uint64_t pa)
{
    return (uint64_t *)(s->ram + pa);
}

uint64_t new_table(struct sys *s)
{
    uint64_t pa = s->next_pt;

    s->next_pt += 4096;
    memset(s->ram + pa, 0, 4096);
    return pa;
}

/* Give context @ctx a fresh, empty root table. */
void ctx_create(struct sys *s, uint16_t ctx)
{
    *u64_at(s, CTXTBL_PA + 16ull * ctx) = new_table(s) | 1;
    *u64_at(s, CTXTBL_PA + 16ull * ctx + 8) = 0;
}

/* Map the 4 KiB page at @va in @ctx to @pa with @perms (bit 1 R, bit 2 W). */
void map_page(struct sys *s, uint16_t ctx, uint64_t va, uint64_t pa,
                     uint64_t perms)
{
    uint64_t table = *u64_at(s, CTXTBL_PA + 16ull * ctx) & ~0xfffull;
    int shift;

    for (shift = 30; shift >= 21; shift -= 9) {
        uint64_t *e = u64_at(s, table + 8 * ((va >> shift) & 511));

        if (!(*e & 1)) {
            *e = new_table(s) | 1;
        }
        table = *e & ~0xfffull;
    }
    *u64_at(s, table + 8 * ((va >> 12) & 511)) = pa | perms | 1;
}

void unmap_page(struct sys *s, uint16_t ctx, uint64_t va)
{
    uint64_t table = *u64_at(s, CTXTBL_PA + 16ull * ctx) & ~0xfffull;
    int shift;

    for (shift = 30; shift >= 21; shift -= 9) {
        table = *u64_at(s, table + 8 * ((va >> shift) & 511)) & ~0xfffull;
    }
    *u64_at(s, table + 8 * ((va >> 12) & 511)) = 0;
}

/* Map @len bytes at @va to new pages; returns the PA of the first. */
uint64_t map_range(struct sys *s, uint16_t ctx, uint64_t va,
                          uint64_t len, uint64_t perms)
{
    uint64_t first = s->next_page, off;

    for (off = 0; off < len; off += 4096) {
        map_page(s, ctx, va + off, s->next_page, perms);
        s->next_page += 4096;
    }
    return first;
}

int sim_setup(void **state)
{
    struct sys *s = calloc(1, sizeof(*s));

    s->ram = calloc(1, RAM_SIZE);
    s->next_pt = PT_POOL_PA;
    s->next_page = DATA_PA;
    s->bus = (struct qnpu_bus) { ram_read, ram_write, s };
    qnpu_mmu_init(&s->mmu, &s->bus);
    qnpu_config_defaults(&s->cfg);
    s->eng.cfg = &s->cfg;
    s->eng.mmu = &s->mmu;
    s->eng.kernels = qnpu_kernels_best();
    atomic_init(&s->eng.abort, false);
    ctx_create(s, 1);
    ctx_create(s, 2);
    *state = s;
    return 0;
}

int sim_teardown(void **state)
{
    struct sys *s = *state;

    qnpu_engine_release(&s->eng);
    qnpu_mmu_destroy(&s->mmu);
    free(s->ram);
    free(s);
    return 0;
}


void cb_init(struct cb *cb)
{
    memset(cb, 0, sizeof(*cb));
    cb->size = sizeof(struct qnpu_cmdbuf_header);
}

void *cb_add(struct cb *cb, uint16_t op, uint32_t size)
{
    struct qnpu_desc_header *h = (void *)(cb->buf + cb->size);

    h->op = op;
    h->version = 1;
    h->size = size;
    cb->size += size;
    cb->count++;
    return h;
}

void cb_finish(struct cb *cb)
{
    struct qnpu_cmdbuf_header *h = (void *)cb->buf;

    h->magic = QNPU_CMDBUF_MAGIC;
    h->version = QNPU_CMDBUF_VERSION;
    h->size = cb->size;
    h->count = cb->count;
}

struct qnpu_tensor tensor(uint64_t va, uint32_t n, uint32_t h,
                                 uint32_t w, uint32_t c)
{
    return (struct qnpu_tensor) {
        .addr = va, .dim = { n, h, w, c },
        .stride = { h * w * c, w * c, c, 1 }, .dtype = QNPU_DTYPE_INT8,
    };
}


/* Write @cb into @ctx at CB_VA and run it as a job. */
bool run(struct sys *s, struct cb *cb, uint16_t ctx,
                struct qnpu_job_result *res)
{
    struct qnpu_ring_slot slot = { 0 };
    uint64_t pa = map_range(s, ctx, CB_VA, sizeof(cb->buf), 2);

    /* Remapping a valid page needs an invalidation, as for a driver. */
    qnpu_mmu_invalidate(&s->mmu, ctx);
    if (!cb->raw) {
        cb_finish(cb);
    }
    memcpy(s->ram + pa, cb->buf, cb->size);
    slot.seqno = 1;
    slot.cmdbuf_va = CB_VA;
    slot.cmdbuf_size = cb->size;
    slot.ctx = ctx;
    slot.flags = QNPU_JOB_IRQ;
    return qnpu_job_run(&s->eng, &slot, CTXTBL_PA, res);
}

