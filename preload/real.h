/* Bootstrap arena used while dlsym runs (see real.c). */
#ifndef PP_REAL_H
#define PP_REAL_H
#include <stddef.h>
extern __attribute__((tls_model("initial-exec"))) __thread int pp_in_dlsym;
void *pp_arena_alloc(size_t n, size_t align);
#define PP_ARENA_BYTES (64 * 1024)
extern __attribute__((visibility("hidden"))) unsigned char pp_arena[PP_ARENA_BYTES];
static inline int pp_arena_owns(const void *p)
{
    return (const unsigned char *)p >= pp_arena && (const unsigned char *)p < pp_arena + PP_ARENA_BYTES;
}
static inline const unsigned char *pp_arena_end(void) { return pp_arena + PP_ARENA_BYTES; }
#endif
