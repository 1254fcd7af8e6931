/* dlopen/dlclose of a library that allocates, in a loop, beside two computing threads, for N
 * seconds (default 60).  Run with a 1 kHz sampling rate: samples land inside the loader, where
 * unwinding could deadlock (libunwind takes the loader's lock) — they must be skipped, no hang. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile int stop;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

static void *spin(void *a)
{
    (void)a;
    volatile double x = 0;
    while (!stop) for (int i = 0; i < 100000; i++) x += i;
    return 0;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 60;
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], 0, spin, 0);
    long loops = 0, made = 0;
    double t0 = now();
    while (now() - t0 < secs) {
        void *h = dlopen("libcjson.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!h) { fprintf(stderr, "dlopen: %s\n", dlerror()); return 1; }
        void *(*create)(void) = (void *(*)(void))dlsym(h, "cJSON_CreateObject");
        void (*del)(void *) = (void (*)(void *))dlsym(h, "cJSON_Delete");
        if (create && del) { del(create()); made++; }
        dlclose(h);
        loops++;
    }
    stop = 1;
    for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
    printf("loops ok %d\n", loops > 0 && made == loops);
    return 0;
}
