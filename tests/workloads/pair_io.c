/* Paired fix workloads, I/O fixes (the cost the fix speeds up: io).  See pair_main.h.
 *
 *   pair_io --kind write_buf|fsync_batch|read_big|open_keep|stat_cache --variant slow|fixed --setting K
 *
 * write_buf:   N records of 16-256 B: write() each (slow) / gathered in a 64 KiB buffer (fixed).
 * fsync_batch: N records of 64 B - 1 KiB, each written; fsync() after every record (slow) / after
 *              every 64th and at the end (fixed).
 * read_big:    a 2-8 MiB file (written first, by both) read P times: read() of 16-256 B at a time
 *              (slow) / one read() of the whole file (fixed); both checksum every byte.
 * open_keep:   N log lines appended to a file: open(O_APPEND), write, close per line (slow) / one
 *              open for all (fixed).
 * stat_cache:  N lookups of the size of one of 8-64 files: stat() each time (slow) / stat()ed once
 *              and kept (fixed).
 * calib_io:    not a pair: the suite measures the recorder's own cost per I/O call with it.
 * Each interleaves compute between the operations (the unfixable part) and does a little other
 * I/O at the start. */
#include <sys/stat.h>
#include "pair_main.h"

struct io_set { long n; int size; long compute; int other_kib; };

/* ---- write_buf */
static const struct io_set wb_set[6] = {
    { 250000, 16, 10000000, 64 }, { 150000, 64, 60000000, 128 }, { 100000, 128, 150000000, 256 },
    { 60000, 256, 250000000, 64 }, { 30000, 32, 300000000, 512 }, { 200000, 48, 30000000, 1024 },
};
static uint64_t write_buf_run(void)
{
    struct io_set s = wb_set[setting];
    long n = scaled(s.n), per = scaled(s.compute) / n;
    snprintf(params, sizeof params, "records=%ld size=%d compute=%ld", n, s.size, per * n);
    uint64_t x = pair_other_io(s.other_kib);
    char path[2300], rec[256], *buf = malloc(65536);
    size_t used = 0;
    if (!buf) pair_fatal("malloc");
    pair_path(path, sizeof path, "wb");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) pair_fatal(path);
    for (long i = 0; i < n; i++) {
        memset(rec, 'a' + (int)(i % 26), (size_t)s.size);
        if (!fixed) pair_write_all(fd, rec, (size_t)s.size);
        else {
            if (used + (size_t)s.size > 65536) { pair_write_all(fd, buf, used); used = 0; }
            memcpy(buf + used, rec, (size_t)s.size);
            used += (size_t)s.size;
        }
        x = pair_compute(per, x);
    }
    if (used) pair_write_all(fd, buf, used);
    struct stat st;
    if (fstat(fd, &st)) pair_fatal("fstat");
    close(fd);
    unlink(path);
    free(buf);
    return (uint64_t)st.st_size + (x & 0xff);
}

/* ---- fsync_batch */
static const struct io_set fs_set[5] = {
    { 400, 64, 10000000, 64 }, { 300, 256, 100000000, 128 }, { 200, 1024, 200000000, 256 },
    { 100, 128, 300000000, 64 }, { 600, 64, 50000000, 512 },
};
static uint64_t fsync_batch_run(void)
{
    struct io_set s = fs_set[setting];
    long n = scaled(s.n), per = scaled(s.compute) / n;
    snprintf(params, sizeof params, "records=%ld size=%d compute=%ld", n, s.size, per * n);
    uint64_t x = pair_other_io(s.other_kib);
    char path[2300], rec[1024];
    pair_path(path, sizeof path, "fs");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) pair_fatal(path);
    for (long i = 0; i < n; i++) {
        memset(rec, 'a' + (int)(i % 26), (size_t)s.size);
        pair_write_all(fd, rec, (size_t)s.size);
        if ((!fixed || i % 64 == 63) && fsync(fd)) pair_fatal("fsync");
        x = pair_compute(per, x);
    }
    if (fixed && fsync(fd)) pair_fatal("fsync");
    close(fd);
    unlink(path);
    return (uint64_t)(n * s.size) + (x & 0xff);
}

/* ---- read_big: size = the small read's size, n = passes, other_kib = the file's size */
static const struct io_set rb_set[5] = {
    { 4, 16, 10000000, 2048 }, { 4, 64, 80000000, 4096 }, { 3, 128, 150000000, 8192 },
    { 6, 256, 200000000, 2048 }, { 3, 32, 300000000, 4096 },
};
static uint64_t read_big_run(void)
{
    struct io_set s = rb_set[setting];
    long passes = scaled(s.n), per = scaled(s.compute) / passes;
    size_t fsz = (size_t)s.other_kib << 10;
    snprintf(params, sizeof params, "passes=%ld size=%d file=%zu compute=%ld", passes, s.size, fsz, per * passes);
    char path[2300];
    unsigned char *buf = malloc(fsz);
    if (!buf) pair_fatal("malloc");
    for (size_t i = 0; i < fsz; i++) buf[i] = (unsigned char)(i * 131 + (i >> 9));
    pair_path(path, sizeof path, "rb");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) pair_fatal(path);
    pair_write_all(fd, buf, fsz);
    uint64_t sum = 0, x = 1;
    for (long p = 0; p < passes; p++) {
        if (lseek(fd, 0, SEEK_SET) < 0) pair_fatal("lseek");
        size_t got = 0, chunk = fixed ? fsz : (size_t)s.size;
        ssize_t r;
        while (got < fsz && (r = read(fd, buf + got, chunk < fsz - got ? chunk : fsz - got)) > 0) got += (size_t)r;
        for (size_t i = 0; i < got; i++) sum += buf[i];
        x = pair_compute(per, x);
    }
    close(fd);
    unlink(path);
    free(buf);
    return sum + (x & 0xff);
}

