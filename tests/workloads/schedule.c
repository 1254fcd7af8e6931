/* Seeded phase-schedule generator: the ground truth that phase detection is scored against.
 *
 * Given a seed it runs a random schedule of phases — I/O of several kinds, compute, allocation
 * churn, memory streaming and pointer chasing beyond the last-level cache, sleep and lock waits —
 * each 0.2–2 s long, in random order with some kinds repeated, and prints the CLOCK_MONOTONIC
 * boundaries it actually kept, one line per phase: "start_ns end_ns label".  Phases are
 * contiguous (a phase ends at the very timestamp the next one starts) and two consecutive phases
 * are never of the same kind, so every printed boundary is a real change of behaviour.
 *
 *   schedule [-s SEED] [-k kind,kind…] [-t TOTAL_S] [-S KIND -t SECONDS] [-d DIR] [-o FILE] [-l]
 *     -s  seed (default 0)                 -k  only these kinds (default: all)
 *     -t  schedule length budget (default 10 s; with -S the steady phase's length)
 *     -S  steady mode: one phase of KIND    -d  directory for scratch files (default $TMPDIR or /tmp)
 *     -o  write the boundaries there instead of stdout      -l  list the kinds and exit
 *
 * The lines are printed after the last phase (collected in memory), so printing never shows up
 * as I/O inside a phase.  Set-up that takes time (the pointer-chasing cycle, the file that
 * sequential reads read) happens before the first phase; it is unlabelled, and the scorer only
 * looks at [first start, last end].  Sizes are chosen for small CI machines: two cores, a few
 * hundred MiB free; the memory phases use 64 MiB, beyond any common LLC per core. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum kind { K_IO_SMALL_WRITE, K_IO_SEQ_READ, K_IO_SEQ_WRITE, K_IO_FSYNC, K_IO_STDIO, K_CPU_INT,
            K_CPU_FLOAT, K_ALLOC_CHURN, K_MEM_STREAM, K_MEM_CHASE, K_SLEEP, K_LOCK_WAIT, K_N };
static const char *kind_names[K_N] = {
    "io_small_write", "io_seq_read", "io_seq_write", "io_fsync", "io_stdio", "cpu_int",
    "cpu_float", "alloc_churn", "mem_stream", "mem_chase", "sleep", "lock_wait" };

/* ---- deterministic random numbers (splitmix64): the schedule depends on the seed alone ---- */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double rnd01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "schedule: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Results are written to this sink so the compiler cannot drop the work. */
static volatile uint64_t sink;
static volatile double fsink;

/* ---- scratch state, made once ---- */
static char dir[4096];
static char path_w[4200], path_r[4200], path_s[4200], path_q[4200];
#define MEM_WORDS (16u << 20)          /* 16 Mi uint32 = 64 MiB */
static uint32_t *mem;                  /* a single random cycle (Sattolo), also streamed over */
#define READ_FILE_BYTES (32u << 20)

static void setup_mem(void)
{
    if (mem) return;
    mem = malloc(MEM_WORDS * sizeof *mem);
    if (!mem) die("malloc");
    for (uint32_t i = 0; i < MEM_WORDS; i++) mem[i] = i;
    /* Sattolo's shuffle: one cycle through every word, so a chase never settles in cache. */
    for (uint32_t i = MEM_WORDS - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rnd() % i);
        uint32_t t = mem[i]; mem[i] = mem[j]; mem[j] = t;
    }
}

/* The file sequential reads read, and the one sequential writes overwrite in place: writing
 * into a fresh file first allocates its blocks, which is slower than what follows, and a phase
 * should behave the same from start to end. */
static void setup_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die(path);
    static char block[1 << 20];
    memset(block, 'r', sizeof block);
    for (unsigned i = 0; i < READ_FILE_BYTES / sizeof block; i++)
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) die("write");
    close(fd);
}

/* ---- the phases: each runs until `end` (CLOCK_MONOTONIC ns), checking the clock often enough
 * (every ~0.1–1 ms of work) that it overshoots by well under a window ---- */
