/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Host tests of the emulator core's MMU and job runner, on a simulated
 * system memory. Page tables and command buffers are built here from
 * docs/hardware.md, independently of the core.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qnpu_cmdbuf.h"
#include "qnpu_core.h"
#include "qnpu_job.h"
#include "qnpu_mmu.h"
#include "qnpu_regs.h"

#include "emu_sim.h"

static void add_copy(struct cb *cb, struct qnpu_tensor src,
                     struct qnpu_tensor dst)
{
    struct qnpu_desc_copy *d = cb_add(cb, QNPU_OP_COPY, sizeof(*d));

    d->src = src;
    d->dst = dst;
}

static void test_copy_across_pages(void **state)
{
    struct sys *s = *state;
    struct qnpu_job_result res;
    uint64_t src_pa, dst_pa;
    struct cb cb;
    int i;

    src_pa = map_range(s, 1, 0x200000, 3 * 4096, 2);
    dst_pa = map_range(s, 1, 0x300000, 3 * 4096, 6);
    for (i = 0; i < 10000; i++) {
        s->ram[src_pa + 100 + i] = (uint8_t)(i * 7 + 3);
    }
    cb_init(&cb);
    cb_add(&cb, QNPU_OP_NOP, 24);
    add_copy(&cb, tensor(0x200000 + 100, 1, 10, 10, 100),
             tensor(0x300000 + 50, 1, 10, 10, 100));
    cb_add(&cb, QNPU_OP_BARRIER, 8);
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_OK);
    assert_false(res.faulted);
    assert_memory_equal(s->ram + dst_pa + 50, s->ram + src_pa + 100, 10000);
    assert_int_equal(s->ram[dst_pa + 49], 0);
    assert_int_equal(s->ram[dst_pa + 50 + 10000], 0);
    assert_int_equal(res.stats.dram_rd, 10000);
    assert_int_equal(res.stats.dram_wr, 10000);
    assert_true(res.stats.cycles > 64);
}

static void test_copy_transpose_and_broadcast(void **state)
{
    struct sys *s = *state;
    struct qnpu_job_result res;
    struct qnpu_tensor src, dst;
    uint64_t src_pa, dst_pa;
    struct cb cb;
    int h, w;

    src_pa = map_range(s, 1, 0x400000, 4096, 2);
    dst_pa = map_range(s, 1, 0x500000, 4096, 6);
    for (h = 0; h < 5; h++) {
        for (w = 0; w < 7; w++) {
            s->ram[src_pa + h * 7 + w] = h * 10 + w;
        }
    }
    /* dst[w][h] = src[h][w], written with a C stride of 5. */
    src = tensor(0x400000, 1, 1, 5, 7);
    dst = tensor(0x500000, 1, 1, 5, 7);
    dst.stride[2] = 1;
    dst.stride[3] = 5;
    cb_init(&cb);
    add_copy(&cb, src, dst);
    /* Row 0 of src repeated 3 times with stride 0 on H. */
    src = tensor(0x400000, 1, 3, 1, 7);
    src.stride[1] = 0;
    add_copy(&cb, src, tensor(0x500000 + 100, 1, 3, 1, 7));
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_OK);
    for (h = 0; h < 5; h++) {
        for (w = 0; w < 7; w++) {
            assert_int_equal(s->ram[dst_pa + w * 5 + h], h * 10 + w);
        }
    }
    for (h = 0; h < 3; h++) {
        for (w = 0; w < 7; w++) {
            assert_int_equal(s->ram[dst_pa + 100 + h * 7 + w], w);
        }
    }
}

static void expect_status(struct sys *s, struct cb *cb, uint16_t ctx,
                          uint32_t status, uint32_t offset)
{
    struct qnpu_job_result res;

    assert_true(run(s, cb, ctx, &res));
    assert_int_equal(res.status, status);
    assert_int_equal(res.error_offset, offset);
}

