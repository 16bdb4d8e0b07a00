/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: splitting an op's rows over worker threads.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <pthread.h>

#include "qnpu_ops.h"

/* Below this many rows a second thread costs more than it saves. */
#define MIN_ROWS_PER_THREAD 16

struct slice {
    void (*fn)(void *opaque, size_t r0, size_t r1);
    void *opaque;
    size_t r0, r1;
};

static void *run_slice(void *arg)
{
    struct slice *s = arg;

    s->fn(s->opaque, s->r0, s->r1);
    return NULL;
}

void qnpu_parallel_rows(struct qnpu_engine *eng,
                        void (*fn)(void *opaque, size_t r0, size_t r1),
                        void *opaque, size_t rows)
{
    size_t n = eng->cfg->workers, i, per;
    struct slice sl[QNPU_MAX_WORKERS];
    pthread_t tid[QNPU_MAX_WORKERS];
    bool started[QNPU_MAX_WORKERS];

    if (n > rows / MIN_ROWS_PER_THREAD) {
        n = rows / MIN_ROWS_PER_THREAD;
    }
    if (n <= 1) {
        fn(opaque, 0, rows);
        return;
    }
    per = (rows + n - 1) / n;
    for (i = 0; i < n; i++) {
        sl[i] = (struct slice) {
            .fn = fn, .opaque = opaque, .r0 = i * per,
            .r1 = (i + 1) * per < rows ? (i + 1) * per : rows,
        };
    }
    for (i = 1; i < n; i++) {
        started[i] = pthread_create(&tid[i], NULL, run_slice, &sl[i]) == 0;
        if (!started[i]) {
            run_slice(&sl[i]);
        }
    }
    run_slice(&sl[0]);
    for (i = 1; i < n; i++) {
        if (started[i]) {
            pthread_join(tid[i], NULL);
        }
    }
}
