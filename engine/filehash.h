/*
 * filehash.h - the content hash that makes importing a file idempotent.
 *
 * XXH3-128 over the file's bytes, streamed in AB_READ_CHUNK pieces, as 32
 * hex digits.  Not a cryptographic hash: it detects the same delivery twice,
 * it does not defend against an adversary forging a collision (the database
 * also refuses duplicate statements by account and statement id).
 */
#ifndef AB_FILEHASH_H
#define AB_FILEHASH_H

#include <stdint.h>

#include "err.h"

int filehash_file(const char *path, char hex[33], int64_t *size) AB_MUSTCHECK;

#endif
