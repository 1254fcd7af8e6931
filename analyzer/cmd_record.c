/* `phaseprof record`: runs a command with libphaseprof.so preloaded and tells where its traces are.
 *
 * It finds the library (next to this executable, then under the install prefix PP_LIBDIR), makes
 * the output directory absolute and refuses one that already holds traces unless --append, then
 * checks that the command can be preloaded at all: the loader ignores LD_PRELOAD for static
 * executables, setuid/setgid files and anything that is not a dynamically linked ELF of our own
 * class and machine, so those are refused with a clear message (exit 2) rather than producing an
 * empty trace.  `#!` scripts are followed to their interpreter (and `env NAME` to NAME).
 * The child gets LD_PRELOAD, PHASEPROF_OUTPUT, PHASEPROF_INTERVAL_MS, PHASEPROF_EVENTS and a fresh
 * PHASEPROF_RUN_ID that every process of the run inherits; SIGINT/SIGTERM/SIGHUP/SIGQUIT sent to
 * us are passed on to it.  Afterwards a summary goes to stderr and we exit with the child's status
 * (a signal death becomes 128+N, as a shell reports it).
 *
 * cmd_record(argc, argv) takes argv[0] = "record" (the subcommand), options from argv[1]. */
#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include "phaseprof/trace.h"
#include "compress.h"
#include "reader.h"
#include "util.h"

#ifndef PP_LIBDIR
#define PP_LIBDIR "/usr/local/lib/phaseprof"
#endif
#define LIBNAME "libphaseprof.so"
#define MAX_SCRIPT_DEPTH 4   /* the kernel follows at most 4 levels of #! (BINPRM_MAX_RECURSION) */
#define EXIT_USAGE 2

int cmd_record(int argc, char **argv);

static const char usage_text[] =
"usage: phaseprof record [-o DIR] [--append] [--interval MS] [--events all] [--] CMD [ARGS...]\n"
"\n"
"Runs CMD with libphaseprof.so preloaded; every process it starts (fork, exec) writes its own\n"
"trace file (*.pptrace) into DIR.  Exits with CMD's exit status (128+N if a signal N killed it).\n"
"\n"
"  -o, --output DIR   trace directory (default: phaseprof-data); created if missing\n"
"      --append       add to a directory that already holds traces of another run\n"
"      --interval MS  sample interval in milliseconds, 1..10000 (default 10)\n"
"      --events MODE  'all' records every intercepted call; 'default' keeps the trace compact\n"
"  -h, --help         this text\n"
"\n"
"Other settings are taken from PHASEPROF_* environment variables (see README.md).\n"
"Static executables, setuid/setgid programs and files that are not ELF cannot be preloaded and\n"
"are refused; a #! script is followed to its interpreter.\n";

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("phaseprof record: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) die("out of memory");
    return s;
}

/* ---------------- the library ---------------- */

static int is_readable_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, R_OK) == 0;
}

/* libphaseprof.so next to /proc/self/exe, in ../lib/phaseprof of it (a relocated install), or in
 * PP_LIBDIR.  Returns a malloc'd absolute path, or NULL. */
static char *find_library(void)
{
    char exe[PATH_MAX];
    if (!exe_dir(exe, sizeof exe)) {
        char *p = xasprintf("%s/%s", exe, LIBNAME);
        if (is_readable_file(p)) return p;
        free(p);
        p = xasprintf("%s/../lib/phaseprof/%s", exe, LIBNAME);
        if (is_readable_file(p)) {
            char *r = realpath(p, NULL);
            free(p);
            if (r) return r;
        } else {
            free(p);
        }
    }
    char *p = xasprintf("%s/%s", PP_LIBDIR, LIBNAME);
    if (is_readable_file(p)) return p;
    free(p);
    return NULL;
}

/* ---------------- ELF checks ---------------- */

struct elf_id { int ok; unsigned char cls, data; uint16_t machine; };

