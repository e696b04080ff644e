/*
 * mem.h - the single allocation wrapper.
 *
 * All heap memory of abgleich goes through these functions; raw malloc/free
 * are not used elsewhere.  The release build links jemalloc (which replaces
 * malloc process-wide); the sanitizer build uses libc so ASan sees every
 * allocation.  Out of memory is propagated as NULL: a job aborts, the process
 * reports and exits cleanly.  The caller of mem_alloc owns the block and
 * frees it with mem_free.
 */
#ifndef AB_MEM_H
#define AB_MEM_H

#include <stddef.h>

void *mem_alloc(size_t n) __attribute__((malloc, warn_unused_result));
void *mem_calloc(size_t count, size_t size) __attribute__((malloc, warn_unused_result));
void *mem_realloc(void *p, size_t n) __attribute__((warn_unused_result));
char *mem_strndup(const char *s, size_t n) __attribute__((malloc, warn_unused_result));
void mem_free(void *p);

/* Large, long-lived, randomly accessed tables (the claim index): zeroed
 * pages straight from mmap, marked for transparent huge pages.  A lookup in
 * a table of hundreds of MB otherwise costs a TLB miss and a page walk on
 * top of the cache miss; 2 MB pages remove most of those (bench match,
 * docs/benchmarks.md).  Freed with mem_huge_free and the same size. */
void *mem_huge_calloc(size_t count, size_t size) __attribute__((warn_unused_result));
void mem_huge_free(void *p, size_t count, size_t size);

#endif
