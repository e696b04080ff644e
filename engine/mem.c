/*
 * mem.c - allocation wrapper.  See mem.h for the policy.
 *
 * Overflow of count*size is checked here so callers need not.
 */
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

void *mem_huge_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t n = count * size;
    if (n == 0)
        n = 1;
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, n, MADV_HUGEPAGE); /* a hint: without THP it stays 4 KB pages */
#endif
    return p;
}

void mem_huge_free(void *p, size_t count, size_t size)
{
    if (p)
        munmap(p, count * size > 0 ? count * size : 1);
}
