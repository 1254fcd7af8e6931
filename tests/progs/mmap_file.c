/* Pitfall 19: file I/O through mmap moves no bytes through read/write, so the preload records
 * each file-backed mapping (path and length).  `mmap_file PATH` writes 4 MiB to PATH, maps it
 * read-only (MAP_PRIVATE), sums every byte through the mapping, and maps 1 MiB of it again at an
 * offset of 1 MiB with MAP_SHARED; prints the sums. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: mmap_file PATH\n"); return 2; }
    enum { SIZE = 4 << 20, MIB = 1 << 20 };
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { perror("open"); return 1; }
    static char block[65536];
    for (int i = 0; i < (int)sizeof block; i++) block[i] = (char)(i * 7);
    for (int i = 0; i < SIZE / (int)sizeof block; i++)
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block) { perror("write"); return 1; }
    const unsigned char *m = mmap(NULL, SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) { perror("mmap"); return 1; }
    unsigned long sum = 0;
    for (size_t i = 0; i < SIZE; i++) sum += m[i];
    munmap((void *)m, SIZE);
    const unsigned char *s = mmap(NULL, MIB, PROT_READ, MAP_SHARED, fd, MIB);
    if (s == MAP_FAILED) { perror("mmap shared"); return 1; }
    unsigned long sum2 = 0;
    for (size_t i = 0; i < MIB; i++) sum2 += s[i];
    munmap((void *)s, MIB);
    close(fd);
    printf("mmap_file: sum %lu, second map sum %lu\n", sum, sum2);
    return 0;
}