static void test_header_errors(void **state)
{
    struct sys *s = *state;
    struct qnpu_cmdbuf_header *h;
    struct cb cb;

    cb_init(&cb);
    cb_add(&cb, QNPU_OP_NOP, 8);
    cb_finish(&cb);
    cb.raw = true;
    h = (void *)cb.buf;
    h->magic ^= 1;
    expect_status(s, &cb, 1, QNPU_STATUS_INVALID_HEADER, 0);
    h->magic ^= 1;
    h->version = 2;
    expect_status(s, &cb, 1, QNPU_STATUS_UNSUPPORTED_VERSION, 0);
    h->version = 1;
    h->reserved[1] = 1;
    expect_status(s, &cb, 1, QNPU_STATUS_INVALID_HEADER, 0);
    h->reserved[1] = 0;
    h->size = 48;
    expect_status(s, &cb, 1, QNPU_STATUS_INVALID_HEADER, 0);
    h->size = 40;
    expect_status(s, &cb, 1, QNPU_STATUS_OK, 0);

    cb_init(&cb);
    cb_add(&cb, QNPU_OP_NOP, 8);
    cb.count = 2;
    expect_status(s, &cb, 1, QNPU_STATUS_INVALID_HEADER, 0);

    cb_init(&cb);
    cb_add(&cb, QNPU_OP_NOP, 8);
    cb.size += 8;       /* 8 bytes no descriptor covers */
    expect_status(s, &cb, 1, QNPU_STATUS_INVALID_HEADER, 0);

    cb_init(&cb);
    cb_add(&cb, QNPU_OP_NOP, 8);
    ((struct qnpu_desc_header *)(cb.buf + 32))->size = 12;
    expect_status(s, &cb, 1, QNPU_STATUS_INVALID_DESCRIPTOR, 32);
}

static void test_descriptor_errors(void **state)
{
    struct sys *s = *state;
    struct qnpu_desc_header *h;
    struct cb cb;

    cb_init(&cb);
    cb_add(&cb, QNPU_OP_NOP, 16);
    h = cb_add(&cb, 0x77, 8);
    expect_status(s, &cb, 1, QNPU_STATUS_UNKNOWN_OP, 48);

    cb_init(&cb);
    h = cb_add(&cb, QNPU_OP_BARRIER, 8);
    h->version = 2;
    expect_status(s, &cb, 1, QNPU_STATUS_UNSUPPORTED_VERSION, 32);

    cb_init(&cb);
    h = cb_add(&cb, QNPU_OP_BARRIER, 8);
    h->flags = 1;
    expect_status(s, &cb, 1, QNPU_STATUS_INVALID_DESCRIPTOR, 32);

    cb_init(&cb);
    cb_add(&cb, QNPU_OP_BARRIER, 16);
    expect_status(s, &cb, 1, QNPU_STATUS_INVALID_DESCRIPTOR, 32);

    /* COPY: dims differ, dim 0, reserved byte, output stride 0, limit. */
    {
        struct qnpu_tensor a = tensor(0x200000, 1, 1, 1, 8);
        struct qnpu_tensor b = tensor(0x300000, 1, 1, 1, 9);

        map_range(s, 1, 0x200000, 4096, 2);
        map_range(s, 1, 0x300000, 4096, 6);
        cb_init(&cb);
        add_copy(&cb, a, b);
        expect_status(s, &cb, 1, QNPU_STATUS_INVALID_DESCRIPTOR, 32);
        b = a;
        b.dim[1] = 0;
        cb_init(&cb);
        add_copy(&cb, a, b);
        expect_status(s, &cb, 1, QNPU_STATUS_INVALID_DESCRIPTOR, 32);
        b = a;
        b.reserved[6] = 1;
        cb_init(&cb);
        add_copy(&cb, a, b);
        expect_status(s, &cb, 1, QNPU_STATUS_INVALID_DESCRIPTOR, 32);
        b = a;
        b.stride[0] = 0;
        cb_init(&cb);
        add_copy(&cb, a, b);
        expect_status(s, &cb, 1, QNPU_STATUS_INVALID_DESCRIPTOR, 32);
        b = a;
        b.dtype = QNPU_DTYPE_INT32;
        cb_init(&cb);
        add_copy(&cb, a, b);
        expect_status(s, &cb, 1, QNPU_STATUS_INVALID_DESCRIPTOR, 32);
        /* Field errors win over limits (docs/hardware.md 14). */
        b = a;
        b.dim[3] = 65536;
        cb_init(&cb);
        add_copy(&cb, a, b);
        expect_status(s, &cb, 1, QNPU_STATUS_INVALID_DESCRIPTOR, 32);
        a.dim[3] = 65536;
        cb_init(&cb);
        add_copy(&cb, a, b);
        expect_status(s, &cb, 1, QNPU_STATUS_LIMIT_EXCEEDED, 32);
    }
}

