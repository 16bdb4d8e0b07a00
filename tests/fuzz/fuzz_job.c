/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * libFuzzer target: arbitrary command buffers (and slot fields) through
 * the emulator core's job runner, parser, executor and MMU, in a simulated
 * system. Besides crashes and sanitizer reports it checks that a job never
 * writes outside the pages its context maps writable, and that it always
 * ends with a documented status.
 *
 *   make fuzz FUZZ_SECONDS=600
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <stdlib.h>
#include <string.h>

#include "emu_sim.h"

#define DATA_VA     0x20000ull      /* 64 KiB read/write */
#define DATA_LEN    0x10000ull
#define RO_VA       0x40000ull      /* 4 KiB read-only */
#define CB_MAX      0x10000u

static struct sys *sys;
static uint64_t data_pa, ro_pa, canary_pa, pt_end;
static uint8_t *pt_copy, *ro_copy;

static void build_world(void)
{
    void *state;

    sim_setup(&state);
    sys = state;
    sys->eng.kernels = qnpu_kernels_best();
    data_pa = map_range(sys, 1, DATA_VA, DATA_LEN, 6);
    ro_pa = map_range(sys, 1, RO_VA, 4096, 2);
    /* The command buffer's pages, mapped once, read-only. */
    map_range(sys, 1, CB_VA, CB_MAX, 2);
    /* A page nobody maps, right after the data in physical memory. */
    canary_pa = sys->next_page;
    sys->next_page += 4096;
    memset(sys->ram + canary_pa, 0xa5, 4096);
    memset(sys->ram + ro_pa, 0x3c, 4096);
    pt_end = sys->next_pt;
    pt_copy = malloc(pt_end - CTXTBL_PA);
    memcpy(pt_copy, sys->ram + CTXTBL_PA, pt_end - CTXTBL_PA);
    ro_copy = malloc(4096);
    memcpy(ro_copy, sys->ram + ro_pa, 4096);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qnpu_ring_slot slot = { 0 };
    struct qnpu_cmdbuf_header *h;
    struct qnpu_job_result res;
    uint64_t cb_pa;
    uint32_t len;
    size_t i;

    if (!sys) {
        build_world();
    }
    if (size < 2) {
        return 0;
    }
    /* Byte 0: harness options; the rest is the command buffer. */
    len = size - 1 > CB_MAX ? CB_MAX : (uint32_t)(size - 1);
    for (i = 0; i < DATA_LEN; i++) {
        sys->ram[data_pa + i] = (uint8_t)(i * 131 + data[0]);
    }
    {
        /* Find the command buffer's first page: translate via the tables. */
        uint64_t t = *u64_at(sys, CTXTBL_PA + 16) & ~0xfffull;
        int sh;

        for (sh = 30; sh >= 12; sh -= 9) {
            t = *u64_at(sys, t + 8 * ((CB_VA >> sh) & 511)) & ~0xfffull;
        }
        cb_pa = t;
    }
    memset(sys->ram + cb_pa, 0, CB_MAX);
    memcpy(sys->ram + cb_pa, data + 1, len);
    h = (void *)(sys->ram + cb_pa);
    if ((data[0] & 1) && len >= sizeof(*h)) {
        /* Most inputs get a valid header so the fuzzer reaches the ops. */
        len &= ~7u;
        h->magic = QNPU_CMDBUF_MAGIC;
        h->version = QNPU_CMDBUF_VERSION;
        h->flags = 0;
        h->size = len;
        h->reserved[0] = h->reserved[1] = 0;
    }
    slot.seqno = 1;
    slot.cmdbuf_va = CB_VA;
    slot.cmdbuf_size = (data[0] & 2) ? len + (data[0] >> 4) : len;
    slot.ctx = (data[0] & 4) ? data[0] >> 3 : 1;
    slot.flags = QNPU_JOB_IRQ;
    sys->cfg.workers = (data[0] & 8) ? 2 : 1;

    if (!qnpu_job_run(&sys->eng, &slot, CTXTBL_PA, &res)) {
        abort();            /* nothing aborts jobs here */
    }
    if (res.status > QNPU_STATUS_BAD_CONTEXT ||
        res.status == QNPU_STATUS_ABORTED ||
        (res.status == QNPU_STATUS_OK && res.faulted)) {
        abort();
    }
    /* Nothing outside the writable data pages may change. */
    for (i = 0; i < 4096; i++) {
        if (sys->ram[canary_pa + i] != 0xa5) {
            abort();
        }
    }
    if (memcmp(sys->ram + CTXTBL_PA, pt_copy, pt_end - CTXTBL_PA) ||
        memcmp(sys->ram + ro_pa, ro_copy, 4096)) {
        abort();
    }
    return 0;
}
