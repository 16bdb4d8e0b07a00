/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * libnpu-emu: the emulator core as a plugin of libnpu (its "emu"
 * executor), so programs run on the device's own arithmetic in process,
 * without a VM. libnpu (MIT) loads it with dlopen; this plugin carries
 * the emulator's licence.
 *
 * The plugin builds a small simulated system: one block of host memory
 * holding the page tables and the regions libnpu asks for, each mapped
 * at the device address libnpu chose, in MMU context 1.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "npu_emu_abi.h"
#include "qnpu_core.h"
#include "qnpu_regs.h"

#define PAGE            4096ull
#define MAX_REGIONS     4

struct npu_emu {
    uint8_t *ram;
    uint64_t ram_size;
    uint64_t next_table;
    uint64_t ctxtbl;
    struct qnpu_bus bus;
    struct qnpu_mmu mmu;
    struct qnpu_config cfg;
    struct qnpu_engine eng;
};

static int bus_read(void *opaque, uint64_t pa, void *buf, size_t len)
{
    struct npu_emu *e = opaque;

    if (pa >= e->ram_size || len > e->ram_size - pa) {
        return -1;
    }
    memcpy(buf, e->ram + pa, len);
    return 0;
}

static int bus_write(void *opaque, uint64_t pa, const void *buf, size_t len)
{
    struct npu_emu *e = opaque;

    if (pa >= e->ram_size || len > e->ram_size - pa) {
        return -1;
    }
    memcpy(e->ram + pa, buf, len);
    return 0;
}

static uint64_t *entry(struct npu_emu *e, uint64_t table, unsigned idx)
{
    return (uint64_t *)(e->ram + table + 8ull * idx);
}

static uint64_t new_table(struct npu_emu *e)
{
    uint64_t t = e->next_table;

    e->next_table += PAGE;
    return t;
}

/* Map [va, va + size) to PA pa, read/write, in context 1. */
static void map(struct npu_emu *e, uint64_t root, uint64_t va, uint64_t pa,
                uint64_t size)
{
    uint64_t off;

    for (off = 0; off < size; off += PAGE) {
        uint64_t t = root, v = va + off;
        int shift;

        for (shift = 30; shift >= 21; shift -= 9) {
            uint64_t *pte = entry(e, t, (v >> shift) & 511);

            if (!(*pte & QNPU_PTE_VALID)) {
                *pte = new_table(e) | QNPU_PTE_VALID;
            }
            t = *pte & QNPU_PTE_ADDR_MASK;
        }
        *entry(e, t, (v >> 12) & 511) = (pa + off) | QNPU_PTE_VALID |
                                        QNPU_PTE_READ | QNPU_PTE_WRITE;
    }
}

int npu_emu_plugin_version(void)
{
    return NPU_EMU_PLUGIN_VERSION;
}

struct npu_emu *npu_emu_open(unsigned int nregions, const uint64_t *va,
                             const uint64_t *size, void **host,
                             unsigned int workers)
{
    uint64_t data = 0, tables, pages = 0, at, root;
    struct npu_emu *e;
    unsigned int i;

    if (!nregions || nregions > MAX_REGIONS) {
        return NULL;
    }
    for (i = 0; i < nregions; i++) {
        uint64_t sz = (size[i] + PAGE - 1) / PAGE * PAGE;

        if (va[i] % PAGE || !sz || va[i] + sz > (1ull << QNPU_VA_BITS)) {
            return NULL;
        }
        data += sz;
        pages += sz / PAGE;
    }
    /* Generous: every table a region can need, unaligned, plus roots. */
    tables = (8 + 6 * nregions + 2 * (pages / 512) + pages / (512 * 512)) *
             PAGE;
    e = calloc(1, sizeof(*e));
    if (!e) {
        return NULL;
    }
    e->ram_size = tables + data;
    e->ram = calloc(1, e->ram_size);
    if (!e->ram) {
        free(e);
        return NULL;
    }
    e->next_table = PAGE;
    e->ctxtbl = new_table(e);
    root = new_table(e);
    *entry(e, e->ctxtbl, 2) = root | QNPU_CTX_VALID;    /* context 1 */
    at = tables;
    for (i = 0; i < nregions; i++) {
        uint64_t sz = (size[i] + PAGE - 1) / PAGE * PAGE;

        map(e, root, va[i], at, sz);
        host[i] = e->ram + at;
        at += sz;
    }
    e->bus = (struct qnpu_bus) { bus_read, bus_write, e };
    qnpu_mmu_init(&e->mmu, &e->bus);
    qnpu_config_defaults(&e->cfg);
    e->cfg.workers = workers ? workers : 1;
    e->eng.cfg = &e->cfg;
    e->eng.mmu = &e->mmu;
    e->eng.kernels = qnpu_kernels_best();
    atomic_init(&e->eng.abort, false);
    return e;
}

int npu_emu_run(struct npu_emu *e, uint64_t cb_va, uint32_t cb_size,
                uint32_t *status, uint32_t *error_offset, uint64_t *cycles)
{
    struct qnpu_ring_slot slot = {
        .seqno = 1, .cmdbuf_va = cb_va, .cmdbuf_size = cb_size, .ctx = 1,
    };
    struct qnpu_job_result res;

    if (!e || !status) {
        return -EINVAL;
    }
    if (!qnpu_job_run(&e->eng, &slot, e->ctxtbl, &res)) {
        return -EINTR;
    }
    *status = res.status;
    if (error_offset) {
        *error_offset = res.error_offset;
    }
    if (cycles) {
        *cycles = res.stats.cycles;
    }
    return 0;
}

void npu_emu_close(struct npu_emu *e)
{
    if (!e) {
        return;
    }
    qnpu_engine_release(&e->eng);
    qnpu_mmu_destroy(&e->mmu);
    free(e->ram);
    free(e);
}
