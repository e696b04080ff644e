/*
 * fdio.c - whole-buffer read and write on a file descriptor; see fdio.h.
 * Used for the claim snapshot (claimidx.c, claimsnap.c), whose arrays run
 * to gigabytes.
 */
#include "fdio.h"

#include <errno.h>
#include <unistd.h>

#define FDIO_PIECE (1u << 30)

int fdio_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n > FDIO_PIECE ? FDIO_PIECE : n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return AB_E_IO;
        c += w;
        n -= (size_t)w;
    }
    return AB_OK;
}

int fdio_read_all(int fd, void *p, size_t n)
{
    char *c = p;
    while (n > 0) {
        ssize_t r = read(fd, c, n > FDIO_PIECE ? FDIO_PIECE : n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return AB_E_IO;
        if (r == 0)
            return AB_E_PARSE;
        c += r;
        n -= (size_t)r;
    }
    return AB_OK;
}
