/* The module map: every loaded object with its load address, size and GNU build-id, so the
 * analyzer can symbolize offline.  Taken once at start and refreshed after dlopen/dlclose (never
 * from a signal handler: dl_iterate_phdr takes the loader lock, pitfall 6/28).  Written as MODULE
 * records through the process-level buffer.  Objects already recorded are remembered by base
 * address in a small table. */
#include "pp.h"
#include "internal.h"
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#define KNOWN_MAX 2048
/* base and generation side by side: a process with a few objects touches one page, not two */
static struct { uintptr_t base; uint64_t seen_gen; } known[KNOWN_MAX];
static int nknown;
static uint64_t generation;    /* bumped per refresh: entries not seen again were unloaded */

static int find_build_id(struct dl_phdr_info *info, const uint8_t **id, size_t *len)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
            const uint8_t *name = p + sizeof *n;
            const uint8_t *desc = name + ((n->n_namesz + 3) & ~3u);
            if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
                desc + n->n_descsz <= end) {
                *id = desc; *len = n->n_descsz;
                return 1;
            }
            p = desc + ((n->n_descsz + 3) & ~3u);
        }
    }
    return 0;
}

static int on_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct pp_thread *p0 = data;
    uintptr_t base = info->dlpi_addr;
    for (int i = 0; i < nknown; i++)
        if (known[i].base == base) { known[i].seen_gen = generation; return 0; }
    /* The object's extent: lowest to highest PT_LOAD. */
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        if (ph->p_vaddr < lo) lo = ph->p_vaddr;
        if (ph->p_vaddr + ph->p_memsz > hi) hi = ph->p_vaddr + ph->p_memsz;
    }
    if (hi == 0) return 0;
    const char *path = info->dlpi_name;
    if (!path || !*path) path = pp_output_exe();   /* the main program: read for the HEADER */
    const uint8_t *bid = 0; size_t blen = 0;
    find_build_id(info, &bid, &blen);
    uint64_t sid = pp_intern(p0, path, strlen(path));
    uint8_t *p = pp_rec_begin(p0, PP_K_MODULE, 80 + blen);
    if (p) {
        p = pp_put_ts(p0, p, pp_now());
        p = pp_put_u(p, base);
        p = pp_put_u(p, hi);
        p = pp_put_u(p, sid);
        p = pp_put_bytes(p, bid, blen);
        p = pp_put_u(p, 0);
        p = pp_put_u(p, lo);
        pp_rec_end(p0, p);
    }
    if (nknown < KNOWN_MAX) { known[nknown].seen_gen = generation; known[nknown++].base = base; }
    return 0;
}

static void scan(int report_unloads)
{
    struct pp_thread *p0 = pp_proc_lock();
    generation++;
    dl_iterate_phdr(on_object, p0);
    if (report_unloads) {
        for (int i = 0; i < nknown; i++) {
            if (known[i].seen_gen == generation) continue;
            uint8_t *p = pp_rec_begin(p0, PP_K_MODULE, 48);
            if (p) {
                p = pp_put_ts(p0, p, pp_now());
                p = pp_put_u(p, known[i].base);
                p = pp_put_u(p, 0); p = pp_put_u(p, 0); p = pp_put_bytes(p, "", 0);
                p = pp_put_u(p, 1); p = pp_put_u(p, 0);
                pp_rec_end(p0, p);
            }
            known[i] = known[--nknown];
            i--;
        }
    }
    pp_flush(p0);
    pp_proc_unlock(p0);
}

void pp_maps_snapshot(void) { nknown = 0; scan(0); }
void pp_maps_refresh(void) { scan(1); }