/* Reads the identity of an ELF file; ok = 0 if it is not one. */
static struct elf_id elf_identity(const unsigned char *h, size_t n)
{
    struct elf_id id = { 0, 0, 0, 0 };
    if (n < EI_NIDENT + 4 || memcmp(h, ELFMAG, SELFMAG)) return id;
    id.cls = h[EI_CLASS];
    id.data = h[EI_DATA];
    if ((id.cls != ELFCLASS32 && id.cls != ELFCLASS64) || (id.data != ELFDATA2LSB && id.data != ELFDATA2MSB))
        return id;
    uint16_t m;
    memcpy(&m, h + 18, 2);                 /* e_machine is at 18 in both classes */
    if (id.data != (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB))
        m = (uint16_t)((m >> 8) | (m << 8));
    id.machine = m;
    id.ok = 1;
    return id;
}

static const char *class_name(unsigned char c) { return c == ELFCLASS64 ? "64-bit" : "32-bit"; }

/* 1 if the ELF in fd has a PT_INTERP program header (it is dynamically linked), 0 if not,
 * -1 if it cannot be read.  Only called for files of our own class and byte order. */
static int elf_has_interp(int fd, const unsigned char *h, size_t n)
{
    uint64_t phoff;
    unsigned phentsize, phnum;
    if (h[EI_CLASS] == ELFCLASS64) {
        if (n < sizeof(Elf64_Ehdr)) return -1;
        Elf64_Ehdr e; memcpy(&e, h, sizeof e);
        phoff = e.e_phoff; phentsize = e.e_phentsize; phnum = e.e_phnum;
    } else {
        if (n < sizeof(Elf32_Ehdr)) return -1;
        Elf32_Ehdr e; memcpy(&e, h, sizeof e);
        phoff = e.e_phoff; phentsize = e.e_phentsize; phnum = e.e_phnum;
    }
    if (!phoff || !phnum || phnum > 4096 || phentsize < 8 || phentsize > 256) return phnum ? -1 : 0;
    for (unsigned i = 0; i < phnum; i++) {
        uint32_t type;
        if (pread(fd, &type, sizeof type, (off_t)(phoff + (uint64_t)i * phentsize)) != (ssize_t)sizeof type)
            return -1;
        if (type == PT_INTERP) return 1;
    }
    return 0;
}

/* A sanitizer runtime the program links (DT_NEEDED libasan.so.N …) refuses to run unless it comes
 * first in the library list (pitfall 27), so record preloads it by name ahead of ours. */
static char sanitizer_rt[128];

static int is_sanitizer_runtime(const char *name)
{
    static const char *const prefixes[] = { "libasan.so", "libtsan.so", "libhwasan.so",
                                            "libclang_rt.asan", "libclang_rt.tsan" };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (!strncmp(name, prefixes[i], strlen(prefixes[i]))) return 1;
    return 0;
}

/* Looks through a 64-bit ELF's DT_NEEDED entries for a sanitizer runtime; fills sanitizer_rt. */
static void find_sanitizer_runtime(int fd, const unsigned char *h, size_t n)
{
    if (h[EI_CLASS] != ELFCLASS64 || n < sizeof(Elf64_Ehdr)) return;
    Elf64_Ehdr e;
    memcpy(&e, h, sizeof e);
    if (e.e_phentsize != sizeof(Elf64_Phdr) || !e.e_phnum || e.e_phnum > 256) return;
    Elf64_Phdr ph[256];
    size_t bytes = (size_t)e.e_phnum * sizeof(Elf64_Phdr);
    if (pread(fd, ph, bytes, (off_t)e.e_phoff) != (ssize_t)bytes) return;
    const Elf64_Phdr *dyn = NULL;
    for (unsigned i = 0; i < e.e_phnum; i++) if (ph[i].p_type == PT_DYNAMIC) dyn = &ph[i];
    if (!dyn || dyn->p_filesz > (1u << 20)) return;
    size_t nd = dyn->p_filesz / sizeof(Elf64_Dyn);
    Elf64_Dyn *d = xmalloc(nd * sizeof *d + 1);
    if (pread(fd, d, nd * sizeof *d, (off_t)dyn->p_offset) != (ssize_t)(nd * sizeof *d)) { free(d); return; }
    uint64_t strtab = 0;
    for (size_t i = 0; i < nd && d[i].d_tag != DT_NULL; i++) if (d[i].d_tag == DT_STRTAB) strtab = d[i].d_un.d_ptr;
    off_t stroff = -1;          /* DT_STRTAB is an address: find the file offset through PT_LOAD */
    for (unsigned i = 0; i < e.e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && strtab >= ph[i].p_vaddr && strtab < ph[i].p_vaddr + ph[i].p_filesz)
            stroff = (off_t)(ph[i].p_offset + (strtab - ph[i].p_vaddr));
    for (size_t i = 0; stroff >= 0 && i < nd && d[i].d_tag != DT_NULL; i++) {
        if (d[i].d_tag != DT_NEEDED) continue;
        char name[sizeof sanitizer_rt];
        ssize_t k = pread(fd, name, sizeof name - 1, stroff + (off_t)d[i].d_un.d_val);
        if (k <= 0) continue;
        name[k] = 0;
        if (strlen(name) < sizeof name - 1 && is_sanitizer_runtime(name)) {
            memcpy(sanitizer_rt, name, strlen(name) + 1);
            break;
        }
    }
    free(d);
}

