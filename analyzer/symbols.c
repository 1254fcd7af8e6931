/* Offline symbolization with elfutils libdwfl (the well-kept library for ELF symbols and DWARF
 * lines; see README).  Each object file is opened once, offline, at its own link-time addresses,
 * so one cache serves every process whatever its ASLR bias: address - bias = ELF address.  Files
 * whose build-id differs from the recorded one (rebuilt since the run) are not trusted: their
 * addresses stay unresolved and are listed as such. */
#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "symbols.h"
#include "util.h"

typedef struct module {
    uint64_t bias, start, end;     /* process addresses [bias+start, bias+end) */
    const char *path;
    uint8_t build_id[64];
    size_t build_id_len;
} module;

struct pp_symtab {
    module *mods;
    size_t n, cap;
};

/* C++ names read as the programmer wrote them ("ns::f(int)", not "_ZN2ns1fEi"): libstdc++'s
 * demangler, loaded on the first mangled name so C-only analyses never load it and a machine
 * without libstdc++ still symbolizes (mangled).  Names from an object file are untrusted input;
 * very long ones are left as they are rather than handed to a recursive parser. */
typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

static char *demangle(const char *name)
{
    static int tried;
    static demangle_fn fn;
    if (name[0] != '_' || name[1] != 'Z' || strlen(name) > 4096) return NULL;
    if (!tried) {
        tried = 1;
        void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
        if (h) fn = (demangle_fn)dlsym(h, "__cxa_demangle");
    }
    int status = -1;
    char *d = fn ? fn(name, NULL, NULL, &status) : NULL;
    if (status != 0) { free(d); return NULL; }
    return d;
}

/* ---- per-file cache (global: shared by every trace) ---- */
typedef struct file_entry {
    char *path;
    Dwfl *dwfl;
    Dwfl_Module *mod;
    int usable;            /* opened and build-id matches */
    int has_symbols, has_lines, warned;
    const char *problem;
} file_entry;

static file_entry *files;
static size_t nfiles, capfiles;
static pp_strmap file_index;
static pp_strmap interned;        /* function and file names handed out */
static char **interned_strs;
static size_t ninterned, capinterned;

static const char *intern(const char *s)
{
    if (!s) return NULL;
    int created;
    size_t *slot = strmap_slot(&interned, s, strlen(s), &created);
    if (created) {
        xgrow((void **)&interned_strs, &capinterned, ninterned + 1, sizeof *interned_strs);
        interned_strs[ninterned] = xstrdup(s);
        *slot = ninterned++;
    }
    return interned_strs[*slot];
}

static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

static file_entry *file_for(const module *m)
{
    int created;
    size_t *slot = strmap_slot(&file_index, m->path, strlen(m->path), &created);
    if (!created) return &files[*slot];
    xgrow((void **)&files, &capfiles, nfiles + 1, sizeof *files);
    file_entry *f = &files[nfiles];
    memset(f, 0, sizeof *f);
    *slot = nfiles++;
    f->path = xstrdup(m->path);
    if (m->path[0] != '/') { f->problem = "not a file (kernel vDSO or anonymous)"; return f; }
    f->dwfl = dwfl_begin(&offline_callbacks);
    if (!f->dwfl) { f->problem = "libdwfl failed"; return f; }
    f->mod = dwfl_report_elf(f->dwfl, m->path, m->path, -1, 0, false);  /* bias 0: ELF addresses */
    dwfl_report_end(f->dwfl, NULL, NULL);
    if (!f->mod) { f->problem = "cannot open the file"; return f; }
    const unsigned char *bid;
    GElf_Addr vaddr;
    int blen = dwfl_module_build_id(f->mod, &bid, &vaddr);
    if (m->build_id_len && (blen != (int)m->build_id_len || memcmp(bid, m->build_id, m->build_id_len))) {
        f->problem = "file changed since the run (build-id differs)";
        return f;
    }
    f->usable = 1;
    f->has_symbols = dwfl_module_getsymtab(f->mod) > 0;
    Dwarf_Addr bias;
    f->has_lines = dwfl_module_getdwarf(f->mod, &bias) != NULL;
    if (!f->has_symbols) f->problem = "no symbol table";
    else if (!f->has_lines) f->problem = "no debug info (functions only, no file:line)";
    return f;
}

