/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: device configuration and capability registers.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <errno.h>
#include <stdio.h>

#include "qnpu_config.h"
#include "qnpu_regs.h"
#include "qnpu_cmdbuf.h"

void qnpu_config_defaults(struct qnpu_config *cfg)
{
    *cfg = (struct qnpu_config) {
        .array_rows = QNPU_DEFAULT_ARRAY_ROWS,
        .array_cols = QNPU_DEFAULT_ARRAY_COLS,
        .sram_kib = QNPU_DEFAULT_SRAM_KIB,
        .clock_mhz = QNPU_DEFAULT_CLOCK_MHZ,
        .dram_mbps = QNPU_DEFAULT_DRAM_MBPS,
        .workers = QNPU_DEFAULT_WORKERS,
        .contexts = QNPU_DEFAULT_CONTEXTS,
        .version_minor = QNPU_HW_VERSION_MINOR,
    };
}

static int check_range(const char *name, uint32_t v, uint32_t lo,
                       uint32_t hi, char *err, size_t errlen)
{
    if (v >= lo && v <= hi) {
        return 0;
    }
    if (err) {
        snprintf(err, errlen, "%s=%u is out of range %u..%u",
                 name, v, lo, hi);
    }
    return -EINVAL;
}

int qnpu_config_check(const struct qnpu_config *cfg, char *err,
                      size_t errlen)
{
    int ret = 0;

    ret = ret ? ret : check_range("array-rows", cfg->array_rows, 1,
                                  QNPU_MAX_ARRAY_DIM, err, errlen);
    ret = ret ? ret : check_range("array-cols", cfg->array_cols, 1,
                                  QNPU_MAX_ARRAY_DIM, err, errlen);
    ret = ret ? ret : check_range("sram-kib", cfg->sram_kib, 1,
                                  1u << 22, err, errlen);
    ret = ret ? ret : check_range("clock-mhz", cfg->clock_mhz, 1,
                                  100000, err, errlen);
    ret = ret ? ret : check_range("dram-mbps", cfg->dram_mbps, 1,
                                  1u << 30, err, errlen);
    ret = ret ? ret : check_range("workers", cfg->workers, 1,
                                  QNPU_MAX_WORKERS, err, errlen);
    ret = ret ? ret : check_range("contexts", cfg->contexts, 2,
                                  65535, err, errlen);
    ret = ret ? ret : check_range("version-minor", cfg->version_minor, 0,
                                  QNPU_HW_VERSION_MINOR, err, errlen);
    return ret;
}

static bool fault_injection(const struct qnpu_config *cfg)
{
    return cfg->inject_hang || cfg->inject_delay_us ||
           cfg->inject_corrupt_status || cfg->inject_spurious_irq;
}

bool qnpu_cap_read(const struct qnpu_config *cfg, uint32_t offset,
                   uint32_t *value)
{
    uint32_t v;

    switch (offset) {
    case QNPU_REG_ID:
        v = QNPU_ID_MAGIC;
        break;
    case QNPU_REG_VERSION:
        v = QNPU_HW_VERSION_MAJOR << 16 | cfg->version_minor;
        break;
    case QNPU_REG_CAP_ARRAY:
        v = cfg->array_cols << 16 | cfg->array_rows;
        break;
    case QNPU_REG_CAP_SRAM:
        v = cfg->sram_kib;
        break;
    case QNPU_REG_CAP_CLOCK:
        v = cfg->clock_mhz;
        break;
    case QNPU_REG_CAP_DRAM_BW:
        v = cfg->dram_mbps;
        break;
    case QNPU_REG_CAP_OPS:
        v = qnpu_ops_supported(cfg);
        break;
    case QNPU_REG_CAP_MMU:
        v = (uint32_t)QNPU_PAGE_SHIFT << 24 |
            (uint32_t)QNPU_VA_BITS << 16 | cfg->contexts;
        break;
    case QNPU_REG_CAP_RING:
        v = 1u << 16 | QNPU_MAX_RING_ENTRIES;
        break;
    case QNPU_REG_CAP_CMDBUF:
        v = QNPU_CMDBUF_VERSION << 16 | QNPU_CMDBUF_VERSION;
        break;
    case QNPU_REG_CAP_MAX_DIM:
        v = QNPU_MAX_DIM;
        break;
    case QNPU_REG_CAP_MAX_K:
        v = QNPU_MAX_K;
        break;
    case QNPU_REG_CAP_MAX_CMDBUF:
        v = QNPU_MAX_CMDBUF;
        break;
    case QNPU_REG_CAP_FEATURES:
        v = (cfg->wired_irq ? 0 : QNPU_FEATURE_MSIX | QNPU_FEATURE_MSI) |
            QNPU_FEATURE_ROUND_DOUBLE | QNPU_FEATURE_ROUND_SINGLE |
            QNPU_FEATURE_PER_CHANNEL;
        if (fault_injection(cfg)) {
            v |= QNPU_FEATURE_FAULT_INJECT;
        }
        break;
    default:
        return false;
    }
    *value = v;
    return true;
}
