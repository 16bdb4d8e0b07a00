/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: the engine's reusable buffers.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <stdlib.h>

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

void qnpu_engine_release(struct qnpu_engine *eng)
{
    int i;

    qnpu_pool_stop(eng);
    for (i = 0; i < QNPU_SCRATCH_SLOTS; i++) {
        free(eng->scratch[i]);
        eng->scratch[i] = NULL;
        eng->scratch_size[i] = 0;
    }
}
