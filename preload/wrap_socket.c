/* Sockets: socket/socketpair/accept create descriptors (class SOCKET, no fstat needed), connect/
 * accept learn the peer address, which becomes the descriptor's "path" (inet:10.0.0.1:5432,
 * inet6:[…]:443, unix:/run/x.sock) so a report can say which server a program waited on;
 * send/recv and the msg/mmsg forms move bytes; shutdown, bind and listen are metadata.
 *
 * Hooks call the next definition, time it, and hand the result to fdtab.c.  They never change a
 * return value or errno, never allocate, never lock.  The real call runs with our guard released
 * (a blocking recv is the program's time; a signal handler inside it is traced normally). */
#include "pp.h"
#include "io.h"
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

PP_DECLARE_REAL(int, socket, (int, int, int));
PP_DECLARE_REAL(int, socketpair, (int, int, int, int[2]));
PP_DECLARE_REAL(int, connect, (int, const struct sockaddr *, socklen_t));
PP_DECLARE_REAL(int, accept, (int, struct sockaddr *, socklen_t *));
PP_DECLARE_REAL(int, accept4, (int, struct sockaddr *, socklen_t *, int));
PP_DECLARE_REAL(int, bind, (int, const struct sockaddr *, socklen_t));
PP_DECLARE_REAL(int, listen, (int, int));
PP_DECLARE_REAL(int, shutdown, (int, int));
PP_DECLARE_REAL(ssize_t, send, (int, const void *, size_t, int));
PP_DECLARE_REAL(ssize_t, recv, (int, void *, size_t, int));
PP_DECLARE_REAL(ssize_t, __recv_chk, (int, void *, size_t, size_t, int));
PP_DECLARE_REAL(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t));
PP_DECLARE_REAL(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *));
PP_DECLARE_REAL(ssize_t, __recvfrom_chk, (int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *));
PP_DECLARE_REAL(ssize_t, sendmsg, (int, const struct msghdr *, int));
PP_DECLARE_REAL(ssize_t, recvmsg, (int, struct msghdr *, int));
PP_DECLARE_REAL(int, sendmmsg, (int, struct mmsghdr *, unsigned, int));
PP_DECLARE_REAL(int, recvmmsg, (int, struct mmsghdr *, unsigned, int, struct timespec *));

void pp_resolve_socket(void)
{
    PP_REAL(socket); PP_REAL(socketpair); PP_REAL(connect); PP_REAL(accept); PP_REAL(accept4);
    PP_REAL(bind); PP_REAL(listen); PP_REAL(shutdown); PP_REAL(send); PP_REAL(recv);
    PP_REAL(__recv_chk); PP_REAL(sendto); PP_REAL(recvfrom); PP_REAL(__recvfrom_chk);
    PP_REAL(sendmsg); PP_REAL(recvmsg); PP_REAL(sendmmsg); PP_REAL(recvmmsg);
}

/* ---------- peer address as text (no stdio) ---------- */

static char *put_str(char *p, const char *s) { while (*s) *p++ = *s++; return p; }
static char *put_dec(char *p, unsigned v)
{
    char tmp[12]; int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}
static char *put_hex16(char *p, unsigned v)
{
    static const char hx[] = "0123456789abcdef";
    int started = 0;
    for (int sh = 12; sh >= 0; sh -= 4) {
        unsigned d = (v >> sh) & 15;
        if (d || started || sh == 0) { *p++ = hx[d]; started = 1; }
    }
    return p;
}

