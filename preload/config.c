/* The one table of PHASEPROF_* settings: name, kind, default, range.  Parsed once in the
 * constructor from one pass over the environment (no allocation).  A bad value is never fatal:
 * one line on stderr names it and the default is used.  Setuid/setgid processes (AT_SECURE) are
 * never traced.
 *
 * The environment is read and numbers parsed here rather than with getenv/strtol: each libc
 * function touched for the first time is a page fault (~2 µs here) in every traced process. */
#include "pp.h"
#include "internal.h"
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/syscall.h>

struct pp_config pp_cfg;

enum kind { K_INT, K_STR, K_CHOICE, K_SIGNAL, K_HEX };
struct setting {
    const char *name;
    enum kind kind;
    const char *def;          /* default, as text */
    long lo, hi;              /* K_INT range */
    const char *choices;      /* K_CHOICE: "a|b|c", value = index */
    const char *help;
};

static const struct setting table[] = {
    { "PHASEPROF_DISABLE",        K_INT,    "0",    0, 1, 0, "1: do not trace" },
    { "PHASEPROF_OUTPUT",         K_STR,    "phaseprof-data", 0, 0, 0, "trace directory" },
    { "PHASEPROF_INTERVAL_MS",    K_INT,    "10",   1, 10000, 0, "sample interval" },
    { "PHASEPROF_EVENTS",         K_CHOICE, "default", 0, 0, "default|all", "all: every call" },
    { "PHASEPROF_IO_THRESHOLD_US",K_INT,    "1000", 0, 10000000, 0, "I/O event threshold" },
    { "PHASEPROF_IO_EVENTS_MAX",  K_INT,    "200",  0, 1000000, 0, "I/O events per thread-second" },
    { "PHASEPROF_BUFFER_KB",      K_INT,    "32",   4, 1024, 0, "chunk size" },
    { "PHASEPROF_FLUSH_MS",       K_INT,    "1000", 10, 600000, 0, "max chunk age" },
    { "PHASEPROF_COUNTERS",       K_CHOICE, "auto", 0, 0, "auto|papi|sw|none", "counter backend" },
    { "PHASEPROF_PAPI_EVENTS",    K_STR,    "",     0, 0, 0, "PAPI event list" },
    { "PHASEPROF_SIGNAL",         K_SIGNAL, "PROF", 0, 0, 0, "sampling signal, 0 = none" },
    { "PHASEPROF_STACKS",         K_INT,    "1",    0, 1, 0, "call stacks" },
    { "PHASEPROF_ALLOC_SAMPLE_KB",K_INT,    "512",  1, 1048576, 0, "mean KiB between allocation samples" },
    { "PHASEPROF_ALLOC_SAMPLES_MAX",K_INT,  "150",  1, 1000000, 0, "allocation samples per thread-second" },
    { "PHASEPROF_STACK_DEPTH",    K_INT,    "64",   1, 128, 0, "max frames" },
    { "PHASEPROF_RUN_ID",         K_HEX,    "",     0, 0, 0, "run id shared by a process tree" },
    { "PHASEPROF_EXCLUDE",        K_STR,    "",     0, 0, 0, "comma list of program names not traced" },
};
enum { S_DISABLE, S_OUTPUT, S_INTERVAL, S_EVENTS, S_IOTHR, S_IOMAX, S_BUFKB, S_FLUSH, S_COUNTERS,
       S_PAPI, S_SIGNAL, S_STACKS, S_ALLOCKB, S_ALLOCMAX, S_DEPTH, S_RUNID, S_EXCLUDE, S_COUNT };
_Static_assert(sizeof table / sizeof table[0] == S_COUNT, "table and enum agree");

