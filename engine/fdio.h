/*
 * fdio.h - whole-buffer read and write on a file descriptor: short
 * transfers and EINTR are retried, pieces are capped at 1 GiB (read(2) and
 * write(2) move at most about 2 GiB per call).  The caller owns the
 * descriptor and the buffer.
 */
#ifndef AB_FDIO_H
#define AB_FDIO_H

#include <stddef.h>

#include "err.h"

/* All n bytes, or AB_E_IO. */
int fdio_write_all(int fd, const void *p, size_t n) AB_MUSTCHECK;
/* All n bytes; AB_E_PARSE when the file ends first (truncated), AB_E_IO on
 * a read error. */
int fdio_read_all(int fd, void *p, size_t n) AB_MUSTCHECK;

#endif