/* Writes a name for addr into buf (at least 160 bytes); returns its length, 0 if unknown. */
static size_t addr_name(const struct sockaddr *a, socklen_t len, char *buf)
{
    if (!a || len < (socklen_t)sizeof(sa_family_t)) return 0;
    char *p = buf;
    if (a->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)a;
        const uint8_t *ip = (const uint8_t *)&in->sin_addr;
        p = put_str(p, "inet:");
        for (int i = 0; i < 4; i++) { p = put_dec(p, ip[i]); *p++ = i < 3 ? '.' : ':'; }
        p = put_dec(p, ntohs(in->sin_port));
    } else if (a->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)a;
        const uint8_t *ip = in6->sin6_addr.s6_addr;
        p = put_str(p, "inet6:[");
        for (int i = 0; i < 16; i += 2) {
            p = put_hex16(p, (unsigned)ip[i] << 8 | ip[i + 1]);
            if (i < 14) *p++ = ':';
        }
        p = put_str(p, "]:");
        p = put_dec(p, ntohs(in6->sin6_port));
    } else if (a->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)a;
        size_t n = len - offsetof(struct sockaddr_un, sun_path);
        if (n > sizeof un->sun_path) n = sizeof un->sun_path;
        p = put_str(p, "unix:");
        if (n && un->sun_path[0] == 0) { *p++ = '@'; n--; memcpy(p, un->sun_path + 1, n); p += n; }
        else { size_t k = strnlen(un->sun_path, n); memcpy(p, un->sun_path, k); p += k; }
    } else {
        return 0;
    }
    return (size_t)(p - buf);
}

static void name_fd(struct pp_thread *t, int fd, const struct sockaddr *a, socklen_t len)
{
    char buf[192];
    size_t n = addr_name(a, len, buf);
    if (n) pp_fd_set_path(t, fd, buf, n);
}

/* ---------- hooks ---------- */

#define TIMED(CALL)                                                           \
    pp_leave(t);                                                              \
    uint64_t t0 = pp_ticks();                                                   \
    __typeof__(CALL) r = CALL;                                                \
    int e = errno;                                                            \
    uint64_t t1 = pp_ticks();                                                   \
    pp_guard = 1

#define DONE() do { pp_guard = 0; errno = e; return r; } while (0)

#define IO_CALL(FN, FD, OP, CALL) do {                                        \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        TIMED(CALL);                                                          \
        pp_io_done(t, PP_FN_##FN, FD, OP, r < 0 ? -(int64_t)e : (int64_t)r, t0, t1, -1); \
        DONE();                                                               \
    } while (0)

PP_EXPORT int socket(int d, int ty, int pr)
{
    PP_REAL(socket);
    struct pp_thread *t = pp_enter();
    if (!t) return real_socket(d, ty, pr);
    TIMED(real_socket(d, ty, pr));
    if (r >= 0) pp_fd_open_ex(t, r, AT_FDCWD, 0, 0, PP_FN_socket, t0, t1);
    else pp_io_done_cls(t, PP_FN_socket, -1, PP_FD_SOCKET, PP_OP_META, -e, t0, t1);
    DONE();
}

PP_EXPORT int socketpair(int d, int ty, int pr, int sv[2])
{
    PP_REAL(socketpair);
    struct pp_thread *t = pp_enter();
    if (!t) return real_socketpair(d, ty, pr, sv);
    TIMED(real_socketpair(d, ty, pr, sv));
    if (r == 0) {
        pp_fd_open_ex(t, sv[0], AT_FDCWD, 0, 0, PP_FN_socket, t0, t1);
        pp_fd_open_ex(t, sv[1], AT_FDCWD, 0, 0, PP_FN_socket, t1, t1);
    } else pp_io_done_cls(t, PP_FN_socket, -1, PP_FD_SOCKET, PP_OP_META, -e, t0, t1);
    DONE();
}

/* connect: the time to establish is metadata time on the socket; a non-blocking connect in
 * progress already names its peer. */
PP_EXPORT int connect(int fd, const struct sockaddr *a, socklen_t len)
{
    PP_REAL(connect);
    struct pp_thread *t = pp_enter();
    if (!t) return real_connect(fd, a, len);
    TIMED(real_connect(fd, a, len));
    if (r == 0 || e == EINPROGRESS) name_fd(t, fd, a, len);
    pp_io_done(t, PP_FN_connect, fd, PP_OP_META, r < 0 ? -(int64_t)e : 0, t0, t1, -1);
    DONE();
}

#define ACCEPT(CALL) do {                                                     \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        TIMED(CALL);                                                          \
        if (r >= 0) {                                                         \
            pp_fd_open_ex(t, r, AT_FDCWD, 0, 0, PP_FN_accept, t0, t1);        \
            if (a && len) name_fd(t, r, a, *len);                             \
        } else pp_io_done(t, PP_FN_accept, fd, PP_OP_META, -(int64_t)e, t0, t1, -1); \
        DONE();                                                               \
    } while (0)