/* ---------------- finding the command ---------------- */

/* Resolves name as execvp would: a name with '/' is taken as is, else the first executable
 * regular file in PATH.  Returns a malloc'd path, or NULL with *err = ENOENT or EACCES. */
static char *resolve_in_path(const char *name, int *err)
{
    *err = ENOENT;
    if (!*name) return NULL;
    if (strchr(name, '/')) {
        struct stat st;
        if (stat(name, &st) != 0) { *err = errno; return NULL; }
        return xstrdup(name);
    }
    const char *path = getenv("PATH");
    if (!path) path = "/bin:/usr/bin";
    char *copy = xstrdup(path);
    char *found = NULL;
    int saw_eacces = 0;
    for (char *dir = copy, *next; dir; dir = next) {
        next = strchr(dir, ':');
        if (next) *next++ = 0;
        char *p = xasprintf("%s/%s", *dir ? dir : ".", name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(p, X_OK) == 0) { found = p; break; }
            saw_eacces = 1;
        }
        free(p);
    }
    free(copy);
    if (!found && saw_eacces) *err = EACCES;
    return found;
}

/* Checks that path can be run with our library preloaded.  Prints why not and returns the exit
 * status to use (2, or 126/127 as a shell would for a file it cannot run); 0 if it can.
 * `what` names the file for the messages ("CMD", "interpreter of CMD"). */
