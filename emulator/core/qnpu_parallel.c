/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * qnpu emulator core: splitting an op's rows over worker threads.
 *
 * The helpers are started once, on the first op that wants them, and then
 * wait for work: starting a thread per op cost as much as a small op. For
 * a short while after a batch they, and the caller waiting for them, spin
 * before they sleep: a job's ops come one after another, and a wake-up
 * through the kernel costs as much as a small op too.
 *
 * Copyright (c) 2026 The qnpu authors
 */
#include <pthread.h>
#include <stdlib.h>

#include "qnpu_ops.h"

/* Below this many rows a second thread costs more than it saves. */
#define MIN_ROWS_PER_THREAD 16

/* Spins (pause instructions, about 20 us in all) before sleeping. */
#define SPINS 1000

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

struct slice {
    void (*fn)(void *opaque, size_t r0, size_t r1);
    void *opaque;
    size_t r0, r1;
};

struct helper {
    struct qnpu_pool *pool;
    unsigned idx;
    unsigned long seen;     /* the last batch it saw (set before it starts) */
    pthread_t tid;
};

/*
 * The helpers and the batch they work on: helper i runs slice i + 1 of a
 * batch when i < @nslices; the caller runs slice 0 and waits for
 * @pending to reach 0. @gen counts batches, so a helper knows a new one.
 */
struct qnpu_pool {
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    struct helper h[QNPU_MAX_WORKERS - 1];
    unsigned nhelpers;
    unsigned long gen;
    bool quit;
    struct slice sl[QNPU_MAX_WORKERS];
    unsigned nslices, pending;
};

static void *helper_main(void *arg)
{
    struct helper *h = arg;
    struct qnpu_pool *p = h->pool;
    unsigned long seen = h->seen;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        int spin;

        pthread_mutex_unlock(&p->lock);
        for (spin = 0; spin < SPINS && __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE) == seen &&
             !__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE); spin++) {
            cpu_relax();
        }
        pthread_mutex_lock(&p->lock);
        while (!p->quit && p->gen == seen) {
            pthread_cond_wait(&p->work, &p->lock);
        }
        if (p->quit) {
            break;
        }
        seen = p->gen;
        if (h->idx < p->nslices) {
            struct slice s = p->sl[h->idx + 1];

            pthread_mutex_unlock(&p->lock);
            s.fn(s.opaque, s.r0, s.r1);
            pthread_mutex_lock(&p->lock);
            if (__atomic_sub_fetch(&p->pending, 1, __ATOMIC_RELEASE) == 0) {
                pthread_cond_signal(&p->done);
            }
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* At least @n helpers running (fewer when threads cannot be started). */
static unsigned pool_helpers(struct qnpu_engine *eng, unsigned n)
{
    struct qnpu_pool *p = eng->pool;

    if (!p) {
        p = calloc(1, sizeof(*p));
        if (!p) {
            return 0;
        }
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->work, NULL);
        pthread_cond_init(&p->done, NULL);
        eng->pool = p;
    }
    while (p->nhelpers < n) {
        struct helper *h = &p->h[p->nhelpers];

        h->pool = p;
        h->idx = p->nhelpers;
        h->seen = p->gen;       /* only this thread changes it */
        if (pthread_create(&h->tid, NULL, helper_main, h)) {
            break;
        }
        p->nhelpers++;
    }
    return p->nhelpers < n ? p->nhelpers : n;
}

void qnpu_pool_stop(struct qnpu_engine *eng)
{
    struct qnpu_pool *p = eng->pool;
    unsigned i;

    if (!p) {
        return;
    }
    pthread_mutex_lock(&p->lock);
    __atomic_store_n(&p->quit, true, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (i = 0; i < p->nhelpers; i++) {
        pthread_join(p->h[i].tid, NULL);
    }
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p);
    eng->pool = NULL;
}

void qnpu_parallel_rows(struct qnpu_engine *eng,
                        void (*fn)(void *opaque, size_t r0, size_t r1),
                        void *opaque, size_t rows)
{
    size_t n = eng->cfg->workers, i, per;
    struct qnpu_pool *p;
    int spin;

    if (n > rows / MIN_ROWS_PER_THREAD) {
        n = rows / MIN_ROWS_PER_THREAD;
    }
    if (n > 1) {
        n = 1 + pool_helpers(eng, n - 1);
    }
    if (n <= 1) {
        fn(opaque, 0, rows);
        return;
    }
    p = eng->pool;
    per = (rows + n - 1) / n;
    pthread_mutex_lock(&p->lock);
    for (i = 0; i < n; i++) {
        p->sl[i] = (struct slice) {
            .fn = fn, .opaque = opaque, .r0 = i * per < rows ? i * per : rows,
            .r1 = (i + 1) * per < rows ? (i + 1) * per : rows,
        };
    }
    p->nslices = n - 1;
    p->pending = n - 1;
    __atomic_store_n(&p->gen, p->gen + 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);

    fn(opaque, p->sl[0].r0, p->sl[0].r1);

    for (spin = 0; spin < SPINS && __atomic_load_n(&p->pending, __ATOMIC_ACQUIRE); spin++) {
        cpu_relax();
    }
    pthread_mutex_lock(&p->lock);
    while (p->pending) {
        pthread_cond_wait(&p->done, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
}
