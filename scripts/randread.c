/*
 * randread.c: the host baseline for blkbench's random reads (scripts/bench):
 * COUNT preads of SIZE bytes from FILE at the offsets blkbench uses (the
 * same xorshift64 sequence over SIZE-aligned slots), through the page cache.
 *
 *   randread FILE SIZE COUNT      prints "randread: BYTES bytes in NS ns"
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: randread FILE SIZE COUNT\n");
        return 2;
    }
    uint64_t size = strtoull(argv[2], NULL, 10), count = strtoull(argv[3], NULL, 10);
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || size == 0 || (uint64_t)st.st_size < size) {
        perror(argv[1]);
        return 1;
    }
    char *buf = malloc(size);
    uint64_t slots = (uint64_t)st.st_size / size, rng = 0x9e3779b97f4a7c15ULL;
    uint64_t t0 = now_ns();
    for (uint64_t i = 0; i < count; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        if (pread(fd, buf, size, (off_t)((rng % slots) * size)) != (ssize_t)size) {
            perror("pread");
            return 1;
        }
    }
    printf("randread: %llu bytes in %llu ns\n", (unsigned long long)(count * size),
            (unsigned long long)(now_ns() - t0));
    return 0;
}