static void ph_small_write(uint64_t end)
{
    int fd = open(path_w, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die(path_w);
    char rec[64];
    memset(rec, 'w', sizeof rec);
    uint64_t n = 0;
    while (now_ns() < end) {
        for (int i = 0; i < 16; i++)
            if (write(fd, rec, sizeof rec) < 0) die("write");
        /* back to the start every 64 KiB: the file stays small and its blocks allocated, so the
         * phase is overwrites from start to end rather than appends first */
        if (++n % 64 == 0 && lseek(fd, 0, SEEK_SET) < 0) die("lseek");
    }
    close(fd);
}

static void ph_seq_read(uint64_t end)
{
    int fd = open(path_r, O_RDONLY | O_CLOEXEC);
    if (fd < 0) die(path_r);
    static char block[1 << 20];
    while (now_ns() < end) {
        ssize_t r = read(fd, block, sizeof block);
        if (r < 0) die("read");
        if (r == 0 && lseek(fd, 0, SEEK_SET) < 0) die("lseek");
        sink += (uint64_t)block[r > 0 ? r - 1 : 0];
    }
    close(fd);
}

static void ph_seq_write(uint64_t end)
{
    int fd = open(path_q, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die(path_q);
    static char block[1 << 20];
    memset(block, 'W', sizeof block);
    uint64_t n = 0;
    while (now_ns() < end) {
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) die("write");
        if (++n % (READ_FILE_BYTES >> 20) == 0 && lseek(fd, 0, SEEK_SET) < 0) die("lseek");
    }
    close(fd);
}

static void ph_fsync(uint64_t end)
{
    int fd = open(path_w, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) die(path_w);
    char rec[4096];
    memset(rec, 'f', sizeof rec);
    uint64_t n = 0;
    while (now_ns() < end) {
        if (write(fd, rec, sizeof rec) < 0) die("write");
        if (fsync(fd) < 0) die("fsync");
        if (++n % 16 == 0 && lseek(fd, 0, SEEK_SET) < 0) die("lseek");
    }
    close(fd);
}

static void ph_stdio(uint64_t end)
{
    FILE *f = fopen(path_s, "w");
    if (!f) die(path_s);
    uint64_t n = 0;
    while (now_ns() < end) {
        for (int i = 0; i < 64; i++, n++)
            fprintf(f, "record %llu value %.3f tag %s\n", (unsigned long long)n, n * 0.37, "abc");
        if (n % 4096 == 0) rewind(f);
    }
    fclose(f);
}

static void ph_cpu_int(uint64_t end)
{
    uint64_t x = 88172645463325252ull, acc = 0;
    while (now_ns() < end)
        for (int i = 0; i < 20000; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            acc += x * 0x9e3779b97f4a7c15ull;
        }
    sink += acc;
}

static void ph_cpu_float(uint64_t end)
{
    double a = 1.0, b = 0.5;
    while (now_ns() < end)
        for (int i = 0; i < 20000; i++) {
            a = a * 0.999999 + sqrt(b + i);
            b = b * 1.000001 - a * 1e-9;
        }
    fsink += a + b;
}

static void ph_alloc_churn(uint64_t end)
{
    enum { SLOTS = 4096 };
    static void *slot[SLOTS];
    while (now_ns() < end)
        for (int i = 0; i < 256; i++) {
            unsigned s = (unsigned)(rnd() % SLOTS);
            free(slot[s]);
            size_t sz = 16 + (size_t)(rnd() % 512);
            slot[s] = malloc(sz);
            if (!slot[s]) die("malloc");
            ((char *)slot[s])[0] = (char)i;
        }
    for (int i = 0; i < SLOTS; i++) { free(slot[i]); slot[i] = NULL; }
}

static void ph_mem_stream(uint64_t end)
{
    uint64_t acc = 0;
    while (now_ns() < end)
        for (uint32_t base = 0; base < MEM_WORDS && now_ns() < end; base += 1u << 16)
            for (uint32_t i = base; i < base + (1u << 16); i++) acc += mem[i];
    sink += acc;
}

static void ph_mem_chase(uint64_t end)
{
    uint32_t p = (uint32_t)(rnd() % MEM_WORDS);
    while (now_ns() < end)
        for (int i = 0; i < 2000; i++) p = mem[p];
    sink += p;
}

static void ph_sleep(uint64_t end)
{
    struct timespec ts = { (time_t)(end / 1000000000ull), (long)(end % 1000000000ull) };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
}

/* Lock waits: three threads take turns on one mutex, each holding it for ~0.5 ms of work, so at
 * any time two of them are blocked on it. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *lock_worker(void *arg)
{
    uint64_t end = *(uint64_t *)arg, x = 12345;
    while (now_ns() < end) {
        pthread_mutex_lock(&lock);
        uint64_t until = now_ns() + 500000;
        while (now_ns() < until)
            for (int i = 0; i < 200; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; }
        pthread_mutex_unlock(&lock);
    }
    sink += x;
    return NULL;
}
static void ph_lock_wait(uint64_t end)
{
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        if ((errno = pthread_create(&th[i], NULL, lock_worker, &end))) die("pthread_create");
    for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
}

static void (*const run_kind[K_N])(uint64_t) = {
    ph_small_write, ph_seq_read, ph_seq_write, ph_fsync, ph_stdio, ph_cpu_int, ph_cpu_float,
    ph_alloc_churn, ph_mem_stream, ph_mem_chase, ph_sleep, ph_lock_wait };

static int kind_by_name(const char *s, size_t n)
{
    for (int k = 0; k < K_N; k++)
        if (strlen(kind_names[k]) == n && !strncmp(kind_names[k], s, n)) return k;
    return -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: schedule [-s SEED] [-k kind,...] [-t SECONDS] [-S KIND] [-d DIR] [-o FILE] [-l]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t seed = 0;
    double total = -1;
    int allowed[K_N], nallowed = 0, steady = -1;
    const char *out = NULL, *d = getenv("TMPDIR");
    int opt;
    while ((opt = getopt(argc, argv, "s:k:t:S:d:o:l")) != -1) {
        switch (opt) {
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 't': total = atof(optarg); break;
        case 'd': d = optarg; break;
        case 'o': out = optarg; break;
        case 'l':
            for (int k = 0; k < K_N; k++) printf("%s\n", kind_names[k]);
            return 0;
        case 'S':
            if ((steady = kind_by_name(optarg, strlen(optarg))) < 0) usage();
            break;
        case 'k':
            for (const char *p = optarg; *p;) {
                size_t n = strcspn(p, ",");
                int k = kind_by_name(p, n);
                if (k < 0) { fprintf(stderr, "schedule: unknown kind %.*s\n", (int)n, p); usage(); }
                allowed[nallowed++] = k;
                if (nallowed == K_N) break;
                p += n + (p[n] == ',');
            }
            break;
        default: usage();
        }
    }
    if (!nallowed)
        for (int k = 0; k < K_N; k++) allowed[nallowed++] = k;
    if (nallowed < 2 && steady < 0) { fprintf(stderr, "schedule: -k needs two kinds or more\n"); usage(); }
    if (total <= 0) total = steady >= 0 ? 60 : 10;
    snprintf(dir, sizeof dir, "%s", d && *d ? d : "/tmp");
    rng_state = seed * 0x2545f4914f6cdd1dull + 1;

    /* The plan first (it depends on the seed only), then the set-up it needs, then the run. */
    int plan[64];
    double len[64];
    int n = 0;
    if (steady >= 0) {
        plan[n] = steady; len[n++] = total;
    } else {
        double sum = 0;
        while (n < 64) {
            double l = 0.2 + 1.8 * rnd01();
            if (sum + l > total) {
                if (total - sum < 0.2) break;
                l = total - sum;
            }
            int k, used = 0;
            /* "Some repeats": a third of the time pick a kind already seen (not the last one). */
            for (int i = 0; i + 1 < n; i++) used += plan[i] != plan[n - 1];
            if (used && rnd01() < 1.0 / 3) {
                int j, c = 0, pick = (int)(rnd() % (uint64_t)used);
                for (j = 0; j + 1 < n; j++)
                    if (plan[j] != plan[n - 1] && c++ == pick) break;
                k = plan[j];
            } else {
                do k = allowed[rnd() % (uint64_t)nallowed]; while (n && k == plan[n - 1]);
            }
            plan[n] = k; len[n++] = l;
            sum += l;
        }
    }
    pid_t pid = getpid();
    snprintf(path_w, sizeof path_w, "%s/schedule-%d.w", dir, (int)pid);
    snprintf(path_r, sizeof path_r, "%s/schedule-%d.r", dir, (int)pid);
    snprintf(path_s, sizeof path_s, "%s/schedule-%d.s", dir, (int)pid);
    snprintf(path_q, sizeof path_q, "%s/schedule-%d.q", dir, (int)pid);
    int need_read = 0, need_write = 0, need_mem = 0;
    for (int i = 0; i < n; i++) {
        need_read |= plan[i] == K_IO_SEQ_READ;
        need_write |= plan[i] == K_IO_SEQ_WRITE;
        need_mem |= plan[i] == K_MEM_STREAM || plan[i] == K_MEM_CHASE;
    }
    if (need_read) setup_file(path_r);
    if (need_write) setup_file(path_q);
    if (need_mem) setup_mem();

    uint64_t start[64], stop[64];
    uint64_t t = now_ns();
    for (int i = 0; i < n; i++) {
        start[i] = t;
        run_kind[plan[i]](t + (uint64_t)(len[i] * 1e9));
        t = now_ns();
        stop[i] = t;
    }
    unlink(path_w); unlink(path_r); unlink(path_s); unlink(path_q);

    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) die(out);
    fprintf(f, "# schedule seed %llu, %d phases\n", (unsigned long long)seed, n);
    for (int i = 0; i < n; i++)
        fprintf(f, "%llu %llu %s\n", (unsigned long long)start[i], (unsigned long long)stop[i],
                kind_names[plan[i]]);
    if (f != stdout) fclose(f);
    free(mem);
    return 0;
}
