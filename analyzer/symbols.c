/* Offline symbolization with elfutils libdwfl (the well-kept library for ELF symbols and DWARF
 * lines; see README), plus what symbol tables leave out: functions of stripped objects (from the
 * unwind tables) and PLT stubs (from the relocations).  Each object file is opened once, offline, at its own link-time addresses,
 * so one cache serves every process whatever its ASLR bias: address - bias = ELF address.  Files
 * whose build-id differs from the recorded one (rebuilt since the run) are not trusted: their
 * addresses stay unresolved and are listed as such. */
#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
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
    int has_symtab;        /* a full .symtab, not only the dynamic symbols */
    struct { uint64_t start, end, entsize; } plt[3];     /* .plt, .plt.sec, .plt.got (x86-64) */
    int nplt;
    uint64_t *fde;         /* function starts from .eh_frame_hdr, sorted */
    size_t nfde;
    pp_u64map got;         /* GOT slot address -> index+1 into got_names */
    const char **got_names;
    size_t ngot, capgot;
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

static void read_sections(file_entry *f);

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
    read_sections(f);
    f->has_symbols = dwfl_module_getsymtab(f->mod) > 0;
    Dwarf_Addr bias;
    f->has_lines = dwfl_module_getdwarf(f->mod, &bias) != NULL;
    if (!f->has_symbols) f->problem = "no symbol table (functions named sub_<start> from the unwind tables)";
    else if (!f->has_lines && !f->has_symtab)
        f->problem = "exported symbols only (other functions named sub_<start> from the unwind "
                     "tables), no debug info";
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

/* ---- addresses no symbol covers ---- */

/* The PLT of x86-64 objects: which imported function a stub jumps to.  Each stub is a `jmp
 * *GOT(%rip)` (ff 25 disp32, after an endbr64 and a bnd prefix where present), and the GOT slot
 * it reads is the r_offset of the relocation naming the function (.rela.plt, and .rela.dyn for
 * .plt.got): what objdump and perf read as "malloc@plt".  Stubs are never a program's own code:
 * time in one belongs to its caller (sym_runtime).  Here: the GOT slots a RELA section names. */
static void read_relocs(file_entry *f, Elf *e, Elf_Scn *sc, const GElf_Shdr *sh)
{
    Elf_Scn *symsc = elf_getscn(e, sh->sh_link);
    GElf_Shdr symsh;
    Elf_Data *rd = elf_getdata(sc, NULL), *sd = symsc ? elf_getdata(symsc, NULL) : NULL;
    if (!rd || !sd || !sh->sh_entsize || !gelf_getshdr(symsc, &symsh)) return;
    for (size_t i = 0; i < sh->sh_size / sh->sh_entsize; i++) {
        GElf_Rela r;
        GElf_Sym sym;
        if (!gelf_getrela(rd, (int)i, &r)) break;
        unsigned type = (unsigned)GELF_R_TYPE(r.r_info);
        if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) continue;
        if (!gelf_getsym(sd, (int)GELF_R_SYM(r.r_info), &sym)) continue;
        const char *sn = elf_strptr(e, symsh.sh_link, sym.st_name);
        if (!sn || !*sn) continue;
        int created;
        size_t *slot = u64map_slot(&f->got, r.r_offset, &created);
        if (!created) continue;
        char buf[300];
        char *d = demangle(sn);
        snprintf(buf, sizeof buf, "%s@plt", d ? d : sn);
        free(d);
        xgrow((void **)&f->got_names, &f->capgot, f->ngot + 1, sizeof *f->got_names);
        f->got_names[f->ngot] = intern(buf);
        *slot = ++f->ngot;
    }
}

/* "name@plt" for an address in a PLT stub ("plt" when the stub names no slot), else NULL. */
static const char *plt_name(file_entry *f, uint64_t va)
{
    for (int i = 0; i < f->nplt; i++) {
        if (va < f->plt[i].start || va >= f->plt[i].end) continue;
        uint64_t entry = va - (va - f->plt[i].start) % f->plt[i].entsize;
        GElf_Addr bias;
        Elf *e = dwfl_module_getelf(f->mod, &bias);
        Elf_Scn *sc = NULL;
        GElf_Addr a = entry;
        uint8_t code[32];
        size_t n = f->plt[i].entsize;
        if (e && (sc = dwfl_module_address_section(f->mod, &a, &bias))) {
            Elf_Data *d = elf_getdata(sc, NULL);
            if (d && d->d_buf && a + n <= d->d_size) memcpy(code, (uint8_t *)d->d_buf + a, n);
            else n = 0;
        } else {
            n = 0;
        }
        for (size_t k = 0; k + 6 <= n; k++) {
            if (code[k] != 0xff || code[k + 1] != 0x25) continue;
            int32_t disp;
            memcpy(&disp, code + k + 2, 4);
            size_t *slot = u64map_find(&f->got, entry + k + 6 + (uint64_t)(int64_t)disp);
            if (slot) return f->got_names[*slot - 1];
        }
        return "plt";
    }
    return NULL;
}

/* Function starts from .eh_frame_hdr's search table (sorted initial locations of every FDE, the
 * table unwinders binary-search), in the encoding every linker writes (datarel sdata4 pairs);
 * any other leaves fde[] empty. */