/* What strtol(s, &end, 10) accepts with *end == 0 and no ERANGE: blanks, a sign, digits. */
int pp_parse_long(const char *s, long *out)
{
    while (*s == ' ' || (*s >= '\t' && *s <= '\r')) s++;
    int neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    if (*s < '0' || *s > '9') return -1;
    unsigned long v = 0, lim = neg ? (unsigned long)LONG_MAX + 1 : (unsigned long)LONG_MAX;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (lim - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (*s) return -1;
    *out = neg ? (long)(0 - v) : (long)v;
    return 0;
}
#define parse_long pp_parse_long

extern char **environ;

/* getenv's answer: the first NAME=value. */
const char *pp_getenv(const char *name)
{
    size_t n = strlen(name);
    for (char **e = environ; e && *e; e++) {
        const char *v = *e;
        size_t i = 0;
        while (i < n && v[i] == name[i]) i++;
        if (i == n && v[n] == '=') return v + n + 1;
    }
    return 0;
}

static int parse_signal(const char *s, long *out)
{
    static const struct { const char *n; int v; } names[] = {
        { "PROF", SIGPROF }, { "VTALRM", SIGVTALRM }, { "ALRM", SIGALRM }, { "USR1", SIGUSR1 },
        { "USR2", SIGUSR2 } };
    if (!strncmp(s, "SIG", 3)) s += 3;
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i].n)) { *out = names[i].v; return 0; }
    long v;
    if (!strncmp(s, "RTMIN+", 6) && !parse_long(s + 6, &v) && v >= 0 && SIGRTMIN + v <= SIGRTMAX) {
        *out = SIGRTMIN + v; return 0;
    }
    if (!parse_long(s, &v) && (v == 0 || (v > 0 && v <= SIGRTMAX && v != SIGKILL && v != SIGSTOP
                                          && v != SIGSEGV && v != SIGBUS))) {
        *out = v; return 0;
    }
    return -1;
}

static int choice_index(const char *choices, const char *s)
{
    size_t n = strlen(s);
    int i = 0;
    for (const char *c = choices; *c; i++) {
        const char *bar = strchr(c, '|');
        size_t len = bar ? (size_t)(bar - c) : strlen(c);
        if (len == n && !strncmp(c, s, n)) return i;
        if (!bar) break;
        c = bar + 1;
    }
    return -1;
}

static void note_setting(const char *name, const char *value)
{
    if (pp_cfg.nsettings >= (int)(sizeof pp_cfg.settings / sizeof pp_cfg.settings[0])) return;
    char *d = pp_cfg.settings[pp_cfg.nsettings++];
    size_t cap = sizeof pp_cfg.settings[0] - 1, k = 0;
    for (const char *s = name; *s && k < cap; s++) d[k++] = *s;
    if (k < cap) d[k++] = '=';
    for (const char *s = value; *s && k < cap; s++) d[k++] = *s;
    d[k] = 0;
}

/* The PHASEPROF_* values (NULL: not set), from one pass over the environment: on
 * pp_config_load's stack while it runs. */
static const char **env;

static void read_env(const char **out)
{
    for (char **e = environ; e && *e; e++) {
        const char *v = *e;
        if (v[0] != 'P' || memcmp(v, "PHASEPROF_", 10)) continue;
        for (int i = 0; i < S_COUNT; i++) {
            const char *n = table[i].name + 10, *q = v + 10;
            while (*n && *n == *q) n++, q++;
            if (!*n && *q == '=') { if (!out[i]) out[i] = q + 1; break; }
        }
    }
}

static int load_all(void);

int pp_config_load(void)
{
    if (getauxval(AT_SECURE)) return -1;     /* setuid/setgid: never traced */
    memset(&pp_cfg, 0, sizeof pp_cfg);
    const char *found[S_COUNT] = { 0 };
    read_env(found);
    env = found;
    int r = load_all();
    env = 0;
    return r;
}

/* Parses one setting into *num (or leaves the text for strings); returns the text in force. */
static const char *load(int i, long *num)
{
    const struct setting *s = &table[i];
    const char *v = env[i];
    const char *use = (v && *v) ? v : s->def;
    for (int pass = 0; pass < 2; pass++, use = s->def) {
        int ok = 0;
        switch (s->kind) {
        case K_INT: ok = !parse_long(use, num) && *num >= s->lo && *num <= s->hi; break;
        case K_CHOICE: *num = choice_index(s->choices, use); ok = *num >= 0; break;
        case K_SIGNAL: ok = !parse_signal(use, num); break;
        case K_HEX: {
            /* hex digits only, at most 16 ("-1", " 1f" and "0x1f" are not run ids) */
            uint64_t x = 0;
            size_t n = 0;
            for (; use[n] && n <= 16; n++) {
                char c = use[n];
                int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
                        c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0) break;
                x = x << 4 | (uint64_t)d;
            }
            ok = !use[n] && n <= 16 && (*num = (long)x, 1);
            break;
        }
        case K_STR: ok = strlen(use) < 512; break;
        }
        if (ok) break;
        /* Rejected: say so once, fall back to the default. */
        if (s->kind == K_INT) {
            char range[64], *p = range; long lims[2] = { s->lo, s->hi };
            for (int k = 0; k < 2; k++) {
                char tmp[24]; int n = 0; long x = lims[k];
                do { tmp[n++] = (char)('0' + x % 10); x /= 10; } while (x);
                while (n) *p++ = tmp[--n];
                if (!k) { *p++ = '.'; *p++ = '.'; }
            }
            *p = 0;
            pp_log("%s: not an integer in %s; using the default", s->name, range);
        } else if (s->kind == K_CHOICE) {
            pp_log("%s: expected one of %s; using the default", s->name, s->choices);
        } else {
            pp_log("%s: invalid value; using the default", s->name, 0);
        }
    }
    if (v && *v) note_setting(s->name, use);
    return use;
}

