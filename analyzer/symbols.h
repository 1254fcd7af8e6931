/* Offline symbolization: an address seen in a traced process → function, file:line, module.
 * Uses the MODULE records of that process's trace (load bias per object) and elfutils libdwfl on
 * the files named there; each distinct file is opened once and cached across processes. */
#ifndef PHASEPROF_SYMBOLS_H
#define PHASEPROF_SYMBOLS_H

#include <stdint.h>
#include "reader.h"
#include "util.h"

typedef struct pp_sym {
    const char *func;      /* "main"; "sub_1a20" for a function known only from the unwind
                            * tables; "malloc@plt" for a PLT stub; NULL when unknown */
    uint64_t func_off;     /* address - function start */
    const char *file;      /* source file, NULL without debug info */
    int line;
    const char *module;    /* the object's path, NULL if the address is in no recorded object */
    int plt;               /* a PLT stub: the caller's time (sym_runtime) */
} pp_sym;

typedef struct pp_symtab pp_symtab;

/* Reads the module map of one trace (MODULE records, loads and unloads). */
pp_symtab *sym_open(pp_trace *t);
void sym_close(pp_symtab *s);
/* is_return: the address is a return address (every frame but a CPU sample's first): one is
 * subtracted so the call instruction, not the next one, is looked up.  Strings stay valid until
 * the program ends (they live in a global cache). */
pp_sym sym_lookup(pp_symtab *s, uint64_t addr, int is_return);
/* Whether the address lies in a runtime library — the C library, the loader, the vDSO, libm, the
 * C++/gcc runtimes or our preload — or in a PLT stub: how a program does something, not code its
 * author changes (call sites and hot functions are the first frame outside them). */
int sym_runtime(const pp_sym *y);
/* The first frame of a stack (f[0] innermost; first_is_pc: f[0] is a PC, the rest return
 * addresses) outside the runtime (sym_runtime) into *y, and its index; the innermost frame when
 * every frame is in it. */
size_t sym_first_user(pp_symtab *s, const uint64_t *f, size_t n, int first_is_pc, pp_sym *y);
/* A frame as flame graphs name it (frames merge by function): "func" / "module+0xoff" /
 * "0xaddr", into buf. */
const char *sym_frame(const pp_sym *y, uint64_t addr, char *buf, size_t cap);
/* Formats "func (file:line)" / "func (module+0xoff)" / "0xaddr" into buf. */
const char *sym_format(const pp_sym *y, uint64_t addr, char *buf, size_t cap);
/* Modules looked up that had no symbol table / no line information, one per line, into a
 * caller-owned text ("  /lib/x.so: no debug info\n"); empty if none.  Global across symtabs. */
void sym_missing_report(pp_buf *out);

#endif
