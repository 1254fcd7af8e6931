/* Paired fix workloads, waiting fixes (the cost the fix speeds up: wait).  See pair_main.h.
 *
 *   pair_wait --kind shard_lock|poll_cond|narrow_lock --variant slow|fixed --setting K
 *
 * shard_lock: T threads each update N random buckets of a 4096-bucket table, with some compute
 *             and a short sleep (a slow call made holding the lock) inside the critical section
 *             and compute outside: one mutex for the table (slow) / 64 mutexes, bucket b under
 *             lock b % 64 (fixed).
 * poll_cond:  the main thread hands N jobs one at a time to a worker thread and waits for each
 *             result; both sides wait by polling a flag with usleep(U) (slow) / on a condition
 *             variable (fixed).  Compute on both sides.
 * narrow_lock: T threads each do N steps: compute a value from a random key (the inner work)
 *             and add it to a shared table: the computation done holding the table's one mutex
 *             (slow) / done before taking it, the mutex held for the addition only (fixed).
 * Each does a little other I/O at the start. */
#include <pthread.h>
#include <stdatomic.h>
#include "pair_main.h"

/* ---- shard_lock */
#define BUCKETS 4096
#define SHARDS 64
struct shard_set { int threads; long n, inner, outer; int sleep_us; };
static const struct shard_set shard_set[6] = {
    { 4, 1000, 2000, 100, 100 }, { 3, 1000, 1500, 20000, 100 }, { 4, 800, 1000, 100000, 50 },
    { 2, 1000, 1000, 100000, 200 }, { 4, 1200, 3000, 20000, 30 }, { 2, 2000, 500, 2000, 50 },
};
static pthread_mutex_t locks[SHARDS];
static uint64_t table[BUCKETS];
static struct shard_set ss;

static void *shard_worker(void *arg)
{
    uint64_t r = 0x2545f4914f6cdd1dull * ((uintptr_t)arg + 1), x = (uintptr_t)arg;
    for (long i = 0; i < ss.n; i++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        size_t b = (size_t)(r % BUCKETS);
        pthread_mutex_t *m = &locks[fixed ? b % SHARDS : 0];
        pthread_mutex_lock(m);
        table[b] += pair_compute(ss.inner, r) & 0xffff;
        usleep((useconds_t)ss.sleep_us);    /* a slow call made holding the lock (a lookup, a page in) */
        pthread_mutex_unlock(m);
        x = pair_compute(ss.outer, x);
    }
    return (void *)(uintptr_t)(x & 0xff);
}

static uint64_t shard_lock_run(void)
{
    ss = shard_set[setting];
    ss.n = scaled(ss.n);
    snprintf(params, sizeof params, "threads=%d ops=%ld inner=%ld sleep_us=%d outer=%ld", ss.threads, ss.n, ss.inner, ss.sleep_us, ss.outer);
    uint64_t sum = pair_other_io(256) & 0;
    for (int i = 0; i < SHARDS; i++) pthread_mutex_init(&locks[i], NULL);
    pthread_t th[8];
    for (int t = 1; t < ss.threads; t++) if (pthread_create(&th[t], NULL, shard_worker, (void *)(uintptr_t)t)) pair_fatal("pthread_create");
    sum += (uintptr_t)shard_worker((void *)(uintptr_t)0);
    for (int t = 1; t < ss.threads; t++) { void *v; pthread_join(th[t], &v); sum += (uintptr_t)v; }
    for (int b = 0; b < BUCKETS; b++) sum += table[b];
    return sum;
}

/* ---- poll_cond */
struct poll_set { long n; int usec; long main_work, worker_work; };
static const struct poll_set poll_set[5] = {
    { 300, 1000, 100000, 50000 }, { 500, 500, 200000, 20000 }, { 200, 2000, 500000, 100000 },
    { 1000, 200, 20000, 20000 }, { 150, 1000, 1000000, 200000 },
};
static struct poll_set ps;
static atomic_int job_ready, job_done;
static uint64_t job_value;
static pthread_mutex_t pc_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pc_cv = PTHREAD_COND_INITIALIZER;