static void test_context_checks(void **state)
{
    struct sys *s = *state;
    struct qnpu_job_result res;
    struct qnpu_ring_slot slot = { .seqno = 1, .cmdbuf_va = CB_VA,
                                   .cmdbuf_size = 40, .ctx = 1 };
    struct cb cb;

    cb_init(&cb);
    cb_add(&cb, QNPU_OP_NOP, 8);
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_OK);

    slot.ctx = 0;
    assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
    assert_int_equal(res.status, QNPU_STATUS_BAD_CONTEXT);
    assert_true(res.faulted);
    assert_int_equal(res.fault.reason, QNPU_FAULT_BAD_CONTEXT);

    slot.ctx = s->cfg.contexts;
    assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
    assert_int_equal(res.status, QNPU_STATUS_BAD_CONTEXT);

    slot.ctx = 3;       /* entry never made valid */
    assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
    assert_int_equal(res.status, QNPU_STATUS_BAD_CONTEXT);

    slot.ctx = 1;
    assert_true(qnpu_job_run(&s->eng, &slot, 0, &res));
    assert_int_equal(res.status, QNPU_STATUS_BAD_CONTEXT);

    /* Context table outside RAM: bus error. */
    assert_true(qnpu_job_run(&s->eng, &slot, RAM_SIZE + 0x1000, &res));
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.fault.reason, QNPU_FAULT_BUS_ERROR);

    slot.flags = 2;
    assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
    assert_int_equal(res.status, QNPU_STATUS_INVALID_HEADER);
    slot.flags = 0;
    slot.reserved0[4] = 1;
    assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
    assert_int_equal(res.status, QNPU_STATUS_INVALID_HEADER);
    slot.reserved0[4] = 0;

    slot.cmdbuf_va = CB_VA + 4;
    assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
    assert_int_equal(res.status, QNPU_STATUS_INVALID_HEADER);
    slot.cmdbuf_va = CB_VA;
    slot.cmdbuf_size = 24;
    assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
    assert_int_equal(res.status, QNPU_STATUS_INVALID_HEADER);
    slot.cmdbuf_size = 2u << 20;
    assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
    assert_int_equal(res.status, QNPU_STATUS_LIMIT_EXCEEDED);

    slot.cmdbuf_size = 4096;
    slot.cmdbuf_va = (1ull << 39) - 2048;
    assert_true(qnpu_job_run(&s->eng, &slot, CTXTBL_PA, &res));
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.fault.reason, QNPU_FAULT_VA_RANGE);
    assert_int_equal(res.fault.addr, 1ull << 39);
}

static void test_faults(void **state)
{
    struct sys *s = *state;
    struct qnpu_job_result res;
    uint64_t pa;
    struct cb cb;

    map_range(s, 1, 0x200000, 4096, 2);         /* read-only */
    map_range(s, 1, 0x300000, 4096, 6);

    /* Destination not mapped: second descriptor faults at its VA. */
    cb_init(&cb);
    cb_add(&cb, QNPU_OP_NOP, 8);
    add_copy(&cb, tensor(0x200000, 1, 1, 1, 16),
             tensor(0x700000, 1, 1, 1, 16));
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.error_offset, 40);
    assert_true(res.faulted);
    assert_int_equal(res.fault.addr, 0x700000);
    assert_true(res.fault.write);
    assert_int_equal(res.fault.reason, QNPU_FAULT_NOT_MAPPED);
    assert_int_equal(res.fault.ctx, 1);

    /* Write to a read-only page. */
    cb_init(&cb);
    add_copy(&cb, tensor(0x300000, 1, 1, 1, 16),
             tensor(0x200000 + 8, 1, 1, 1, 16));
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.fault.reason, QNPU_FAULT_PERMISSION);
    assert_int_equal(res.fault.addr, 0x200008);

    /* A span past 2^39. */
    cb_init(&cb);
    add_copy(&cb, tensor((1ull << 39) - 8, 1, 1, 1, 16),
             tensor(0x300000, 1, 1, 1, 16));
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.fault.reason, QNPU_FAULT_VA_RANGE);

    /* A leaf pointing outside RAM. */
    map_page(s, 1, 0x900000, RAM_SIZE + 0x10000, 2);
    cb_init(&cb);
    add_copy(&cb, tensor(0x900000, 1, 1, 1, 16),
             tensor(0x300000, 1, 1, 1, 16));
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.fault.reason, QNPU_FAULT_BUS_ERROR);

    /* Reserved PTE bits make an entry not valid. */
    pa = map_range(s, 1, 0xa00000, 4096, 2);
    map_page(s, 1, 0xa00000, pa | (1ull << 60), 2);
    cb_init(&cb);
    add_copy(&cb, tensor(0xa00000, 1, 1, 1, 16),
             tensor(0x300000, 1, 1, 1, 16));
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.fault.reason, QNPU_FAULT_NOT_MAPPED);
}

