/* PAPI backend: hardware counters per thread (cycles, instructions, last-level-cache misses,
 * branch mispredictions, stall cycles — whichever this CPU offers), plus the software counters.
 *
 * libpapi is dlopen'ed RTLD_LOCAL only when this backend is asked for or probed, so a run on a
 * machine without a PMU never pays its start-up.  PAPI rules (pitfall 15): library and thread
 * support are initialized in the constructor, never inside an intercepted allocation; event names
 * are resolved to codes once, there; each thread registers itself and owns one EventSet; a forked
 * child shuts PAPI down and initializes it again.  Events the CPU refuses are dropped one by one;
 * if none is left the backend reports itself unusable and the core falls back to sw. */
#include "counters.h"
#include <dlfcn.h>
#include <papi.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern const struct pp_counter_backend pp_counters_sw_backend;

static struct {
    int (*library_init)(int);
    int (*thread_init)(unsigned long (*)(void));
    int (*register_thread)(void);
    int (*unregister_thread)(void);
    int (*create_eventset)(int *);
    int (*add_event)(int, int);
    int (*start)(int);
    int (*read)(int, long long *);
    int (*stop)(int, long long *);
    int (*cleanup_eventset)(int);
    int (*destroy_eventset)(int *);
    int (*event_name_to_code)(const char *, int *);
    void (*shutdown)(void);
} papi;

#define MAX_HW 8
static int codes[MAX_HW], ncodes;
static char names_mem[MAX_HW][64];
static const char *names[MAX_HW + 8];
static int nsw;                 /* software counters appended after the hardware ones */
static char note_buf[256];

static unsigned long thread_id(void) { return (unsigned long)syscall(SYS_gettid); }

