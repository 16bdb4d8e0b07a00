/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: the device MMU (docs/hardware.md, section 8).
 *
 * Copyright (c) 2026 The qnpu authors
 */
#ifndef QNPU_MMU_H
#define QNPU_MMU_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct qnpu_bus - how the core reaches system memory by physical address
 * @read: copy @len bytes at @pa to @buf; 0, or -1 on a bus error
 * @write: copy @len bytes from @buf to @pa; 0, or -1 on a bus error
 * @opaque: passed to both
 */
struct qnpu_bus {
    int (*read)(void *opaque, uint64_t pa, void *buf, size_t len);
    int (*write)(void *opaque, uint64_t pa, const void *buf, size_t len);
    void *opaque;
};

/** struct qnpu_fault - one MMU fault, as MMU_FAULT_* report it */
struct qnpu_fault {
    uint64_t addr;
    uint16_t ctx;
    bool write;
    uint8_t reason;             /* QNPU_FAULT_* */
};

#define QNPU_TLB_ENTRIES 256

struct qnpu_tlb_entry {
    uint64_t vpn;               /* VA >> 12 */
    uint64_t page;              /* PA of the page */
    uint16_t ctx;               /* 0: entry unused */
    uint8_t perms;              /* QNPU_PTE_READ | QNPU_PTE_WRITE */
};

/**
 * struct qnpu_mmu - translation state shared by all contexts
 *
 * Only level-0 results are cached; invalidation may come from another
 * thread (the register interface) while a job translates.
 */
struct qnpu_mmu {
    const struct qnpu_bus *bus;
    pthread_mutex_t lock;
    uint64_t invalidations;     /* a walk that spans one fills nothing */
    struct qnpu_tlb_entry tlb[QNPU_TLB_ENTRIES];
};

/**
 * struct qnpu_vm - one job's view of memory: its context
 * @mmu: the device MMU
 * @ctx: context id
 * @root: PA of the context's level-2 table
 * @fault: the first fault, valid when an access returned -1
 */
struct qnpu_vm {
    struct qnpu_mmu *mmu;
    uint16_t ctx;
    uint64_t root;
    struct qnpu_fault fault;
};

void qnpu_mmu_init(struct qnpu_mmu *mmu, const struct qnpu_bus *bus);
void qnpu_mmu_destroy(struct qnpu_mmu *mmu);

/** qnpu_mmu_invalidate() - drop cached translations of @ctx, or all (-1) */
void qnpu_mmu_invalidate(struct qnpu_mmu *mmu, int ctx);

/**
 * qnpu_mmu_bind() - set up @vm for context @ctx (job-level checks 2-4)
 *
 * Return: QNPU_STATUS_OK, QNPU_STATUS_BAD_CONTEXT, or QNPU_STATUS_MMU_FAULT
 * (bus error reading the context entry; @vm->fault says where).
 */
uint32_t qnpu_mmu_bind(struct qnpu_vm *vm, struct qnpu_mmu *mmu,
                       uint64_t ctxtbl, uint32_t contexts, uint16_t ctx,
                       uint64_t fault_va);

/** qnpu_vm_read() - read @len bytes at @va; 0, or -1 with @vm->fault set */
int qnpu_vm_read(struct qnpu_vm *vm, uint64_t va, void *buf, size_t len);

/** qnpu_vm_write() - write @len bytes at @va; 0, or -1 with @vm->fault set */
int qnpu_vm_write(struct qnpu_vm *vm, uint64_t va, const void *buf,
                  size_t len);

#endif /* QNPU_MMU_H */
