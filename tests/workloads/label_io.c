/* Labelled workload: I/O-bound phases.
 *
 *   label_io --gen small|seq|fsync|stdio|meta --setting K [--seconds S] [--dir DIR]   (K = 0..9)
 *   label_io --list
 *
 * small: unbuffered write()/pwrite() of 8 B - 1 KiB records (the classic "buffer your writes").
 * seq:   large sequential write() or read() of 64 KiB - 4 MiB blocks over a 32-64 MiB file; reads
 *        drop the file from the page cache each pass (posix_fadvise) so they reach the device
 *        where the file system has one.
 * fsync: records of 64 B - 4 KiB, each 1-8 followed by fsync() or fdatasync().
 * stdio: fprintf/fputs/fwrite/fgets through FILE streams with tiny or no buffers (setvbuf), so
 *        each call reaches the kernel.
 * meta:  create/stat/rename/unlink churn over 8-256 small files (metadata-bound).
 * Files go to DIR (default $TMPDIR, else /tmp), named label_io.PID.*, and are removed at exit.
 * Settings 5-9 use two threads (each with its own file) where the generator allows.
 *
 * Output as label_cpu: "# ..." then "start_ns end_ns io" after the phase.  Creating the file
 * that seq reads happens before the phase. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "label_main.h"

#define LABEL "io"
static const char *prog = "label_io";

static volatile uint64_t sink;

static void fatal(const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
    exit(1);
}
static void path_of(char *out, size_t n, const char *kind, int t)
{
    snprintf(out, n, "%s/%s.%d.%s%d", dir, prog, (int)getpid(), kind, t);
}
static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) fatal("write");
        c += w; n -= (size_t)w;
    }
}

/* ---- small writes */
static const int small_size[10] = { 8, 16, 32, 64, 128, 256, 512, 1024, 24, 48 };
static void small_setup(void)
{
    nthreads = setting >= 5 ? 2 : 1;
    snprintf(params, sizeof params, "record=%d call=%s threads=%d", small_size[setting], setting % 2 ? "pwrite" : "write", nthreads);
}
static void *small_worker(void *arg)
{
    char path[2300], buf[1024];
    memset(buf, 'a' + setting, sizeof buf);
    path_of(path, sizeof path, "small", (int)(uintptr_t)arg);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fatal(path);
    size_t rec = (size_t)small_size[setting];
    off_t off = 0;          /* bytes written so far: the file restarts at 64 MiB */
    while (now_ns() < deadline) {
        for (int i = 0; i < 64; i++) {
            if (setting % 2) { if (pwrite(fd, buf, rec, off) != (ssize_t)rec) fatal("pwrite"); }
            else write_all(fd, buf, rec);
            off += (off_t)rec;
        }
        if (off > (64 << 20)) { off = 0; if (ftruncate(fd, 0)) fatal("ftruncate"); lseek(fd, 0, SEEK_SET); }
    }
    close(fd);
    unlink(path);
    return NULL;
}

/* ---- large sequential: even settings write, odd settings read */
static const int seq_kib[10] = { 64, 128, 256, 1024, 4096, 64, 512, 2048, 128, 1024 };
#define SEQ_FILE (32u << 20)
static void seq_prepare(int t)
{
    char path[2300];
    path_of(path, sizeof path, "seq", t);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fatal(path);
    char *b = malloc(1 << 20);
    memset(b, 's', 1 << 20);
    for (unsigned i = 0; i < SEQ_FILE >> 20; i++) write_all(fd, b, 1 << 20);
    fsync(fd);
    close(fd);
    free(b);
}
static void seq_setup(void)
{
    nthreads = setting >= 5 ? 2 : 1;
    if (setting % 2) for (int t = 0; t < nthreads; t++) seq_prepare(t);
    snprintf(params, sizeof params, "block_kib=%d op=%s threads=%d", seq_kib[setting], setting % 2 ? "read" : "write", nthreads);
}
static void *seq_worker(void *arg)
{
    char path[2300];
    path_of(path, sizeof path, "seq", (int)(uintptr_t)arg);
    size_t bs = (size_t)seq_kib[setting] << 10;
    char *b = malloc(bs);
    memset(b, 'q', bs);
    int rd = setting % 2;
    int fd = open(path, rd ? O_RDONLY | O_CLOEXEC : O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fatal(path);
    size_t done = 0;
    while (now_ns() < deadline) {
        if (rd) {
            ssize_t r = read(fd, b, bs);
            if (r < 0) fatal("read");
            if (r == 0) { posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED); lseek(fd, 0, SEEK_SET); }
            sink += r > 0 ? (uint64_t)b[0] : 0;
        } else {
            write_all(fd, b, bs);
            done += bs;
            if (done >= (64u << 20)) { if (ftruncate(fd, 0)) fatal("ftruncate"); lseek(fd, 0, SEEK_SET); done = 0; }
        }
    }
    close(fd);
    unlink(path);
    free(b);
    return NULL;
}

