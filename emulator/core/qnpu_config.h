/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: a device instance's configuration, its limits and
 * its capability registers (docs/hardware.md, sections 3 and 5.1).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_CONFIG_H
#define QNPU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct qnpu_config - what a device instance is built with
 *
 * The QEMU device fills it from its properties; docs/hardware.md lists
 * the names, defaults and ranges.
 */
struct qnpu_config {
    uint32_t array_rows;		/* MAC array rows (output pixels) */
    uint32_t array_cols;		/* MAC array columns (channels) */
    uint32_t sram_kib;		/* on-chip SRAM */
    uint32_t clock_mhz;		/* modelled clock */
    uint32_t dram_mbps;		/* modelled DRAM bandwidth */
    uint32_t workers;		/* host threads for compute */
    uint32_t contexts;		/* MMU contexts, 0 reserved */
    uint32_t inject_hang;		/* every Nth job hangs */
    uint32_t inject_delay_us;	/* extra wall time per job */
    uint32_t inject_corrupt_status;	/* every Nth job: bad status */
    uint32_t inject_spurious_irq;	/* every Nth job: extra IRQ */
    uint32_t version_minor;		/* programming model 1.x it models */
    bool wired_irq;			/* a platform device: no MSI(-X) */
};

#define QNPU_DEFAULT_ARRAY_ROWS		32
#define QNPU_DEFAULT_ARRAY_COLS		32
#define QNPU_DEFAULT_SRAM_KIB		1024
#define QNPU_DEFAULT_CLOCK_MHZ		1000
#define QNPU_DEFAULT_DRAM_MBPS		12800
#define QNPU_DEFAULT_WORKERS		1
#define QNPU_DEFAULT_CONTEXTS		64

#define QNPU_MAX_ARRAY_DIM		4096
#define QNPU_MAX_WORKERS		64
#define QNPU_MAX_DIM			65535
#define QNPU_MAX_K			65536
#define QNPU_MAX_CMDBUF			(1u << 20)
#define QNPU_MAX_RING_ENTRIES		4096

void qnpu_config_defaults(struct qnpu_config *cfg);

/**
 * qnpu_config_check() - validate a configuration
 * @cfg: the configuration
 * @err: buffer for a message naming the bad property, or NULL
 * @errlen: size of @err
 *
 * Return: 0, or -EINVAL with @err filled.
 */
int qnpu_config_check(const struct qnpu_config *cfg, char *err,
                      size_t errlen);

/**
 * qnpu_cap_read() - value of an identity or capability register
 * @cfg: a configuration that passed qnpu_config_check()
 * @offset: BAR0 offset
 * @value: the register value
 *
 * Return: true when @offset is an identity/capability register.
 */
bool qnpu_cap_read(const struct qnpu_config *cfg, uint32_t offset,
                   uint32_t *value);

/**
 * qnpu_ops_supported() - CAP_OPS: bit n set when op n is implemented in the
 *	programming model @cfg models (1.0 lacks LUT)
 */
uint32_t qnpu_ops_supported(const struct qnpu_config *cfg);

#endif /* QNPU_CONFIG_H */
