/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Simulated system memory for host tests of the emulator core.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef EMU_SIM_H
#define EMU_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_core.h"
#include "qnpu_job.h"
#include "qnpu_mmu.h"
#include "qnpu_regs.h"

#define RAM_SIZE    (64u << 20)
#define CTXTBL_PA   0x1000ull
#define PT_POOL_PA  0x100000ull     /* page tables from here */
#define DATA_PA     0x800000ull     /* pages for data from here */

struct sys {
    uint8_t *ram;
    uint64_t next_pt;
    uint64_t next_page;
    struct qnpu_bus bus;
    struct qnpu_mmu mmu;
    struct qnpu_config cfg;
    struct qnpu_engine eng;
};

/* A command-buffer under construction, placed at @va of a context. */
struct cb {
    uint8_t buf[4096];
    uint32_t size;
    uint32_t count;
    bool raw;           /* header already written: leave it */
};

#define CB_VA   0x10000000ull

uint64_t *u64_at(struct sys *s, uint64_t pa);
uint64_t new_table(struct sys *s);
void ctx_create(struct sys *s, uint16_t ctx);
void map_page(struct sys *s, uint16_t ctx, uint64_t va, uint64_t pa,
              uint64_t perms);
void unmap_page(struct sys *s, uint16_t ctx, uint64_t va);
uint64_t map_range(struct sys *s, uint16_t ctx, uint64_t va, uint64_t len,
                   uint64_t perms);
int sim_setup(void **state);
int sim_teardown(void **state);
void cb_init(struct cb *cb);
void *cb_add(struct cb *cb, uint16_t op, uint32_t size);
void cb_finish(struct cb *cb);
struct qnpu_tensor tensor(uint64_t va, uint32_t n, uint32_t h, uint32_t w,
                          uint32_t c);
bool run(struct sys *s, struct cb *cb, uint16_t ctx,
         struct qnpu_job_result *res);

#endif /* EMU_SIM_H */
