/* The bundled demo for `make demo`: a small batch job with four clear phases, about 4 s in all —
 *   1. load:      reads an input file in small chunks (I/O: many read() calls, then fsync'd copy)
 *   2. compute:   a numeric kernel over the data (CPU)
 *   3. transform: builds and frees a tree of small objects (allocation-heavy)
 *   4. save:      writes the result in 64-byte records, unbuffered (I/O: many small writes)
 * It marks its phases through the optional marker API, so the report can show them beside the
 * phases it finds on its own.  Usage: demo [workdir] (default: the current directory). */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "phaseprof/phaseprof.h"

#define INPUT_BYTES (48u << 20)

static void die(const char *what) { perror(what); exit(1); }

static void make_input(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die(path);
    static char block[1 << 16];
    unsigned x = 1;
    for (unsigned done = 0; done < INPUT_BYTES; done += sizeof block) {
        for (size_t i = 0; i < sizeof block; i++) { x = x * 1664525u + 1013904223u; block[i] = (char)(x >> 24); }
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) die("write input");
    }
    close(fd);
}

__attribute__((noinline)) static unsigned char *load(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) die(path);
    unsigned char *buf = malloc(INPUT_BYTES);
    size_t got = 0;
    ssize_t n;
    while (got < INPUT_BYTES && (n = read(fd, buf + got, 512)) > 0) got += (size_t)n;   /* small reads */
    close(fd);
    *len = got;
    return buf;
}

__attribute__((noinline)) static double compute(const unsigned char *d, size_t n)
{
    double acc = 0;
    for (int pass = 0; pass < 6; pass++)
        for (size_t i = 0; i < n; i += 4) acc += sin(d[i] * 0.01 + pass) * sqrt((double)d[i + 1] + 1.0);
    return acc;
}

struct node { struct node *left, *right; int key; char payload[40]; };

__attribute__((noinline)) static struct node *insert(struct node *t, int key)
{
    if (!t) {
        struct node *n = calloc(1, sizeof *n);
        n->key = key;
        return n;
    }
    if (key < t->key) t->left = insert(t->left, key); else t->right = insert(t->right, key);
    return t;
}

static long drop(struct node *t) { if (!t) return 0; long k = drop(t->left) + drop(t->right) + 1; free(t); return k; }

__attribute__((noinline)) static long transform(const unsigned char *d, size_t n)
{
    long total = 0;
    for (int round = 0; round < 12; round++) {
        struct node *root = NULL;
        for (size_t i = 0; i + 3 < n && i < 4u * 120000; i += 4)
            root = insert(root, (int)(d[i] | d[i + 1] << 8 | d[i + 2] << 16) ^ round);
        total += drop(root);
    }
    return total;
}

__attribute__((noinline)) static void save(const char *path, double v, long k)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die(path);
    char rec[64];
    for (int i = 0; i < 60000; i++) {               /* one write() per 64-byte record */
        memset(rec, ' ', sizeof rec);
        int m = snprintf(rec, sizeof rec, "%d %.3f %ld", i, v / (i + 1), k);
        rec[m] = ' ';
        rec[63] = '\n';
        if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec) die("write output");
    }
    close(fd);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    char in[4096], out[4096];
    snprintf(in, sizeof in, "%s/demo-input.bin", dir);
    snprintf(out, sizeof out, "%s/demo-output.txt", dir);
    make_input(in);

    size_t n;
    PHASEPROF_PHASE_BEGIN("load");
    unsigned char *data = load(in, &n);
    PHASEPROF_PHASE_END("load");
    PHASEPROF_PHASE_BEGIN("compute");
    double v = compute(data, n);
    PHASEPROF_PHASE_END("compute");
    PHASEPROF_PHASE_BEGIN("transform");
    long k = transform(data, n);
    PHASEPROF_PHASE_END("transform");
    PHASEPROF_PHASE_BEGIN("save");
    save(out, v, k);
    PHASEPROF_PHASE_END("save");

    free(data);
    unlink(in);
    printf("demo: read %zu bytes, result %.3f, %ld objects, wrote %s\n", n, v, k, out);
    return 0;
}
