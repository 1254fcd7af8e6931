/* Two threads contend on one mutex held for ~2 ms at a time: the blocked time must be attributed
 * to contended_site(), where pthread_mutex_lock is called. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long counter;

__attribute__((noinline)) static void contended_site(void)
{
    pthread_mutex_lock(&m);                       /* the contended lock */
    volatile double x = 0;
    for (int i = 0; i < 1500000; i++) x += i;
    counter++;
    pthread_mutex_unlock(&m);
}

static void *worker(void *a) { (void)a; for (int i = 0; i < 150; i++) contended_site(); return 0; }

int main(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], 0, worker, 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
    printf("counter=%ld\n", counter);
    return 0;
}