static int check_preloadable(const char *path, const char *shown, const struct elf_id *lib,
                             int depth)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        say("%s: cannot open: %s", shown, strerror(e));
        return e == ENOENT ? 127 : 126;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        say("%s: not a regular file", shown);
        return 126;
    }
    if (depth == 0 && access(path, X_OK) != 0) {
        close(fd);
        say("%s: not executable (permission denied)", shown);
        return 126;
    }
    if ((st.st_mode & S_ISUID) || ((st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP))) {
        close(fd);
        say("%s is set%cid: the dynamic loader ignores LD_PRELOAD for such programs, so it "
            "cannot be traced (run a copy without the set%cid bit)", shown,
            (st.st_mode & S_ISUID) ? 'u' : 'g', (st.st_mode & S_ISUID) ? 'u' : 'g');
        return EXIT_USAGE;
    }
    unsigned char h[512];
    ssize_t n = pread(fd, h, sizeof h, 0);
    if (n < 0) n = 0;
    if (n >= 2 && h[0] == '#' && h[1] == '!') {
        close(fd);
        if (depth >= MAX_SCRIPT_DEPTH) {
            say("%s: too many levels of #! interpreters", shown);
            return EXIT_USAGE;
        }
        /* "#!" [spaces] interpreter [spaces optional-arg] newline */
        size_t i = 2, len = (size_t)n;
        while (i < len && (h[i] == ' ' || h[i] == '\t')) i++;
        size_t s = i;
        while (i < len && h[i] != ' ' && h[i] != '\t' && h[i] != '\n' && h[i] != '\r') i++;
        if (i == s || i == len) {
            say("%s: unreadable #! line", shown);
            return EXIT_USAGE;
        }
        char interp[512];
        memcpy(interp, h + s, i - s);
        interp[i - s] = 0;
        while (i < len && (h[i] == ' ' || h[i] == '\t')) i++;
        size_t as = i;
        while (i < len && h[i] != '\n' && h[i] != '\r') i++;
        char arg[512];
        size_t al = i - as;
        while (al && (h[as + al - 1] == ' ' || h[as + al - 1] == '\t')) al--;
        memcpy(arg, h + as, al);
        arg[al] = 0;
        char *ishown = xasprintf("%s (interpreter of %s)", interp, shown);
        int r = check_preloadable(interp, ishown, lib, depth + 1);
        free(ishown);
        if (r) return r;
        /* "#!/usr/bin/env NAME": env execs NAME, which inherits LD_PRELOAD: check NAME too. */
        const char *base = strrchr(interp, '/');
        base = base ? base + 1 : interp;
        if (!strcmp(base, "env") && al && arg[0] != '-' && !strchr(arg, ' ') && !strchr(arg, '=')) {
            int err;
            char *target = resolve_in_path(arg, &err);
            if (target) {
                char *tshown = xasprintf("%s (run by %s through env)", target, shown);
                r = check_preloadable(target, tshown, lib, depth + 1);
                free(tshown);
                free(target);
                if (r) return r;
            }   /* not found: env itself will say so, exactly as it would without us */
        }
        return 0;
    }
    struct elf_id id = elf_identity(h, (size_t)n);
    if (!id.ok) {
        close(fd);
        say("%s is neither an ELF executable nor a #! script: nothing to preload into", shown);
        return EXIT_USAGE;
    }
    if (id.cls != lib->cls || id.data != lib->data || id.machine != lib->machine) {
        close(fd);
        say("%s is a %s ELF for machine %u; %s is a %s ELF for machine %u and cannot be loaded "
            "into it", shown, class_name(id.cls), id.machine, LIBNAME, class_name(lib->cls),
            lib->machine);
        return EXIT_USAGE;
    }
    uint16_t type;
    memcpy(&type, h + 16, 2);
    if (type != ET_EXEC && type != ET_DYN) {
        close(fd);
        say("%s is an ELF file but not an executable", shown);
        return EXIT_USAGE;
    }
    int interp = elf_has_interp(fd, h, (size_t)n);
    if (interp > 0) find_sanitizer_runtime(fd, h, (size_t)n);
    close(fd);
    if (interp < 0) {
        say("%s: damaged ELF program headers", shown);
        return EXIT_USAGE;
    }
    if (!interp) {
        say("%s is statically linked: it has no dynamic loader, so LD_PRELOAD cannot put %s into "
            "it and it cannot be traced", shown, LIBNAME);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---------------- the output directory ---------------- */


struct names { char **v; size_t n, cap; };

static void names_add(struct names *a, const char *s)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 32;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = xstrdup(s);
}

static int names_has(const struct names *a, const char *s)
{
    for (size_t i = 0; i < a->n; i++) if (!strcmp(a->v[i], s)) return 1;
    return 0;
}

static void list_traces(const char *dir, struct names *out)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) if (pp_is_trace_name(e->d_name)) names_add(out, e->d_name);
    closedir(d);
}

static int mkdir_p(char *dir)
{
    for (char *p = dir + 1; ; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = 0;
            int r = mkdir(dir, 0777);
            int e = errno;
            *p = c;
            if (r && e != EEXIST) { errno = e; return -1; }
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(dir, &st)) return -1;
    if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; return -1; }
    return 0;
}