/* Waits until *flag is 1 and sets it back to 0. */
static void pc_wait(atomic_int *flag)
{
    if (!fixed) {
        while (!atomic_load(flag)) usleep((useconds_t)ps.usec);
        atomic_store(flag, 0);
        return;
    }
    pthread_mutex_lock(&pc_mu);
    while (!atomic_load(flag)) pthread_cond_wait(&pc_cv, &pc_mu);
    atomic_store(flag, 0);
    pthread_mutex_unlock(&pc_mu);
}
static void pc_post(atomic_int *flag)
{
    if (!fixed) { atomic_store(flag, 1); return; }
    pthread_mutex_lock(&pc_mu);
    atomic_store(flag, 1);
    pthread_cond_broadcast(&pc_cv);
    pthread_mutex_unlock(&pc_mu);
}
static void *pc_worker(void *arg)
{
    (void)arg;
    for (long i = 0; i < ps.n; i++) {
        pc_wait(&job_ready);
        job_value = pair_compute(ps.worker_work, job_value);
        pc_post(&job_done);
    }
    return NULL;
}
static uint64_t poll_cond_run(void)
{
    ps = poll_set[setting];
    ps.n = scaled(ps.n);
    snprintf(params, sizeof params, "jobs=%ld poll_us=%d main=%ld worker=%ld", ps.n, ps.usec, ps.main_work, ps.worker_work);
    uint64_t x = pair_other_io(256) & 0, sum = 0;
    pthread_t th;
    if (pthread_create(&th, NULL, pc_worker, NULL)) pair_fatal("pthread_create");
    for (long i = 0; i < ps.n; i++) {
        x = pair_compute(ps.main_work, x + (uint64_t)i);
        job_value = x;
        pc_post(&job_ready);
        pc_wait(&job_done);
        sum += job_value & 0xffff;
    }
    pthread_join(th, NULL);
    return sum;
}

/* ---- narrow_lock */
struct narrow_set { int threads; long n, inner, outer; };
static const struct narrow_set narrow_set[5] = {
    { 4, 4000, 20000, 2000 }, { 2, 8000, 10000, 10000 }, { 3, 3000, 15000, 40000 },
    { 4, 1500, 40000, 60000 }, { 2, 6000, 20000, 1000 },
};
static struct narrow_set ns;
static pthread_mutex_t nl_mu = PTHREAD_MUTEX_INITIALIZER;

static void *narrow_worker(void *arg)
{
    uint64_t r = 0x9e3779b97f4a7c15ull * ((uintptr_t)arg + 1), x = (uintptr_t)arg;
    for (long i = 0; i < ns.n; i++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        size_t b = (size_t)(r % BUCKETS);
        uint64_t v = 0;
        if (fixed) v = pair_compute(ns.inner, r) & 0xffff;
        pthread_mutex_lock(&nl_mu);
        if (!fixed) v = pair_compute(ns.inner, r) & 0xffff;
        table[b] += v;
        pthread_mutex_unlock(&nl_mu);
        x = pair_compute(ns.outer, x);
    }
    return (void *)(uintptr_t)(x & 0xff);
}

static uint64_t narrow_lock_run(void)
{
    ns = narrow_set[setting];
    ns.n = scaled(ns.n);
    snprintf(params, sizeof params, "threads=%d ops=%ld inner=%ld outer=%ld", ns.threads, ns.n, ns.inner, ns.outer);
    uint64_t sum = pair_other_io(256) & 0;
    pthread_t th[8];
    for (int t = 1; t < ns.threads; t++) if (pthread_create(&th[t], NULL, narrow_worker, (void *)(uintptr_t)t)) pair_fatal("pthread_create");
    sum += (uintptr_t)narrow_worker((void *)(uintptr_t)0);
    for (int t = 1; t < ns.threads; t++) { void *v; pthread_join(th[t], &v); sum += (uintptr_t)v; }
    for (int b = 0; b < BUCKETS; b++) sum += table[b];
    return sum;
}

static const struct pair_kind kinds[] = {
    { "shard_lock", "wait", "one mutex for a shared table -> 64 sharded mutexes", 6, shard_lock_run, NULL },
    { "poll_cond", "wait", "sleep-poll a flag with usleep -> condition variable", 5, poll_cond_run, NULL },
    { "narrow_lock", "wait", "compute while holding the one mutex -> compute first, lock for the update", 5, narrow_lock_run, NULL },
};

int main(int argc, char **argv)
{
    return pair_main(argc, argv, "pair_wait", kinds, sizeof kinds / sizeof *kinds);
}
