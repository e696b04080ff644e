/*
 * filehash.c - streaming XXH3-128 of a file; see filehash.h.
 */
#include "filehash.h"

#include <stdio.h>
#include <xxhash.h>

#include "limits.h"
#include "mem.h"

int filehash_file(const char *path, char hex[33], int64_t *size)
{
    int rc = AB_E_IO;
    FILE *f = fopen(path, "rb");
    if (!f)
        return AB_E_IO;
    char *buf = mem_alloc(AB_READ_CHUNK);
    XXH3_state_t *st = XXH3_createState();
    if (!buf || !st) {
        rc = AB_E_NOMEM;
        goto out;
    }
    XXH3_128bits_reset(st);
    int64_t total = 0;
    size_t n;
    while ((n = fread(buf, 1, AB_READ_CHUNK, f)) > 0) {
        XXH3_128bits_update(st, buf, n);
        total += (int64_t)n;
    }
    if (ferror(f))
        goto out;
    XXH128_hash_t h = XXH3_128bits_digest(st);
    snprintf(hex, 33, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
    *size = total;
    rc = AB_OK;
out:
    XXH3_freeState(st);
    mem_free(buf);
    fclose(f);
    return rc;
}