PP_EXPORT int accept(int fd, struct sockaddr *a, socklen_t *len) { PP_REAL(accept); ACCEPT(real_accept(fd, a, len)); }
PP_EXPORT int accept4(int fd, struct sockaddr *a, socklen_t *len, int fl) { PP_REAL(accept4); ACCEPT(real_accept4(fd, a, len, fl)); }

PP_EXPORT int bind(int fd, const struct sockaddr *a, socklen_t len)
{
    PP_REAL(bind);
    struct pp_thread *t = pp_enter();
    if (!t) return real_bind(fd, a, len);
    TIMED(real_bind(fd, a, len));
    if (r == 0) name_fd(t, fd, a, len);
    pp_io_done(t, PP_FN_other, fd, PP_OP_META, r < 0 ? -(int64_t)e : 0, t0, t1, -1);
    DONE();
}

PP_EXPORT int listen(int fd, int n) { PP_REAL(listen); IO_CALL(other, fd, PP_OP_META, real_listen(fd, n)); }
PP_EXPORT int shutdown(int fd, int how) { PP_REAL(shutdown); IO_CALL(other, fd, PP_OP_META, real_shutdown(fd, how)); }

PP_EXPORT ssize_t send(int fd, const void *b, size_t n, int fl) { PP_REAL(send); IO_CALL(send, fd, PP_OP_WRITE, real_send(fd, b, n, fl)); }
PP_EXPORT ssize_t recv(int fd, void *b, size_t n, int fl) { PP_REAL(recv); IO_CALL(recv, fd, PP_OP_READ, real_recv(fd, b, n, fl)); }
PP_EXPORT ssize_t __recv_chk(int fd, void *b, size_t n, size_t bl, int fl) { PP_REAL(__recv_chk); IO_CALL(recv, fd, PP_OP_READ, real___recv_chk(fd, b, n, bl, fl)); }

PP_EXPORT ssize_t sendto(int fd, const void *b, size_t n, int fl, const struct sockaddr *a, socklen_t al)
{
    PP_REAL(sendto);
    IO_CALL(send, fd, PP_OP_WRITE, real_sendto(fd, b, n, fl, a, al));
}

PP_EXPORT ssize_t recvfrom(int fd, void *b, size_t n, int fl, struct sockaddr *a, socklen_t *al)
{
    PP_REAL(recvfrom);
    IO_CALL(recv, fd, PP_OP_READ, real_recvfrom(fd, b, n, fl, a, al));
}

PP_EXPORT ssize_t __recvfrom_chk(int fd, void *b, size_t n, size_t bl, int fl, struct sockaddr *a, socklen_t *al)
{
    PP_REAL(__recvfrom_chk);
    IO_CALL(recv, fd, PP_OP_READ, real___recvfrom_chk(fd, b, n, bl, fl, a, al));
}

PP_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int fl) { PP_REAL(sendmsg); IO_CALL(sendmsg, fd, PP_OP_WRITE, real_sendmsg(fd, m, fl)); }
PP_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int fl) { PP_REAL(recvmsg); IO_CALL(recvmsg, fd, PP_OP_READ, real_recvmsg(fd, m, fl)); }

/* The mmsg forms return a message count; the bytes are the sum of the msg_len the kernel set. */
static int64_t mmsg_bytes(const struct mmsghdr *v, int r)
{
    uint64_t b = 0;
    for (int i = 0; i < r; i++) b += v[i].msg_len;
    return (int64_t)b;
}

#define MMSG_CALL(FN, OP, CALL) do {                                          \
        struct pp_thread *t = pp_enter();                                     \
        if (!t) return CALL;                                                  \
        TIMED(CALL);                                                          \
        pp_io_done(t, PP_FN_##FN, fd, OP, r < 0 ? -(int64_t)e : mmsg_bytes(v, r), t0, t1, -1); \
        DONE();                                                               \
    } while (0)

PP_EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned n, int fl) { PP_REAL(sendmmsg); MMSG_CALL(sendmsg, PP_OP_WRITE, real_sendmmsg(fd, v, n, fl)); }
PP_EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned n, int fl, struct timespec *tmo) { PP_REAL(recvmmsg); MMSG_CALL(recvmsg, PP_OP_READ, real_recvmmsg(fd, v, n, fl, tmo)); }