/* ---- fsync-heavy */
static const int fsync_rec[10] = { 64, 256, 1024, 4096, 64, 512, 2048, 128, 4096, 256 };
static const int fsync_every[10] = { 1, 1, 1, 1, 4, 2, 8, 1, 2, 4 };
static void fsync_setup(void)
{
    nthreads = setting >= 7 ? 2 : 1;
    snprintf(params, sizeof params, "record=%d records_per_sync=%d call=%s threads=%d", fsync_rec[setting],
             fsync_every[setting], setting % 2 ? "fdatasync" : "fsync", nthreads);
}
static void *fsync_worker(void *arg)
{
    char path[2300], buf[4096];
    memset(buf, 'f', sizeof buf);
    path_of(path, sizeof path, "fsync", (int)(uintptr_t)arg);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fatal(path);
    uint64_t n = 0;
    while (now_ns() < deadline) {
        write_all(fd, buf, (size_t)fsync_rec[setting]);
        if (++n % (uint64_t)fsync_every[setting] == 0) { if (setting % 2) fdatasync(fd); else fsync(fd); }
    }
    close(fd);
    unlink(path);
    return NULL;
}

/* ---- stdio through tiny buffers: settings pick the buffer (0 = unbuffered) and the call */
static const int stdio_buf[10] = { 0, 16, 64, 0, 32, 0, 128, 16, 0, 64 };
static void stdio_setup(void)
{
    nthreads = 1;
    static const char *calls[5] = { "fprintf", "fputs", "fwrite", "fgets", "putc" };
    snprintf(params, sizeof params, "buffer=%d call=%s", stdio_buf[setting], calls[setting % 5]);
    if (setting % 5 == 3) {    /* fgets: a file of short lines to read, made before the phase */
        char path[2300];
        path_of(path, sizeof path, "stdio", 0);
        FILE *w = fopen(path, "w");
        if (!w) fatal(path);
        for (int i = 0; i < 200000; i++) fprintf(w, "line %d of the stdio workload\n", i);
        fclose(w);
    }
}
static void *stdio_worker(void *arg)
{
    (void)arg;
    char path[2300], line[256];
    path_of(path, sizeof path, "stdio", 0);
    int call = setting % 5;
    FILE *f = fopen(path, call == 3 ? "r" : "w");
    if (!f) fatal(path);
    static char vbuf[256];
    setvbuf(f, stdio_buf[setting] ? vbuf : NULL, stdio_buf[setting] ? _IOFBF : _IONBF, (size_t)stdio_buf[setting]);
    uint64_t n = 0;
    while (now_ns() < deadline) {
        for (int i = 0; i < 32; i++, n++) {
            switch (call) {
            case 0: fprintf(f, "record %llu value %d\n", (unsigned long long)n, i); break;
            case 1: fputs("a short line of text\n", f); break;
            case 2: fwrite(&n, sizeof n, 1, f); break;
            case 3: if (!fgets(line, sizeof line, f)) rewind(f); else sink += (uint64_t)line[0]; break;
            default: putc('x', f); break;
            }
        }
        if (call != 3 && n % 65536 == 0) { fflush(f); if (ftruncate(fileno(f), 0)) fatal("ftruncate"); rewind(f); }
    }
    fclose(f);
    unlink(path);
    return NULL;
}

/* ---- metadata churn */
static const int meta_files[10] = { 8, 16, 32, 64, 128, 256, 8, 32, 128, 64 };
static void meta_setup(void)
{
    nthreads = setting >= 6 ? 2 : 1;
    snprintf(params, sizeof params, "files=%d ops=%s threads=%d", meta_files[setting],
             setting % 2 ? "create,stat,rename,unlink" : "create,stat,unlink", nthreads);
}
static void *meta_worker(void *arg)
{
    int t = (int)(uintptr_t)arg, nf = meta_files[setting];
    char a[2300], b[2300], kind[32];
    struct stat st;
    while (now_ns() < deadline) {
        for (int i = 0; i < nf; i++) {
            snprintf(kind, sizeof kind, "m%d_", i);
            path_of(a, sizeof a, kind, t);
            int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            if (fd < 0) fatal(a);
            close(fd);
        }
        for (int i = 0; i < nf; i++) {
            snprintf(kind, sizeof kind, "m%d_", i);
            path_of(a, sizeof a, kind, t);
            if (stat(a, &st) == 0) sink += (uint64_t)st.st_size;
            if (setting % 2) {
                snprintf(kind, sizeof kind, "r%d_", i);
                path_of(b, sizeof b, kind, t);
                if (rename(a, b) == 0) memcpy(a, b, sizeof a);
            }
            unlink(a);
        }
    }
    return NULL;
}

static const struct label_gen gens[] = {
    { "small", "unbuffered write/pwrite of 8 B - 1 KiB records, 1-2 threads", small_setup, small_worker, NULL, NULL },
    { "seq", "sequential write or read (page cache dropped) of 64 KiB - 4 MiB blocks", seq_setup, seq_worker, NULL, NULL },
    { "fsync", "64 B - 4 KiB records, fsync/fdatasync every 1-8", fsync_setup, fsync_worker, NULL, NULL },
    { "stdio", "fprintf/fputs/fwrite/fgets/putc through 0-128 B stdio buffers", stdio_setup, stdio_worker, NULL, NULL },
    { "meta", "create/stat/rename/unlink churn over 8-256 files", meta_setup, meta_worker, NULL, NULL },
};
#define NGENS (sizeof gens / sizeof gens[0])

int main(int argc, char **argv)
{
    const struct label_prog P = { prog, LABEL, 1, 8, gens, NGENS };
    return label_main(argc, argv, &P);
}