static int load(void)
{
    void *h = dlopen("libpapi.so.7.0", RTLD_NOW | RTLD_LOCAL);
    if (!h) h = dlopen("libpapi.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) return -1;
#define SYM(n) if (!(*(void **)&papi.n = dlsym(h, "PAPI_" #n))) return -1
    SYM(library_init); SYM(thread_init); SYM(register_thread); SYM(unregister_thread);
    SYM(create_eventset); SYM(add_event); SYM(start); SYM(read); SYM(stop);
    SYM(cleanup_eventset); SYM(destroy_eventset); SYM(event_name_to_code); SYM(shutdown);
#undef SYM
    return 0;
}

static void set_note(const char *a, const char *b)
{
    size_t k = 0;
    for (const char *s = a; s && *s && k + 1 < sizeof note_buf; s++) note_buf[k++] = *s;
    for (const char *s = b; s && *s && k + 1 < sizeof note_buf; s++) note_buf[k++] = *s;
    note_buf[k] = 0;
}

/* Tries each wanted event on a scratch EventSet, keeping those the CPU accepts and that still
 * start together.  The list is comma-separated; "A|B" means A, else B. */
static void choose_events(const char *list)
{
    int es = PAPI_NULL;
    if (papi.create_eventset(&es) != PAPI_OK) return;
    char item[128];
    const char *p = list;
    while (*p && ncodes < MAX_HW) {
        size_t n = strcspn(p, ",");
        if (n >= sizeof item) n = sizeof item - 1;
        memcpy(item, p, n); item[n] = 0;
        p += n; if (*p == ',') p++;
        for (char *alt = item; alt && *alt;) {
            char *bar = strchr(alt, '|');
            if (bar) *bar = 0;
            int code;
            if (papi.event_name_to_code(alt, &code) == PAPI_OK && papi.add_event(es, code) == PAPI_OK) {
                if (papi.start(es) == PAPI_OK) {
                    long long v[MAX_HW];
                    papi.stop(es, v);
                    codes[ncodes] = code;
                    {
                        size_t k = 0;
                        for (; alt[k] && k + 1 < sizeof names_mem[0]; k++) names_mem[ncodes][k] = alt[k];
                        names_mem[ncodes][k] = 0;
                    }
                    names[ncodes] = names_mem[ncodes];
                    ncodes++;
                    break;
                }
                /* Accepted alone but not together with the others: rebuild without it. */
                papi.cleanup_eventset(es);
                for (int i = 0; i < ncodes; i++) papi.add_event(es, codes[i]);
            }
            alt = bar ? bar + 1 : 0;
        }
    }
    papi.cleanup_eventset(es);
    papi.destroy_eventset(&es);
}

static int papi_init(const char **note)
{
    *note = note_buf;
    if (load()) { set_note("libpapi could not be loaded", ""); return -1; }
    int v = papi.library_init(PAPI_VER_CURRENT);
    if (v != PAPI_VER_CURRENT) { set_note("PAPI_library_init failed", ""); return -1; }
    if (papi.thread_init(thread_id) != PAPI_OK) { set_note("PAPI_thread_init failed", ""); return -1; }
    const char *list = pp_cfg.papi_events[0] ? pp_cfg.papi_events :
        "PAPI_TOT_CYC,PAPI_TOT_INS,PAPI_L3_TCM|PAPI_L2_TCM,PAPI_BR_MSP,PAPI_RES_STL|PAPI_STL_ICY";
    choose_events(list);
    if (!ncodes) { set_note("PAPI has no usable hardware event on this machine (no PMU?)", ""); return -1; }
    nsw = pp_counters_sw_backend.describe(names + ncodes, 8);
    note_buf[0] = 0;
    return 0;
}

/* What auto needs to prefer papi over sw. */
int pp_papi_has_cycles_and_instructions(void)
{
    int cyc = 0, ins = 0;
    for (int i = 0; i < ncodes; i++) {
        if (!strcmp(names[i], "PAPI_TOT_CYC")) cyc = 1;
        if (!strcmp(names[i], "PAPI_TOT_INS")) ins = 1;
    }
    return cyc && ins;
}

static int papi_describe(const char **out, int max)
{
    int n = ncodes + nsw < max ? ncodes + nsw : max;
    for (int i = 0; i < n; i++) out[i] = names[i];
    return n;
}

static void papi_thread_open(struct pp_thread *t)
{
    t->counter_state = 0;
    if (papi.register_thread() != PAPI_OK) return;
    int es = PAPI_NULL;
    if (papi.create_eventset(&es) != PAPI_OK) return;
    for (int i = 0; i < ncodes; i++)
        if (papi.add_event(es, codes[i]) != PAPI_OK) { papi.cleanup_eventset(es); papi.destroy_eventset(&es); return; }
    if (papi.start(es) != PAPI_OK) { papi.cleanup_eventset(es); papi.destroy_eventset(&es); return; }
    t->counter_state = (void *)(intptr_t)(es + 1);
}

static int papi_read(struct pp_thread *t, uint64_t *out)
{
    long long v[MAX_HW] = { 0 };
    int es = (int)(intptr_t)t->counter_state - 1;
    if (es >= 0 && papi.read(es, v) != PAPI_OK) memset(v, 0, sizeof v);
    for (int i = 0; i < ncodes; i++) out[i] = v[i] < 0 ? 0 : (uint64_t)v[i];
    pp_counters_sw_backend.read(t, out + ncodes);
    return ncodes + nsw;
}

static void papi_thread_close(struct pp_thread *t)
{
    int es = (int)(intptr_t)t->counter_state - 1;
    if (es < 0) return;
    long long v[MAX_HW];
    papi.stop(es, v);
    papi.cleanup_eventset(es);
    papi.destroy_eventset(&es);
    papi.unregister_thread();
    t->counter_state = 0;
}

static void papi_after_fork(void)
{
    /* The parent's EventSets and thread records are meaningless here: start PAPI over. */
    papi.shutdown();
    if (papi.library_init(PAPI_VER_CURRENT) == PAPI_VER_CURRENT) papi.thread_init(thread_id);
    if (pp_self) pp_self->counter_state = 0;
}

const struct pp_counter_backend pp_counters_papi_backend = {
    "papi", papi_init, papi_describe, papi_thread_open, papi_read, papi_thread_close, papi_after_fork };
