/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: page-table walker and TLB.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <endian.h>
#include <string.h>

#include "qnpu_mmu.h"
#include "qnpu_regs.h"
#include "qnpu_cmdbuf.h"

#define PTE_RESERVED    (~(QNPU_PTE_ADDR_MASK | QNPU_PTE_VALID | \
                           QNPU_PTE_READ | QNPU_PTE_WRITE))
#define CTX_RESERVED    (~(QNPU_PTE_ADDR_MASK | QNPU_CTX_VALID))
#define VA_LIMIT        (1ull << QNPU_VA_BITS)

void qnpu_mmu_init(struct qnpu_mmu *mmu, const struct qnpu_bus *bus)
{
    memset(mmu, 0, sizeof(*mmu));
    mmu->bus = bus;
    pthread_mutex_init(&mmu->lock, NULL);
}

void qnpu_mmu_destroy(struct qnpu_mmu *mmu)
{
    pthread_mutex_destroy(&mmu->lock);
}

void qnpu_mmu_invalidate(struct qnpu_mmu *mmu, int ctx)
{
    int i;

    pthread_mutex_lock(&mmu->lock);
    for (i = 0; i < QNPU_TLB_ENTRIES; i++) {
        if (ctx < 0 || mmu->tlb[i].ctx == ctx) {
            mmu->tlb[i].ctx = 0;
        }
    }
    mmu->invalidations++;
    pthread_mutex_unlock(&mmu->lock);
}

static int fault(struct qnpu_vm *vm, uint64_t va, bool write, uint8_t reason)
{
    vm->fault = (struct qnpu_fault) {
        .addr = va, .ctx = vm->ctx, .write = write, .reason = reason,
    };
    return -1;
}

uint32_t qnpu_mmu_bind(struct qnpu_vm *vm, struct qnpu_mmu *mmu,
                       uint64_t ctxtbl, uint32_t contexts, uint16_t ctx,
                       uint64_t fault_va)
{
    struct qnpu_ctx_entry entry;

    memset(vm, 0, sizeof(*vm));
    vm->mmu = mmu;
    vm->ctx = ctx;
    if (ctx == 0 || ctx >= contexts || ctxtbl == 0) {
        fault(vm, 0, false, QNPU_FAULT_BAD_CONTEXT);
        return QNPU_STATUS_BAD_CONTEXT;
    }
    if (mmu->bus->read(mmu->bus->opaque, ctxtbl + 16ull * ctx, &entry,
                       sizeof(entry))) {
        fault(vm, fault_va, false, QNPU_FAULT_BUS_ERROR);
        return QNPU_STATUS_MMU_FAULT;
    }
    entry.root = le64toh(entry.root);
    if (!(entry.root & QNPU_CTX_VALID) || (entry.root & CTX_RESERVED) ||
        entry.reserved) {
        fault(vm, 0, false, QNPU_FAULT_BAD_CONTEXT);
        return QNPU_STATUS_BAD_CONTEXT;
    }
    vm->root = entry.root & QNPU_PTE_ADDR_MASK;
    return QNPU_STATUS_OK;
}

/* Walk the three levels for @va; 0 with the leaf PTE, or -1 (fault set). */
static int walk(struct qnpu_vm *vm, uint64_t va, bool write, uint64_t *leaf)
{
    const struct qnpu_bus *bus = vm->mmu->bus;
    uint64_t table = vm->root, pte = 0;
    int level;

    for (level = QNPU_PT_LEVELS - 1; level >= 0; level--) {
        unsigned idx = (va >> (QNPU_PAGE_SHIFT + 9 * level)) & 511;

        if (bus->read(bus->opaque, table + 8ull * idx, &pte, sizeof(pte))) {
            return fault(vm, va, write, QNPU_FAULT_BUS_ERROR);
        }
        pte = le64toh(pte);
        if (!(pte & QNPU_PTE_VALID) || (pte & PTE_RESERVED)) {
            return fault(vm, va, write, QNPU_FAULT_NOT_MAPPED);
        }
        table = pte & QNPU_PTE_ADDR_MASK;
    }
    *leaf = pte;
    return 0;
}

/* PA of the page holding @va, checking permission; -1 with fault set. */
static int translate(struct qnpu_vm *vm, uint64_t va, bool write,
                     uint64_t *page)
{
    struct qnpu_mmu *mmu = vm->mmu;
    uint64_t vpn = va >> QNPU_PAGE_SHIFT, pte;
    struct qnpu_tlb_entry *e = &mmu->tlb[vpn % QNPU_TLB_ENTRIES];
    uint8_t need = write ? QNPU_PTE_WRITE : QNPU_PTE_READ;
    uint64_t invalidations;
    bool hit;

    if (va >= VA_LIMIT) {
        return fault(vm, va, write, QNPU_FAULT_VA_RANGE);
    }
    pthread_mutex_lock(&mmu->lock);
    hit = e->ctx == vm->ctx && e->vpn == vpn;
    if (hit) {
        *page = e->page;
        pte = e->perms;
    }
    invalidations = mmu->invalidations;
    pthread_mutex_unlock(&mmu->lock);

    if (!hit) {
        if (walk(vm, va, write, &pte)) {
            return -1;
        }
        *page = pte & QNPU_PTE_ADDR_MASK;
        /*
         * An invalidation during the walk may have removed what it read:
         * the access in flight may use it, the TLB must not keep it.
         */
        pthread_mutex_lock(&mmu->lock);
        if (invalidations == mmu->invalidations) {
            *e = (struct qnpu_tlb_entry) {
                .vpn = vpn, .page = *page, .ctx = vm->ctx,
                .perms = pte & (QNPU_PTE_READ | QNPU_PTE_WRITE),
            };
        }
        pthread_mutex_unlock(&mmu->lock);
    }
    if (!(pte & need)) {
        return fault(vm, va, write, QNPU_FAULT_PERMISSION);
    }
    return 0;
}

static int access_range(struct qnpu_vm *vm, uint64_t va, void *buf,
                        size_t len, bool write)
{
    const struct qnpu_bus *bus = vm->mmu->bus;
    uint8_t *p = buf;

    while (len) {
        uint64_t off = va & (QNPU_PAGE_SIZE - 1), page;
        size_t chunk = QNPU_PAGE_SIZE - off;
        int ret;

        if (chunk > len) {
            chunk = len;
        }
        if (translate(vm, va, write, &page)) {
            return -1;
        }
        ret = write ? bus->write(bus->opaque, page | off, p, chunk)
                    : bus->read(bus->opaque, page | off, p, chunk);
        if (ret) {
            return fault(vm, va, write, QNPU_FAULT_BUS_ERROR);
        }
        va += chunk;
        p += chunk;
        len -= chunk;
    }
    return 0;
}

int qnpu_vm_read(struct qnpu_vm *vm, uint64_t va, void *buf, size_t len)
{
    return access_range(vm, va, buf, len, false);
}

int qnpu_vm_write(struct qnpu_vm *vm, uint64_t va, const void *buf,
                  size_t len)
{
    return access_range(vm, va, (void *)buf, len, true);
}
