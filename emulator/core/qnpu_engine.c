/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: the engine's reusable buffers.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <stdlib.h>
#include <string.h>

#include "qnpu_engine.h"

void *qnpu_engine_scratch(struct qnpu_engine *eng, enum qnpu_scratch_slot slot,
                          size_t bytes)
{
    void *p;

    bytes = bytes ? (bytes + 63) / 64 * 64 : 64;
    if (eng->scratch_size[slot] >= bytes) {
        return eng->scratch[slot];
    }
    free(eng->scratch[slot]);
    eng->scratch[slot] = NULL;
    eng->scratch_size[slot] = 0;
    if (posix_memalign(&p, 64, bytes)) {
        return NULL;
    }
    eng->scratch[slot] = p;
    eng->scratch_size[slot] = bytes;
    return p;
}

static void wcache_drop(struct qnpu_engine *eng, struct qnpu_wcache_entry *e)
{
    eng->wcache_bytes -= e->bytes;
    free(e->raw);
    free(e->prep);
    free(e->wsum);
    memset(e, 0, sizeof(*e));
}

/* A free entry, the least recently used ones dropped to make room for @bytes. */
static struct qnpu_wcache_entry *wcache_room(struct qnpu_engine *eng, size_t bytes)
{
    struct qnpu_wcache_entry *lru;
    int i;

    for (;;) {
        lru = NULL;
        for (i = 0; i < QNPU_WCACHE_ENTRIES; i++) {
            struct qnpu_wcache_entry *e = &eng->wcache[i];

            if (!e->raw && eng->wcache_bytes + bytes <= QNPU_WCACHE_BYTES) {
                return e;
            }
            if (e->raw && (!lru || e->used < lru->used)) {
                lru = e;
            }
        }
        if (!lru) {
            return NULL;
        }
        wcache_drop(eng, lru);
    }
}

/* A new entry for @w: a copy, the family's layout, the channel sums. */
static struct qnpu_wcache_entry *wcache_fill(struct qnpu_engine *eng,
                                             const int8_t *w, size_t kb, size_t ob)
{
    const struct qnpu_kernels *k = eng->kernels;
    size_t raw = kb * ob * 64, prep = k->prep ? k->prep_bytes(kb, ob) : 0;
    size_t bytes = raw + prep + ob * 16 * sizeof(int32_t);
    struct qnpu_wcache_entry *e;

    if (bytes > QNPU_WCACHE_BYTES / 4) {
        return NULL;
    }
    e = wcache_room(eng, bytes);
    if (!e) {
        return NULL;
    }
    /* prep() may keep a pointer to the weights it was given: give it the copy. */
    if (posix_memalign((void **)&e->raw, 64, raw)) {
        e->raw = NULL;
    }
    e->wsum = malloc(ob * 16 * sizeof(int32_t));
    if (prep && posix_memalign(&e->prep, 64, prep)) {
        e->prep = NULL;
    }
    e->bytes = bytes;
    eng->wcache_bytes += bytes;
    if (!e->raw || !e->wsum || (prep && !e->prep)) {
        wcache_drop(eng, e);
        return NULL;
    }
    memcpy(e->raw, w, raw);
    if (prep) {
        k->prep(e->raw, kb, ob, e->prep);
    }
    k->wsum(e->raw, kb, 0, ob, e->wsum);
    e->k = k;
    e->kb = kb;
    e->ob = ob;
    return e;
}

const struct qnpu_wcache_entry *qnpu_engine_weights(struct qnpu_engine *eng,
                                                    const int8_t *w, size_t kb,
                                                    size_t ob)
{
    struct qnpu_wcache_entry *hit = NULL;
    int i;

    for (i = 0; i < QNPU_WCACHE_ENTRIES && !hit; i++) {
        struct qnpu_wcache_entry *e = &eng->wcache[i];

        if (e->raw && e->k == eng->kernels && e->kb == kb && e->ob == ob &&
            !memcmp(e->raw, w, kb * ob * 64)) {
            hit = e;
        }
    }
    if (!hit) {
        hit = wcache_fill(eng, w, kb, ob);
    }
    if (hit) {
        hit->used = ++eng->wcache_clock;
    }
    return hit;
}

void qnpu_engine_release(struct qnpu_engine *eng)
{
    int i;

    for (i = 0; i < QNPU_WCACHE_ENTRIES; i++) {
        if (eng->wcache[i].raw) {
            wcache_drop(eng, &eng->wcache[i]);
        }
    }
    qnpu_pool_stop(eng);
    for (i = 0; i < QNPU_SCRATCH_SLOTS; i++) {
        free(eng->scratch[i]);
        eng->scratch[i] = NULL;
        eng->scratch_size[i] = 0;
    }
}