/* A job of context 2 cannot reach context 1's pages at the same VA. */
static void test_isolation(void **state)
{
    struct sys *s = *state;
    struct qnpu_job_result res;
    uint64_t secret_pa, out2_pa;
    struct cb cb;

    secret_pa = map_range(s, 1, 0x200000, 4096, 2);
    memset(s->ram + secret_pa, 0x5a, 64);
    out2_pa = map_range(s, 2, 0x300000, 4096, 6);
    cb_init(&cb);
    add_copy(&cb, tensor(0x200000, 1, 1, 1, 64),
             tensor(0x300000, 1, 1, 1, 64));
    assert_true(run(s, &cb, 2, &res));
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.fault.ctx, 2);
    assert_int_equal(res.fault.addr, 0x200000);
    assert_int_equal(s->ram[out2_pa], 0);

    /* The same command buffer works in context 1 (after context 2's try,
     * so nothing cached for context 2 leaks). */
    map_range(s, 1, 0x300000, 4096, 6);
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_OK);
}

static void test_invalidate(void **state)
{
    struct sys *s = *state;
    struct qnpu_job_result res;
    struct cb cb;

    map_range(s, 1, 0x200000, 4096, 2);
    map_range(s, 1, 0x300000, 4096, 6);
    cb_init(&cb);
    add_copy(&cb, tensor(0x200000, 1, 1, 1, 64),
             tensor(0x300000, 1, 1, 1, 64));
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_OK);

    unmap_page(s, 1, 0x200000);
    qnpu_mmu_invalidate(&s->mmu, 1);
    assert_true(run(s, &cb, 1, &res));
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.fault.addr, 0x200000);
}

/*
 * The driver unmaps a page and invalidates while the device is between
 * reading the page table and filling its TLB: the stale translation may
 * serve the access in flight, but must not be cached past the invalidate,
 * so the job's next access to the page faults.
 */
static struct sys *race_sys;
static uint64_t race_page;
static int (*race_read)(void *, uint64_t, void *, size_t);

static int read_then_unmap(void *opaque, uint64_t pa, void *buf, size_t len)
{
    int ret = race_read(opaque, pa, buf, len);
    uint64_t pte;

    if (!ret && len == 8 && race_page) {
        memcpy(&pte, buf, 8);
        if ((le64toh(pte) & QNPU_PTE_ADDR_MASK) == race_page) {
            race_page = 0;
            unmap_page(race_sys, 1, 0x200000);
            qnpu_mmu_invalidate(&race_sys->mmu, 1);
        }
    }
    return ret;
}

static void test_invalidate_during_walk(void **state)
{
    struct sys *s = *state;
    struct qnpu_job_result res;
    struct cb cb;
    uint32_t second;

    map_range(s, 1, 0x301000, 4096, 6);
    cb_init(&cb);
    add_copy(&cb, tensor(0x200000, 1, 1, 1, 64),
             tensor(0x301000, 1, 1, 1, 64));
    second = cb.size;
    add_copy(&cb, tensor(0x200000, 1, 1, 1, 64),
             tensor(0x301000, 1, 1, 1, 64));
    race_page = map_range(s, 1, 0x200000, 4096, 2);
    race_sys = s;
    race_read = s->bus.read;
    s->bus.read = read_then_unmap;
    assert_true(run(s, &cb, 1, &res));
    s->bus.read = race_read;
    assert_int_equal(race_page, 0);     /* the race happened */
    assert_int_equal(res.status, QNPU_STATUS_MMU_FAULT);
    assert_int_equal(res.fault.addr, 0x200000);
    assert_int_equal(res.error_offset, second);
}

static void test_abort(void **state)
{
    struct sys *s = *state;
    struct qnpu_job_result res;
    struct cb cb;

    cb_init(&cb);
    cb_add(&cb, QNPU_OP_NOP, 8);
    atomic_store(&s->eng.abort, true);
    assert_false(run(s, &cb, 1, &res));
    atomic_store(&s->eng.abort, false);
    assert_true(run(s, &cb, 1, &res));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_copy_across_pages, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_copy_transpose_and_broadcast,
                                        sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_header_errors, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_descriptor_errors, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_context_checks, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_faults, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_isolation, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_invalidate, sim_setup, sim_teardown),
        cmocka_unit_test_setup_teardown(test_invalidate_during_walk, sim_setup,
                                        sim_teardown),
        cmocka_unit_test_setup_teardown(test_abort, sim_setup, sim_teardown),
    };

    return cmocka_run_group_tests_name("emulator jobs", tests, NULL, NULL);
}