pp_symtab *sym_open(pp_trace *t)
{
    pp_symtab *s = xcalloc(1, sizeof *s);
    unsigned kinds[] = { PP_K_MODULE };
    pp_trace_select(t, kinds, 1);
    pp_trace_rewind(t);
    pp_rec r;
    while (pp_trace_next(t, &r)) {
        const struct pp_r_MODULE *m = &r.MODULE;
        if (m->event.u == 1) {               /* unloaded: later lookups must not find it */
            for (size_t i = 0; i < s->n; i++)
                if (s->mods[i].bias == m->bias.u) s->mods[i] = s->mods[--s->n];
            continue;
        }
        const char *path = pp_trace_string(t, m->path.u, NULL);
        if (!path) continue;
        xgrow((void **)&s->mods, &s->cap, s->n + 1, sizeof *s->mods);
        module *d = &s->mods[s->n++];
        d->bias = m->bias.u;
        d->start = m->vaddr_start.u;
        d->end = m->vaddr_end.u;
        d->path = intern(path);
        d->build_id_len = m->build_id.b.len < sizeof d->build_id ? m->build_id.b.len : 0;
        if (d->build_id_len) memcpy(d->build_id, m->build_id.b.p, d->build_id_len);
    }
    pp_trace_select(t, NULL, 0);
    return s;
}

void sym_close(pp_symtab *s)
{
    if (!s) return;
    free(s->mods);
    free(s);
}

pp_sym sym_lookup(pp_symtab *s, uint64_t addr, int is_return)
{
    pp_sym y = { 0 };
    uint64_t a = is_return && addr ? addr - 1 : addr;
    const module *m = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const module *c = &s->mods[i];
        if (a >= c->bias + c->start && a < c->bias + c->end) { m = c; break; }
    }
    if (!m) return y;
    y.module = m->path;
    y.func_off = a - m->bias;
    file_entry *f = file_for(m);
    if (!f->usable) return y;
    Dwarf_Addr va = a - m->bias;
    GElf_Off off;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(f->mod, va, &off, &sym, NULL, NULL, NULL);
    if (name) {
        char *d = demangle(name);
        y.func = intern(d ? d : name);
        y.func_off = off;
        free(d);
    }
    Dwfl_Line *line = dwfl_module_getsrc(f->mod, va);
    if (line) {
        int ln = 0;
        const char *file = dwfl_lineinfo(line, NULL, &ln, NULL, NULL, NULL);
        if (file) { y.file = intern(file); y.line = ln; }
    }
    return y;
}

int sym_runtime(const pp_sym *y)
{
    static const char *const lib[] = { "libphaseprof", "libc.so", "libc-", "ld-linux", "ld64", "linux-vdso",
                                       "libpthread", "libstdc++", "libgcc_s", "libm.so", "libdl", "librt" };
    const char *m = y->module ? strrchr(y->module, '/') : NULL;
    m = m ? m + 1 : y->module;
    if (!m) return 0;
    for (size_t i = 0; i < sizeof lib / sizeof *lib; i++)
        if (!strncmp(m, lib[i], strlen(lib[i]))) return 1;
    return 0;
}

const char *sym_format(const pp_sym *y, uint64_t addr, char *buf, size_t cap)
{
    const char *base = y->module ? strrchr(y->module, '/') : NULL;
    base = base ? base + 1 : y->module;
    if (y->func && y->file) {
        const char *fb = strrchr(y->file, '/');
        snprintf(buf, cap, "%s (%s:%d)", y->func, fb ? fb + 1 : y->file, y->line);
    } else if (y->func) {
        snprintf(buf, cap, "%s (%s)", y->func, base);
    } else if (y->module) {
        snprintf(buf, cap, "%s+0x%llx", base, (unsigned long long)y->func_off);
    } else {
        snprintf(buf, cap, "0x%llx", (unsigned long long)addr);
    }
    return buf;
}

void sym_missing_report(pp_buf *out)
{
    for (size_t i = 0; i < nfiles; i++) {
        if (!files[i].problem) continue;
        buf_puts(out, "  ");
        buf_escape_text(out, files[i].path, strlen(files[i].path));
        buf_printf(out, ": %s\n", files[i].problem);
    }
}
