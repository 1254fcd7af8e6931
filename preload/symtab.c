/* The constructor's eager resolution of ~200 real functions, without ~200 dlsym calls: dlsym
 * costs about 1,000 instructions a name (two-thirds of what the preload adds to a process that
 * does nothing).  While the constructor resolves, pp_dlsym_next asks here first: one pass over
 * the objects loaded after ours (the order RTLD_NEXT searches the global scope in at start-up),
 * each looked up through its GNU hash table, the way the dynamic linker does it for dlsym: a
 * defined global or weak symbol; of a versioned name, the default version (a hidden, older
 * version is skipped).  Anything unusual answers NULL and dlsym decides: an object without a GNU
 * hash table, an IFUNC, a name that is not found. */
#include "pp.h"
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>

struct obj {
    ElfW(Addr) base;
    const ElfW(Sym) *sym;
    const char *str;
    const ElfW(Half) *versym;
    const uint32_t *gnu;
};
#define MAX_OBJS 32
static struct obj objs[MAX_OBJS];
static int nobjs = -1;           /* -1: closed (dlsym only) */

/* Dynamic-section addresses are relocated in place by the loader on x86-64, not everywhere:
 * an address below the load base is still an offset. */
static const void *dyn_addr(const struct link_map *m, ElfW(Addr) v)
{
    return (const void *)(v < m->l_addr ? v + m->l_addr : v);
}

extern ElfW(Dyn) _DYNAMIC[];   /* ours, from the linker */

void pp_symtab_open(void)
{
    /* Our own link_map: the one whose dynamic section is ours.  (dladdr1 would find it too, at
     * ~9,000 instructions: it looks for the nearest symbol as well.) */
    struct link_map *self = _r_debug.r_map;
    while (self && self->l_ld != _DYNAMIC) self = self->l_next;
    nobjs = -1;
    if (!self) return;
    int n = 0;
    for (const struct link_map *m = self->l_next; m; m = m->l_next) {
        struct obj o = { m->l_addr, 0, 0, 0, 0 };
        for (const ElfW(Dyn) *d = m->l_ld; d && d->d_tag != DT_NULL; d++) {
            switch (d->d_tag) {
            case DT_SYMTAB: o.sym = dyn_addr(m, d->d_un.d_ptr); break;
            case DT_STRTAB: o.str = dyn_addr(m, d->d_un.d_ptr); break;
            case DT_VERSYM: o.versym = dyn_addr(m, d->d_un.d_ptr); break;
            case DT_GNU_HASH: o.gnu = dyn_addr(m, d->d_un.d_ptr); break;
            default: break;
            }
        }
        if (!o.sym || !o.str) continue;             /* nothing to find there */
        if (!o.gnu || n == MAX_OBJS) return;        /* cannot search in order: dlsym only */
        objs[n++] = o;
    }
    nobjs = n;
}

void pp_symtab_close(void) { nobjs = -1; }

/* 0: not here, 1: found (*out), -1: found something only dlsym can answer. */
static int lookup(const struct obj *o, const char *name, uint32_t h, void **out)
{
    const uint32_t *g = o->gnu;
    uint32_t nbuckets = g[0], symoffset = g[1], bloom_size = g[2], shift = g[3];
    if (!nbuckets || !bloom_size) return 0;
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)(g + 4);
    const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    ElfW(Addr) word = bloom[(h / bits) & (bloom_size - 1)];
    ElfW(Addr) mask = ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> shift) % bits));
    if ((word & mask) != mask) return 0;
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset) return 0;
    for (;; i++) {
        uint32_t ch = chain[i - symoffset];
        if (((ch ^ h) >> 1) == 0) {
            const ElfW(Sym) *s = &o->sym[i];
            int type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
            if (s->st_shndx != SHN_UNDEF && s->st_value && strcmp(o->str + s->st_name, name) == 0 &&
                (bind == STB_GLOBAL || bind == STB_WEAK) && !(o->versym && (o->versym[i] & 0x8000))) {
                if (type == STT_GNU_IFUNC || type == STT_TLS) return -1;
                if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE) return -1;
                *out = (void *)(o->base + s->st_value);
                return 1;
            }
        }
        if (ch & 1) return 0;
    }
}

void *pp_symtab_next(const char *name)
{
    if (nobjs < 0) return 0;
    uint32_t h = 5381;
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) h = h * 33 + *c;
    for (int k = 0; k < nobjs; k++) {
        void *f = 0;
        int r = lookup(&objs[k], name, h, &f);
        if (r > 0) return f;
        if (r < 0) return 0;
    }
    return 0;
}