/* Absolute, without "./" noise and trailing slashes; the directory need not exist yet. */
static char *absolute_dir(const char *dir)
{
    char *r;
    if (dir[0] == '/') {
        r = xstrdup(dir);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) { say("cannot get the current directory: %s", strerror(errno)); exit(1); }
        while (dir[0] == '.' && dir[1] == '/') { dir += 2; while (*dir == '/') dir++; }
        r = !*dir || !strcmp(dir, ".") ? xstrdup(cwd) : xasprintf("%s/%s", strcmp(cwd, "/") ? cwd : "", dir);
    }
    size_t n = strlen(r);
    while (n > 1 && r[n - 1] == '/') r[--n] = 0;
    return r;
}

/* The run id in a trace's HEADER (first record of the first chunk), or 0 if it cannot be read
 * yet (the process died before its first chunk); *pid gets the header's pid (0 if none). */
static uint64_t trace_run_id(const char *path, uint64_t *pid)
{
    *pid = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    uint8_t b[16 + 32 + 64];
    ssize_t n = pread(fd, b, sizeof b, 0);
    close(fd);
    if (n < (ssize_t)sizeof b - 32 || memcmp(b, PP_MAGIC, 8)) return 0;
    uint32_t pre_len;
    memcpy(&pre_len, b + 12, 4);
    if (pre_len != 16) return 0;
    uint32_t cmagic;
    memcpy(&cmagic, b + 16, 4);
    if (cmagic != PP_CHUNK_MAGIC) return 0;
    const uint8_t *p = b + 48, *end = b + n;
    uint64_t v[5];   /* kind, body length, pid, ppid, run_id */
    for (int i = 0; i < 5; i++) {
        v[i] = 0;
        for (int shift = 0; ; shift += 7) {
            if (p >= end || shift > 63) return 0;
            uint8_t c = *p++;
            v[i] |= (uint64_t)(c & 0x7f) << shift;
            if (!(c & 0x80)) break;
        }
    }
    if (v[0] != PP_K_HEADER) return 0;
    *pid = v[2];
    return v[4];
}

/* ---------------- running the child ---------------- */

static volatile sig_atomic_t child_pid;

/* Passes on signals someone sent us with kill(2).  Signals from the terminal (^C, ^\) already
 * reach the child, which shares our process group: sending them again would deliver them twice. */
static void forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int saved = errno;
    if (child_pid > 0 && si->si_code <= 0)     /* SI_USER, SI_QUEUE, SI_TKILL: sent by a process */
        kill((pid_t)child_pid, sig);
    errno = saved;
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

/* LD_PRELOAD for the child: ours first, then what was there, except that a sanitizer runtime
 * must stay first in the list (it refuses to run otherwise): one already in LD_PRELOAD keeps its
 * place before ours, and one the program links is preloaded by name ahead of ours. */
static char *preload_value(const char *lib)
{
    const char *old = getenv("LD_PRELOAD");
    int old_has_rt = old && (strstr(old, "libasan") || strstr(old, "libtsan") ||
                             strstr(old, "clang_rt.asan") || strstr(old, "clang_rt.tsan") ||
                             strstr(old, "libhwasan"));
    if (old_has_rt) return xasprintf("%s:%s", old, lib);
    if (sanitizer_rt[0])
        return old && *old ? xasprintf("%s:%s:%s", sanitizer_rt, lib, old) : xasprintf("%s:%s", sanitizer_rt, lib);
    if (!old || !*old) return xstrdup(lib);
    return xasprintf("%s:%s", lib, old);
}

static void human_bytes(uint64_t b, char *out, size_t cap)
{
    if (b < 1024) snprintf(out, cap, "%" PRIu64 " bytes", b);
    else if (b < 1024 * 1024) snprintf(out, cap, "%.1f KiB", b / 1024.0);
    else if (b < 1024ull * 1024 * 1024) snprintf(out, cap, "%.1f MiB", b / 1048576.0);
    else snprintf(out, cap, "%.2f GiB", b / 1073741824.0);
}

/* Everything allocated for the run stays reachable from here until exit (so a sanitized build's
 * leak check stays quiet whatever path returns), and is freed on the normal path. */
static struct {
    char *lib, *path, *dir, *preload;
    struct names before, after;
} g;

