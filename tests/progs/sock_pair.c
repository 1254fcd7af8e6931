/* Sockets: a server thread and a client exchange messages over a socketpair, then over TCP on
 * 127.0.0.1 (an ephemeral port), with send/recv, sendto/recvfrom, sendmsg/recvmsg and
 * sendmmsg/recvmmsg.  Usage: sock_pair ROUNDS.  Prints byte totals (the same with and without
 * the preload); the trace must show socket-class reads and writes of exactly those totals. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static int rounds = 100;

/* Echo server on fd: reads until EOF, writes back what it read with write(). */
static void *echo(void *arg)
{
    int fd = (int)(long)arg;
    char buf[4096];
    for (ssize_t r; (r = recv(fd, buf, sizeof buf, 0)) > 0;) {
        for (ssize_t off = 0; off < r;) {
            ssize_t w = send(fd, buf + off, (size_t)(r - off), 0);
            if (w <= 0) return 0;
            off += w;
        }
    }
    shutdown(fd, SHUT_WR);
    return 0;
}

/* Client's reading side, on its own thread: if the client sent everything before reading, the
 * echo would fill the buffer it writes into, stop reading, and both sides would block in send. */
struct reader { int fd; long got; };
static void *client_reader(void *arg)
{
    struct reader *rd = arg;
    char buf[4096];
    long got = 0;
    for (;;) {
        ssize_t r;
        switch (got % 3) {
        case 0: r = recv(rd->fd, buf, sizeof buf, 0); break;
        case 1: r = recvfrom(rd->fd, buf, sizeof buf, 0, NULL, NULL); break;
        default: {
            struct iovec iov = { buf, sizeof buf };
            struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
            r = recvmsg(rd->fd, &mh, 0);
        }
        }
        if (r <= 0) break;
        got += r;
    }
    rd->got = got;
    return 0;
}

/* Client side: every call form; returns bytes sent (the echo returns the same). */
static long client(int fd, long *received)
{
    char msg[100];
    long sent = 0;
    struct reader rd = { fd, 0 };
    pthread_t rt;
    pthread_create(&rt, 0, client_reader, &rd);
    memset(msg, 'x', sizeof msg);
    for (int i = 0; i < rounds; i++) {
        sent += send(fd, msg, 10, 0);
        sent += sendto(fd, msg, 20, 0, NULL, 0);
        struct iovec iov[2] = { { msg, 30 }, { msg, 40 } };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
        sent += sendmsg(fd, &mh, 0);
        struct mmsghdr mm[2] = { { .msg_hdr = mh }, { .msg_hdr = mh } };
        int k = sendmmsg(fd, mm, 2, 0);
        for (int j = 0; j < k; j++) sent += mm[j].msg_len;
    }
    shutdown(fd, SHUT_WR);
    pthread_join(rt, 0);
    *received = rd.got;
    return sent;
}

int main(int argc, char **argv)
{
    if (argc > 1) rounds = atoi(argv[1]);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) { perror("socketpair"); return 1; }
    pthread_t th;
    pthread_create(&th, 0, echo, (void *)(long)sv[1]);
    long got, sent = client(sv[0], &got);
    pthread_join(th, 0);
    close(sv[0]); close(sv[1]);
    printf("socketpair: sent=%ld received=%ld\n", sent, got);

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) || getsockname(ls, (struct sockaddr *)&a, &al)) {
        perror("bind/listen"); return 1;
    }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
    struct sockaddr_in peer; socklen_t pl = sizeof peer;
    int s = accept4(ls, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
    if (s < 0) { perror("accept"); return 1; }
    pthread_create(&th, 0, echo, (void *)(long)s);
    sent = client(c, &got);
    pthread_join(th, 0);
    close(c); close(s); close(ls);
    printf("tcp: sent=%ld received=%ld\n", sent, got);
    return 0;
}