static int excluded(const char *list, const char *exe)
{
    const char *base = strrchr(exe, '/');
    base = base ? base + 1 : exe;
    size_t n = strlen(base);
    for (const char *c = list; *c;) {
        const char *comma = strchr(c, ',');
        size_t len = comma ? (size_t)(comma - c) : strlen(c);
        if (len == n && !strncmp(c, base, n)) return 1;
        if (!comma) break;
        c = comma + 1;
    }
    return 0;
}

static int load_all(void)
{
    long v = 0;
    load(S_DISABLE, &v);
    if (v) return -1;

    /* A rejected trace directory is not replaced by the default: that would write traces
     * somewhere nobody asked for. */
    const char *want = env[S_OUTPUT];
    if (want && strlen(want) >= 512) { pp_log("%s: path too long; tracing off", "PHASEPROF_OUTPUT", 0); return -1; }
    const char *out = load(S_OUTPUT, &v);
    size_t k = 0;
    if (out[0] != '/') {                      /* absolute, so children that chdir agree */
        if (!getcwd(pp_cfg.output, sizeof pp_cfg.output - 2)) return -1;
        k = strlen(pp_cfg.output);
        pp_cfg.output[k++] = '/';
    }
    if (k + strlen(out) >= sizeof pp_cfg.output) { pp_log("%s: path too long; tracing off", "PHASEPROF_OUTPUT", 0); return -1; }
    strcpy(pp_cfg.output + k, out);

    load(S_INTERVAL, &v);  pp_cfg.interval_ns = (uint64_t)v * 1000000u;
    load(S_EVENTS, &v);    pp_cfg.events_all = v == 1;
    load(S_IOTHR, &v);     pp_cfg.io_threshold_ns = (uint64_t)v * 1000u;
    load(S_IOMAX, &v);     pp_cfg.io_events_per_sec = (uint32_t)v;
    load(S_BUFKB, &v);     pp_cfg.chunk_bytes = (uint32_t)v * 1024u;
    load(S_FLUSH, &v);     pp_cfg.flush_ns = (uint64_t)v * 1000000u;
    load(S_COUNTERS, &v);  pp_cfg.counters = (int)v;
    const char *papi = load(S_PAPI, &v);
    strncpy(pp_cfg.papi_events, papi, sizeof pp_cfg.papi_events - 1);
    load(S_SIGNAL, &v);    pp_cfg.signo = (int)v;
    load(S_STACKS, &v);    pp_cfg.stacks = (int)v;
    load(S_ALLOCKB, &v);   pp_cfg.alloc_sample_bytes = (uint64_t)v * 1024u;
    load(S_ALLOCMAX, &v);  pp_cfg.alloc_samples_max = (uint32_t)v;
    load(S_DEPTH, &v);     pp_cfg.stack_depth = (uint32_t)v;
    v = 0;
    load(S_RUNID, &v);     pp_cfg.run_id = (uint64_t)v;
    if (!pp_cfg.run_id) {
        if (syscall(SYS_getrandom, &pp_cfg.run_id, sizeof pp_cfg.run_id, GRND_NONBLOCK) != sizeof pp_cfg.run_id)
            pp_cfg.run_id = pp_realtime_ns() ^ ((uint64_t)getpid() << 32);
        pp_cfg.run_id |= 1;
    }
    const char *excl = load(S_EXCLUDE, &v);
    if (*excl) {
        char exe[1024];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n > 0) { exe[n] = 0; if (excluded(excl, exe)) return -1; }
    }
    return 0;
}
