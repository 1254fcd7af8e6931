/* Bootstrap arena used while dlsym runs (see real.c). */
#ifndef PP_REAL_H
#define PP_REAL_H
#include <stddef.h>
#include <stdint.h>
extern __attribute__((tls_model("initial-exec"))) __thread int pp_in_dlsym;
void *pp_arena_alloc(size_t n, size_t align);
#define PP_ARENA_BYTES (64 * 1024)
extern __attribute__((visibility("hidden"))) unsigned char pp_arena[PP_ARENA_BYTES];
static inline int pp_arena_owns(const void *p)
{
    return (uintptr_t)p - (uintptr_t)pp_arena < PP_ARENA_BYTES;   /* one compare */
}
/* 0 while no arena memory was ever handed out (the usual case: dlsym rarely allocates).  Once
 * set, it also holds pp_live_count above zero, so free's fast path looks further. */
extern __attribute__((visibility("hidden"))) int pp_arena_in_use;
static inline int pp_arena_maybe_owns(const void *p)
{
    return __builtin_expect(pp_arena_in_use, 0) && pp_arena_owns(p);
}
static inline const unsigned char *pp_arena_end(void) { return pp_arena + PP_ARENA_BYTES; }
#endif
