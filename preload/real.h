/* Bootstrap arena used while dlsym runs (see real.c). */
#ifndef PP_REAL_H
#define PP_REAL_H
#include <stddef.h>
extern __attribute__((tls_model("initial-exec"))) __thread int pp_in_dlsym;
void *pp_arena_alloc(size_t n, size_t align);
int pp_arena_owns(const void *p);
const unsigned char *pp_arena_end(void);
#endif
