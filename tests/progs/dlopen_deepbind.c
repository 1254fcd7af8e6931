/* Pitfalls 6 and 13: a library opened at run time with RTLD_DEEPBIND binds to its own
 * dependencies first, so its malloc calls would bypass our hooks unless the preload drops the
 * flag; and the module map must learn about the new object (after dlopen, not from a signal
 * handler).  `dlopen_deepbind LIB N` opens LIB with RTLD_NOW|RTLD_DEEPBIND, calls its
 * `lib_alloc_many(N)` (N malloc/free pairs) and closes it. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: dlopen_deepbind LIB N\n"); return 2; }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_DEEPBIND);
    if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
    long (*fn)(int) = (long (*)(int))dlsym(h, "lib_alloc_many");
    if (!fn) { fprintf(stderr, "dlsym: %s\n", dlerror()); return 1; }
    long r = fn(atoi(argv[2]));
    printf("dlopen_deepbind: lib_alloc_many -> %ld\n", r);
    return dlclose(h) ? 1 : 0;
}