/* ---- open_keep */
static const struct io_set ok_set[5] = {
    { 100000, 32, 10000000, 64 }, { 60000, 64, 80000000, 128 }, { 40000, 128, 200000000, 256 },
    { 20000, 64, 300000000, 64 }, { 80000, 48, 40000000, 1024 },
};
static uint64_t open_keep_run(void)
{
    struct io_set s = ok_set[setting];
    long n = scaled(s.n), per = scaled(s.compute) / n;
    snprintf(params, sizeof params, "lines=%ld size=%d compute=%ld", n, s.size, per * n);
    uint64_t x = pair_other_io(s.other_kib);
    char path[2300], line[256];
    pair_path(path, sizeof path, "log");
    int fd = -1;
    for (long i = 0; i < n; i++) {
        memset(line, 'a' + (int)(i % 26), (size_t)s.size - 1);
        line[s.size - 1] = '\n';
        if (fd < 0 && (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0) pair_fatal(path);
        pair_write_all(fd, line, (size_t)s.size);
        if (!fixed) { close(fd); fd = -1; }
        x = pair_compute(per, x);
    }
    if (fd >= 0) close(fd);
    struct stat st;
    if (stat(path, &st)) pair_fatal(path);
    unlink(path);
    return (uint64_t)st.st_size + (x & 0xff);
}

/* ---- stat_cache: size = the number of files */
static const struct io_set sc_set[5] = {
    { 300000, 8, 10000000, 64 }, { 200000, 16, 100000000, 128 }, { 120000, 64, 200000000, 256 },
    { 60000, 32, 300000000, 64 }, { 250000, 8, 50000000, 1024 },
};
static uint64_t stat_cache_run(void)
{
    struct io_set s = sc_set[setting];
    long n = scaled(s.n), per = scaled(s.compute) / n;
    int nf = s.size;
    snprintf(params, sizeof params, "lookups=%ld files=%d compute=%ld", n, nf, per * n);
    uint64_t x = pair_other_io(s.other_kib), sum = 0;
    char (*path)[2300] = malloc((size_t)nf * sizeof *path);
    off_t *size = calloc((size_t)nf, sizeof *size);
    if (!path || !size) pair_fatal("malloc");
    for (int f = 0; f < nf; f++) {
        char what[32];
        snprintf(what, sizeof what, "st%d", f);
        pair_path(path[f], sizeof path[f], what);
        int fd = open(path[f], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) pair_fatal(path[f]);
        char b[64] = { 0 };
        pair_write_all(fd, b, (size_t)(f % 64) + 1);
        close(fd);
        size[f] = -1;
    }
    for (long i = 0; i < n; i++) {
        int f = (int)((i * 7) % nf);
        if (!fixed || size[f] < 0) {
            struct stat st;
            if (stat(path[f], &st)) pair_fatal(path[f]);
            size[f] = st.st_size;
        }
        sum += (uint64_t)size[f];
        x = pair_compute(per, x);
    }
    for (int f = 0; f < nf; f++) unlink(path[f]);
    free(path);
    free(size);
    return sum + (x & 0xff);
}

/* ---- calib_io: not a pair; the suite's measure of the recorder's own cost per I/O call.  slow:
 * N one-byte write()s to /dev/null (the cheapest call the recorder times); fixed: none. */
static uint64_t calib_io_run(void)
{
    long n = scaled(1000000);
    snprintf(params, sizeof params, "calls=%ld", fixed ? 0 : n);
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0) pair_fatal("/dev/null");
    uint64_t sum = 0;
    for (long i = 0; !fixed && i < n; i++) sum += (uint64_t)write(fd, "x", 1);
    close(fd);
    return fixed ? (uint64_t)n : sum;
}

static const struct pair_kind kinds[] = {
    { "calib_io", "calib", "(not a pair) 1-byte write()s to /dev/null -> none: the recorder's cost per call", 1, calib_io_run, NULL },
    { "write_buf", "io", "small write() per record -> 64 KiB buffer", 6, write_buf_run, NULL },
    { "fsync_batch", "io", "fsync() per record -> every 64 records", 5, fsync_batch_run, NULL },
    { "read_big", "io", "read() of 16-256 B at a time -> one read of the whole file", 5, read_big_run, NULL },
    { "open_keep", "io", "open/write/close per line -> open once", 5, open_keep_run, NULL },
    { "stat_cache", "io", "stat() per lookup -> stat once, cached", 5, stat_cache_run, NULL },
};

int main(int argc, char **argv)
{
    return pair_main(argc, argv, "pair_io", kinds, sizeof kinds / sizeof *kinds);
}