static void read_fde_table(file_entry *f, Elf_Scn *sc, const GElf_Shdr *sh)
{
    Elf_Data *d = elf_getdata(sc, NULL);
    const uint8_t *p = d ? d->d_buf : NULL;
    /* version 1; eh_frame_ptr pcrel|sdata4; fde_count udata4; table datarel|sdata4 */
    if (!p || d->d_size < 12 || p[0] != 1 || p[1] != 0x1b || p[2] != 0x03 || p[3] != 0x3b) return;
    uint32_t n;
    memcpy(&n, p + 8, 4);
    if (n > (d->d_size - 12) / 8) return;
    f->fde = xmalloc((n ? n : 1) * sizeof *f->fde);
    for (uint32_t i = 0; i < n; i++) {
        int32_t loc;
        memcpy(&loc, p + 12 + 8 * (size_t)i, 4);
        f->fde[i] = sh->sh_addr + (uint64_t)(int64_t)loc;
    }
    f->nfde = n;
}

/* One pass over the object's sections, when it is opened: whether it keeps a .symtab, its PLT
 * stubs and the slots they jump through (x86-64), its FDE table. */
static void read_sections(file_entry *f)
{
    GElf_Addr bias;
    Elf *e = dwfl_module_getelf(f->mod, &bias);
    GElf_Ehdr eh;
    size_t shstr;
    if (!e || !gelf_getehdr(e, &eh) || elf_getshdrstrndx(e, &shstr)) return;
    int x86 = eh.e_machine == EM_X86_64;
    for (Elf_Scn *sc = NULL; (sc = elf_nextscn(e, sc));) {
        GElf_Shdr sh;
        const char *nm;
        if (!gelf_getshdr(sc, &sh) || !(nm = elf_strptr(e, shstr, sh.sh_name))) continue;
        if (sh.sh_type == SHT_SYMTAB) f->has_symtab = 1;
        else if (!strcmp(nm, ".eh_frame_hdr")) read_fde_table(f, sc, &sh);
        else if (x86 && sh.sh_type == SHT_RELA) read_relocs(f, e, sc, &sh);
        else if (x86 && (!strcmp(nm, ".plt") || !strcmp(nm, ".plt.sec") || !strcmp(nm, ".plt.got")) &&
                 f->nplt < 3 && sh.sh_size) {
            f->plt[f->nplt].start = sh.sh_addr;
            f->plt[f->nplt].end = sh.sh_addr + sh.sh_size;
            f->plt[f->nplt++].entsize = sh.sh_entsize >= 8 && sh.sh_entsize <= 32 ? sh.sh_entsize : 16;
        }
    }
}

/* A function no symbol names (a static function of a stripped object) is still delimited by the
 * call-frame information every x86-64 and AArch64 object carries for unwinding (.eh_frame: one
 * FDE per function, what libunwind itself reads): named sub_<start> (the disassemblers'
 * convention), its samples add up per function instead of scattering over addresses.  Returns
 * the start of the FDE covering va, or 0. */
static uint64_t cfi_start(file_entry *f, uint64_t va)
{
    size_t lo = 0, hi = f->nfde;               /* the last start <= va */
    if (!hi || f->fde[0] > va) return 0;
    while (hi - lo > 1) { size_t m = (lo + hi) / 2; if (f->fde[m] <= va) lo = m; else hi = m; }
    /* ... if an FDE covers va at all (code without CFI lies between FDEs): FDEs never overlap,
     * so the one that does is that one */
    Dwarf_Addr bias;
    Dwarf_CFI *cfi = dwfl_module_eh_cfi(f->mod, &bias);
    Dwarf_Frame *fr = NULL;
    if (!cfi || dwarf_cfi_addrframe(cfi, va - bias, &fr) != 0) return 0;
    free(fr);
    return f->fde[lo];
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
    } else if ((name = plt_name(f, va))) {
        y.func = name;
        y.plt = 1;
    } else {
        uint64_t start = cfi_start(f, va);
        if (start) {
            char buf[40];
            snprintf(buf, sizeof buf, "sub_%llx", (unsigned long long)start);
            y.func = intern(buf);
            y.func_off = va - start;
        }
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
    if (y->plt) return 1;
    const char *m = y->module ? strrchr(y->module, '/') : NULL;
    m = m ? m + 1 : y->module;
    if (!m) return 0;
    for (size_t i = 0; i < sizeof lib / sizeof *lib; i++)
        if (!strncmp(m, lib[i], strlen(lib[i]))) return 1;
    return 0;
}

size_t sym_first_user(pp_symtab *s, const uint64_t *f, size_t n, int first_is_pc, pp_sym *y)
{
    for (size_t i = 0; i < n; i++) {
        *y = sym_lookup(s, f[i], !(first_is_pc && i == 0));
        if (!sym_runtime(y)) return i;
    }
    *y = n ? sym_lookup(s, f[0], !first_is_pc) : (pp_sym){ 0 };
    return 0;
}

const char *sym_frame(const pp_sym *y, uint64_t addr, char *buf, size_t cap)
{
    const char *base = y->module ? strrchr(y->module, '/') : NULL;
    if (y->func) snprintf(buf, cap, "%s", y->func);
    else if (y->module) snprintf(buf, cap, "%s+0x%llx", base ? base + 1 : y->module, (unsigned long long)y->func_off);
    else snprintf(buf, cap, "0x%llx", (unsigned long long)addr);
    return buf;
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
