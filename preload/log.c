/* The preload's only voice: one line on stderr, "phaseprof[PID]: …", written with one write(2)
 * so it is async-signal-safe and never interleaves.  Used only when tracing turns itself off or a
 * setting is rejected; at most 8 lines per process so a broken setup cannot flood a log. */
#include "pp.h"
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static atomic_int lines;

static char *put_str(char *p, char *end, const char *s)
{
    while (s && *s && p < end) *p++ = *s++;
    return p;
}

static char *put_dec(char *p, char *end, unsigned long v)
{
    char tmp[24]; int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n && p < end) *p++ = tmp[--n];
    return p;
}

/* fmt may contain up to two "%s", replaced by a and b. */
void pp_log(const char *fmt, const char *a, const char *b)
{
    if (atomic_fetch_add(&lines, 1) >= 8) return;
    int saved = errno;
    char line[512], *p = line, *end = line + sizeof line - 1;
    p = put_str(p, end, "phaseprof[");
    p = put_dec(p, end, (unsigned long)syscall(SYS_getpid));
    p = put_str(p, end, "]: ");
    int arg = 0;
    for (const char *f = fmt; *f && p < end; f++) {
        if (f[0] == '%' && f[1] == 's') { p = put_str(p, end, arg++ ? b : a); f++; }
        else *p++ = *f;
    }
    *p++ = '\n';
    (void)!syscall(SYS_write, 2, line, (size_t)(p - line));
    errno = saved;
}

void pp_log_str(const char *msg) { pp_log("%s", msg, 0); }
