/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Host tests of the emulator core: configuration checks and the identity
 * and capability registers, against values worked out from
 * docs/hardware.md by hand.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qnpu_core.h"
#include "qnpu_regs.h"

static uint32_t cap(const struct qnpu_config *cfg, uint32_t offset)
{
    uint32_t v = 0xdeadbeef;

    assert_true(qnpu_cap_read(cfg, offset, &v));
    return v;
}

static void test_default_registers(void **state)
{
    struct qnpu_config cfg;

    qnpu_config_defaults(&cfg);
    assert_int_equal(qnpu_config_check(&cfg, NULL, 0), 0);

    /* "QNPU" as bytes in memory, little-endian register. */
    assert_int_equal(cap(&cfg, 0x000), 0x55504e51);
    {
        uint32_t id = cap(&cfg, 0x000);

        assert_memory_equal("QNPU", &id, 4);
    }
    assert_int_equal(cap(&cfg, 0x004), 0x00010001);
    assert_int_equal(cap(&cfg, 0x010), 0x00200020);
    assert_int_equal(cap(&cfg, 0x014), 1024);
    assert_int_equal(cap(&cfg, 0x018), 1000);
    assert_int_equal(cap(&cfg, 0x01c), 12800);
    assert_int_equal(cap(&cfg, 0x020), 0x7ff);
    assert_int_equal(cap(&cfg, 0x024), 0x0c270040);
    assert_int_equal(cap(&cfg, 0x028), 0x00011000);
    assert_int_equal(cap(&cfg, 0x02c), 0x00010001);
    assert_int_equal(cap(&cfg, 0x030), 65535);
    assert_int_equal(cap(&cfg, 0x034), 65536);
    assert_int_equal(cap(&cfg, 0x038), 1048576);
    assert_int_equal(cap(&cfg, 0x03c), 0x1f);
}

static void test_fault_injection_feature(void **state)
{
    uint32_t *knobs[4];
    struct qnpu_config cfg;
    int i;

    for (i = 0; i < 4; i++) {
        qnpu_config_defaults(&cfg);
        knobs[0] = &cfg.inject_hang;
        knobs[1] = &cfg.inject_delay_us;
        knobs[2] = &cfg.inject_corrupt_status;
        knobs[3] = &cfg.inject_spurious_irq;
        *knobs[i] = 3;
        assert_int_equal(qnpu_config_check(&cfg, NULL, 0), 0);
        assert_int_equal(cap(&cfg, 0x03c), 0x1f | 0x20);
    }
}

/* version-minor=0 models a 1.0 part: its VERSION, and CAP_OPS without LUT. */
static void test_older_programming_model(void **state)
{
    struct qnpu_config cfg;

    qnpu_config_defaults(&cfg);
    cfg.version_minor = 0;
    assert_int_equal(qnpu_config_check(&cfg, NULL, 0), 0);
    assert_int_equal(cap(&cfg, 0x004), 0x00010000);
    assert_int_equal(cap(&cfg, 0x020), 0x3ff);
}

static void test_not_capability_registers(void **state)
{
    static const uint32_t others[] = {
        0x008, 0x00c, 0x040, 0x044, 0x048, 0x050, 0x054, 0x080, 0x0c0,
        0x0d0, 0x100, 0x108, 0x140, 0xfffc,
    };
    struct qnpu_config cfg;
    uint32_t v = 7;
    size_t i;

    qnpu_config_defaults(&cfg);
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_false(qnpu_cap_read(&cfg, others[i], &v));
        assert_int_equal(v, 7);
    }
}

struct range_case {
    const char *name;
    size_t field;
    uint32_t lo, hi;
};

#define FIELD(f) offsetof(struct qnpu_config, f)

static void test_property_ranges(void **state)
{
    static const struct range_case cases[] = {
        { "array-rows", FIELD(array_rows), 1, 4096 },
        { "array-cols", FIELD(array_cols), 1, 4096 },
        { "sram-kib", FIELD(sram_kib), 1, 4194304 },
        { "clock-mhz", FIELD(clock_mhz), 1, 100000 },
        { "dram-mbps", FIELD(dram_mbps), 1, 1u << 30 },
        { "workers", FIELD(workers), 1, 64 },
        { "contexts", FIELD(contexts), 2, 65535 },
        { "version-minor", FIELD(version_minor), 0, 1 },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct range_case *c = &cases[i];
        uint32_t bad[2] = { c->lo - 1, c->hi + 1 };
        uint32_t good[2] = { c->lo, c->hi };
        struct qnpu_config cfg;
        char err[128];
        int j;

        for (j = 0; j < 2; j++) {
            qnpu_config_defaults(&cfg);
            *(uint32_t *)((char *)&cfg + c->field) = bad[j];
            err[0] = 0;
            assert_int_equal(qnpu_config_check(&cfg, err, sizeof(err)),
                             -EINVAL);
            assert_non_null(strstr(err, c->name));

            qnpu_config_defaults(&cfg);
            *(uint32_t *)((char *)&cfg + c->field) = good[j];
            assert_int_equal(qnpu_config_check(&cfg, err, sizeof(err)), 0);
        }
    }
}

/* Random valid configurations decode back to what was asked for. */
static void test_random_geometry_roundtrip(void **state)
{
    struct qnpu_config cfg;
    uint32_t v;
    int i;

    srand(12345);
    for (i = 0; i < 2000; i++) {
        qnpu_config_defaults(&cfg);
        cfg.array_rows = 1 + rand() % 4096;
        cfg.array_cols = 1 + rand() % 4096;
        cfg.contexts = 2 + rand() % 65534;
        cfg.sram_kib = 1 + rand() % 4194304;
        assert_int_equal(qnpu_config_check(&cfg, NULL, 0), 0);
        v = cap(&cfg, QNPU_REG_CAP_ARRAY);
        assert_int_equal(QNPU_CAP_ARRAY_ROWS(v), cfg.array_rows);
        assert_int_equal(QNPU_CAP_ARRAY_COLS(v), cfg.array_cols);
        v = cap(&cfg, QNPU_REG_CAP_MMU);
        assert_int_equal(QNPU_CAP_MMU_CONTEXTS(v), cfg.contexts);
        assert_int_equal(QNPU_CAP_MMU_VA_BITS(v), 39);
        assert_int_equal(QNPU_CAP_MMU_PAGE_SHIFT(v), 12);
        assert_int_equal(cap(&cfg, QNPU_REG_CAP_SRAM), cfg.sram_kib);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_registers),
        cmocka_unit_test(test_fault_injection_feature),
        cmocka_unit_test(test_older_programming_model),
        cmocka_unit_test(test_not_capability_registers),
        cmocka_unit_test(test_property_ranges),
        cmocka_unit_test(test_random_geometry_roundtrip),
    };

    return cmocka_run_group_tests_name("emulator core", tests, NULL, NULL);
}
