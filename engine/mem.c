/*
 * mem.c - allocation wrapper.  See mem.h for the policy.
 *
 * Overflow of count*size is checked here so callers need not.
 */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *mem_alloc(size_t n)
{
    return malloc(n ? n : 1);
}

void *mem_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *mem_realloc(void *p, size_t n)
{
    return realloc(p, n ? n : 1);
}

char *mem_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

void mem_free(void *p)
{
    free(p);
}
