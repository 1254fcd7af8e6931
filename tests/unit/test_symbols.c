/* Symbolization (symbols.c) against binutils, an independent reader of the same files: a trace
 * whose MODULE record maps a real program (build/progs/cpu_split) at a bias, then
 *  - every function nm lists resolves to its name, from inside the function;
 *  - in a stripped copy (strip -s: no .symtab, functions named nowhere) an address inside a
 *    function resolves to sub_<its start> with the right offset, the start taken from the unwind
 *    tables, so samples add up per function;
 *  - every PLT stub objdump names X@plt resolves to "X@plt" and counts as runtime (its time is
 *    its caller's), in the unstripped and the stripped file alike. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "symbols.h"
#include "check.h"
#include "tracegen.h"

#define BIAS 0x555500000000ull

static pp_trace *trace_of(const char *path, tg *g)
{
    tg_init(g);
    tg_chunk(g, 1, 0, 1000);
    tg_string(g, 1, path);
    tg_rec(g, PP_K_MODULE);
    tg_t(g, 1000); tg_u(g, BIAS); tg_u(g, 1ull << 30); tg_u(g, 1); tg_str(g, "", 0); tg_u(g, 0); tg_u(g, 0);
    tg_end(g);
    tg_flush(g);
    char err[256];
    pp_trace *t = pp_trace_open_mem(g->buf, g->len, path, err, sizeof err);
    if (!t) printf("FAIL symbols.trace: %s\n", err);
    return t;
}

/* name -> address from a command printing "ADDR ... NAME" lines (nm) or "ADDR <NAME>:" (objdump). */
typedef struct { char name[128]; uint64_t addr; } entry;
static size_t read_list(const char *cmd, int objdump, entry *out, size_t max)
{
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    char line[512];
    size_t n = 0;
    while (n < max && fgets(line, sizeof line, p)) {
        unsigned long long a;
        char name[128], type;
        if (objdump) {
            if (sscanf(line, "%llx <%127[^>]>:", &a, name) != 2) continue;
            char *at = strstr(name, "@plt");
            if (!at || at[4]) continue;
        } else {
            if (sscanf(line, "%llx %c %127s", &a, &type, name) != 3 || (type != 't' && type != 'T')) continue;
        }
        snprintf(out[n].name, sizeof out[n].name, "%s", name);
        out[n++].addr = a;
    }
    pclose(p);
    return n;
}

static void check_plt(const char *tag, pp_symtab *s, const entry *plt, size_t nplt)
{
    size_t ok = 0;
    char why[256] = "";
    for (size_t i = 0; i < nplt; i++) {
        pp_sym y = sym_lookup(s, BIAS + plt[i].addr + 2, 0);
        if (y.func && !strcmp(y.func, plt[i].name) && sym_runtime(&y)) ok++;
        else if (!why[0]) snprintf(why, sizeof why, "%s at 0x%llx: got %s", plt[i].name,
                                   (unsigned long long)plt[i].addr, y.func ? y.func : "(none)");
    }
    char name[64];
    snprintf(name, sizeof name, "symbols.plt_stubs_%s", tag);
    result(name, nplt >= 3 && ok == nplt, "%zu of %zu stubs named (%s)", ok, nplt, why);
}

int main(void)
{
    const char *b = getenv("B") ? getenv("B") : "build";
    char rel[512], prog[PATH_MAX], stripped[] = "/tmp/pp_symtest.XXXXXX", cmd[2 * PATH_MAX + 64];
    snprintf(rel, sizeof rel, "%s/progs/cpu_split", b);
    /* traces name objects by absolute path (anything else is the vDSO or anonymous memory) */
    if (!realpath(rel, prog)) { result("symbols.program", 0, "%s not built", rel); return 1; }
    int fd = mkstemp(stripped);
    if (fd < 0) { result("symbols.tmp", 0, "mkstemp"); return 1; }
    close(fd);

    entry funcs[256], plt[64];
    snprintf(cmd, sizeof cmd, "nm --defined-only '%s'", prog);
    size_t nf = read_list(cmd, 0, funcs, 256);
    snprintf(cmd, sizeof cmd, "objdump -d --no-show-raw-insn '%s'", prog);
    size_t np = read_list(cmd, 1, plt, 64);

    tg g1;
    pp_trace *t = trace_of(prog, &g1);
    pp_symtab *s = t ? sym_open(t) : NULL;
    if (s) {
        size_t ok = 0, have = 0;
        for (size_t i = 0; i < nf; i++) {
            if (strcmp(funcs[i].name, "three_parts") && strcmp(funcs[i].name, "one_part") &&
                strcmp(funcs[i].name, "main"))
                continue;
            have++;
            pp_sym y = sym_lookup(s, BIAS + funcs[i].addr + 4, 0);
            ok += y.func && !strcmp(y.func, funcs[i].name) && y.func_off == 4 && !y.plt && !sym_runtime(&y);
        }
        result("symbols.functions_by_name", have == 3 && ok == 3, "%zu of %zu named", ok, have);
        check_plt("named", s, plt, np);
        sym_close(s);
    }
    if (t) pp_trace_close(t);
    tg_free(&g1);

    snprintf(cmd, sizeof cmd, "strip -s -o '%s' '%s'", stripped, prog);
    if (system(cmd) != 0) { result("symbols.strip", 0, "%s failed", cmd); unlink(stripped); return 1; }
    tg g2;
    t = trace_of(stripped, &g2);
    s = t ? sym_open(t) : NULL;
    if (s) {
        size_t ok = 0, have = 0;
        char why[256] = "";
        for (size_t i = 0; i < nf; i++) {
            if (strcmp(funcs[i].name, "three_parts") && strcmp(funcs[i].name, "one_part")) continue;
            have++;
            char want[64];
            snprintf(want, sizeof want, "sub_%llx", (unsigned long long)funcs[i].addr);
            pp_sym y = sym_lookup(s, BIAS + funcs[i].addr + 9, 0);
            if (y.func && !strcmp(y.func, want) && y.func_off == 9 && !sym_runtime(&y)) ok++;
            else if (!why[0]) snprintf(why, sizeof why, "want %s+9, got %s+%llu", want,
                                       y.func ? y.func : "(none)", (unsigned long long)y.func_off);
        }
        result("symbols.stripped_functions_from_unwind_tables", have == 2 && ok == 2, "%s", why);
        check_plt("stripped", s, plt, np);
        /* an address in no function at all (the ELF header) stays module+offset */
        pp_sym y = sym_lookup(s, BIAS + 0x10, 0);
        result("symbols.no_function_outside_code", !y.func && y.module && y.func_off == 0x10,
               "got %s", y.func ? y.func : "(none)");
        sym_close(s);
    }
    if (t) pp_trace_close(t);
    tg_free(&g2);
    unlink(stripped);
    return failures ? 1 : 0;
}