static void names_free(struct names *a)
{
    for (size_t i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}

int cmd_record(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, 0, 'o' },
        { "append", no_argument, 0, 'a' },
        { "interval", required_argument, 0, 'i' },
        { "events", required_argument, 0, 'e' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    const char *out_opt = "phaseprof-data", *interval = NULL, *events = NULL;
    int append = 0, c;
    optind = 0;                          /* full re-initialisation: main may have used getopt */
    opterr = 0;
    /* '+': stop at the first operand, so CMD's own options are never taken for ours. */
    while ((c = getopt_long(argc, argv, "+:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_opt = optarg; break;
        case 'a': append = 1; break;
        case 'i': interval = optarg; break;
        case 'e': events = optarg; break;
        case 'h': fputs(usage_text, stdout); return 0;
        case ':': say("option '%s' needs a value (see --help)", argv[optind - 1]); return EXIT_USAGE;
        default: {
            char shortopt[3] = { '-', (char)optopt, 0 };
            say("unknown option '%s' (see --help)", optopt ? shortopt : argv[optind - 1]);
            return EXIT_USAGE;
        }
        }
    }
    if (optind >= argc) {
        say("no command given");
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    char **cmd = argv + optind;
    if (interval) {
        char *end;
        errno = 0;
        long ms = strtol(interval, &end, 10);
        if (errno || end == interval || *end || ms < 1 || ms > 10000) {
            say("--interval: '%s' is not a whole number of milliseconds in 1..10000", interval);
            return EXIT_USAGE;
        }
    }
    if (events && strcmp(events, "all") && strcmp(events, "default")) {
        say("--events: '%s' is not one of: all, default", events);
        return EXIT_USAGE;
    }
    if (!*out_opt) { say("-o: empty directory name"); return EXIT_USAGE; }

    char *lib = g.lib = find_library();
    if (!lib) {
        say("cannot find %s next to this program nor in %s; build it with `make` or install it",
            LIBNAME, PP_LIBDIR);
        return EXIT_USAGE;
    }
    struct elf_id lib_id;
    {
        unsigned char h[64];
        int fd = open(lib, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, h, sizeof h) : -1;
        if (fd >= 0) close(fd);
        lib_id = elf_identity(h, n > 0 ? (size_t)n : 0);
        if (!lib_id.ok) { say("%s is not an ELF shared object", lib); return EXIT_USAGE; }
    }

    /* The command: resolved and checked before anything is created. */
    int err;
    char *path = g.path = resolve_in_path(cmd[0], &err);
    if (!path) {
        if (err == EACCES) { say("%s: permission denied", cmd[0]); return 126; }
        say("%s: command not found", cmd[0]);
        return 127;
    }
    int r = check_preloadable(path, cmd[0], &lib_id, 0);
    if (r) return r;

    char *dir = g.dir = absolute_dir(out_opt);
    if (mkdir_p(dir)) {
        say("cannot create the trace directory %s: %s", dir, strerror(errno));
        return EXIT_USAGE;
    }
    if (access(dir, W_OK | X_OK)) {
        say("cannot write into %s: %s", dir, strerror(errno));
        return EXIT_USAGE;
    }
    struct names *before = &g.before;
    list_traces(dir, before);
    if (before->n && !append) {
        say("%s already holds %zu trace file%s of an earlier run; use --append to add this run to "
            "them, or -o to choose another directory", dir, before->n, before->n == 1 ? "" : "s");
        return EXIT_USAGE;
    }

    uint64_t run_id = 0;
    if (getrandom(&run_id, sizeof run_id, 0) != (ssize_t)sizeof run_id) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        run_id = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ ((uint64_t)getpid() << 40);
    }
    if (!run_id) run_id = 1;
    char run_hex[17];
    snprintf(run_hex, sizeof run_hex, "%016" PRIx64, run_id);
    char *preload = g.preload = preload_value(lib);
    const char *penv = getenv("PHASEPROF_DISABLE");
    if (penv && strcmp(penv, "0") && *penv)
        say("note: PHASEPROF_DISABLE=%s is set in the environment: nothing will be traced", penv);

    /* Block the forwarded signals until the handler knows the child, so none is lost. */
    sigset_t block, old;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaddset(&block, forwarded[i]);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct sigaction sa, saved[sizeof forwarded / sizeof forwarded[0]];
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        say("fork: %s", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (setenv("LD_PRELOAD", preload, 1) || setenv("PHASEPROF_OUTPUT", dir, 1) ||
            setenv("PHASEPROF_RUN_ID", run_hex, 1) ||
            (interval ? setenv("PHASEPROF_INTERVAL_MS", interval, 1)
                      : setenv("PHASEPROF_INTERVAL_MS", "10", 0)) ||
            (events ? setenv("PHASEPROF_EVENTS", events, 1)
                    : setenv("PHASEPROF_EVENTS", "default", 0))) {
            say("setenv: %s", strerror(errno));
            _exit(127);
        }
        execv(path, cmd);
        int e = errno;
        say("%s: %s", cmd[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
    }
    child_pid = pid;
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, &saved[i]);
    sigprocmask(SIG_SETMASK, &old, NULL);

    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) { say("waitpid: %s", strerror(errno)); return 1; }
    }
    child_pid = 0;
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &saved[i], NULL);

    int code;
    char how[64];
    if (WIFEXITED(status)) {
        code = WEXITSTATUS(status);
        snprintf(how, sizeof how, "exited with status %d", code);
    } else if (WIFSIGNALED(status)) {
        code = 128 + WTERMSIG(status);
        snprintf(how, sizeof how, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    } else {
        code = 1;
        snprintf(how, sizeof how, "ended (wait status %#x)", (unsigned)status);
    }

    /* This run's traces: new files whose header carries our run id (or no header yet).  A
     * process that forks and then execs leaves two files (one per image): count pids.  They are
     * compressed on the way: a file size limit must then fail that, not kill us (the child, which
     * must see the program's own dispositions, is gone). */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGIO, SIG_IGN);      /* a broken read lease (compress.c) is seen, not fatal */
    struct names *after = &g.after;
    list_traces(dir, after);
    size_t files = 0, procs = 0;
    uint64_t bytes = 0, *pids = xcalloc(after->n + 1, sizeof *pids);
    pp_zstats z = { 0 };
    for (size_t i = 0; i < after->n; i++) {
        if (names_has(before, after->v[i])) continue;
        char *p = xasprintf("%s/%s", dir, after->v[i]);
        uint64_t pid;
        uint64_t id = trace_run_id(p, &pid);
        struct stat st;
        /* Compressed now that the program is done: its threads paid nothing for it (compress.c). */
        char err[512];
        if (id == run_id && pp_compress_trace(p, 3, &z, err, sizeof err) == PP_Z_ERROR)
            say("warning: %s (left uncompressed)", err);
        if ((id == run_id || id == 0) && stat(p, &st) == 0) {
            files++;
            bytes += (uint64_t)st.st_size;
            size_t k = 0;
            while (k < procs && (!pid || pids[k] != pid)) k++;
            if (k == procs) pids[procs++] = pid;
        }
        free(p);
    }
    free(pids);
    char hb[64], zb[32];
    human_bytes(bytes, hb, sizeof hb);
    if (z.after < z.before) {
        human_bytes(bytes + z.before - z.after, zb, sizeof zb);
        snprintf(hb + strlen(hb), sizeof hb - strlen(hb), ", compressed from %s", zb);
    }
    fprintf(stderr, "phaseprof record: traces in %s\n", dir);
    fprintf(stderr, "phaseprof record: %zu process%s traced, %zu trace file%s, %s (run %s); %s %s\n",
            procs, procs == 1 ? "" : "es", files, files == 1 ? "" : "s", hb, run_hex, cmd[0], how);
    if (!files)
        say("warning: no trace was written; see any 'phaseprof[PID]:' line above for why");
    names_free(&g.before);
    names_free(&g.after);
    free(g.lib); free(g.path); free(g.dir); free(g.preload);
    memset(&g, 0, sizeof g);
    return code;
}
